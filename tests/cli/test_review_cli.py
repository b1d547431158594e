"""``lzdocs review`` and the 落实情况 form: review dates by level, due and overdue, the form pre-filled,
filled by the unit and ingested, its reviews read back."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
from docx import Document
from openpyxl import load_workbook

from tests.conftest import FIXTURES, SAMPLE_SCHOOL, cli_env, copy_of, make_form_file, run_cli, run_json

SPRING = dt.date(2026, 5, 10)
BUILDING_ROWS = [
    {"seq": "1", "post": "工程管理", "risk": "虚报工程量", "level": "一级", "measures": "结算审计"},
    {"seq": "2", "post": "工程管理", "risk": "违规变更设计，增加工程造价", "level": "二级", "measures": "变更集体审批"},
    {"seq": "3", "post": "物资采购", "risk": "采购中收受回扣", "level": "一级", "measures": "公开招标"},
]


def review(root, *args, today: str | None = None):
    env = cli_env(LZDOCS_TODAY=today) if today else None
    return run_json("-w", root, "review", *args, env=env)


def entry(unit, post, risk, level, last, nxt, overdue=0, result=None):
    return {"unit": unit, "post": post, "risk": risk, "level": level, "last_review": last, "next_review": nxt,
            "days_overdue": overdue, "result": result, "not_done": result == "未落实"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A workspace whose 计划财务处 sent the sample form (一级, 二级, 三级) filled on 2026-05-10."""
    base = tmp_path_factory.mktemp("review")
    root = base / "ws"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    make_form_file(root / "inbox" / "计财处.xlsx", date=SPRING)
    run_cli("-w", root, "ingest", check=0)
    return base


@pytest.fixture
def archive(built, tmp_path):
    """That workspace, a copy of its own for each test."""
    return copy_of(built, tmp_path) / "ws"


def test_review_dates_follow_the_level_from_the_forms_date(archive):
    assert review(archive) == [entry("计划财务处", "出纳", "利用职务便利挪用公款", 1, "2026-05-10", "2026-11-10", 18)]
    assert review(archive, "--due-within", "400") == [
        entry("计划财务处", "出纳", "利用职务便利挪用公款", 1, "2026-05-10", "2026-11-10", 18),
        entry("计划财务处", "会计", "审核不严，违规报销", 2, "2026-05-10", "2027-05-10")]
    assert review(archive, today="2028-06-01") == [
        entry("计划财务处", "出纳", "利用职务便利挪用公款", 1, "2026-05-10", "2026-11-10", 569),
        entry("计划财务处", "会计", "审核不严，违规报销", 2, "2026-05-10", "2027-05-10", 388),
        entry("计划财务处", "处长", "违规审批资金", 3, "2026-05-10", "2028-05-10", 22)]
    assert review(archive, today="2026-10-11") == [  # 一级 due 2026-11-10: 30 days ahead
        entry("计划财务处", "出纳", "利用职务便利挪用公款", 1, "2026-05-10", "2026-11-10")]
    assert review(archive, today="2026-10-10") == []  # 31 days ahead


def test_a_review_due_within_the_days_is_listed_with_no_days_overdue(archive):
    assert review(archive, today="2026-10-20") == [
        entry("计划财务处", "出纳", "利用职务便利挪用公款", 1, "2026-05-10", "2026-11-10", 0)]
    text = run_cli("-w", archive, "review", env=cli_env(LZDOCS_TODAY="2026-10-20"), check=0).stdout
    assert "风险点复核（统计日期：2026年10月20日）" in text
    assert "即将到期" in text and "合计：已逾期 0 个，即将到期 1 个，未落实 0 个。" in text


def test_the_months_by_level_are_settings(archive):
    config = archive / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("level1_months = 6", "level1_months = 3"),
                      encoding="utf-8")
    assert review(archive) == [entry("计划财务处", "出纳", "利用职务便利挪用公款", 1, "2026-05-10", "2026-08-10", 110)]
    config.write_text(config.read_text(encoding="utf-8").replace("level1_months = 3", "level1_months = 0"),
                      encoding="utf-8")
    proc = run_cli("-w", archive, "review", check=2)
    assert "lzdocs.toml 中 [reviews] level1_months 的值“0”不对" in proc.stderr


def test_status_counts_the_reviews(archive):
    status = run_json("-w", archive, "status")
    assert status["reviews"] == {"overdue": 1, "due": 0, "not_done": 0, "due_within_days": 30}
    text = run_cli("-w", archive, "status", check=0).stdout
    assert "风险点复核：已逾期 1 个，30 天内到期 0 个，防控措施未落实 0 个（详见 lzdocs review）" in text


def test_review_of_one_unit_by_its_alias(archive):
    assert len(review(archive, "--unit", "计财处", "--due-within", "3650")) == 3
    assert review(archive, "--unit", "基建处", "--due-within", "3650") == []


# --- the 落实情况 form: pre-filled, filled, ingested ----------------------------------------------------------

def test_the_form_is_prefilled_with_the_units_risk_points_in_excel(archive):
    [path] = run_json("-w", archive, "form", "--kind", "落实情况", "--unit", "计财处", "--format", "xlsx")["files"]
    assert path == "outbox/空白表/防控措施落实情况检查表-计划财务处.xlsx"
    sheet = load_workbook(archive / path).active
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=1, max_row=7)] == [
        ["内蒙古工业大学防控措施落实情况检查表", None, None, None, None, None],
        ["单位（公章）", "计划财务处", None, None, "检查日期", None],
        ["序号", "岗位", "风险点", "落实情况", "存在问题", "整改措施"],
        ["1", "出纳", "利用职务便利挪用公款", None, None, None],
        ["2", "会计", "审核不严，违规报销", None, None, None],
        ["3", "处长", "违规审批资金", None, None, None],
        [None] * 6]
    assert [(str(v.sqref), v.formula1) for v in sheet.data_validations.dataValidation] == [
        ("D4:D33", '"已落实,部分落实,未落实"')]

    sheet["F2"] = dt.date(2026, 11, 20)
    sheet["D4"], sheet["D5"], sheet["E5"], sheet["F5"], sheet["D6"] = "已落实", "未落实", "未双签", "补签", "部分落实"
    sheet.parent.save(archive / "inbox" / "落实情况.xlsx")
    [out] = run_json("-w", archive, "ingest")
    assert (out["status"], out["unit"], out["rows"]) == ("accepted", "计划财务处", 3)
    assert [p["message"] for p in out["problems"]] == [
        "“会计”岗位“审核不严，违规报销”的防控措施未落实，存在问题：未双签；已记录，将列入复核清单，请督促整改"]
    assert out["problems"][0]["row"] == 5 and out["problems"][0]["column"] == "落实情况"
    assert review(archive, "--due-within", "3650") == [
        entry("计划财务处", "出纳", "利用职务便利挪用公款", 1, "2026-11-20", "2027-05-20", 0, "已落实"),
        entry("计划财务处", "会计", "审核不严，违规报销", 2, "2026-11-20", "2027-11-20", 0, "未落实"),
        entry("计划财务处", "处长", "违规审批资金", 3, "2026-11-20", "2028-11-20", 0, "部分落实")]
    assert review(archive) == [  # nothing due within 30 days; the 未落实 point stays listed
        entry("计划财务处", "会计", "审核不严，违规报销", 2, "2026-11-20", "2027-11-20", 0, "未落实")]
    assert len(run_json("-w", archive, "risks")) == 3  # the 落实情况 rows are not risk points


def test_the_word_form_has_boxes_to_tick(archive):
    [path] = run_json("-w", archive, "form", "--kind", "落实情况", "--unit", "计划财务处")["files"]
    doc = Document(archive / path)
    table = doc.tables[0]
    assert [c.text for c in table.rows[1].cells] == ["1", "出纳", "利用职务便利挪用公款",
                                                      "□已落实  □部分落实  □未落实", "", ""]
    assert len(table.rows) == 4
    for row, ticked in zip(table.rows[1:], ("□已落实", "□部分落实", "□已落实")):
        run = row.cells[3].paragraphs[0].runs[0]
        run.text = run.text.replace(ticked, ticked.replace("□", "☑"))
    doc.save(archive / "inbox" / "落实情况.docx")
    [out] = run_json("-w", archive, "ingest")
    assert (out["status"], [p["message"] for p in out["problems"]]) == (
        "accepted", ["没有填写“检查日期”，已按收到日期 2026-11-28 记录"])
    assert [(e["post"], e["result"], e["last_review"]) for e in review(archive, "--due-within", "3650")] == [
        ("出纳", "已落实", "2026-11-28"), ("会计", "部分落实", "2026-11-28"), ("处长", "已落实", "2026-11-28")]


def test_a_form_with_no_box_ticked_is_returned(archive):
    [path] = run_json("-w", archive, "form", "--kind", "落实情况", "--unit", "计划财务处")["files"]
    shutil.copyfile(archive / path, archive / "inbox" / "没勾.docx")
    [out] = run_json("-w", archive, "ingest", check=1)
    assert (out["status"], out["kind"]) == ("rejected", "check")
    units = {u["unit"]: u for u in run_json("-w", archive, "status")["units"]}
    assert units["计划财务处"]["rejections"] == 0  # the 报送情况 of the risk form is not touched
    assert [(p["row"], p.get("seq"), p["message"]) for p in out["problems"]] == [  # with the 序号 the unit counts
        *((row, str(row - 1), "“落实情况”请填写或勾选已落实、部分落实、未落实中的一个") for row in (2, 3, 4)),
        (None, None, "没有填写“检查日期”，已按收到日期 2026-11-28 记录")]
    assert review(archive, "--due-within", "3650")[0]["result"] is None


def test_rows_that_match_no_current_point_and_points_left_out_are_said(archive, tmp_path):
    from lzdocs.documents.blankform import write_xlsx
    from lzdocs.forms.schema import find_kind, load_kinds

    kind = find_kind(load_kinds(), "落实情况")
    write_xlsx(kind, archive / "inbox" / "落实.xlsx", unit="计划财务处", date=dt.date(2026, 11, 21), rows=[
        {"seq": "1", "post": "出纳", "risk": "利用职务之便挪用公款", "status": "已落实"},  # reworded: the same point
        {"seq": "2", "post": "会计", "risk": "违规报销", "status": "未落实"},  # too far from 审核不严，违规报销
    ])
    lines = run_cli("-w", archive, "ingest", check=0).stdout.splitlines()
    assert lines[:4] == [
        "[已收取] inbox/落实.xlsx —— 计划财务处，2026 年，2 项落实情况",
        "    [提醒] 第5行“风险点”列：本单位当前的风险点中没有这一项，已按所写内容记录；请核对岗位和风险点是否与下发的"
        "预填表一致（当前内容：“违规报销”）",
        "    [提醒] 第5行“落实情况”列：“会计”岗位“违规报销”的防控措施未落实；已记录，但它不是本单位当前的风险点，"
        "不会列入复核清单：请核对后督促整改，或让单位先补报风险点",
        "    [提醒] 本表没有填写以下当前风险点的落实情况，未记为复核：会计：审核不严，违规报销；处长：违规审批资金"]
    assert [(e["post"], e["last_review"], e["result"]) for e in review(archive, "--due-within", "3650")] == [
        ("出纳", "2026-11-21", "已落实"), ("会计", "2026-05-10", None), ("处长", "2026-05-10", None)]


def test_libreoffice_made_forms_are_ingested_and_their_reviews_recorded(archive, make_form):
    """lo_check_excel.xlsx (计划财务处, typed) and lo_check_word.docx (基建处, ticked boxes, a merged 岗位), both
    made by LibreOffice from HTML (tools/make_fixtures.py, tools/fixture_html.py)."""
    make_form(archive / "inbox" / "基建处.docx", unit="基建处", rows=BUILDING_ROWS, date=dt.date(2026, 3, 1))
    run_cli("-w", archive, "ingest", check=0)
    for name in ("lo_check_excel.xlsx", "lo_check_word.docx"):
        shutil.copyfile(FIXTURES / "forms" / name, archive / "inbox" / name)
    outcomes = run_json("-w", archive, "ingest")
    assert [(o["file"], o["status"], o["kind"], o["unit"], o["filled_date"], o["rows"]) for o in outcomes] == [
        ("inbox/lo_check_excel.xlsx", "accepted", "check", "计划财务处", "2026-11-20", 3),
        ("inbox/lo_check_word.docx", "accepted", "check", "基建处", "2026-11-21", 3)]
    assert [[(p["row"], p["message"]) for p in o["problems"]] for o in outcomes] == [
        [(5, "“会计”岗位“审核不严、违规报销”的防控措施未落实，存在问题：报销单据未双签；已记录，将列入复核清单，"
             "请督促整改")],
        [(4, "“物资采购”岗位“采购中收受回扣”的防控措施未落实，存在问题：供应商比选记录缺失；已记录，将列入复核清单，"
             "请督促整改")]]
    assert review(archive, "--due-within", "3650") == [
        entry("计划财务处", "出纳", "利用职务便利挪用公款", 1, "2026-11-20", "2027-05-20", 0, "已落实"),
        entry("计划财务处", "会计", "审核不严，违规报销", 2, "2026-11-20", "2027-11-20", 0, "未落实"),
        entry("计划财务处", "处长", "违规审批资金", 3, "2026-11-20", "2028-11-20", 0, "部分落实"),
        entry("基建处", "工程管理", "虚报工程量", 1, "2026-11-21", "2027-05-21", 0, "已落实"),
        entry("基建处", "工程管理", "违规变更设计，增加工程造价", 2, "2026-11-21", "2027-11-21", 0, "部分落实"),
        entry("基建处", "物资采购", "采购中收受回扣", 1, "2026-11-21", "2027-05-21", 0, "未落实")]
    assert [(e["unit"], e["post"]) for e in review(archive)] == [("计划财务处", "会计"), ("基建处", "物资采购")]
    assert run_json("-w", archive, "status")["reviews"] == {"overdue": 0, "due": 0, "not_done": 2,
                                                            "due_within_days": 30}
    events = _events(archive, "review")
    assert [(e["unit"], e["post"], e["result"], e["reviewed"], e["problem"], e["remedy"]) for e in events] == [
        ("计划财务处", "出纳", "已落实", "2026-11-20", "", ""),
        ("计划财务处", "会计", "未落实", "2026-11-20", "报销单据未双签", "12月底前补齐双签"),
        ("计划财务处", "处长", "部分落实", "2026-11-20", "集体研究记录不全", "完善会议记录"),
        ("基建处", "工程管理", "已落实", "2026-11-21", "", ""),
        ("基建处", "工程管理", "部分落实", "2026-11-21", "变更审批留痕不全", "补齐变更审批记录"),
        ("基建处", "物资采购", "未落实", "2026-11-21", "供应商比选记录缺失", "建立供应商比选台账")]
    card = run_json("-w", archive, "unit", "基建处")  # the unit's card lists what its form reported
    assert [(r["reviewed"], r["post"], r["result"], r["risk_id"] is not None) for r in card["reviews"]] == [
        ("2026-11-21", "工程管理", "已落实", True), ("2026-11-21", "工程管理", "部分落实", True),
        ("2026-11-21", "物资采购", "未落实", True)]


def _events(root, action: str) -> list[dict]:
    import sqlite3

    with sqlite3.connect(root / "lzdocs.db") as conn:
        rows = conn.execute("SELECT after FROM events WHERE action = ? ORDER BY id", (action,)).fetchall()
    return [json.loads(r[0]) for r in rows]


def test_a_newer_risk_form_restarts_the_schedule_and_a_finding_of_not_done_stays_until_a_review_says_otherwise(
        archive, make_form):
    """The unit's new risk form counts as a review for the schedule (its 填表日期 is the last review), but it
    implements no measure: a point found 未落实 that the new form lists again stays 未落实 in ``review`` until a later
    落实情况 form finds it otherwise. (Before, a new form — the same one again too — cleared the finding in silence.)
    """
    from lzdocs.documents.blankform import write_xlsx
    from lzdocs.forms.schema import find_kind, load_kinds

    write_xlsx(find_kind(load_kinds(), "落实情况"), archive / "inbox" / "落实.xlsx", unit="计划财务处",
               date=dt.date(2026, 9, 1), rows=[{"post": "出纳", "risk": "利用职务便利挪用公款", "status": "未落实"}])
    run_cli("-w", archive, "ingest", check=0)
    assert review(archive) == [entry("计划财务处", "出纳", "利用职务便利挪用公款", 1, "2026-09-01", "2027-03-01", 0,
                                     "未落实")]
    make_form(archive / "inbox" / "计财处新表.xlsx", date=dt.date(2026, 11, 25))
    run_cli("-w", archive, "ingest", check=0)
    assert review(archive, "--due-within", "200") == [
        entry("计划财务处", "出纳", "利用职务便利挪用公款", 1, "2026-11-25", "2027-05-25", 0, "未落实")]
    assert run_json("-w", archive, "status")["reviews"]["not_done"] == 1
    write_xlsx(find_kind(load_kinds(), "落实情况"), archive / "inbox" / "落实2.xlsx", unit="计划财务处",
               date=dt.date(2026, 11, 27), rows=[{"post": "出纳", "risk": "利用职务便利挪用公款", "status": "已落实"}])
    run_cli("-w", archive, "ingest", check=0)  # reviewed again: done now
    assert review(archive, "--due-within", "200") == [
        entry("计划财务处", "出纳", "利用职务便利挪用公款", 1, "2026-11-27", "2027-05-27", 0, "已落实")]


def test_a_reworded_point_in_the_new_form_is_still_found_not_done(archive, make_form):
    """The new form words the point a little otherwise (a comma added): it is the same point, as a 落实情况 row is
    matched to it, and its finding of 未落实 stays — before, a comma made an unfixed problem disappear."""
    from lzdocs.documents.blankform import write_xlsx
    from lzdocs.forms.schema import find_kind, load_kinds
    from tests.conftest import SAMPLE_ROWS

    write_xlsx(find_kind(load_kinds(), "落实情况"), archive / "inbox" / "落实.xlsx", unit="计划财务处",
               date=dt.date(2026, 9, 1), rows=[{"post": "出纳", "risk": "利用职务便利挪用公款", "status": "未落实"}])
    checked = (archive / "inbox" / "落实.xlsx").read_bytes()
    run_cli("-w", archive, "ingest", check=0)
    reworded = [dict(SAMPLE_ROWS[0], risk="利用职务便利，挪用公款"), *SAMPLE_ROWS[1:]]
    new_form = make_form(archive / "inbox" / "计财处新表.xlsx", date=dt.date(2026, 11, 25), rows=reworded)
    inputs = [checked, new_form.read_bytes()]
    run_cli("-w", archive, "ingest", check=0)
    assert review(archive, "--due-within", "200") == [
        entry("计划财务处", "出纳", "利用职务便利，挪用公款", 1, "2026-11-25", "2027-05-25", 0, "未落实")]
    assert_taken_once(archive, inputs)


def test_a_late_check_is_of_the_points_the_unit_had_on_its_day(archive, make_form):
    """A 落实情况 form checked in June 2026, taken in March 2027 after the unit's 2027 risk form: its rows are the 2026
    points (before: matched to the 2027 ones, a 2026 point recorded as none of the unit's, and the 2027 points said
    to be missing from a form that could not know them)."""
    from lzdocs.documents.blankform import write_xlsx
    from lzdocs.forms.schema import find_kind, load_kinds
    from tests.conftest import SAMPLE_ROWS

    march = cli_env(LZDOCS_TODAY="2027-03-20")
    new_rows = [*SAMPLE_ROWS[:2], dict(SAMPLE_ROWS[2], post="科长", risk="违规发放津贴补贴")]
    inputs = [make_form(archive / "inbox" / "计财处2027.xlsx", date=dt.date(2027, 3, 18), rows=new_rows).read_bytes()]
    run_cli("-w", archive, "ingest", check=0, env=march)
    rows = [{"post": r["post"], "risk": r["risk"], "status": "已落实"} for r in SAMPLE_ROWS]
    write_xlsx(find_kind(load_kinds(), "落实情况"), archive / "inbox" / "落实.xlsx", unit="计划财务处",
               date=dt.date(2026, 6, 1), rows=rows)
    inputs.append((archive / "inbox" / "落实.xlsx").read_bytes())
    [taken] = json.loads(run_cli("-w", archive, "ingest", "--json", check=0, env=march).stdout)
    assert not [p["message"] for p in taken["problems"]
                if "没有这一项" in p["message"] or "没有填写" in p["message"]], taken["problems"]
    card = json.loads(run_cli("-w", archive, "unit", "计财处", "--json", check=0, env=march).stdout)
    years = {r["id"]: r["year"] for r in card["risks"]}
    linked = [r["risk_id"] for r in card["reviews"]]
    assert len(linked) == 3 and all(years.get(i, 2026) == 2026 for i in linked) and None not in linked
    assert_taken_once(archive, inputs)


def assert_taken_once(root, inputs: list[bytes]) -> None:
    """Each input — and the 计划财务处 form the workspace began with — once in the archive, 退回/ or the inbox."""
    from lzdocs.workspace import Workspace
    from tests.ingest.invariant import assert_each_input_exactly_once

    first = (root / "outbox" / "2026" / "收文" / "计划财务处" / "计财处.xlsx").read_bytes()
    assert_each_input_exactly_once(Workspace.open(root), [first, *inputs])

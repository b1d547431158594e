"""``lzdocs case add`` and ``case list``: cases linked to risk points, 已发生 in ``risks``, 案例分析, the log."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest
from openpyxl import load_workbook

from tests.conftest import SAMPLE_ROWS, SAMPLE_SCHOOL, run_cli, run_json

SUMMARY = "outbox/2026/登记簿/2026年廉政风险点汇总表.xlsx"
IN_FORCE = {"status": "recorded", "voided": None, "void_reason": None}
CASHIER = {"year": 2026, "seq": "1", "post": "出纳", "risk": "利用职务便利挪用公款", "level": 1}
EMBEZZLEMENT = ["--unit", "计财处", "--post", "出纳岗", "--risk-text", "利用职务之便挪用公款", "--type", "违纪",
                "--handling", "给予党内警告处分，追回款项", "--analysis", "钱账未分管，长期无人盘点",
                "--measures", "钱账分管，每日盘点，每月抽查", "--date", "2026-10-12"]
CAR = ["--unit", "计划财务处", "--post", "司机", "--risk-text", "公车私用", "--type", "违规",
       "--handling", "通报批评", "--analysis", "用车登记流于形式", "--measures", "用车审批，北斗定位"]


def summary_rows(root) -> list[tuple]:
    """The rows of the 汇总表's 汇总 sheet under its heading, as the clerk reads them."""
    return list(load_workbook(root / SUMMARY)["汇总"].iter_rows(min_row=4, values_only=True))


def ingest_forms(root):
    from lzdocs.documents.blankform import write_docx
    from lzdocs.forms.schema import risk_kind

    write_docx(risk_kind(), root / "inbox" / "计财处.docx", unit="计财处", rows=SAMPLE_ROWS, date=dt.date(2026, 11, 10))
    write_docx(risk_kind(), root / "inbox" / "基建处.docx", unit="基建处", rows=SAMPLE_ROWS[1:],
               date=dt.date(2026, 11, 11))
    run_cli("-w", root, "ingest", check=0)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """A workspace with two units' forms, one case matched to a point and one matched to none."""
    root = tmp_path_factory.mktemp("cases") / "工作区"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    ingest_forms(root)
    linked = run_json("-w", root, "case", "add", *EMBEZZLEMENT)
    unlinked = run_cli("-w", root, "case", "add", *CAR, check=0)
    return {"root": root, "linked": linked, "unlinked": unlinked}


def test_a_case_is_linked_to_the_closest_risk_point_of_its_unit(session):
    assert session["linked"] == {
        "id": 1, "unit": "计划财务处", "post": "出纳岗", "risk": "利用职务之便挪用公款", "type": "违纪",
        "handling": "给予党内警告处分，追回款项", "analysis": "钱账未分管，长期无人盘点",
        "measures": "钱账分管，每日盘点，每月抽查", "date": "2026-10-12", "risk_point": {**CASHIER, "score": 90},
        **IN_FORCE, "closest": {**CASHIER, "score": 90}, "threshold": 80, "registers": [SUMMARY]}


def test_a_case_close_to_no_risk_point_is_recorded_unlinked_and_says_why(session):
    proc = session["unlinked"]
    assert proc.stdout.splitlines() == [
        "已登记案例 2：2026-11-28 计划财务处｜司机｜公车私用",
        "未关联风险点：最相近的是 2026 年 出纳｜一级｜利用职务便利挪用公款（相似度 21%），低于设定的 80%",
        f"已更新 {SUMMARY}"]


def test_the_linked_point_is_flagged_occurred_in_risks_json(session):
    risks = run_json("-w", session["root"], "risks", "--year", "2026")
    flags = [(r["unit"], r["post"], r["occurred"]) for r in risks]
    assert run_cli("-w", session["root"], "risks", check=0).stdout.splitlines()[2] == (
        "2026 计划财务处｜出纳｜一级｜利用职务便利挪用公款｜已发生")
    assert flags == [("基建处", "会计", False), ("基建处", "处长", False), ("计划财务处", "出纳", True),
                     ("计划财务处", "会计", False), ("计划财务处", "处长", False)]


def test_case_list_json_for_warning_education(session):
    root = session["root"]
    cases = run_json("-w", root, "case", "list", "--year", "2026")
    assert [(c["id"], c["date"], c["post"], c["risk_point"]) for c in cases] == [
        (1, "2026-10-12", "出纳岗", {**CASHIER, "score": 90}), (2, "2026-11-28", "司机", None)]
    assert cases[1] == {"id": 2, "unit": "计划财务处", "post": "司机", "risk": "公车私用", "type": "违规",
                        "handling": "通报批评", "analysis": "用车登记流于形式", "measures": "用车审批，北斗定位",
                        "date": "2026-11-28", "risk_point": None, **IN_FORCE}
    assert run_json("-w", root, "case", "list", "--year", "2025") == []
    assert run_json("-w", root, "case", "list", "--unit", "基建处") == []
    assert [c["id"] for c in run_json("-w", root, "case", "list", "--unit", "计财处")] == [1, 2]


def test_case_list_for_people(session):
    out = run_cli("-w", session["root"], "case", "list", check=0).stdout
    assert out.splitlines()[:6] == [
        "1. 2026-10-12 计划财务处｜出纳岗｜违纪｜利用职务之便挪用公款",
        "    关联风险点：2026 年 出纳｜一级｜利用职务便利挪用公款（相似度 90%）",
        "    处理情况：给予党内警告处分，追回款项", "    原因分析：钱账未分管，长期无人盘点",
        "    整改措施：钱账分管，每日盘点，每月抽查", "2. 2026-11-28 计划财务处｜司机｜违规｜公车私用"]
    assert out.splitlines()[-1] == "共 2 起案例。"


def test_the_register_has_a_case_sheet_and_marks_the_point_that_occurred(session):
    book = load_workbook(session["root"] / SUMMARY)
    assert book.sheetnames == ["汇总", "统计", "案例分析", "质量"]  # no 历史: nothing was replaced; 质量: 基建处 copies
    sheet = book["案例分析"]
    assert sheet["A1"].value == "内蒙古工业大学2026年违纪违规案例分析"
    assert sheet["A2"].value == ("共 2 起案例，其中 1 起对应已排查的风险点（该风险点标记为已发生）；"
                                 "统计日期：2026年11月28日")
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert rows[0] == ("序号", "日期", "单位", "岗位", "风险内容", "案例类型", "处理情况", "原因分析", "整改措施",
                       "关联风险点", "相似度")
    assert rows[1] == (1, dt.datetime(2026, 10, 12), "计划财务处", "出纳岗", "利用职务之便挪用公款", "违纪",
                       "给予党内警告处分，追回款项", "钱账未分管，长期无人盘点", "钱账分管，每日盘点，每月抽查",
                       "2026 年 出纳｜一级｜利用职务便利挪用公款", "90%")
    assert rows[2][:6] == (2, dt.datetime(2026, 11, 28), "计划财务处", "司机", "公车私用", "违规")
    assert rows[2][9:] == ("未关联", None) and len(rows) == 3
    summary = list(book["汇总"].iter_rows(min_row=3, values_only=True))
    assert summary[0][10] == "案例"  # K, before the unprinted 来源文件
    assert [(r[2], r[10]) for r in summary[1:4]] == [("出纳", "已发生（1 起）"), ("会计", None), ("处长", None)]


def test_every_case_is_in_the_events_log(session):
    with sqlite3.connect(session["root"] / "lzdocs.db") as db:
        rows = db.execute("SELECT action, subject, after FROM events WHERE action = 'case_add' ORDER BY id").fetchall()
    assert [(a, s) for a, s, _ in rows] == [("case_add", "案例1：计划财务处"), ("case_add", "案例2：计划财务处")]
    first = json.loads(rows[0][2])
    assert first["risk_point"] == {**CASHIER, "score": 90} and first["analysis"] == "钱账未分管，长期无人盘点"
    assert json.loads(rows[1][2])["risk_point"] is None


def test_missing_fields_a_future_date_and_an_unknown_unit_are_refused_in_chinese(session):
    root = session["root"]
    missing = run_cli("-w", root, "case", "add", "--unit", "计财处", "--post", " ", "--type", "违纪", check=2)
    assert missing.stderr.startswith("错误：案例缺少：岗位（--post）、风险内容（--risk-text）、处理情况（--handling）、"
                                     "原因分析（--analysis）、整改措施（--measures）；每项都要填写")
    future = run_cli("-w", root, "case", "add", *EMBEZZLEMENT[:-1], "2026-11-29", check=2)
    assert future.stderr.startswith("错误：案例日期2026年11月29日在今天（2026年11月28日）之后")
    unknown = run_cli("-w", root, "case", "add", *CAR[2:], "--unit", "计划财务科", check=2)
    assert unknown.stderr.startswith("错误：单位“计划财务科”不在单位名单中，最接近的是：计划财务处")
    assert len(run_json("-w", root, "case", "list")) == 2  # nothing recorded


def test_the_threshold_is_a_setting(tmp_path):
    root = tmp_path / "工作区"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    toml = root / "lzdocs.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("match_threshold = 80", "match_threshold = 95"),
                    encoding="utf-8")
    ingest_forms(root)
    case = run_json("-w", root, "case", "add", *EMBEZZLEMENT)
    assert case["risk_point"] is None and case["closest"] == {**CASHIER, "score": 90} and case["threshold"] == 95
    assert not any(r["occurred"] for r in run_json("-w", root, "risks"))
    toml.write_text(toml.read_text(encoding="utf-8").replace("match_threshold = 95", "match_threshold = 150"),
                    encoding="utf-8")
    wrong = run_cli("-w", root, "case", "list", check=2)
    assert wrong.stderr.startswith("错误：lzdocs.toml 中 [cases] match_threshold 的值“150”超出范围：应在 1 到 100 之间")


def test_a_unit_without_risk_points_gets_an_unlinked_case(tmp_path):
    root = tmp_path / "工作区"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    proc = run_cli("-w", root, "case", "add", *EMBEZZLEMENT, check=0)
    assert proc.stdout.splitlines()[1] == "未关联风险点：档案库中没有该单位的风险点"
    assert load_workbook(root / SUMMARY)["案例分析"]["A2"].value.startswith("共 1 起案例，其中 0 起对应")
    assert run_json("-w", root, "case", "list", "--year", "2026")[0]["risk_point"] is None


def test_an_archive_of_version_4_gains_the_cases_table(workspace):
    from lzdocs.store import Store
    from lzdocs.store.schema import SCHEMA_VERSION

    with sqlite3.connect(workspace.root / "lzdocs.db") as db:  # an archive from before cases were recorded
        db.execute("CREATE TABLE meta (key VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('schema_version', '4')")
    store = Store.for_workspace(workspace)
    try:
        assert store.schema_version == SCHEMA_VERSION
    finally:
        store.close()
    with sqlite3.connect(workspace.root / "lzdocs.db") as db:
        columns = [r[1] for r in db.execute("PRAGMA table_info(cases)")]
    assert columns == ["id", "unit", "year", "date", "post", "risk_text", "case_type", "handling", "analysis",
                       "measures", "risk_id", "match_score", "created_at", "voided", "void_reason"]


def test_a_case_is_matched_to_the_newest_points_up_to_its_year(tmp_path):
    from lzdocs.documents.blankform import write_docx
    from lzdocs.forms.schema import risk_kind

    root = tmp_path / "工作区"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    for year, risk in ((2024, "私设小金库"), (2025, "利用职务便利挪用公款")):
        write_docx(risk_kind(), root / "inbox" / f"计财处{year}.docx", unit="计财处", date=dt.date(year, 11, 10),
                   rows=[dict(SAMPLE_ROWS[0], risk=risk)])
    run_cli("-w", root, "ingest", check=0)
    case = run_json("-w", root, "case", "add", *EMBEZZLEMENT)  # dated 2026: the 2025 points are the newest
    assert case["risk_point"] == {**CASHIER, "year": 2025, "score": 90}
    assert case["registers"] == ["outbox/2025/登记簿/2025年廉政风险点汇总表.xlsx", SUMMARY]
    summary = list(load_workbook(root / case["registers"][0])["汇总"].iter_rows(min_row=4, values_only=True))
    assert [(r[4], r[10]) for r in summary]  # K: 案例 == [("利用职务便利挪用公款", "已发生（1 起）")]
    # the 2025 book's 案例分析 lists the case its 汇总 counts as 已发生, though it happened in 2026 (before: a 汇总 with
    # a point 已发生 and no case sheet, or one saying 共 1 起 beside two 已发生)
    analysis = load_workbook(root / case["registers"][0])["案例分析"]
    assert analysis["A2"].value.startswith("共 1 起案例（其中 1 起发生在其他年度，对应本年度的风险点），其中 1 起对应")
    listed = [r[1:3] for r in analysis.iter_rows(min_row=4, values_only=True)]
    assert listed == [(dt.datetime(2026, 10, 12), "计划财务处")]
    older = run_json("-w", root, "case", "add", *EMBEZZLEMENT[:-1], "2024-12-01")
    assert older["risk_point"] is None and older["closest"]["year"] == 2024


def test_the_units_card_shows_its_cases_and_the_point_that_occurred(session):
    card = run_json("-w", session["root"], "unit", "计财处")
    assert [(c["id"], c["post"], c["risk_point"] is not None) for c in card["cases"]] == [
        (1, "出纳岗", True), (2, "司机", False)]
    assert [(r["post"], r["occurred"]) for r in card["risks"]] == [("出纳", True), ("会计", False), ("处长", False)]
    text = run_cli("-w", session["root"], "unit", "计财处", check=0).stdout
    assert "复核：0 次；案例：2 件" in text


def test_a_corrected_form_keeps_the_point_that_occurred(tmp_path):
    from lzdocs.documents.blankform import write_docx
    from lzdocs.forms.schema import risk_kind

    root = tmp_path / "工作区"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    ingest_forms(root)
    run_json("-w", root, "case", "add", *EMBEZZLEMENT)
    rows = [dict(SAMPLE_ROWS[0], measures="钱账分管，每日盘点，每周抽查"), *SAMPLE_ROWS[1:]]  # one measure changed
    write_docx(risk_kind(), root / "inbox" / "计财处（更正）.docx", unit="计财处", rows=rows,
               date=dt.date(2026, 11, 20))
    assert run_json("-w", root, "ingest")[0]["supersedes"]
    flags = [(r["post"], r["occurred"]) for r in run_json("-w", root, "risks", "--unit", "计财处")]
    assert flags == [("出纳", True), ("会计", False), ("处长", False)]
    summary = summary_rows(root)
    assert [(r[2], r[10]) for r in summary if r[0] == "计划财务处"] == [
        ("出纳", "已发生（1 起）"), ("会计", None), ("处长", None)]


# --- the same case added twice -------------------------------------------------------------------------------
REPEAT = "错误：计划财务处2026年10月12日的这起案例（违纪｜出纳岗｜利用职务之便挪用公款）已登记为案例 1，没有重复登记"


def test_the_same_case_added_again_is_refused_naming_the_case_on_record(session):
    root = session["root"]
    again = run_cli("-w", root, "case", "add", *EMBEZZLEMENT, check=2)
    assert again.stderr.startswith(REPEAT)
    assert "确是另一起案例时加 --again 再登记；登记错了可用 lzdocs case void 1 --reason 原因 作废" in again.stderr
    # the same case whatever the spaces, full-width forms and the wording of its handling, analysis and measures
    retyped = ["--unit", "计财处", "--post", "出纳　岗", "--risk-text", "利用职务之便挪用公款 ", "--type", "违纪",
               "--handling", "党内警告", "--analysis", "无人盘点", "--measures", "每日盘点", "--date", "2026-10-12"]
    assert run_cli("-w", root, "case", "add", *retyped, check=2).stderr.startswith(REPEAT)
    assert [c["id"] for c in run_json("-w", root, "case", "list")] == [1, 2]
    assert "复核：0 次；案例：2 件" in run_cli("-w", root, "unit", "计财处", check=0).stdout
    summary = summary_rows(root)
    assert (summary[0][2], summary[0][10]) == ("出纳", "已发生（1 起）")


def test_a_second_case_alike_is_recorded_with_again_and_counted_twice(tmp_path):
    root = tmp_path / "工作区"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    ingest_forms(root)
    run_json("-w", root, "case", "add", *EMBEZZLEMENT)
    second = run_json("-w", root, "case", "add", *EMBEZZLEMENT, "--again")
    assert second["id"] == 2 and second["risk_point"] == {**CASHIER, "score": 90}
    third = run_cli("-w", root, "case", "add", *EMBEZZLEMENT, check=2)
    assert third.stderr.startswith(REPEAT.replace("案例 1", "案例 1、2"))
    other_day = run_json("-w", root, "case", "add", *EMBEZZLEMENT[:-1], "2026-10-13")  # another day: another case
    assert other_day["id"] == 3
    summary = summary_rows(root)
    assert (summary[0][2], summary[0][10]) == ("出纳", "已发生（3 起）")


@pytest.mark.slow  # a real process killed or signalled (the quick loop leaves those out)
def test_two_clerks_adding_the_same_case_at_once_record_it_once(tmp_path):
    import subprocess
    import sys

    from tests.conftest import cli_env

    root = tmp_path / "工作区"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    ingest_forms(root)
    command = [sys.executable, "-m", "lzdocs", "-w", str(root), "case", "add", *EMBEZZLEMENT]
    procs = [subprocess.Popen(command, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              encoding="utf-8") for _ in range(2)]
    results = sorted((p.wait(timeout=120), p.stderr.read()) for p in procs)
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert [code for code, _ in results] == [0, 2]
    assert results[1][1].startswith(REPEAT)
    assert len(run_json("-w", root, "case", "list")) == 1


# --- 作废 of a case recorded by mistake ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def voided(tmp_path_factory):
    """The session's two cases and the first one entered again by mistake (``--again``: case 3), then voided."""
    root = tmp_path_factory.mktemp("voided") / "工作区"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    ingest_forms(root)
    run_json("-w", root, "case", "add", *EMBEZZLEMENT)
    run_json("-w", root, "case", "add", *CAR)
    run_json("-w", root, "case", "add", *EMBEZZLEMENT, "--again")
    before = summary_rows(root)[0][10]
    proc = run_cli("-w", root, "case", "void", "3", "--reason", "重复 登记", check=0)
    return {"root": root, "before": before, "proc": proc}


def test_voiding_a_case_says_what_was_voided_and_rewrites_the_register(voided):
    assert voided["proc"].stdout.splitlines() == [
        "已作废案例 3：2026-10-12 计划财务处｜出纳岗｜利用职务之便挪用公款，原因：重复 登记，作废日期 2026年11月28日",
        "该案例保留在案例登记中，不再计入统计，关联的风险点不再因它标记为“已发生”", f"已更新 {SUMMARY}"]


def test_a_voided_case_stays_listed_as_void(voided):
    root = voided["root"]
    cases = run_json("-w", root, "case", "list")
    assert [(c["id"], c["status"], c["voided"], c["void_reason"]) for c in cases] == [
        (1, "recorded", None, None), (3, "void", "2026-11-28", "重复 登记"), (2, "recorded", None, None)]
    assert cases[1]["risk_point"] == {**CASHIER, "score": 90} and cases[1]["handling"] == "给予党内警告处分，追回款项"
    lines = run_cli("-w", root, "case", "list", check=0).stdout.splitlines()
    assert lines[5:11] == ["3. 2026-10-12 计划财务处｜出纳岗｜违纪｜利用职务之便挪用公款（已作废）",
                           "    关联风险点：2026 年 出纳｜一级｜利用职务便利挪用公款（相似度 90%）",
                           "    处理情况：给予党内警告处分，追回款项", "    原因分析：钱账未分管，长期无人盘点",
                           "    整改措施：钱账分管，每日盘点，每月抽查",
                           "    已作废：2026年11月28日，重复 登记（不计入统计）"]
    assert lines[-1] == "共 2 起案例（另有已作废 1 起，不计入统计）。"


def test_a_voided_case_is_counted_nowhere(voided):
    from lzdocs.documents.summary import year_summary
    from lzdocs.store import Store

    root = voided["root"]
    assert voided["before"] == "已发生（2 起）"
    book = load_workbook(root / SUMMARY)
    assert list(book["汇总"].iter_rows(min_row=4, max_row=4, values_only=True))[0][10] == "已发生（1 起）"
    assert book["案例分析"]["A2"].value.startswith("共 2 起案例，其中 1 起对应已排查的风险点")
    assert [r[0] for r in book["案例分析"].iter_rows(min_row=4, values_only=True)] == [1, 2]
    card = run_json("-w", root, "unit", "计财处")
    assert [c["id"] for c in card["cases"]] == [1, 2]
    assert "复核：0 次；案例：2 件" in run_cli("-w", root, "unit", "计财处", check=0).stdout
    with Store(f"sqlite:///{(root / 'lzdocs.db').as_posix()}") as store, store.read() as conn:
        s = year_summary(conn, 2026, dt.date(2026, 11, 28), roster=["计划财务处"], deadline=None, threshold=0.5)
    assert (s.cases, s.cases_linked) == (2, 1)


def test_voiding_a_linked_case_takes_back_the_point_that_occurred(tmp_path):
    root = tmp_path / "工作区"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    ingest_forms(root)
    run_json("-w", root, "case", "add", *EMBEZZLEMENT)
    voided = run_json("-w", root, "case", "void", "1", "--reason", "单位写错")
    assert (voided["status"], voided["voided"], voided["registers"]) == ("void", "2026-11-28", [SUMMARY])
    assert not any(r["occurred"] for r in run_json("-w", root, "risks"))
    assert "案例分析" not in load_workbook(root / SUMMARY).sheetnames
    again = run_json("-w", root, "case", "add", *EMBEZZLEMENT)  # a voided case is not on record: no repeat
    assert again["id"] == 2 and any(r["occurred"] for r in run_json("-w", root, "risks"))


def test_the_void_is_in_the_events_log(voided):
    with sqlite3.connect(voided["root"] / "lzdocs.db") as db:
        rows = db.execute("SELECT subject, before, after FROM events WHERE action = 'case_void'").fetchall()
        kept = db.execute("SELECT id, voided, void_reason FROM cases ORDER BY id").fetchall()
    assert [(s, json.loads(b), json.loads(a)) for s, b, a in rows] == [
        ("案例3：计划财务处", {"status": "recorded"},
         {"status": "void", "reason": "重复 登记", "voided": "2026-11-28"})]
    assert kept == [(1, None, None), (2, None, None), (3, "2026-11-28", "重复 登记")]


def test_voiding_twice_an_unknown_case_or_without_a_reason_is_refused_in_chinese(voided):
    root = voided["root"]
    twice = run_cli("-w", root, "case", "void", "3", "--reason", "又一次", check=2)
    assert twice.stderr.startswith("错误：案例 3 已于2026年11月28日作废（重复 登记），不能再作废")
    unknown = run_cli("-w", root, "case", "void", "9", "--reason", "误登", check=2)
    assert unknown.stderr.startswith("错误：没有编号为 9 的案例；用 lzdocs case list 查看案例编号")
    word = run_cli("-w", root, "case", "void", "第一起", "--reason", "误登", check=2)
    assert word.stderr.startswith("错误：案例编号“第一起”不是数字")
    blank = run_cli("-w", root, "case", "void", "2", "--reason", " ", check=2)
    assert blank.stderr.startswith("错误：作废案例须写明原因")
    assert [c["status"] for c in run_json("-w", root, "case", "list")] == ["recorded", "void", "recorded"]
    repeat = run_cli("-w", root, "case", "add", *EMBEZZLEMENT, check=2)  # case 1 in force; case 3 void
    assert repeat.stderr.startswith(REPEAT)


def test_no_case_added_or_voided_in_a_closed_year(tmp_path):
    from lzdocs.store import Store
    from lzdocs.store.years import close_year

    root = tmp_path / "工作区"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    run_json("-w", root, "case", "add", *EMBEZZLEMENT)
    with Store(f"sqlite:///{(root / 'lzdocs.db').as_posix()}") as store, store.begin() as conn:
        close_year(conn, 2026, at=dt.datetime(2026, 11, 28, 9, 30), package="D:/归档/2026", items=3,
                   manifest_sha256="0" * 64)
    refused = "错误：2026 年度已于 2026-11-28 09:30 归档（归档文件在 D:/归档/2026），该年度的收文和文书不能再增加或改动"
    assert run_cli("-w", root, "case", "void", "1", "--reason", "误登", check=2).stderr.startswith(refused)
    assert run_cli("-w", root, "case", "add", *CAR, check=2).stderr.startswith(refused)
    assert [(c["id"], c["status"]) for c in run_json("-w", root, "case", "list")] == [(1, "recorded")]
    older = run_json("-w", root, "case", "add", *EMBEZZLEMENT[:-1], "2025-12-01")  # 2025 is open
    assert run_json("-w", root, "case", "void", str(older["id"]), "--reason", "误登")["status"] == "void"


# --- the risk point named by the clerk ---------------------------------------------------------------------------
def point_ids(root, unit):
    """(post, id) of the unit's current points, the id as ``lzdocs unit`` shows it."""
    return {r["post"]: r["id"] for r in run_json("-w", root, "unit", unit)["risks"]}


def test_the_clerk_names_the_risk_point_of_a_case(tmp_path):
    root = tmp_path / "工作区"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    ingest_forms(root)
    chief = point_ids(root, "计财处")["处长"]
    assert f"[{chief}] 2026年 处长：" in run_cli("-w", root, "unit", "计财处", check=0).stdout  # what the clerk sees
    proc = run_cli("-w", root, "case", "add", *CAR, "--risk", str(chief), check=0)
    assert proc.stdout.splitlines()[1] == "关联风险点：2026 年 处长｜三级｜违规审批资金（经办人指定），已标记为“已发生”"
    case = run_json("-w", root, "case", "list")[0]
    assert case["risk_point"] == {"year": 2026, "seq": "3", "post": "处长", "risk": "违规审批资金", "level": 3,
                                  "score": None}
    assert [(r["post"], r["occurred"]) for r in run_json("-w", root, "risks", "--unit", "计财处")] == [
        ("出纳", False), ("会计", False), ("处长", True)]
    assert run_cli("-w", root, "case", "list", check=0).stdout.splitlines()[1] == (
        "    关联风险点：2026 年 处长｜三级｜违规审批资金（经办人指定）")
    sheet = list(load_workbook(root / SUMMARY)["案例分析"].iter_rows(min_row=4, values_only=True))
    assert sheet[0][9:] == ("2026 年 处长｜三级｜违规审批资金", "指定")


def test_a_named_point_must_be_a_current_point_of_the_unit(tmp_path):
    from lzdocs.documents.blankform import write_docx
    from lzdocs.forms.schema import risk_kind

    root = tmp_path / "工作区"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    ingest_forms(root)
    old_cashier, other_unit = point_ids(root, "计财处")["出纳"], point_ids(root, "基建处")["会计"]
    write_docx(risk_kind(), root / "inbox" / "计财处（更正）.docx", unit="计财处", date=dt.date(2026, 11, 20),
               rows=[dict(SAMPLE_ROWS[0], measures="钱账分管，每日盘点，每周抽查"), *SAMPLE_ROWS[1:]])
    assert run_json("-w", root, "ingest")[0]["supersedes"]
    hint = "用 lzdocs unit 计划财务处 查看该单位现行风险点的编号（方括号中的数字）"
    for risk, message in ((other_unit, f"风险点 {other_unit} 是基建处的风险点，不是计划财务处的"),
                          (old_cashier, f"风险点 {old_cashier} 所在的计划财务处2026年风险点表已被后来报送的表取代，"
                                        "不是现行的风险点"),
                          (999, "没有编号为 999 的风险点")):
        refused = run_cli("-w", root, "case", "add", *EMBEZZLEMENT, "--risk", str(risk), check=2)
        assert refused.stderr.startswith(f"错误：{message}") and hint in refused.stderr, risk
    word = run_cli("-w", root, "case", "add", *EMBEZZLEMENT, "--risk", "出纳", check=2)
    assert word.stderr.startswith("错误：风险点编号“出纳”不是数字；"
                                  "编号见 lzdocs unit 单位（方括号中的数字），如 --risk 12")
    assert run_json("-w", root, "case", "list") == []  # nothing recorded
    current = point_ids(root, "计财处")["出纳"]
    assert run_json("-w", root, "case", "add", *EMBEZZLEMENT, "--risk", f"[{current}]")["risk_point"]["score"] is None

"""Every warning followed to its end: a warning through every state with overdue at each step as the
days pass (LZDOCS_TODAY), the 预警处置台账 and ``status`` on each day, 批评教育 recorded, talks, risk links."""

from __future__ import annotations

import json
import sqlite3

import docx
import pytest
from openpyxl import load_workbook

from lzdocs.store.schema import SCHEMA_VERSION
from tests.conftest import SAMPLE_SCHOOL, cli_env, copy_of, make_form_file, run_cli

SUGGESTION = ["--set", "事由=在2026年度廉政风险防控工作检查中", "--set", "问题=采购程序不规范",
              "--set", "建议=完善采购制度"]
NUMBER = "内工大纪建〔2026〕1号"


def on(day: str, root, *args, check=0):
    """``lzdocs`` run on ``day`` (LZDOCS_TODAY) in workspace ``root``."""
    return run_cli("-w", root, *args, env=cli_env(LZDOCS_TODAY=day), check=check)


def json_on(day: str, root, *args):
    return json.loads(on(day, root, *args, "--json").stdout)


def ledger(root, year=2026) -> dict[str, dict]:
    """The 预警处置台账 rows by 文号: header → cell value, as a clerk reads them."""
    sheet = load_workbook(root / "outbox" / str(year) / "登记簿" / "预警处置台账.xlsx")["预警处置台账"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    header = rows[0]
    return {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:] if r[0]}


def follow_cells(row: dict) -> dict:
    keys = ("核查日期", "核查人", "核查结果", "办结日期", "处置状态", "逾期环节")
    out = {k: row[k] for k in keys}
    for k in ("核查日期", "办结日期"):
        out[k] = out[k].date().isoformat() if out[k] else None
    return out


def overdue_steps(root, day: str) -> list[tuple]:
    status = json_on(day, root, "status")
    return [(o["number"], o["step"], o["due"], o["days_overdue"]) for o in status["follow_up"]]


def card_warning(root, day: str, unit="计财处", number=NUMBER) -> dict:
    card = json_on(day, root, "unit", unit)
    return next(w for w in card["warnings"] if w["number"] == number)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A workspace whose 计划财务处 sent the sample form on 2026-11-20."""
    base = tmp_path_factory.mktemp("follow_up")
    root = base / "工作区"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    form = make_form_file(base / "计财处.xlsx")
    on("2026-11-20", root, "ingest", form)
    return base


@pytest.fixture
def root(built, tmp_path):
    """That workspace, a copy of its own for each test."""
    return copy_of(built, tmp_path) / "工作区"


def risk_ids(root) -> dict[str, int]:
    card = json_on("2026-11-28", root, "unit", "计财处")
    return {r["risk"]: r["id"] for r in card["risks"]}


def test_a_suggestion_goes_through_every_state_with_overdue_at_each_step(root):
    on("2026-11-28", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION, "--risk", "挪用公款",
       "--date", "2026-11-28")
    ids = risk_ids(root)
    w = card_warning(root, "2026-11-28")
    assert {k: w[k] for k in ("number", "kind", "state", "issued", "reply_due", "replied", "checked", "closed")} == {
        "number": NUMBER, "kind": "suggestion", "state": "issued", "issued": "2026-11-28", "reply_due": "2026-12-28",
        "replied": None, "checked": None, "closed": None}
    assert w["risks"] == [ids["利用职务便利挪用公款"]] and w["overdue"] is None

    # step 1 → 2: the reply is due on 2026-12-28; overdue from the day after
    assert overdue_steps(root, "2026-12-28") == []
    assert overdue_steps(root, "2026-12-29") == [(NUMBER, "reply", "2026-12-28", 1)]
    on("2026-12-29", root, "register", "--year", "2026")
    assert follow_cells(ledger(root)[NUMBER]) == {"核查日期": None, "核查人": None, "核查结果": None, "办结日期": None,
                                                  "处置状态": "已发出", "逾期环节": "回复/谈话逾期 1 天"}
    on("2027-01-05", root, "reply", NUMBER, "--date", "2027-01-05")
    assert card_warning(root, "2027-01-05")["state"] == "replied"

    # step 2 → 3: the check is due 30 days after the reply ([follow_up] check_days)
    assert overdue_steps(root, "2027-02-04") == []
    assert overdue_steps(root, "2027-02-05") == [(NUMBER, "check", "2027-02-04", 1)]
    on("2027-02-05", root, "register", "--year", "2026")
    assert follow_cells(ledger(root)[NUMBER])["处置状态"] == "已回复"
    assert follow_cells(ledger(root)[NUMBER])["逾期环节"] == "整改核查逾期 1 天"
    subtitle = load_workbook(root / "outbox" / "2026" / "登记簿" / "预警处置台账.xlsx")["预警处置台账"]["A2"].value
    assert subtitle == "共 1 件，已逾期未回复 0 件，整改核查、办结逾期 1 件；统计日期：2027年2月5日"
    on("2027-02-05", root, "follow-up", NUMBER, "--result", "未整改", "--by", "张某", "--date", "2027-02-05")
    refused = on("2027-02-06", root, "follow-up", NUMBER, "--close", check=2)
    assert "核查结果为未整改，不能办结" in refused.stderr
    # not rectified: checked again check_days later
    assert overdue_steps(root, "2027-03-07") == []
    assert overdue_steps(root, "2027-03-08") == [(NUMBER, "check", "2027-03-07", 1)]
    result = json_on("2027-03-08", root, "follow-up", NUMBER, "--result", "已整改", "--by", "李某")
    assert (result["state"], result["checked"], result["checked_by"], result["result"]) == (
        "checked", "2027-03-08", "李某", "已整改")

    # step 3 → 4: closing is due 15 days after a check that found it rectified ([follow_up] close_days)
    assert overdue_steps(root, "2027-03-23") == []
    assert overdue_steps(root, "2027-03-24") == [(NUMBER, "close", "2027-03-23", 1)]
    on("2027-03-24", root, "register", "--year", "2026")
    assert follow_cells(ledger(root)[NUMBER]) == {
        "核查日期": "2027-03-08", "核查人": "李某", "核查结果": "已整改", "办结日期": None,
        "处置状态": "整改已核查（已整改）", "逾期环节": "办结逾期 1 天"}
    on("2027-03-24", root, "follow-up", NUMBER, "--close")
    assert overdue_steps(root, "2028-01-01") == []
    w = card_warning(root, "2028-01-01")
    assert {k: w[k] for k in ("state", "issued", "reply_due", "replied", "checked", "closed", "result")} == {
        "state": "closed", "issued": "2026-11-28", "reply_due": "2026-12-28", "replied": "2027-01-05",
        "checked": "2027-03-08", "closed": "2027-03-24", "result": "已整改"}
    row = ledger(root)[NUMBER]
    assert follow_cells(row) == {"核查日期": "2027-03-08", "核查人": "李某", "核查结果": "已整改",
                                 "办结日期": "2027-03-24", "处置状态": "已办结", "逾期环节": None}
    assert row["状态"] == "已回复" and row["备注"] == "逾期 8 天后回复"
    refused = on("2027-03-25", root, "follow-up", NUMBER, "--result", "已整改", "--by", "李某", check=2)
    assert "已于2027年3月24日办结" in refused.stderr

    # every record and change is in the append-only events log, in order
    with sqlite3.connect(root / "lzdocs.db") as db:
        events = db.execute("SELECT action, after FROM events WHERE subject = ? ORDER BY id", (NUMBER,)).fetchall()
    assert [e[0] for e in events] == ["issue", "link", "reply", "check", "check", "close"]
    assert json.loads(events[4][1]) == {"checked": "2027-03-08", "checked_by": "李某", "result": "已整改"}


def test_status_text_names_the_step_that_is_overdue(root):
    on("2026-11-28", root, "letter", "rectify", "--unit", "计财处", "--set", "事由=在检查中", "--set", "问题=账目不清",
       "--set", "整改要求=建立台账")
    text = on("2027-01-10", root, "status").stdout
    assert "逾期未回复的文书（1 件）" in text and "整改核查、办结逾期" not in text
    on("2027-01-10", root, "reply", "内工大纪改〔2026〕1号")
    text = on("2027-02-12", root, "status").stdout
    assert "没有逾期未回复的文书。" in text and "整改核查、办结逾期的预警处置（1 件）" in text
    line = next(t for t in text.splitlines() if "内工大纪改〔2026〕1号" in t)
    assert line.split() == ["内工大纪改〔2026〕1号", "计划财务处", "责令检查整改通知书", "已回复", "整改核查",
                            "2027-02-09", "3"]
    on("2027-02-12", root, "void", "内工大纪改〔2026〕1号", "--reason", "发错单位")
    assert json_on("2027-02-12", root, "status")["follow_up"] == []  # a voided warning is not followed


def test_a_criticism_is_recorded_without_a_letter_and_followed(root):
    ids = risk_ids(root)
    result = json_on("2026-11-28", root, "warn", "批评教育", "--unit", "计财处", "--to", "王磊",
                     "--set", "事由=在检查中发现报销审核不严", "--risk", str(ids["审核不严，违规报销"]))
    assert result == {"number": "内工大纪批〔2026〕1号", "kind": "criticism", "unit": "计划财务处", "person": "王磊",
                      "issued": "2026-11-28", "risks": [ids["审核不严，违规报销"]]}
    assert not (root / "outbox" / "2026" / "批评教育").exists()
    sheet = load_workbook(root / "outbox" / "2026" / "登记簿" / "发文登记簿.xlsx")["发文登记簿"]
    row = [c.value for c in sheet[3]]
    assert row[2:8] == ["内工大纪批〔2026〕1号", "批评教育", "计划财务处", "批评教育", 1, "有效"]
    assert row[8] == "在检查中发现报销审核不严；对象：王磊" and row[9] is None  # 备注; no file
    row = ledger(root)["内工大纪批〔2026〕1号"]
    # held as recorded, and called so in both columns (before: 已谈话 in one, 已回复 in the other)
    assert (row["文种"], row["状态"], row["处置状态"], row["逾期环节"]) == ("批评教育", "已批评教育", "已批评教育",
                                                                   None)
    # given in person: the check is the first step left, due check_days after
    assert overdue_steps(root, "2026-12-29") == [("内工大纪批〔2026〕1号", "check", "2026-12-28", 1)]
    on("2026-12-29", root, "follow-up", "内工大纪批〔2026〕1号", "--result", "已整改", "--by", "张某", "--close")
    w = card_warning(root, "2026-12-29", number="内工大纪批〔2026〕1号")
    assert (w["state"], w["replied"], w["checked"], w["closed"]) == ("closed", "2026-11-28", "2026-12-29",
                                                                      "2026-12-29")
    card = json_on("2026-12-29", root, "unit", "计财处")
    assert [r["warnings"] for r in card["risks"]] == [[], ["内工大纪批〔2026〕1号"], []]
    assert card["reviews"] == [] and card["cases"] == []
    # voided once its handling was recorded to the end: done, but said — it leaves the counts
    voided = on("2026-12-30", root, "void", "内工大纪批〔2026〕1号", "--reason", "误操作")
    assert ("提醒：这份文书的预警处置已登记整改核查（已整改）、办结；作废后它不再计入"
            "预警处置台账的统计和年度总结") in voided.stderr  # (its step 2, recorded with it, is no news)


def test_a_criticism_needs_its_cause_and_is_not_a_letter(root):
    missing = on("2026-11-28", root, "warn", "批评教育", "--unit", "计财处", check=2)
    assert "批评教育缺少必填字段：事由" in missing.stderr
    assert "请用 lzdocs letter" in on("2026-11-28", root, "warn", "谈话提醒", "--unit", "计财处", check=2).stderr
    number = json_on("2026-11-28", root, "warn", "批评教育", "--unit", "计财处", "--set", "事由=误登")["number"]
    assert json_on("2026-11-28", root, "void", number, "--reason", "误登")["warnings"] == []  # nothing done since


def test_a_talk_is_due_on_its_day_and_held_with_a_reply(root):
    on("2026-11-28", root, "letter", "talk", "--unit", "计财处", "--to", "王磊", "--set", "事由=在检查中",
       "--set", "谈话时间=2026-12-08 09:30", "--set", "谈话地点=纪委办公室", "--set", "谈话人=纪委副书记")
    number = "内工大纪谈〔2026〕1号"
    assert overdue_steps(root, "2026-12-08") == []
    assert overdue_steps(root, "2026-12-09") == [(number, "reply", "2026-12-08", 1)]
    on("2026-12-09", root, "reply", number, "--date", "2026-12-08")
    w = card_warning(root, "2026-12-09", number=number)
    assert (w["state"], w["state_name"], w["reply_due"], w["replied"]) == ("replied", "已谈话", "2026-12-08",
                                                                            "2026-12-08")
    held_late = on("2026-12-10", root, "reply", number, "--date", "2026-12-09", "--correct").stdout
    assert "注意：谈话晚于通知的谈话时间（2026年12月8日）" in held_late  # not 超过了回复期限（2026-12-08）


def test_a_follow_up_is_refused_before_the_reply_and_without_who_checked(root):
    on("2026-11-28", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION)
    early = on("2026-12-01", root, "follow-up", NUMBER, "--result", "已整改", "--by", "张某", check=2)
    assert "还没有登记回复，不能核查整改" in early.stderr
    on("2026-12-01", root, "reply", NUMBER)
    nobody = on("2026-12-02", root, "follow-up", NUMBER, "--result", "已整改", check=2)
    assert "请写明核查人" in nobody.stderr
    assert "没有找到" not in on("2026-12-02", root, "follow-up", NUMBER, "--risk", "违规审批").stderr
    assert card_warning(root, "2026-12-02")["risks"] == [risk_ids(root)["违规审批资金"]]
    unknown = on("2026-12-02", root, "follow-up", NUMBER, "--risk", "食堂采购", check=2)
    assert "“食堂采购”没有对应计划财务处的风险点" in unknown.stderr
    urge = on("2026-12-02", root, "follow-up", "内工大纪催〔2026〕1号", "--result", "已整改", "--by", "张某", check=2)
    assert "预警处置台账中没有文号" in urge.stderr


def test_a_check_dated_before_the_one_recorded_is_refused_unless_it_corrects_it(root):
    """未整改 found on 12-09, then 已整改 typed as of 12-05: that would put an impossible order in the ledger and
    lose the 12-09 finding; refused, naming the check recorded. --correct replaces a check entered wrongly."""
    on("2026-11-28", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION)
    on("2026-12-03", root, "reply", NUMBER)
    on("2026-12-10", root, "follow-up", NUMBER, "--result", "未整改", "--by", "张某", "--date", "2026-12-09")
    earlier = on("2026-12-10", root, "follow-up", NUMBER, "--result", "已整改", "--by", "李某", "--date", "2026-12-05",
                 check=2)
    assert "核查日期 2026年12月5日 早于已登记的核查（2026年12月9日，未整改，核查人 张某）" in earlier.stderr
    assert "--correct" in earlier.stderr
    assert follow_cells(ledger(root)[NUMBER])["核查结果"] == "未整改"
    on("2026-12-10", root, "follow-up", NUMBER, "--result", "已整改", "--by", "李某", "--date", "2026-12-05",
       "--correct")
    cells = follow_cells(ledger(root)[NUMBER])
    assert (cells["核查结果"], cells["核查人"]) == ("已整改", "李某")
    on("2026-12-20", root, "follow-up", NUMBER, "--result", "已整改", "--by", "王某", "--date", "2026-12-20")


def test_the_meeting_notice_is_a_letter_of_its_own_kind(root):
    result = json_on("2026-11-28", root, "letter", "关于责成召开专题民主生活会的通知", "--unit", "基建处",
                     "--set", "事由=在专项巡察中", "--set", "问题=班子议事不规范", "--set", "问题=民主集中制执行不到位",
                     "--set", "要求=深刻剖析问题根源", "--set", "要求=逐条制定整改措施")
    assert result["number"] == "内工大纪会〔2026〕1号" and result["reply_due"] == "2026-12-28"
    assert result["files"] == ["outbox/2026/关于责成召开专题民主生活会的通知/内工大纪会〔2026〕1号-基建处.docx"]
    text = [p.text for p in docx.Document(root / result["files"][0]).paragraphs if p.text.strip()]
    assert text[:8] == ["内工大纪会〔2026〕1号", "关于责成召开专题民主生活会的通知", "基建处：",
                        "在专项巡察中，发现你单位领导班子存在以下问题：", "1．班子议事不规范；",
                        "2．民主集中制执行不到位。",
                        "根据廉政风险防控工作有关规定，经研究，责成你单位领导班子召开专题民主生活会，深入查摆问题，"
                        "认真开展批评和自我批评，并提出以下要求：", "1．深刻剖析问题根源；"]
    assert text[9] == ("请于2026年12月28日前召开专题民主生活会，会前将会议方案报我委，我委将派员列席；"
                       "会后10个工作日内将会议记录、班子成员对照检查材料和整改方案报送我委。")
    assert text[10:] == ["中共内蒙古工业大学纪律检查委员会", "2026年11月28日"]
    row = ledger(root)["内工大纪会〔2026〕1号"]
    assert (row["文种"], row["回复期限"].date().isoformat(), row["处置状态"]) == (
        "关于责成召开专题民主生活会的通知", "2026-12-28", "已发出")


def test_an_archive_of_schema_3_gains_the_follow_up_and_its_letters_are_followed(root):
    on("2026-11-28", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION)
    on("2026-11-28", root, "letter", "talk", "--unit", "计财处", "--to", "王磊", "--set", "事由=在检查中",
       "--set", "谈话时间=2026-12-08 09:30", "--set", "谈话地点=纪委办公室", "--set", "谈话人=纪委副书记")
    with sqlite3.connect(root / "lzdocs.db") as db:  # what an archive of main's schema 3 looks like
        db.execute("DELETE FROM warnings WHERE kind = 'talk'")  # talks were not in the 预警处置台账
        for column in ("checked", "checked_by", "check_result", "closed"):
            db.execute(f"ALTER TABLE warnings DROP COLUMN {column}")
        db.execute("DROP TABLE warning_risks")
        db.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    assert card_warning(root, "2026-12-01")["state"] == "issued"
    talk = card_warning(root, "2026-12-01", number="内工大纪谈〔2026〕1号")
    assert (talk["state"], talk["issued"], talk["reply_due"]) == ("issued", "2026-11-28", None)
    on("2026-12-08", root, "reply", "内工大纪谈〔2026〕1号")
    assert card_warning(root, "2026-12-08", number="内工大纪谈〔2026〕1号")["state_name"] == "已谈话"
    on("2026-12-01", root, "reply", NUMBER)
    on("2026-12-02", root, "follow-up", NUMBER, "--result", "已整改", "--by", "张某", "--risk", "出纳", "--close")
    w = card_warning(root, "2026-12-02")
    assert (w["state"], w["checked"], w["closed"], w["risks"]) == ("closed", "2026-12-02", "2026-12-02",
                                                                    [risk_ids(root)["利用职务便利挪用公款"]])
    with sqlite3.connect(root / "lzdocs.db") as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)


def test_the_deadlines_are_settings_and_a_bad_one_is_refused(root):
    on("2026-11-28", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION)
    on("2026-11-28", root, "reply", NUMBER)
    config = root / "lzdocs.toml"
    text = config.read_text(encoding="utf-8")
    assert "check_days = 30          # 回复（谈话）后核查整改情况的期限" in text
    config.write_text(text.replace("check_days = 30", "check_days = 10"), encoding="utf-8")
    assert overdue_steps(root, "2026-12-09") == [(NUMBER, "check", "2026-12-08", 1)]
    config.write_text(text.replace("check_days = 30", "check_days = 0"), encoding="utf-8")
    refused = on("2026-12-09", root, "status", check=2)
    assert "lzdocs.toml 中 [follow_up] check_days 的值“0”不对" in refused.stderr


def test_a_voided_criticism_has_no_file_to_miss(root):
    on("2026-11-28", root, "warn", "批评教育", "--unit", "计财处", "--set", "事由=在检查中")
    voided = on("2026-11-28", root, "void", "内工大纪批〔2026〕1号", "--reason", "登记错误")
    assert "没有找到" not in voided.stderr and "已作废：内工大纪批〔2026〕1号（批评教育，计划财务处）" in voided.stdout
    assert overdue_steps(root, "2027-06-01") == []

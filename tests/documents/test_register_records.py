"""What the registers say about letters, urges and superseded forms agrees with what happened — found by walking a
clerk's year through the commands and reading each register after each step."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from lzdocs import Office
from lzdocs.documents.letters import Talk
from lzdocs.documents.registers import register_paths
from tests.conftest import SAMPLE_ROWS
from tests.ingest.invariant import assert_each_input_exactly_once

pytestmark = pytest.mark.both_backends  # the archive on SQLite and on PostgreSQL

DAY = dt.date(2026, 11, 28)
TALK = {"对象": "资产处副处长", "事由": "在资产清查中发现处置不规范", "谈话时间": "2026年12月1日上午9:00",
        "谈话地点": "行政楼301会议室", "谈话人": "纪委副书记王某某"}
SUGGESTION = {"事由": "在2026年度检查中", "问题": "采购程序不规范", "建议": "完善采购制度"}


def sheet_rows(path, sheet: str, header_row: int) -> tuple[list, list[dict]]:
    """The lines above the header, and the rows under it as dicts."""
    rows = list(load_workbook(path)[sheet].iter_rows(values_only=True))
    header = rows[header_row - 1]
    return rows[:header_row - 1], [dict(zip(header, r)) for r in rows[header_row:] if any(v is not None for v in r)]


def test_the_ledger_counts_no_voided_letter_as_the_summary_does_and_keeps_a_late_talk_late(workspace):
    with Office(workspace.root, today=DAY) as office:
        talk = office.letter("talk", "资产处", TALK)
        void = office.letter("suggestion", "计财处", SUGGESTION)
        office.void(str(void.number), "主送单位写错")
    with Office(workspace.root, today=dt.date(2026, 12, 3)) as office:  # held two days after 12月1日
        assert office.reply(str(talk.number), dt.date(2026, 12, 3), talk=Talk("纪委办公室", "王某某"))["late"]
        summary = office.summary(2026)

    top, rows = sheet_rows(register_paths(workspace, 2026)["warnings"], "预警处置台账", 3)
    assert top[1][0].startswith("共 1 件（另有作废 1 件），已逾期未回复 0 件")
    assert summary.numbers.warnings.total == 1
    [held] = [r for r in rows if r["文号"] == str(talk.number)]
    assert (held["状态"], held["回复日期"].date()) == ("已谈话", dt.date(2026, 12, 3))
    assert "逾期 2 天后谈话" in held["备注"]


def test_a_reminder_is_registered_by_its_own_title_and_the_status_register_follows_an_urge(workspace, make_form):
    inputs = [make_form(workspace.inbox / "计财处.docx").read_bytes()]
    with Office(workspace.root, today=dt.date(2026, 11, 10)) as office:
        office.ingest()
        office.urge(reminder=True)  # before the deadline (11月16日): 报送提醒
    with Office(workspace.root, today=dt.date(2026, 11, 20)) as office:
        office.urge()  # after it: 催报通知

    _, docs = sheet_rows(register_paths(workspace, 2026)["documents"], "发文登记簿", 2)
    titles = {(r["标题"], r["文种"]) for r in docs}
    assert titles == {("报送提醒", "催报通知"), ("催报通知", "催报通知")}
    assert sum(r["标题"] == "报送提醒" for r in docs) == sum(r["标题"] == "催报通知" for r in docs) == 12
    top, _ = sheet_rows(register_paths(workspace, 2026)["status"], "报送情况", 3)
    assert "统计日期：2026年11月20日" in top[1][0]  # brought to the day of the urge
    assert_each_input_exactly_once(workspace, inputs)


def test_a_form_that_went_straight_to_history_was_replaced_when_it_came(workspace, make_form):
    inputs = [make_form(workspace.inbox / "新表.docx", rows=SAMPLE_ROWS[:1], date=dt.date(2026, 11, 20)).read_bytes()]
    with Office(workspace.root, today=dt.date(2026, 11, 21)) as office:
        office.ingest()
    inputs.append(make_form(workspace.inbox / "旧表.docx", date=dt.date(2026, 11, 1)).read_bytes())  # filled earlier
    with Office(workspace.root, today=dt.date(2026, 11, 24)) as office:
        office.ingest()

    _, history = sheet_rows(register_paths(workspace, 2026)["risks"], "历史", 3)
    assert len(history) == 3
    for row in history:
        assert row["替换时间"] == row["收取时间"] and row["替换时间"].date() == dt.date(2026, 11, 24)
    assert_each_input_exactly_once(workspace, inputs)


def test_a_new_day_brings_the_ledger_to_it(workspace):
    """What a watcher does on a quiet new day (``registers_of_the_day``): the letter whose reply was due yesterday is
    已逾期 in the 预警处置台账, dated today — it said 未到期 since the letter went out."""
    from lzdocs.office import registers_of_the_day

    with Office(workspace.root, today=DAY) as office:
        letter = office.letter("suggestion", "计财处", SUGGESTION)  # reply due 2026-12-28
        later = dt.date(2026, 12, 29)
        written = registers_of_the_day(workspace, office.store, later)

    assert register_paths(workspace, 2026)["warnings"] in written.files
    top, rows = sheet_rows(register_paths(workspace, 2026)["warnings"], "预警处置台账", 3)
    assert "已逾期未回复 1 件" in top[1][0] and "统计日期：2026年12月29日" in top[1][0]
    [row] = [r for r in rows if r["文号"] == str(letter.number)]
    assert row["状态"] == "已逾期"

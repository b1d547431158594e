"""A case added or voided whose 汇总表 rewrite never ran (the process killed after the case's commit, the book open in
WPS): its transaction marked the 汇总表 behind (lzdocs/store/pending.py), so the next command that rewrites what is
behind — an ingest with nothing in the inbox, a watcher starting — brings the 案例分析 sheet and 已发生 up to date."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from lzdocs import Office
from lzdocs.store import pending

TODAY = dt.date(2026, 11, 28)
CASE = dict(post="出纳岗", risk_text="利用职务之便挪用公款", case_type="违纪", handling="给予党内警告处分",
            analysis="钱账未分管", measures="钱账分管，每日盘点", date=dt.date(2026, 10, 12))


def _interrupted(self, years):
    """Ctrl-C (or a kill) after the case's commit, as its 汇总表 was about to be rewritten."""
    raise KeyboardInterrupt


def _cases_sheet(ws) -> list[tuple]:
    book = load_workbook(ws.outbox / "2026" / "登记簿" / "2026年廉政风险点汇总表.xlsx", read_only=True)
    if "案例分析" not in book.sheetnames:
        return []
    return [row[:3] for row in book["案例分析"].iter_rows(min_row=4, values_only=True) if row[0] is not None]


def test_a_case_whose_rewrite_never_ran_is_in_the_summary_after_the_next_ingest(workspace, make_form, monkeypatch):
    with Office(workspace, today=TODAY) as office:
        make_form(workspace.inbox / "计财处.docx")
        office.ingest()
        assert _cases_sheet(workspace) == []
        monkeypatch.setattr(Office, "_case_registers", _interrupted)
        with pytest.raises(KeyboardInterrupt):
            office.case_add("计财处", **CASE)
        assert office.cases()[0]["risk_point"]["year"] == 2026  # committed
        with office.store.read() as conn:
            assert pending.waiting(conn) == {2026: ("risks",)}
        assert _cases_sheet(workspace) == []  # behind the archive
        monkeypatch.undo()
        report = office.ingest()  # nothing in the inbox
        assert report.outcomes == [] and report.registers.years == [2026]
        assert _cases_sheet(workspace) == [(1, dt.datetime(2026, 10, 12), "计划财务处")]
        with office.store.read() as conn:
            assert pending.waiting(conn) == {}


def test_a_void_whose_rewrite_never_ran_leaves_the_summary_behind_until_the_next_run(workspace, make_form,
                                                                                     monkeypatch):
    with Office(workspace, today=TODAY) as office:
        make_form(workspace.inbox / "计财处.docx")
        office.ingest()
        office.case_add("计财处", **CASE)
        assert len(_cases_sheet(workspace)) == 1
        monkeypatch.setattr(Office, "_case_registers", _interrupted)
        with pytest.raises(KeyboardInterrupt):
            office.case_void(1, "重复登记")
        assert office.cases()[0]["status"] == "void"
        with office.store.read() as conn:
            assert pending.waiting(conn) == {2026: ("risks",)}
        monkeypatch.undo()
        assert office.ingest().registers.years == [2026]
        assert _cases_sheet(workspace) == []  # a voided case is counted nowhere
        with office.store.read() as conn:
            assert pending.waiting(conn) == {}


def test_a_case_rewrites_its_summary_at_once_and_leaves_nothing_waiting(workspace, make_form):
    with Office(workspace, today=TODAY) as office:
        make_form(workspace.inbox / "计财处.docx")
        office.ingest()
        case = office.case_add("计财处", **CASE)
        assert case["registers"] == ["outbox/2026/登记簿/2026年廉政风险点汇总表.xlsx"]
        assert len(_cases_sheet(workspace)) == 1
        with office.store.read() as conn:
            assert pending.waiting(conn) == {}
        assert office.ingest().registers.years == []

"""Registers left behind by a run killed between its last commit and its rewrite: the next ingest, or a watcher
as it starts, rewrites them even with nothing in the inbox (lzdocs/store/pending.py).

Invariant: every input's bytes (by SHA-256) exactly once in the archive, in 退回/, or still in the inbox."""

from __future__ import annotations

import datetime as dt

from openpyxl import load_workbook

from lzdocs import Office
from lzdocs.store import pending
from tests.ingest.invariant import assert_each_input_exactly_once
from tests.watch.test_office_watch import wait_for, watch_in_thread

TODAY = dt.date(2026, 11, 28)


def _units_in_summary(ws) -> set[str]:
    path = ws.outbox / "2026" / "登记簿" / "2026年廉政风险点汇总表.xlsx"
    if not path.is_file():
        return set()
    sheet = load_workbook(path, read_only=True).worksheets[0]
    return {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c in ("计划财务处", "基建处")}


def _taken_without_registers(ws, office: Office, make_form) -> list[bytes]:
    """Two forms taken and committed; the rewrite of the registers never ran (as when the process was killed)."""
    first = make_form(ws.inbox / "计财处.docx").read_bytes()
    office.ingest()
    second = make_form(ws.inbox / "基建处.xlsx", unit="基建处").read_bytes()
    report = office.ingest(registers=False)
    assert [o.status for o in report.outcomes] == ["accepted"]
    with office.store.read() as conn:
        assert set(pending.waiting(conn)) == {2026}
    assert _units_in_summary(ws) == {"计划财务处"}  # the 汇总表 is behind the archive
    return [first, second]


def test_the_next_ingest_rewrites_registers_a_killed_run_left_behind(workspace, make_form):
    with Office(workspace, today=TODAY) as office:
        inputs = _taken_without_registers(workspace, office, make_form)
        report = office.ingest()  # the inbox is empty
        assert report.outcomes == [] and report.registers.years == [2026]
        assert _units_in_summary(workspace) == {"计划财务处", "基建处"}
        with office.store.read() as conn:
            assert pending.waiting(conn) == {}
        assert office.ingest().registers.years == []  # caught up: nothing more to rewrite
    assert_each_input_exactly_once(workspace, inputs)


def test_a_watcher_starting_rewrites_them_without_waiting_for_a_form(workspace, make_form):
    with Office(workspace, today=TODAY) as office:
        inputs = _taken_without_registers(workspace, office, make_form)
        thread, stop, errors = watch_in_thread(office)
        assert not errors
        try:
            wait_for(lambda: _units_in_summary(workspace) == {"计划财务处", "基建处"})
        finally:
            stop()
            thread.join(30)
        assert not errors
        with office.store.read() as conn:
            assert pending.waiting(conn) == {}
    assert_each_input_exactly_once(workspace, inputs)


def test_a_rewrite_clears_only_the_marks_it_read_and_covers(store):
    """A form taken while the registers were being written marks again: that mark stays for the next rewrite. A
    rewrite of the 报送情况登记表 alone covers a return's mark, not a taken form's."""
    with store.begin() as conn:
        pending.mark(conn, 2026)
        pending.mark(conn, 2025, ("status",))
    with store.read() as conn:
        assert pending.waiting(conn) == {2026: None, 2025: ("status",)}
        read = pending.covered(conn, 2026, None)
        assert pending.covered(conn, 2026, ("status",)) == {}
    with store.begin() as conn:
        pending.mark(conn, 2026)  # another process took a form meanwhile
        pending.clear(conn, read)
    with store.read() as conn:
        assert set(pending.waiting(conn)) == {2025, 2026}
        again = pending.covered(conn, 2026, None)
        returns = pending.covered(conn, 2025, ("status",))
    with store.begin() as conn:
        pending.clear(conn, again | returns)
    with store.read() as conn:
        assert pending.waiting(conn) == {}


def test_a_letters_registers_leave_the_mark_of_forms(workspace, make_form):
    """Only a rewrite of every book catches up with forms taken: a letter's two books do not clear the mark."""
    with Office(workspace, today=TODAY) as office:
        _taken_without_registers(workspace, office, make_form)
        office.rebuild_registers([2026], books=("documents", "warnings"))
        with office.store.read() as conn:
            assert set(pending.waiting(conn)) == {2026}


def test_a_return_left_behind_is_counted_by_the_next_ingest(workspace, make_form):
    """The 报送情况登记表 counts a unit's returns: a return whose rewrite never ran is caught up as a form is."""
    from tests.conftest import SAMPLE_ROWS

    with Office(workspace, today=TODAY) as office:
        inputs = [make_form(workspace.inbox / "计财处.docx").read_bytes()]
        office.ingest()
        bad = [dict(SAMPLE_ROWS[0], level="很高")]
        inputs.append(make_form(workspace.inbox / "基建处.docx", unit="基建处", rows=bad).read_bytes())
        assert [o.status for o in office.ingest(registers=False).outcomes] == ["rejected"]
        with office.store.read() as conn:
            assert pending.waiting(conn) == {2026: ("status",)}  # the 报送情况登记表 alone: what a return changes
        assert office.ingest().registers.years == [2026]
        sheet = load_workbook(workspace.outbox / "2026" / "登记簿" / "报送情况登记表.xlsx").worksheets[0]
        row = next(r for r in sheet.iter_rows(values_only=True) if "基建处" in r)
        assert 1 in row  # 退回次数
    assert_each_input_exactly_once(workspace, inputs)


def test_a_book_that_cannot_be_written_does_not_keep_the_year_behind_for_ever(workspace, make_form):
    """A lasting fault (a broken 公示表 template) is said as a warning each time the registers are written; the
    mark is cleared all the same, so later runs do not rewrite the year again and again for it."""
    (workspace.templates / "公示表.docx").write_bytes(b"not a template")
    with Office(workspace, today=TODAY) as office:
        _taken_without_registers(workspace, office, make_form)
        report = office.ingest()
        assert report.registers.years == [2026] and any("公示表" in w for w in report.registers.warnings)
        with office.store.read() as conn:
            assert pending.waiting(conn) == {}
        assert office.ingest().registers.years == []

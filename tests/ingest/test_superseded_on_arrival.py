"""A correction filled earlier than the current form is accepted into history: the clerk is told."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.conftest import SAMPLE_ROWS, run_cli

pytestmark = pytest.mark.both_backends  # the archive on SQLite and on PostgreSQL


def test_an_older_form_says_it_went_straight_to_history(workspace, make_form):
    make_form(workspace.inbox / "新表.docx", rows=SAMPLE_ROWS[:1], date=dt.date(2026, 11, 20))
    run_cli("-w", workspace.root, "ingest", check=0)
    make_form(workspace.inbox / "旧表.docx", date=dt.date(2026, 11, 1))
    proc = run_cli("-w", workspace.root, "ingest", check=0)
    assert ("[已收取] inbox/旧表.docx —— 计划财务处，2026 年，3 个风险点（填表日期早于已收的 "
            "outbox/2026/收文/计划财务处/新表.docx，已直接存入历史记录，登记簿仍以后者为准）") in proc.stdout
    risks = json.loads(run_cli("-w", workspace.root, "risks", "--json", check=0).stdout)
    assert [r["source_file"] for r in risks] == ["outbox/2026/收文/计划财务处/新表.docx"]


def test_the_json_says_superseded_on_arrival(workspace, make_form):
    make_form(workspace.inbox / "新表.docx", rows=SAMPLE_ROWS[:1], date=dt.date(2026, 11, 20))
    [first] = json.loads(run_cli("-w", workspace.root, "ingest", "--json", check=0).stdout)
    make_form(workspace.inbox / "旧表.docx", date=dt.date(2026, 11, 1))
    [late] = json.loads(run_cli("-w", workspace.root, "ingest", "--json", check=0).stdout)
    assert (first["superseded_on_arrival"], first["superseded_by"]) == (False, None)
    assert (late["status"], late["superseded_on_arrival"], late["superseded_by"], late["supersedes"]) == (
        "accepted", True, "outbox/2026/收文/计划财务处/新表.docx", None)


def test_a_correction_taken_on_a_machine_whose_clock_is_behind_still_replaces_the_form(workspace, make_form):
    """Two machines share the archive, and the one that takes the correction runs five minutes behind the one that
    took the first form. Filled on the same day, the form the archive took later is the current one: the recorded
    times, from two clocks, do not decide (the correction once went straight to history)."""
    from lzdocs import Office
    from lzdocs.clock import Clock

    day = dt.date(2026, 11, 28)
    ahead, behind = (Clock(day, lambda at=at: dt.datetime(2026, 11, 28, 10, at)) for at in (5, 1))
    make_form(workspace.inbox / "计划财务处.docx", rows=SAMPLE_ROWS[:1])
    with Office(workspace, clock=ahead) as office:
        office.ingest()
    make_form(workspace.inbox / "计划财务处（更正）.docx")
    with Office(workspace, clock=behind) as office:
        [late] = office.ingest().outcomes
        assert (late.status, late.superseded_by, late.supersedes) == (
            "accepted", None, "outbox/2026/收文/计划财务处/计划财务处.docx")
        assert {r["source_file"] for r in office.risks()} == {"outbox/2026/收文/计划财务处/计划财务处（更正）.docx"}

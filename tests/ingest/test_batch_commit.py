"""An ingest commits its records a few times a second (Store.batch), each file's kept copy renamed into place and
its claim let go only after: a commit that fails puts every file of it back where it was, none half-kept."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from lzdocs.errors import StoreError
from lzdocs.ingest import Ingest
from lzdocs.store import submissions as subs
from tests.conftest import at_commit
from tests.ingest.test_read_ahead import UNITS

TODAY = dt.date(2026, 11, 28)


def _disk_fails(raw):
    raise sqlite3.OperationalError("disk I/O error")


def test_a_commit_that_fails_puts_the_files_of_its_batch_back_and_the_next_run_takes_them(workspace, store,
                                                                                          make_form):
    given = {make_form(workspace.inbox / f"{i:02d}.docx", unit=unit).name for i, unit in enumerate(UNITS)}
    job = Ingest(workspace, store, today=TODAY)
    with at_commit(_disk_fails) as fired, pytest.raises(StoreError, match="档案库"):
        job.run_inbox()  # the run's own check: every input's bytes still exactly once, no claim left
    assert fired and {p.name for p in workspace.inbox.iterdir() if p.is_file()} == given
    assert not list((workspace.outbox / "2026").rglob("*.docx"))  # nothing kept of what was not recorded
    with store.read() as conn:
        assert subs.submissions_for_year(conn, 2026) == []
    outcomes = Ingest(workspace, store, today=TODAY).run_inbox()
    assert sorted(o.status for o in outcomes) == ["accepted"] * len(UNITS)


def test_records_are_committed_with_their_files_in_place_once_the_run_ends(workspace, store, make_form):
    for i, unit in enumerate(UNITS):
        make_form(workspace.inbox / f"{i:02d}.docx", unit=unit)
    with at_commit(lambda raw: None) as fired:
        outcomes = Ingest(workspace, store, today=TODAY).run_inbox()
    assert len(fired) < len(UNITS)  # fewer commits than forms
    assert all((workspace.root / o.stored_as).stat().st_size > 0 for o in outcomes)
    assert not list(workspace.work.glob("claims/*"))

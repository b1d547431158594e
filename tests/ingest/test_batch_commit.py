"""An ingest commits its records a few times a second (Store.batch), each file's kept copy renamed into place and
its claim let go only after: a commit that fails puts every file of it back where it was, none half-kept."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from lzdocs.errors import StoreError
from lzdocs.ingest import Ingest, pipeline
from lzdocs.store import submissions as subs
from tests.conftest import SAMPLE_ROWS, at_commit, use_readers
from tests.ingest.test_read_ahead import UNITS

TODAY = dt.date(2026, 11, 28)


def _disk_fails(raw):
    raise sqlite3.OperationalError("disk I/O error")


@pytest.mark.parametrize("every", [1e9, 0], ids=["commit-as-run-ends", "commit-after-the-first-form"])
def test_a_commit_that_fails_puts_the_files_of_its_batch_back_and_the_next_run_takes_them(workspace, store,
                                                                                          make_form, monkeypatch,
                                                                                          every):
    """The batch whose commit fails is reported as not taken, and the run stops there: the forms not yet read stay
    in the inbox untouched. One batch for the run, or one after the first form (a slow machine's): each pinned."""
    monkeypatch.setattr(pipeline, "BATCH_SECONDS", every)
    given = {make_form(workspace.inbox / f"{i:02d}.docx", unit=unit).name for i, unit in enumerate(UNITS)}
    job = Ingest(workspace, store, today=TODAY)
    with at_commit(_disk_fails) as fired:
        outcomes = job.run_inbox()  # the run's own check: every input's bytes still exactly once, no claim left
    assert isinstance(job.stopped, StoreError) and "档案库" in str(job.stopped)  # the run stopped, its report kept
    assert [o.status for o in outcomes] == ["failed"] * (len(UNITS) if every else 1)
    assert fired and {p.name for p in workspace.inbox.iterdir() if p.is_file()} == given
    assert not list((workspace.outbox / "2026").rglob("*.docx"))  # nothing kept of what was not recorded
    with store.read() as conn:
        assert subs.submissions_for_year(conn, 2026) == []
    outcomes = Ingest(workspace, store, today=TODAY).run_inbox()
    assert sorted(o.status for o in outcomes) == ["accepted"] * len(UNITS)


def test_records_are_committed_with_their_files_in_place_once_the_run_ends(workspace, store, make_form, monkeypatch):
    monkeypatch.setattr(pipeline, "BATCH_SECONDS", 1e9)  # a loaded machine's slow forms commit no batch early
    workspace = use_readers(workspace.root, 0)  # read here, not ahead
    for i, unit in enumerate(UNITS):
        make_form(workspace.inbox / f"{i:02d}.docx", unit=unit)
    with at_commit(lambda raw: None) as fired:
        outcomes = Ingest(workspace, store, today=TODAY).run_inbox()
    assert len(fired) == 1  # one commit for the run's forms
    assert all((workspace.root / o.stored_as).stat().st_size > 0 for o in outcomes)
    assert not list(workspace.work.glob("claims/*"))


@pytest.mark.parametrize("every", [1e9, 0], ids=["commit-as-run-ends", "commit-between-forms"])
def test_a_ctrl_c_as_the_commit_ends_leaves_the_files_to_recovery_never_put_back(workspace, store, make_form,
                                                                                 monkeypatch, every):
    """A Ctrl-C that lands while COMMIT runs is raised once it has committed: the records are there, so the files
    must not go back to the inbox (the next run would take them again as 重复). They are left as a killed process
    leaves them; the next run finishes them. The commit comes as the run ends (the Ctrl-C goes on up) or between
    two forms (the run stops there and says how many it left) — on a slow machine either, so each is pinned."""
    monkeypatch.setattr(pipeline, "BATCH_SECONDS", every)
    given = {make_form(workspace.inbox / f"{i:02d}.docx", unit=unit).read_bytes() for i, unit in enumerate(UNITS)}

    def commit_then_ctrl_c(raw):
        raw.execute("COMMIT")
        raise KeyboardInterrupt

    job = Ingest(workspace, store, today=TODAY)
    with at_commit(commit_then_ctrl_c, once=True) as fired:
        # the inbox taken as run_inbox takes it, without the run's own check: this run is cut short by design
        if every:
            with pytest.raises(KeyboardInterrupt):
                job.run_paths([workspace.inbox])
        else:
            job.run_paths([workspace.inbox])
            assert job.interrupted == len(UNITS) - 1  # committed after the first form, stopped before the second
    assert fired
    again = Ingest(workspace, store, today=TODAY).run_inbox()  # recovery finishes what the commit recorded
    with store.read() as conn:
        rows = subs.submissions_for_year(conn, 2026)
    assert sorted(r["status"] for r in rows) == ["accepted"] * len(UNITS)
    assert "duplicate" not in {o.status for o in again}
    assert {(workspace.root / r["stored_as"]).read_bytes() for r in rows} == given


def test_a_returned_file_moved_to_settled_is_recorded_at_once_not_with_the_batch(workspace, store, make_form):
    """The move of a returned file is final on disk: its record is committed with it, not later with the run's
    batch (a crash in between would leave the row naming where the file no longer is)."""
    from lzdocs.ingest.returned import SETTLED, settle_returned

    make_form(workspace.inbox / "人事处.docx", unit="人事处", rows=[dict(SAMPLE_ROWS[0], level="很高")])
    [returned] = Ingest(workspace, store, today=TODAY).run_inbox()
    assert returned.status == "rejected"
    with store.batch():
        with store.begin() as conn:  # the batch's transaction open, as in a run
            subs.current_for(conn, "risk", "人事处", 2026)
        [moved] = settle_returned(workspace, store, "risk", "人事处", 2026, workspace.work / "claims")
        assert SETTLED in moved
        db = sqlite3.connect(store.file)  # what another process reads: committed already
        try:
            assert db.execute("SELECT stored_as FROM submissions WHERE status = 'rejected'").fetchone()[0] == moved
        finally:
            db.close()

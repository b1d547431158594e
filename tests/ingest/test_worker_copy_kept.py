"""A form read ahead is kept from the worker's own durable copy (lzdocs/forms/ahead.py, ``Ingest._keep``): linked
into the archive, not copied and fsynced a second time; copied where a link cannot be made. The copies live in a
private folder of the run inside the workspace, removed with the run — and a killed run's by the next one, never a
live one's."""

from __future__ import annotations

import datetime as dt
import os
import stat

import pytest

from lzdocs.forms import ahead
from lzdocs.fsutil import PRIVATE_LOCK, HeldLock
from lzdocs.ingest import Ingest, pipeline
from lzdocs.workspace import Workspace
from tests.conftest import use_readers
from tests.ingest.invariant import assert_each_input_exactly_once

TODAY = dt.date(2026, 11, 28)
UNITS = ["计划财务处", "人事处", "教务处", "科学技术处", "国有资产管理处", "后勤管理处", "招生就业处", "图书馆"]


def _forms(ws: Workspace, make_form) -> list[bytes]:
    paths = [make_form(ws.inbox / f"{i:02d}-{unit}{'.docx' if i % 2 else '.xlsx'}", unit=unit)
             for i, unit in enumerate(UNITS)]
    os.chmod(paths[3], 0o600)  # only its owner may read it: so may the kept original
    return [p.read_bytes() for p in paths]


def _run(ws: Workspace, store, monkeypatch) -> tuple[Ingest, list, list[str]]:
    """The inbox taken with one reader, the first result waited for (until a worker is up, the ingest reads on its
    own); the names of the files the ingest copied itself, and the worker's copies still there after each file."""
    copied, left = [], []
    real_copy = pipeline.copy_durably

    def copy_durably(src, dest, **kw):
        copied.append(dest.name)
        return real_copy(src, dest, **kw)

    monkeypatch.setattr(pipeline, "copy_durably", copy_durably)
    job = Ingest(ws, store, today=TODAY)

    def progress(i, n, name):
        if i == 1 and job._ahead:
            next(iter(job._ahead.pending.values())).result()
        job.private = job._private_folder()
        left.append(sorted(p.name for p in job.private.glob("ahead-*")))

    job.progress = progress
    return job, job.run_inbox(), copied, left


def test_a_form_read_ahead_is_kept_from_the_workers_copy_not_copied_again(workspace, store, make_form, monkeypatch):
    ws = use_readers(workspace.root, 1)
    given = _forms(ws, make_form)
    job, outcomes, copied, left = _run(ws, store, monkeypatch)
    assert [o.status for o in outcomes] == ["accepted"] * len(UNITS)
    assert job.read_ahead == len(UNITS)
    assert copied == []  # every original kept is the worker's copy, linked into the archive
    assert job.private.parent == ws.state / "tmp"  # on the archive's file system, in the workspace
    # those read ahead, by the worker or by the ingest while it waited: none left behind
    assert max(len(copies) for copies in left) <= ahead.WINDOW_PER_WORKER + ahead.READ_HERE_AHEAD
    kept = {o.file: ws.root / o.stored_as for o in outcomes}
    for path in kept.values():
        assert path.stat().st_nlink == 1  # the worker's name for it is gone
    assert stat.S_IMODE(kept["inbox/03-科学技术处.docx"].stat().st_mode) == 0o600
    assert stat.S_IMODE(kept["inbox/02-教务处.xlsx"].stat().st_mode) == 0o666 & ~_umask()
    assert not job.private.exists()  # removed when the run ended
    assert_each_input_exactly_once(ws, given)


@pytest.mark.parametrize("why", ["no link", "windows"])
def test_where_a_link_cannot_be_made_the_form_is_copied(workspace, store, make_form, monkeypatch, why):
    ws = use_readers(workspace.root, 1)
    given = _forms(ws, make_form)
    if why == "no link":  # another file system, FAT…
        monkeypatch.setattr(pipeline, "link_file", lambda existing, new: False)
    else:  # the private folder's owner-only ACL would go with the copy into the archive
        monkeypatch.setattr(ahead, "KEEPS_COPY", False)
    job, outcomes, copied, left = _run(ws, store, monkeypatch)
    assert [o.status for o in outcomes] == ["accepted"] * len(UNITS)
    assert job.read_ahead == len(UNITS) and len(copied) == len(UNITS)
    assert max(len(copies) for copies in left) <= ahead.WINDOW_PER_WORKER + ahead.READ_HERE_AHEAD
    assert not job.private.exists()
    assert_each_input_exactly_once(ws, given)


def test_a_killed_runs_private_folder_is_removed_by_the_next_run_never_a_live_ones(workspace, store, make_form):
    parent = workspace.state / "tmp"
    dead, live = parent / "ingest-killed", parent / "ingest-running"
    for folder in (dead, live):
        folder.mkdir(parents=True)
        (folder / "ahead-1.docx").write_bytes(b"a copy of a form")
    (dead / PRIVATE_LOCK).touch()  # its process gone: nobody holds the lock
    held = HeldLock.take(live / PRIVATE_LOCK)  # another ingest, still running, holds its own
    try:
        given = make_form(workspace.inbox / "计划财务处.docx").read_bytes()
        job = Ingest(workspace, store, today=TODAY)
        [outcome] = job.run_inbox()
        assert outcome.status == "accepted"
        assert not dead.exists()
        assert (live / "ahead-1.docx").read_bytes() == b"a copy of a form"
        assert_each_input_exactly_once(workspace, [given])
    finally:
        held.release()


def test_a_dry_run_where_the_workspace_cannot_hold_a_private_folder(workspace, store, make_form):
    (workspace.state / "tmp").write_text("not a folder", encoding="utf-8")  # as a share the clerk may only read
    given = make_form(workspace.inbox / "计划财务处.docx").read_bytes()
    job = Ingest(workspace, store, today=TODAY)
    [outcome] = job.run_inbox(dry_run=True)
    assert outcome.status == "accepted"
    [outcome] = Ingest(workspace, store, today=TODAY).run_inbox()
    assert outcome.status == "accepted"
    assert_each_input_exactly_once(workspace, [given])


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

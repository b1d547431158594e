"""Findings of an adversarial review of the worker's copy kept as the original (lzdocs/forms/ahead.py,
``Ingest._keep``, the run's private folder in .lzdocs/tmp): each failed before its fix."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from lzdocs.ingest import Ingest, pipeline
from lzdocs.workspace import Workspace
from tests.conftest import cli_env, run_process, use_readers
from tests.ingest.invariant import assert_each_input_exactly_once

TODAY = dt.date(2026, 11, 28)
UNITS = ["计划财务处", "人事处", "教务处", "科学技术处", "国有资产管理处", "后勤管理处", "招生就业处", "图书馆"]


def _forms(ws: Workspace, make_form) -> dict[str, bytes]:
    return {f"{i:02d}.docx": make_form(ws.inbox / f"{i:02d}.docx", unit=unit).read_bytes()
            for i, unit in enumerate(UNITS)}


def _worker_up(job: Ingest):
    """Until a worker has returned a result the ingest reads on its own: the first one waited for."""
    def progress(i, n, name):
        if i == 1 and job._ahead:
            next(iter(job._ahead.pending.values())).result()
    return progress


def test_a_form_read_ahead_and_rewritten_after_it_was_claimed_is_not_let_go_with_its_new_bytes(
        workspace, store, make_form, monkeypatch):
    """A program holding the file open saves again after the claim — after the ingest hashed it, while it checks
    it: the worker's copy (the bytes read) must not be kept while the claimed file, with the bytes last written,
    is let go (deleted). As without a worker, it goes back to the inbox, as it now is."""
    ws = use_readers(workspace.root, 1)
    given = _forms(ws, make_form)
    real = pipeline.check_form
    saved = {}

    def checked_then_saved_again(raw, *args, **kw):
        if not saved:
            [claimed] = (ws.work / "claims").glob("*/03.docx") if raw.unit == UNITS[3] else [None]
            if claimed is not None:
                with open(claimed, "r+b") as fh:  # through a handle opened before it was taken
                    fh.seek(0, os.SEEK_END)
                    fh.write(b"\0" * 16)
                saved["bytes"] = given["03.docx"] + b"\0" * 16
        return real(raw, *args, **kw)

    monkeypatch.setattr(pipeline, "check_form", checked_then_saved_again)
    job = Ingest(ws, store, today=TODAY)
    job.progress = _worker_up(job)
    # the inbox taken as run_inbox takes it, without the run's own check that it only moved bytes: here a writer
    # changes them; the invariant is stated below, with the bytes as last written
    outcomes = {o.file: o for o in job.run_paths([ws.inbox])}
    assert saved and job.read_ahead >= 4
    out = outcomes["inbox/03.docx"]
    assert out.status == "failed" and "又被改写" in out.problems[0].message
    assert (ws.inbox / "03.docx").read_bytes() == saved["bytes"]
    assert_each_input_exactly_once(ws, [saved["bytes"], *(v for k, v in given.items() if k != "03.docx")])


def _made_while_swept(tmp_path, monkeypatch, go, sweeper):
    """``private_folder``, made with the test's patches in place while a sweep (the thread ``sweeper()``) waits at
    its chosen step; then the sweep let ``go`` on to its end, and the patches undone: (the folder, its lock)."""
    from lzdocs.fsutil import private_folder

    try:
        made = private_folder(tmp_path / "tmp", "ingest-")
    finally:
        go.set()
        sweeper().join(10)
    monkeypatch.undo()
    assert not sweeper().is_alive()
    return made


@pytest.mark.skipif(sys.platform == "win32", reason="flock; Windows lets the lock go first (remove_locked_folder)")
@pytest.mark.parametrize("moment", ["before-unlink", "before-rmdir", "before-release", "after-release"])
def test_a_private_folder_swept_away_as_its_lock_was_taken_is_not_the_one_given(tmp_path, monkeypatch, moment):
    """Another run's recovery (``sweep_private``) finds a folder just made, its lock not yet taken: it takes the
    lock, empties the folder, removes the lock file and the folder, and lets the lock go — and the run that made the
    folder takes its lock, and looks that it is the folder's, at any ``moment`` of that. The run is never given a
    folder that is gone, or one whose lock file is not the one it locked (its copies would fail, or a worker's
    ``mkdir`` would make it again without a lock, for the next sweep to take); a folder it is given is its own for
    good, and the one swept is gone. (The sweeper once let the lock go first: a run given the folder after that, at
    ``before-unlink`` or ``after-release`` here, lost it at once.)"""
    import threading

    from lzdocs import fsutil
    from lzdocs.fsutil import PRIVATE_LOCK, HeldLock, sweep_private

    real_take, real_release = HeldLock.take, HeldLock.release
    real_unlink, real_rmdir = Path.unlink, Path.rmdir
    at_moment, go = threading.Event(), threading.Event()
    state: dict = {}

    def sweeper() -> threading.Thread:
        return state.get("thread")

    def pause(now: str) -> None:  # in the sweeper: the run takes the lock now, and its ``private_folder`` goes on
        if now == moment and threading.current_thread() is sweeper():
            at_moment.set()
            assert go.wait(10)

    def unlink(self, *args, **kwargs):
        if self.name == PRIVATE_LOCK:
            pause("before-unlink")
        return real_unlink(self, *args, **kwargs)

    def rmdir(self):
        if "rmdir" not in state:
            state["rmdir"] = True
            pause("before-rmdir")
        return real_rmdir(self)

    def release(self):
        if self is state.get("sweeper's lock"):
            pause("before-release")
            real_release(self)
            pause("after-release")
        else:
            real_release(self)

    def take(path):
        if threading.current_thread() is sweeper():
            state["sweeper's lock"] = real_take(path)
            return state["sweeper's lock"]
        if "thread" not in state:  # the run's first take, of the folder it made: the sweeper is there first
            state["swept"] = path.parent
            state["thread"] = threading.Thread(target=fsutil.remove_private, args=(path.parent,))
            state["thread"].start()
            assert at_moment.wait(10)
        return real_take(path)

    monkeypatch.setattr(HeldLock, "take", take)
    monkeypatch.setattr(HeldLock, "release", release)
    monkeypatch.setattr(Path, "unlink", unlink)
    monkeypatch.setattr(Path, "rmdir", rmdir)
    folder, lock = _made_while_swept(tmp_path, monkeypatch, go, lambda: state["thread"])
    try:
        assert folder.is_dir() and (folder / PRIVATE_LOCK).is_file()
        assert lock.is_at(folder / PRIVATE_LOCK)  # the lock held is the folder's own lock file's
        assert HeldLock.take(folder / PRIVATE_LOCK) is None
        if folder != state["swept"]:
            assert not state["swept"].exists()  # the folder swept is gone, nothing left of it
        sweep_private(tmp_path / "tmp", "ingest-")
        assert folder.is_dir() and lock.is_at(folder / PRIVATE_LOCK)
    finally:
        lock.release()
    assert [f.name for f in (tmp_path / "tmp").iterdir()] == [folder.name]


@pytest.mark.skipif(sys.platform == "win32", reason="flock")
def test_a_sweeper_that_opened_the_lock_file_before_it_went_leaves_the_folder_given_since(tmp_path, monkeypatch):
    """Three runs: A makes a private folder; B's sweep opens its lock file and stops before locking it; C's sweep
    takes the lock, empties the folder, removes that lock file and stops before the folder; A takes its lock (a new
    lock file) and is given the folder; C's rmdir fails, C lets its lock go — and B's lock on the file gone now
    succeeds. B must not take that for the folder's lock: it would empty and remove A's folder under its run."""
    import threading

    from lzdocs.fsutil import PRIVATE_LOCK, HeldLock, remove_private

    real_take, real_rmdir = HeldLock.take, Path.rmdir
    c_at_rmdir, c_go = threading.Event(), threading.Event()
    state: dict = {}

    def rmdir(self):
        if threading.current_thread() is state.get("c") and "paused" not in state:
            state["paused"] = True
            c_at_rmdir.set()
            assert c_go.wait(10)
        return real_rmdir(self)

    def take(path):
        if "c" in state:  # C's take, then A's
            return real_take(path)
        state["b"] = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)  # B opens it
        state["c"] = threading.Thread(target=remove_private, args=(path.parent,))
        state["c"].start()
        assert c_at_rmdir.wait(10)
        return real_take(path)

    monkeypatch.setattr(HeldLock, "take", take)
    monkeypatch.setattr(Path, "rmdir", rmdir)
    folder, lock = _made_while_swept(tmp_path, monkeypatch, c_go, lambda: state["c"])
    try:
        (folder / "form-1.docx").write_bytes(b"a worker's copy")  # A's run uses its folder

        def b_locks(path):  # B goes on: the rest of its take, on the file it opened — whose lock is free now
            return HeldLock.on_opened(state["b"], path)

        monkeypatch.setattr(HeldLock, "take", staticmethod(b_locks))
        remove_private(folder)  # B's sweep
        monkeypatch.undo()
        assert (folder / "form-1.docx").read_bytes() == b"a worker's copy"
        assert lock.is_at(folder / PRIVATE_LOCK) and HeldLock.take(folder / PRIVATE_LOCK) is None
    finally:
        lock.release()


@pytest.mark.skipif(sys.platform == "win32", reason="flock")
def test_a_ctrl_c_while_a_private_folder_is_removed_lets_its_lock_go(tmp_path, monkeypatch):
    """Ctrl-C while a run's private folder is emptied (at the run's end) or as its lock file goes: the lock is let
    go, so the next sweep removes what is left — not held on while the process lives (a watcher: for days)."""
    from lzdocs.fsutil import PRIVATE_LOCK, HeldLock, private_folder, remove_private, sweep_private

    real_unlink = Path.unlink
    for at in ("form-1.docx", PRIVATE_LOCK):
        folder, lock = private_folder(tmp_path / at, "ingest-")
        (folder / "form-1.docx").write_bytes(b"x")

        def unlink(self, *args, _at=at, **kwargs):
            if self.name == _at:
                raise KeyboardInterrupt
            return real_unlink(self, *args, **kwargs)

        monkeypatch.setattr(Path, "unlink", unlink)
        with pytest.raises(KeyboardInterrupt):
            remove_private(folder, lock)
        monkeypatch.undo()
        swept = HeldLock.take(folder / PRIVATE_LOCK)
        assert swept is not None, at
        swept.release()
        sweep_private(tmp_path / at, "ingest-")
        assert not any((tmp_path / at).iterdir()), at


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("step", ["before-copy:30", "after-copy:30", "after-commit:30", "after-rename:30"])
def test_a_run_reading_ahead_killed_loses_nothing_and_leaves_no_copy_of_a_form(workspace, make_form, step):
    """SIGKILL with the workers' copies in the run's private folder, one of them linked as a kept original: the
    next run finishes or puts back what was in flight, and removes the copies — none of the sender's bytes lost,
    none kept twice, no copy of a form left in .lzdocs/tmp. The workers go with the killed run: left, they would
    hold its output open (the command would never be seen to end) and go on writing copies of forms into its
    private folder, after the next run swept it."""
    ws = use_readers(workspace.root, 1)
    given = [make_form(ws.inbox / f"{i:02d}.docx", unit=UNITS[i % 8], date=dt.date(2026, 11, 1 + i // 8)).read_bytes()
             for i in range(40)]  # by the 30th the worker is up: its copies are kept
    killed = run_process("-w", ws.root, "ingest", env=cli_env(LZDOCS_CRASH_AT=step), timeout=60)
    assert killed.returncode == -9, killed.stderr
    rerun = run_process("-w", ws.root, "ingest", "--json")
    assert rerun.returncode == 0, rerun.stderr
    assert_each_input_exactly_once(ws, given)
    assert [p for p in (ws.state / "tmp").rglob("*") if p.is_file()] == []
    assert json.loads(run_process("-w", ws.root, "verify", "--json").stdout)["findings"] == []


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks are POSIX here")
def test_the_sweep_never_follows_a_link_named_like_a_private_folder(workspace, store, make_form, tmp_path):
    """A link in .lzdocs/tmp named as a run's private folder (or .lzdocs/tmp itself a link) leads to someone's
    folder: what is there is not a killed run's copies, and is never removed; nor are a run's copies made there."""
    theirs = tmp_path / "someone"
    (theirs / "ingest-2025").mkdir(parents=True)
    for folder in (theirs, theirs / "ingest-2025"):
        (folder / "报告.docx").write_bytes(b"their own file")
    (workspace.state / "tmp").mkdir()
    (workspace.state / "tmp" / "ingest-planted").symlink_to(theirs, target_is_directory=True)
    given = make_form(workspace.inbox / "计划财务处.docx").read_bytes()
    [outcome] = Ingest(workspace, store, today=TODAY).run_inbox()
    assert outcome.status == "accepted"
    assert (theirs / "报告.docx").read_bytes() == b"their own file"
    (workspace.state / "tmp" / "ingest-planted").unlink()
    (workspace.state / "tmp").rmdir()
    (workspace.state / "tmp").symlink_to(theirs, target_is_directory=True)
    others = [make_form(workspace.inbox / f"{unit}.docx", unit=unit).read_bytes() for unit in UNITS[1:3]]
    job, seen = Ingest(workspace, store, today=TODAY), []
    job.progress = lambda i, n, name: seen.append(sorted(p.name for p in theirs.iterdir()))
    assert [o.status for o in job.run_inbox()] == ["accepted"] * 2
    assert (theirs / "ingest-2025" / "报告.docx").read_bytes() == b"their own file"
    assert seen == [["ingest-2025", "报告.docx"]] * 2  # the run's copies not made there either
    assert_each_input_exactly_once(workspace, [given, *others])


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_form_made_private_after_a_worker_copied_it_is_kept_private(workspace, store, make_form):
    """Its owner takes the others' right to read the file after a worker copied it, before it is taken: the kept
    original has the permissions the file has when taken (as a copy made then would), not those it had."""
    ws = use_readers(workspace.root, 1)
    given = _forms(ws, make_form)
    job = Ingest(ws, store, today=TODAY)

    def progress(i, n, name):
        if job._ahead and name == "03.docx":
            job._ahead.pending[ws.inbox / name].result()  # copied by the worker, as it was
            os.chmod(ws.inbox / name, 0o600)

    job.progress = progress
    outcomes = {o.file: o for o in job.run_inbox()}
    assert job.read_ahead >= 1 and outcomes["inbox/03.docx"].status == "accepted"
    assert stat.S_IMODE((ws.root / outcomes["inbox/03.docx"].stored_as).stat().st_mode) == 0o600
    assert_each_input_exactly_once(ws, list(given.values()))

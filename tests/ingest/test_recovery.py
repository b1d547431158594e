"""Recovery among other processes: a claim that vanishes while recovery looks at it is not an
error, and a claim that cannot be recovered is logged while the others are.

Invariant: every input's bytes (by SHA-256) exactly once in the archive, in 退回/, or still in the inbox."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from pathlib import Path

import pytest

from lzdocs.ingest import Ingest
from lzdocs.ingest import claims as cl
from tests.conftest import SAMPLE_ROWS
from tests.ingest.invariant import kept, sha

TODAY = dt.date(2026, 11, 28)


def _stranded(ws, make_form, name: str, **kw) -> tuple[cl.Claim, bytes]:
    """An inbox file claimed by a process that then died."""
    data = make_form(ws.inbox / name, **kw).read_bytes()
    claim = cl.claim_by_rename(ws.work / "claims", ws.inbox / name, f"inbox/{name}")
    claim.let_go()
    return claim, data


def _renamed(claim: cl.Claim, token: str) -> cl.Claim:
    """The same claim under another token (so that recovery meets it first: folders are taken in name order)."""
    folder = Path(claim.folder).with_name(token)
    Path(claim.folder).rename(folder)
    claim.token, claim.folder = token, str(folder)
    claim.save()
    return claim


def test_a_claim_that_vanishes_while_recovery_looks_is_skipped(workspace, store, make_form, monkeypatch):
    """Another ingest finished its claim between our listing and our look: we go on with the rest."""
    gone, _ = _stranded(workspace, make_form, "别人的.docx", rows=SAMPLE_ROWS[:1])
    _renamed(gone, "0" * 32)
    left, data = _stranded(workspace, make_form, "计财处.docx")
    listed = cl.leftovers

    def leftovers_then_one_finishes(claims_dir):
        found = listed(claims_dir)
        shutil.rmtree(gone.folder)  # its owner settled it and removed the folder
        return found

    monkeypatch.setattr(cl, "leftovers", leftovers_then_one_finishes)
    Ingest(workspace, store, today=TODAY).recover()
    assert (workspace.inbox / "计财处.docx").read_bytes() == data
    assert list((workspace.work / "claims").iterdir()) == []


def test_a_claim_that_cannot_be_put_back_is_logged_and_the_others_are_recovered(workspace, store, make_form,
                                                                                caplog):
    (workspace.inbox / "原文件夹").mkdir()
    stuck, stuck_data = _stranded(workspace, make_form, "原文件夹/基建处.docx", unit="基建处")
    shutil.rmtree(workspace.inbox / "原文件夹")
    (workspace.inbox / "原文件夹").write_bytes(b"a file now stands where the folder was")
    _renamed(stuck, "0" * 32)
    _, data = _stranded(workspace, make_form, "计财处.docx")
    with caplog.at_level(logging.ERROR, logger="lzdocs.ingest"):
        assert Ingest(workspace, store, today=TODAY).recover() == 1
    assert (workspace.inbox / "计财处.docx").read_bytes() == data
    [message] = [r.getMessage() for r in caplog.records]
    assert message.startswith("恢复上次中断的收取记录时出错：") and "其余文件照常处理" in message
    assert Path(stuck.file).read_bytes() == stuck_data  # still safe in its claim, for the next attempt
    assert kept(workspace)[sha(data)] == 1


def test_an_ingest_after_a_stuck_claim_still_takes_the_inbox(workspace, store, make_form):
    (workspace.inbox / "原文件夹").mkdir()
    _stranded(workspace, make_form, "原文件夹/基建处.docx", unit="基建处")
    shutil.rmtree(workspace.inbox / "原文件夹")
    (workspace.inbox / "原文件夹").write_bytes(b"blocker")
    make_form(workspace.inbox / "计财处.docx")
    outcomes = Ingest(workspace, store, today=TODAY).run_inbox()
    assert sorted((o.file, o.status) for o in outcomes) == [("inbox/原文件夹", "rejected"),  # the blocker itself
                                                             ("inbox/计财处.docx", "accepted")]
    assert cl.Claim.load(cl.leftovers(workspace.work / "claims")[0]).origin.endswith("原文件夹/基建处.docx")


def test_a_file_put_back_beside_a_new_one_of_the_same_name_gets_a_free_name(workspace, store, make_form):
    """The clerk dropped a corrected 计财处.docx while the first one was stranded in its claim: both stay."""
    _, first = _stranded(workspace, make_form, "计财处.docx", rows=SAMPLE_ROWS[:1])
    second = make_form(workspace.inbox / "计财处.docx").read_bytes()
    assert Ingest(workspace, store, today=TODAY).recover() == 1
    assert (workspace.inbox / "计财处.docx").read_bytes() == second
    assert (workspace.inbox / "计财处_01.docx").read_bytes() == first
    assert kept(workspace) == {sha(first): 1, sha(second): 1}


def test_a_claim_folder_a_recovery_removes_is_never_held_by_a_claim_made_in_it(workspace, make_form, monkeypatch):
    """Two ingests at once: one makes a claim folder and, a moment later, takes its lock; the other's recovery took
    the lock first, found the folder empty and removes it. Whichever way the two interleave, the new claim never
    holds a lock on a lock file that is gone — it was given a new folder, its file still in the inbox — and the
    folder removed is gone. (It held the removed file's lock, and wrote its intent into a folder removed under it:
    "找不到 …/.intent.json.a", the file left for a later run, as a race test once met; or, the folder kept by its
    intent, a third process took a new lock file in it for a dead claim's and undid the live one.)"""
    import fcntl
    import sys

    if sys.platform == "win32":
        pytest.skip("flock")
    claims = workspace.work / "claims"
    flock = fcntl.flock

    def removed_as_the_lock_is_taken(fd, operation):
        if recovery._lock is not None and operation & fcntl.LOCK_EX:  # the new claim takes its lock: the removal
            cl.release(recovery)  # wins — the folder found empty, as ``_recover_held`` finds it
        return flock(fd, operation)

    folder = claims / "a-moment-ago"
    folder.mkdir(parents=True)
    recovery = cl.Claim(folder.name, str(folder), "", "", None)
    assert recovery.hold()
    monkeypatch.setattr(fcntl, "flock", removed_as_the_lock_is_taken)
    made = cl.Claim(folder.name, str(folder), "", "", None)
    assert not made.hold()  # the lock it took is on the lock file gone with the folder
    assert not folder.exists()

    # the same, through a claim of an inbox file: it is made in a new folder, and its file is there
    data = make_form(workspace.inbox / "计财处.docx").read_bytes()
    monkeypatch.setattr(fcntl, "flock", flock)
    uuids = iter(["removed-under-it", "its-own"])
    monkeypatch.setattr(cl.uuid, "uuid4", lambda: type("U", (), {"hex": next(uuids)})())
    folder = claims / "removed-under-it"
    monkeypatch.setattr(cl.Claim, "hold", _held_after_a_removal(cl.Claim.hold, folder))
    claim = cl.claim_by_rename(claims, workspace.inbox / "计财处.docx", "inbox/计财处.docx")
    assert Path(claim.folder).name == "its-own" and claim.file.read_bytes() == data
    assert not folder.exists()
    claim.let_go()


def _held_after_a_removal(hold, folder: Path):
    """``Claim.hold`` that, for a claim just made in ``folder``, lets another process's recovery first take the
    folder's lock, find it empty and remove it."""

    def held(self):
        if Path(self.folder) == folder and folder.exists():
            recovery = cl.Claim(folder.name, str(folder), "", "", None)
            assert hold(recovery)
            cl.release(recovery)
        return hold(self)

    return held


def test_a_ctrl_c_as_a_settled_claim_s_folder_goes_lets_its_lock_go(workspace, monkeypatch):
    """Ctrl-C as a settled claim's lock file is unlinked: the lock is let go at once — not held on by a descriptor
    nobody can close any more (the claim's lock was already handed to the removal), which would make the claim look
    live to every recovery while this process lives (a watcher: for days)."""
    import sys

    if sys.platform == "win32":
        pytest.skip("flock")
    claim = cl._new(workspace.work / "claims", "a.docx", "a.docx", None, None, None)
    real_unlink = Path.unlink

    def unlink(self, *args, **kwargs):
        if self.name == cl.LOCK:
            raise KeyboardInterrupt
        return real_unlink(self, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", unlink)
    with pytest.raises(KeyboardInterrupt):
        cl.release(claim)
    monkeypatch.undo()
    claim.let_go()  # what a caller does on the way out
    recovery = cl.Claim(claim.token, claim.folder, "", "", None)
    assert recovery.hold()  # nobody holds it: the next recovery removes what is left
    cl.release(recovery)
    assert not Path(claim.folder).exists()


def test_a_lock_file_an_smb_share_keeps_as_delete_pending_is_taken_as_held(workspace, monkeypatch):
    """On an SMB share a lock file unlinked while its lock is held stays, "delete pending", till the lock is let go,
    and Linux's CIFS client refuses to open it (EBUSY): a claim made in that folder meanwhile is made in another
    one, as when the lock is held — not an error that stops the file from being taken."""
    import errno
    import os

    data = workspace.inbox / "计财处.docx"
    data.write_bytes(b"PK a form")
    going = workspace.work / "claims" / "going"  # made by the claim, its lock file then unlinked by a recovery
    uuids = iter(["going", "its-own"])
    monkeypatch.setattr(cl.uuid, "uuid4", lambda: type("U", (), {"hex": next(uuids)})())
    real_open = os.open

    def open_(path, flags, *args, **kwargs):
        if Path(path) == going / cl.LOCK:
            raise OSError(errno.EBUSY, "Device or resource busy", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)
    claim = cl.claim_by_rename(workspace.work / "claims", data, "inbox/计财处.docx")
    monkeypatch.undo()
    assert Path(claim.folder).name == "its-own" and claim.file.read_bytes() == b"PK a form"
    claim.let_go()


def test_a_claim_folder_on_a_share_that_keeps_a_deleted_open_file_is_still_removed(workspace, monkeypatch):
    """NFS (.nfsXXXX), FUSE (.fuse_hidden…) and SMB (delete pending) keep a file deleted while open in its folder
    until it is closed: the lock file, unlinked while its lock is held, keeps the folder from going until the lock
    is let go — then it goes, not one empty folder left behind per form taken."""
    import errno

    folder = workspace.work / "claims" / "settled"
    folder.mkdir(parents=True)
    claim = cl.Claim(folder.name, str(folder), "", "", None)
    assert claim.hold()
    rmdir = Path.rmdir

    def as_on_nfs(self):
        if self == folder and claim._lock is not None:  # the lock file, deleted, still open in it
            raise OSError(errno.ENOTEMPTY, "Directory not empty", str(self))
        rmdir(self)

    monkeypatch.setattr(Path, "rmdir", as_on_nfs)
    cl.release(claim)
    assert not folder.exists()


def test_a_claims_lock_file_made_a_link_is_said_and_nothing_is_made_where_it_points(workspace, store, make_form,
                                                                                      caplog):
    """A claim left by a killed run, its lock file replaced by a link (someone's, in a shared inbox): recovery does
    not lock, or make, the file the link points to — and does not take the claim for a live process's, saying
    nothing for ever: it says which folder holds the file, and leaves it there."""
    claim, data = _stranded(workspace, make_form, "计财处.docx")
    lock = Path(claim.folder) / cl.LOCK
    lock.unlink()
    elsewhere = workspace.root.parent / "someone-elses"
    lock.symlink_to(elsewhere)
    with caplog.at_level(logging.ERROR):
        Ingest(workspace, store, today=TODAY).run_inbox()
    assert not elsewhere.exists()
    assert str(Path(claim.folder)) in caplog.text
    assert claim.file.read_bytes() == data

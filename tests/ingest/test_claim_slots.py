"""A claim's intent rewritten without making a file each time (fsutil.Rewriter), and claim folders handed from one
settled claim to the next within a run (claims.Slots): the same records on disk, fewer files made and removed."""

import errno
import json
import os
import sys
from pathlib import Path

import pytest

from lzdocs import fsutil
from lzdocs.ingest import claims as cl
from lzdocs.ingest import pipeline
from lzdocs.ingest.pipeline import Ingest
from tests.conftest import TODAY

posix = pytest.mark.skipif(sys.platform == "win32", reason="hard-link turns and folder renames are POSIX-only")


@posix
def test_the_intent_is_replaced_whole_by_two_files_taking_turns(tmp_path):
    writer = fsutil.Rewriter("intent.json")
    seen = []
    for text in ["{\"a\": 1}" + " " * 40, "{\"b\": 2}", "{\"c\": 3333}"]:
        writer.write(tmp_path, text.encode())
        assert (tmp_path / "intent.json").read_bytes() == text.encode()  # shorter after longer: no tail left
        seen.append(os.stat(tmp_path / "intent.json").st_ino)
    spares = {os.stat(tmp_path / name).st_ino for name in (".intent.json.a", ".intent.json.b")}
    assert set(seen) == spares and seen[0] == seen[2] != seen[1]  # no file made after the first two
    assert sorted(p.name for p in tmp_path.iterdir()) == [".intent.json.a", ".intent.json.b", "intent.json"]


@posix
def test_a_step_left_by_a_killed_process_does_not_stop_the_next_write(tmp_path):
    writer = fsutil.Rewriter("intent.json")
    writer.write(tmp_path, b"{}")
    (tmp_path / ".intent.json.next").write_bytes(b"half")  # killed between the link and the rename
    writer.write(tmp_path, b"{\"x\": 1}")
    assert json.loads((tmp_path / "intent.json").read_text()) == {"x": 1}


def test_a_folder_without_hard_links_is_written_whole_all_the_same(tmp_path, monkeypatch):
    def no_links(*args, **kw):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(fsutil.os, "link", no_links)
    writer = fsutil.Rewriter("intent.json")
    for text in (b"{\"a\": 1}", b"{}"):
        writer.write(tmp_path, text)
        assert (tmp_path / "intent.json").read_bytes() == text
    assert not writer.links


@posix
def test_a_run_hands_claim_folders_on_and_leaves_none(workspace, store, make_form, monkeypatch):
    """Ten forms, claimed one after another: after the first ones, each claim gets the folder (and the lock) of
    one settled before it, its token the folder's; none is left when the run ends."""
    made, handed = [], []
    mkdir, take = cl.Path.mkdir, cl.Slots.take

    def counted_mkdir(self, *args, **kw):
        if self.parent == workspace.work / "claims":
            made.append(self.name)
        return mkdir(self, *args, **kw)

    def counted_take(self):
        kept = take(self)
        handed.append(kept is not None)
        return kept

    monkeypatch.setattr(cl.Path, "mkdir", counted_mkdir)
    monkeypatch.setattr(cl.Slots, "take", counted_take)
    for i in range(10):
        make_form(workspace.inbox / f"{i:02d}.docx", unit=["计划财务处", "基建处", "教务处", "图书馆"][i % 4])
    monkeypatch.setattr(pipeline, "BATCH_SECONDS", 0)  # each form committed before the next: its claim settled
    outcomes = Ingest(workspace, store, today=TODAY).run_inbox()
    assert len(outcomes) == 10
    assert sum(handed) >= 5 and len(made) <= 5, (handed, made)
    assert list((workspace.work / "claims").iterdir()) == []


@posix
def test_kept_folders_left_by_a_killed_run_are_removed_by_the_next(workspace, store, make_form):
    """A process killed while it keeps folders leaves claims with only a lock and the intent's spares: the next run
    removes them, and every file is where it belongs."""
    for i in range(3):
        make_form(workspace.inbox / f"{i}.docx", unit=["计划财务处", "基建处", "教务处"][i])
    slots = cl.Slots()
    claims_dir = workspace.work / "claims"
    claim = cl.claim_by_rename(claims_dir, workspace.inbox / "0.docx", "0.docx", slots=slots)
    os.replace(claim.file, workspace.inbox / "0.docx")  # its file back, as a settled claim's is gone
    cl.release(claim, slots)
    [kept] = slots.free  # renamed to a token of no claim (claims.Slots.keep)
    assert sorted(p.name for p in Path(kept.folder).iterdir()) == [".intent.json.a", ".lock"]
    for kept in slots.free:  # the process dies: the OS lets its locks go
        kept.let_go()
    outcomes = Ingest(workspace, store, today=TODAY).run_inbox()
    assert sorted(o.status for o in outcomes) == ["accepted"] * 3
    assert list(claims_dir.iterdir()) == []

"""Recovery among other processes: a claim that vanishes while recovery looks at it is not an
error, and a claim that cannot be recovered is logged while the others are.

Invariant: every input's bytes (by SHA-256) exactly once in the archive, in 退回/, or still in the inbox."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from pathlib import Path

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

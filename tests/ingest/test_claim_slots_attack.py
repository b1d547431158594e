"""Attacks on the claim slots and the intent's rewriter (d32a7d1: fsutil.Rewriter, claims.Slots).

1. A settled claim whose records were committed before ``process`` returned (a returned file of its unit settled,
   ``settle_returned`` flushes the batch; every claim on PostgreSQL, where each ``begin`` commits) was kept in the
   slots and then let go by ``process``'s ``finally``: the next claim renamed that folder to its token and worked
   without its lock — another process's recovery put its file back while it was archiving it.
2. A Rewriter that does not know which spare is shown (``Claim.load`` in recovery; a Ctrl-C between the rename and
   the turn) wrote the new intent into the very file shown as intent.json: a kill, an EIO or ENOSPC in between
   left a half-written intent — the claim's reserved names then stranded in the archive.
3. The spares, in a folder kept for a whole run and named in the shared claims folder, were opened as found: a hard
   link put there had the intent written over another file, a FIFO hung the run, a folder or a symlink stopped it.
4. A kept folder stayed under its settled claim's token: ``settle_returned`` took it for a claim not yet released.
5. (Older than d32a7d1.) An inbox file named intent.json was renamed over its claim's intent; killed then, lost."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lzdocs import fsutil
from lzdocs.ingest import claims as cl
from lzdocs.ingest.pipeline import Ingest
from lzdocs.store import Store
from tests.conftest import SAMPLE_ROWS, TODAY, cli_env, run_cli, run_process
from tests.ingest.invariant import assert_each_input_exactly_once

posix = pytest.mark.skipif(sys.platform == "win32", reason="hard-link turns, folder renames and SIGKILL: POSIX")


# --- 1. a kept folder's lock let go ------------------------------------------------------------------------------
def _live_claims_left_alone(workspace, ingest):
    """At each step of each claim, a recovery in another process (another ``lzdocs ingest`` starting, a watcher)
    must find every live claim locked and leave it alone."""
    other = Store.for_workspace(workspace)
    undone = []
    crash = ingest.crash

    def step(name):
        if name == "before-copy":
            undone.append(Ingest(workspace, other, today=TODAY).recover())
        crash(name)

    ingest.crash = step
    return other, undone


@posix
@pytest.mark.both_backends
def test_a_claim_after_one_committed_early_holds_its_lock(workspace, store, make_form):
    """基建处's form was returned last run; its new form, accepted, settles the returned one (``settle_returned``
    commits the batch, its claim settled and kept in the slots at once), and ``process`` then let the kept folder's
    lock go: the next claim, in that folder, was unlocked, and a recovery beside it put its file back while it was
    being archived — the form in the archive and again in the inbox."""
    bad = make_form(workspace.inbox / "基建处.docx", unit="基建处", rows=[dict(SAMPLE_ROWS[0], level="很高")])
    inputs = [bad.read_bytes()]
    assert [o.status for o in Ingest(workspace, store, today=TODAY).run_inbox()] == ["rejected"]
    good = make_form(workspace.inbox / "基建处_改.docx", unit="基建处")
    later = make_form(workspace.inbox / "教务处.docx", unit="教务处")
    os.utime(later, (good.stat().st_mtime + 10, good.stat().st_mtime + 10))  # taken after 基建处's
    inputs += [good.read_bytes(), later.read_bytes()]

    ingest = Ingest(workspace, store, today=TODAY)
    other, undone = _live_claims_left_alone(workspace, ingest)
    try:
        outcomes = ingest.run_inbox()
    finally:
        other.close()
    assert undone == [0, 0], "a recovery beside the run undid a claim it was working on"
    assert sorted(o.status for o in outcomes) == ["accepted", "accepted"]
    assert_each_input_exactly_once(workspace, inputs)


@posix
def test_a_kept_folder_is_locked_whoever_lets_the_settled_claim_go(workspace, make_form):
    """``release`` into the slots, then the settled claim let go (as ``process`` does): the folder stays locked."""
    make_form(workspace.inbox / "a.docx")
    slots = cl.Slots()
    claims_dir = workspace.work / "claims"
    claim = cl.claim_by_rename(claims_dir, workspace.inbox / "a.docx", "a.docx", slots=slots)
    os.replace(claim.file, workspace.inbox / "a.docx")
    cl.release(claim, slots)
    claim.let_go()
    [kept] = slots.free
    assert not (claims_dir / claim.token).exists()  # under a token of no claim (test 4 below)
    assert fsutil.HeldLock.take(Path(kept.folder) / cl.LOCK) is None, "a kept folder left unlocked"
    again = cl.claim_by_rename(claims_dir, workspace.inbox / "a.docx", "a.docx", slots=slots)
    assert fsutil.HeldLock.take(again.file.parent / cl.LOCK) is None, "a claim made in a kept folder is unlocked"
    cl.put_back(again)
    slots.close()
    assert list(claims_dir.iterdir()) == []


# --- 2. the intent rewritten in place ----------------------------------------------------------------------------
def _three_writes(folder):
    """An intent written three times (as a claim's is by the time its copy is made): shown by ``.intent.json.a``."""
    writer = fsutil.Rewriter(cl.INTENT)
    for n in range(3):
        writer.write(folder, json.dumps({"n": n, "pad": "x" * 200}).encode())
    assert os.path.samestat(os.stat(folder / cl.INTENT), os.stat(folder / ".intent.json.a"))


@posix
def test_a_new_rewriter_never_writes_into_the_intent_shown(tmp_path):
    """Recovery's ``Claim.load`` makes a Rewriter that starts at spare .a — the one shown after an odd number of
    writes: its write went into intent.json itself, a reader saw it change under it."""
    _three_writes(tmp_path)
    with open(tmp_path / cl.INTENT, "rb") as reader:
        fsutil.Rewriter(cl.INTENT).write(tmp_path, b"{}")
        assert json.loads(reader.read())["n"] == 2, "the intent shown was written in place"
    assert (tmp_path / cl.INTENT).read_bytes() == b"{}"
    assert not (tmp_path / ".intent.json.next").exists()


@posix
def test_an_io_error_in_a_rewrite_leaves_the_intent_whole(tmp_path, monkeypatch):
    """EIO (or ENOSPC) as the new intent is written: intent.json is still the last one written whole."""
    _three_writes(tmp_path)

    def failing(fd, length):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(fsutil.os, "ftruncate", failing)
    try:
        fsutil.Rewriter(cl.INTENT).write(tmp_path, b"{\"short\": 1}")
    except OSError:
        assert json.loads((tmp_path / cl.INTENT).read_bytes())["n"] == 2  # the last one whole
    else:
        assert (tmp_path / cl.INTENT).read_bytes() == b"{\"short\": 1}"  # or the new one, written whole another way


@posix
def test_a_ctrl_c_after_the_rename_does_not_make_the_next_write_in_place(tmp_path, monkeypatch):
    """Ctrl-C between the rename and the turn: the next write chose the spare just shown."""
    writer = fsutil.Rewriter(cl.INTENT)
    writer.write(tmp_path, b"{\"n\": 0}")
    replace = os.replace

    def interrupted(src, dst):
        replace(src, dst)
        raise KeyboardInterrupt

    monkeypatch.setattr(fsutil.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        writer.write(tmp_path, b"{\"n\": 1}")
    monkeypatch.setattr(fsutil.os, "replace", replace)
    with open(tmp_path / cl.INTENT, "rb") as reader:
        writer.write(tmp_path, b"{\"n\": 2}")
        assert reader.read() == b"{\"n\": 1}", "the intent shown was written in place"


_KILLED_IN_REWRITE = textwrap.dedent("""
    import os, signal, sys
    from lzdocs import fsutil
    truncate = os.ftruncate
    def killed(fd, length):  # SIGKILL between the intent's write and its ftruncate
        if ".intent.json." in os.readlink(f"/proc/self/fd/{fd}"):
            os.kill(os.getpid(), signal.SIGKILL)
        truncate(fd, length)
    fsutil.os.ftruncate = killed
    from lzdocs.cli import cli
    cli(sys.argv[1:], prog_name="lzdocs")
""")


@pytest.mark.slow  # a real process killed or signalled (the quick loop leaves those out)
@posix
@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="/proc")
def test_a_recovery_killed_as_it_rewrites_the_intent_strands_nothing(workspace, make_form):
    """Killed after its copy was made (3 intents written: .a shown); the recovery that puts it back rewrites the
    intent without its reserved names — in place, into .a — and is killed before it shortens the file: the intent
    left was the new JSON with the old one's tail, read as none, and the claim's empty reserved name and its copy
    in flight stayed in the archive for good."""
    data = make_form(workspace.inbox / "计划财务处.docx").read_bytes()
    killed = run_process("-w", workspace.root, "ingest", env=cli_env(LZDOCS_CRASH_AT="before-copy"))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    [folder] = (workspace.work / "claims").iterdir()
    assert cl.Claim.load(folder).reserved
    recovery = subprocess.run([sys.executable, "-c", _KILLED_IN_REWRITE, "-w", str(workspace.root), "ingest"],
                              env=cli_env(), capture_output=True, text=True, timeout=300)
    assert recovery.returncode == -signal.SIGKILL, recovery.stderr
    assert cl.Claim.load(folder) is not None, f"a half-written intent: {(folder / cl.INTENT).read_bytes()!r}"
    assert run_cli("-w", workspace.root, "ingest").returncode == 0
    assert_each_input_exactly_once(workspace, [data])


# --- 3. what a shared inbox's users put where the spares are ----------------------------------------------------
def _plant(folder, name, what, victim):
    path = folder / name
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()
    if what == "folder":
        path.mkdir()
        (path / "x").write_bytes(b"x")
    elif what == "fifo":
        os.mkfifo(path)
    elif what == "symlink":
        path.symlink_to(victim)
    else:
        os.link(victim, path)


@posix
@pytest.mark.parametrize("what", ["folder", "fifo", "symlink", "hardlink"])
def test_what_is_put_at_the_spares_of_a_kept_folder_neither_stops_the_run_nor_is_written(workspace, store, make_form,
                                                                                         monkeypatch, what):
    """A kept folder lives for the whole run, its name listed in the shared claims folder: a folder or a link put at
    a spare's name stopped the run (ELOOP, EISDIR: the claim folder left behind), a FIFO hung it for good (its open
    waits for a reader), and a hard link to another file had the intent written over that file's bytes."""
    victim = workspace.root / "victim.bin"
    victim.write_bytes(b"a file of the archive" * 100)
    take = cl.Slots.take
    planted = []

    def planting(self):
        kept = take(self)
        if kept is not None:
            folder = Path(kept.folder)
            for name in kept._intent.spares:
                _plant(folder, name, what, victim)
            planted.append(folder.name)
        return kept

    monkeypatch.setattr(cl.Slots, "take", planting)
    from lzdocs.ingest import pipeline
    monkeypatch.setattr(pipeline, "BATCH_SECONDS", 0)
    inputs = [make_form(workspace.inbox / f"{i}.docx", unit=unit).read_bytes()
              for i, unit in enumerate(["计划财务处", "基建处", "教务处", "图书馆"])]
    if what == "fifo":  # a run that hangs fails the test instead of stopping it
        signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(TimeoutError("the run hung on a FIFO")))
        signal.alarm(60)
    try:
        outcomes = Ingest(workspace, store, today=TODAY).run_inbox()
    finally:
        signal.alarm(0)
    assert planted
    assert [o.status for o in outcomes] == ["accepted"] * 4
    assert victim.read_bytes() == b"a file of the archive" * 100
    assert_each_input_exactly_once(workspace, inputs)


# --- what held: a kill at each new step, slots in use -------------------------------------------------------------
_KILLED_AT_A_NEW_STEP = textwrap.dedent("""
    import os, signal, sys
    from lzdocs import fsutil
    from lzdocs.ingest import claims as cl, pipeline
    step, n = sys.argv.pop(1), int(sys.argv.pop(1))
    pipeline.BATCH_SECONDS = 0  # each form committed before the next: its folder kept and handed on
    count = [0]
    def at(name):
        if name == step:
            count[0] += 1
            if count[0] == n:
                os.kill(os.getpid(), signal.SIGKILL)
    take, keep, link, truncate = cl.Slots.take, cl.Slots.keep, os.link, os.ftruncate
    def taking(self):
        kept = take(self)
        if kept is not None:
            at("slot-taken")
        return kept
    def keeping(self, claim):
        at("before-keep")
        keep(self, claim)
        at("kept")
    def linking(src, dst, *a, **kw):
        link(src, dst, *a, **kw)
        if str(dst).endswith(".next"):
            at("linked")
    def truncating(fd, length):
        if ".intent.json." in os.readlink(f"/proc/self/fd/{fd}"):
            at("written")
        truncate(fd, length)
    cl.Slots.take, cl.Slots.keep, fsutil.os.link, fsutil.os.ftruncate = taking, keeping, linking, truncating
    from lzdocs.cli import cli
    cli(sys.argv[1:], prog_name="lzdocs")
""")


@posix
@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="/proc")
@pytest.mark.slow
@pytest.mark.parametrize("step", ["slot-taken", "before-keep", "kept", "linked", "written"])
@pytest.mark.parametrize("n", [1, 3])
def test_a_run_killed_at_a_step_of_slots_or_rewrites_loses_nothing_and_leaves_nothing(workspace, make_form, step, n):
    inputs = [make_form(workspace.inbox / f"{i}.docx", unit=unit).read_bytes()
              for i, unit in enumerate(["计划财务处", "基建处", "教务处", "图书馆"])]
    inputs.append(make_form(workspace.inbox / "bad.docx", unit="人事处",
                            rows=[dict(SAMPLE_ROWS[0], level="很高")]).read_bytes())
    killed = subprocess.run([sys.executable, "-c", _KILLED_AT_A_NEW_STEP, step, str(n), "-w", str(workspace.root),
                             "ingest"], env=cli_env(), capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert run_cli("-w", workspace.root, "ingest").returncode in (0, 1)
    for path in workspace.rejected.glob("*.错误说明.txt"):
        path.unlink()  # the note written for the returned file: not an input
    assert_each_input_exactly_once(workspace, inputs)


@posix
def test_a_failing_commit_among_kept_folders_puts_its_file_back_and_leaves_no_claim(workspace, store, make_form,
                                                                                    monkeypatch):
    """Two forms committed (their folders kept and handed on), the third's commit fails: its file goes back, the
    run stops, and neither its claim nor a kept folder is left."""
    import sqlite3

    from lzdocs.errors import StoreError
    from lzdocs.ingest import pipeline
    from tests.conftest import at_commit

    monkeypatch.setattr(pipeline, "BATCH_SECONDS", 0)
    inputs = [make_form(workspace.inbox / f"{i}.docx", unit=unit).read_bytes()
              for i, unit in enumerate(["计划财务处", "基建处", "教务处", "图书馆"])]
    commits = []

    def third_fails(raw):
        commits.append(raw)
        if len(commits) == 3:
            raise sqlite3.OperationalError("disk I/O error")

    job = Ingest(workspace, store, today=TODAY)
    with at_commit(third_fails):
        outcomes = job.run_inbox()  # the run's own check: bytes kept, no claim left
    assert isinstance(job.stopped, StoreError)  # the run stopped there, and says what it did before
    assert [o.status for o in outcomes] == ["accepted", "accepted", "failed"]
    assert list((workspace.work / "claims").iterdir()) == []
    assert [o.status for o in Ingest(workspace, store, today=TODAY).run_inbox()] == ["accepted"] * 2
    assert_each_input_exactly_once(workspace, inputs)


@posix
@pytest.mark.parametrize("code", [errno.EPERM, errno.EXDEV, errno.ENOTSUP])
def test_a_claims_folder_without_hard_links_takes_every_form_and_leaves_nothing(workspace, store, make_form,
                                                                                  monkeypatch, code):
    from lzdocs.ingest import pipeline

    link = os.link

    def no_links(src, dst, *a, **kw):
        if str(dst).endswith(".intent.json.next"):
            raise OSError(code, os.strerror(code))
        return link(src, dst, *a, **kw)

    monkeypatch.setattr(fsutil.os, "link", no_links)
    monkeypatch.setattr(pipeline, "BATCH_SECONDS", 0)
    inputs = [make_form(workspace.inbox / f"{i}.docx", unit=unit).read_bytes()
              for i, unit in enumerate(["计划财务处", "基建处", "教务处", "图书馆"])]
    assert [o.status for o in Ingest(workspace, store, today=TODAY).run_inbox()] == ["accepted"] * 4
    assert_each_input_exactly_once(workspace, inputs)


@posix
def test_a_recovery_that_listed_a_kept_folder_renamed_since_leaves_both_alone(workspace, store, make_form,
                                                                                monkeypatch, caplog):
    """Another process's recovery lists the claims; this one hands a kept folder to its next claim (a rename); the
    recovery then looks at the old name (gone) and the new one (locked): nothing undone, nothing logged as an
    error."""
    make_form(workspace.inbox / "a.docx")
    make_form(workspace.inbox / "b.docx", unit="基建处")
    claims_dir = workspace.work / "claims"
    slots = cl.Slots()
    first = cl.claim_by_rename(claims_dir, workspace.inbox / "a.docx", "a.docx", slots=slots)
    os.replace(first.file, workspace.inbox / "a.docx")
    cl.release(first, slots)
    listed = cl.leftovers(claims_dir)
    second = cl.claim_by_rename(claims_dir, workspace.inbox / "b.docx", "b.docx", slots=slots)
    assert len(listed) == 1 and second.file.is_file()
    monkeypatch.setattr(cl, "leftovers", lambda d: listed + [Path(second.folder)])
    with caplog.at_level("ERROR"):
        assert Ingest(workspace, store, today=TODAY).recover() == 0
    assert second.file.is_file() and cl.Claim.load(Path(second.folder)).token == second.token
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    cl.put_back(second)
    slots.close()
    assert list(claims_dir.iterdir()) == []


# --- 4. a kept folder still named after its settled claim -----------------------------------------------------------
@posix
@pytest.mark.both_backends
def test_a_form_returned_and_its_correction_in_one_run_settle_the_return(workspace, store, make_form):
    """基建处's form is returned and its corrected form accepted in the same run. The return's claim, settled, was
    kept in the slots under its token: ``settle_returned`` took that folder for a claim not yet released and left
    the returned file in 退回/ rather than moving it to 退回/已处理/ (as it does when the two come in two runs)."""
    bad = make_form(workspace.inbox / "基建处.docx", unit="基建处", rows=[dict(SAMPLE_ROWS[0], level="很高")])
    good = make_form(workspace.inbox / "基建处_改.docx", unit="基建处")
    os.utime(good, (bad.stat().st_mtime + 10, bad.stat().st_mtime + 10))  # taken after the one returned
    outcomes = Ingest(workspace, store, today=TODAY).run_inbox()
    assert [o.status for o in outcomes] == ["rejected", "accepted"]
    assert not (workspace.rejected / "基建处.docx").exists(), "the return left in 退回/"
    assert (workspace.rejected / "已处理" / "基建处.docx").is_file()


# --- 5. (before d32a7d1 too) a user's file named intent.json -------------------------------------------------------
@pytest.mark.slow  # a real process killed or signalled (the quick loop leaves those out)
@posix
@pytest.mark.parametrize("name", ["intent.json", "INTENT.json"])
def test_an_inbox_file_named_intent_json_survives_a_kill(workspace, name):
    """The claimed file was renamed into its claim folder over the claim's own intent.json; killed then, the
    recovery read it as no intent, found no file in the folder (``orphan`` skips intent.json) and removed it: the
    user's file gone. (A case-insensitive share: INTENT.json is the same name.)"""
    data = b"a file a unit sent " * 50
    (workspace.inbox / name).write_bytes(data)
    killed = run_process("-w", workspace.root, "ingest", env=cli_env(LZDOCS_CRASH_AT="claimed"))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    run_cli("-w", workspace.root, "ingest")
    for path in workspace.rejected.glob("*.错误说明.txt"):
        path.unlink()
    assert_each_input_exactly_once(workspace, [data])

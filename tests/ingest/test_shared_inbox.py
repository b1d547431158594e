"""One inbox, two archives: the inbox belongs to the first archive that takes from it; a second workspace with an
archive of its own is refused, and its recovery never finishes or puts back the first one's claims.

Invariant: every input's bytes (by SHA-256) exactly once in the archive, in 退回/, or still in the inbox — here
counted for the archive that owns the inbox."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import socket
import sqlite3
import sys
from pathlib import Path

import pytest

from lzdocs.errors import ConfigError
from lzdocs.ingest import Ingest
from lzdocs.ingest import claims as cl
from lzdocs.store import Store
from lzdocs.workspace import SAMPLE, Workspace
from tests.conftest import cli_env, run_cli, run_json, run_process, use_inbox
from tests.ingest.invariant import assert_each_input_exactly_once, kept, sha

pytestmark = [pytest.mark.sqlite_only,  # two archives of their own: two SQLite files
              pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, SIGKILL")]


@pytest.fixture
def share(tmp_path) -> Path:
    folder = tmp_path / "共享收件"
    folder.mkdir()
    return folder


def _workspace(tmp_path: Path, name: str, share: Path) -> Workspace:
    ws, _ = Workspace.init(tmp_path / name, SAMPLE)
    use_inbox(ws.root, share)
    return Workspace.open(ws.root)


def _inbox_files(share: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in share.iterdir() if p.is_file()}


def test_the_first_archive_owns_the_inbox_and_a_second_one_is_refused(tmp_path, share, make_form):
    first, second = _workspace(tmp_path, "纪委办", share), _workspace(tmp_path, "试用", share)
    a = make_form(share / "计财处.docx").read_bytes()
    assert run_json("-w", first.root, "ingest")[0]["status"] == "accepted"
    owner = json.loads((share / ".lzdocs" / cl.OWNER).read_text(encoding="utf-8"))
    assert owner["workspace"] == str(first.root)
    with Store.for_workspace(first) as store:
        assert owner["archive"] == store.archive_id()

    make_form(share / "基建处.xlsx", unit="基建处")
    waiting = _inbox_files(share)
    for args in (["ingest"], ["ingest", "--dry-run"], ["ingest", "--json"]):
        proc = run_cli("-w", second.root, *args, check=2)
        assert f"收件文件夹“{share}”已是另一个档案库（{first.root}、" in proc.stderr
        assert "各单位报送的表格会被分到两处" in proc.stderr and "[inbox] path 另设一个收件文件夹" in proc.stderr
        assert str(share / ".lzdocs" / cl.OWNER) in proc.stderr
    assert _inbox_files(share) == waiting  # nothing taken, nothing moved
    assert not (second.outbox / "2026" / "收文").exists()

    assert run_json("-w", first.root, "ingest")[0]["unit"] == "基建处"  # the owner goes on as before
    assert kept(first, (share,)) == {sha(a): 1, sha(waiting["基建处.xlsx"]): 1}


@pytest.mark.slow  # a real watcher process
def test_a_watcher_of_a_second_archive_does_not_start(tmp_path, share, make_form):
    first, second = _workspace(tmp_path, "纪委办", share), _workspace(tmp_path, "试用", share)
    make_form(share / "计财处.docx")
    run_json("-w", first.root, "ingest")
    data = make_form(share / "基建处.docx", unit="基建处").read_bytes()
    proc = run_process("-w", second.root, "watch", timeout=60, check=2)
    assert "已是另一个档案库" in proc.stderr
    assert (share / "基建处.docx").read_bytes() == data


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_second_archive_never_undoes_a_claim_of_the_first(tmp_path, share, make_form):
    """The first archive is killed after its commit, before the file is in place: only it can finish that claim.
    Before, a second workspace's recovery found no such record in its own archive and put the file back, removing
    the copy in flight the first archive had recorded."""
    first, second = _workspace(tmp_path, "纪委办", share), _workspace(tmp_path, "试用", share)
    data = make_form(share / "计财处.docx").read_bytes()
    killed = run_process("-w", first.root, "ingest", env=cli_env(LZDOCS_CRASH_AT="after-commit"))
    assert killed.returncode == -9, killed.stderr
    [claim] = cl.leftovers(share / ".lzdocs" / "claims")
    held = sorted(p.name for p in claim.iterdir())

    named = make_form(tmp_path / "其他" / "图书馆.docx", unit="图书馆")
    for args in (["ingest", str(named)], ["ingest"]):  # a named file's claim would live in that inbox too
        assert "已是另一个档案库" in run_cli("-w", second.root, *args, check=2).stderr
    assert sorted(p.name for p in claim.iterdir()) == held

    assert run_json("-w", first.root, "ingest") == []  # its recovery finishes the claim; nothing else waits
    assert_each_input_exactly_once(first, [data], (share,))
    assert json.loads(run_cli("-w", first.root, "verify", "--json", check=0).stdout)["findings"] == []


def test_recovery_leaves_another_archives_claim_alone_and_says_so(tmp_path, share, make_form, caplog):
    first, second = _workspace(tmp_path, "纪委办", share), _workspace(tmp_path, "试用", share)
    make_form(share / "计财处.docx")
    with Store.for_workspace(first) as store:
        claim = cl.claim_by_rename(first.work / "claims", share / "计财处.docx", "计财处.docx", store.archive_id())
    claim.let_go()  # its process died
    with Store.for_workspace(second) as store, caplog.at_level(logging.WARNING, logger="lzdocs.ingest"):
        assert Ingest(second, store).recover() == 0
    assert claim.file.is_file() and not (share / "计财处.docx").exists()
    assert "另一个档案库（或本档案库另一份）未完成的收取（计财处.docx），本档案库不处理" in caplog.text
    with Store.for_workspace(first) as store:
        assert Ingest(first, store).recover() == 1  # its own archive puts it back: nothing was recorded
    assert (share / "计财处.docx").is_file()


def test_a_claim_left_by_an_older_version_is_still_recovered(workspace, store, make_form):
    """Claims made before claims carried their archive: taken as this archive's, as they were."""
    data = make_form(workspace.inbox / "计财处.docx").read_bytes()
    claim = cl.claim_by_rename(workspace.work / "claims", workspace.inbox / "计财处.docx", "inbox/计财处.docx")
    assert claim.archive is None
    claim.let_go()
    assert Ingest(workspace, store).recover() == 1
    assert (workspace.inbox / "计财处.docx").read_bytes() == data


def test_a_new_database_in_the_same_workspace_is_told_apart(workspace, make_form):
    """lzdocs.db replaced (a new one, or one copied from elsewhere): the inbox still feeds the old archive."""
    make_form(workspace.inbox / "计财处.docx")
    run_json("-w", workspace.root, "ingest")
    (workspace.root / "lzdocs.db").rename(workspace.root / "原来的.db")
    for side in ("-wal", "-shm"):
        (workspace.root / f"lzdocs.db{side}").unlink(missing_ok=True)
    make_form(workspace.inbox / "基建处.docx", unit="基建处")
    proc = run_cli("-w", workspace.root, "ingest", check=2)  # the workspace says so first (store/kept.py)
    assert "找不到本工作区的档案库" in proc.stderr and not (workspace.root / "lzdocs.db").exists()
    shutil.move(workspace.outbox / "2026", workspace.root.parent / "旧的2026")  # as that message says: the
    (workspace.state / "archive.json").unlink(missing_ok=True)  # inbox's own record still holds
    proc = run_cli("-w", workspace.root, "ingest", check=2)
    assert "记着的是本工作区以前的档案库，不是现在的 lzdocs.db" in proc.stderr
    assert "请把原来的 lzdocs.db 放回" in proc.stderr
    assert (workspace.inbox / "基建处.docx").is_file()


@pytest.mark.parametrize("record", [b"", b"{\"archive\": ", b"[1, 2]", "fifo", "folder"])
def test_a_damaged_owner_record_is_refused_and_named_never_taken_over(workspace, store, make_form, record):
    """The record is written whole and fsynced before it is put in place: one that is no record (empty, cut short,
    other JSON, a FIFO, a folder) was damaged by something else. Taking it over would let whichever archive came
    next own the inbox; it is named instead, and removing it, as the message says, lets the run go on."""
    workspace.work.mkdir(parents=True, exist_ok=True)
    path = workspace.work / cl.OWNER
    if record == "fifo":
        os.mkfifo(path)
    elif record == "folder":
        path.mkdir()
    else:
        path.write_bytes(record)
    data = make_form(workspace.inbox / "计财处.docx").read_bytes()
    for dry_run in (True, False):
        with pytest.raises(ConfigError) as refused:
            Ingest(workspace, store).run_inbox(dry_run=dry_run)
        assert f"收件文件夹记录所属档案库的文件“{path}”已损坏" in refused.value.message
        assert f"删除 {path} 后重新运行" in refused.value.hint
    assert (workspace.inbox / "计财处.docx").read_bytes() == data
    path.rmdir() if record == "folder" else path.unlink()
    [outcome] = Ingest(workspace, store).run_inbox()
    assert outcome.status == "accepted"
    assert cl.inbox_owner(workspace.work)["archive"] == store.archive_id()


def test_two_archives_starting_at_once_get_one_owner(tmp_path):
    """The record is put in place without replacing: the second to arrive reads the first's."""
    work = tmp_path / ".lzdocs"
    assert cl.bind_inbox(work, {"archive": "a"}) == {"archive": "a"}
    assert cl.bind_inbox(work, {"archive": "b"}) == {"archive": "a"}
    assert sorted(p.name for p in work.iterdir()) == [cl.OWNER]  # no record in flight left


def test_the_owner_puts_back_a_claim_of_the_archive_it_replaced(tmp_path, share, make_form):
    """An archive retired (the record removed, as the refusal says) leaves a claim: the new owner takes it again."""
    first, second = _workspace(tmp_path, "旧", share), _workspace(tmp_path, "新", share)
    data = make_form(share / "计财处.docx").read_bytes()
    with Store.for_workspace(first) as store:
        claim = cl.claim_by_rename(first.work / "claims", share / "计财处.docx", "计财处.docx", store.archive_id())
    in_flight = first.outbox / "2026" / "收文" / ".copy.part"  # its copy, perhaps recorded before it was retired
    in_flight.parent.mkdir(parents=True)
    in_flight.write_bytes(data)
    claim.partial = str(in_flight)
    claim.save()
    claim.let_go()
    (share / ".lzdocs" / cl.OWNER).unlink(missing_ok=True)
    with Store.for_workspace(second) as store:
        [outcome] = Ingest(second, store).run_inbox()
    assert outcome.status == "accepted" and not Path(claim.folder).exists()
    assert_each_input_exactly_once(second, [data], (share,))
    assert in_flight.read_bytes() == data  # only the retired archive's own database could tell it may go


def test_a_backup_from_before_identities_restored_takes_the_workspaces_identity(workspace, make_form):
    """An archive with records and no identity (a backup made before this version, restored after its inbox was
    recorded) is this workspace's archive: it takes the identity recorded for the workspace."""
    make_form(workspace.inbox / "计财处.docx")
    run_json("-w", workspace.root, "ingest")
    recorded = cl.inbox_owner(workspace.work)["archive"]
    with sqlite3.connect(workspace.root / "lzdocs.db") as db:
        db.execute("DELETE FROM meta WHERE key = 'archive_id'")
    make_form(workspace.inbox / "基建处.docx", unit="基建处")
    assert run_json("-w", workspace.root, "ingest")[0]["status"] == "accepted"
    with Store.for_workspace(workspace) as store:
        assert store.archive_id() == recorded


def test_a_watcher_whose_inbox_becomes_another_archives_stops(tmp_path, share, make_form):
    """The record removed and the inbox taken by another archive while a watcher runs: at its next form the
    watcher stops with the message (exit 2 from the command line), instead of failing every form for good."""
    from lzdocs import Office
    from tests.watch.test_office_watch import wait_for, watch_in_thread

    first, second = _workspace(tmp_path, "纪委办", share), _workspace(tmp_path, "试用", share)
    make_form(share / "计财处.docx")
    with Office(first, today=dt.date(2026, 11, 28)) as office:
        thread, stop, errors = watch_in_thread(office)
        try:
            wait_for(lambda: not (share / "计财处.docx").exists())
            (share / ".lzdocs" / cl.OWNER).unlink()
            with Store.for_workspace(second) as store:
                Ingest(second, store, today=dt.date(2026, 11, 28)).bind_inbox()
            data = make_form(share / "基建处.docx", unit="基建处").read_bytes()
            thread.join(60)
        finally:
            if thread.is_alive():
                stop()
                thread.join(30)
    assert [type(e) for e in errors] == [ConfigError] and "已是另一个档案库" in errors[0].message
    assert (share / "基建处.docx").read_bytes() == data


def _copy(ws: Workspace, folder: Path) -> Workspace:
    """The workspace copied whole (Explorer, ``cp -r``, a backup restored elsewhere): the same archive, twice."""
    shutil.copytree(ws.root, folder)
    return Workspace.open(folder)


def test_a_copy_of_the_archive_is_refused_and_the_original_goes_on(tmp_path, share, make_form):
    """Two copies of one archive share its identity; both taking from one inbox would each miss what the other
    took, so the copy is refused by name — for ingest, a dry run and a named file alike — before anything moves."""
    first = _workspace(tmp_path, "纪委办", share)
    a = make_form(share / "计财处.docx").read_bytes()
    assert run_json("-w", first.root, "ingest")[0]["status"] == "accepted"
    copy = _copy(first, tmp_path / "纪委办-副本")
    b = make_form(share / "基建处.xlsx", unit="基建处").read_bytes()
    named = make_form(tmp_path / "其他" / "图书馆.docx", unit="图书馆")
    waiting = _inbox_files(share)
    for args in (["ingest"], ["ingest", "--dry-run"], ["ingest", str(named)]):
        proc = run_cli("-w", copy.root, *args, check=2)
        assert f"记着的是本档案库的另一份（{first.root}、" in proc.stderr, proc.stderr
        assert "同一个档案库被复制或恢复到了两处" in proc.stderr
        assert f"若那一份已不再使用（工作区已搬到这里，或已从备份恢复到这里），删除 {share / '.lzdocs' / cl.OWNER}" \
            in proc.stderr
    assert _inbox_files(share) == waiting
    assert run_json("-w", first.root, "ingest")[0]["unit"] == "基建处"
    assert kept(first, (share,)) == {sha(a): 1, sha(b): 1}


def _on_another_computer(monkeypatch, name="财务处-PC", machine="b7c1") -> None:
    from lzdocs.ingest import owner
    from lzdocs.store import db

    monkeypatch.setattr(socket, "gethostname", lambda: name)
    for module in (owner, db):
        monkeypatch.setattr(module, "computer", lambda: machine)


def test_the_same_sqlite_workspace_from_another_computer_is_refused(workspace, store, make_form, monkeypatch):
    """A workspace on a share opened from a second computer: one SQLite file is never written from two."""
    data = make_form(workspace.inbox / "计财处.docx").read_bytes()
    Ingest(workspace, store).run_inbox()
    waiting = make_form(workspace.inbox / "基建处.docx", unit="基建处").read_bytes()
    home = socket.gethostname()
    _on_another_computer(monkeypatch)
    with Store.for_workspace(workspace) as elsewhere, pytest.raises(ConfigError) as refused:
        Ingest(workspace, elsewhere).run_inbox()
    assert f"记着的是电脑 {home} 上的本工作区，这台电脑（财务处-PC）不是它（另一台电脑，或重装过系统）：" \
           "一个 SQLite 档案库（lzdocs.db）不能从两台电脑收取" in refused.value.message
    assert "多台电脑共用请改用 PostgreSQL" in refused.value.hint
    assert_each_input_exactly_once(workspace, [data, waiting], (workspace.inbox,))
    assert (workspace.inbox / "基建处.docx").is_file()


def test_a_record_from_before_places_still_tells_a_copy(tmp_path, share, make_form):
    """An inbox recorded by the previous version (archive, workspace and computer, no database): a copy in another
    folder is told apart by its workspace."""
    first = _workspace(tmp_path, "纪委办", share)
    make_form(share / "计财处.docx")
    run_json("-w", first.root, "ingest")
    record = share / ".lzdocs" / cl.OWNER
    owner = json.loads(record.read_text(encoding="utf-8"))
    record.write_text(json.dumps({k: owner[k] for k in ("archive", "workspace", "host")}), encoding="utf-8")
    copy = _copy(first, tmp_path / "副本")
    make_form(share / "基建处.docx", unit="基建处")
    assert "记着的是本档案库的另一份" in run_cli("-w", copy.root, "ingest", check=2).stderr
    assert run_json("-w", first.root, "ingest")[0]["status"] == "accepted"


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_copy_never_undoes_a_claim_the_original_recorded(tmp_path, share, make_form):
    """The original is killed after its commit, its copy in flight not yet in place. The copy of the archive (made
    before) is refused; once the clerk retires the original, the copy takes the form again from its claim — and
    the original's recorded copy in flight stays where it was, never removed by an archive that cannot know it."""
    first = _workspace(tmp_path, "纪委办", share)
    before = make_form(share / "基建处.docx", unit="基建处").read_bytes()
    run_json("-w", first.root, "ingest")
    copy = _copy(first, tmp_path / "副本")
    data = make_form(share / "计财处.docx").read_bytes()
    killed = run_process("-w", first.root, "ingest", env=cli_env(LZDOCS_CRASH_AT="after-commit"))
    assert killed.returncode == -9, killed.stderr
    [folder] = cl.leftovers(share / ".lzdocs" / "claims")
    claim = cl.Claim.load(folder)
    assert claim.workspace == str(first.root) and Path(claim.partial).read_bytes() == data

    assert "记着的是本档案库的另一份" in run_cli("-w", copy.root, "ingest", check=2).stderr
    assert cl.Claim.load(folder) == claim  # untouched

    (share / ".lzdocs" / cl.OWNER).unlink()  # the original retired, as the message says
    [outcome] = run_json("-w", copy.root, "ingest")
    assert outcome["status"] == "accepted" and not folder.exists()
    assert Path(claim.partial).read_bytes() == data  # the original's copy in flight: left for its own archive
    assert_each_input_exactly_once(copy, [before, data], (share,))


def test_a_workspace_copied_with_its_inbox_inside_takes_from_its_own_inbox(tmp_path, make_form):
    """The inbox inside the workspace (the default) is copied with it, its record too: the copy's inbox is no other
    archive's, so the copy takes from it and records itself; the original is unaffected."""
    first, _ = Workspace.init(tmp_path / "纪委办", SAMPLE)
    make_form(first.inbox / "计财处.docx")
    run_json("-w", first.root, "ingest")
    copy = _copy(first, tmp_path / "新硬盘" / "纪委办")
    data = make_form(copy.inbox / "基建处.docx", unit="基建处").read_bytes()
    assert run_json("-w", copy.root, "ingest")[0]["status"] == "accepted"
    assert cl.inbox_owner(copy.work)["workspace"] == str(copy.root)
    assert cl.inbox_owner(first.work)["workspace"] == str(first.root)
    make_form(first.inbox / "图书馆.docx", unit="图书馆")
    assert run_json("-w", first.root, "ingest")[0]["status"] == "accepted"
    assert kept(copy, (copy.inbox,))[sha(data)] == 1


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_claim_copied_with_the_workspace_is_finished_in_the_copy_only(tmp_path, make_form):
    """Copied while a claim was pending (killed after its commit): the claim's paths name the original's folders.
    The copy finishes it in its own folders, as its copied archive records it; the original's files are not
    touched, and the original finishes its own claim."""
    first, _ = Workspace.init(tmp_path / "纪委办", SAMPLE)
    data = make_form(first.inbox / "计财处.docx").read_bytes()
    killed = run_process("-w", first.root, "ingest", env=cli_env(LZDOCS_CRASH_AT="after-commit"))
    assert killed.returncode == -9, killed.stderr
    [folder] = cl.leftovers(first.work / "claims")
    partial = Path(cl.Claim.load(folder).partial)
    copy = _copy(first, tmp_path / "副本")

    assert run_json("-w", copy.root, "ingest") == []  # its recovery finishes the copied claim
    assert partial.read_bytes() == data and folder.is_dir()  # the original's, as they were
    assert_each_input_exactly_once(copy, [data], (copy.inbox,))
    assert json.loads(run_cli("-w", copy.root, "verify", "--json", check=0).stdout)["findings"] == []
    assert run_json("-w", first.root, "ingest") == []  # its recovery finishes its own claim
    assert_each_input_exactly_once(first, [data], (first.inbox,))
    assert json.loads(run_cli("-w", first.root, "verify", "--json", check=0).stdout)["findings"] == []


def _move_inbox(ws: Workspace, old: Path, new: Path) -> None:
    config = ws.root / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(str(old), str(new)), encoding="utf-8")


def test_a_copy_reaching_the_shared_inbox_by_another_name_is_refused(tmp_path, share, make_form):
    """The copy's settings name the share through a link (on Windows: the server's name and its address): the
    same folder, so the same inbox — not one that came with the copy."""
    first = _workspace(tmp_path, "纪委办", share)
    make_form(share / "计财处.docx")
    run_json("-w", first.root, "ingest")
    copy = _copy(first, tmp_path / "副本")
    (tmp_path / "共享-别名").symlink_to(share, target_is_directory=True)
    _move_inbox(copy, share, tmp_path / "共享-别名")
    make_form(share / "基建处.docx", unit="基建处")
    assert "记着的是本档案库的另一份" in run_cli("-w", copy.root, "ingest", check=2).stderr
    assert run_json("-w", first.root, "ingest")[0]["status"] == "accepted"


def test_a_share_moved_with_its_record_still_refuses_the_copy(tmp_path, share, make_form):
    """The file server's folder moved (its record with it): the record names the old folder, yet the copy is
    still a copy — the inbox did not come with it."""
    first = _workspace(tmp_path, "纪委办", share)
    make_form(share / "计财处.docx")
    run_json("-w", first.root, "ingest")
    copy = _copy(first, tmp_path / "副本")
    moved = share.rename(tmp_path / "新共享")
    for ws in (first, copy):
        _move_inbox(ws, share, moved)
    make_form(moved / "基建处.docx", unit="基建处")
    assert "记着的是本档案库的另一份" in run_cli("-w", copy.root, "ingest", check=2).stderr
    assert run_json("-w", first.root, "ingest")[0]["status"] == "accepted"
    assert "记着的是本档案库的另一份" in run_cli("-w", copy.root, "ingest", check=2).stderr


def test_a_workspace_moved_to_another_folder_goes_on_with_its_shared_inbox(tmp_path, share, make_form):
    """Moved, not copied: the archive the record names is gone from this computer, so the record is rewritten."""
    first = _workspace(tmp_path, "纪委办", share)
    make_form(share / "计财处.docx")
    run_json("-w", first.root, "ingest")
    (tmp_path / "D盘").mkdir()
    moved = first.root.rename(tmp_path / "D盘" / "纪委办")
    data = make_form(share / "基建处.docx", unit="基建处").read_bytes()
    assert run_json("-w", moved, "ingest")[0]["status"] == "accepted"
    assert cl.inbox_owner(share / ".lzdocs")["workspace"] == str(moved)
    assert kept(Workspace.open(moved), (share,))[sha(data)] == 1


def test_a_computer_renamed_is_the_same_computer(workspace, store, make_form, monkeypatch):
    make_form(workspace.inbox / "计财处.docx")
    Ingest(workspace, store).run_inbox()
    monkeypatch.setattr(socket, "gethostname", lambda: "JWB-改名后")
    make_form(workspace.inbox / "基建处.docx", unit="基建处")
    with Store.for_workspace(workspace) as again:
        [outcome] = Ingest(workspace, again).run_inbox()
    assert outcome.status == "accepted"


def test_the_owner_leaves_this_workspaces_files_at_a_retired_archives_names(tmp_path, share, make_form):
    """A retired archive's claim names files in its own workspace; the same names in this workspace are this
    archive's (a placeholder of a take in flight, say) and are never removed on its account."""
    first, second = _workspace(tmp_path, "旧", share), _workspace(tmp_path, "新", share)
    data = make_form(share / "计财处.docx").read_bytes()
    with Store.for_workspace(first) as store:
        claim = cl.claim_by_rename(first.work / "claims", share / "计财处.docx", "计财处.docx", store.archive_id(),
                                   str(first.root))
    folder = Path("outbox", "2026", "收文", "计划财务处")
    for ws in (first, second):
        (ws.root / folder).mkdir(parents=True)
        (ws.root / folder / "计财处.docx").touch()  # the old one's reserved name; here, this archive's own
    claim.dest, claim.reserved = str(first.root / folder / "计财处.docx"), [str(first.root / folder / "计财处.docx")]
    claim.save()
    claim.let_go()
    with Store.for_workspace(second) as store:
        [outcome] = Ingest(second, store).run_inbox()
    assert outcome.status == "accepted" and outcome.stored_as.endswith("计财处_01.docx")
    assert (second.root / folder / "计财处.docx").is_file() and (first.root / folder / "计财处.docx").is_file()
    assert kept(second, (share,))[sha(data)] == 1

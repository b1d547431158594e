"""One workspace, one archive (lzdocs/store/kept.py): a lost archive is never made anew, another is never used in its
place, an old copy is never taken up again — a letter would otherwise be numbered a second time and the registers
rewritten empty. Refused before anything is written, the database refused included."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from lzdocs.store import Store
from lzdocs.store.kept import RECORD
from lzdocs.workspace import SAMPLE, Workspace
from tests.conftest import TODAY, run_cli, run_json, use_database
from tests.ingest.invariant import assert_each_input_exactly_once

LETTER = ["letter", "suggestion", "--unit", "计财处", "--set", "事由=检查中", "--set", "问题=采购不规范",
          "--set", "建议=完善制度"]
COMMANDS = [LETTER, ["status"], ["register"], ["risks"], ["ingest"], ["db", "upgrade"], ["verify"],
            ["urge"], ["changes"], ["quality"], ["unit", "计划财务处"]]


def _files(root) -> dict[str, bytes]:
    """Every file of the workspace outside its work folders, with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".lzdocs" not in p.parts}


def _filled(workspace, make_form) -> bytes:
    """A workspace with a form taken and a letter issued (内工大纪建〔2026〕1号); the form's bytes."""
    data = make_form(workspace.inbox / "计财处.docx").read_bytes()
    run_json("-w", workspace.root, "ingest")
    assert run_json("-w", workspace.root, *LETTER)["number"] == "内工大纪建〔2026〕1号"
    return data


def _record(ws) -> dict:
    return json.loads((ws.state / RECORD).read_text(encoding="utf-8"))


def _tables(path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def test_a_lost_archive_is_not_made_anew_by_any_command(workspace, make_form):
    """lzdocs.db moved away: every command says so and changes nothing; put back, the numbering goes on."""
    root = workspace.root
    taken = _filled(workspace, make_form)
    waiting = make_form(workspace.inbox / "基建处.docx", unit="基建处").read_bytes()
    moved = root.parent / "别处"
    moved.mkdir()
    for path in root.glob("lzdocs.db*"):
        path.rename(moved / path.name)
    before = _files(root)
    for command in [*COMMANDS, ["archive", "--year", "2026", moved / "归档"], ["backup", moved / "备份"]]:
        refused = run_cli("-w", root, *command, check=2).stderr
        assert f"找不到本工作区的档案库 {root / 'lzdocs.db'}" in refused, command
        assert "新建一个空的会让文号从 1 号重新编" in refused
        assert f"请把原来的 lzdocs.db 放回 {root}" in refused
        assert (f"删除 {workspace.state / RECORD}，并把 outbox 里原来的年度文件夹（2026）移出工作区后重新运行"
                in refused)
        assert _files(root) == before, command  # no new lzdocs.db, no letter, no register rewritten
    for path in moved.iterdir():
        if path.name.startswith("lzdocs.db"):
            path.rename(root / path.name)
    assert run_json("-w", root, *LETTER)["number"] == "内工大纪建〔2026〕2号"
    assert [o["status"] for o in run_json("-w", root, "ingest")] == ["accepted"]
    assert_each_input_exactly_once(workspace, [taken, waiting])


def test_lost_with_its_work_folder_the_archive_is_told_by_its_files(workspace, make_form):
    """lzdocs.db and .lzdocs both gone (the workspace copied without them): the letters and forms in outbox tell."""
    _filled(workspace, make_form)
    for path in workspace.root.glob("lzdocs.db*"):
        path.unlink()
    shutil.rmtree(workspace.state)
    refused = run_cli("-w", workspace.root, *LETTER, check=2).stderr
    assert "这个工作区已经有档案（outbox 里的 2026/收文、2026/纪检监察建议书）" in refused
    assert "把 outbox 里原来的年度文件夹（2026）移出工作区后重新运行" in refused
    assert not (workspace.root / "lzdocs.db").exists()


def test_another_archive_in_its_place_is_refused_and_left_untouched(workspace, make_form, tmp_path):
    """One copied from another workspace, or a new empty file: refused before anything is written into it."""
    root = workspace.root
    _filled(workspace, make_form)
    other = Workspace.init(tmp_path / "另一个工作区", SAMPLE)[0]
    make_form(other.inbox / "图书馆.docx", unit="图书馆")
    run_json("-w", other.root, "ingest")
    for path in root.glob("lzdocs.db*"):
        path.unlink()
    shutil.copy2(other.root / "lzdocs.db", root / "lzdocs.db")
    with closing(sqlite3.connect(root / "lzdocs.db")) as db:  # as a backup's copy is: one file, no WAL
        db.execute("PRAGMA journal_mode=DELETE")
    foreign = (root / "lzdocs.db").read_bytes()
    for command in (LETTER, ["status"], ["ingest"], ["backup", tmp_path / "备份"], ["db", "upgrade"]):
        refused = run_cli("-w", root, *command, check=2).stderr
        assert f"{root / 'lzdocs.db'} 里的档案库不是本工作区原来的档案库" in refused, command
        assert "若确要改用这个档案库" in refused
    assert (root / "lzdocs.db").read_bytes() == foreign  # not even its journal mode, in its header, changed
    assert not (root / "lzdocs.db-wal").exists()
    (root / "lzdocs.db").write_bytes(b"")  # an empty file: no archive is made in it
    refused = run_cli("-w", root, "status", check=2).stderr
    assert f"{root / 'lzdocs.db'} 里没有档案（是一个空的数据库）" in refused
    assert _tables(root / "lzdocs.db") == []


def test_the_same_archive_elsewhere_is_welcome_and_the_record_follows_it(workspace, make_form, tmp_path):
    """The workspace copied to another folder, or backed up and restored: one archive, recorded where it is now."""
    _filled(workspace, make_form)
    copy = tmp_path / "复制的工作区"
    shutil.copytree(workspace.root, copy)
    assert run_json("-w", copy, *LETTER)["number"] == "内工大纪建〔2026〕2号"
    assert _record(Workspace.open(copy))["database"] == str(copy / "lzdocs.db")
    backup = tmp_path / "备份"
    run_json("-w", workspace.root, "backup", backup)
    restored = tmp_path / "恢复的工作区"
    run_json("restore", next(backup.iterdir()), restored)
    assert run_json("-w", restored, *LETTER)["number"] == "内工大纪建〔2026〕2号"
    assert _record(Workspace.open(restored))["database"] == str(restored / "lzdocs.db")


def test_a_folder_whose_name_is_not_utf8_holds_the_archive_as_any_other(workspace, make_form, tmp_path):
    """Copied, or restored, to a folder named in another system's bytes (GBK on a Linux file server): its record
    holds the name as written (before, writing it crashed every command with a traceback, and exit code 1 — for
    verify, "findings")."""
    _filled(workspace, make_form)
    named = os.fsdecode(os.fsencode(tmp_path) + "/工作区".encode("gbk"))
    shutil.copytree(workspace.root, named)
    assert run_json("-w", named, *LETTER)["number"] == "内工大纪建〔2026〕2号"
    assert _record(Workspace.open(Path(named)))["database"] == named + "/lzdocs.db"
    assert run_cli("-w", named, "verify", check=0).stdout.count("全部完好") == 1
    backup = tmp_path / "备份"
    run_json("-w", named, "backup", backup)  # its manifest names the workspace: the name as \u escapes
    restored = os.fsdecode(os.fsencode(tmp_path) + "/恢复".encode("gbk"))
    run_json("restore", next(backup.iterdir()), restored)
    assert run_json("-w", restored, *LETTER)["number"] == "内工大纪建〔2026〕3号"  # after the copy's 2号


def test_a_fresh_start_takes_the_steps_the_message_names(workspace, make_form, tmp_path):
    """The old archive truly given up: its record deleted, its year folders moved out; then a new archive."""
    root = workspace.root
    _filled(workspace, make_form)
    old = _record(workspace)["archive"]
    for path in root.glob("lzdocs.db*"):
        path.unlink()
    (workspace.state / RECORD).unlink()
    assert "移出工作区" in run_cli("-w", root, "status", check=2).stderr
    shutil.move(workspace.outbox / "2026", tmp_path / "旧的2026")
    assert run_json("-w", root, "status")["units"]
    assert not (workspace.state / RECORD).exists()  # an archive without records is not kept yet
    assert run_json("-w", root, *LETTER)["number"] == "内工大纪建〔2026〕1号"
    run_json("-w", root, "status")  # recorded at the first opening that finds records
    assert _record(workspace)["archive"] not in (None, old)


@pytest.mark.parametrize("record", [b"", b"{\"archive\": ", b"[1]", "folder"])
def test_a_damaged_record_is_named_never_taken_for_none(workspace, make_form, record):
    """A record that is not the one written here: a lost archive must not hide behind it."""
    root = workspace.root
    _filled(workspace, make_form)
    path = workspace.state / RECORD
    path.unlink()
    path.mkdir() if record == "folder" else path.write_bytes(record)
    refused = run_cli("-w", root, "status", check=2).stderr
    assert f"工作区记录所用档案库的文件“{path}”已损坏" in refused and f"删除 {path} 后重新运行" in refused
    path.rmdir() if record == "folder" else path.unlink()
    assert run_json("-w", root, *LETTER)["number"] == "内工大纪建〔2026〕2号"
    assert path.is_file()  # recorded again


def test_a_workspace_from_before_the_record_is_recorded_on_first_opening(workspace, make_form):
    _filled(workspace, make_form)
    (workspace.state / RECORD).unlink()
    run_json("-w", workspace.root, "status")
    with Store.for_workspace(workspace) as store:
        assert _record(workspace) == {"archive": store.archive_id(), "place": store.place,
                                      "database": str(workspace.root / "lzdocs.db"), "left": []}


def test_a_workspace_that_cannot_be_written_is_still_read(workspace, make_form, monkeypatch):
    """A read-only copy (the status page on a share mounted read-only): opened without its record, never refused."""
    from lzdocs.store import kept

    _filled(workspace, make_form)
    (workspace.state / RECORD).unlink()

    def read_only(*_args, **_kw):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(kept, "write_atomic", read_only)
    assert run_json("-w", workspace.root, "status")["units"]
    assert not (workspace.state / RECORD).exists()


@pytest.mark.postgres
def test_moving_to_a_server_in_the_wrong_order_or_back_is_refused(workspace, make_form, postgres_server):
    """The url switched before the copy: refused, the server left empty, so the copy can then be made. After the
    move, the old SQLite file taken up again: refused (it would number 2号 a second time). A mistyped schema too."""
    root = workspace.root
    _filled(workspace, make_form)
    url = postgres_server.new_schema()
    use_database(root, url)
    refused = run_cli("-w", root, *LETTER, check=2).stderr
    assert "里没有档案（是一个空的数据库）" in refused and "运行 lzdocs db copy --to 新地址，再改 url" in refused
    config = root / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(url, ""), encoding="utf-8")
    assert run_json("-w", root, "db", "copy", "--to", url)["ok"] is True  # nothing was made there
    use_database(root, url)
    assert run_json("-w", root, *LETTER)["number"] == "内工大纪建〔2026〕2号"  # the same archive: welcome
    assert _record(workspace)["place"].startswith("server:")
    config.write_text(config.read_text(encoding="utf-8").replace(url, ""), encoding="utf-8")
    refused = run_cli("-w", root, *LETTER, check=2).stderr
    assert "是本档案库搬到数据库服务器" in refused and "之前的旧文件" in refused
    config.write_text(config.read_text(encoding="utf-8").replace('url = ""', f'url = "{postgres_server.new_schema()}"'),
                      encoding="utf-8")
    assert "里没有档案（是一个空的数据库）" in run_cli("-w", root, *LETTER, check=2).stderr
    use_database_again = config.read_text(encoding="utf-8")  # back on the server, then copied back to a new file
    config.write_text(use_database_again.replace(use_database_again.split('url = "')[1].split('"')[0], url),
                      encoding="utf-8")
    back = f"sqlite:///{(root.parent / '搬回来的.db').as_posix()}"
    assert run_json("-w", root, "db", "copy", "--to", back)["ok"] is True
    config.write_text(config.read_text(encoding="utf-8").replace(url, back), encoding="utf-8")
    assert run_json("-w", root, *LETTER)["number"] == "内工大纪建〔2026〕3号"  # the newest copy: welcome
    config.write_text(config.read_text(encoding="utf-8").replace(back, url), encoding="utf-8")  # the server again
    refused = run_cli("-w", root, *LETTER, check=2).stderr  # it would number 3号 a second time
    assert "搬回来的.db 里有" in refused and "上没有的记录" in refused and "会重复编文号" in refused, refused
    assert "letter" in refused or "document" in refused or "内工大纪建〔2026〕3号" in refused


@pytest.mark.postgres
def test_the_file_copied_to_a_server_numbers_nothing_more_before_the_url_is_changed(workspace, make_form,
                                                                                   postgres_server):
    """The clerk copies the archive to the server and goes on in the file before changing the url: the letter the
    file would number is the one the server numbers next, which never learns of it — a second 内工大纪建〔2026〕2号.
    The file is refused from the copy on, nothing written; with the url changed the archive goes on on the server."""
    root = workspace.root
    _filled(workspace, make_form)
    url = postgres_server.new_schema()
    copied = run_cli("-w", root, "db", "copy", "--to", url)
    assert copied.returncode == 0 and "从现在起本工作区只用服务器上的档案" in copied.stdout
    assert "  文书：1 条 → 1 条，内容一致" in copied.stdout and "documents" not in copied.stdout
    before = _files(root), (root / "lzdocs.db").read_bytes()
    for command in (LETTER, ["ingest"], ["status"]):
        refused = run_cli("-w", root, *command, check=2).stderr
        assert "是本档案库搬到数据库服务器" in refused and "lzdocs db copy --to 的地址" in refused, command
    assert (_files(root), (root / "lzdocs.db").read_bytes()) == before
    use_database(root, url)
    assert run_json("-w", root, *LETTER)["number"] == "内工大纪建〔2026〕2号"
    assert run_json("-w", root, "verify")["findings"] == []


@pytest.mark.postgres
def test_a_good_copy_whose_move_cannot_be_recorded_is_a_good_copy_with_a_warning(workspace, make_form,
                                                                                  postgres_server, monkeypatch):
    """The workspace's folder read-only, or its disk full, as the move is recorded: the copy, made and checked, was
    said to have failed (an error after the table counts). It is a good copy; what the record was to prevent —
    letters numbered in the old file — is said, with what to do."""
    from lzdocs.store import kept

    root = workspace.root
    _filled(workspace, make_form)
    url = postgres_server.new_schema()

    def full(*_args, **_kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(kept, "write_atomic", full)
    copied = run_cli("-w", root, "db", "copy", "--to", url)
    assert copied.returncode == 0 and "逐表核对一致" in copied.stdout, copied.stderr
    assert "提醒：工作区没能记下档案库已复制到服务器：磁盘空间不足" in copied.stderr
    assert "请马上把 lzdocs.toml 中 [database] url 改为新地址" in copied.stderr
    said = run_json("-w", root, "db", "copy", "--to", postgres_server.new_schema())
    assert said["ok"] is True and said["moved"] is False and "会重复" in said["warnings"][0]
    monkeypatch.undo()
    use_database(root, url)
    assert run_json("-w", root, *LETTER)["number"] == "内工大纪建〔2026〕2号"


@pytest.mark.postgres
@pytest.mark.parametrize("record", ["damaged", "unreadable"])
def test_a_record_damaged_during_a_good_copy_is_written_anew_with_the_move(workspace, make_form, postgres_server,
                                                                            monkeypatch, record):
    """The workspace's record of its archive damaged, or unreadable, while the copy ran: the move is recorded all the
    same — it is what stops letters numbered in the old file — in place of the record no one could read."""
    from lzdocs.store import copy, kept

    root = workspace.root
    _filled(workspace, make_form)
    url = postgres_server.new_schema()
    copy_archive, read_record = copy.copy_archive, kept.read_record

    def copied_then_spoiled(*args):
        report = copy_archive(*args)
        if record == "damaged":
            kept.record_path(workspace).write_text("{not json", encoding="utf-8")
        else:
            monkeypatch.setattr(kept, "read_record", unreadable)
        return report

    def unreadable(*_args):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(copy, "copy_archive", copied_then_spoiled)
    copied = run_cli("-w", root, "db", "copy", "--to", url)
    assert copied.returncode == 0 and "从现在起本工作区只用服务器上的档案" in copied.stdout, copied.stderr
    assert "提醒" not in copied.stderr
    monkeypatch.setattr(kept, "read_record", read_record)
    refused = run_cli("-w", root, *LETTER, check=2).stderr
    assert "是本档案库搬到数据库服务器" in refused
    use_database(root, url)
    assert run_json("-w", root, *LETTER)["number"] == "内工大纪建〔2026〕2号"


@pytest.mark.postgres
def test_a_good_copy_whose_archive_cannot_be_read_after_it_is_a_good_copy_with_a_warning(workspace, make_form,
                                                                                      postgres_server, monkeypatch):
    """The archive's own file unreadable just after the copy was checked (a share gone): the copy is good, said so,
    with the warning of what the record was to prevent — and no advice meant for another command."""
    from lzdocs.errors import StoreError
    from lzdocs.store import Store, copy

    root = workspace.root
    _filled(workspace, make_form)
    url = postgres_server.new_schema()
    copy_archive, archive_id = copy.copy_archive, Store.archive_id
    checked = []

    def copied_then_checked(*args):
        checked.append(copy_archive(*args))
        return checked[-1]

    def identity(self, *args, **kwargs):
        if checked:
            raise StoreError("无法读取档案库：磁盘或网络读写错误（EIO）", hint="请检查网络共享后重新运行")
        return archive_id(self, *args, **kwargs)

    monkeypatch.setattr(copy, "copy_archive", copied_then_checked)
    monkeypatch.setattr(Store, "archive_id", identity)
    copied = run_cli("-w", root, "db", "copy", "--to", url)
    assert copied.returncode == 0 and "逐表核对一致" in copied.stdout, copied.stderr
    assert "提醒：工作区没能记下档案库已复制到服务器：无法读取档案库：磁盘或网络读写错误（EIO）。" in copied.stderr
    assert "请马上把 lzdocs.toml 中 [database] url 改为新地址" in copied.stderr and "重新运行" not in copied.stderr


@pytest.mark.postgres
def test_a_copy_to_a_file_or_one_refused_moves_nothing(workspace, make_form, postgres_server, tmp_path):
    """A copy to another SQLite file is a copy: the workspace goes on in its own. A server that already holds an
    archive takes no copy (its tables named as the clerk knows them), and the file stays the workspace's."""
    root = workspace.root
    _filled(workspace, make_form)
    spare = run_json("-w", root, "db", "copy", "--to", f"sqlite:///{(tmp_path / '副本.db').as_posix()}")
    assert spare["ok"] is True and spare["moved"] is False
    other = Workspace.init(tmp_path / "另一个", SAMPLE)[0]
    _filled(other, make_form)
    url = postgres_server.new_schema()
    assert run_json("-w", other.root, "db", "copy", "--to", url)["moved"] is True
    refused = run_cli("-w", root, "db", "copy", "--to", url, check=2).stderr
    assert "目标数据库里已经有档案（文书、操作记录、报送的表格" in refused and "events" not in refused
    assert run_json("-w", root, *LETTER)["number"] == "内工大纪建〔2026〕2号"  # still its own file


@pytest.mark.postgres
def test_a_workspace_only_tried_out_may_join_the_schools_server(tmp_path, make_form, postgres_server):
    """A new workspace whose own archive holds nothing yet is pointed at the archive the school shares."""
    shared = Workspace.init(tmp_path / "纪委办", SAMPLE)[0]
    url = postgres_server.new_schema()
    use_database(shared.root, url)
    make_form(shared.inbox / "计财处.docx")
    run_json("-w", shared.root, "ingest")
    tried = Workspace.init(tmp_path / "新电脑", SAMPLE)[0]
    run_json("-w", tried.root, "status")  # its own, empty lzdocs.db
    use_database(tried.root, url)
    assert run_json("-w", tried.root, *LETTER)["number"] == "内工大纪建〔2026〕1号"


def test_only_the_folders_an_archive_fills_tell_of_one(workspace, tmp_path):
    """Received forms, letters, notices, voided numbers: each put there with its record. A draft, the registers, the
    总结 (which may be written before any form came) or a file the clerk put there by hand tell of no archive."""
    from lzdocs.documents.kinds import KINDS, NOTICE_KINDS
    from lzdocs.documents.numbering import VOID_DIR
    from lzdocs.ingest.pipeline import RECEIVED
    from lzdocs.store.kept import kept_files, record_folders

    assert record_folders() == {RECEIVED, VOID_DIR, *(k.name for k in KINDS.values()), *NOTICE_KINDS}
    run_json("-w", workspace.root, "summary")  # nothing received yet: a 总结 of an empty year
    for folder in ("草稿", "登记簿", "公示", "工作方案"):
        (workspace.outbox / "2026" / folder).mkdir(parents=True, exist_ok=True)
        (workspace.outbox / "2026" / folder / "实施方案.docx").write_bytes(b"by hand")
    (workspace.outbox / "2026" / "收文" / "计划财务处").mkdir(parents=True)
    (workspace.outbox / "2026" / "收文" / "计划财务处" / "计财处.docx").touch()  # a name reserved, still empty
    assert kept_files(workspace) == []
    assert run_json("-w", workspace.root, "status")["units"]
    (workspace.outbox / "2026" / "通知").mkdir()
    (workspace.outbox / "2026" / "通知" / "关于….docx").write_bytes(b"a notice")
    assert kept_files(workspace) == ["2026/通知"]


def test_the_first_commit_records_the_archive(workspace, make_form):
    """The archive is kept from its first records on, not from the next opening: a watcher's long run, one letter."""
    from lzdocs import Office

    with Office(workspace, today=TODAY) as office:
        office.status()
        assert not (workspace.state / RECORD).exists()
        office.ingest([make_form(workspace.root.parent / "计财处.docx")])
        assert _record(workspace)["archive"] == office.store.archive_id()


def test_an_archive_without_an_identity_is_this_ones_only_when_its_inbox_says_so(workspace, make_form):
    """An archive from before identities where the workspace records one: this workspace's old backup restored —
    its inbox names the archive as this workspace's, and it takes its identity back at once, for a letter too — or
    another workspace's old archive put in its place: refused, it would number 1号 again."""
    from lzdocs.ingest import claims as cl

    _filled(workspace, make_form)
    archive = _record(workspace)["archive"]
    with sqlite3.connect(workspace.root / "lzdocs.db") as conn:
        conn.execute("DELETE FROM meta WHERE key = 'archive_id'")
    assert run_json("-w", workspace.root, *LETTER)["number"] == "内工大纪建〔2026〕2号"
    with Store.for_workspace(workspace) as store:
        assert store.archive_id(create=False) == archive
    with sqlite3.connect(workspace.root / "lzdocs.db") as conn:
        conn.execute("DELETE FROM meta WHERE key = 'archive_id'")
    (workspace.work / cl.OWNER).unlink()  # no inbox record naming it this workspace's
    refused = run_cli("-w", workspace.root, *LETTER, check=2).stderr
    assert "是旧版本 lzdocs 建的，没有身份记录" in refused and f"删除 {workspace.state / RECORD} 后重新运行" in refused

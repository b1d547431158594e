"""lzdocs backup and lzdocs restore as a clerk runs them: a snapshot that restores alone, linked copies, refusals."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_ROWS, SAMPLE_SCHOOL, TODAY, cli_env, copy_of, make_form_file, run_cli, run_json

UNITS = ["计划财务处", "基建处", "教务处"]
LETTER = ["letter", "suggestion", "--unit", "计财处", "--set", "事由=在检查中", "--set", "问题=采购程序不规范",
          "--set", "建议=完善采购制度", "--date", "2026-11-20"]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (our own .lzdocs/ state left out) → its SHA-256."""
    return {p.relative_to(folder).as_posix(): sha(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and ".lzdocs" not in p.relative_to(folder).parts}


def recorded(root: Path) -> list[tuple[str, str]]:
    """(stored_as, sha256) of every submission with a kept file, read with sqlite3."""
    with closing(sqlite3.connect(root / "lzdocs.db")) as conn:  # closed here: an open one keeps -wal and -shm
        return conn.execute("SELECT stored_as, sha256 FROM submissions WHERE stored_as IS NOT NULL ORDER BY id"
                            ).fetchall()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A workspace with three units' forms, one returned form, two letters of which one is voided."""
    base = tmp_path_factory.mktemp("backup")
    root = base / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    (base / "收到").mkdir()
    for unit in UNITS:
        make_form_file(root / "inbox" / f"{unit}.docx", unit=unit)
    bad = [dict(SAMPLE_ROWS[0], risk="")]  # a row without its risk: returned
    make_form_file(root / "inbox" / "图书馆.docx", unit="图书馆", rows=bad)
    run_cli("-w", root, "ingest", check=1)
    run_json("-w", root, *LETTER)
    number = run_json("-w", root, *LETTER)["number"]
    run_cli("-w", root, "void", number, "--reason", "主送单位写错", check=0)
    return base


@pytest.fixture
def archive(built, tmp_path):
    """That workspace, a copy of its own for each test."""
    return copy_of(built, tmp_path) / "工作区"


def test_a_restored_backup_shows_the_same_risks_status_and_every_original(archive, tmp_path):
    out = run_cli("-w", archive, "backup", tmp_path / "备份", check=0).stdout
    assert "已备份到" in out and "新复制" in out and "登记簿和公示表 5 个不备份，恢复时由档案库重新生成" in out
    restored = tmp_path / "恢复"
    text = run_cli("restore", tmp_path / "备份", restored, check=0).stdout
    assert "均与备份清单核对无误" in text and "重新生成登记簿和公示表 5 个" in text
    for command in ("risks", "status"):
        assert run_json("-w", restored, command) == run_json("-w", archive, command)
    kept = recorded(archive)
    assert len(kept) == 4 and recorded(restored) == kept  # three originals and the returned form
    for path, digest in kept:
        assert sha(restored / path) == digest == sha(archive / path)
    original, copy = tree(archive), tree(restored)
    registers = {p for p in original if "/登记簿/" in p or "/公示/" in p}
    assert len(registers) == 5 and registers <= set(copy)  # rebuilt from the restored archive
    registers.add("lzdocs.db")  # the same data (risks, status), not the same pages
    assert {p: h for p, h in copy.items() if p not in registers} == {p: h for p, h in original.items()
                                                                     if p not in registers}
    voided = [p for p in copy if "/作废/" in p]
    assert len(voided) == 1 and voided[0].endswith(".docx")
    assert run_json("-w", restored, "verify")["findings"] == []  # the restored archive proves itself


def test_a_second_backup_copies_only_what_changed_and_leaves_the_first_alone(archive, tmp_path, make_form):
    dest = tmp_path / "备份"
    first = run_json("-w", archive, "backup", dest)
    assert first["copied"] == first["files"] and first["linked"] == 0
    before, at_first = tree(Path(first["snapshot"])), recorded(archive)
    make_form(archive / "inbox" / "图书馆.docx", unit="图书馆")
    run_cli("-w", archive, "ingest", check=0)
    second = run_json("-w", archive, "backup", dest)
    manifest = json.loads((Path(second["snapshot"]) / "manifest.json").read_text(encoding="utf-8"))
    copied = sorted(e["path"] for e in manifest["files"] if e["how"] == "copied")
    assert copied == ["lzdocs.db", "outbox/2026/收文/图书馆/图书馆.docx"]  # the returned form moved to 已处理/: linked
    assert {"inbox/退回/已处理/图书馆.docx", "inbox/退回/已处理/图书馆.docx.错误说明.txt"} <= {
        e["path"] for e in manifest["files"] if e["how"] == "linked"}
    assert second["copied"] == 2 and second["linked"] == second["files"] - 2 == first["files"] - 1
    assert tree(Path(first["snapshot"])) == before
    same = "outbox/2026/收文/基建处/基建处.docx"
    assert os.stat(Path(first["snapshot"]) / same).st_ino == os.stat(Path(second["snapshot"]) / same).st_ino
    older = tmp_path / "恢复旧的"
    run_cli("restore", first["snapshot"], older, check=0)  # each snapshot restores alone
    assert recorded(older) == at_first and (older / "inbox/退回/图书馆.docx").is_file()


def test_a_damaged_backup_file_is_named_and_nothing_is_restored(archive, tmp_path):
    snapshot = Path(run_json("-w", archive, "backup", tmp_path / "备份")["snapshot"])
    damaged = snapshot / "outbox/2026/收文/教务处/教务处.docx"
    data = bytearray(damaged.read_bytes())
    data[100] ^= 1
    damaged.write_bytes(bytes(data))
    proc = run_cli("restore", tmp_path / "备份", tmp_path / "恢复", check=1)
    assert ("备份已损坏：outbox/2026/收文/教务处/教务处.docx 的内容与备份清单记录的 SHA-256 不一致，没有恢复任何文件"
            in proc.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["备份", "工作区", "收到"]


def test_restore_refuses_a_folder_that_is_not_empty_and_leaves_it_alone(archive, tmp_path):
    run_cli("-w", archive, "backup", tmp_path / "备份", check=0)
    target = tmp_path / "已有"
    target.mkdir()
    (target / "笔记.txt").write_text("别动", encoding="utf-8")
    proc = run_cli("restore", tmp_path / "备份", target, check=2)
    assert "已存在且不是空文件夹：恢复只写入新的文件夹，不会覆盖或混入已有的文件" in proc.stderr
    assert [p.name for p in target.iterdir()] == ["笔记.txt"]
    a_file = tmp_path / "笔记.txt"
    a_file.write_text("也别动", encoding="utf-8")
    proc = run_cli("restore", tmp_path / "备份", a_file, check=2)
    assert f"“{a_file}”是一个已有的文件：恢复只写入新的文件夹" in proc.stderr
    assert a_file.read_text(encoding="utf-8") == "也别动"
    empty = tmp_path / "空的"
    empty.mkdir()
    run_cli("restore", tmp_path / "备份", empty, check=0)
    assert (empty / "lzdocs.db").is_file()


def test_a_backup_inside_the_workspace_is_refused(archive):
    proc = run_cli("-w", archive, "backup", archive / "outbox" / "备份", check=2)
    assert "与工作区" in proc.stderr and "重叠" in proc.stderr


def test_an_archived_file_changed_on_disk_is_left_out_and_named(archive, tmp_path):
    changed = archive / "outbox/2026/收文/基建处/基建处.docx"
    changed.write_bytes(changed.read_bytes() + b"x")
    proc = run_cli("-w", archive, "backup", tmp_path / "备份", check=1)
    assert ("提醒：outbox/2026/收文/基建处/基建处.docx：内容与档案库记录的 SHA-256 不一致（被改动过？），没有备份"
            in proc.stderr)
    snapshot = next((tmp_path / "备份").iterdir())
    assert not (snapshot / "outbox/2026/收文/基建处/基建处.docx").exists()


def test_a_restore_of_a_backup_that_left_files_out_says_which_its_verify_will_miss(archive, tmp_path):
    """The snapshot's findings said again as it is restored: "均与备份清单核对无误" alone, then a verify naming them
    missing, read as damage."""
    (archive / "outbox/2026/收文/基建处/基建处.docx").unlink()
    run_cli("-w", archive, "backup", tmp_path / "备份", check=1)
    proc = run_cli("restore", tmp_path / "备份", tmp_path / "恢复", check=0)
    assert ("提醒：备份时有文件没有备份：outbox/2026/收文/基建处/基建处.docx（档案库记录的文件不见了）。"
            "恢复出的工作区里没有这些文件，lzdocs verify 会把它们列为不见了") in proc.stderr
    missing = [f["subject"] for f in run_json("-w", tmp_path / "恢复", "verify", check=1)["findings"]]
    assert missing == ["outbox/2026/收文/基建处/基建处.docx"]


def test_the_half_restored_folder_a_killed_restore_left_is_removed_by_the_next(archive, tmp_path):
    """``kill -9`` of a restore leaves ``.<name>.restoring-<pid>``, a nearly whole copy of the workspace: the next
    restore beside it removes it once no process holds its lock — and leaves one a running restore holds."""
    from filelock import FileLock

    run_cli("-w", archive, "backup", tmp_path / "备份", check=0)
    killed, running = tmp_path / ".恢复.restoring-4000001", tmp_path / ".恢复.restoring-4000002"
    for left in (killed, running):
        (left / "outbox").mkdir(parents=True)
        (left / "lzdocs.db").write_bytes(b"half")
        Path(f"{left}.lock").touch()  # its lock, left behind with it
    held = FileLock(f"{running}.lock", timeout=0)  # as a running restore holds it
    with held:
        run_cli("restore", tmp_path / "备份", tmp_path / "恢复", check=0)
    assert not killed.exists() and not Path(f"{killed}.lock").exists()
    assert (running / "lzdocs.db").read_bytes() == b"half"
    assert sorted(p.name for p in tmp_path.iterdir() if "恢复" in p.name) == [
        ".恢复.restoring-4000002", ".恢复.restoring-4000002.lock", "恢复"]


def test_a_second_backup_names_a_file_deleted_or_changed_since_the_first_and_keeps_its_good_copy(archive, tmp_path):
    """The second backup links what the first holds by its recorded hash, without reading the workspace's copy: it
    looked away from a file deleted or changed since (exit 0, nothing said). Now each is named, exit 1, as a first
    backup names them — and the good bytes the first snapshot holds are kept in the second too."""
    dest = tmp_path / "备份"
    run_json("-w", archive, "backup", dest)
    gone, changed = archive / "outbox/2026/收文/教务处/教务处.docx", archive / "outbox/2026/收文/基建处/基建处.docx"
    good = changed.read_bytes()
    gone.unlink()
    changed.write_bytes(good + b"x")
    second = run_json("-w", archive, "backup", dest, check=1)
    found = {f["subject"]: f for f in second["findings"]}
    assert {subject: f["kind"] for subject, f in found.items()} == {
        "outbox/2026/收文/教务处/教务处.docx": "missing", "outbox/2026/收文/基建处/基建处.docx": "changed"}
    assert found["outbox/2026/收文/基建处/基建处.docx"]["message"].endswith(
        "这次备份里放的是上一次备份中完好的那一份，请检查这个文件")
    snapshot = Path(second["snapshot"])
    assert (snapshot / "outbox/2026/收文/基建处/基建处.docx").read_bytes() == good
    assert (snapshot / "outbox/2026/收文/教务处/教务处.docx").is_file()


def test_what_changed_after_the_snapshot_stays_out_and_a_moved_document_is_found(archive, tmp_path, monkeypatch):
    """The database snapshot is taken first; a letter voided (moved to 作废/), a letter issued and the registers
    rewritten after it must come back as the snapshot knew them."""
    from lzdocs import Office
    from lzdocs.store import archived

    earlier = tmp_path / "快照时.db"
    archived.snapshot_database(archive / "lzdocs.db", earlier)
    at_snapshot = run_json("-w", archive, "risks")
    issued = run_json("-w", archive, *LETTER)
    with sqlite3.connect(earlier) as conn:
        kept_letter = conn.execute("SELECT file, sha256, number FROM documents WHERE status = 'issued'").fetchall()
    assert len(kept_letter) == 1
    run_cli("-w", archive, "void", kept_letter[0][2], "--reason", "测试", check=0)
    assert not (archive / kept_letter[0][0]).exists()
    monkeypatch.setattr(archived, "snapshot_database", lambda source, target: shutil.copyfile(earlier, target))
    with Office(archive, today=TODAY) as office:
        result = office.backup(tmp_path / "备份")
    assert result.findings == []
    paths = {e["path"]: e for e in result.entries}
    assert paths[kept_letter[0][0]]["sha256"] == kept_letter[0][1]
    assert issued["files"][0] not in paths and not any("/登记簿/" in p for p in paths)
    restored = tmp_path / "恢复"
    Office.restore(tmp_path / "备份", restored, today=TODAY)
    assert sha(restored / kept_letter[0][0]) == kept_letter[0][1]
    assert len([p for p in tree(restored) if "/作废/" in p]) == 1  # the one voided before the snapshot, not this
    assert run_json("-w", restored, "risks") == at_snapshot
    assert (archive / issued["files"][0]).is_file() and not (restored / issued["files"][0]).exists()



def test_an_archive_named_by_a_url_is_backed_up_as_the_snapshot_s_own_file(archive, tmp_path):
    """[database] url — here a SQLite file outside the workspace; a server: tests/integrity/test_backup_server.py.
    The snapshot holds a copy of that archive as its own lzdocs.db and an lzdocs.toml that names none: restored, the
    workspace never writes into the original's archive."""
    elsewhere = tmp_path / "别处" / "档案.db"
    elsewhere.parent.mkdir()
    shutil.move(archive / "lzdocs.db", elsewhere)
    url = f"sqlite:///{elsewhere.as_posix()}"
    config = archive / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('url = ""', f'url = "{url}"'), encoding="utf-8")
    before = {command: run_json("-w", archive, command) for command in ("risks", "status")}

    run_cli("-w", archive, "backup", tmp_path / "备份", check=0)
    [snapshot] = (tmp_path / "备份").iterdir()
    manifest = json.loads((snapshot / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["database"] == "server" and (snapshot / "lzdocs.db").is_file()
    settings = (snapshot / "lzdocs.toml").read_text(encoding="utf-8")
    assert f'url = ""  # 备份时档案库在 {elsewhere.as_posix()}；恢复出的工作区用自己的 lzdocs.db' in settings
    others = [line for line in config.read_text(encoding="utf-8").splitlines() if not line.startswith("url =")]
    assert [line for line in settings.splitlines() if not line.startswith("url =")] == others  # nothing else

    restored = tmp_path / "恢复"
    said = run_cli("restore", tmp_path / "备份", restored, check=0)
    assert "恢复出的工作区使用自己的 lzdocs.db" in said.stderr
    for command, value in before.items():
        assert run_json("-w", restored, command) == value
    with closing(sqlite3.connect(elsewhere)) as conn:
        issued = conn.execute("SELECT COUNT(*) FROM documents").fetchone()
    assert run_json("-w", restored, *LETTER)["number"] == "内工大纪建〔2026〕3号"
    with closing(sqlite3.connect(elsewhere)) as conn:  # the original's archive knows nothing of it
        assert conn.execute("SELECT COUNT(*) FROM documents").fetchone() == issued


@pytest.mark.parametrize("written", ['[database]\nurl="{url}"',
                                     '[ database ] # 数据库\r\n  url = "{url}"  # 服务器\r\n'])
def test_the_url_is_emptied_however_its_lines_are_spaced(archive, tmp_path, written):
    from lzdocs.integrity.backup import standalone_settings
    from lzdocs.workspace import Workspace

    config = archive / "lzdocs.toml"
    text = config.read_text(encoding="utf-8")
    start = text.index("[database]")
    end = text.index("\n", text.index("url =", start)) + 1
    config.write_text(text[:start] + written.format(url="postgresql://lz:机密@db.example/lzdocs") + "\n"
                      + text[end:], encoding="utf-8")
    made = standalone_settings(Workspace.open(archive), "postgresql://lz:机密@db.example/lzdocs").decode("utf-8")
    import tomllib

    assert tomllib.loads(made)["database"]["url"] == "" and "机密" not in made
    assert "# 备份时档案库在 db.example/lzdocs；" in made
    assert tomllib.loads(made)["inbox"] == tomllib.loads(config.read_text(encoding="utf-8"))["inbox"]


def test_no_password_of_the_url_goes_into_the_snapshot_s_settings(archive):
    """Nor one given as a parameter, nor that of an earlier server's url kept as a comment."""
    from lzdocs.integrity.backup import standalone_settings
    from lzdocs.workspace import Workspace

    config = archive / "lzdocs.toml"
    url = "postgresql+psycopg://lz@db.example/lzdocs?password=TopSecret99&sslmode=require"
    config.write_text(config.read_text(encoding="utf-8").replace(
        'url = ""', f'# url = "postgresql://lz:OldSecret@old.example/lzdocs"  （原来的服务器）\nurl = "{url}"'),
        encoding="utf-8")
    made = standalone_settings(Workspace.open(archive), url).decode("utf-8")
    assert "TopSecret99" not in made and "OldSecret" not in made
    assert "# url = \"old.example/lzdocs\"  （原来的服务器）" in made and "password=***" in made


def test_a_url_written_in_a_way_that_cannot_be_emptied_refuses_the_backup_before_it_starts(archive, tmp_path):
    config = archive / "lzdocs.toml"
    text = config.read_text(encoding="utf-8")
    start = text.index("[database]")
    end = text.index("\n", text.index("url =", start)) + 1
    url = f"sqlite:///{(archive / 'lzdocs.db').as_posix()}"
    config.write_text(f'database.url = "{url}"\n' + text[:start] + text[end:], encoding="utf-8")  # a dotted key
    proc = run_cli("-w", archive, "backup", tmp_path / "备份", check=2)
    assert "[database] url，但它的写法认不出" in proc.stderr and 'url = "数据库地址"' in proc.stderr
    assert not (tmp_path / "备份").exists()


def test_a_form_recorded_but_not_yet_renamed_into_place_is_waited_for(archive, tmp_path):
    """An ingest commits, then renames its copy onto the empty file it reserved: a snapshot between the two finds
    the empty file, and the backup waits for the bytes the database records."""
    import threading

    from lzdocs import Office

    path = archive / "outbox/2026/收文/教务处/教务处.docx"
    digest, aside = sha(path), tmp_path / "教务处.docx.part"
    os.replace(path, aside)
    path.write_bytes(b"")  # the reservation
    threading.Timer(0.8, os.replace, (aside, path)).start()
    with Office(archive, today=TODAY) as office:
        result = office.backup(tmp_path / "备份")
    assert result.findings == []
    entry = next(e for e in result.entries if e["path"] == "outbox/2026/收文/教务处/教务处.docx")
    assert entry["sha256"] == digest == sha(result.snapshot / entry["path"])


@pytest.mark.parametrize("code,errno_name", [(13, "ENOSPC"), (10, "EIO"), (8, "EROFS")])
def test_a_backup_disk_full_or_failing_while_the_database_is_copied_is_said_as_the_disks_error(
        archive, tmp_path, monkeypatch, code, errno_name):
    """SQLite's 'database or disk is full' while the archive is copied is the backup disk's fault, said as for the
    files (exit 2, the path, what to do), not as a program error (exit 3); no partial copy stays."""
    import errno

    from lzdocs.store import archived

    class Full:
        def __init__(self, real):
            self.real = real

        def backup(self, target):
            error = sqlite3.OperationalError("database or disk is full")
            error.sqlite_errorcode = code
            raise error

        def __getattr__(self, name):
            return getattr(self.real, name)

    real_connect = sqlite3.connect
    monkeypatch.setattr(archived.sqlite3, "connect", lambda path, **kw: Full(real_connect(path, **kw)))
    with pytest.raises(OSError) as raised:
        archived.snapshot_database(archive / "lzdocs.db", tmp_path / "lzdocs.db")
    assert raised.value.errno == getattr(errno, errno_name) and raised.value.filename == str(tmp_path / "lzdocs.db")
    assert list(tmp_path.glob(".lzdocs.db*")) == [] and not (tmp_path / "lzdocs.db").exists()
    proc = run_cli("-w", archive, "backup", tmp_path / "备份", check=2)
    assert "程序内部出错" not in proc.stderr and "备份" in proc.stderr


def test_restore_writes_every_year_with_registers_and_a_closed_year_as_of_its_closing(archive, tmp_path):
    """A year of cases alone has its registers too (a backup of an older version did not count it: its manifest's
    register paths tell); a year closed by its 归档 package keeps the day it was closed, not the day of the restore."""
    from openpyxl import load_workbook

    from lzdocs.office import Office
    from lzdocs.store.years import close_year

    run_json("-w", archive, "case", "add", "--unit", "基建处", "--post", "工程管理岗",
             "--risk-text", "工程变更签证不规范", "--type", "违纪", "--handling", "警告",
             "--analysis", "签证无人复核", "--measures", "变更签证集体审核",
             "--date", "2027-01-12", env=cli_env(LZDOCS_TODAY="2027-01-12"))
    with Office(archive, today=TODAY) as office, office.store.begin() as conn:  # as `archive` closes it, on 12-20
        close_year(conn, 2026, at=dt.datetime(2026, 12, 20, 16, 30), package="D:/归档/2026", items=5,
                   manifest_sha256="0" * 64)
    later = cli_env(LZDOCS_TODAY="2027-01-15")
    backup = run_json("-w", archive, "backup", tmp_path / "备份", env=later)
    manifest = json.loads((Path(backup["snapshot"]) / "manifest.json").read_text(encoding="utf-8"))
    manifest["years"] = [2026]  # as a backup of the version before cases counted wrote it
    (Path(backup["snapshot"]) / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    restored = tmp_path / "恢复"
    run_cli("restore", backup["snapshot"], restored, check=0, env=later)
    assert (restored / "outbox/2027/登记簿/2027年廉政风险点汇总表.xlsx").is_file()
    assert run_json("-w", restored, "verify", env=later)["findings"] == []
    book = load_workbook(restored / "outbox/2026/登记簿/2026年廉政风险点汇总表.xlsx", read_only=True)
    said = " ".join(str(c) for row in book.worksheets[0].iter_rows(max_row=3, values_only=True) for c in row if c)
    assert "统计日期：2026年12月20日" in said

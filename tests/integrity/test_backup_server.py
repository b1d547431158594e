"""lzdocs backup of a workspace whose archive is on a PostgreSQL server, and its restore: the snapshot holds the
server's archive as a file of its own, and the restored workspace works on it alone, never on the server."""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing

import pytest

from tests.conftest import SAMPLE_SCHOOL, make_form_file, run_cli, run_json, use_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
LETTER = ["letter", "suggestion", "--unit", "计财处", "--set", "事由=在检查中", "--set", "问题=采购程序不规范",
          "--set", "建议=完善采购制度", "--date", "2026-11-20"]
SECRET = "s3cret-口令"


def test_a_workspace_on_a_server_is_backed_up_and_restored_to_work_alone(tmp_path, postgres_server):
    root = tmp_path / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    url = postgres_server.new_schema().replace("postgres@", f"postgres:{SECRET}@", 1)  # trusted: not checked
    use_database(root, url)
    for unit in ("计划财务处", "基建处"):
        make_form_file(root / "inbox" / f"{unit}.docx", unit=unit)
    run_json("-w", root, "ingest")
    assert run_json("-w", root, *LETTER)["number"] == "内工大纪建〔2026〕1号"
    before = {command: run_json("-w", root, command) for command in ("risks", "status")}

    run_cli("-w", root, "backup", tmp_path / "备份", check=0)
    [snapshot] = (tmp_path / "备份").iterdir()
    manifest = json.loads((snapshot / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["database"] == "server" and manifest["findings"] == []
    paths = {e["path"] for e in manifest["files"]}
    assert {"lzdocs.db", "lzdocs.toml"} <= paths
    assert len([p for p in paths if p.startswith("outbox/2026/") and p.endswith(".docx")]) == 3  # 2 forms, 1 letter
    with closing(sqlite3.connect(snapshot / "lzdocs.db")) as db:  # one self-contained file, never in WAL mode
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert not list(snapshot.glob("lzdocs.db-*"))
    texts = [p.read_bytes() for p in snapshot.rglob("*") if p.is_file()]
    assert not any(SECRET.encode("utf-8") in data for data in texts)  # the password stays on this computer

    restored = tmp_path / "恢复"
    said = run_cli("restore", tmp_path / "备份", restored, check=0)
    assert "恢复出的工作区使用自己的 lzdocs.db" in said.stderr
    for command, value in before.items():
        assert run_json("-w", restored, command) == value
    assert run_json("-w", restored, "verify")["findings"] == []
    assert run_json("-w", restored, *LETTER)["number"] == "内工大纪建〔2026〕2号"  # numbered on from the snapshot
    assert run_json("-w", root, *LETTER)["number"] == "内工大纪建〔2026〕2号"  # the server knows nothing of it


def test_a_server_that_stops_during_the_copy_is_named_and_nothing_is_left(tmp_path, postgres_server, monkeypatch):
    from lzdocs.store import copy

    root = tmp_path / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    url = postgres_server.new_schema()
    use_database(root, url)
    make_form_file(root / "inbox" / "计划财务处.docx", unit="计划财务处")
    run_json("-w", root, "ingest")
    batches = copy._batches

    def server_stops(conn, table, source=None):
        if source is not None and table.name == "submissions":  # the server stops as the copy reads on
            postgres_server.down()
        return batches(conn, table, source)

    monkeypatch.setattr(copy, "_batches", server_stops)
    try:
        out = run_cli("-w", root, "backup", tmp_path / "备份")
    finally:
        postgres_server.up()
    assert out.returncode == 4 and "无法连接数据库服务器" in out.stderr, out.stderr
    assert ".lzdocs.db.part" not in out.stderr and "/postgres?host=" in out.stderr  # the server, not the copy
    assert [p.name for p in (tmp_path / "备份").iterdir()] == []  # nothing half-made left


def test_a_restored_copy_may_go_back_to_the_server_only_while_it_holds_nothing_the_server_lacks(tmp_path,
                                                                                                postgres_server):
    """Restored from a backup of the server, a workspace pointed back at it: welcome while it recorded nothing of
    its own (the server holds all it has); refused once it numbered a letter the server never saw."""
    root = tmp_path / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    url = postgres_server.new_schema()
    use_database(root, url)
    assert run_json("-w", root, *LETTER)["number"] == "内工大纪建〔2026〕1号"
    run_cli("-w", root, "backup", tmp_path / "备份", check=0)

    quiet, busy = tmp_path / "只看过", tmp_path / "又发过文"
    for restored in (quiet, busy):
        run_cli("restore", tmp_path / "备份", restored, check=0)
        run_json("-w", restored, "status")
    assert run_json("-w", busy, *LETTER)["number"] == "内工大纪建〔2026〕2号"  # in its own file only
    use_database(quiet, url)
    assert run_json("-w", quiet, *LETTER)["number"] == "内工大纪建〔2026〕2号"  # on the server
    use_database(busy, url)
    refused = run_cli("-w", busy, *LETTER, check=2).stderr
    assert "上没有的记录" in refused and "会重复编文号" in refused and str(busy / "lzdocs.db") in refused, refused
    assert "发文 内工大纪建〔2026〕2号" in refused  # the last record the server lacks, said in Chinese
    assert not list(busy.glob("lzdocs.db-*"))  # read as it was: no -wal or -shm made beside it
    assert run_json("-w", root, *LETTER)["number"] == "内工大纪建〔2026〕3号"  # the server went on alone


def test_a_file_that_holds_another_archive_now_is_no_copy_and_the_server_is_taken_up(tmp_path, postgres_server):
    root = tmp_path / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    url = postgres_server.new_schema()
    use_database(root, url)
    assert run_json("-w", root, *LETTER)["number"] == "内工大纪建〔2026〕1号"
    spare = tmp_path / "副本.db"
    assert run_json("-w", root, "db", "copy", "--to", f"sqlite:///{spare.as_posix()}")["ok"] is True
    config = root / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(url, f"sqlite:///{spare.as_posix()}"),
                      encoding="utf-8")
    assert run_json("-w", root, *LETTER)["number"] == "内工大纪建〔2026〕2号"  # written in the copy
    other = tmp_path / "另一个"
    run_json("init", other, *SAMPLE_SCHOOL)
    run_json("-w", other, *LETTER)
    shutil.copy(other / "lzdocs.db", spare)  # the copy's file now holds another workspace's archive
    config.write_text(config.read_text(encoding="utf-8").replace(f"sqlite:///{spare.as_posix()}", url),
                      encoding="utf-8")
    # the server taken up again, not stuck on the copy — and its next number is not given twice: the letter the
    # copy issued as 2号 lies in the folder, the server does not know it
    refused = run_cli("-w", root, *LETTER, check=2).stderr
    assert "已有文号 内工大纪建〔2026〕2号 的文件 内工大纪建〔2026〕2号-计划财务处.docx" in refused
    letters = root / "outbox" / "2026" / "纪检监察建议书"
    (letters / "内工大纪建〔2026〕2号-计划财务处.docx").rename(tmp_path / "副本发的2号.docx")
    assert run_json("-w", root, *LETTER)["number"] == "内工大纪建〔2026〕2号"


def test_the_read_only_address_of_a_file_is_one_sqlite_opens_on_every_system():
    from lzdocs.store.kept import _read_only_uri

    assert _read_only_uri("/srv/档案 库/lzdocs.db", immutable=True) == \
        "file:///srv/%E6%A1%A3%E6%A1%88%20%E5%BA%93/lzdocs.db?mode=ro&immutable=1"
    assert _read_only_uri("D:\\档案\\lzdocs.db", immutable=False) == "file:///D:/%E6%A1%A3%E6%A1%88/lzdocs.db?mode=ro"
    assert _read_only_uri("\\\\server\\share\\lzdocs.db", immutable=False) == "file:////server/share/lzdocs.db?mode=ro"


def test_the_rows_copied_from_the_server_are_shown_as_the_backup_goes(tmp_path, postgres_server):
    from lzdocs import Office
    from tests.conftest import TODAY

    root = tmp_path / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    use_database(root, postgres_server.new_schema())
    run_json("-w", root, *LETTER)
    shown: list[tuple[int, int, str]] = []
    with Office(root, today=TODAY) as office:
        office.backup(tmp_path / "备份", progress=lambda i, total, name: shown.append((i, total, name)))
    rows = [s for s in shown if s[2].startswith("复制数据库：")]
    assert rows and rows[-1][0] == rows[-1][1] and {"复制数据库：文书", "复制数据库：操作记录"} <= {s[2] for s in rows}
    assert shown[-1][2] != rows[-1][2]  # then the files

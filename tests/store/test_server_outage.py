"""A database server that is gone — stopped, restarting, cut off — is told apart from a fault of the archive: the
watcher waits for the first (docs/product.md §9), and says the second."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time

import pytest
from sqlalchemy.exc import OperationalError

from lzdocs.store import Store
from lzdocs.store.db import DatabaseUnavailable, database_error, shown_url
from lzdocs.workspace import SAMPLE, Workspace
from tests.conftest import run_cli, use_database

psycopg = pytest.importorskip("psycopg")
URL = "postgresql+psycopg://lzdocs@db.example/lzdocs"


@pytest.mark.parametrize("error", [
    psycopg.OperationalError('connection is bad: connection to server on socket "/run/.s.PGSQL.5432" failed'),
    psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
    psycopg.errors.ConnectionFailure("server conn crashed?"),
    psycopg.errors.CannotConnectNow("the database system is not yet accepting connections"),
], ids=["no-answer", "admin-shutdown", "connection-failure", "starting-up"])
def test_a_server_that_is_not_there_is_waited_for(error):
    found = database_error(URL, OperationalError("SELECT 1", None, error))
    assert isinstance(found, DatabaseUnavailable)
    assert str(found).startswith("无法连接数据库服务器：db.example/lzdocs")


@pytest.mark.parametrize("error, said", [
    (psycopg.errors.LockNotAvailable("could not obtain lock on row"), "档案库出错"),
    (psycopg.errors.DiskFull("could not extend file"), "档案库出错"),
    # no SQLSTATE, met on the client's side, and yet no outage: waiting would never end
    (psycopg.OperationalError("sending query and params failed: number of parameters must be between 0 and 65535"),
     "档案库出错"),
    # the server answered: a wrong setting (exit 2), not an outage (a watcher would wait for ever)
    (psycopg.OperationalError('connection failed: connection to server at "10.0.0.5", port 5432 failed: FATAL:  '
                              'database "lzdocs2026" does not exist'), "数据库服务器拒绝了连接"),
    (psycopg.OperationalError('connection failed: connection to server at "10.0.0.5", port 5432 failed: FATAL:  '
                              'password authentication failed for user "lz"'), "数据库服务器拒绝了连接"),
    # the same words in an ordinary error are a fault of the archive (a schema not upgraded), not of the URL
    (psycopg.errors.UndefinedTable('relation "year_closures" does not exist'), "档案库出错"),
    (sqlite3.OperationalError("database is locked"), "档案库正被另一个程序占用"),
    (sqlite3.OperationalError("disk I/O error"), "读写档案库时出错"),
], ids=["lock", "disk-full", "client-side", "no-database", "password", "no-table", "sqlite-locked", "sqlite-io"])
def test_a_server_that_answers_with_an_error_is_not_waited_for(error, said):
    found = database_error(URL, OperationalError("SELECT 1", None, error))
    assert not isinstance(found, DatabaseUnavailable)
    assert said in str(found)


@pytest.mark.slow
@pytest.mark.postgres
def test_a_stopped_server_under_a_pooled_connection_is_unavailable_until_it_is_back(postgres_server):
    """The case a watcher met: the server stopped while the archive's pool held a connection. Every use of the
    archive then said "connection is bad" and was taken for a fault, so the watcher set file after file aside
    instead of waiting."""
    store = Store(postgres_server.new_schema())
    try:
        with store.begin() as conn:
            conn.exec_driver_sql("SELECT 1")
        postgres_server.down()
        try:
            for _ in range(2):
                for use in (store.read, store.begin):
                    with pytest.raises(DatabaseUnavailable, match="无法连接数据库服务器"), use() as conn:
                        conn.exec_driver_sql("SELECT 1")
        finally:
            postgres_server.up()
        with store.read() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        store.close()


def test_a_command_that_cannot_reach_the_server_exits_with_4_and_never_shows_the_password(tmp_path):
    """4, not 2: a setting is not wrong, so a script or a service manager tries again later (README, docs/watch.md).
    The URL's password is not in the message, wherever the URL holds it."""
    ws, _ = Workspace.init(tmp_path / "ws", SAMPLE)
    use_database(ws.root, f"postgresql+psycopg://lz:Pw-Before-At@/lzdocs?host={tmp_path / 'no-server'}"
                          "&password=S3cret-Param")
    for args in (["status"], ["status", "--json"], ["risks", "--json"], ["register"]):
        proc = run_cli("-w", ws.root, *args, check=4)
        assert "无法连接数据库服务器" in proc.stderr and "恢复后重新运行" in proc.stderr
        assert "S3cret-Param" not in proc.stderr + proc.stdout and "Pw-Before-At" not in proc.stderr + proc.stdout
        assert "password=***" in proc.stderr


@pytest.mark.parametrize("url, shown", [
    ("sqlite:////srv/纪委/lzdocs.db", "/srv/纪委/lzdocs.db"),
    ("postgresql+psycopg://lz:pw@10.0.0.5/lzdocs", "10.0.0.5/lzdocs"),
    ("postgresql+psycopg:///lzdocs?host=db&user=lz&password=pw&sslmode=require",
     "/lzdocs?host=db&user=lz&password=***&sslmode=require"),
    ("postgresql+psycopg:///lzdocs?PASSWORD=pw", "/lzdocs?PASSWORD=***"),
    ("postgresql+psycopg:///lzdocs?host=/s&password=se@cret&sslmode=require",
     "/lzdocs?host=/s&password=***&sslmode=require"),
    ("postgresql+psycopg://lz:p@ss@db:5432/lzdocs?application_name=a@b", "db:5432/lzdocs?application_name=a@b"),
])
def test_a_database_url_is_shown_without_its_password(url, shown):
    assert shown_url(url) == shown


@pytest.fixture
def silent_server():
    """A port that takes connections and never answers, as a frozen database host does."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted, done = [], threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not done.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    done.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def test_a_server_that_never_answers_is_given_up_after_the_urls_own_connect_timeout(silent_server):
    store = Store.unchecked(f"postgresql+psycopg://lz@127.0.0.1:{silent_server}/lzdocs?connect_timeout=1")
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailable, match="无法连接数据库服务器"), store.read() as conn:
        conn.exec_driver_sql("SELECT 1")
    assert time.monotonic() - started < 5
    store.close()


@pytest.mark.slow
def test_a_server_that_never_answers_is_given_up_after_ten_seconds(silent_server):
    """It used to wait for ever: ``lzdocs status`` hung, and so did a page of ``lzdocs serve`` and its stopping."""
    store = Store.unchecked(f"postgresql+psycopg://lz@127.0.0.1:{silent_server}/lzdocs")
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailable, match="无法连接数据库服务器"), store.read() as conn:
        conn.exec_driver_sql("SELECT 1")
    assert 8 < time.monotonic() - started < 20
    store.close()



@pytest.mark.slow
@pytest.mark.postgres
def test_an_ingest_cut_off_by_the_server_says_what_it_took_and_the_next_run_takes_the_rest(tmp_path, postgres_server):
    """The server stops after a few forms: those are listed and saved, the rest wait in the inbox (a take cut off
    in the middle is finished by the next run), exit code 4; once the server is back, the next ingest takes the
    rest and nothing twice. It used to print nothing about the forms already taken."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from tests.cli.test_watch_cli import _workspace, assert_each_original_once, make_forms, submissions_per_file

    root = _workspace(tmp_path / "ws", units=300).root
    use_database(root, postgres_server.new_schema())
    ws = Workspace.open(root)
    run_cli("-w", ws.root, "status", check=0)  # the archive made
    forms = make_forms(ws.inbox, 8, start=270)
    commits = []

    def stop_after_a_few_commits(conn):
        commits.append(1)
        if len(commits) == 6:
            postgres_server.down()

    event.listen(Engine, "commit", stop_after_a_few_commits)  # every engine: the command's own, in this process
    try:
        cut = run_cli("-w", ws.root, "ingest", check=4)
    finally:
        event.remove(Engine, "commit", stop_after_a_few_commits)
        postgres_server.up()
    listed = [line for line in cut.stdout.splitlines() if line.startswith("[") and "inbox/" in line]
    assert 1 <= len(listed) < len(forms), cut.stdout
    assert cut.stderr.startswith("错误：处理途中无法连接数据库服务器")
    assert f"此前处理的 {len(listed)} 个文件都已保存（见上）；其余文件留在原处，数据库恢复后重新运行" in cut.stderr
    assert len([p for p in ws.inbox.iterdir() if p.is_file()]) >= len(forms) - len(listed) - 1  # one cut off

    again = run_cli("-w", ws.root, "ingest")
    assert again.returncode in (0, 1), again.stderr
    assert_each_original_once(ws, forms)
    assert set(submissions_per_file(ws).values()) == {1}


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("pdf", [[], ["--pdf"]], ids=["docx", "pdf"])
def test_a_letter_batch_cut_off_by_the_server_stops_and_says_which_rows_were_not_sent(tmp_path, postgres_server,
                                                                                      pdf):
    """It went on row after row, each waiting for the server and failing with the same long message, and then
    lost the report in the registers' rewrite. Now: the letters before are issued (numbered, their files in
    place), the rows from there on are listed as not sent, exit code 4; the archive holds together afterwards."""
    from openpyxl import Workbook
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    ws, _ = Workspace.init(tmp_path / "ws", SAMPLE)
    use_database(ws.root, postgres_server.new_schema())
    run_cli("-w", ws.root, "status", check=0)
    batch = tmp_path / "建议.xlsx"
    book = Workbook()
    book.active.append(["单位", "事由", "问题", "建议"])
    for unit in ["计划财务处", "人事处", "组织部", "宣传部", "后勤管理处", "图书馆", "教务处", "基建处"]:
        book.active.append([unit, "在检查中", "制度不完善", "完善制度"])
    book.save(batch)
    commits = []

    def stop_after_a_few_commits(conn):
        commits.append(1)
        if len(commits) == 3:
            postgres_server.down()

    event.listen(Engine, "commit", stop_after_a_few_commits)
    try:
        cut = run_cli("-w", ws.root, "letter", "suggestion", "--batch", batch, "--date", "2026-11-28", *pdf, check=4)
    finally:
        event.remove(Engine, "commit", stop_after_a_few_commits)
        postgres_server.up()
    issued = [line for line in cut.stdout.splitlines() if " → outbox/" in line]
    cut_off = [line for line in cut.stdout.splitlines() if "：失败 —— 中断：" in line]
    not_sent = [line for line in cut.stdout.splitlines() if "：失败 —— 未发出：" in line]
    assert issued and len(cut_off) == 1 and len(issued) + 1 + len(not_sent) == 8, cut.stdout
    assert cut.stdout.count("无法连接数据库服务器") <= 1  # said once, not once per row
    first = len(issued) + 2  # the header is row 1
    said = f"错误：发文途中无法连接数据库服务器：第{first}行中断（见上），其后 {len(not_sent)} 行没有发出"
    assert cut.stderr.startswith(said)
    assert f"已发出的 {len(issued)} 份都已保存、已编号" in cut.stderr

    letters = sorted(p.name for p in (ws.root / "outbox" / "2026" / "纪检监察建议书").glob("*.docx")
                     if not p.name.startswith("."))  # the cut-off letter's hidden part: the next letter clears it
    assert [name.split("-")[0] for name in letters] == [f"内工大纪建〔2026〕{n}号" for n in range(1, len(issued) + 1)]
    assert run_cli("-w", ws.root, "verify").returncode == 0

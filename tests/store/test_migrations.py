"""Schema migrations with Alembic on both backends, ``lzdocs db upgrade`` and ``lzdocs db copy``."""

from __future__ import annotations

import json
import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lzdocs.ingest import claims as cl
from lzdocs.store import Store, migrations, sql
from lzdocs.store.schema import SCHEMA_REVISION, SCHEMA_VERSION, metadata
from lzdocs.workspace import SAMPLE, Workspace
from tests.conftest import SAMPLE_ROWS, run_cli, run_json, use_database

pytestmark = pytest.mark.both_backends


def test_the_newest_revision_is_this_programs_schema_version():
    assert migrations.head() == SCHEMA_REVISION == f"{SCHEMA_VERSION:04d}"


def test_a_new_archive_is_exactly_the_tables_of_the_program(workspace):
    store = Store.for_workspace(workspace)
    try:
        with store.read() as conn:
            assert migrations.revision_of(conn) == SCHEMA_REVISION
            assert compare_metadata(MigrationContext.configure(sql.alchemy(conn)), metadata) == []
    finally:
        store.close()


def test_the_revisions_replayed_one_by_one_give_the_same_tables_as_a_new_archive(workspace):
    """A new archive is made from the program's tables at once and stamped (Alembic's recipe); the revisions,
    which older archives go through, must arrive at exactly those tables."""
    from sqlalchemy import create_engine, inspect

    engine = create_engine(workspace.db_url)
    try:
        with engine.begin() as conn:
            assert not inspect(conn).get_table_names()
            migrations.upgrade(conn, "head")
            assert migrations.revision_of(conn) == SCHEMA_REVISION
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        engine.dispose()


def test_a_new_archive_has_alembics_own_version_table(workspace):
    """A new archive is stamped without Alembic (migrations.VERSION_TABLE): the table is the one Alembic makes."""
    from alembic import command
    from sqlalchemy import create_engine, inspect

    def version_table(conn):
        found = inspect(conn)
        columns = [{**c, "type": str(c["type"])} for c in found.get_columns("alembic_version")]
        return (columns, found.get_pk_constraint("alembic_version"),
                conn.exec_driver_sql("SELECT version_num FROM alembic_version").fetchall())

    Store.for_workspace(workspace).close()
    engine = create_engine(workspace.db_url)
    try:
        with engine.begin() as conn:
            ours = version_table(conn)
            conn.exec_driver_sql("DROP TABLE alembic_version")
            command.stamp(migrations.config(conn), "head")
            assert version_table(conn) == ours
            assert ours[2] == [(SCHEMA_REVISION,)] and ours[1]["name"] in ("alembic_version_pkc", None)
    finally:
        engine.dispose()


def test_upgrade_makes_a_new_archive_and_then_says_it_is_up_to_date(workspace):
    assert run_cli("-w", workspace.root, "db", "upgrade").stdout == f"已新建档案库（第 {SCHEMA_VERSION} 版）\n"
    out = run_json("-w", workspace.root, "db", "upgrade")
    assert out == {"from": SCHEMA_VERSION, "to": SCHEMA_VERSION}
    assert run_cli("-w", workspace.root, "db", "upgrade").stdout == f"档案库已经是第 {SCHEMA_VERSION} 版，无需升级\n"


@pytest.mark.sqlite_only
def test_an_archive_from_before_alembic_is_stamped_upgraded_and_keeps_its_rows(workspace, make_form):
    """An archive of version 7 as the program wrote it before Alembic: the baseline's tables, no alembic_version."""
    from sqlalchemy import create_engine

    engine = create_engine(workspace.db_url)
    with engine.begin() as conn:
        migrations.upgrade(conn, migrations.BASELINE)
        conn.exec_driver_sql("DROP TABLE alembic_version")
        conn.exec_driver_sql("INSERT INTO meta VALUES ('schema_version', '7')")
        conn.exec_driver_sql("INSERT INTO events (at, actor, action, subject) "
                             "VALUES ('2026-11-01 09:00:00', 'clerk@pc:1', 'accepted', '计财处.docx')")
    engine.dispose()
    make_form(workspace.inbox / "计财处.docx")
    assert run_json("-w", workspace.root, "ingest")[0]["status"] == "accepted"
    assert len(run_json("-w", workspace.root, "risks")) == len(SAMPLE_ROWS)
    with sqlite3.connect(workspace.root / "lzdocs.db") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(SCHEMA_REVISION,)]
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall() == [(str(SCHEMA_VERSION),)]
        assert db.execute("SELECT subject FROM events ORDER BY id LIMIT 1").fetchall() == [("计财处.docx",)]


@pytest.mark.sqlite_only
def test_an_archive_of_version_9_keeps_its_cases_in_force(workspace):
    """Schema 10 adds a case's 作废 (``voided``, ``void_reason``): the cases recorded before are in force."""
    from sqlalchemy import create_engine

    engine = create_engine(workspace.db_url)
    with engine.begin() as conn:
        migrations.upgrade(conn, "0009")
        conn.exec_driver_sql("INSERT INTO meta VALUES ('schema_version', '9')")
        conn.exec_driver_sql("INSERT INTO cases (unit, year, date, post, risk_text, case_type, handling, analysis, "
                             "measures, created_at) VALUES ('计划财务处', 2026, '2026-10-12', '出纳', '挪用公款', "
                             "'违纪', '党内警告', '钱账未分管', '钱账分管', '2026-10-12 09:00:00')")
    engine.dispose()
    assert run_json("-w", workspace.root, "db", "upgrade") == {"from": 9, "to": SCHEMA_VERSION}
    assert [(c["id"], c["post"]) for c in run_json("-w", workspace.root, "case", "list")] == [(1, "出纳")]
    with sqlite3.connect(workspace.root / "lzdocs.db") as db:
        assert db.execute("SELECT voided, void_reason FROM cases").fetchall() == [(None, None)]
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(SCHEMA_REVISION,)]


@pytest.mark.postgres
def test_a_shared_server_archive_of_an_older_version_waits_for_db_upgrade(postgres_server, tmp_path):
    from lzdocs.workspace import SAMPLE

    ws, _ = Workspace.init(tmp_path / "ws", SAMPLE)
    url = postgres_server.new_schema()
    use_database(ws.root, url)
    Store(url).close()
    schema = url.rsplit("%3D", 1)[1]
    postgres_server.psql(f"UPDATE {schema}.meta SET value = '6' WHERE key = 'schema_version'")
    refused = run_cli("-w", ws.root, "status", check=2)
    assert f"数据库中的档案库是第 6 版，本程序需要第 {SCHEMA_VERSION} 版" in refused.stderr
    assert "lzdocs db upgrade" in refused.stderr
    assert run_json("-w", ws.root, "db", "upgrade") == {"from": 6, "to": SCHEMA_VERSION}
    run_json("-w", ws.root, "status")


@pytest.mark.sqlite_only
@pytest.mark.postgres
def test_copy_to_postgresql_checks_every_table_and_the_archive_goes_on_there(workspace, make_form, postgres_server):
    root = workspace.root
    make_form(workspace.inbox / "计财处.docx")
    make_form(workspace.inbox / "基建处.xlsx", unit="基建处")
    run_json("-w", root, "ingest")
    letter = ["letter", "suggestion", "--unit", "计财处", "--set", "事由=检查中", "--set", "问题=采购不规范",
              "--set", "建议=完善制度"]
    run_json("-w", root, *letter)
    risks, status = run_json("-w", root, "risks"), run_json("-w", root, "status")
    url = postgres_server.new_schema()
    out = run_json("-w", root, "db", "copy", "--to", url)
    assert out["ok"] is True and out["tables"]["risks"] == {"source": 2 * len(SAMPLE_ROWS),
                                                           "target": 2 * len(SAMPLE_ROWS), "same": True}
    assert all(t["same"] and t["source"] == t["target"] for t in out["tables"].values())
    again = run_cli("-w", root, "db", "copy", "--to", postgres_server.new_schema(), check=2)  # moved already
    assert "是本档案库搬到数据库服务器" in again.stderr
    use_database(root, url)
    assert run_json("-w", root, "risks") == risks
    assert run_json("-w", root, "status")["units"] == status["units"]
    second = run_json("-w", root, *letter)  # new rows after the copied ids
    assert second["number"] == "内工大纪建〔2026〕2号"
    # the archive's own records came with it: its events' chain (verify finds nothing inserted) and its identity
    assert json.loads(run_cli("-w", root, "verify", "--json", check=0).stdout)["findings"] == []
    make_form(workspace.inbox / "图书馆.docx", unit="图书馆")
    assert run_json("-w", root, "ingest")[0]["status"] == "accepted"  # the inbox still feeds this archive
    assert cl.inbox_owner(workspace.work)["database"].startswith("server:")  # and records it on the server now
    config = root / "lzdocs.toml"  # the old SQLite file taken up again by mistake: [database] url emptied
    config.write_text(config.read_text(encoding="utf-8").replace(f'url = "{url}"', 'url = ""'), encoding="utf-8")
    make_form(workspace.inbox / "档案馆.docx", unit="档案馆")
    refused = run_cli("-w", root, "ingest", check=2).stderr
    assert "是本档案库搬到数据库服务器" in refused and "[database] url 写上服务器的地址" in refused  # store/kept.py
    assert (workspace.inbox / "档案馆.docx").is_file()


@pytest.mark.sqlite_only
@pytest.mark.postgres
def test_two_server_copies_of_one_archive_do_not_share_an_inbox(tmp_path, make_form, postgres_server):
    """A workspace and its copy each moved to a database of their own (a backup restored into a test schema while
    the real one runs): one archive, two databases — the second is refused on the inbox the first took from. Every
    machine on one server sees one database."""
    import shutil

    from tests.conftest import use_inbox
    from tests.ingest.invariant import assert_each_input_exactly_once

    share = tmp_path / "共享收件"
    share.mkdir()
    first = Workspace.init(tmp_path / "纪委办", SAMPLE)[0]
    use_inbox(first.root, share)
    forms = [make_form(share / "计财处.docx").read_bytes()]
    run_json("-w", first.root, "ingest")
    second = tmp_path / "测试"
    shutil.copytree(first.root, second)
    for root in (first.root, second):
        url = postgres_server.new_schema()
        run_json("-w", root, "db", "copy", "--to", url)
        use_database(root, url)
    forms.append(make_form(share / "基建处.docx", unit="基建处").read_bytes())
    assert run_json("-w", first.root, "ingest")[0]["status"] == "accepted"  # moved to its server: recorded so
    waiting = make_form(share / "图书馆.docx", unit="图书馆")
    refused = run_cli("-w", second, "ingest", check=2).stderr
    assert "记着的是本档案库在另一个数据库（另一台服务器或另一个 schema）上的那一份" in refused
    assert waiting.is_file()  # left for the archive the inbox feeds
    assert_each_input_exactly_once(Workspace.open(first.root), [*forms, waiting.read_bytes()], (share,))


@pytest.mark.sqlite_only
@pytest.mark.parametrize("target", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_copy_keeps_a_resent_forms_history(workspace, make_form, tmp_path, target, request):
    """A unit that sent its form again: the first form names the one after it (``superseded_by``), a row the copy
    has not written yet when it writes the first — set once it is there, as in nearly every real archive."""
    import datetime as dt

    root = workspace.root
    make_form(workspace.inbox / "计财处.docx", date=dt.date(2026, 11, 5))
    run_json("-w", root, "ingest")
    make_form(workspace.inbox / "计财处（修改稿）.docx", rows=SAMPLE_ROWS[:1], date=dt.date(2026, 11, 8))
    assert run_json("-w", root, "ingest")[0]["supersedes"]
    risks = run_json("-w", root, "risks")
    url = (f"sqlite:///{(tmp_path / '新档案库.db').as_posix()}" if target == "sqlite"
           else request.getfixturevalue("postgres_server").new_schema())
    out = run_json("-w", root, "db", "copy", "--to", url)
    assert out["ok"] is True and out["tables"]["submissions"] == {"source": 2, "target": 2, "same": True}
    use_database(root, url)
    assert run_json("-w", root, "risks") == risks

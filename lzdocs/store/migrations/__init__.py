"""Schema migrations with Alembic (revision ``00NN`` = schema version NN), for SQLite and PostgreSQL alike.

Revision 0007 is the baseline: the schema as it stood when migrations moved to Alembic. It creates only the tables
that are missing, so an archive of an older version (2–6, migrated before by SQL statements, see ``LEGACY`` in
``lzdocs/store/schema.py``) gains its new tables first and then its old statements run over them."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_mock_engine,
    insert,
    inspect,
    text,
)
from sqlalchemy.engine import Connection, Dialect

from lzdocs.errors import StoreError
from lzdocs.store import schema, sql

if TYPE_CHECKING:
    from lzdocs.workspace import Workspace

HERE = Path(__file__).parent
BASELINE = "0007"  # the first Alembic revision: schema version 7

# Alembic's version table as its MigrationContext makes it (tests/store/test_migrations.py compares the two): a new
# archive is stamped through it without loading Alembic and its revision scripts (~15 ms a new workspace).
VERSION_TABLE = Table("alembic_version", MetaData(), Column("version_num", String(32), nullable=False),
                      PrimaryKeyConstraint("version_num", name="alembic_version_pkc"))


def config(conn: Connection, **attributes):
    """An Alembic configuration that runs on ``conn`` (inside the caller's transaction, with its write lock);
    ``attributes`` reach the revisions (``context.config.attributes``): the workspace and the clock."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes.update(attributes, connection=conn)
    return cfg


def head() -> str:
    """The newest revision of the scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(HERE)).get_current_head()


def revision_of(conn: Connection) -> str | None:
    """The archive's Alembic revision, or None when it has none (new, or from before Alembic)."""
    if "alembic_version" not in sql.tables(conn):
        return None
    return sql.scalar(conn, "SELECT version_num FROM alembic_version")


def upgrade(conn: Connection, target: str = "head", **attributes) -> None:
    from alembic import command

    command.upgrade(config(conn, **attributes), target)


def version_of(conn: Connection) -> int:
    """The schema version the archive records (0: a new database)."""
    if schema.meta.name not in sql.tables(conn):
        return 0
    value = schema.get_meta(conn, "schema_version")
    return int(value) if value is not None else 0


def bring_up_to_date(conn: Connection, *, workspace: Workspace | None = None, now=None) -> tuple[int, int]:
    """Migrate the archive on ``conn`` to this program's schema; (version before, version after).

    A new database gets the baseline and every revision after it. An archive from before Alembic (versions
    2–7, no ``alembic_version``) gets the baseline's missing tables, then its old SQL statements from its version
    on (an ADD COLUMN whose column is there is skipped), then the revisions after the baseline. ``workspace`` and
    ``now``: for a revision that looks at the archive's files (0008 records them as found)."""
    before = version_of(conn)
    if before > schema.SCHEMA_VERSION:
        raise StoreError(f"档案库版本（{before}）比本程序（{schema.SCHEMA_VERSION}）新，是用更新版本的 lzdocs 建的",
                         hint="请升级 lzdocs 后再使用，不要用旧版本写入它")
    if not sql.tables(conn):
        _create_new(conn, workspace=workspace, now=now)
        return before, schema.SCHEMA_VERSION
    if revision_of(conn) is None:
        upgrade(conn, BASELINE)
    if before:
        for target in range(before + 1, int(BASELINE) + 1):
            for statement in schema.LEGACY_MIGRATIONS.get(target, []):
                if not _column_exists(conn, statement):
                    conn.execute(text(statement))
    upgrade(conn, "head", workspace=workspace, now=now)
    _set_version(conn, schema.SCHEMA_VERSION)
    return before, schema.SCHEMA_VERSION


def _create_new(conn: Connection, *, workspace: Workspace | None, now) -> None:
    """A new, empty database: the program's tables made at once from ``schema.metadata`` and stamped with the
    newest revision (Alembic's recipe for a database built from scratch), not the revisions replayed one by one —
    the same schema (tests/store/test_migrations.py compares both) in a fraction of the time. The caller saw no
    table, so none is looked for. What the revisions record besides tables is recorded here too: files already in
    the archive folders (as revision 0008 does)."""
    for statement in _creation_script(conn.dialect):
        conn.exec_driver_sql(statement)
    conn.execute(insert(VERSION_TABLE).values(version_num=schema.SCHEMA_REVISION))
    _set_version(conn, schema.SCHEMA_VERSION)
    conn.execute(insert(schema.meta).values(key=schema.ARCHIVE_ID, value=uuid.uuid4().hex))  # Store.archive_id
    conn.execute(insert(schema.meta).values(key=schema.DATABASE_ID, value=uuid.uuid4().hex))  # Store.place
    if workspace is not None:
        from lzdocs.store.upgrade import record_as_found

        record_as_found(conn, workspace, now)


_CREATION_SCRIPTS: dict[tuple, tuple[str, ...]] = {}


def _creation_script(dialect: Dialect) -> tuple[str, ...]:
    """The statements ``create_all`` issues for the program's tables and Alembic's version table (tables, then
    indexes, in dependency order), compiled for ``dialect`` once a process: SQLAlchemy does not cache DDL, and
    compiling it again was most of the cost of each new archive (every new workspace; every test's)."""
    key = (dialect.name, dialect.driver, dialect.server_version_info)
    script = _CREATION_SCRIPTS.get(key)
    if script is None:
        statements: list[str] = []
        mock = create_mock_engine(f"{dialect.name}+{dialect.driver}://",
                                  lambda ddl, *_, **__: statements.append(str(ddl.compile(dialect=dialect))))
        schema.metadata.create_all(mock, checkfirst=False)
        VERSION_TABLE.create(mock, checkfirst=False)
        script = _CREATION_SCRIPTS[key] = tuple(statements)
    return script


def _set_version(conn: Connection, version: int) -> None:
    schema.set_meta(conn, "schema_version", str(version))


_ADD_COLUMN = re.compile(r"\s*ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(\w+)", re.IGNORECASE)


def _column_exists(conn: Connection, statement: str) -> bool:
    """Is ``statement`` an ADD COLUMN whose column is already there? Then it is skipped: the baseline made the
    table with it, or a migration runs again over an archive whose version number was set back by hand."""
    added = _ADD_COLUMN.match(statement)
    return bool(added) and added[2] in {c["name"] for c in inspect(sql.alchemy(conn)).get_columns(added[1])}

"""Opening the archive: engine, SQLite pragmas (WAL, busy timeout), write transactions, schema version."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import socket
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from lzdocs.errors import ConfigError
from lzdocs.store import schema


def _actor() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in some service accounts
        user = "?"
    return f"{user}@{socket.gethostname()}:{os.getpid()}"


class Store:
    """The archive database. ``begin()`` is the one way to write: a transaction that holds the write lock."""

    def __init__(self, url: str, *, now=dt.datetime.now):
        self.url = url
        self.now = now
        self.actor = _actor()
        self.engine: Engine = self._create_engine(url)
        self._migrate()

    @classmethod
    def for_workspace(cls, ws, **kw) -> "Store":
        return cls(ws.db_url, **kw)

    @staticmethod
    def _create_engine(url: str) -> Engine:
        is_sqlite = url.startswith("sqlite")
        if is_sqlite and ":///" in url:
            Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60} if is_sqlite else {})
        if is_sqlite:
            @event.listens_for(engine, "connect")
            def _on_connect(dbapi_conn, _record):
                dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=FULL")  # a committed 文号 or submission survives a power cut
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA busy_timeout=60000")
                cur.close()

            @event.listens_for(engine, "begin")
            def _on_begin(conn):
                # IMMEDIATE: take the write lock at BEGIN, so two processes never read the same "next number".
                deferred = conn.get_execution_options().get("lzdocs_read_only", False)
                conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")
        return engine

    def _migrate(self) -> None:
        try:
            with self.engine.begin() as conn:
                schema.metadata.create_all(conn)
                row = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")).first()
                version = int(row[0]) if row else 0
                if version == 0:
                    conn.execute(insert(schema.meta).values(key="schema_version", value=str(schema.SCHEMA_VERSION)))
                    return
                if version > schema.SCHEMA_VERSION:
                    raise ConfigError(f"档案库版本（{version}）比本程序（{schema.SCHEMA_VERSION}）新",
                                      hint="请升级 lzdocs 后再使用")
                for target in range(version + 1, schema.SCHEMA_VERSION + 1):
                    for statement in schema.MIGRATIONS.get(target, []):
                        conn.execute(text(statement))
                    conn.execute(schema.meta.update().where(schema.meta.c.key == "schema_version")
                                 .values(value=str(target)))
        except OperationalError as exc:
            raise ConfigError(f"无法打开档案库 {self.url}：{exc.orig}", hint="请检查文件权限或磁盘空间") from exc

    @property
    def schema_version(self) -> int:
        with self.read() as conn:
            return int(conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")).scalar())

    @contextmanager
    def begin(self):
        """A write transaction; rolled back on any exception."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self):
        """A read-only view: a deferred transaction that does not block writers."""
        with self.engine.connect().execution_options(lzdocs_read_only=True) as conn:
            yield conn

    def log(self, conn: Connection, action: str, subject: str = "", *, before=None, after=None) -> None:
        """Append one audit event in the caller's transaction."""
        conn.execute(insert(schema.events).values(
            at=self.now(), actor=self.actor, action=action, subject=subject,
            before=None if before is None else json.dumps(before, ensure_ascii=False, default=str),
            after=None if after is None else json.dumps(after, ensure_ascii=False, default=str)))

    def close(self) -> None:
        self.engine.dispose()

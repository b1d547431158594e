"""Opening the archive: engine, SQLite pragmas (WAL, busy timeout), write transactions, schema version."""

from __future__ import annotations

import getpass
import json
import os
import re
import socket
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, insert, inspect, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError

from lzdocs.clock import Clock
from lzdocs.errors import StoreError
from lzdocs.store import chain, files, schema

PYTHON_STEP = "python:"  # a migration step written in Python: ``Store._upgrade_<name>``


def _actor() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in some service accounts
        user = "?"
    return f"{user}@{socket.gethostname()}:{os.getpid()}"


class Store:
    """The archive database. ``begin()`` is the one way to write: a transaction that holds the write lock."""

    def __init__(self, url: str, *, now=Clock().now, workspace=None):  # noqa: B008 - bound method of a frozen value
        self.url = url
        self.now = now
        self.workspace = workspace  # whose archive files an upgrade to version 8 records (None: none)
        self.actor = _actor()
        self.engine: Engine = self._create_engine(url)
        self._migrate()
        self.file = _sqlite_file(url)
        self.identity = _identity(self.file) if self.file else None

    @classmethod
    def for_workspace(cls, ws, **kw) -> Store:
        return cls(ws.db_url, workspace=ws, **kw)

    @staticmethod
    def _create_engine(url: str) -> Engine:
        is_sqlite = url.startswith("sqlite")
        if is_sqlite and ":///" in url:
            Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        try:
            engine = create_engine(url, connect_args={"timeout": 60} if is_sqlite else {})
        except (ArgumentError, NoSuchModuleError, ImportError) as exc:
            shown = url.split("@")[-1] if "@" in url else url
            missing = isinstance(exc, ImportError)
            raise StoreError(f"lzdocs.toml 中 [database] url“{shown}”"
                             + ("所需的数据库驱动没有安装" if missing else "写得不对"),
                             hint="留空即使用工作区里的 lzdocs.db；PostgreSQL 写成 postgresql+psycopg://用户:密码@服务器/库名"
                             + "，并安装驱动 psycopg" * missing) from exc
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
            if self._current():  # no write lock needed: opening never waits for another process's transaction
                return
            with self.engine.begin() as conn:
                schema.metadata.create_all(conn)
                row = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")).first()
                version = int(row[0]) if row else 0
                if version == 0:
                    conn.execute(insert(schema.meta).values(key="schema_version", value=str(schema.SCHEMA_VERSION)))
                    return
                if version > schema.SCHEMA_VERSION:
                    raise StoreError(f"档案库版本（{version}）比本程序（{schema.SCHEMA_VERSION}）新，"
                                     "是用更新版本的 lzdocs 建的",
                                     hint="请升级 lzdocs 后再使用，不要用旧版本写入它")
                for target in range(version + 1, schema.SCHEMA_VERSION + 1):
                    for statement in schema.MIGRATIONS.get(target, []):
                        if statement.startswith(PYTHON_STEP):
                            getattr(self, f"_upgrade_{statement.removeprefix(PYTHON_STEP)}")(conn)
                        elif not _column_exists(conn, statement):
                            conn.execute(text(statement))
                    conn.execute(schema.meta.update().where(schema.meta.c.key == "schema_version")
                                 .values(value=str(target)))
        except DatabaseError as exc:
            raise database_error(self.url, exc) from exc

    def _upgrade_chain_events(self, conn: Connection) -> None:
        """Version 8: the events recorded so far, chained in id order."""
        chain.chain_all(conn)

    def _upgrade_record_archive(self, conn: Connection) -> None:
        """Version 8: the files in the archive folders, hashed as they are on disk now (basis ``upgrade``): each
        with the role of the submission or document it belongs to, the others ``found``."""
        if self.workspace is None:
            return
        from lzdocs.store.upgrade import archive_as_found

        files.record_many(conn, archive_as_found(conn, self.workspace, self.now()))

    def _current(self) -> bool:
        """Is the schema there and of this version? (A read: it does not wait for writers.)"""
        with self.engine.connect().execution_options(lzdocs_read_only=True) as conn:
            if not inspect(conn).has_table(schema.meta.name):
                return False
            row = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")).first()
        return row is not None and row[0] == str(schema.SCHEMA_VERSION)

    @property
    def schema_version(self) -> int:
        with self.read() as conn:
            return int(conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")).scalar())

    @contextmanager
    def begin(self):
        """A write transaction; rolled back on any exception. A database that cannot be written (read-only,
        locked for over a minute, disk full) is a StoreError with a Chinese message."""
        try:
            with self.engine.begin() as conn:
                self._check_same_file()  # with the write lock held: nobody swaps it between check and write
                yield conn
        except OperationalError as exc:
            raise database_error(self.url, exc) from exc

    def _check_same_file(self) -> None:
        """The SQLite file is still the one opened: a deleted or replaced file is never written into."""
        if self.identity is None:
            return
        try:
            now = _identity(self.file)
        except OSError:
            now = None
        if now != self.identity:
            what = "已被删除" if now is None else "已被替换成另一个文件"
            raise DatabaseReplaced(f"档案库文件 {self.file} 在运行中{what}，为免写入已删除的文件，已停止写入",
                                   hint="请从备份恢复 lzdocs.db（或确认新的档案库无误）后重新运行；"
                                        "正在处理的文件留在收件文件夹，重新运行时会继续处理")

    @contextmanager
    def read(self):
        """A read-only view: a deferred transaction that does not block writers."""
        try:
            with self.engine.connect().execution_options(lzdocs_read_only=True) as conn:
                yield conn
        except OperationalError as exc:
            raise database_error(self.url, exc) from exc

    def integrity_check(self) -> list[str] | None:
        """SQLite's ``PRAGMA integrity_check``: the problems it lists ([] when the file holds); None on a database
        server, which checks itself."""
        if not self.url.startswith("sqlite"):
            return None
        with self.read() as conn:
            rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
        return [] if rows == ["ok"] else rows

    def log(self, conn: Connection, action: str, subject: str = "", *, before=None, after=None) -> None:
        """Append one audit event in the caller's transaction (which holds the write lock), chained to the one
        before it (docs/product.md §12.1)."""
        chain.append(conn, dict(
            at=self.now(), actor=self.actor, action=action, subject=subject,
            before=None if before is None else json.dumps(before, ensure_ascii=False, default=str),
            after=None if after is None else json.dumps(after, ensure_ascii=False, default=str)))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DatabaseReplaced(StoreError):
    """The database file was deleted or replaced while the archive was open (exit code 1: a service restarts)."""

    exit_code = 1


def _sqlite_file(url: str) -> Path | None:
    """The database file of a ``sqlite:///path`` URL; None for an in-memory database or another server."""
    if not url.startswith("sqlite") or ":///" not in url:
        return None
    path = url.split(":///", 1)[1].split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def _identity(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


_SQLITE_PROBLEMS = (
    ("readonly database", "档案库是只读的，无法写入", "请检查 lzdocs.db 和它所在文件夹的写入权限（或“只读”属性）"),
    ("unable to open database", "无法打开档案库（文件夹不存在或没有权限）",
     "请检查工作区文件夹的权限，或 [database] url 是否写对"),
    ("database is locked", "档案库正被另一个程序占用，等了一分钟仍未释放", "请稍后重试；如有卡住的 lzdocs，请先结束它"),
    ("disk is full", "磁盘已满，无法写入档案库", "请清理磁盘后重试"),
    ("disk I/O error", "读写档案库时出错（磁盘或网络共享故障）", "请检查磁盘和网络共享后重试"),
    ("not a database", "档案库文件已损坏或不是 lzdocs 档案库", "请从备份恢复 lzdocs.db，或检查 [database] url"),
    ("malformed", "档案库文件已损坏", "请从备份恢复 lzdocs.db"),
)


def database_error(url: str, exc: DatabaseError) -> StoreError:
    """A database failure as a Chinese message that says which database and what to do."""
    detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    where = url.split(":///", 1)[1] if url.startswith("sqlite") and ":///" in url else url.split("@")[-1]
    for needle, message, hint in _SQLITE_PROBLEMS:
        if needle in detail:
            return StoreError(f"{message}：{where}", hint=hint)
    return StoreError(f"档案库出错：{where}（{detail}）", hint="请检查数据库文件或服务器是否正常后重试")


_ADD_COLUMN = re.compile(r"\s*ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(\w+)", re.IGNORECASE)


def _column_exists(conn, statement: str) -> bool:
    """Is ``statement`` an ADD COLUMN whose column is already there? Then it is skipped: a migration run again over
    an archive that has the column (its version number set back by hand) must not stop the archive from opening."""
    added = _ADD_COLUMN.match(statement)
    return bool(added) and added[2] in {c["name"] for c in inspect(conn).get_columns(added[1])}

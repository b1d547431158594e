"""Opening the archive: engine, SQLite pragmas (WAL, busy timeout), write transactions, schema version."""

from __future__ import annotations

import functools
import getpass
import json
import os
import re
import socket
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from lzdocs.clock import Clock
from lzdocs.errors import StoreError
from lzdocs.store import chain, meta, sql

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from lzdocs.workspace import Workspace


def _actor() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in some service accounts
        user = "?"
    return f"{user}@{socket.gethostname()}:{os.getpid()}"


class Store:
    """The archive database. ``begin()`` is the one way to write: a transaction that holds the write lock.

    A SQLite archive in a file is used through the standard library's ``sqlite3``, and SQLAlchemy is loaded only
    for the first SQLAlchemy statement a command runs (lzdocs/store/sql.py): a letter never loads it. A database
    server, an in-memory SQLite database or a URL with parameters goes through SQLAlchemy's engine throughout."""

    def __init__(self, url: str, *, now=Clock().now, workspace: Workspace | None = None,  # noqa: B008 - bound method of a frozen value
                 wal: bool = True):
        """``wal=False``: a SQLite file left in its rollback journal — a copy written once and then kept whole (a
        backup's, on a destination that may be a network share, where WAL's shared memory does not work)."""
        self._connect(url, now, workspace)
        self._wal = wal
        self._migrate()
        self._remember_file()

    @classmethod
    def unchecked(cls, url: str, *, now=Clock().now, workspace: Workspace | None = None) -> Store:  # noqa: B008
        """Connected without bringing the schema up to date: for ``lzdocs db upgrade``, which does that itself."""
        store = cls.__new__(cls)
        store._connect(url, now, workspace)
        store._remember_file()
        return store

    def _connect(self, url: str, now, workspace: Workspace | None) -> None:
        self.url = url
        self.now = now
        self.workspace = workspace  # whose archive files an upgrade to version 8 records (None: none)
        self.actor = _actor()
        self._archive_id: str | None = None
        self._place: str | None = None
        self._unkept: Workspace | None = None  # a workspace whose archive had no records when opened (store/kept.py)
        self._engine: Engine | None = None
        self._driven = _driven_file(url)  # the SQLite file used through sqlite3 itself, else None
        self._idle: list[sqlite3.Connection] = []  # its connections not in use, for the next transaction
        self._idle_lock = threading.Lock()
        self._lending = threading.local()  # the connection lent to SQLAlchemy (``_lend``) while it connects
        self._batching = threading.local()  # this thread's ``batch``, while one lasts
        if self._driven is not None:
            self._driven.parent.mkdir(parents=True, exist_ok=True)
        else:
            self._engine = self._create_engine(url)

    @property
    def engine(self) -> Engine:
        """SQLAlchemy's engine (made on first use for a SQLite file: loading SQLAlchemy is most of a letter's
        start-up)."""
        if self._engine is None:
            self._engine = self._create_engine(self.url)
        return self._engine

    @property
    def dialect(self) -> str:
        """``sqlite``, ``postgresql`` …, without loading SQLAlchemy for a SQLite file."""
        return "sqlite" if self._driven is not None else self.engine.dialect.name

    def _remember_file(self) -> None:
        """Which SQLite file this is (``_check_same_file``); it exists once the schema is made."""
        self.file = sqlite_file(self.url)
        self.identity = _identity(self.file) if self.file and self.file.exists() else None

    @classmethod
    def for_workspace(cls, ws: Workspace, **kw) -> Store:
        """The workspace's archive — the one it keeps: a lost or another archive is refused (store/kept.py)."""
        from lzdocs.store import kept

        kept.before_opening(ws)  # before connecting, which makes a SQLite file that is not there
        store = cls.unchecked(ws.db_url, workspace=ws, **kw)
        try:
            found = kept.opening(ws, store)  # before the schema is made or upgraded
            store._migrate()
            store._remember_file()
            if not kept.opened(ws, store, found):
                store._unkept = ws  # recorded after the first commit: its records are then there
        except BaseException:
            store.close()
            raise
        return store

    def _create_engine(self, url: str) -> Engine:
        from sqlalchemy import create_engine, event
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError
        from sqlalchemy.pool import NullPool

        is_sqlite = url.startswith("sqlite")
        if is_sqlite and (path := sqlite_file(url)) is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        # A SQLite file's connections are lzdocs' own (``_connection``): SQLAlchemy borrows one inside a transaction
        # of the Store's (``_lend``), or opens one of its own for work outside them (a migration).
        driven = {"creator": self._connection, "poolclass": NullPool} if self._driven is not None else {}
        try:
            # On a server, a pooled connection may have been cut (a restart): tested before each use.
            engine = create_engine(url, connect_args={"timeout": 60} if is_sqlite else _server_arguments(url),
                                   pool_pre_ping=not is_sqlite,
                                   execution_options={"compiled_cache": _SQLITE_STATEMENTS} if is_sqlite else {},
                                   **driven)
        except (ArgumentError, NoSuchModuleError, ImportError) as exc:
            scheme = url.split("://", 1)[0] if "://" in url and not is_sqlite else ""
            shown = f"{scheme}://{shown_url(url)}" if scheme else shown_url(url)  # its scheme: what is wrong, often
            missing = isinstance(exc, ImportError)
            raise StoreError(f"数据库地址“{shown}”" + ("所需的数据库驱动没有安装" if missing else "写得不对"),
                             hint="PostgreSQL 写成 postgresql+psycopg://用户:密码@服务器/库名"
                             + "，并安装驱动 psycopg" * missing
                             + "（lzdocs.toml 的 [database] url 留空即使用工作区里的 lzdocs.db）") from exc
        if is_sqlite:
            if self._driven is None:
                @event.listens_for(engine, "connect")
                def _on_connect(dbapi_conn, _record):
                    _set_up(dbapi_conn)

            @event.listens_for(engine, "begin")
            def _on_begin(conn: Connection):
                options = conn.get_execution_options()
                if options.get("lzdocs_lent"):  # inside the Store's own transaction, begun already
                    return
                # IMMEDIATE: take the write lock at BEGIN, so two processes never read the same "next number".
                conn.exec_driver_sql("BEGIN" if options.get("lzdocs_read_only", False) else "BEGIN IMMEDIATE")
        elif engine.dialect.name == "postgresql":
            @event.listens_for(engine, "begin")
            def _on_begin_pg(conn: Connection):
                # SQLite's BEGIN IMMEDIATE on a server: one writer at a time per archive (its schema), across
                # processes and hosts, held until commit or rollback — numbers and supersession stay decided
                # inside one transaction. Readers are never blocked.
                if not conn.get_execution_options().get("lzdocs_read_only", False):
                    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('lzdocs:' || current_schema()))")
        return engine

    # --- a SQLite file's own connections ----------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        """A connection to the SQLite file: the one being lent to SQLAlchemy (``_lend``), else a new one."""
        lent = getattr(self._lending, "raw", None)
        return _Lent(lent) if lent is not None else _set_up(
            sqlite3.connect(self._driven, timeout=60, isolation_level=None, check_same_thread=False))

    def _lend(self, raw: sqlite3.Connection) -> Connection:
        """SQLAlchemy's connection over ``raw``, inside the transaction the Store began on it."""
        self._lending.raw = raw
        try:
            return self.engine.connect().execution_options(lzdocs_lent=True)
        finally:
            self._lending.raw = None

    def _take(self) -> sqlite3.Connection:
        with self._idle_lock:
            if self._idle:
                return self._idle.pop()
        return self._connection()

    def _give(self, raw: sqlite3.Connection) -> None:
        """A connection out of any transaction, kept for the next."""
        with self._idle_lock:
            self._idle.append(raw)

    @contextmanager
    def _transaction(self, begin: str):
        """A transaction of lzdocs' own on a connection to the SQLite file: committed when the block ends (a read
        is rolled back), rolled back on any exception."""
        raw = self._take()
        conn = sql.Connection(raw, self._lend)
        try:
            raw.execute(begin)
            try:
                yield conn
            finally:
                conn.release()
            if begin == "BEGIN":
                raw.execute("ROLLBACK")  # a read: nothing to keep
            else:
                self._commit(raw)
        except BaseException:
            try:
                if raw.in_transaction:
                    raw.execute("ROLLBACK")
            except sqlite3.Error:
                raw.close()  # not to be used again
                raise
            self._give(raw)
            raise
        self._give(raw)

    @staticmethod
    def _commit(raw: sqlite3.Connection) -> None:
        """The COMMIT of a write transaction on a connection to the SQLite file (where tests make one fail)."""
        raw.execute("COMMIT")

    def _use_wal(self) -> None:
        """SQLite in WAL mode (readers never wait for the writer), set once the file is known to be this archive:
        the mode is written into the file's header, so a file refused by ``store/kept.py`` stays as it was. The
        mode lasts in the file; setting it again is a read."""
        if self.dialect != "sqlite" or not getattr(self, "_wal", True):
            return
        deadline = time.monotonic() + WAL_WAIT
        while True:
            try:
                if self._driven is not None:
                    raw = self._take()  # outside a transaction, where the mode cannot change
                    try:
                        raw.execute("PRAGMA journal_mode=WAL").fetchall()
                    finally:
                        self._give(raw)
                    return
                raw = self.engine.raw_connection()
                try:
                    raw.cursor().execute("PRAGMA journal_mode=WAL").close()
                finally:
                    raw.close()
                return
            except database_errors() as exc:  # not a database, damaged, read-only
                # A new archive that another lzdocs is creating at this moment (two ingests, a watcher and a
                # command): the change of mode needs the file to itself, and SQLite says so at once rather than
                # wait as a transaction does (busy_timeout) — waited for here, as long as a transaction would.
                if "locked" in str(exc) and time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                raise database_error(self.url, exc) from exc

    def _migrate(self) -> None:
        """Bring the archive to this program's schema (lzdocs/store/migrations): on SQLite at once; a PostgreSQL
        archive other machines share is created when empty, but upgraded only by ``lzdocs db upgrade``."""
        try:
            self._use_wal()
            if self._current():  # no write lock needed: opening never waits for another process's transaction
                return
            from lzdocs.store import migrations

            with self.engine.begin() as conn:
                if self.dialect != "sqlite" and meta.TABLE in sql.tables(conn):
                    version = migrations.version_of(conn)
                    if version < meta.SCHEMA_VERSION:
                        raise StoreError(f"数据库中的档案库是第 {version} 版，本程序需要第 {meta.SCHEMA_VERSION} 版",
                                         hint="共用这个数据库的各台电脑先停止 lzdocs watch，然后在一台电脑上运行 "
                                              "lzdocs db upgrade")
                migrations.bring_up_to_date(conn, workspace=self.workspace, now=self.now)
        except database_errors() as exc:
            raise database_error(self.url, exc) from exc

    def upgrade(self) -> tuple[int, int]:
        """``lzdocs db upgrade``: (version before, version after), under the write lock."""
        from lzdocs.store import migrations

        try:
            self._use_wal()
            with self.engine.begin() as conn:
                done = migrations.bring_up_to_date(conn, workspace=self.workspace, now=self.now)
        except database_errors() as exc:
            raise database_error(self.url, exc) from exc
        self._remember_file()
        return done

    def _current(self) -> bool:
        """Is the schema there and of this version (its Alembic revision and its recorded version)? A read: it
        does not wait for writers."""
        with self.read() as conn:
            if not {meta.TABLE, "alembic_version"} <= sql.tables(conn):
                return False
            version = meta.get_meta(conn, "schema_version")
            revision = sql.scalar(conn, "SELECT version_num FROM alembic_version")
        return version == str(meta.SCHEMA_VERSION) and revision == meta.SCHEMA_REVISION

    def archive_id(self, *, create: bool = True, adopt: str | None = None) -> str | None:
        """This archive's identity: made with the archive; for one made before identities, on first use
        (``create``; else None until then) or ``adopt``ed — the one an inbox records for this workspace (a backup
        from before identities, restored).
        A claim in the inbox carries it, and the inbox records whose it is (lzdocs/ingest/claims.py): a second
        workspace with an archive of its own never finishes, puts back or takes what belongs to this one. A
        PostgreSQL archive shared by several machines is one archive, with one identity."""
        if self._archive_id is None:
            self._archive_id = self._identity_row(meta.ARCHIVE_ID, create=create, made=adopt)
        return self._archive_id

    def _identity_row(self, key: str, *, create: bool, made: str | None = None) -> str | None:
        """The ``meta`` row ``key``; made (``made``, else a new random one) when there is none and ``create``."""
        with self.read() as conn:
            found = meta.get_meta(conn, key)
        if found is None and create:
            with self.begin() as conn:
                found = meta.get_meta(conn, key)
                if found is None:
                    found = made or uuid.uuid4().hex
                    meta.set_meta(conn, key, found)
        return found

    @property
    def place(self) -> str:
        """Which database this is, as against a copy of it with the same identity (``archive_id``): for a SQLite
        file ``sqlite:<computer>:<file>`` — a workspace copied or restored to another folder, or the file used from
        another computer, is another place — and for a server ``server:<its own id>``, a ``meta`` row made on first
        use that ``db copy`` does not carry: every machine sharing the server sees the same, a copy on another
        schema or server has its own."""
        if self._place is None:
            if self.file is not None:
                self._place = f"sqlite:{computer()}:{os.path.realpath(self.file)}"
            else:
                self._place = f"server:{self._identity_row(meta.DATABASE_ID, create=True)}"
        return self._place

    def has_records(self) -> bool:
        """Anything recorded yet (an event: every change records one), as opposed to an archive just made."""
        with self.read() as conn:
            return sql.scalar(conn, "SELECT id FROM events LIMIT 1") is not None

    @property
    def schema_version(self) -> int:
        with self.read() as conn:
            return int(meta.get_meta(conn, "schema_version"))

    @contextmanager
    def begin(self, *, year: int | None = None):
        """A write transaction; rolled back on any exception. A database that cannot be written (read-only,
        locked for over a minute, disk full) is a StoreError with a Chinese message. ``year``: the transaction
        changes that year's records (a form, a document, a reply …), refused with YearClosed while the year is
        closed by its 归档 package — the one place that check is made, under the write lock. Inside a ``batch``,
        a savepoint of the batch's transaction, committed with it."""
        batch = getattr(self._batching, "current", None)
        try:
            with (self._savepoint(batch) if batch is not None else self._transaction("BEGIN IMMEDIATE")
                  if self._driven is not None else self.engine.begin()) as conn:
                self._check_same_file()  # with the write lock held: nobody swaps it between check and write
                if year is not None:
                    from lzdocs.store.years import require_open

                    require_open(conn, year)
                yield conn
        except operational_errors() as exc:
            raise database_error(self.url, exc) from exc
        if batch is None:
            self._committed()

    def _committed(self) -> None:
        if self._unkept is not None:  # the first records of the workspace's archive: the workspace keeps it now
            from lzdocs.store import kept

            ws, self._unkept = self._unkept, None
            kept.opened(ws, self, None)

    # --- several write transactions committed as one ---------------------------------------------------------
    @contextmanager
    def batch(self):
        """Until the block ends, this thread's write transactions (``begin``) are savepoints of one transaction,
        committed by ``flush`` (at a point where none is open: between two files of an ingest) or when the block
        ends — as it began to end when an exception ends it, unless the transaction was lost. Its reads
        (``read``) see what it wrote. What must follow the commit, and never precede it (``after_commit``),
        follows it; if the commit fails, what undoes each step is done instead.

        A COMMIT costs a write and an fsync of the log: an ingest of many small forms commits a few times a
        second rather than once a form. A SQLite file only; on a database server every ``begin`` commits."""
        if self._driven is None or getattr(self._batching, "current", None) is not None:
            yield
            return
        batch = self._batching.current = _Batch()
        try:
            yield
        except BaseException:
            self._batching.current = None
            try:
                self._end(batch)
            except Exception:  # said by the exception that ended the block; its steps undone (``_end``)
                pass
            raise
        self._batching.current = None
        self._end(batch)

    def flush(self, *, older_than: float = 0.0) -> None:
        """Commit this thread's batch now (if it has been open ``older_than`` seconds or more), and do what waited
        for its commit: before a wait or work that may be long, so as not to hold the write lock through it."""
        batch = getattr(self._batching, "current", None)
        if batch is not None and batch.raw is not None and not batch.depth and batch.age() >= older_than:
            self._end(batch)

    def after_commit(self, done: Callable[[], None], undone: Callable[[], None] | None = None,
                     left: Callable[[], None] | None = None) -> None:
        """``done`` once what was written is committed: at once, or when this thread's batch commits; ``undone``
        instead if the batch's commit fails; ``left`` if its COMMIT is cut short (committed or not: what a killed
        process leaves, for recovery)."""
        batch = getattr(self._batching, "current", None)
        if batch is None or batch.raw is None:
            done()
        else:
            batch.after.append((done, undone, left))

    @contextmanager
    def _savepoint(self, batch: _Batch):
        if batch.raw is None:
            raw = self._take()
            try:
                raw.execute("BEGIN IMMEDIATE")
            except BaseException:
                self._give(raw)
                raise
            batch.open(raw, sql.Connection(raw, self._lend))
        raw, name = batch.raw, f"lzdocs_{batch.depth}"
        raw.execute(f"SAVEPOINT {name}")
        batch.depth += 1
        try:
            yield batch.conn
        except BaseException:
            # A step whose block never ran — a Ctrl-C between the savepoint and the block leaves it open, its
            # ``with`` never exited — is only collected later, after its batch ended: its connection then closed,
            # or serving another batch whose savepoints have the same names. Nothing of it is undone there.
            if batch.raw is not raw:
                raise
            batch.depth -= 1
            if raw.in_transaction:  # this step undone, the steps before it kept
                raw.execute(f"ROLLBACK TO {name}")
                raw.execute(f"RELEASE {name}")
            raise
        batch.depth -= 1
        raw.execute(f"RELEASE {name}")

    def _end(self, batch: _Batch) -> None:
        """Commit the batch's transaction, then what followed each step; if it was not committed, undo them. One
        Ctrl-C waits for all of it; a second one (or anything else that cuts the COMMIT short) leaves the steps as a
        killed process would: recovery tells each claim's end by its record."""
        from lzdocs import interrupts

        raw, conn, after = batch.close()
        if raw is None:
            return
        conn.release()
        with interrupts.deferred():
            try:
                if not raw.in_transaction:  # SQLite rolled it back itself (a full disk, an I/O error)
                    raise sqlite3.OperationalError("the transaction was rolled back")
                self._commit(raw)
            except sqlite3.Error as exc:  # not committed: SQLite's COMMIT either commits or says why it did not
                try:
                    if raw.in_transaction:
                        raw.execute("ROLLBACK")
                    self._give(raw)
                except sqlite3.Error:
                    raw.close()
                for _, undone, _ in after:
                    if undone is not None:
                        undone()
                raise database_error(self.url, exc) from exc
            except BaseException:
                raw.close()
                for _, _, left in after:
                    if left is not None:
                        left()
                raise
            self._give(raw)
            self._committed()
            failed = None
            for done, _, _ in after:  # each, even when one before it failed (its claim is finished later: recover)
                try:
                    done()
                except Exception as exc:
                    failed = failed or exc
            if failed is not None:
                raise failed

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
        """A read-only view: a deferred transaction that does not block writers — inside a ``batch`` that has begun
        its transaction, that transaction (what the batch wrote is seen)."""
        batch = getattr(self._batching, "current", None)
        if batch is not None and batch.raw is not None:
            yield batch.conn
            return
        try:
            if self._driven is not None:
                with self._transaction("BEGIN") as conn:
                    yield conn
            else:
                with self.engine.connect().execution_options(lzdocs_read_only=True) as conn:
                    yield conn
        except operational_errors() as exc:
            raise database_error(self.url, exc) from exc

    @contextmanager
    def snapshot(self):
        """A read-only view of one moment, for a reader of table after table whose rows must agree (``db copy``):
        on PostgreSQL a REPEATABLE READ, READ ONLY transaction — under ``read()``'s READ COMMITTED each statement
        sees what was committed when it began, so a letter another machine records between the reads of
        ``documents`` and ``files`` would be half there. SQLite's deferred transaction is such a view already
        (WAL: from its first read until it ends); it is left as ``read()`` makes it, with lzdocs' own BEGIN."""
        if self.dialect == "sqlite":
            with self.read() as conn:
                yield conn
            return
        try:
            with self.engine.connect().execution_options(lzdocs_read_only=True) as conn:
                if conn.dialect.name == "postgresql":  # set before the transaction begins, reset when it is returned
                    conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
                yield conn
        except operational_errors() as exc:
            raise database_error(self.url, exc) from exc

    def integrity_check(self) -> list[str] | None:
        """SQLite's ``PRAGMA integrity_check``: the problems it lists ([] when the file holds); None on a database
        server, which checks itself."""
        if not self.url.startswith("sqlite"):
            return None
        with self.read() as conn:
            rows = sql.column(conn, "PRAGMA integrity_check")
        return [] if rows == ["ok"] else rows

    def log(self, conn: Connection, action: str, subject: str = "", *, before=None, after=None) -> None:
        """Append one audit event in the caller's transaction (which holds the write lock), chained to the one
        before it (docs/product.md §12.1)."""
        chain.append(conn, dict(
            at=self.now(), actor=self.actor, action=action, subject=subject,
            before=None if before is None else json.dumps(before, ensure_ascii=False, default=str),
            after=None if after is None else json.dumps(after, ensure_ascii=False, default=str)))

    def close(self) -> None:
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for raw in idle:
            raw.close()
        if self._engine is not None:
            self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()




WAL_WAIT = 60.0  # seconds a new archive's change to WAL waits for another process, as busy_timeout (``_set_up``)


class _Batch:
    """The transaction of ``Store.batch`` while it is open, and what waits for its commit."""

    def __init__(self):
        self.raw: sqlite3.Connection | None = None
        self.conn: sql.Connection | None = None
        self.depth = 0  # savepoints open: no commit in the middle of one
        self.began = 0.0
        self.after: list[tuple[Callable[[], None], Callable[[], None] | None, Callable[[], None] | None]] = []

    def open(self, raw: sqlite3.Connection, conn: sql.Connection) -> None:
        self.raw, self.conn, self.began = raw, conn, time.monotonic()

    def close(self) -> tuple:
        out = (self.raw, self.conn, self.after)
        self.raw, self.conn, self.after, self.depth = None, None, [], 0
        return out

    def age(self) -> float:
        return time.monotonic() - self.began


def _set_up(raw: sqlite3.Connection) -> sqlite3.Connection:
    """A new connection to a SQLite archive, as every one is used: lzdocs emits BEGIN itself (``isolation_level``
    None); journal_mode=WAL, a change to the file, waits for ``Store._use_wal``."""
    raw.isolation_level = None
    for pragma in ("synchronous=FULL",  # a committed 文号 or submission survives a power cut
                   "foreign_keys=ON", "busy_timeout=60000",
                   # the journals of a batch's savepoints and the sorts of a register in memory, not in temp files:
                   # megabytes written and thrown away for every thousand forms (Store.batch)
                   "temp_store=MEMORY"):
        raw.execute(f"PRAGMA {pragma}")
    return raw


class _Lent:
    """A connection of the Store's, lent to SQLAlchemy inside the Store's transaction: SQLAlchemy's commit, rollback
    and close do nothing — the Store ends the transaction, and keeps the connection for the next."""

    def __init__(self, raw: sqlite3.Connection):
        object.__setattr__(self, "_raw", raw)

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __getattr__(self, name: str):
        return getattr(self._raw, name)

    def __setattr__(self, name: str, value) -> None:
        setattr(self._raw, name, value)


def _driven_file(url: str) -> Path | None:
    """The SQLite file lzdocs uses through ``sqlite3`` itself: a ``sqlite:///path`` URL without parameters."""
    if not re.match(r"sqlite(\+pysqlite)?:///", url) or "?" in url:
        return None
    return sqlite_file(url)


def operational_errors() -> tuple[type[Exception], ...]:
    """A database that cannot be used now — locked, read-only, its disk full, its server away — as ``sqlite3`` and,
    once loaded, SQLAlchemy raise it."""
    found: tuple[type[Exception], ...] = (sqlite3.OperationalError, sqlite3.InterfaceError)
    if (alchemy := sys.modules.get("sqlalchemy.exc")) is not None:
        found += (alchemy.OperationalError, alchemy.InterfaceError)
    return found


def database_errors() -> tuple[type[Exception], ...]:
    """Any failure of the database (not a database, damaged …), as ``sqlite3`` and, once loaded, SQLAlchemy
    raise it."""
    found: tuple[type[Exception], ...] = (sqlite3.DatabaseError,)
    if (alchemy := sys.modules.get("sqlalchemy.exc")) is not None:
        found += (alchemy.DatabaseError,)
    return found


class _SharedStatements(dict):
    """SQLAlchemy's compiled statements, shared by every SQLite archive this process opens.

    An engine keeps its own cache, keyed by its dialect object, so a process that opens archive after archive (a
    script over several workspaces, the test suite, a watcher that reopens its archive) would compile the same SQL
    again for each. SQLite's dialects in one process differ in nothing that reaches the SQL (one driver, one
    library, the same engine arguments from ``Store._create_engine``), so here the key names the dialect by its
    class and SQLite's version instead: the sharing SQLAlchemy's author describes in sqlalchemy#5002. Only
    ``get`` and item assignment are used by SQLAlchemy (``ClauseElement._compile_w_cache``)."""

    LIMIT = 2000  # distinct statements: far more than lzdocs has; past it the cache starts again

    @staticmethod
    def _key(key: tuple) -> tuple:
        dialect, *rest = key
        return (type(dialect), dialect.server_version_info, *rest)

    def get(self, key: tuple, default=None):
        return super().get(self._key(key), default)

    def __setitem__(self, key: tuple, value) -> None:
        if len(self) >= self.LIMIT:
            self.clear()
        super().__setitem__(self._key(key), value)


_SQLITE_STATEMENTS = _SharedStatements()


class DatabaseUnavailable(StoreError):
    """The database server cannot be reached or cut the connection (restarted, network down): worth waiting for.
    Exit code 4, not a setting's 2: a script or a service manager runs the command again later."""

    exit_code = 4


class DatabaseReplaced(StoreError):
    """The database file was deleted or replaced while the archive was open (exit code 1: a service restarts)."""

    exit_code = 1


# A PostgreSQL server that does not answer — a frozen host, a firewall dropping packets — would keep a command, the
# status page or a watcher waiting for ever: a connection gives up after 10 s, and one that goes quiet is found dead
# by TCP keepalives within about a minute (libpq's parameters; any of them written in the URL is kept as written).
# tcp_user_timeout: a query in flight whose packets go unanswered (keepalives only watch an idle connection).
_SERVER_TIMEOUTS = {"connect_timeout": 10, "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
                    "keepalives_count": 3, "tcp_user_timeout": 60_000}


def _server_arguments(url: str) -> dict:
    """libpq's parameters (psycopg, psycopg2: ``postgresql://`` is psycopg2) for ``url``; none for other drivers."""
    if not url.startswith(("postgresql://", "postgresql+psycopg://", "postgresql+psycopg2://")):
        return {}
    written = {part.split("=", 1)[0].lower() for part in url.partition("?")[2].split("&")}
    return {name: value for name, value in _SERVER_TIMEOUTS.items() if name not in written}


_SECRET = re.compile(r"(?i)\b(password|sslpassword|pass%77ord)=[^&]*")


def shown_url(url: str) -> str:
    """A database URL as messages and pages show it: a SQLite file's path; for a server, its address, database and
    parameters without the user and password, a password given as a parameter (``?password=…``) masked too."""
    if url.startswith("sqlite") and ":///" in url:
        return unquote(url.split(":///", 1)[1])
    masked = _SECRET.sub(r"\1=***", url)
    if "://" not in masked:
        return masked.rpartition("@")[2]
    place, slash, rest = masked.split("://", 1)[1].partition("/")
    return place.rpartition("@")[2] + slash + rest


def sqlite_file(url: str) -> Path | None:
    """The database file of a ``sqlite:///path`` URL; None for an in-memory database or another server. Its path
    is read as SQLAlchemy reads it (``%XX`` decoded), so that lzdocs' own connections (``_driven_file``) and
    SQLAlchemy's open the same file: ``sqlite:///D:/档案%20库/lzdocs.db`` is ``D:/档案 库/lzdocs.db`` to both."""
    if not url.startswith("sqlite") or ":///" not in url:
        return None
    path = unquote(url.split(":///", 1)[1].split("?", 1)[0])
    return None if path in ("", ":memory:") else Path(path)


def sqlite_url(path: Path) -> str:
    """The ``sqlite:///`` URL of a file, its path as SQLAlchemy and :func:`sqlite_file` read it back — a folder
    named ``100%`` or ``a?b`` included (``%`` and ``?`` escaped, the rest as written)."""
    return "sqlite:///" + path.as_posix().replace("%", "%25").replace("?", "%3F")


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


# What a database driver says when the server could not be reached or the connection broke (no answer came).
_SERVER_GONE = ("connection failed", "could not connect", "connection refused", "server closed the connection",
                "terminating connection", "connection is closed", "the database system is starting up",
                "the database system is shutting down", "consuming input failed", "timeout expired",
                "connection is bad", "the connection is lost", "connection socket closed")
# …and what a server that did answer says of a wrong setting, as a FATAL error when connecting (the same words in
# an ordinary error — relation "x" does not exist — are a fault of the archive): retrying will not help.
_SERVER_REFUSES = ("does not exist", "password authentication failed", "no pg_hba.conf entry", "authentication",
                   "password is required", "permission denied", "does not support ssl", "certificate")

# SQLSTATEs of a server that is not there to answer: class 08 (connection exception), and 57P01–57P03 (shut down by
# its administrator, crashed, not yet accepting connections).
_SERVER_GONE_STATES = ("08", "57P01", "57P02", "57P03")


def _server_gone(exc: Exception, said: str) -> bool:
    """The database server could not be reached or dropped the connection: worth waiting for, not a fault of ours
    nor a wrong setting. Told by SQLSTATE where the server answered, else by what the driver says (an error met
    on the client's side has none: "connection is bad" when the server was stopped under a pooled connection) —
    never by the want of a SQLSTATE alone: a client-side mistake (too many parameters) has none either."""
    if getattr(exc, "connection_invalidated", False) or any(n in said.lower() for n in _SERVER_GONE):
        return True
    state = getattr(getattr(exc, "orig", None), "sqlstate", None) or ""
    if not state.startswith(_SERVER_GONE_STATES):  # SQLite has no SQLSTATE
        return False
    from sqlalchemy.exc import OperationalError

    return isinstance(exc, OperationalError)


def database_error(url: str, exc: Exception) -> StoreError:
    """A database failure as a Chinese message that says which database and what to do."""
    said = str(getattr(exc, "orig", None) or exc)
    detail = said.splitlines()[0]
    where = shown_url(url)
    text = said.lower()
    if "fatal" in text and any(n in text for n in _SERVER_REFUSES):  # said when connecting, by the server itself
        return StoreError(f"数据库服务器拒绝了连接：{where}（{' '.join(said.split())[:300]}）",
                          hint="请检查 lzdocs.toml 中 [database] url 的用户名、口令和库名，以及服务器是否允许本机连接")
    if _server_gone(exc, said):
        return DatabaseUnavailable(f"无法连接数据库服务器：{where}（{detail}）",
                                   hint="请检查数据库服务器是否在运行、网络是否通畅，恢复后重新运行"
                                        "（lzdocs watch 不必重新运行，它会等数据库恢复后自动继续）")
    for needle, message, hint in _SQLITE_PROBLEMS:
        if needle in detail:
            return StoreError(f"{message}：{where}", hint=hint)
    return StoreError(f"档案库出错：{where}（{detail}）", hint="请检查数据库文件或服务器是否正常后重试")


def same_place(a: str, b: str) -> bool:
    """Two ``Store.place``s are one database: the same, or the same SQLite file on this computer reached by
    another name (a bind mount, a folder linked to it)."""
    if a == b:
        return True
    here = f"sqlite:{computer()}:"
    from lzdocs.fsutil import same_file

    return a.startswith(here) and b.startswith(here) and same_file(a[len(here):], b[len(here):])


@functools.cache
def computer() -> str:
    """This computer, as lasting as it can be told: the machine id the operating system keeps (Linux
    /etc/machine-id, Windows' MachineGuid) — a computer renamed is the same computer — else its name."""
    if sys.platform == "win32":
        try:
            import winreg

            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Cryptography",
                                access=winreg.KEY_READ | winreg.KEY_WOW64_64KEY) as key:
                return str(winreg.QueryValueEx(key, "MachineGuid")[0])
        except OSError:
            pass
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            found = Path(path).read_text(encoding="ascii").strip()
        except (OSError, ValueError):
            continue
        if found:
            return found
    return socket.gethostname()

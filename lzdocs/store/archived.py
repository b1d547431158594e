"""The files a database (or a snapshot of it) records: kept originals and issued documents, with their SHA-256."""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, exists, or_, select, union
from sqlalchemy.engine import Connection

from lzdocs.store.schema import SCHEMA_VERSION, cases, documents, get_meta, submissions


def recorded_years(conn: Connection) -> list[int]:
    """The years with a submission, a document or a case: those that have registers."""
    q = union(select(submissions.c.year).where(submissions.c.year.is_not(None)), select(documents.c.year),
              select(cases.c.year))
    return sorted(y for (y,) in conn.execute(q))


def unit_recorded(conn: Connection, name: str) -> bool:
    """Does the archive hold anything of a unit recorded under ``name``: a form, a letter sent it, a case?"""
    return bool(conn.execute(select(or_(exists().where(submissions.c.unit == name),
                                        exists().where(documents.c.recipient == name),
                                        exists().where(cases.c.unit == name)))).scalar())


def schema_version(conn: Connection) -> int:
    value = get_meta(conn, "schema_version")
    return int(value) if value is not None else SCHEMA_VERSION


@contextmanager
def read_snapshot(path: Path) -> Iterator[Connection]:
    """A read-only connection to a database file (a backup's snapshot): nothing is written into it, not even the
    journal mode, so its bytes stay those of the manifest."""
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro",
                                                                        uri=True))
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def snapshot_database(source: Path, target: Path) -> None:
    """Copy the database ``source`` to ``target`` (which must not exist) through SQLite's online backup API: one
    consistent state, taken in a single step while other processes go on writing; a file copy could catch a
    transaction half-written into the WAL. The copy is a self-contained file (rollback journal, no -wal)."""
    partial = target.with_name(f".{target.name}.part")
    partial.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(source, timeout=60)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # pages=-1: all pages in one step, under one read transaction
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        partial.rename(target)
    except sqlite3.OperationalError as exc:  # the copy's disk full, failing or read-only: said as the disk's error
        code = _DISK_ERRORS.get(getattr(exc, "sqlite_errorcode", 0) & 0xFF)
        if code is None:
            raise
        raise OSError(code, os.strerror(code), str(target)) from exc
    finally:
        partial.unlink(missing_ok=True)


# SQLite's primary result codes for a file that cannot be written (SQLITE_FULL, SQLITE_IOERR, SQLITE_READONLY,
# SQLITE_CANTOPEN) → the OS error a file copy would have raised there
_DISK_ERRORS = {13: errno.ENOSPC, 10: errno.EIO, 8: errno.EROFS, 14: errno.EACCES}

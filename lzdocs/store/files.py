"""The archive's manifest (docs/product.md §12.1): every file written into the archive folders, its SHA-256 and size."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection

from lzdocs.store.schema import documents, files, submissions

KEPT_ROLES = {"accepted": "original", "duplicate": "duplicate", "rejected": "returned"}  # role by submission status
UPGRADE = "upgrade"  # files.basis of a file hashed as found on disk when the archive was upgraded to version 8
_COLUMNS = ("sha256", "size", "role", "recorded_at", "basis", "submission_id", "document_id")
# Built once: every archived original and every letter runs these.
_UPDATE = update(files).where(files.c.path == bindparam("at")).values({c: bindparam(c) for c in _COLUMNS})
_INSERT = insert(files)


def record(conn: Connection, path: str, sha256: str, size: int, role: str, recorded_at: dt.datetime, *,
           submission_id: int | None = None, document_id: int | None = None, basis: str = "written") -> None:
    """Record the file at ``path`` (workspace-relative) as written now: a new row, or the row of a file rewritten
    at the same place (a register, the 公示表) updated."""
    values = dict(sha256=sha256, size=size, role=role, recorded_at=recorded_at, basis=basis,
                  submission_id=submission_id, document_id=document_id)
    if not conn.execute(_UPDATE, {"at": path, **values}).rowcount:  # a file rewritten in its place
        conn.execute(_INSERT, {"path": path, **values})


def record_many(conn: Connection, entries: Iterable[dict]) -> None:
    """:func:`record` for each dict of its arguments."""
    for entry in entries:
        record(conn, **entry)


def move(conn: Connection, old: str, new: str, *, role: str | None = None) -> bool:
    """The file recorded at ``old`` now lies at ``new`` (settled into 退回/已处理/, moved to 作废/); False when
    ``old`` was never recorded."""
    values = {"path": new} | ({"role": role} if role else {})
    return bool(conn.execute(update(files).where(files.c.path == old).values(**values)).rowcount)


def forget(conn: Connection, path: str) -> bool:
    """The file recorded at ``path`` has left the archive folders by design (a returned file its unit took back);
    the caller logs the event that says so. False when ``path`` was never recorded."""
    return bool(conn.execute(delete(files).where(files.c.path == path)).rowcount)


def recorded(conn: Connection, path: str):
    return conn.execute(select(files).where(files.c.path == path)).mappings().first()


def all_files(conn: Connection, prefix: str | None = None) -> list[dict]:
    """Every recorded file (path, sha256, size, role, recorded_at), by path; ``prefix``: only paths under it."""
    query = select(files.c.path, files.c.sha256, files.c.size, files.c.role, files.c.recorded_at,
                   files.c.submission_id, files.c.document_id).order_by(files.c.path)
    if prefix:
        query = query.where(files.c.path.startswith(prefix, autoescape=True))
    return [dict(r) for r in conn.execute(query).mappings()]


def named_by_rows(conn: Connection) -> list[tuple[str, str, int]]:
    """(path, ``submission`` | ``document``, id) of every file a submission keeps or a document is: each should
    have its manifest row, tied to it."""
    kept = conn.execute(select(submissions.c.stored_as, submissions.c.id)
                        .where(submissions.c.stored_as.is_not(None))).all()
    issued = conn.execute(select(documents.c.file, documents.c.id).where(documents.c.file != "")).all()
    return [(p, "submission", i) for p, i in kept] + [(p, "document", i) for p, i in issued]

"""The archive's manifest (docs/product.md §12.1): every file written into the archive folders, its SHA-256 and size."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from lzdocs.store import sql

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

KEPT_ROLES = {"accepted": "original", "duplicate": "duplicate", "rejected": "returned"}  # role by submission status
UPGRADE = "upgrade"  # files.basis of a file hashed as found on disk when the archive was upgraded to version 8
# Every archived original and every letter runs these: plain SQL (lzdocs/store/sql.py).
_UPDATE = ("UPDATE files SET sha256 = :sha256, size = :size, role = :role, recorded_at = :recorded_at, "
           "basis = :basis, submission_id = :submission_id, document_id = :document_id WHERE path = :path")
_FILE = "SELECT path, sha256, size, role, recorded_at, submission_id, document_id FROM files"


def record(conn: Connection, path: str, sha256: str, size: int, role: str, recorded_at: dt.datetime, *,
           submission_id: int | None = None, document_id: int | None = None, basis: str = "written") -> None:
    """Record the file at ``path`` (workspace-relative) as written now: a new row, or the row of a file rewritten
    at the same place (a register, the 公示表) updated."""
    values = dict(path=path, sha256=sha256, size=size, role=role, recorded_at=recorded_at, basis=basis,
                  submission_id=submission_id, document_id=document_id)
    if not sql.run(conn, _UPDATE, values):  # a file rewritten in its place
        sql.insert(conn, "files", values)


def record_many(conn: Connection, entries: Iterable[dict]) -> None:
    """:func:`record` for each dict of its arguments."""
    for entry in entries:
        record(conn, **entry)


def move(conn: Connection, old: str, new: str, *, role: str | None = None) -> bool:
    """The file recorded at ``old`` now lies at ``new`` (settled into 退回/已处理/, moved to 作废/); False when
    ``old`` was never recorded."""
    if role:
        return bool(sql.run(conn, "UPDATE files SET path = :new, role = :role WHERE path = :old",
                            {"old": old, "new": new, "role": role}))
    return bool(sql.run(conn, "UPDATE files SET path = :new WHERE path = :old", {"old": old, "new": new}))


def forget(conn: Connection, path: str) -> bool:
    """The file recorded at ``path`` has left the archive folders by design (a returned file its unit took back);
    the caller logs the event that says so. False when ``path`` was never recorded."""
    return bool(sql.run(conn, "DELETE FROM files WHERE path = :path", {"path": path}))


def recorded(conn: Connection, path: str) -> dict | None:
    return sql.row(conn, "SELECT * FROM files WHERE path = :path", {"path": path})


def all_files(conn: Connection, prefix: str | None = None) -> list[dict]:
    """Every recorded file (path, sha256, size, role, recorded_at), by path; ``prefix``: only paths under it."""
    if prefix:
        return sql.rows(conn, f"{_FILE} WHERE substr(path, 1, length(:prefix)) = :prefix ORDER BY path",
                        {"prefix": prefix})
    return sql.rows(conn, f"{_FILE} ORDER BY path")


def named_by_rows(conn: Connection) -> list[tuple[str, str, int]]:
    """(path, ``submission`` | ``document``, id) of every file a submission keeps or a document is: each should
    have its manifest row, tied to it."""
    kept = sql.rows(conn, "SELECT stored_as, id FROM submissions WHERE stored_as IS NOT NULL")
    issued = sql.rows(conn, "SELECT file, id FROM documents WHERE file != ''")
    return [(r["stored_as"], "submission", r["id"]) for r in kept] + [(r["file"], "document", r["id"]) for r in issued]

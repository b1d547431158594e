"""The upgrade to version 8: the files already in the archive, hashed as found and tied to their rows."""

from __future__ import annotations

import datetime as dt
import stat
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.engine import Connection

from lzdocs.clock import Clock
from lzdocs.fsutil import NotRegularFile, copy_stream, open_regular
from lzdocs.store.files import KEPT_ROLES, UPGRADE, record_many
from lzdocs.store.schema import documents, submissions

if TYPE_CHECKING:
    from lzdocs.workspace import Workspace

EXPLANATION = ".错误说明.txt"  # beside a returned file (ingest/pipeline.py)


def known_files(conn: Connection) -> dict[str, tuple[str, int | None, int | None]]:
    """Workspace-relative path → (role, submission id, document id) of every file a row names."""
    known: dict[str, tuple[str, int | None, int | None]] = {}
    for row in conn.execute(select(submissions.c.id, submissions.c.status, submissions.c.stored_as)
                            .where(submissions.c.stored_as.is_not(None))).mappings():
        known[row["stored_as"]] = (KEPT_ROLES.get(row["status"], "original"), row["id"], None)
        if row["status"] == "rejected":
            known[row["stored_as"] + EXPLANATION] = ("explanation", row["id"], None)
    for row in conn.execute(select(documents.c.id, documents.c.status, documents.c.file)
                            .where(documents.c.file != "")).mappings():
        known[row["file"]] = ("voided" if row["status"] == "void" else "document", None, row["id"])
        stem, dot, _ = row["file"].rpartition(".")
        if dot:
            known[f"{stem}.pdf"] = ("pdf", None, row["id"])
    return known


def record_as_found(conn: Connection, workspace: Workspace, now=None) -> None:
    """Record the files in the workspace's archive folders as they are on disk now (``now``: the clock's reading
    function, else the system clock): revision 0008, and a new archive made where files already are."""
    record_many(conn, archive_as_found(conn, workspace, (now or Clock().now)()))


def archive_as_found(conn: Connection, workspace: Workspace, now: dt.datetime) -> list[dict]:
    """A record for each regular file in the archive folders, its SHA-256 as it is on disk now; symlinks and the
    like are not recorded (``lzdocs verify`` then reports them)."""
    known = known_files(conn)
    found = []
    for path, entry in workspace.archive_files():
        if not entry.is_file(follow_symlinks=False) or not stat.S_ISREG(entry.stat(follow_symlinks=False).st_mode):
            continue
        try:
            with open_regular(entry.path) as fh:
                sha, size = copy_stream(fh, None), fh.tell()
        except (OSError, NotRegularFile):
            continue
        role, submission_id, document_id = known.get(path, ("found", None, None))
        found.append(dict(path=path, sha256=sha, size=size, role=role, recorded_at=now, basis=UPGRADE,
                          submission_id=submission_id, document_id=document_id))
    return found

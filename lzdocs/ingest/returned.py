"""Returned files settled: once a unit's corrected form is accepted, its earlier 退回/ files move to 退回/已处理/.

A returned file the unit has already taken out of 退回/ — what its 错误说明 tells it to do: correct it and put it
back into the inbox — is settled as taken back: its record no longer expects it in 退回/ (``lzdocs verify`` and
``lzdocs backup`` would otherwise report it missing, as if the archive had been tampered with), the event says
where it was and its SHA-256, and its 错误说明 goes to 退回/已处理/ as it would with the file."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from lzdocs.errors import describe_os_error, from_os_error
from lzdocs.fsutil import NotRegularFile, move_without_replacing, open_regular, rename_no_replace
from lzdocs.store import files as manifest
from lzdocs.store import submissions as subs

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lzdocs.store import Store
    from lzdocs.workspace import Workspace

log = logging.getLogger("lzdocs.ingest")

SETTLED = "已处理"
EXPLANATION = ".错误说明.txt"


def settle_returned(ws: Workspace, store: Store, kind: str, unit: str, year: int, claims_dir: Path) -> list[str]:
    """Move the unit's returned files of ``year`` (each with its 错误说明) from 退回/ into 退回/已处理/, under names
    created exclusively (never over a file that is there), and record where they went; returns the new paths.

    Each move is made under the archive's write lock, from the row as it stands then, and only when the file at
    that name is still the row's own bytes: another process may have settled it a moment ago and a third one
    reserved the freed name (an empty placeholder) or put another returned file there. Returns whose claim is
    not yet released are left alone (their file may still be a placeholder). A file that cannot be moved stays
    where it is, with a warning in the log: the accepted form is not undone."""
    with store.read() as conn:
        rejected = subs.rejected_of(conn, kind, unit, year)
    if not rejected:  # the common case, the unit's form taken at its first sending: one query, and done
        return []
    store.flush()  # a batch's claims (a return among them) let go first: each return moved as its row stands now
    returned = ws.relative(ws.rejected)
    ids = [r["id"] for r in rejected if Path(r["stored_as"]).parent.as_posix() == returned]
    moved = []
    for submission_id in ids:
        try:
            with store.begin() as conn:
                row = subs.get(conn, submission_id)
                if _taken_back(ws, row, returned, claims_dir):
                    _settle_taken_back(ws, store, conn, row)
                    continue
                if not _still_returned(ws, row, returned, claims_dir):
                    continue
                try:
                    new, note = _move(ws.root / row["stored_as"], ws.rejected / SETTLED)
                except OSError as exc:
                    log.warning("退回文件 %s 未能移到 %s/%s：%s", row["stored_as"], returned, SETTLED,
                                from_os_error(exc))
                    continue
                stored_as = ws.relative(new)
                subs.move_stored(conn, row["id"], stored_as)
                manifest.move(conn, row["stored_as"], stored_as)  # docs/product.md §12.1
                if note is not None:
                    manifest.move(conn, row["stored_as"] + EXPLANATION, ws.relative(note))
                store.log(conn, "settled", row["original_name"], before={"stored_as": row["stored_as"]},
                          after={"stored_as": stored_as})
        finally:  # each move committed as it is made (a run's batch would commit it later: Store.batch)
            store.flush()
        moved.append(stored_as)
    return moved


def _in_returned(row, returned: str, claims_dir: Path) -> bool:
    """Does the row (as it stands under the write lock) keep its file in 退回/, its claim released?"""
    if row is None or not row["stored_as"] or Path(row["stored_as"]).parent.as_posix() != returned:
        return False
    return not (row["claim"] and (claims_dir / row["claim"]).exists())


def _taken_back(ws: Workspace, row, returned: str, claims_dir: Path) -> bool:
    """Is the row's file gone from 退回/ (nothing at its name)?"""
    return _in_returned(row, returned, claims_dir) and not os.path.lexists(ws.root / row["stored_as"])


def _settle_taken_back(ws: Workspace, store: Store, conn: Connection, row) -> None:
    """The unit took its returned file out of 退回/ and sent its form again, now accepted: the submission no longer
    keeps a file, its manifest row goes (the event keeps its place and SHA-256), its 错误说明 moves on — or, taken
    along with the file, its row goes too (the event keeps its SHA-256)."""
    subs.move_stored(conn, row["id"], None)
    manifest.forget(conn, row["stored_as"])
    note = ws.root / f"{row['stored_as']}{EXPLANATION}"
    before = {"stored_as": row["stored_as"], "sha256": row["sha256"]}
    after: dict = {"stored_as": None}
    explained = manifest.recorded(conn, row["stored_as"] + EXPLANATION)
    if explained is not None and not os.path.lexists(note):
        manifest.forget(conn, row["stored_as"] + EXPLANATION)
        before["explanation"] = {"stored_as": explained["path"], "sha256": explained["sha256"]}
        after["explanation"] = None
    elif note.is_file():
        try:
            stem = f"{Path(row['stored_as']).name}.错误说明"
            dest = move_without_replacing(note, ws.rejected / SETTLED, stem, ".txt")
        except OSError as exc:
            log.warning("错误说明 %s 未能移到 %s：%s", ws.relative(note), SETTLED, describe_os_error(exc))
        else:
            manifest.move(conn, row["stored_as"] + EXPLANATION, ws.relative(dest))
            after["explanation"] = ws.relative(dest)
    store.log(conn, "taken_back", row["original_name"], before=before, after=after)


def _still_returned(ws: Workspace, row, returned: str, claims_dir: Path) -> bool:
    """Is the row's file still in 退回/, its claim released, and the file there its own bytes?"""
    if not _in_returned(row, returned, claims_dir):
        return False
    path = ws.root / row["stored_as"]
    try:
        with open_regular(path) as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest() == row["sha256"]
    except (OSError, NotRegularFile):
        return False


def _move(path: Path, folder: Path) -> tuple[Path, Path | None]:
    """``path`` and its 错误说明 into ``folder``, never replacing anything; (where each went, None: no 错误说明)."""
    stem, suffix = (path.stem, path.suffix) if path.suffix else (path.name, "")
    dest = move_without_replacing(path, folder, stem, suffix)
    note = Path(f"{path}{EXPLANATION}")
    if not note.is_file():
        return dest, None
    try:
        rename_no_replace(note, Path(f"{dest}{EXPLANATION}"))
    except FileExistsError:
        return dest, move_without_replacing(note, folder, f"{dest.name}.错误说明", ".txt")
    return dest, Path(f"{dest}{EXPLANATION}")

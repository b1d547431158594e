"""Returned files settled: once a unit's corrected form is accepted, its earlier 退回/ files move to 退回/已处理/."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from lzdocs.fsutil import NotRegularFile, move_without_replacing, open_regular, rename_no_replace
from lzdocs.store import files as manifest
from lzdocs.store import submissions as subs

log = logging.getLogger("lzdocs.ingest")

SETTLED = "已处理"
EXPLANATION = ".错误说明.txt"


def settle_returned(ws, store, kind: str, unit: str, year: int, claims_dir: Path) -> list[str]:
    """Move the unit's returned files of ``year`` (each with its 错误说明) from 退回/ into 退回/已处理/, under names
    created exclusively (never over a file that is there), and record where they went; returns the new paths.

    Each move is made under the archive's write lock, from the row as it stands then, and only when the file at
    that name is still the row's own bytes: another process may have settled it a moment ago and a third one
    reserved the freed name (an empty placeholder) or put another returned file there. Returns whose claim is
    not yet released are left alone (their file may still be a placeholder). A file that cannot be moved stays
    where it is, with a warning in the log: the accepted form is not undone."""
    returned = ws.relative(ws.rejected)
    with store.read() as conn:
        ids = [r["id"] for r in subs.rejected_of(conn, kind, unit, year)
               if Path(r["stored_as"]).parent.as_posix() == returned]
    moved = []
    for submission_id in ids:
        with store.begin() as conn:
            row = subs.get(conn, submission_id)
            if not _still_returned(ws, row, returned, claims_dir):
                continue
            try:
                new, note = _move(ws.root / row["stored_as"], ws.rejected / SETTLED)
            except OSError as exc:
                log.warning("退回文件 %s 未能移到 %s/%s：%s", row["stored_as"], returned, SETTLED, exc)
                continue
            stored_as = ws.relative(new)
            subs.move_stored(conn, row["id"], stored_as)
            manifest.move(conn, row["stored_as"], stored_as)  # docs/product.md §12.1
            if note is not None:
                manifest.move(conn, row["stored_as"] + EXPLANATION, ws.relative(note))
            store.log(conn, "settled", row["original_name"], before={"stored_as": row["stored_as"]},
                      after={"stored_as": stored_as})
        moved.append(stored_as)
    return moved


def _still_returned(ws, row, returned: str, claims_dir: Path) -> bool:
    """Is the row's file still in 退回/, its claim released, and the file there its own bytes?"""
    if row is None or not row["stored_as"] or Path(row["stored_as"]).parent.as_posix() != returned:
        return False
    if row["claim"] and (claims_dir / row["claim"]).exists():
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

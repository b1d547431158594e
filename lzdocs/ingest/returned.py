"""Returned files settled: once a unit's corrected form is accepted, its earlier 退回/ files move to 退回/已处理/."""

from __future__ import annotations

import logging
from pathlib import Path

from lzdocs.fsutil import move_without_replacing, rename_no_replace
from lzdocs.store import submissions as subs

log = logging.getLogger("lzdocs.ingest")

SETTLED = "已处理"
EXPLANATION = ".错误说明.txt"


def settle_returned(ws, store, kind: str, unit: str, year: int, claims_dir: Path) -> list[str]:
    """Move the unit's returned files of ``year`` (each with its 错误说明) from 退回/ into 退回/已处理/, under names
    created exclusively (never over a file that is there), and record where they went; returns the new paths.

    Only returns whose claim is released are moved: another process may be putting one in place right now (its
    name reserved empty, the 错误说明 not yet written). A file that cannot be moved stays where it is, with a
    warning in the log: the accepted form is not undone."""
    returned = ws.relative(ws.rejected)
    with store.read() as conn:
        rows = [r for r in subs.rejected_of(conn, kind, unit, year)
                if Path(r["stored_as"]).parent.as_posix() == returned
                and not (r["claim"] and (claims_dir / r["claim"]).exists())]
    moved = []
    for row in rows:
        try:
            new = _move(ws.root / row["stored_as"], ws.rejected / SETTLED)
        except OSError as exc:
            log.warning("退回文件 %s 未能移到 %s/%s：%s", row["stored_as"], returned, SETTLED, exc)
            continue
        if new is None:
            continue
        stored_as = ws.relative(new)
        with store.begin() as conn:
            subs.move_stored(conn, row["id"], stored_as)
            store.log(conn, "settled", row["original_name"], before={"stored_as": row["stored_as"]},
                      after={"stored_as": stored_as})
        moved.append(stored_as)
    return moved


def _move(path: Path, folder: Path) -> Path | None:
    """``path`` and its 错误说明 into ``folder``, never replacing anything; None when the file is no longer there."""
    if not path.is_file():
        return None
    stem, suffix = (path.stem, path.suffix) if path.suffix else (path.name, "")
    dest = move_without_replacing(path, folder, stem, suffix)
    note = Path(f"{path}{EXPLANATION}")
    if note.is_file():
        try:
            rename_no_replace(note, Path(f"{dest}{EXPLANATION}"))
        except FileExistsError:
            move_without_replacing(note, folder, f"{dest.name}.错误说明", ".txt")
    return dest

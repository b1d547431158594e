"""Registers put in place but not yet recorded: the journal that tells lzdocs's own interrupted rewrite from an edit.

A rewrite of the registers writes each book to a temporary file and renames it over the old one, then records every
file it replaced in the manifest in one transaction (documents/registers.py ``write_registers``). A process killed in
between (a power cut, a PC shut down under ``lzdocs watch``) left a register that nothing recorded: the next rewrite
took it for the clerk's edit and kept it aside as 手工修改稿, and ``verify`` said the archive may have been tampered
with. So before each rename the new file's SHA-256 is noted here, durably (``note``); once the files are recorded the
journal goes (``clear``). A journal found by the next rewrite — which holds the registers' writer lock, so no rewrite
is under way — is what a killed one left: each file there that is still what was noted is recorded now (``finish``),
as that rewrite would have done; a file changed since (the clerk's edit) is not, and is kept aside as before. One
line per file, appended, so that the helper process writing the 公示表 notes its own (register_helper.py)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from lzdocs.fsutil import sha256_file

if TYPE_CHECKING:
    from lzdocs.store import Store
    from lzdocs.workspace import Workspace

log = logging.getLogger(__name__)

JOURNAL = "registers-placing.jsonl"  # in the workspace's work folder (.lzdocs)
_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)


def journal_of(ws: Workspace) -> Path:
    return ws.state / JOURNAL


def note(journal: str | Path, relative: str, role: str, tmp: Path) -> None:
    """Before ``tmp`` is renamed onto the file at ``relative`` (recorded as ``role``): its SHA-256, noted durably. One
    write of one line: appends from two processes (the helper's 公示表) never mix."""
    line = json.dumps({"path": relative, "role": role, "sha256": sha256_file(tmp)}) + "\n"
    fd = os.open(journal, _FLAGS, 0o644)
    try:
        os.write(fd, line.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


def noted(journal: Path) -> list[dict]:
    """The files a journal noted (a line cut short by a kill, or not ours, left out); none when there is none."""
    try:
        text = journal.read_bytes().decode("ascii", "replace")
    except FileNotFoundError:
        return []
    found = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in ("path", "role", "sha256")):
            found.append(entry)
    return found


def ours(ws: Workspace, entries: list[dict]) -> dict[str, str]:
    """Of the files ``entries`` noted, those still as noted (path relative to the workspace → role)."""
    found = {}
    for entry in entries:
        try:
            if sha256_file(ws.root / entry["path"]) == entry["sha256"]:
                found[entry["path"]] = entry["role"]
        except OSError:  # gone, or no file: nothing of ours to record
            continue
    return found


def finish(ws: Workspace, store: Store) -> list[str]:
    """What a rewrite killed before its record left (its journal, found with the writer lock held): each file still
    as noted recorded, as that rewrite would have done; then the journal goes. Returns the paths recorded."""
    from lzdocs.integrity.manifest import record_written

    journal = journal_of(ws)
    entries = noted(journal)
    if not entries and not journal.exists():
        return []
    found = ours(ws, entries)
    if found:
        record_written(store, ws.relative, [(ws.root / path, role) for path, role in found.items()])
        log.info("上次重建登记簿时中断，已补记：%s", "、".join(found))
    clear(journal)
    return list(found)


def clear(journal: Path) -> None:
    journal.unlink(missing_ok=True)

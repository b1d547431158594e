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
import stat
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from lzdocs.errors import describe_os_error
from lzdocs.fsutil import sha256_file
from lzdocs.store.kept import YEAR_FOLDER

if TYPE_CHECKING:
    from lzdocs.store import Store
    from lzdocs.workspace import Workspace

log = logging.getLogger(__name__)

JOURNAL = "registers-placing.jsonl"  # in the workspace's work folder (.lzdocs)
_NEVER_FOLLOWED = getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NEVER_FOLLOWED
_READ = os.O_RDONLY | _NEVER_FOLLOWED
_MOST = 1 << 20  # bytes of a journal read: a rewrite notes five lines


def journal_of(ws: Workspace) -> Path:
    return ws.state / JOURNAL


def note(journal: str | Path, relative: str, role: str, tmp: Path) -> None:
    """Before ``tmp`` is renamed onto the file at ``relative`` (recorded as ``role``): its SHA-256, noted durably. One
    write of one line: appends from two processes (the helper's 公示表) never mix. A journal that cannot be written
    (something else at its name: a folder, a link, a FIFO) costs only this protection, never the register."""
    line = json.dumps({"path": relative, "role": role, "sha256": sha256_file(tmp)}) + "\n"
    try:
        fd = os.open(journal, _FLAGS, 0o644)
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                os.write(fd, line.encode("ascii"))
                os.fsync(fd)
                return
        finally:
            os.close(fd)
        said = "这个名字被别的东西（文件夹、管道等）占用"
    except OSError as exc:
        said = describe_os_error(exc)
    log.warning("未能记下登记簿的写入（%s：%s）；请把它改名或移走", journal, said)


def noted(journal: Path) -> list[dict]:
    """The files a journal noted (a line cut short by a kill, or not ours, left out); none when there is none — or
    when something else is at its name (never followed, never waited on)."""
    try:
        fd = os.open(journal, _READ)
    except FileNotFoundError:
        return []
    except OSError as exc:
        log.warning("未能读取登记簿的写入记录（%s）：%s", journal, describe_os_error(exc))
        return []
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return []
        with os.fdopen(fd, "rb", closefd=False) as fh:
            text = fh.read(_MOST).decode("ascii", "replace")
    finally:
        os.close(fd)
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
    """Of the files ``entries`` noted, those still as noted (path relative to the workspace → role) — a register or
    公示表 of a year, in its role, and nothing else: a line written into the journal by hand never makes a form or a
    letter changed since it was archived pass for lzdocs's own work."""
    found = {}
    for entry in entries:
        if _role_of(ws, entry["path"]) != entry["role"]:
            continue
        try:
            if sha256_file(ws.root / entry["path"]) == entry["sha256"]:
                found[entry["path"]] = entry["role"]
        except OSError:  # gone, or no file: nothing of ours to record
            continue
    return found


def _role_of(ws: Workspace, path: str) -> str | None:
    """"register" or "publicity" when ``path`` (relative to the workspace) is a register or the 公示表 of its year."""
    from lzdocs.documents.registers import register_paths

    parts = PurePosixPath(path).parts
    if len(parts) < 3 or parts[0] != "outbox" or not YEAR_FOLDER.fullmatch(parts[1]):
        return None
    for key, book in register_paths(ws, int(parts[1])).items():
        if ws.relative(book) == path:
            return "publicity" if key == "publicity" else "register"
    return None


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
    """The journal gone once what it noted is recorded (a folder or anything else at its name left alone)."""
    try:
        if stat.S_ISREG(os.lstat(journal).st_mode):
            journal.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("未能删除登记簿的写入记录（%s）：%s", journal, describe_os_error(exc))

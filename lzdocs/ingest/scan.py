"""Which files in a folder are candidates: Office lock/temp files, system files and our own folders are never
touched."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

from lzdocs.fsutil import CLOCK_PROBE, kind_of
from lzdocs.ingest.claims import OWNER
from lzdocs.workspace import WORK_DIR

IGNORED_NAMES = ("~$*", ".~lock.*#", "*.tmp", "~*.tmp", "Thumbs.db", "desktop.ini", ".DS_Store", "._*",
                 "*.错误说明.txt", "*.part", "*.crdownload", "*.partial")
OWN_FOLDERS = {"退回", ".lzdocs"}


def is_ignored(name: str) -> bool:
    """Lock files of Word/WPS/LibreOffice, temp files, OS litter and hidden files."""
    if name.startswith("."):
        return True
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern.lower()) for pattern in IGNORED_NAMES)


NOT_REGULAR = {"symlink": "已忽略：符号链接，不会读取", "fifo": "已忽略：管道文件（FIFO），不会读取",
               "device": "已忽略：设备文件，不会读取", "socket": "已忽略：套接字文件，不会读取",
               "directory": "已忽略：这是文件夹，不是文件", "other": "已忽略：不是普通文件，不会读取"}


def walk(folder: Path, *, skip_own: bool = True) -> tuple[list[Path], list[tuple[Path, str | None]]]:
    """(candidates, ignored) below ``folder``, oldest first; our own folders and hidden folders are skipped.

    Each ignored entry comes with the reason shown to the clerk: None for lock, temp and system files (expected
    litter), a NOT_REGULAR text for a symlink, FIFO or device (never followed, never read)."""
    candidates: list[tuple[float, str, Path]] = []
    ignored: list[tuple[Path, str | None]] = []
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except FileNotFoundError:
            continue
        for entry in entries:
            try:
                _visit(entry, candidates, ignored, stack, skip_own)
            except FileNotFoundError:
                continue  # gone while we looked
    candidates.sort()
    return [p for _, _, p in candidates], ignored


def _visit(entry: os.DirEntry, candidates: list, ignored: list, stack: list, skip_own: bool) -> None:
    path = Path(entry.path)
    if entry.is_dir(follow_symlinks=False):
        if not (entry.name.startswith(".") or (skip_own and entry.name in OWN_FOLDERS) or an_inbox(path)):
            stack.append(path)
    elif entry.name.startswith(CLOCK_PROBE):  # another lzdocs reading the share's clock: gone in a moment, not litter
        return
    elif is_ignored(entry.name):
        ignored.append((path, None))
    elif entry.is_file(follow_symlinks=False):
        candidates.append((entry.stat(follow_symlinks=False).st_mtime, entry.name, path))
    else:
        ignored.append((path, NOT_REGULAR[kind_of(entry.stat(follow_symlinks=False).st_mode)]))


def an_inbox(folder: Path) -> bool:
    """A folder that is an inbox of its own — an archive has recorded itself in it (claims.bind_inbox): another
    archive's inbox set inside this one (a campus's under the school's) holds that archive's forms, never ours."""
    return os.path.lexists(folder / WORK_DIR / OWNER)

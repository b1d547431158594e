"""Which files in a folder are candidates: Office lock/temp files, system files and our own folders are never touched."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

IGNORED_NAMES = ("~$*", ".~lock.*#", "*.tmp", "~*.tmp", "Thumbs.db", "desktop.ini", ".DS_Store", "._*",
                 "*.错误说明.txt", "*.part", "*.crdownload", "*.partial")
OWN_FOLDERS = {"退回", ".lzdocs"}


def is_ignored(name: str) -> bool:
    """Lock files of Word/WPS/LibreOffice, temp files, OS litter and hidden files."""
    if name.startswith("."):
        return True
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern.lower()) for pattern in IGNORED_NAMES)


def walk(folder: Path, *, skip_own: bool = True) -> tuple[list[Path], list[Path]]:
    """(candidates, ignored) below ``folder``, oldest first; our own folders and hidden folders are skipped."""
    candidates: list[tuple[float, str, Path]] = []
    ignored: list[Path] = []
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name.startswith(".") or (skip_own and entry.name in OWN_FOLDERS):
                    continue
                stack.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                path = Path(entry.path)
                if is_ignored(entry.name):
                    ignored.append(path)
                else:
                    candidates.append((entry.stat().st_mtime, entry.name, path))
    candidates.sort()
    return [p for _, _, p in candidates], ignored

"""File-system steps that must not lose data: unique names, fsync, atomic writes, hashing."""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path


def unique_path(folder: Path, stem: str, suffix: str) -> Path:
    """``folder/stem+suffix``, or ``stem_01``, ``stem_02`` … when taken; never an existing file."""
    candidate = folder / f"{stem}{suffix}"
    n = 0
    while candidate.exists():
        n += 1
        candidate = folder / f"{stem}_{n:02d}{suffix}"
    return candidate


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    except OSError:  # some network file systems refuse fsync on read-only handles
        with open(path, "rb+") as fh:
            os.fsync(fh.fileno())
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename durable; a no-op where directories cannot be opened (Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def copy_durably(src: Path, dest: Path) -> str:
    """Copy ``src`` to ``dest`` (which must not exist), fsync it, and return the SHA-256 of what was written."""
    digest = hashlib.sha256()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(src, "rb") as fin, open(dest, "xb") as fout:
        for chunk in iter(lambda: fin.read(1 << 20), b""):
            digest.update(chunk)
            fout.write(chunk)
        fout.flush()
        os.fsync(fout.fileno())
    return digest.hexdigest()


@contextmanager
def atomic_output(path: Path, *, durable: bool = True):
    """A file handle whose content appears at ``path`` whole or not at all (temp file beside it, then rename).

    The temp file is ``.<stem>.<random>.part<suffix>``; ``durable`` fsyncs the file and the folder too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.part{path.suffix}")
    try:
        with open(tmp, "xb") as fh:
            yield fh
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    if durable:
        fsync_dir(path.parent)


def write_atomic(path: Path, data: bytes | str, *, encoding: str = "utf-8", durable: bool = True) -> None:
    """Write a file whole or not at all; ``durable`` also survives a power cut (fsync)."""
    with atomic_output(path, durable=durable) as fh:
        fh.write(data.encode(encoding) if isinstance(data, str) else data)


def file_system_now(folder: Path) -> float | None:
    """The time the file system of ``folder`` stamps on a file made there now; None if none can be made.

    A share stamps files with the file server's clock, which may be minutes or hours (or, on a moved test
    clock, years) away from this machine's: a file's age is this minus its mtime, both from that one clock.
    """
    try:
        fd, name = tempfile.mkstemp(prefix=".lzdocs-clock-", suffix=".tmp", dir=folder)
    except OSError:
        return None
    try:
        return os.fstat(fd).st_mtime
    finally:
        os.close(fd)
        try:
            os.unlink(name)
        except OSError:
            pass


def stale_files(paths: Iterable[Path], older_than: float) -> list[Path]:
    """Those of ``paths`` not modified for ``older_than`` seconds by the clock of their own file system.

    Never the local clock: a file written a moment ago on a server whose clock is behind would look old. A
    file dated after the probe (another clock ahead) counts as fresh; vanished files are left out.
    """
    by_folder: dict[Path, list[Path]] = {}
    for path in paths:
        by_folder.setdefault(path.parent, []).append(path)
    stale = []
    for folder, files in by_folder.items():
        now = file_system_now(folder)
        if now is None:
            continue
        for path in files:
            try:
                if now - path.stat().st_mtime > older_than:
                    stale.append(path)
            except OSError:
                continue
    return stale

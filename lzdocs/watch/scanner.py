"""Looking at the inbox cheaply: os.scandir listings with (size, mtime_ns) per file, single stats, whole-file checks."""

from __future__ import annotations

import errno
import functools
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lzdocs.errors import describe_os_error
from lzdocs.fsutil import kind_of
from lzdocs.ingest.scan import NOT_REGULAR, OWN_FOLDERS, an_inbox, is_ignored
from lzdocs.watch.tracker import Sig

_ignored = functools.lru_cache(maxsize=1 << 16)(is_ignored)  # names repeat at every pass; the patterns cost more

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
OFFICE_SUFFIXES = {".docx", ".xlsx", ".docm", ".xlsm", ".doc", ".xls", ".wps", ".et"}

class ShareUnavailable(Exception):
    """The inbox folder itself cannot be listed: an outage, never a sign that its files were deleted."""

    def __init__(self, error: OSError):
        super().__init__(describe_os_error(error))
        self.error = error


@dataclass
class Listing:
    """What one pass over the tree saw: candidate files and the folders (or files) that could not be read."""

    files: dict[str, Sig] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)
    special: dict[str, str] = field(default_factory=dict)  # symlinks, FIFOs, devices: never read; path → why


def scan(root: Path) -> Listing:
    """Every candidate file below ``root`` with its (size, mtime_ns); raises ShareUnavailable if ``root`` fails."""
    listing = Listing()
    top = os.fspath(root)
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    _visit(entry, listing, stack)
        except OSError as exc:
            if folder == top:
                raise ShareUnavailable(exc) from exc
            if not isinstance(exc, FileNotFoundError):  # a vanished subfolder is simply gone
                listing.unreadable.append(folder)
    return listing


def _visit(entry: os.DirEntry, listing: Listing, stack: list[str]) -> None:
    try:
        if entry.is_dir(follow_symlinks=False):
            if not (entry.name.startswith(".") or entry.name in OWN_FOLDERS or an_inbox(Path(entry.path))):
                stack.append(entry.path)
        elif _ignored(entry.name):
            pass
        elif entry.is_file(follow_symlinks=False):
            st = entry.stat(follow_symlinks=False)
            listing.files[entry.path] = (st.st_size, st.st_mtime_ns)
        else:
            listing.special[entry.path] = NOT_REGULAR[kind_of(entry.stat(follow_symlinks=False).st_mode)]
    except FileNotFoundError:
        pass  # went away while we looked
    except OSError:
        listing.unreadable.append(entry.path)


def stat_sig(path: str) -> Sig | None:
    """(size, mtime_ns) of one file, None when it is not there; other errors propagate."""
    try:
        st = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return None
    return st.st_size, st.st_mtime_ns


def root_identity(root: Path) -> tuple[int, int]:
    """(device, inode) of the inbox folder: a different pair means the folder was replaced. Raises OSError."""
    st = os.stat(root)
    if not os.path.isdir(root):
        raise NotADirectoryError(errno.ENOTDIR, "不是文件夹", os.fspath(root))
    return st.st_dev, st.st_ino


def is_complete(path: str) -> bool:
    """Does the file open as a whole file? A zip's central directory must read, an OLE file's header and FAT
    must fit in the file; other content only has to be there (ingest does the real check)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
            if head.startswith((ZIP_MAGIC, b"PK\x05\x06")):
                return _zip_complete(fh)
    except OSError:
        return False
    if head.startswith(OLE_MAGIC):
        return _ole_complete(path)
    if not head:
        return False  # created, nothing written yet
    # False for space reserved by a copy that has not written its bytes yet
    return not (Path(path).suffix.lower() in OFFICE_SUFFIXES and not head.strip(b"\0"))


def _zip_complete(fh) -> bool:
    try:
        with zipfile.ZipFile(fh) as zf:  # reads the end record and the whole central directory
            return bool(zf.infolist())
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, OSError):
        return False


def _ole_complete(path: str) -> bool:
    """Header, FAT and directory read, the file is whole sectors, and no sector chain points past its end.
    (A writer that leaves a partial last sector only costs the wait of ``incomplete_timeout``.)"""
    import olefile

    try:
        ole = olefile.OleFileIO(path)
    except Exception:  # olefile raises its own errors and OSError/struct.error for cut files
        return False
    try:
        if os.path.getsize(path) % ole.sectorsize:
            return False
        return all(v >= olefile.MAXREGSECT or v < ole.nb_sect for v in ole.fat)
    finally:
        ole.close()

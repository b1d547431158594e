"""File-system steps that must not lose data: names reserved atomically, fsync, atomic writes, hashing."""

from __future__ import annotations

import errno
import functools
import hashlib
import itertools
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable, Container, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from lzdocs import interrupts
from lzdocs.textutil import CONTROL_CHARACTERS

NAME_MAX = 255  # bytes of one path component where the file system does not say (and the most we ever use)
TEMP_ROOM = 16  # bytes a temp file beside a name adds to it: ``.{stem}.{8 hex}.part{suffix}`` (atomic_output)
_O_BINARY = getattr(os, "O_BINARY", 0)


class HeldLock:
    """An exclusive lock on a file, the operating system's own (gone when the process dies): the lock filelock's
    FileLock takes — flock, or msvcrt's on the first byte on Windows — so each excludes the other, without its
    machinery (singletons, fork and thread bookkeeping), which costs ten times the lock itself on the path every
    form takes: a claim's lock (lzdocs/ingest/claims.py)."""

    def __init__(self, fd: int):
        self.fd: int | None = fd

    @classmethod
    def take(cls, path: Path) -> HeldLock | None:
        """The lock on ``path`` (made if missing), or None at once when another process holds it — or held it, and
        took the file away from ``path`` before letting it go (``remove_locked_folder``): a lock on a file opened
        before it went would be one nobody else can see. Never through a link: a ``path`` that is one (planted in a
        shared folder) raises, and nothing is made where it points; FileNotFoundError when its folder is gone.
        A lock file being removed while its lock is held, on an SMB share, may refuse to open (Linux's CIFS client
        says EBUSY for Windows' "delete pending"): taken by another, as it is."""
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | _O_BINARY | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError as exc:
            if exc.errno == errno.EBUSY:
                return None
            raise
        return cls.on_opened(fd, path)

    @classmethod
    def on_opened(cls, fd: int, path: Path) -> HeldLock | None:
        """``take``'s lock on the file ``fd``, opened at ``path`` (closed when not taken)."""
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if isinstance(exc, BlockingIOError) or exc.errno in (errno.EACCES, errno.EDEADLK):
                return None
            raise
        lock = cls(fd)
        if not lock.is_at(path):
            lock.release()
            return None
        return lock

    def is_at(self, path: Path) -> bool:
        """The file locked is the one at ``path`` still (see ``take``)."""
        return self.fd is not None and _is_file_at(self.fd, path)

    def release(self) -> None:
        fd, self.fd = self.fd, None
        if fd is None:
            return
        try:
            if sys.platform == "win32":
                import msvcrt

                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
# what os.link raises where a file system (some network shares) has no hard links
NO_LINKS = (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EACCES,
             errno.EINVAL)


def unique_path(folder: Path, stem: str, suffix: str) -> Path:
    """``folder/stem+suffix``, or ``stem_01``, ``stem_02`` … when taken; never an existing file, nor a link (one
    that points nowhere is the user's all the same: a rename onto the name would replace it).

    Only for files that a single process writes (blank forms, PDFs of its own letters): between this check and
    the write another process may take the name. Files many processes write into one folder use
    :func:`reserve_name`."""
    candidate = folder / f"{stem}{suffix}"
    n = 0
    while os.path.lexists(candidate):
        n += 1
        candidate = folder / f"{stem}_{n:02d}{suffix}"
    return candidate


def keep_inside(root: Path, folder: Path) -> None:
    """Refuse to keep a file of the archive in ``folder`` — a folder of the workspace ``root`` by its name — when a
    link (a symbolic link, a junction) on the way takes it out of the workspace: recorded there, it would be a path
    outside the workspace, which backup leaves out and a restored workspace's verify looks for on the old disk. A
    folder outside the workspace by name (an inbox elsewhere, its 退回/) is not asked about."""
    try:
        inside = Path(os.path.abspath(folder)).relative_to(root)
    except ValueError:
        return
    for here in links_on_the_way(root, inside.parts):
        target = Path(os.path.realpath(here))
        if not target.is_relative_to(os.path.realpath(root)):
            from lzdocs.errors import FileAccessError

            raise FileAccessError(f"“{here}”是快捷方式（符号链接），指向工作区以外的“{target}”："
                                  "档案的文件只放在工作区里（备份、检查、归档都只管工作区）", path=str(here),
                                  hint="请把它换成普通文件夹（把里面的文件移进来），再重试")


def links_on_the_way(root: Path, parts: Iterable[str]) -> Iterator[Path]:
    """Each of ``root/parts[0]``, ``root/parts[0]/parts[1]`` … that is a link (a symbolic link; a junction on Windows):
    what ``resolve`` would follow, asked of the parts below ``root`` only (``Path.resolve`` walks every folder from
    the drive down, in Python)."""
    here = str(root)
    for part in parts:
        here = os.path.join(here, part)
        if os.path.islink(here) or (sys.platform == "win32" and _is_junction(here)):
            yield Path(here)


def _is_junction(path: Path) -> bool:
    return bool(getattr(os.path, "isjunction", lambda p: False)(path))


def name_max(folder: Path) -> int:
    """The longest file name (in bytes) ``folder`` allows, at most 255."""
    try:
        return min(NAME_MAX, os.pathconf(folder, "PC_NAME_MAX"))
    except (AttributeError, OSError, ValueError):  # Windows; a folder that does not say
        return NAME_MAX


def fit_name(stem: str, tail: str, max_bytes: int) -> str:
    """``stem + tail`` within ``max_bytes`` of UTF-8: the stem is cut at a character boundary, the tail kept. A name
    that is not UTF-8 (lone surrogates: its bytes as the file system has them) is measured in those bytes."""
    room = max_bytes - len(tail.encode("utf-8", "surrogateescape"))
    raw = stem.encode("utf-8", "surrogateescape")
    if len(raw) > room:
        stem = raw[:max(room, 0)].decode("utf-8", "ignore").rstrip(" .") or "_"
    return stem + tail


def candidate_names(stem: str, suffix: str, max_bytes: int) -> Iterator[str]:
    """``stem+suffix``, ``stem_01+suffix``, ``stem_02+suffix`` … each within ``max_bytes``."""
    for n in itertools.count():
        yield fit_name(stem, (f"_{n:02d}" if n else "") + suffix, max_bytes)


def reserve_name(folder: Path, stem: str, suffix: str, *, companions: tuple[str, ...] = (),
                 marker: Path | None = None) -> Path:
    """Create ``folder/stem+suffix`` (or ``stem_01`` …) empty and exclusively, so no other process can take it;
    ``companions`` are suffixes of files reserved with it (``name + companion``), e.g. its ``.错误说明.txt``.

    The name is shortened (in bytes, keeping ``suffix``) so that it, its companions and their temp files fit
    the file system's limit. The owner later replaces the empty file with the real content (``os.replace``).

    ``marker``: an empty file of ours, recorded before it was made; each name is then a hard link to it, so a
    process killed before it could record the names leaves placeholders that are provably its own (the marker's
    inode: :func:`remove_marked`). Where hard links are not supported, plain empty files."""
    folder.mkdir(parents=True, exist_ok=True)
    room = name_max(folder) - TEMP_ROOM - max((len(c.encode("utf-8")) for c in companions), default=0)
    for name in candidate_names(stem, suffix, room):
        taken: list[Path] = []
        try:
            for path in (folder / name, *(folder / f"{name}{c}" for c in companions)):
                _create_empty(path, marker)
                taken.append(path)
        except FileExistsError:
            for path in taken:  # ours, still empty
                path.unlink(missing_ok=True)
            continue
        return folder / name
    raise AssertionError("unreachable")


def _create_empty(path: Path, marker: Path | None = None) -> None:
    if marker is not None and sys.platform != "win32":
        try:
            os.link(marker, path, follow_symlinks=False)
            return
        except FileExistsError:
            raise
        except OSError as exc:
            if exc.errno not in NO_LINKS:
                raise
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o666))


def create_marker(path: Path, like: Path | None = None) -> None:
    """The empty marker file of :func:`reserve_name` (exclusive: a name nobody else uses); its folder made first if
    it is not there. ``like``: an empty file of ours whose inode the marker is to share (a hard link, no new file:
    :class:`Markers`); where it cannot be, a new empty file."""
    try:
        _create_empty(path, like)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            _create_empty(path, like)
        except FileNotFoundError:
            if like is None:
                raise
            _create_empty(path)  # ``like`` gone (its folder removed under us): a marker of its own


class Markers:
    """Markers for :func:`reserve_name` made without making a file: each a hard link to an empty file of ``folder``
    (a private folder of this process) that no marker or placeholder links any more.

    Making a file is the costly step of an ingest on a busy file system: ext4 without a journal looks at each inode
    that was freed in the last minutes before it hands one out again, and after a thousand forms taken and their
    claims released that takes most of a millisecond a file — as long as the rest of the file's taking. A marker
    only needs an inode no other name in the archive shares: the placeholders reserved with it
    (:func:`remove_marked`). An empty file of ours whose link count is back to one — its last claim's marker
    removed, its placeholders replaced by the kept copies — is such an inode again: the markers of one form after
    another take turns on a few of them, one more made only while every one is still linked (forms in a batch not
    yet committed). A process killed leaves them in its private folder, swept at the next start (``sweep_private``);
    the markers it left in the archive keep their inodes, and recovery finds each claim's placeholders by them as
    before."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.turns: deque[Path] = deque()  # the empty files made, the one used longest ago first

    def create(self, path: Path) -> None:
        """A marker at ``path`` (:func:`create_marker`), sharing the inode of a free empty file of ours if there is
        one."""
        create_marker(path, self._free())

    def _free(self) -> Path | None:
        if self.turns:
            oldest = self.turns[0]
            try:
                found = os.lstat(oldest)
            except OSError:
                found = None
            if found is None or not stat.S_ISREG(found.st_mode) or found.st_size:
                # gone, or written to — a placeholder written in place before it was replaced (an editor saving the
                # empty 错误说明 on the share): never a later claim's placeholders, which must start empty
                self.turns.popleft()
            elif found.st_nlink == 1:
                self.turns.rotate(-1)
                return oldest
        made = self.folder / f"marker-{uuid.uuid4().hex}"
        try:
            _create_empty(made)
        except OSError:
            return None
        self.turns.append(made)
        return made


def remove_marked(marker: Path) -> list[Path]:
    """Remove the empty placeholders that share ``marker``'s inode (reserved by a process that died before it
    recorded them), then the marker itself; returns the placeholders removed. (None under a path that is no folder:
    a file put where the folder goes.)"""
    try:
        st = os.lstat(marker)
    except (FileNotFoundError, NotADirectoryError):
        return []
    removed = []
    if st.st_nlink > 1:
        with os.scandir(marker.parent) as entries:
            for entry in entries:
                try:
                    other = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # renamed or removed by someone else meanwhile: none of ours
                    continue
                if (entry.name != marker.name and (other.st_ino, other.st_dev) == (st.st_ino, st.st_dev)
                        and other.st_size == 0):
                    try:
                        os.unlink(entry.path)
                    except FileNotFoundError:
                        continue
                    removed.append(Path(entry.path))
    marker.unlink(missing_ok=True)
    return removed


def move_without_replacing(src: Path, folder: Path, stem: str, suffix: str, *,
                           taken: Container[str] = ()) -> Path:
    """Move ``src`` into ``folder`` as ``stem+suffix`` or ``stem_01`` …, never over an existing file (the move
    is one step where hard links can be made: no empty placeholder appears, so a folder being watched never sees a
    half-made file; elsewhere see ``rename_no_replace``). A name that is already ``src`` itself — a move killed
    between its link and its unlink — is taken, not passed over for a second name of the same file. ``taken``: names
    passed over even with no file there (a record's, its file deleted since)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in candidate_names(stem, suffix, name_max(folder)):
        if name in taken:
            continue
        try:
            rename_no_replace(src, folder / name)
        except FileExistsError:
            if not _same_file(src, folder / name):
                continue
            os.unlink(src)
        return folder / name
    raise AssertionError("unreachable")


def _same_file(a: Path, b: Path) -> bool:
    """``a`` and ``b`` are two hard links of one file (never a link followed), as a move killed between its link and
    its unlink leaves them. Never on Windows, where the move makes no link, and never by an inode number of 0: some
    file systems give every file that one (WebDAV, sshfs-win, cloud drives), and two files would be taken for one."""
    if sys.platform == "win32":
        return False
    try:
        first, second = os.lstat(a), os.lstat(b)
    except OSError:
        return False
    return (stat.S_ISREG(first.st_mode) and first.st_ino != 0 and first.st_nlink >= 2 and second.st_nlink >= 2
            and (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino))


def place_new(folder: Path, stem: str, suffix: str, write: Callable[[Path], object]) -> Path:
    """A new file in ``folder`` named ``stem+suffix`` (or ``stem_01`` …), never over another: ``write(path)`` makes
    it whole under a hidden name beside (``.<32 hex>.part<suffix>``), then it is moved onto the first free name in one
    step — a process killed midway leaves no empty file under a real name (a reserved placeholder would stay, and be
    taken for the file), only its hidden file, removed by a later ``place_new`` there once it is 10 minutes old."""
    with hidden_file(folder, suffix) as partial:
        write(partial)
        return move_without_replacing(partial, folder, stem, suffix)


@contextmanager
def hidden_file(folder: Path, suffix: str) -> Iterator[Path]:
    """A hidden name in ``folder`` (``.<32 hex>.part<suffix>``) to write a new file under before it is moved onto its
    own name (``move_without_replacing``), removed when the block ends if it is still there; those of writers killed
    before, 10 minutes old, swept first (:func:`place_new`)."""
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_placings(folder, suffix)
    partial = folder / f".{uuid.uuid4().hex}.part{suffix}"
    try:
        yield partial
    finally:
        partial.unlink(missing_ok=True)


_PLACING = re.compile(r"\.[0-9a-f]{32}\.part\.\w+")  # the hidden name ``place_new`` writes under


def _remove_stale_placings(folder: Path, suffix: str, older_than: float = 600) -> None:
    """The hidden files of ``place_new`` runs killed in ``folder`` (not written to for ``older_than`` seconds by the
    folder's own clock, ``stale_files``: a running one's are younger), removed."""
    try:
        found = [folder / name for name in os.listdir(folder) if name.endswith(suffix) and _PLACING.fullmatch(name)]
    except OSError:
        return
    for path in stale_files(found, older_than):
        try:
            path.unlink()
        except OSError:  # gone meanwhile, or not ours to remove: left as it is
            pass


def rename_no_replace(src: Path, dest: Path) -> None:
    """Rename, failing with FileExistsError if ``dest`` exists: a hard link then unlink on POSIX (atomic), a
    plain rename on Windows (which never replaces). Where hard links cannot be made (a folder, FAT and exFAT disks,
    some network shares) a rename that never replaces (``_rename_exclusive``: Linux), else ``dest`` taken first,
    exclusively, and ``src`` renamed onto it (``_onto_reserved``).

    A process killed between the link and the unlink leaves ``src`` under both names, one file: the next
    ``move_without_replacing`` of it takes the name it already has."""
    if sys.platform == "win32":
        os.rename(src, dest)
        return
    try:
        os.link(src, dest, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in NO_LINKS:
            raise
        if not _rename_exclusive(src, dest):
            _onto_reserved(src, dest)
        return
    os.unlink(src)


def _rename_exclusive(src: Path, dest: Path) -> bool:
    """``src`` renamed to ``dest`` in one step that fails with FileExistsError rather than replace (Linux's
    ``renameat2`` with ``RENAME_NOREPLACE``, which FAT disks and SMB shares know): True when done, False where the
    system or the file system has no such step (then ``_onto_reserved``, whose kill window it closes)."""
    call = _renameat2()
    if call is None:
        return False
    import ctypes

    if call(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dest), _RENAME_NOREPLACE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(src), None, str(dest))


_AT_FDCWD, _RENAME_NOREPLACE = -100, 1


@functools.cache
def _renameat2():
    """libc's ``renameat2`` (Linux, glibc 2.28 and later), or None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        call = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    call.restype = ctypes.c_int
    return call


def _onto_reserved(src: Path, dest: Path) -> None:
    """``src`` renamed onto ``dest`` once ``dest`` is taken by an exclusive create (an empty file, or an empty folder
    for a folder; FileExistsError when another has it): two processes never end under one name, as a check before
    the rename would let them (the later replacing the earlier). A process killed between the two leaves the empty
    placeholder, after the work it names is done — where hard links can be made there is not even that."""
    folder = os.path.isdir(src) and not os.path.islink(src)
    if folder:
        os.mkdir(dest)
    else:
        _create_empty(Path(dest))
    try:
        os.rename(src, dest)  # onto its own placeholder (an empty folder is replaced by a folder too)
    except BaseException:
        (os.rmdir if folder else os.unlink)(dest)
        raise


class NotRegularFile(Exception):
    """The path is a symlink, FIFO, device, socket or folder: never read, never moved into the archive."""

    def __init__(self, path, kind: str):
        super().__init__(f"{path}: {kind}")
        self.kind = kind  # symlink | fifo | device | socket | directory | other


class DamagedRecord(ValueError):
    """A small JSON record of ours is there but is no record (not a regular file, not the JSON written there)."""


def record_text(value, indent: int | None = None) -> str:
    """A JSON record (:func:`read_record`, a backup's manifest) as UTF-8 text, or — holding a name that is not UTF-8
    (a folder whose name came from another system's bytes: lone surrogates) — ASCII with \\u escapes, which reads
    back as the same name."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, indent=indent)
    return text


def read_record(path: Path, key: str) -> dict | None:
    """A small JSON record written whole by lzdocs — an object holding the string ``key`` — or None when there is
    none. Opened once, without following a link or waiting on a FIFO; what is there but is no such record raises
    DamagedRecord, never taken for no record; a folder that cannot be read raises its OSError."""
    try:
        with open_regular(path) as fh:
            data = fh.read(65536)
    except FileNotFoundError:
        return None
    except NotRegularFile:
        raise DamagedRecord(path) from None
    try:
        found = json.loads(data.decode("utf-8"))
    except ValueError:
        raise DamagedRecord(path) from None
    if not (isinstance(found, dict) and isinstance(found.get(key), str)):
        raise DamagedRecord(path)
    return found


def kind_of(mode: int) -> str:
    """What a non-regular file is, from its ``st_mode``: a key of the reasons in ingest/scan.py."""
    for test, kind in ((stat.S_ISLNK, "symlink"), (stat.S_ISFIFO, "fifo"), (stat.S_ISCHR, "device"),
                       (stat.S_ISBLK, "device"), (stat.S_ISSOCK, "socket"), (stat.S_ISDIR, "directory")):
        if test(mode):
            return kind
    return "other"


def open_regular(path: Path, *, follow_symlinks: bool = False) -> BinaryIO:
    """Open a regular file for reading, once: a symlink (unless ``follow_symlinks``), FIFO or device is refused
    with NotRegularFile before anything is read (``O_NOFOLLOW``, ``O_NONBLOCK``, then ``fstat``)."""
    if not follow_symlinks:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):  # a device is not even opened (opening a tape rewinds it)
            raise NotRegularFile(path, kind_of(st.st_mode))
    flags = os.O_RDONLY | _O_BINARY | getattr(os, "O_NONBLOCK", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_symlinks:
            raise NotRegularFile(path, "symlink") from None
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise NotRegularFile(path, kind_of(st.st_mode))
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def display_name(name: str) -> str:
    """A file name fit to show, store and log: a name whose bytes are not UTF-8 (Linux gives them as surrogate
    escapes, e.g. GBK from a Windows zip) is decoded as GBK, else shown with ``\\xNN`` escapes."""
    if not is_undecodable(name):
        return name
    raw = os.fsencode(name)
    try:
        return raw.decode("gbk")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace")


def display_path(text: str) -> str:
    """:func:`display_name` for every part of a path, and a control character in it (ESC, a line break: a file name
    may hold them) as ``\\xNN``: printed as it is, it would move the cursor, clear the clerk's screen or split a line
    of the report and of the log in two."""
    if is_undecodable(text):
        text = re.sub(r"[^/\\]+", lambda m: display_name(m.group()), text)
    return CONTROL_CHARACTERS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)



def exact_name(text: str) -> str | None:
    """The bytes of a name (or path) shown otherwise than it is — not UTF-8, or with a control character — in base64,
    for a JSON reader to find the very file: its shown form (``display_path``) is a guess at its characters (as GBK)
    or escapes, and may be another file's name. None for a name shown as it is."""
    if not is_undecodable(text) and not CONTROL_CHARACTERS.search(text):
        return None
    import base64

    return base64.b64encode(os.fsencode(text)).decode("ascii")


def is_undecodable(name: str) -> bool:
    """Does ``name`` hold bytes that were not valid UTF-8 (lone surrogates)?"""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def same_file(a: str | Path, b: str | Path) -> bool:
    """``a`` and ``b`` are one file or folder (a link, a mount, another spelling); False when either is not there."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


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


def copy_durably(src: Path | BinaryIO, dest: Path, *, mode: int | None = None, sync: bool = True) -> str:
    """Copy ``src`` (a path, or an open file read from its start) to ``dest`` (which must not exist), fsync it,
    and return the SHA-256 of what was written. ``mode``: the copy's permissions (the original's, so that a file
    only its owner could read stays that way), never wider than the umask allows. ``sync=False``: the caller fsyncs
    it (``fsync_file``) before anything relies on it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(src, (str, os.PathLike)):
        with open(src, "rb") as fin:
            return copy_durably(fin, dest, mode=mode, sync=sync)
    src.seek(0)
    with open(dest, "xb") as fout:
        if mode is not None and hasattr(os, "fchmod"):
            os.fchmod(fout.fileno(), mode & os.fstat(fout.fileno()).st_mode)
        digest = copy_stream(src, fout)
        fout.flush()
        if sync:
            os.fsync(fout.fileno())
    return digest


def link_file(existing: Path, new: Path) -> bool:
    """A second name, ``new``, for the file ``existing`` (never following a link; ``new`` must not exist:
    FileExistsError, as an exclusive create). False where it cannot be made — another file system, no hard links
    there, ``existing`` gone — and the caller copies instead."""
    try:
        os.link(existing, new, follow_symlinks=False)
    except FileExistsError:
        raise
    except FileNotFoundError:
        return False
    except OSError as exc:
        if exc.errno in NO_LINKS:
            return False
        raise
    return True


PRIVATE_LOCK = "lock"  # held by the process a private folder is for (``private_folder``)


def private_folder(parent: Path, prefix: str) -> tuple[Path, HeldLock]:
    """A new folder under ``parent`` that only this user may enter, with its lock held while this process lives
    (``sweep_private`` removes it once it is not). A folder is locked just after it is made: one whose lock another
    process took meanwhile — sweeping it as left behind — is given up for a new one."""
    parent.mkdir(parents=True, exist_ok=True)
    if parent.is_symlink():  # someone's folder, not ours: the caller makes one elsewhere
        raise OSError(errno.ELOOP, "是符号链接", str(parent))
    for _ in range(10):
        folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        try:
            lock = HeldLock.take(folder / PRIVATE_LOCK)
        except FileNotFoundError:  # swept away already
            continue
        if lock is not None:  # else a sweeper holds it, or held it and took its file away: the folder goes
            return folder, lock
    raise OSError(errno.EBUSY, f"无法在 {parent} 中建立临时文件夹")


def _is_file_at(fd: int, path: Path) -> bool:
    """The open file ``fd`` is the one at ``path`` (not one removed from there)."""
    try:
        there = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (there.st_dev, there.st_ino)


def sweep_private(parent: Path, prefix: str) -> None:
    """Remove the private folders (``private_folder``) under ``parent`` that a killed process left: those whose lock
    nobody holds — never through a link (to someone's folder)."""
    try:
        if parent.is_symlink():
            return
        left = [f for f in parent.glob(f"{prefix}*") if f.is_dir() and not f.is_symlink()]
    except OSError:
        return
    for folder in left:
        remove_private(folder)


@contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A private folder in the system's temporary folder for one piece of work — a LibreOffice profile and what it
    writes, a notice's attachments — removed after it; one a killed process left (its lock let go with it) is
    removed by the next piece of work of its kind (``sweep_private``), where ``tempfile.TemporaryDirectory`` left it
    for good."""
    parent = Path(tempfile.gettempdir())
    sweep_private(parent, prefix)
    folder, lock = private_folder(parent, prefix)
    try:
        yield folder
    finally:
        remove_private(folder, lock)


def remove_private(folder: Path, lock: HeldLock | None = None) -> None:
    """Remove a private folder: ours (``lock``: its lock, held), or one whose lock nobody holds (a killed process's);
    a folder whose lock another process holds is left alone."""
    if lock is None:
        try:
            lock = HeldLock.take(folder / PRIVATE_LOCK)
        except OSError:  # gone, or not a folder of ours
            return
        if lock is None:
            return
    try:
        for entry in folder.iterdir():
            if entry.name == PRIVATE_LOCK:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
                continue
            try:
                entry.unlink(missing_ok=True)
            except OSError:  # (on Windows, a file still open): left to the next sweep, the others go
                pass
    except OSError:
        pass
    except BaseException:  # Ctrl-C: let go, the rest of the folder for the next sweep (its lock would be held on)
        lock.release()
        raise
    remove_locked_folder(folder, PRIVATE_LOCK, lock)


def remove_locked_folder(folder: Path, lock_name: str, lock: HeldLock | None) -> None:
    """Remove ``folder``, emptied but for its lock file ``lock_name``, whose ``lock`` we hold (if any): and let it go.

    The lock file and the folder go first, the lock still held (on Windows, which cannot delete a locked file, once
    it is let go): a process that makes or takes the folder meanwhile finds it gone, or its own new lock file in it
    (the folder then stays, not empty) — never this lock file, unlocked and about to go with the folder under it,
    which ``HeldLock.is_at`` would not see. Then the folder once more: a share that keeps a file deleted while open
    in its folder till it is closed (NFS's .nfsXXXX, FUSE's .fuse_hidden…, SMB's delete pending) lets the folder go
    only now; only an empty one goes."""
    try:
        if sys.platform == "win32" and lock is not None:
            lock.release()
        for remove in ((folder / lock_name).unlink, folder.rmdir):  # not shutil.rmtree, whose descriptor is closed
            try:  # twice when Ctrl-C lands inside it (EBADF)
                remove()
            except OSError:
                pass
    finally:  # also at a Ctrl-C: a lock held on would keep the folder from every sweep while this process lives
        if lock is not None:
            lock.release()
    try:
        folder.rmdir()
    except OSError:
        pass


def copy_stream(fin: BinaryIO, fout: BinaryIO | None) -> str:
    """Copy ``fin`` to ``fout`` (or only read it, when None); returns the SHA-256 of the bytes read."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: fin.read(1 << 20), b""):
        digest.update(chunk)
        if fout is not None:
            fout.write(chunk)
    return digest.hexdigest()


@contextmanager
def atomic_output(path: Path, *, durable: bool = True, before_replace: Callable[[Path], None] | None = None):
    """A file handle whose content appears at ``path`` whole or not at all (temp file beside it, then rename).

    The temp file is ``.<stem>.<random>.part<suffix>``; ``durable`` fsyncs the file and the folder too.
    ``before_replace(temp)``: called with the temp file whole, just before the rename (the registers note its hash:
    documents/placing.py)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.part{path.suffix}")
    try:
        with open(tmp, "xb") as fh:
            yield fh
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        if before_replace is not None:
            before_replace(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    if durable:
        fsync_dir(path.parent)


def write_atomic(path: Path, data: bytes | str, *, encoding: str = "utf-8", durable: bool = True) -> None:
    """Write a file whole or not at all; ``durable`` also survives a power cut (fsync)."""
    with atomic_output(path, durable=durable) as fh:
        fh.write(data.encode(encoding) if isinstance(data, str) else data)


class Rewriter:
    """A small file rewritten whole, again and again, as ``write_atomic(durable=False)`` writes it — a reader sees
    the old content or the new, never a mix — without making a file each time: two hidden spares beside it take
    turns, the new content written into the one not shown and a hard link to it renamed over the name.

    Making a file is the costly step of a small write on a busy file system (hundreds of microseconds on ext4 between
    fsyncs, more on a share): a claim rewrites its intent three times per form (lzdocs/ingest/claims.py). Where a
    folder has no hard links (FAT, some shares), and on Windows: ``write_atomic``. The spares are files like any
    other in the folder, removed with it."""

    def __init__(self, name: str):
        self.name = name
        self.spares = (f".{name}.a", f".{name}.b", f".{name}.next")
        self.turn = 0  # the spare written next: never the one shown
        self.links = sys.platform != "win32"

    def write(self, folder: Path, data: bytes) -> None:
        if self.links:
            try:
                self._by_link(folder, data)
                return
            except FileNotFoundError:  # the folder gone: never made again here
                raise
            except OSError as exc:
                if exc.errno in NO_LINKS:
                    self.links = False
                # else a spare that is no file of ours (a folder, a FIFO, a link put there in a shared inbox), or
                # a full disk: this write made whole as write_atomic makes it (which says why if it cannot)
        write_atomic(folder / self.name, data, durable=False)

    def _by_link(self, folder: Path, data: bytes) -> None:
        turn = self.turn
        try:  # the spare shown is never written into: a Rewriter new to the folder (a claim read back by recovery)
            # or one stopped between the rename and the turn (Ctrl-C) does not know which one that is
            if os.path.samestat(os.lstat(folder / self.name), os.lstat(folder / self.spares[turn])):
                turn ^= 1
        except FileNotFoundError:
            pass
        spare = folder / self.spares[turn]
        # Not O_TRUNC: ext4 writes out on close a file truncated to nothing; shortened after the write instead.
        # Never through a link, never waiting on a FIFO; a spare that is not a file of its own (another name of it:
        # a .next a killed process left, or a hard link put there to have another file written over) made anew
        flags = os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | _O_BINARY
        fd = os.open(spare, flags | os.O_CREAT, 0o644)
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode) or found.st_nlink != 1:
            os.close(fd)
            os.unlink(spare)
            fd = os.open(spare, flags | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.pwrite(fd, view, len(data) - len(view)):]
            os.ftruncate(fd, len(data))
        finally:
            os.close(fd)
        shown = folder / self.spares[2]
        try:
            os.link(spare, shown)
        except FileExistsError:  # left by a process killed between the two steps
            os.unlink(shown)
            os.link(spare, shown)
        os.replace(shown, folder / self.name)
        self.turn = turn ^ 1


def file_system_now(folder: Path) -> float | None:
    """The time the file system of ``folder`` stamps on a file made there now; None if none can be made.

    A share stamps files with the file server's clock, which may be minutes or hours (or, on a moved test
    clock, years) away from this machine's: a file's age is this minus its mtime, both from that one clock.
    """
    with interrupts.deferred():  # Ctrl-C never leaves the probe in a shared inbox
        try:
            fd, name = tempfile.mkstemp(prefix=f"{CLOCK_PROBE}-", suffix=".tmp", dir=folder)
        except OSError:
            return None
        try:
            now = os.fstat(fd).st_mtime
        finally:
            os.close(fd)
            try:
                os.unlink(name)
            except OSError:
                pass
    for left in Path(folder).glob(f"{CLOCK_PROBE}-*.tmp"):  # one a process killed (or Ctrl-C twice) left behind;
        try:  # another process's lives for a moment
            if now - left.lstat().st_mtime > 600:
                left.unlink()
        except OSError:
            pass
    return now


CLOCK_PROBE = ".lzdocs-clock"


class FileSystemClocks:
    """The clocks of the file systems files come from, each read (``file_system_now``) once in a while and carried
    forward on this machine's monotonic clock: a file's age by the clock that stamped it, probing its folder once
    per run rather than once per file."""

    REREAD = 600.0  # seconds: a watcher that runs for months follows the server's clock being corrected

    def __init__(self):
        self._read: dict[Path, tuple[float | None, float]] = {}

    def age(self, folder: Path, mtime: float) -> float | None:
        """Seconds since ``mtime`` by the clock of ``folder``'s file system (negative: a time after its now); None
        when no file can be made there to read that clock."""
        moment = time.monotonic()
        read = self._read.get(folder)
        if read is None or moment - read[1] > self.REREAD:
            read = self._read[folder] = (file_system_now(folder), moment)
        stamped_now, at = read
        return None if stamped_now is None else stamped_now + (moment - at) - mtime


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


def write_new_file(path: Path, data: bytes, *, durable: bool = True) -> bytes:
    """Write ``path``, which must not exist yet, fsynced when ``durable``; returns the bytes."""
    with open(path, "xb") as fh:
        fh.write(data)
        if durable:
            fh.flush()
            os.fsync(fh.fileno())
    return data


class OwnFiles:
    """Files lzdocs wrote and may replace (blank forms): their SHA-256 as written, kept in a small JSON file.

    A file whose bytes are still those recorded is ours and is replaced; any other file (changed or put there by
    the user, even a moment ago) is never overwritten: the new file takes the next free name, taken atomically."""

    def __init__(self, record: Path, root: Path):
        self.record, self.root = record, root
        try:
            self.hashes: dict[str, str] = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.hashes = {}

    def write(self, folder: Path, stem: str, suffix: str, make: Callable[[Path], Path]) -> Path:
        """``make(path)`` writes the file at a temporary path; it then replaces our own unchanged copy of
        ``stem+suffix`` or takes the first free name of ``stem_01`` … (as :func:`unique_path`)."""
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{uuid.uuid4().hex}{suffix}"
        try:
            make(partial)
            digest = sha256_file(partial)
            for n in itertools.count():
                target = folder / (f"{stem}{suffix}" if n == 0 else f"{stem}_{n:02d}{suffix}")
                try:
                    if target.is_file() and self._ours(target):
                        os.replace(partial, target)
                    else:
                        rename_no_replace(partial, target)
                except FileExistsError:
                    continue
                self.hashes[target.relative_to(self.root).as_posix()] = digest
                return target
        finally:
            partial.unlink(missing_ok=True)
        raise AssertionError("unreachable")

    def _ours(self, path: Path) -> bool:
        return self.hashes.get(path.relative_to(self.root).as_posix()) == sha256_file(path)

    def save(self) -> None:
        write_atomic(self.record, json.dumps(self.hashes, ensure_ascii=False, indent=1), durable=False)

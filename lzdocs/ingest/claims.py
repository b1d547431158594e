"""Claims: a file taken for processing lives in its own folder under inbox/.lzdocs/claims with an intent record.

The inbox's work folder also records which archive the inbox belongs to (``bind_inbox``), and each claim the
archive that made it: a second workspace pointed at the same inbox by mistake is refused, and its recovery never
finishes or puts back another archive's claim (docs/product.md §4)."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sys
import uuid
from dataclasses import dataclass, field, fields
from pathlib import Path

from lzdocs.fsutil import (
    DamagedRecord,
    HeldLock,
    Rewriter,
    copy_stream,
    display_name,
    fit_name,
    move_without_replacing,
    name_max,
    open_regular,
    read_record,
    record_text,
    remove_locked_folder,
    remove_marked,
    rename_no_replace,
    write_new_file,
)

INTENT = "intent.json"
LOCK = ".lock"
OWNER = "archive.json"  # in the inbox's work folder: the archive it feeds (archive, workspace, host, database, inbox)


class ClaimFailed(OSError):
    """An inbox file could not be taken (no permission, open in another program…): it stays where it was."""

    @classmethod
    def wrap(cls, exc: OSError) -> ClaimFailed:
        return cls(exc.errno, exc.strerror, exc.filename, getattr(exc, "winerror", None), exc.filename2)


@dataclass
class Claim:
    token: str
    folder: str
    original_name: str  # as shown to the user and recorded (a name that is not UTF-8 decoded, see display_name)
    source: str  # as shown to the user
    origin: str | None  # where the file goes back on rollback (inbox files); None for copied paths
    dest: str | None = None  # where the original is being archived or returned (a name reserved by us)
    partial: str | None = None  # the copy in flight beside ``dest``
    file_name: str | None = None  # the name in the claim folder when it is not ``original_name``
    reserved: list[str] = field(default_factory=list)  # empty placeholders we created (dest, its 错误说明)
    marker: str | None = None  # the empty file the placeholders are hard links of, until they are recorded
    archive: str | None = None  # the identity of the archive that made the claim (``Store.archive_id``)
    workspace: str | None = None  # the workspace folder that made it: its paths above are in that folder

    def __post_init__(self):
        self._lock: HeldLock | None = None
        self._intent = Rewriter(INTENT)  # its spares stay with the folder (``Slots``)

    def hold(self) -> bool:
        """Take the claim's lock (released by the OS if this process dies); False if a live process holds it — or if
        the folder is going: a recovery removing it (``release``) lets its lock go only once the lock file and the
        folder are gone, and a lock taken on that file, opened before it went, is on a file no longer there."""
        try:
            lock = HeldLock.take(Path(self.folder) / LOCK)
        except FileNotFoundError:  # the folder gone
            lock = None
        self._lock = lock
        return lock is not None

    def let_go(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @property
    def file(self) -> Path:
        return Path(self.folder) / (self.file_name or self.original_name)

    @property
    def from_inbox(self) -> bool:
        return self.origin is not None

    def save(self) -> None:
        # One JSON object, replaced whole: another lzdocs version sharing the inbox reads it as its own (a journal of
        # lines, tried once, was read by an earlier version as no intent at all, which then finished the claim with
        # nothing kept). Not fsynced: after a power cut a claim without its intent is still recovered (``orphan``).
        # ASCII JSON: a file name that is not UTF-8 (surrogate escapes) round-trips as \udcXX. Rewritten in place of
        # the last (``Rewriter``: no new file each time).
        # Its fields as they are (``asdict`` copied each deeply: 0.04 s of every thousand forms, saved three times each)
        intent = {name: getattr(self, name) for name in _FIELDS}
        self._intent.write(Path(self.folder), json.dumps(intent).encode("ascii"))

    @classmethod
    def load(cls, folder: Path) -> Claim | None:
        """The claim whose intent ``folder`` holds; None when it holds none that is its own. A claim's token is its
        folder's name (a kept folder's name becomes its next claim's: ``Slots``), and the intent's spares go with a
        kept folder still holding the intents of the claim it served before: after a power cut intent.json may show
        one of those (it is not fsynced). That claim was settled long ago — taken for this one, recovery would find
        its record, finish it, and remove the folder with this claim's file in it, an original never kept."""
        try:
            claim = cls(**json.loads((folder / INTENT).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None
        return claim if claim.token == folder.name else None


_FIELDS = tuple(f.name for f in fields(Claim))  # what ``Claim.save`` writes


def _new(claims_dir: Path, raw_name: str, source: str, origin: Path | None, archive: str | None,
         workspace: str | None, slots: Slots | None = None) -> Claim:
    """A claim folder whose lock we hold before anything is put in it: a recovery that took the lock of a folder
    this young (and found it empty) removes it, so then we start again with another token. ``slots``: a folder kept
    from a claim settled before, when there is one (its lock still held; its name, a token no claim had, the new
    claim's)."""
    for _ in range(10):
        kept = slots.take() if slots is not None else None
        if kept is not None:
            folder = Path(kept.folder)
            token = folder.name
        else:
            token = uuid.uuid4().hex
            folder = claims_dir / token
            folder.mkdir(parents=True)
        file_name = raw_name if display_name(raw_name) != raw_name else None
        if raw_name.casefold() == INTENT:  # a user's file named as the claim's intent: never put over it
            file_name = f"_{raw_name}"
        claim = Claim(token, str(folder), display_name(raw_name), source, str(origin) if origin else None,
                      file_name=file_name, archive=archive, workspace=workspace)
        if kept is not None:
            claim._lock, claim._intent = kept._lock, kept._intent
        if kept is not None or claim.hold():
            claim.save()  # the intent exists before the file moves, so a crash never strands a file
            return claim
    raise TimeoutError(errno.ETIMEDOUT, "无法建立收取记录", str(claims_dir))


def claim_by_rename(claims_dir: Path, path: Path, source: str, archive: str | None = None,
                    workspace: str | None = None, slots: Slots | None = None) -> Claim | None:
    """Take an inbox file by atomic rename; None if another process took it first."""
    claim = _new(claims_dir, path.name, source, path, archive, workspace, slots)
    try:
        try:
            os.rename(path, claim.file)
        except OSError as exc:
            if exc.errno != errno.ENAMETOOLONG:
                raise
            claim.file_name = fit_name(*_stem_suffix(claim.original_name), name_max(Path(claim.folder)))
            claim.save()
            os.rename(path, claim.file)
    except FileNotFoundError:
        release(claim)
        return None
    except OSError as exc:
        release(claim)
        raise ClaimFailed.wrap(exc) from exc
    if claim.file.is_dir() and not claim.file.is_symlink():  # a folder put where the file was: not ours to take
        put_back(claim)
        return None
    return claim


def claim_by_copy(claims_dir: Path, path: Path, source: str, archive: str | None = None,
                  workspace: str | None = None, *, follow_symlinks: bool = True, slots: Slots | None = None) -> Claim:
    """Take a file given on the command line: a copy, the user's file is never moved or changed. Raises
    NotRegularFile for a FIFO, a device (or a symlink, unless ``follow_symlinks``) before a claim is made."""
    with open_regular(path, follow_symlinks=follow_symlinks) as src:
        claim = _new(claims_dir, path.name, source, None, archive, workspace, slots)
        try:
            tmp = Path(claim.folder) / ".copy.part"
            with open(tmp, "xb") as out:
                copy_stream(src, out)
            stat = os.fstat(src.fileno())  # the copy keeps the original's modification time: it says when it came
            os.utime(tmp, ns=(stat.st_atime_ns, stat.st_mtime_ns))
            os.replace(tmp, claim.file)
        except BaseException:
            release(claim)
            raise
    return claim


def unreserve(claim: Claim) -> None:
    """Give up the names reserved for this claim (still empty: the copy only replaces them after the commit).

    The record is cleared first: a crash in between leaves an empty file at worst, never removes a name
    that someone else reserved after us."""
    reserved, claim.reserved, claim.dest = claim.reserved, [], None
    partial, claim.partial = claim.partial, None
    marker, claim.marker = claim.marker, None
    claim.save()
    if partial:
        _remove(Path(partial))
    for name in reserved:
        _remove(Path(name), only_empty=True)
    if marker:  # names reserved but not yet recorded when the process died: its marker's links
        remove_marked(Path(marker))


def _remove(path: Path, *, only_empty: bool = False) -> None:
    """Remove a file of ours if it is there (a name too long for the file system, left by an older version, cannot
    be there either, nor one under a path that is no folder: a file put where its folder goes)."""
    try:
        if not only_empty or path.stat().st_size == 0:
            path.unlink()
    except OSError as exc:
        if not isinstance(exc, (FileNotFoundError, NotADirectoryError)) and exc.errno != errno.ENAMETOOLONG:
            raise


def put_back(claim: Claim, *, foreign: bool = False) -> Path | None:
    """Roll a claim back: the file returns to where it was found (under a free name if that one is taken).

    ``foreign``: a claim another archive made, which only that archive's database can tell the end of: the names
    it reserved and the copy in flight in its workspace are left as they are — it may have recorded them — and only
    the file in the claim goes back."""
    if (claim.partial or claim.reserved or claim.marker) and not foreign:
        unreserve(claim)
    restored = None
    if claim.from_inbox and os.path.lexists(claim.file):
        origin = Path(claim.origin)
        origin.parent.mkdir(parents=True, exist_ok=True)  # its subfolder may have been removed meanwhile
        try:
            rename_no_replace(claim.file, origin)
            restored = origin
        except FileExistsError:
            restored = move_without_replacing(claim.file, origin.parent, *_stem_suffix(origin.name))
    release(claim)
    return restored


def _stem_suffix(name: str) -> tuple[str, str]:
    path = Path(name)
    return path.stem, path.suffix


def release(claim: Claim, slots: Slots | None = None) -> None:
    """The claim is settled: its folder (our copy or an emptied folder) goes — or, emptied, to ``slots`` for the
    next claim, with its lock and its intent's spares.

    Its content goes while we still hold the lock, so a recovery that takes the lock afterwards finds nothing
    to redo; the lock file and the folder go last, the lock still held (``remove_locked_folder``)."""
    folder = Path(claim.folder)
    keep = slots is not None and slots.room() and claim._lock is not None
    try:
        entries = list(folder.iterdir())
    except OSError:
        entries = []
    for entry in sorted(entries, key=lambda p: p.name == INTENT):  # the intent last
        if entry.name == LOCK or (keep and entry.name in claim._intent.spares):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            try:
                entry.unlink()
            except OSError:
                pass
    if keep and slots.keep(claim):
        return
    for name in claim._intent.spares if keep else ():  # left for a keep that failed
        try:
            (folder / name).unlink()
        except OSError:
            pass
    # The lock let go only once the lock file and the folder are gone: a claim made meanwhile in this very folder (a
    # recovery removes a folder made a moment ago, before its maker took the lock) finds the folder gone, or its own
    # lock file in it — never this one's, unlocked and about to be unlinked, with the folder under its first file
    # (``Claim.hold``)
    lock, claim._lock = claim._lock, None
    remove_locked_folder(folder, LOCK, lock)


class Slots:
    """Claim folders kept for the next claims of a run (``Ingest._taking``), their locks held: a settled claim's
    folder, emptied and renamed to a token no claim has had, becomes the next claim's (that token its own) rather
    than removed and another made with its lock file and its intent's spares — a folder and three files fewer to
    make and remove per form.

    A kept folder holds only the lock file and the spares (hidden files): a process that dies keeping some leaves
    claims with nothing in them, which recovery removes, as it does a claim that died before its file moved in. Not
    on Windows, where a folder with a file open in it cannot be renamed."""

    LIMIT = 64  # more than a batch's claims (Store.batch commits a few times a second)

    def __init__(self):
        self.free: list[Claim] = []
        self.on = sys.platform != "win32"

    def room(self) -> bool:
        return self.on and len(self.free) < self.LIMIT

    def keep(self, claim: Claim) -> bool:
        """The settled claim's folder (emptied), its lock and its intent's spares, taken from it: whatever lets
        that claim go afterwards (``Ingest.process`` lets go a claim its batch committed early) leaves the folder
        locked. Renamed at once to a token of no claim: a folder under the settled claim's token is that claim
        not yet released to whoever looks (``returned.settle_returned``, of this version or an older one); False
        when it cannot be (the folder is then removed as any other)."""
        folder = Path(claim.folder)
        spare = folder.with_name(uuid.uuid4().hex)
        try:
            os.rename(folder, spare)
        except OSError:
            return False
        kept = Claim(spare.name, str(spare), "", "", None)
        kept._lock, kept._intent = claim._lock, claim._intent
        claim._lock, claim._intent = None, Rewriter(INTENT)
        self.free.append(kept)
        return True

    def take(self) -> Claim | None:
        """A kept folder (a claim with only its folder, its lock and its intent's spares); None when none is kept."""
        return self.free.pop() if self.free else None

    def close(self) -> None:
        """Every kept folder removed — each of them, whatever one of them raises (raised at the end)."""
        failed = None
        while self.free:
            try:
                release(self.free.pop())
            except BaseException as exc:  # a Ctrl-C too: the rest are three files each, then it is raised
                failed = failed or exc
        if failed is not None:
            raise failed


def orphan(folder: Path, inbox: Path) -> Claim | None:
    """A claim folder whose intent was lost: its file goes back to the inbox root to be taken again."""
    files = [p for p in folder.iterdir() if p.name not in (INTENT, LOCK) and not p.name.startswith(".")]
    if not files:
        return None
    raw = files[0].name
    return Claim(folder.name, str(folder), display_name(raw), display_name(raw), str(inbox / raw),
                 file_name=raw if display_name(raw) != raw else None)


def leftovers(claims_dir: Path) -> list[Path]:
    try:
        return sorted(p for p in claims_dir.iterdir() if p.is_dir())
    except (FileNotFoundError, NotADirectoryError):
        return []


class DamagedOwner(Exception):
    """The inbox's record of its archive is there but is no record (not a file, not JSON): never rebound silently."""

    def __init__(self, path: Path):
        super().__init__(str(path))
        self.path = path


def inbox_owner(work: Path) -> dict | None:
    """The archive the inbox belongs to, as its work folder records it (``bind_inbox``); None when none is recorded.

    Opened once without following a link or waiting on a FIFO. A record that is not a regular file holding the JSON
    ``bind_inbox`` writes — it is written whole and fsynced before it is put in place, so no power cut leaves it
    half-written — raises DamagedOwner; a share that cannot be read raises its OSError: neither is taken for an
    inbox nobody owns."""
    record = work / OWNER
    try:
        return read_record(record, "archive")
    except DamagedRecord:
        raise DamagedOwner(record) from None


def bind_inbox(work: Path, owner: dict, *, replacing: dict | None = None) -> dict:
    """Record ``owner`` as the archive the inbox belongs to, unless one already is: returns the one recorded.

    Written whole beside the record and put in place without replacing, so two archives starting at once cannot
    both become the owner. ``replacing``: the record read, which ``owner`` takes the place of (one that does not
    concern this inbox: lzdocs/ingest/owner.py) — unless the record has changed since."""
    found = inbox_owner(work)
    if found is not None and found != replacing:
        return found
    work.mkdir(exist_ok=True)  # in the inbox, which is there (a share not connected is never made here)
    part = work / f".{OWNER}.{uuid.uuid4().hex}.part"
    write_new_file(part, record_text(owner).encode("utf-8"))
    try:
        try:
            if found is None:
                rename_no_replace(part, work / OWNER)
            else:
                os.replace(part, work / OWNER)
        except FileExistsError:  # another archive came first
            return inbox_owner(work) or owner
        return owner
    finally:
        part.unlink(missing_ok=True)


def moved_to(claim: Claim, root: Path) -> None:
    """A claim made in the workspace ``claim.workspace``, found by the workspace ``root`` — a copy of it (copied
    or restored with its archive and inbox) or the same folder under another name: its paths are taken as the
    same places in ``root``, so that whatever is done to finish or undo it is done there, never to the folder it
    was copied from. A path outside that workspace (an inbox elsewhere) is left as it is."""
    if not claim.workspace or claim.workspace == str(root):
        return
    old = Path(claim.workspace)

    def moved(path: str | None) -> str | None:
        if path is None or not Path(path).is_relative_to(old):
            return path
        return str(root / Path(path).relative_to(old))

    claim.dest, claim.partial, claim.marker = moved(claim.dest), moved(claim.partial), moved(claim.marker)
    claim.origin, claim.reserved = moved(claim.origin), [moved(p) for p in claim.reserved]
    claim.workspace = str(root)

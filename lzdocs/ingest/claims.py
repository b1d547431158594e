"""Claims: a file taken for processing lives in its own folder under inbox/.lzdocs/claims with an intent record."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from lzdocs.fsutil import unique_path, write_atomic

INTENT = "intent.json"
LOCK = ".lock"


@dataclass
class Claim:
    token: str
    folder: str
    original_name: str
    source: str  # as shown to the user
    origin: str | None  # where the file goes back on rollback (inbox files); None for copied paths
    dest: str | None = None  # where the original is being archived or returned
    partial: str | None = None  # the copy in flight beside ``dest``

    def __post_init__(self):
        self._lock: FileLock | None = None

    def hold(self) -> bool:
        """Take the claim's lock (released by the OS if this process dies); False if a live process holds it."""
        lock = FileLock(str(Path(self.folder) / LOCK), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            return False
        self._lock = lock
        return True

    def let_go(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @property
    def file(self) -> Path:
        return Path(self.folder) / self.original_name

    @property
    def from_inbox(self) -> bool:
        return self.origin is not None

    def save(self) -> None:
        # Not fsynced: after a power cut a claim without its intent is still recovered (see ``orphan``).
        write_atomic(Path(self.folder) / INTENT, json.dumps(asdict(self), ensure_ascii=False), durable=False)

    @classmethod
    def load(cls, folder: Path) -> "Claim | None":
        try:
            return cls(**json.loads((folder / INTENT).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None


def _new(claims_dir: Path, name: str, source: str, origin: Path | None) -> Claim:
    token = uuid.uuid4().hex
    folder = claims_dir / token
    folder.mkdir(parents=True)
    claim = Claim(token, str(folder), name, source, str(origin) if origin else None)
    claim.hold()  # another process's recovery leaves a claim alone while we live
    claim.save()  # the intent exists before the file moves, so a crash never strands a file
    return claim


def claim_by_rename(claims_dir: Path, path: Path, source: str) -> Claim | None:
    """Take an inbox file by atomic rename; None if another process took it first."""
    claim = _new(claims_dir, path.name, source, path)
    try:
        os.rename(path, claim.file)
    except FileNotFoundError:
        release(claim)
        return None
    return claim


def claim_by_copy(claims_dir: Path, path: Path, source: str) -> Claim:
    """Take a file given on the command line: a copy, the user's file is never moved or changed."""
    claim = _new(claims_dir, path.name, source, None)
    tmp = Path(claim.folder) / f".{path.name}.copy"
    shutil.copyfile(path, tmp)
    os.replace(tmp, claim.file)
    return claim


def put_back(claim: Claim) -> Path | None:
    """Roll a claim back: the file returns to where it was found (under a free name if that one is taken)."""
    if claim.partial:
        Path(claim.partial).unlink(missing_ok=True)
    restored = None
    if claim.from_inbox and claim.file.exists():
        origin = Path(claim.origin)
        origin.parent.mkdir(parents=True, exist_ok=True)
        restored = origin if not origin.exists() else unique_path(origin.parent, origin.stem, origin.suffix)
        os.rename(claim.file, restored)
    release(claim)
    return restored


def release(claim: Claim) -> None:
    """The claim is settled: its folder (our copy or an emptied folder) goes."""
    claim.let_go()  # before the folder goes: Windows cannot delete a locked file
    shutil.rmtree(claim.folder, ignore_errors=True)


def orphan(folder: Path, inbox: Path) -> Claim | None:
    """A claim folder whose intent was lost: its file goes back to the inbox root to be taken again."""
    files = [p for p in folder.iterdir() if p.is_file() and p.name not in (INTENT, LOCK) and not p.name.startswith(".")]
    if not files:
        return None
    return Claim(folder.name, str(folder), files[0].name, files[0].name, str(inbox / files[0].name))


def leftovers(claims_dir: Path) -> list[Path]:
    if not claims_dir.is_dir():
        return []
    return sorted(p for p in claims_dir.iterdir() if p.is_dir())

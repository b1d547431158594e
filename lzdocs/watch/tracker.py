"""Stability tracking: a file is ready once its size and mtime have held still for a window of monotonic time."""

from __future__ import annotations

import heapq
import os
from collections.abc import Iterable
from dataclasses import dataclass

Sig = tuple[int, int]  # (size, mtime_ns) as seen by stat — compared, never read as a time

PENDING = "pending"  # seen; waiting for its signature to hold still for the window
QUEUED = "queued"  # handed to the ingest worker
DEFERRED = "deferred"  # taking it failed (locked, share trouble); tried again later


@dataclass
class Entry:
    sig: Sig
    since: float  # local monotonic time of the first observation of ``sig``
    state: str = PENDING
    check_at: float = 0.0  # when it is worth looking at again
    incomplete_since: float | None = None  # stable but not yet a whole zip/OLE file
    failures: int = 0
    first_seen: float | None = None  # local monotonic time the file was first seen, whatever its signature since


class StabilityTracker:
    """Decides from observations alone (never from mtime against our clock) when a file may be taken.

    Single-threaded: the watcher's main loop owns it. Work per observation of a known, unchanged file is one
    dict lookup and one tuple comparison; due times live in a heap, so idle trees cost nothing per file.
    """

    def __init__(self, stable: float, *, incomplete_timeout: float = 60.0, retry_first: float = 30.0,
                 retry_max: float = 600.0):
        self.stable = stable
        self.incomplete_timeout = incomplete_timeout
        self.retry_first, self.retry_max = retry_first, retry_max
        self.entries: dict[str, Entry] = {}
        self.pending: set[str] = set()  # files still settling: worth a look at every quick turn
        self._heap: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, path: str) -> bool:
        return path in self.entries

    # --- observations -------------------------------------------------------------------------
    def observe(self, path: str, sig: Sig, now: float) -> bool:
        """Record that ``path`` has ``sig`` at ``now``; True when it has held still long enough to be taken."""
        entry = self.entries.get(path)
        if entry is None or entry.sig != sig:
            if entry is not None and entry.state == QUEUED:
                entry.sig = sig  # the worker compares before claiming and reports the change back
                return False
            first = entry.first_seen if entry is not None and entry.first_seen is not None else now
            self._schedule(path, Entry(sig, now, first_seen=first), now + self.stable)
            return False
        if entry.state == QUEUED or now < entry.check_at:
            return False
        return now - entry.since >= self.stable

    def reconcile(self, seen: Iterable[str], unreadable: Iterable[str] = ()) -> list[str]:
        """After a full listing: forget files no longer there, except below folders that could not be read."""
        seen = set(seen)
        keep = tuple(unreadable)
        gone = [p for p, e in self.entries.items()
                if p not in seen and e.state != QUEUED and not _below_any(p, keep)]
        for path in gone:
            self._drop(path)
        return gone

    def vanished(self, path: str) -> None:
        """A stat said the file is not there (while its folder is): forget it unless the worker holds it."""
        entry = self.entries.get(path)
        if entry is not None and entry.state != QUEUED:
            self._drop(path)

    # --- decisions ----------------------------------------------------------------------------
    def queued(self, path: str) -> None:
        self.entries[path].state = QUEUED
        self.pending.discard(path)

    def incomplete(self, path: str, now: float) -> bool:
        """Stable but not a whole file yet; True once it has stayed so for ``incomplete_timeout`` (give up waiting)."""
        entry = self.entries[path]
        if entry.incomplete_since is None:
            entry.incomplete_since = now
        if now - entry.incomplete_since >= self.incomplete_timeout:
            return True
        self._schedule(path, entry, entry.incomplete_since + self.incomplete_timeout)
        return False

    def finished(self, path: str) -> None:
        """The worker is done with ``path`` (taken, gone, or changed): the next sighting starts afresh."""
        entry = self.entries.get(path)
        if entry is not None and entry.state == QUEUED:
            self._drop(path)

    def failed(self, path: str, now: float) -> float:
        """Taking it failed: try again after a delay that doubles (30 s … 10 min); returns the delay."""
        entry = self.entries.get(path)
        if entry is None:
            return 0.0
        entry.failures += 1
        delay = min(self.retry_first * 2 ** (entry.failures - 1), self.retry_max)
        entry.state = DEFERRED
        self._schedule(path, entry, now + delay)
        return delay

    # --- timing -------------------------------------------------------------------------------
    def due(self, now: float) -> list[str]:
        """Files worth a fresh stat now (their window or retry time has come), oldest due first."""
        out: dict[str, None] = {}
        while self._heap and self._heap[0][0] <= now:
            at, path = heapq.heappop(self._heap)
            entry = self.entries.get(path)
            if entry is not None and entry.state != QUEUED and entry.check_at == at:
                out[path] = None
        return list(out)

    def next_check(self) -> float | None:
        while self._heap:
            at, path = self._heap[0]
            entry = self.entries.get(path)
            if entry is not None and entry.state != QUEUED and entry.check_at == at:
                return at
            heapq.heappop(self._heap)
        return None

    def later(self, path: str, at: float) -> None:
        """Look again at ``at`` (a stat failed for a reason other than the file being gone)."""
        entry = self.entries.get(path)
        if entry is not None and entry.state != QUEUED:
            self._schedule(path, entry, max(at, entry.check_at))

    def _schedule(self, path: str, entry: Entry, at: float) -> None:
        entry.check_at = at
        self.entries[path] = entry
        if entry.state == PENDING:
            self.pending.add(path)
        else:
            self.pending.discard(path)
        heapq.heappush(self._heap, (at, path))

    def _drop(self, path: str) -> None:
        del self.entries[path]
        self.pending.discard(path)


def _below_any(path: str, folders: tuple[str, ...]) -> bool:
    return any(path == folder or path.startswith(folder.rstrip(os.sep) + os.sep) for folder in folders)

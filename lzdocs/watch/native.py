"""watchdog's native observer on the inbox, for hints only; restarted when it dies or the folder is replaced."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEventHandler,
)

from lzdocs.ingest.scan import OWN_FOLDERS, an_inbox, is_ignored

log = logging.getLogger("lzdocs.watch")

# Opened/closed-without-write and directory-modified events are left out: reading a file (our own checks
# included) fires them, and a change inside a folder already shows up as a file event.
EVENTS = [FileCreatedEvent, FileModifiedEvent, FileMovedEvent, FileClosedEvent, FileDeletedEvent,
          DirCreatedEvent, DirMovedEvent, DirDeletedEvent]

Nudge = Callable[[str, bool], None]  # (path, is_directory)


class _Hints(FileSystemEventHandler):
    """Turns events into nudges for the tracker: a path to look at, never a file to take."""

    def __init__(self, root: str, nudge: Nudge):
        self.root, self.nudge = root, nudge

    def on_any_event(self, event) -> None:
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            path = os.fsdecode(raw) if raw else ""
            if path and self._wanted(path, event.is_directory):
                self.nudge(path, event.is_directory)

    def _wanted(self, path: str, is_dir: bool) -> bool:
        rel = os.path.relpath(path, self.root)
        if rel == "." or rel.startswith(".."):
            return is_dir and rel == "."
        parts = Path(rel).parts
        folders = parts if is_dir else parts[:-1]
        if any(p.startswith(".") or p in OWN_FOLDERS for p in folders):
            return False
        if any(an_inbox(Path(self.root, *folders[:i])) for i in range(1, len(folders) + 1)):
            return False  # another archive's inbox set inside this one
        return is_dir or not is_ignored(parts[-1])


class NativeObserver:
    """Holds one watchdog Observer for ``root``; ``ensure()`` (re)starts it when needed."""

    def __init__(self, root: Path, nudge: Nudge, *, observer_class=None):
        self.root, self.nudge = root, nudge
        self.observer_class = observer_class
        self.observer = None
        self.identity: tuple[int, int] | None = None

    def healthy(self, identity: tuple[int, int]) -> bool:
        obs = self.observer
        return (obs is not None and identity == self.identity and obs.is_alive()
                and all(e.is_alive() for e in obs.emitters))

    def ensure(self, identity: tuple[int, int]) -> bool:
        """Make sure an observer watches the folder with this identity; True when one was (re)started."""
        if self.healthy(identity):
            return False
        restarting = self.observer is not None
        self.stop()
        observer_class = self.observer_class
        if observer_class is None:
            from watchdog.observers import Observer as observer_class
        observer = observer_class()
        observer.schedule(_Hints(os.fspath(self.root), self.nudge), os.fspath(self.root), recursive=True,
                          event_filter=EVENTS)
        observer.start()  # raises OSError (e.g. inotify limits): the caller falls back to polling
        self.observer, self.identity = observer, identity
        if restarting:
            log.info("已重新启动文件事件监视")
        return True

    def stop(self) -> None:
        observer, self.observer = self.observer, None
        if observer is None:
            return
        try:
            observer.stop()
            observer.join(timeout=5)
        except Exception:  # a dead emitter may complain on the way out; it is being replaced anyway
            log.debug("停止旧的事件监视时出错", exc_info=True)

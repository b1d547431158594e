"""``lzdocs watch``: the inbox watched all year — stability tracking, listings, supervision, one ingest worker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lzdocs.lazy import lazy_exports

if TYPE_CHECKING:
    from lzdocs.watch.runtime import (
        AlreadyWatching,
        WatchLock,
        install_stop_signals,
        setup_logging,
        watcher_state,
        watchers,
    )
    from lzdocs.watch.service import NATIVE, POLLING, Watcher, WatchOptions, resolve_options
    from lzdocs.watch.worker import IngestWorker

_EXPORTS = {**dict.fromkeys(["AlreadyWatching", "WatchLock", "install_stop_signals", "setup_logging", "watcher_state",
                             "watchers"], "runtime"),
            **dict.fromkeys(["NATIVE", "POLLING", "Watcher", "WatchOptions", "resolve_options"], "service"),
            "IngestWorker": "worker"}
__all__ = ["AlreadyWatching", "IngestWorker", "NATIVE", "POLLING", "WatchLock", "WatchOptions", "Watcher",
           "install_stop_signals", "resolve_options", "setup_logging", "watcher_state", "watchers"]
# ``lzdocs status`` asks only whether a watcher runs (runtime); the service, watchdog and the ingest pipeline
# load when a watcher starts.
__getattr__ = lazy_exports(__name__, _EXPORTS)

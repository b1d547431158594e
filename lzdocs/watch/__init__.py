"""``lzdocs watch``: the inbox watched all year — stability tracking, listings, supervision, one ingest worker."""

from lzdocs.watch.runtime import AlreadyWatching, WatchLock, install_stop_signals, setup_logging, watcher_state
from lzdocs.watch.service import NATIVE, POLLING, Watcher, WatchOptions, resolve_options
from lzdocs.watch.worker import IngestWorker

__all__ = ["AlreadyWatching", "IngestWorker", "NATIVE", "POLLING", "WatchLock", "WatchOptions", "Watcher",
           "install_stop_signals", "resolve_options", "setup_logging", "watcher_state"]

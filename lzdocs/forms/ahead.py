"""Reading forms ahead, in worker processes: while the ingest settles one form (its claim, its records, the
transaction), the next ones are already being read on the other cores.

A worker reads a file where it waits — opened once, never through a link, copied durably (fsynced, with the
original's permissions) into the ingest's private folder, which is in the workspace, and read from that copy — and
returns what it read with the SHA-256 of the bytes it copied. The ingest uses the result only when the claimed file
has that same hash: a file swapped or rewritten in between is read again by the ingest itself, so what is read,
hashed and kept are still the same bytes. The worker's copy then becomes the kept original itself (``Ahead.copy``: a
hard link, on the same file system), so that the ingest neither copies nor fsyncs the file a second time.

A worker that fails or dies costs nothing but the time: the ingest reads that file itself, as it does every file when
there are few of them (``READ_AHEAD_FROM``) or ``[ingest] readers = 0`` in lzdocs.toml.

The workers are started by ``spawn`` on every system (not ``fork``: the ingest may have threads — a progress bar,
a database driver — whose locks a forked child would inherit held) and ignore Ctrl-C, which the ingest handles."""

from __future__ import annotations

import logging
import os
import signal
import sys
import uuid
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from lzdocs.errors import RejectedFile
from lzdocs.forms.records import RawForm
from lzdocs.forms.schema import FormKind

log = logging.getLogger(__name__)

# A worker's copy becomes the kept original (``Ahead.copy``) — not on Windows: a file made in the private folder
# (mkdtemp: readable by its owner alone, an ACL its files inherit) would keep that ACL in the archive, where the
# office's other users read it. There the worker's copy is only read, and so not fsynced.
KEEPS_COPY = sys.platform != "win32"
READ_AHEAD_FROM = 8  # fewer files than this are read by the ingest itself: starting a worker costs a few tenths
WINDOW_PER_WORKER = 3  # files read ahead per worker: enough to keep it busy while the ingest settles one


def workers_for(files: int, setting: float | None = None) -> int:
    """How many reader processes an ingest of ``files`` files starts: ``[limits] readers`` when set (0: none),
    else one core fewer than the machine has (the ingest itself keeps one), at most 4; none for a few files, and
    none when the program that runs the ingest would run again in each worker (``spawn_is_safe``)."""
    if files < READ_AHEAD_FROM:
        return 0
    if setting is not None:  # said in lzdocs.toml: a script that ingests must then guard its main (README)
        return max(0, int(setting))
    if not spawn_is_safe():
        return 0
    return min(4, (os.cpu_count() or 1) - 1)


def spawn_is_safe() -> bool:
    """A spawned worker imports the main module of the program that started it — unless it is a package's
    ``__main__`` (``python -m lzdocs``, the ``lzdocs`` command, whose launcher runs a ``__main__``) or there is none
    (the interactive interpreter, ``python -c``): a user's script that calls ``Office.ingest()`` outside
    ``if __name__ == "__main__":`` would run again, whole, in every worker — and a guard in the script says nothing
    of what it guards. A script's ingest is read by the ingest alone, unless ``[limits] readers`` says otherwise."""
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None) or ""
    if name == "__main__" or name.endswith(".__main__"):
        return True
    return not getattr(main, "__file__", None) and not name


class ReadAhead:
    """Forms read ahead of the ingest, in order: ``want`` the files, ``advance`` as the ingest moves on, ``take``
    each one's result (or None: read it yourself)."""

    def __init__(self, workers: int, kinds: Sequence[FormKind], forms_dir: Path, limits, soffice_timeout: float,
                 folder: Path):
        import multiprocessing

        self.kinds = {kind.key: kind for kind in kinds}
        self.folder = folder
        self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_start_worker, initargs=(str(forms_dir), limits, soffice_timeout))
        self.window = workers * WINDOW_PER_WORKER
        self.queue: list[tuple[Path, bool, str]] = []  # (path, follow a link, the extension its copy keeps)
        self.next = 0  # the first of ``queue`` not yet handed to a worker
        self.pending: dict[Path, Future] = {}
        self.broken = False
        self.up = False  # a worker has returned a result: from now on, waiting for one is shorter than reading

    def want(self, files: Sequence[tuple[Path, bool, str]]) -> None:
        self.queue = list(files)
        self.next = 0
        self.advance()

    def advance(self) -> None:
        """Keep ``window`` files ahead of the ingest in the workers' hands, read or being read: no further, or the
        workers would read the whole inbox ahead and the results wait in memory (every file of the queue is taken,
        ``take``, in its turn)."""
        while not self.broken and self.next < len(self.queue) and len(self.pending) < self.window:
            path, follow, suffix = self.queue[self.next]
            self.next += 1
            try:
                self.pending[path] = self.pool.submit(_read, path, follow, suffix, str(self.folder))
            except RuntimeError:  # the pool broke (a worker died) or was shut down: the ingest reads on its own
                self.broken = True

    def take(self, path: Path) -> Ahead:
        """What a worker read of ``path``, waited for before the ingest claims the file (a file claimed first would
        be gone from where the worker looks): given the SHA-256 of the bytes the ingest took, the form — or its
        RejectedFile raised, as ``read_form`` would — and the worker's copy, if the worker read those very bytes;
        else None: read the file yourself."""
        future = self.pending.pop(path, None)
        self.advance()
        # While the workers start, a result not ready is not waited for (a few tenths of a second) — except on
        # Windows, where a file a worker still has open cannot be renamed (claimed)
        if future is None or not (self.up or future.done() or sys.platform == "win32"):
            if future is not None and not future.cancel():  # (when it has not gone to a worker yet)
                future.add_done_callback(_discard)  # read all the same: its copy goes when it is done
            return Ahead(self.kinds, None)
        self.up = True
        try:
            result = future.result()
        except Exception as exc:  # the worker died (BrokenProcessPool) or could not send its result
            log.debug("预读 %s 未完成（%s），改为直接读取", path, type(exc).__name__)
            self.broken = self.broken or isinstance(exc, BrokenProcessPool)
            result = None
        return Ahead(self.kinds, result)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        for future in self.pending.values():  # read, never taken (the run stopped): the worker's copy goes
            _discard(future)
        self.pending.clear()


class Ahead:
    """What a worker read of one file, for the bytes whose SHA-256 the ingest gives: the form (``__call__``, as
    ``read_form`` gives it, or raising its RejectedFile) and the worker's durable copy of them (``copy``); None for
    other bytes — then the ingest reads and copies the file itself. ``discard`` removes a copy not taken."""

    def __init__(self, kinds: dict[str, FormKind], result: tuple | None):
        self.kinds, self.result = kinds, result

    def __call__(self, sha: str) -> RawForm | None:
        if self.result is None or self.result[0] != sha:
            return None
        what, value = self.result[1]
        if what == "rejected":
            problems, unit, year, kind = value
            exc = RejectedFile(problems)
            exc.unit, exc.year, exc.kind = unit, year, kind
            raise exc
        if value.kind not in self.kinds:  # the forms folder changed under the run: read it again here
            return None
        value.kind = self.kinds[value.kind]
        return value

    def copy(self, sha: str, mode: int) -> Path | None:
        """The worker's copy of the bytes hashed ``sha`` — written whole, fsynced, with the original's permissions,
        as ``copy_durably`` writes the kept original — or None; None too when the original's permissions are no
        longer ``mode`` (``st_mode`` of the file taken), those the copy was given."""
        if not KEEPS_COPY or self.result is None or self.result[0] != sha or self.result[3] != mode & 0o666:
            return None
        return Path(self.result[2])

    def discard(self) -> None:
        if self.result is not None:
            Path(self.result[2]).unlink(missing_ok=True)


# --- in the worker ---------------------------------------------------------------------------

_worker: dict = {}


def _start_worker(forms_dir: str, limits, soffice_timeout: float) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the ingest's to handle; it shuts the workers down
    import multiprocessing
    import threading

    from lzdocs.forms.schema import load_kinds

    parent = multiprocessing.parent_process()
    if parent is not None:  # an ingest killed (SIGKILL) shuts nobody down: its workers go with it, not writing on
        threading.Thread(target=lambda: (parent.join(), os._exit(1)), daemon=True).start()

    _worker.update(kinds=load_kinds(Path(forms_dir)), limits=limits, soffice_timeout=soffice_timeout,
                   syncer=ThreadPoolExecutor(1))


def _discard(future: Future) -> None:
    """A result nobody takes: its copy goes."""
    if not future.cancelled() and future.exception() is None:
        Ahead({}, future.result()).discard()


def _read(path: Path, follow: bool, suffix: str, folder: str) -> tuple[str, tuple, str, int] | None:
    """(SHA-256 of the bytes read, ("form", RawForm) or ("rejected", (problems, unit, year, kind)), the path of their
    durable copy, the original's permissions it was given); None when the file is not there, not a regular file,
    over the size limit, or its reading failed unexpectedly — the ingest then meets it itself and says what it says."""
    from lzdocs.forms.reader import read_form
    from lzdocs.fsutil import copy_durably, fsync_file, open_regular

    limits = _worker["limits"]
    copy = Path(folder) / f"ahead-{uuid.uuid4().hex}{suffix}"
    try:
        with open_regular(path, follow_symlinks=follow) as src:
            found = os.fstat(src.fileno())
            if found.st_size > limits.max_file_bytes:
                return None
            sha = copy_durably(src, copy, mode=found.st_mode & 0o666, sync=False)  # as the ingest keeps an original
        # fsynced while it is read (the disk's wait, not the reader's), if it may be kept
        synced = _worker["syncer"].submit(fsync_file, copy) if KEEPS_COPY else None
        try:
            form = read_form(copy, _worker["kinds"], limits, soffice_timeout=_worker["soffice_timeout"])
            form.kind = form.kind.key  # the ingest puts back its own FormKind of that key
            payload = ("form", form)
        except RejectedFile as exc:
            payload = ("rejected", (exc.problems, exc.unit, exc.year, exc.kind))
        finally:
            if synced is not None:
                wait([synced])
        if synced is not None:
            synced.result()  # durable before the ingest may keep it; else it reads and copies the file itself
        return sha, payload, str(copy), found.st_mode & 0o666
    except Exception:  # anything else: the ingest reads the file itself and reports it in its own way
        copy.unlink(missing_ok=True)
        return None

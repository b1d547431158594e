"""Reading forms ahead, in worker processes: while the ingest settles one form (its claim, its records, the
transaction), the next ones are already being read on the other cores.

A worker reads a file where it waits — opened once, never through a link, copied durably (fsynced, with the
original's permissions) into the ingest's private folder, which is in the workspace, and read from that copy, with
the ingest's own form kinds (not forms/ as it is when the worker starts) — checks its rows (``check_rows``) and
returns what it read with the SHA-256 of the bytes it copied. The ingest uses the result only when the claimed file
has that same hash: a file swapped or rewritten in between is read again by the ingest itself, so what is read,
hashed and kept are still the same bytes. The worker's copy then becomes the kept original itself (``Ahead.copy``: a
hard link, on the same file system), so that the ingest neither copies nor fsyncs the file a second time.

A worker that fails or dies costs nothing but the time: the ingest reads that file itself, as it does every file when
there are few of them (``READ_AHEAD_FROM``) or ``[limits] readers = 0`` in lzdocs.toml. While the ingest would wait
for a worker (one converting an old .doc), it reads the next files itself in the same way (``ReadAhead._read_next``).

After a run, a worker with nothing in hand may be kept as a ``Helper``, to take other work off the ingest while it
rewrites the registers (documents/register_helper.py).

The workers are started by ``spawn`` on every system (not ``fork``: the ingest may have threads — a progress bar,
a database driver — whose locks a forked child would inherit held) and ignore Ctrl-C, which the ingest handles: it
ends them at once. Each is served over a pipe by the ingest's own thread (``_Worker``); when the ingest dies (killed),
each worker ends as if it had been ended (``_end_with``)."""

from __future__ import annotations

import logging
import os
import pickle
import signal
import sys
import threading
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from lzdocs.ending import end_now
from lzdocs.errors import RejectedFile
from lzdocs.forms.records import CheckedRows, RawForm
from lzdocs.forms.schema import FormKind

log = logging.getLogger(__name__)

# A worker's copy becomes the kept original (``Ahead.copy``) — not on Windows: a file made in the private folder
# (mkdtemp: readable by its owner alone, an ACL its files inherit) would keep that ACL in the archive, where the
# office's other users read it. There the worker's copy is only read, and so not fsynced.
KEEPS_COPY = sys.platform != "win32"
READ_AHEAD_FROM = 8  # fewer files than this are read by the ingest itself: starting a worker costs a few tenths
# files read ahead per worker: enough to keep it busy through the ingest's slower moments (a commit, a folder
# fsynced) — with 3, a thousand forms took 0.35 s longer (the worker ran dry, and the ingest read in its stead)
WINDOW_PER_WORKER = 8
READ_HERE_AHEAD = 16  # files the ingest reads ahead itself while it waits for a worker, at most at a time
ENDS_CLEANLY = sys.platform != "win32"  # a worker ended (SIGTERM) stops its conversion itself (``_ended``)
PIPE_ROOM = 4096  # bytes of requests a worker has not answered, at most (``_Worker.has_room``): half a small pipe


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


def readers_setting(settings) -> int | None:
    """``[limits] readers`` as lzdocs.toml says it, checked (``Settings.limit``); None when it does not say."""
    return None if settings.get("limits", "readers") is None else settings.limit("readers", 0)


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
    each one's result (or None: read it yourself).

    Each worker is one process served over a pipe (``_Worker``): the ingest writes it a file to read and reads its
    answers, in the order asked, when it needs them — no thread of its own in the ingest (a pool's manager and feeder
    threads took the ingest's lock between Python's steps at every answer: a tenth of its time)."""

    def __init__(self, workers: int, kinds: Sequence[FormKind], limits, soffice_timeout: float, folder: Path,
                 same_as_above: bool = True, *, started: EarlyReaders | None = None):
        self.kinds = {kind.key: kind for kind in kinds}
        self.workers: list[_Worker] = started.take(workers) if started is not None else []
        more, failed = _start_workers(workers - len(self.workers))
        self.workers += more
        if failed is not None:  # no process to be had (a limit on processes, memory): read with those started
            log.warning("未能启动读取进程（%s），改由本进程读取", failed)
        if self.workers:  # the ingest's own kinds: a forms/ file saved meanwhile changes nothing of its run
            reading = _reading_file(folder, (list(kinds), limits, soffice_timeout, same_as_above, str(folder)))
            for worker in self.workers:
                worker.configure(reading)
        self.window = len(self.workers) * WINDOW_PER_WORKER
        self.queue: list[tuple[Path, bool, str]] = []  # (path, follow a link, the extension its copy keeps)
        self.next = 0  # the first of ``queue`` not yet handed to a worker
        self.pending: dict[Path, _Answer] = {}  # asked of a worker
        self.read_here: dict[Path, tuple | None] = {}  # read by the ingest itself while it waited (``_read_next``)
        self.own = _Reader(list(kinds), limits, soffice_timeout, same_as_above, str(folder))
        self.broken = not self.workers  # none could be started: the ingest reads every file itself
        self.up = False  # a worker has returned a result: from now on, waiting for one is shorter than reading

    def want(self, files: Sequence[tuple[Path, bool, str]]) -> None:
        self.queue = list(files)
        self.next = 0
        self.advance()

    def advance(self) -> None:
        """Keep ``window`` files ahead of the ingest in the workers' hands, read or being read: no further, or the
        workers would read the whole inbox ahead and the results wait in memory (every file of the queue is taken,
        ``take``, in its turn). Each goes to the worker with the fewest files in hand, and none to one that has as
        many again in hand that nobody takes any more (``abandon``): while the workers start, the ingest reads the
        files itself, and a request for each would pile up in the pipe — until the ingest waited to write to a
        worker that had not started, and that worker, once it had, to write an answer the ingest was not reading."""
        while not self.broken and self.next < len(self.queue) and len(self.pending) < self.window:
            worker = min(self.workers, key=_Worker.in_hand)  # (its answers come since received: ``asked`` is current)
            path, follow, suffix = self.queue[self.next]
            request = (str(path), follow, suffix)
            size = len(pickle.dumps(request))  # as the pipe carries it
            if len(worker.asked) >= 2 * WINDOW_PER_WORKER or not worker.has_room(size):
                return
            self.next += 1
            answer = worker.ask(request, size)
            if answer is None:  # the worker died: the ingest reads on its own from now on
                self.broken = True
            else:
                self.pending[path] = answer

    def take(self, path: Path) -> Ahead:
        """What a worker read of ``path``, waited for before the ingest claims the file (a file claimed first would
        be gone from where the worker looks): given the SHA-256 of the bytes the ingest took, the form — or its
        RejectedFile raised, as ``read_form`` would — and the worker's copy, if the worker read those very bytes;
        else None: read the file yourself."""
        if path in self.read_here:
            return Ahead(self.kinds, self.read_here.pop(path))
        answer = self.pending.pop(path, None)
        if answer is None and self.next < len(self.queue) and self.queue[self.next][0] == path:
            self.next += 1  # taken before a worker had room for it: no worker reads it now
        self.advance()
        # While the workers start, a result not ready is not waited for (a few tenths of a second) — except on
        # Windows, where a file a worker still has open cannot be renamed (claimed)
        if answer is None or not (self.up or answer.done() or sys.platform == "win32"):
            if answer is not None:
                answer.abandon()  # read all the same: its copy goes when the answer comes
            return Ahead(self.kinds, None)
        self.up = True
        while not answer.done() and self._read_next():
            pass
        result = answer.result()
        if answer.worker.dead:  # no more files for the workers: the ingest reads on its own
            self.broken = True
            if result is None:
                log.debug("预读 %s 未完成（读取进程已退出），改为直接读取", path)
        return Ahead(self.kinds, result)

    def _read_next(self) -> bool:
        """While the ingest waits for a worker, the next file no worker has been given is read here, as a worker
        reads it: the wait becomes reading the workers are spared. False when there is none, or when
        ``READ_HERE_AHEAD`` files read here wait already (a worker held up by an old .doc's conversion does not
        make the ingest read the whole inbox ahead into memory)."""
        if self.next >= len(self.queue) or len(self.read_here) >= READ_HERE_AHEAD:
            return False
        path, follow, suffix = self.queue[self.next]
        self.next += 1
        self.read_here[path] = self.own.read(path, follow, suffix)
        return True

    def close(self, *, stop: bool = False, keep: bool = False) -> Helper | None:
        """The workers told to end — or, ``stop`` (Ctrl-C), ended at once, as is one still reading what nobody will
        take: a copy one was writing goes with the ingest's private folder (the copies of answers never taken go).
        ``keep``: one worker with nothing in hand is kept, as a ``Helper`` for what follows the run."""
        for answer in self.pending.values():  # read, never taken (the run stopped): the worker's copy goes
            answer.abandon()
        self.pending.clear()
        for result in self.read_here.values():
            Ahead({}, result).discard()
        self.read_here.clear()
        kept = None
        if keep and not stop:
            kept = next((w for w in self.workers if not w.dead and w.in_hand() == 0), None)
            self.workers = [w for w in self.workers if w is not kept]
        try:
            for worker in self.workers:
                # Still reading what nobody will take (a file the ingest read itself while the worker started — an
                # old .doc converts for up to the time-out): ended at once, as for a Ctrl-C — not on Windows, where
                # ending a process is killing it, and its LibreOffice would run on.
                worker.close(stop=stop or (ENDS_CLEANLY and worker.in_hand() > 0))
        except BaseException:  # a Ctrl-C while one was waited for: all ended at once, as for any Ctrl-C
            for worker in [*self.workers, *([kept] if kept else [])]:
                worker.close(stop=True)
            raise
        finally:
            self.own.close()
        return Helper(kept) if kept is not None else None


class EarlyReaders:
    """Readers started as an ingest begins, before it knows its files: a process takes about as long to start (two
    tenths of a second) as the ingest takes to load its modules and find its files, and the first files are read
    twice meanwhile — by the ingest, and by a worker that has only just started (``ReadAhead.take``). The run's
    ``ReadAhead`` takes them (``take``); those it does not take are ended (``close``)."""

    def __init__(self, count: int):
        # (no process to be had: the run starts its own, or reads on its own and says why: ``ReadAhead``)
        self.workers, _ = _start_workers(count)

    @classmethod
    def for_inbox(cls, inbox: Path, setting: float | None = None) -> EarlyReaders | None:
        """As many readers as an ingest of ``inbox`` would start (``workers_for``), counting what its top folder
        holds as the run's listing would (not lock files, litter or 退回/), as far as ``READ_AHEAD_FROM`` entries: an
        inbox with fewer is taken without readers, or with those the run starts once it has found more files in the
        subfolders; a folder counts as one, whatever it holds. None when there would be none."""
        from lzdocs.ingest.scan import OWN_FOLDERS, is_ignored

        try:
            with os.scandir(inbox) as entries:
                waiting = sum(1 for _, _ in zip(range(READ_AHEAD_FROM), (
                    e for e in entries if not is_ignored(e.name) and e.name not in OWN_FOLDERS)))
        except OSError:  # no inbox there: the run says so
            return None
        count = workers_for(waiting, setting)
        return cls(count) if count else None

    def take(self, count: int) -> list[_Worker]:
        """Up to ``count`` of them, no longer this one's to end."""
        taken, self.workers = self.workers[:count], self.workers[count:]
        return taken

    def close(self) -> None:
        """Those not taken ended at once: they have been given nothing to read."""
        for worker in self.take(len(self.workers)):
            worker.close(stop=True)


@contextmanager
def _no_ctrl_c_for_it():
    """While a worker is started: SIGINT blocked in this thread, so that the worker starts with it blocked (a
    process inherits the mask of the thread that starts it) until it ignores Ctrl-C (``_start_worker``), as
    multiprocessing starts its resource tracker. A terminal's Ctrl-C goes to every process of the command: one
    that came while a worker loaded its modules printed an English traceback beside the ingest's message. Here the
    signal waits the few milliseconds, or goes to another thread, and Python's handler runs in the main thread all
    the same: not lost (as when the ingest ignored it for that moment, and a progress bar's thread took it)."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: a worker gets no Ctrl-C of the console it was not given
        yield
        return
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()  # first: starting it ends by unblocking SIGINT here, whatever the mask was
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])  # (asked only; a Ctrl-C raised here changes nothing)
    try:  # a Ctrl-C handled as the mask changes is raised from the call: the mask is put back all the same
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _start_workers(count: int) -> tuple[list[_Worker], OSError | None]:
    """Up to ``count`` reader processes started, and why the next one could not be, if one could not."""
    workers: list[_Worker] = []
    for _ in range(count):
        try:
            workers.append(_Worker())
        except OSError as exc:
            return workers, exc
    return workers, None


def _reading_file(folder: Path, reading: tuple) -> Path:
    """``reading`` pickled into a new file of the private folder ``folder``, for the workers (``configure``)."""
    path = Path(folder) / f"reading-{uuid.uuid4().hex}.pickle"
    with open(path, "xb") as out:
        pickle.dump(reading, out)
    return path


class _Worker:
    """A reader process, served over a pipe: the files it is asked to read in, its answers out in the same order."""

    def __init__(self):
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.conn, theirs = context.Pipe()
        self.process = context.Process(target=_serve, args=(theirs,), name="lzdocs-reader", daemon=True)
        with _no_ctrl_c_for_it():
            self.process.start()
        theirs.close()
        self.asked: deque[_Answer] = deque()  # asked, not answered yet, in order
        self.asked_bytes = 0  # their requests' size, as written to the pipe
        self.dead = False

    def configure(self, reading: Path) -> None:
        """What it reads with — form kinds, limits, the conversion's time-out, ``same_as_above``, the private folder
        its copies go to (``_Reader``), in the file ``reading`` (``_reading_file``): the first thing it is sent, read
        as soon as it has started. Only the file's name goes through the pipe: the pipe holds 8 KiB on Windows and
        macOS, and what waits in it unread while the worker starts must leave room for the requests
        (``has_room``) — the form kinds alone take some 4 KB, 2 KB more for each a workspace adds."""
        try:
            self.conn.send(str(reading))
        except (OSError, ValueError):  # it died (a broken pipe)
            self._died()

    def has_room(self, size: int) -> bool:
        """Whether a request of ``size`` bytes fits in the pipe beside those not answered yet (one always does): the
        requests the worker has not read must never fill the pipe, or the ingest, writing one more, would wait for a
        worker that waits in turn to write a large answer the ingest is not reading — a pipe holds 8 KiB at least
        (Windows' named pipes as multiprocessing makes them, a socket pair on macOS), however long the inbox's
        paths."""
        return not self.asked or self.asked_bytes + size <= PIPE_ROOM

    def ask(self, request: tuple, size: int) -> _Answer | None:
        if self.dead:
            return None
        try:
            self.conn.send(request)
        except (OSError, ValueError):  # it died (a broken pipe)
            self._died()
            return None
        answer = _Answer(self, size)
        self.asked.append(answer)
        self.asked_bytes += answer.size
        return answer

    def in_hand(self) -> int:
        """How many of the files it was asked to read it has not answered yet (those answered since, received)."""
        while self.receive(wait=False):
            pass
        return len(self.asked)

    def receive(self, wait: bool) -> bool:
        """The next answer given to whoever asked it, if one has come (``wait``: once it comes). False when none
        came — or the worker died: then every answer still due is None."""
        if not self.asked or (not wait and not self.conn.poll()):
            return False
        try:
            result = self.conn.recv()
        except Exception:  # EOF: it died (its answers half sent are lost with it)
            self._died()
            return False
        answer = self.asked.popleft()
        self.asked_bytes -= answer.size
        answer.given(result)
        return True

    def _died(self) -> None:
        self.dead = True
        self.asked_bytes = 0
        while self.asked:
            self.asked.popleft().given(None)

    def close(self, *, stop: bool) -> None:
        if not stop and not self.dead:
            try:
                self.conn.send(None)  # end, after answering what it was asked
                while self.receive(wait=True):
                    pass
            except (OSError, ValueError):
                pass
        if self.process.is_alive() and (stop or self.dead):
            self.process.terminate()  # it stops a conversion under way (``_ended``), at once
            self.process.join(10)
            if self.process.is_alive():
                self.process.kill()
        self.process.join()
        self.conn.close()
        self._died()


class _Answer:
    """A worker's answer for one file, once it has come (``done``, ``result``: received from the worker's pipe when
    asked for); ``abandon``: nobody will take it, its copy goes as soon as it comes."""

    def __init__(self, worker: _Worker, size: int):
        self.worker, self.size = worker, size  # the size of its request, as written to the pipe
        self.came, self.value, self.abandoned = False, None, False

    def given(self, value) -> None:
        self.came, self.value = True, value
        if self.abandoned:
            Ahead({}, value).discard()

    def done(self) -> bool:
        while not self.came and self.worker.receive(wait=False):
            pass
        return self.came

    def result(self) -> tuple | None:
        while not self.came:
            self.worker.receive(wait=True)
        return self.value

    def abandon(self) -> None:
        self.abandoned = True
        if self.came:
            Ahead({}, self.value).discard()


class Ahead:
    """What a worker read of one file, for the bytes whose SHA-256 the ingest gives: the form (``__call__``, as
    ``read_form`` gives it, or raising its RejectedFile, with its rows checked: ``check_rows``) and the worker's
    durable copy of them (``copy``); None for other bytes — then the ingest reads and copies the file itself.
    ``discard`` removes a copy not taken."""

    def __init__(self, kinds: dict[str, FormKind], result: tuple | None):
        self.kinds, self.result = kinds, result

    def __call__(self, sha: str) -> tuple[RawForm, CheckedRows] | None:
        if self.result is None or self.result[0] != sha:
            return None
        what, value = self.result[1]
        if what == "rejected":
            problems, unit, year, kind = value
            exc = RejectedFile(problems)
            exc.unit, exc.year, exc.kind = unit, year, kind
            raise exc
        form, rows = value
        form.kind = self.kinds[form.kind]  # the worker read with these very kinds
        return form, rows

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


class Call(NamedTuple):
    """A function for a kept worker to run (``Helper``), with its arguments: one of lzdocs, pickled by its name (the
    worker imports its module); ``reply``: its result sent back, else only its failure remembered."""

    function: Callable[..., Any]
    args: tuple
    reply: bool


class HelperGone(Exception):
    """A helper that died, or whose work failed (said by the message): the ingest does that work itself."""


class Helper:
    """A reader process kept after a run (``ReadAhead.close(keep=True)``), idle otherwise, to take work off the
    ingest meanwhile — the 公示表 from the 汇总表's rows (documents/register_helper.py). ``tell`` it to run a
    function, ``ask`` for a function's result (``result``: the answers come in the order asked); HelperGone when it
    died, or the work failed — a function told that failed, or could not be sent, fails every one after it. Nothing
    it does is needed: whoever uses it does the work itself when it fails."""

    def __init__(self, worker: _Worker):
        self.worker = worker
        self.asked = 0  # the answers asked for
        self.answered: dict[int, tuple] = {}  # received, not yet taken (by the order asked)
        self.received = 0
        self.unsent: str | None = None  # why a call could not be sent (pickled): the calls after it are not either

    def tell(self, function: Callable[..., Any], *args) -> None:
        self._send(Call(function, args, False))

    def ask(self, function: Callable[..., Any], *args) -> int:
        """Run ``function``; returns the ticket of its answer (``result``)."""
        self._send(Call(function, args, True))
        self.asked += 1
        return self.asked - 1

    def result(self, ticket: int):
        while ticket not in self.answered:
            try:
                self.answered[self.received] = self.worker.conn.recv()
            except Exception as exc:  # EOF: it died
                self.worker.dead = True
                raise HelperGone("辅助进程已退出") from exc
            self.received += 1
        done, value = self.answered.pop(ticket)
        if not done:
            raise HelperGone(value)
        return value

    def _send(self, call: Call) -> None:
        if self.worker.dead:
            raise HelperGone("辅助进程已退出")
        if self.unsent is not None:
            raise HelperGone(self.unsent)
        try:
            self.worker.conn.send(call)
        except (OSError, ValueError) as exc:  # it died (a broken pipe)
            self.worker.dead = True
            raise HelperGone("辅助进程已退出") from exc
        except Exception as exc:  # a value that cannot be pickled: nothing of it was written to the pipe
            self.unsent = f"{type(exc).__name__}: {exc}"
            raise HelperGone(self.unsent) from exc

    def close(self, *, stop: bool = False) -> None:
        """Ended when told (after what it was given, its answers not taken read: it would wait to write a large
        one), or at once (``stop``: a Ctrl-C)."""
        while not stop and not self.worker.dead and self.received < self.asked:
            try:
                self.result(self.received)
            except HelperGone:  # a failure it answered with, or it died
                pass
        self.worker.close(stop=stop or self.worker.dead)


# --- in the worker ---------------------------------------------------------------------------


def _start_worker() -> None:
    """As a worker starts: Ctrl-C left to the ingest, SIGTERM ending it cleanly, its end tied to the ingest's."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the ingest's to handle; it shuts the workers down
    if hasattr(signal, "pthread_sigmask"):  # started with it blocked (``_no_ctrl_c_for_it``): one that came is dropped
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGTERM, _ended)
    import multiprocessing

    parent = multiprocessing.parent_process()
    if parent is not None:  # an ingest killed (SIGKILL) shuts nobody down: its workers go with it, not writing on
        threading.Thread(target=_end_with, args=(parent, threading.main_thread().ident), daemon=True).start()


def _end_with(parent, main_thread: int) -> None:
    """Once the ingest is gone (killed: it ended nobody), the worker ends as when ended (``_ended``): its reading
    thread stopped with a conversion under way and its LibreOffice — or, if that takes too long, at once."""
    import time

    parent.join()
    if hasattr(signal, "pthread_kill"):  # (not on Windows: there a conversion runs in no session of its own)
        signal.pthread_kill(main_thread, signal.SIGTERM)  # to the thread that reads, so that it stops where it is
        time.sleep(ENDED_WITHIN)
    os._exit(1)


ENDED_WITHIN = 10.0  # seconds a worker whose ingest was killed has to end its conversion


def _ended(signum, frame) -> None:
    """Ended by the ingest (``_Worker.close``, a Ctrl-C): as a Ctrl-C ends the ingest's own reading — a conversion
    under way stopped with its LibreOffice, which runs in a session of its own and would run on, and its folders
    removed. Once: a second SIGTERM (the ingest killed meanwhile: ``_end_with``) does not cut that clean-up short."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise SystemExit(1)


def _serve(conn) -> None:
    """A worker's life: its reading modules loaded while the ingest finds its files; then what it reads with
    (``_Worker.configure``); then each file it is asked to read (``_Reader.read``) read and answered, until told to
    end (None) or the ingest is gone (the pipe closed)."""
    _start_worker()
    try:
        import lzdocs.forms.checks
        import lzdocs.forms.reader
        import lzdocs.fsutil  # noqa: F401

        try:
            told = conn.recv()
        except (EOFError, OSError):
            return
        if told is None:
            return
        try:
            with open(told, "rb") as given:  # (``_Worker.configure``)
                reading = pickle.load(given)
        except Exception:  # the ingest finds it gone at its first request, and reads the files itself
            log.debug("读取进程未能取得读取设置", exc_info=True)
            return
        reader = _Reader(*reading)
        _answer(conn, reader)
        reader.close()
    finally:  # ending anyway: a SIGTERM now (``_end_with``) would only interrupt the interpreter's own shutting down
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    end_now(0)  # told to end, or the ingest gone: not torn down while the ingest waits for it (a twentieth of a second)


def _answer(conn, reader: _Reader) -> None:
    failed = None  # what a function told failed with (``Helper``): the calls after it fail with it
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        if isinstance(request, Call):
            failed = _call(conn, request, failed)
            continue
        path, follow, suffix = request
        result = reader.read(Path(path), follow, suffix)
        try:
            conn.send(result)
        except (OSError, ValueError):  # the ingest is gone
            Ahead({}, result).discard()
            return
        except Exception:  # what it read could not be sent (pickled): the ingest reads the file itself
            Ahead({}, result).discard()
            conn.send(None)


def _call(conn, call: Call, failed: str | None) -> str | None:
    """Run ``call`` (``Helper``), unless one told before it failed; its answer sent back if asked for. Returns what
    failed."""
    if failed is None:
        try:
            answer = (True, call.function(*call.args))
        except Exception as exc:  # said to the ingest, which does the work itself
            failed = f"{type(exc).__name__}: {exc}"
            log.debug("辅助进程的工作失败", exc_info=True)
    if not call.reply:
        return failed
    if failed is not None:
        answer = (False, failed)
    try:
        conn.send(answer)
    except (OSError, ValueError):  # the ingest is gone
        pass
    except Exception as exc:  # what it returned could not be sent (pickled)
        failed = f"{type(exc).__name__}: {exc}"
        conn.send((False, failed))
    return failed


class _Reader:
    """Reading a file ahead (``read``), in a worker or in the ingest itself: the form kinds, the limits, the
    conversion's time-out, and a thread that fsyncs each copy while it is read."""

    def __init__(self, kinds: Sequence[FormKind], limits, soffice_timeout: float, same_as_above: bool, folder: str):
        self.kinds, self.limits, self.soffice_timeout = kinds, limits, soffice_timeout
        self.same_as_above, self.folder = same_as_above, folder
        self._syncer: ThreadPoolExecutor | None = None

    def close(self) -> None:
        if self._syncer is not None:
            self._syncer.shutdown(wait=True)

    def read(self, path: Path, follow: bool, suffix: str) -> tuple[str, tuple, str, int] | None:
        """(SHA-256 of the bytes read, ("form", (RawForm, its ``check_rows``)) or ("rejected", (problems, unit, year,
        kind)), the path of their durable copy, the original's permissions it was given); None when the file is not
        there, not a regular file, over the size limit, or its reading failed unexpectedly — the ingest then meets it
        itself and says what it says."""
        from lzdocs.forms.checks import check_rows
        from lzdocs.forms.reader import read_form
        from lzdocs.fsutil import copy_durably, fsync_file, open_regular

        limits = self.limits
        copy = Path(self.folder) / f"ahead-{uuid.uuid4().hex}{suffix}"
        try:
            with open_regular(path, follow_symlinks=follow) as src:
                found = os.fstat(src.fileno())
                if found.st_size > limits.max_file_bytes:
                    return None
                sha = copy_durably(src, copy, mode=found.st_mode & 0o666, sync=False)  # as the ingest keeps an original
            synced = None
            if KEEPS_COPY:  # fsynced while it is read (the disk's wait, not the reader's), as it may be kept
                self._syncer = self._syncer or ThreadPoolExecutor(1)
                synced = self._syncer.submit(fsync_file, copy)
            try:
                form = read_form(copy, self.kinds, limits, soffice_timeout=self.soffice_timeout)
                rows = check_rows(form, self.same_as_above)  # the checks that need neither the day nor the roster
                form.kind = form.kind.key  # the ingest puts back its own FormKind of that key
                payload = ("form", (form, rows))
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

"""Ctrl-C that is never lost.

CPython raises KeyboardInterrupt wherever the main thread happens to be when it handles the signal, also inside a
finalizer (a ZipFile's ``__del__`` as garbage is collected), where the exception is swallowed ("Exception ignored
in …"): a long ingest then ran on to its end as if Ctrl-C had not been pressed. While a command runs, the CLI puts
:func:`handler` in place, which notes the request as well as raising; long loops call :func:`check` between their
steps (a file, a letter, a table), which raises KeyboardInterrupt again when a request was swallowed, and the
command ends with it if no step came after. The swallowed one is not reported either ("Exception ignored in …" and
a traceback, which a clerk would take for a crash): Python's report of it is left out while the handler is in place.
Used as a library, nothing is installed and :func:`check` does nothing.
"""

from __future__ import annotations

import errno
import functools
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
_requested = False
_saved: str | None = None  # what the command saved and reports before it ends (reporting())
_presses = 0  # the Ctrl-Cs noted since, not raised (at most HELD)
_noting = False  # noted() is in force (its handler may be held by deferred() for a moment)
HELD = 2  # Ctrl-Cs noted once the work is saved; the next is raised where it lands
NOT_STARTED = "已中断（Ctrl-C）：命令还没有开始，没有做任何改动。"


def on_stop_signals(handler: Callable[[int, object], None]) -> Callable[[], None]:
    """``handler`` for each signal that asks a long-running command to stop — Ctrl-C, SIGTERM (a service manager,
    ``kill``) and, on Windows, Ctrl-Break — where this thread may set handlers (the main one); returns a function
    that puts back the handlers before (``lzdocs watch``, ``lzdocs serve``)."""
    previous = {}
    for name in ("SIGINT", "SIGTERM", "SIGBREAK"):
        signum = getattr(signal, name, None)
        if signum is not None:
            try:
                previous[signum] = signal.signal(signum, handler)
            except (OSError, ValueError):  # not the main thread, or not settable on this platform
                pass

    def restore() -> None:
        for signum, old in previous.items():
            signal.signal(signum, old)

    return restore


def handler(signum, frame) -> None:
    """SIGINT: note the request, then do what Python's own handler does — unless the command has saved work to
    report (:func:`reporting`): the first two are then only noted."""
    global _requested, _presses
    _requested = True
    if _saved is not None and _presses < HELD:
        _presses += 1
        return
    raise KeyboardInterrupt


def check() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed while :func:`noted` is in force (even where it was lost); only in
    the main thread, which the signal is for. Raised once: the request is then said."""
    global _requested
    if _requested and threading.current_thread() is threading.main_thread() and \
            signal.getsignal(signal.SIGINT) is handler:
        _requested = False
        raise KeyboardInterrupt


def handled() -> None:
    """The Ctrl-C just caught is dealt with by the caller (a letter batch stops, then registers and reports what it
    did): :func:`check` and :func:`noted` do not raise it again. A further Ctrl-C is a new request."""
    global _requested
    _requested = False


def reporting(done: str, *, stopped: bool = False) -> None:
    """The command's work is saved, or is being saved in a step too short to stop (a reply recorded): ``done`` says
    it, and the command must report it whenever Ctrl-C comes — a report lost would leave the clerk not knowing
    what was done (the 文号 just issued). From now on Ctrl-C does not stop the command wherever it lands. The first
    is noted: the step under way finishes (a letter, the registers), a loop stops at its next :func:`check`, no
    optional work starts and no wait goes on (:func:`pressed`, :func:`stop_waiting`: a PDF, another program's lock).
    A second also stops the step under way at its next :func:`stop_step` (the registers between books). The
    command then reports and ends as interrupted, saying ``done`` (the latest given). A third Ctrl-C is raised
    where it lands, as a way out of anything. Only while the command line's handler is in place (:func:`noted`); a
    library call is not changed. ``stopped``: a Ctrl-C caught already stopped the work (an ingest run's loop), and
    counts as the first."""
    global _saved, _presses
    if _noting and threading.current_thread() is threading.main_thread():
        _saved = done
        if (_requested or stopped) and not _presses:  # one that came as the work was saved, and was taken in there
            _presses = 1


def pressed() -> bool:
    """Whether a Ctrl-C was noted since the work was saved (:func:`reporting`)."""
    return _presses > 0


def stop_waiting() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C was noted since the work was saved (:func:`pressed`): a wait on something
    else — LibreOffice converting, another program's lock — is no step to finish, and ends with it."""
    if _presses:
        raise KeyboardInterrupt


def wait_in_slices(attempt: Callable[[float], T], timeout: float, expired: type[BaseException], step: float) -> T:
    """``attempt(seconds)`` — a wait that raises ``expired`` when its seconds pass (a lock taken, a process ended) —
    given ``step`` seconds at a time until ``timeout`` has passed (then ``expired`` goes on up), with
    :func:`stop_waiting` between: what it returns."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return attempt(max(0.0, min(step, deadline - time.monotonic())))
        except expired:
            if time.monotonic() >= deadline:
                raise
            stop_waiting()


def holding() -> bool:
    """Whether a Ctrl-C is now only noted, not raised (:func:`reporting` in force, in the main thread): a write
    that a signal interrupts then goes on (``cli.common.Env``)."""
    return _saved is not None and _noting and threading.current_thread() is threading.main_thread()


def stop_step() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed twice since the work was saved: the step under way (the
    registers, between two books) stops; what it leaves is done by the next command."""
    if _presses > 1:
        raise KeyboardInterrupt


@contextmanager
def deferred():
    """Ctrl-C waits until the block is done, then takes effect as it would have: for the few steps that must
    happen together or not at all (a name reserved and the record that owns it; a file put in place and its
    entry in the manifest; a LibreOffice started and the process that ends it). Pressed a second time, it takes
    effect at once — a block that waits on something else (another program's lock on the archive) is never one
    Ctrl-C cannot end; what it leaves is what a killed process leaves, which the next run puts right; a second
    signal comes to the handlers after the first, each in its turn. A SIGTERM the program handles itself (a reader
    worker ended by the ingest, forms/ahead.py) waits in the same way; a signal ignored is not held (a worker's
    Ctrl-C: it would count as a first signal and let the SIGTERM through at once). Only the main thread receives
    signals; elsewhere, or where signals cannot be set, the block simply runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = [signum for signum in (signal.SIGINT, getattr(signal, "SIGTERM", None))
            if signum is not None and _holds(signum, signal.getsignal(signum))]
    previous = {signum: signal.getsignal(signum) for signum in held}
    asked: list = []

    def note(signum, frame):
        asked.append((signum, frame))
        if len(asked) > 1:  # again: now — each signal noted goes to its handler, in turn (a handler that stops at
            give_back()  # the second sees both; so does an outer block)
            replay()

    def replay() -> None:
        for signum, frame in asked:
            _deliver(previous[signum], signum, frame)

    def give_back() -> bool:
        """The handlers put back, unless a second signal did already: whether this did."""
        mine = [signum for signum in held if signal.getsignal(signum) is note]
        for signum in mine:
            signal.signal(signum, previous[signum])
        return bool(mine)

    if not held:
        yield
        return
    try:
        for signum in held:
            signal.signal(signum, note)
    except (ValueError, OSError):  # signals not available here
        give_back()
        yield
        return
    try:
        yield
    finally:
        if give_back() and asked:
            replay()


def _holds(signum, handler) -> bool:
    """Whether ``deferred`` holds ``signum``: Ctrl-C unless it is ignored (a reader worker's: it must not count as a
    first signal there), SIGTERM where the program handles it itself."""
    if handler == signal.SIG_IGN or handler is None:
        return False
    return callable(handler) or signum == signal.SIGINT


def _deliver(handler, signum, frame) -> None:
    """What ``handler`` (a handler of ``signum`` as ``signal.getsignal`` gives it) does with the signal that came."""
    if callable(handler):
        handler(signum, frame)
    elif handler == signal.SIG_DFL:
        os.kill(os.getpid(), signum)


def cut_short(exc: BaseException) -> bool:
    """Is ``exc`` a Ctrl-C (or an error raised from one), or the "Bad file descriptor" of a clean-up that a Ctrl-C
    cut short? Python's own ``shutil.rmtree`` closes a descriptor and, if the signal lands before it notes that,
    closes it again in its ``finally``: OSError(EBADF) with the KeyboardInterrupt as its context. That error is the
    interruption's, not a fault of the disk to report. Any other error met while a Ctrl-C unwound (a file that
    could not be moved back) is a real one, and is said as such. ``exc`` may be the FileAccessError made from the
    OSError."""
    if isinstance(exc, KeyboardInterrupt) or isinstance(exc.__cause__, KeyboardInterrupt):
        return True  # the second: Python 3.11 wraps a Ctrl-C met while a class is made ("Error calling __set_name__")
    error = exc if isinstance(exc, OSError) else exc.__cause__
    if not isinstance(error, OSError) or error.errno != errno.EBADF:
        return False
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


@contextmanager
def as_interruption():
    """An error that is really a Ctrl-C (:func:`cut_short`) comes out of the block as the KeyboardInterrupt."""
    try:
        yield
    except Exception as exc:
        if cut_short(exc):
            raise KeyboardInterrupt from exc
        raise


def _unraisable(report, *, passed_on) -> None:
    """``sys.unraisablehook`` while the handler is in place: a Ctrl-C swallowed in a finalizer, or the error of a
    clean-up it cut short there (the ingest's private folder removed with rmtree: EBADF), is noted, not an error to
    print; anything else goes to the hook that was there before."""
    if _requested and cut_short(report.exc_value):
        return
    passed_on(report)


@contextmanager
def noted():
    """:func:`handler` for SIGINT for the block, where Python's default handler is in place in the main thread;
    the handler before is put back afterwards. A request noted but lost (in the last step, or in work that does not
    check, such as the registers rebuilt at the end) is raised when the block ends; so is one noted after the work
    was saved (:func:`reporting`), saying what was done, in place of the exit status the command ended with."""
    global _requested, _saved, _presses, _noting
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    _requested, _saved, _presses, _noting = False, None, 0, True
    before = sys.unraisablehook
    sys.unraisablehook = functools.partial(_unraisable, passed_on=before)
    signal.signal(signal.SIGINT, handler)
    try:
        yield
    except SystemExit as exc:  # a batch with rows refused (exit 1) after a Ctrl-C was noted: said as interrupted
        if not _presses or exc.code not in (None, 0, 1):
            raise
        raise KeyboardInterrupt(_said(_saved)) from None
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.unraisablehook = before
        asked, late, done = _requested, bool(_presses), _saved
        _requested, _saved, _presses, _noting = False, None, 0, False
    if asked or late:
        raise KeyboardInterrupt(_said(done) if late else "")


def _said(done: str | None) -> str:
    return f"已中断（Ctrl-C）：{done}（见上）。"

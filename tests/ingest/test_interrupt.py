"""Ctrl-C during an ingest is never lost: one that Python swallowed in a finalizer (a ZipFile's ``__del__`` as
garbage is collected: "Exception ignored in …") stops the run before the next file, which stays in the inbox."""

from __future__ import annotations

import datetime as dt
import errno
import os
import signal
import sys

import pytest

from lzdocs import interrupts
from lzdocs.errors import LzdocsError as LzdocsErrorType
from lzdocs.ingest import Ingest
from tests.conftest import SAMPLE_ROWS

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="SIGINT raised in this process"),
              pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]  # the swallowed one


class _Garbage:
    """An object whose finalizer is where Ctrl-C arrives."""

    def __del__(self):
        signal.raise_signal(signal.SIGINT)  # handled at once, inside __del__: the KeyboardInterrupt is swallowed
        sum(range(10))


def _forms(workspace, make_form, n: int) -> list[str]:
    names = [f"表{i}.xlsx" for i in range(n)]
    for i, name in enumerate(names):
        make_form(workspace.inbox / name, unit="计划财务处", rows=[dict(SAMPLE_ROWS[0], risk=f"风险{i}")])
    return names


def test_a_ctrl_c_swallowed_by_a_finalizer_stops_the_ingest_before_the_next_file(workspace, store, make_form):
    names = _forms(workspace, make_form, 3)

    def progress(i, n, name):
        if i == 2:  # Ctrl-C while the second form is taken: it is finished, the third stays
            _Garbage()

    ingest = Ingest(workspace, store, today=dt.date(2026, 11, 28), progress=progress)
    outcomes = []
    with pytest.raises(KeyboardInterrupt, match="收表已中断，此前收下的表格都已保存"), interrupts.noted():
        outcomes = ingest.run_inbox()  # the run stops and returns what it took; the command then ends as interrupted
    assert [o.file for o in outcomes] == [f"inbox/{name}" for name in names[:2]] and ingest.interrupted == 1
    assert [p.name for p in workspace.inbox.iterdir() if p.is_file()] == names[2:]
    assert sorted(p.name for p in (workspace.root / "outbox/2026/收文/计划财务处").iterdir()) == names[:2]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back after the block

    ingest = Ingest(workspace, store, today=dt.date(2026, 11, 28))  # the next run takes the rest
    assert [o.status for o in ingest.run_inbox()] == ["accepted"]


def test_without_the_handler_in_place_the_swallowed_ctrl_c_is_lost(workspace, store, make_form):
    """What the handler is for: Python's own loses it, and the run goes on to the end."""
    _forms(workspace, make_form, 2)
    ingest = Ingest(workspace, store, today=dt.date(2026, 11, 28),
                    progress=lambda i, n, name: _Garbage() if i == 2 else None)
    assert [o.status for o in ingest.run_inbox()] == ["accepted", "accepted"]


def test_one_swallowed_in_the_last_file_ends_the_command_with_it(workspace, store, make_form):
    """No step comes after it: the work is done and kept, and the block ends with the KeyboardInterrupt (exit 130)."""
    names = _forms(workspace, make_form, 2)
    ingest = Ingest(workspace, store, today=dt.date(2026, 11, 28),
                    progress=lambda i, n, name: _Garbage() if i == 2 else None)
    outcomes = []
    with pytest.raises(KeyboardInterrupt), interrupts.noted():
        outcomes = ingest.run_inbox()
    assert [o.status for o in outcomes] == ["accepted", "accepted"]
    assert sorted(p.name for p in (workspace.root / "outbox/2026/收文/计划财务处").iterdir()) == names
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back, though it ended raising


def test_the_cli_says_interrupted_when_ctrl_c_was_swallowed_in_the_last_file(workspace, make_form, monkeypatch):
    from lzdocs.ingest import pipeline
    from tests.conftest import run_cli

    _forms(workspace, make_form, 2)
    real = pipeline.Ingest.take_inbox_file

    def take(self, path, seen=None):
        outcome = real(self, path, seen)
        if path.name == "表1.xlsx":
            _Garbage()
        return outcome

    monkeypatch.setattr(pipeline.Ingest, "take_inbox_file", take)
    proc = run_cli("-w", workspace.root, "ingest", check=130)
    assert "已中断（Ctrl-C）" in proc.stderr and proc.stdout.count("[已收取]") == 2


@pytest.mark.parametrize("said", ["as Python raised it", "in Chinese"])
def test_a_clean_up_that_ctrl_c_cuts_short_is_reported_as_the_interruption(workspace, make_form, monkeypatch, said):
    """Ctrl-C inside a clean-up can make the clean-up fail in its turn. Python's shutil.rmtree closes its descriptor
    and, if the signal lands before the next line, closes it again in its ``finally``: "Bad file descriptor". Once
    in a CI run that ended a Ctrl-C'd ingest with "读写文件时出错" (exit 2). Here the second form's clean-up does just
    that: the command still says it was interrupted, and nothing is lost."""
    import os

    from lzdocs.errors import from_os_error
    from lzdocs.ingest import claims, pipeline
    from tests.conftest import run_cli

    names = _forms(workspace, make_form, 3)
    real, calls = claims.release, []

    def release(claim, *slots):
        real(claim, *slots)
        calls.append(claim.original_name)
        if len(calls) == 2:  # shutil.rmtree's pattern, with Ctrl-C between its close and the line after it
            fd = os.open(workspace.root, os.O_RDONLY)
            try:
                os.close(fd)
                raise KeyboardInterrupt
            finally:
                try:
                    os.close(fd)  # the second close: OSError(EBADF), with the KeyboardInterrupt as its context
                except OSError as exc:
                    if said == "in Chinese":  # as the library's own clean-ups pass it on (from_os_error)
                        raise from_os_error(exc) from exc
                    raise

    monkeypatch.setattr(pipeline.cl, "release", release)
    proc = run_cli("-w", workspace.root, "ingest", check=130)
    assert "已中断（Ctrl-C）" in proc.stderr and "Bad file descriptor" not in proc.stderr + proc.stdout
    run_cli("-w", workspace.root, "ingest", check=0)  # the next run finishes what was cut short
    kept = sorted(p.name for p in (workspace.root / "outbox/2026/收文/计划财务处").iterdir())
    assert kept == names and not any(p.is_file() for p in workspace.inbox.iterdir())  # each form once, none lost


def test_only_a_ctrl_c_and_the_bad_descriptor_of_a_clean_up_it_cut_short_are_the_interruption():
    """A real error met while Ctrl-C unwound (a file that could not be moved back) is said as itself."""
    from lzdocs.errors import from_os_error

    def during_ctrl_c(error: BaseException) -> BaseException:
        try:
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt:
                raise error from None  # the context is kept even when suppressed for display
        except BaseException as exc:
            return exc

    ebadf = OSError(errno.EBADF, "Bad file descriptor")
    assert interrupts.cut_short(KeyboardInterrupt())
    assert not interrupts.cut_short(OSError(errno.EBADF, "Bad file descriptor"))  # no Ctrl-C: a fault of its own
    assert interrupts.cut_short(during_ctrl_c(ebadf))
    translated = during_ctrl_c(OSError(errno.EBADF, "Bad file descriptor"))
    try:
        raise from_os_error(translated) from translated
    except LzdocsErrorType as exc:
        assert interrupts.cut_short(exc)
    assert not interrupts.cut_short(during_ctrl_c(PermissionError(errno.EACCES, "Permission denied", "作废/x.docx")))
    assert not interrupts.cut_short(during_ctrl_c(ValueError("a bug")))
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise RuntimeError("Error calling __set_name__") from exc  # Python 3.11's wrapping of it
    except RuntimeError as exc:
        assert interrupts.cut_short(exc)
    loop = OSError(errno.EBADF, "a cycle")
    loop.__context__ = OSError("b")
    loop.__context__.__context__ = loop
    assert not interrupts.cut_short(loop)


def test_a_request_counts_only_in_the_main_thread_while_the_handler_is_in_place():
    import threading

    raised = []
    with interrupts.noted():
        interrupts._requested = True  # as after a swallowed Ctrl-C
        worker = threading.Thread(target=lambda: raised.append(_raises(interrupts.check)))
        worker.start()
        worker.join()
        assert raised == [False]  # another thread (a library ingest) is not stopped by it
        assert _raises(interrupts.check)
        interrupts._requested = False
    interrupts._requested = True  # left over (a second Ctrl-C as the handler was put back): no longer in force
    try:
        assert not _raises(interrupts.check)
    finally:
        interrupts._requested = False


def _raises(call) -> bool:
    try:
        call()
    except KeyboardInterrupt:
        return True
    return False


def test_a_ctrl_c_swallowed_by_a_finalizer_is_not_reported_as_an_error(monkeypatch):
    """Python would print "Exception ignored in …" with a traceback, which a clerk takes for a crash; the command
    ends with its own message instead. Other errors in finalizers are still reported."""
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)  # where Python reports them

    class Broken:
        def __del__(self):
            raise ValueError("坏了")

    class CutShort:
        """A clean-up in a finalizer (the ingest's private folder, removed with shutil.rmtree) that the Ctrl-C
        interrupts and that fails in its turn: rmtree's descriptor closed twice."""

        def __del__(self):
            fd = os.open(".", os.O_RDONLY)
            try:
                os.close(fd)
                signal.raise_signal(signal.SIGINT)
            finally:
                os.close(fd)  # OSError(EBADF), its context the KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), interrupts.noted():
        Broken()
        _Garbage()
        CutShort()
    assert [type(r.exc_value) for r in reported] == [ValueError]
    assert sys.unraisablehook == reported.append  # put back


@pytest.mark.parametrize("when", ["as the command line is read", "as the command closes its archive"])
def test_ctrl_c_outside_the_commands_own_work_is_still_exit_130(workspace, monkeypatch, when):
    """Before the command's handling begins, or once it has ended, click took a Ctrl-C for "aborted" and exited
    with 1 — the code that says some forms were returned."""
    import click

    from lzdocs.cli.common import Env
    from tests.conftest import run_cli

    def ctrl_c(*args, **kw):
        raise KeyboardInterrupt

    if when == "as the command line is read":
        monkeypatch.setattr(click.Command, "parse_args", ctrl_c)
    else:
        monkeypatch.setattr(Env, "close", ctrl_c)
    proc = run_cli("-w", workspace.root, "status", check=130)
    assert "已中断（Ctrl-C）" in proc.stderr


def test_a_deferred_block_finishes_before_ctrl_c_and_a_second_ctrl_c_ends_it_at_once():
    """The steps that must go together finish first; but a block waiting on something else (another program's
    lock on the archive) must not make Ctrl-C powerless, so pressed again it stops at once."""
    done = []
    with pytest.raises(KeyboardInterrupt), interrupts.deferred():
        signal.raise_signal(signal.SIGINT)
        done.append("finished after the first")
    assert done == ["finished after the first"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    with pytest.raises(KeyboardInterrupt), interrupts.deferred():
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)
        done.append("not reached")
    assert done == ["finished after the first"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    with interrupts.deferred():  # nothing pressed: nothing raised
        done.append("quiet")
    assert done[-1] == "quiet" and signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.fixture
def signal_handlers():
    """SIGINT's and SIGTERM's handlers put back after the test."""
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in previous.items():
        signal.signal(signum, handler)


@pytest.mark.parametrize("order", [(signal.SIGINT, signal.SIGTERM), (signal.SIGTERM, signal.SIGINT)])
def test_in_a_reader_worker_its_end_waits_for_the_block_whatever_ctrl_c_does(signal_handlers, order):
    """A reader worker (forms/ahead.py) ignores Ctrl-C and ends on SIGTERM. Ctrl-C reaches it with the whole
    terminal's processes, and the ingest then ends it: an ignored Ctrl-C is not a first signal that makes the
    SIGTERM a second, taking effect at once (inside ``Popen``, with LibreOffice started and not yet known) — nor
    does it, coming second, make the SIGTERM held be lost. The worker ends once the block is done, either way."""
    from lzdocs.forms import ahead

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, ahead._ended)
    done = []
    with pytest.raises(SystemExit), interrupts.deferred():
        for signum in order:
            signal.raise_signal(signum)
        done.append("the block finished")
    assert done == ["the block finished"]


def test_two_signals_in_a_block_reach_the_handler_both(signal_handlers):
    """A second signal in a block takes effect at once, and the first is not lost on the way: a handler that stops
    cleanly at the first and at once at the second (``lzdocs watch``'s SIGTERM) sees both; in a block inside
    another, the outer one counts both — two Ctrl-C end the two blocks, not three."""
    seen = []

    def stop(signum, frame):
        seen.append(signum)
        if len(seen) > 1:
            raise SystemExit(130)

    signal.signal(signal.SIGTERM, stop)
    with pytest.raises(SystemExit), interrupts.deferred():
        signal.raise_signal(signal.SIGTERM)
        assert seen == []
        signal.raise_signal(signal.SIGTERM)
    assert seen == [signal.SIGTERM, signal.SIGTERM]

    signal.signal(signal.SIGINT, signal.default_int_handler)
    pressed = []
    with pytest.raises(KeyboardInterrupt), interrupts.deferred(), interrupts.deferred():  # a block in a block
        for n in (1, 2, 3):
            pressed.append(n)
            signal.raise_signal(signal.SIGINT)
    assert pressed == [1, 2]


def test_a_real_failure_of_a_clean_up_during_ctrl_c_is_said_as_itself(workspace, make_form, monkeypatch):
    """Not every error met while Ctrl-C unwinds is the interruption's: a file that could not be put back (no
    permission) leaves something the clerk must know about, and is said with its path and exit 2."""
    from lzdocs.ingest import claims, pipeline
    from tests.conftest import run_cli

    _forms(workspace, make_form, 2)
    real = claims.release

    def release(claim, *slots):
        real(claim, *slots)
        try:
            raise KeyboardInterrupt
        finally:
            raise PermissionError(errno.EACCES, "Permission denied", str(workspace.root / "outbox"))

    monkeypatch.setattr(pipeline.cl, "release", release)
    proc = run_cli("-w", workspace.root, "ingest", check=2)
    assert "没有权限" in proc.stderr and "outbox" in proc.stderr and "已中断" not in proc.stderr

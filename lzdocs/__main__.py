"""Entry point for ``python -m lzdocs`` and the ``lzdocs`` command."""

import gc
import os
import signal
import sys

from lzdocs.ending import end_now
from lzdocs.interrupts import NOT_STARTED, cut_short


def run() -> None:
    """The command line: its modules loaded, then the command. Ctrl-C while they load (the first tenth of a
    second or so, longer on a slow or busy PC) is said in Chinese, not shown as a Python traceback; a command
    that Ctrl-C stopped ends with exit 130 whatever Python would make of it, and one that has finished ends with
    its own code, a Ctrl-C pressed as Python shuts down notwithstanding."""
    try:
        from lzdocs.cli import main
    except BaseException as exc:
        if not cut_short(exc):  # KeyboardInterrupt, or the RuntimeError Python 3.11 wraps it in (__set_name__)
            raise
        sys.stderr.write(NOT_STARTED + "\n")
        _interrupted()
    try:
        main()
    except SystemExit as exc:
        if exc.code != 130:
            _done()
            end_now(exc.code)  # (returns when Python must end it: see there)
            raise
    else:
        _done()
        end_now(0)
        return
    _interrupted()


def _done() -> None:
    """The command has finished: there is nothing left for Ctrl-C to stop. Python puts its default handler back as
    it shuts down, and then spends a tenth of a second tearing down modules, during which Ctrl-C would end the
    process by SIGINT (-2 to a parent, no message) instead of with the command's own exit code."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (ValueError, OSError):  # not the main thread, or no signals here
        pass


def _interrupted():
    """Exit 130, its clean-up done. Left to itself, CPython ends the process by SIGINT instead (-2 to a parent, not
    130) once a Ctrl-C has escaped code compiled from a string (a namedtuple or dataclass made as a module loads),
    even when it was caught and handled afterwards."""
    _done()  # a second Ctrl-C during the clean-up below would end it half-way, with a traceback
    gc.collect()  # the finalizers of what the stopped work left behind (the ingest's private folder)
    import logging

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(130)


if __name__ == "__main__":
    run()

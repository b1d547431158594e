"""Entry point for ``python -m lzdocs`` and the ``lzdocs`` command."""

import gc
import os
import sys

from lzdocs.interrupts import NOT_STARTED


def run() -> None:
    """The command line: its modules loaded, then the command. Ctrl-C while they load (the first tenth of a
    second or so, longer on a slow or busy PC) is said in Chinese, not shown as a Python traceback; a command
    that Ctrl-C stopped ends with exit 130 whatever Python would make of it."""
    try:
        from lzdocs.cli import main
    except KeyboardInterrupt:
        sys.stderr.write(NOT_STARTED + "\n")
        _interrupted()
    try:
        main()
    except SystemExit as exc:
        if exc.code != 130:
            raise
    else:
        return
    _interrupted()


def _interrupted():
    """Exit 130, its clean-up done. Left to itself, CPython ends the process by SIGINT instead (-2 to a parent, not
    130) once a Ctrl-C has escaped code compiled from a string (a namedtuple or dataclass made as a module loads),
    even when it was caught and handled afterwards."""
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

"""Ending a process whose work is done, without the interpreter's tearing down.

When a Python program ends, the interpreter first runs the exit handlers (``atexit``: a run's private folders
removed, the log flushed, child processes waited for), then tears down every module and frees every object one by
one. After an ingest that second part takes a fifth of a second — longer than the whole of some commands — and does
nothing the work still needs: each file lzdocs writes is closed and fsynced where it is written, and the archive is
closed by the command. :func:`end_now` runs the exit handlers, flushes the output and ends the process there, as
Instagram's servers skip the same teardown (``atexit.register(os._exit, 0)``, "Dismissing Python Garbage
Collection at Instagram", 2017). Used by the command line when a command has finished (lzdocs/__main__.py) and by a
reader process told to end (lzdocs/forms/ahead.py); never by the library, whose caller owns the process."""

from __future__ import annotations

import atexit
import os
import sys
import threading


def end_now(code: object = 0) -> None:
    """End the process with exit code ``code`` once its exit handlers have run and its output is flushed. Returns
    (and Python ends the process its own way) when the code is not a number (a message Python prints), when a thread
    Python would wait for still runs, or when the output cannot be flushed (a closed pipe, which Python reports)."""
    if not (code is None or isinstance(code, int)):
        return
    main = threading.main_thread()
    if threading.current_thread() is not main or any(
            t is not main and not t.daemon and t.is_alive() for t in threading.enumerate()):
        return
    atexit._run_exitfuncs()  # what Python runs first as it ends (CPython's own call, kept since Python 2)
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return
    os._exit(code or 0)

"""Loaded (via PYTHONPATH) only for the test run under a moved system clock: makes time.sleep work under libfaketime.

The run moves the wall clock alone (``FAKETIME_DONT_FAKE_MONOTONIC=1``), as setting a machine's date does: with a
faked monotonic clock every timed wait of a Python thread (Event.wait, Queue.get, join with a timeout) never
returns, because CPython waits with sem_clockwait on the real monotonic clock, which libfaketime 0.9.10 does not
wrap. Its clock_nanosleep wrapper then rejects the absolute monotonic deadline of time.sleep (EINVAL), so sleeps
go through select(), which it passes through unchanged.
"""

import os
import select
import time

if "faketime" in os.environ.get("LD_PRELOAD", ""):
    _monotonic = time.monotonic

    def _sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        deadline = _monotonic() + seconds
        while True:  # at least once: sleep(0) lets other threads run, as the real one does
            select.select([], [], [], max(0.0, deadline - _monotonic()))
            if _monotonic() >= deadline:
                return

    time.sleep = _sleep

"""Processes that must begin a step at the same instant (two letter writers racing for numbers).

Each child says it is ready (a file of its own), then waits for the go (one file) that the test gives once all
are ready. Files, not a moment on the wall clock: under libfaketime every process may have a clock of its own
(the suite's literal moved-clock run starts each one at the same faked second), and a child then waited for as
long as the test had been running. Light on purpose: the children import it."""

from __future__ import annotations

import os
import time
from pathlib import Path


class StartLine:
    def __init__(self, folder: Path, count: int):
        folder.mkdir(parents=True, exist_ok=True)
        self.ready = [folder / f"ready-{i}" for i in range(count)]
        self.signal = folder / "go"

    def args(self, i: int) -> list[str]:
        """The arguments child ``i`` passes to :func:`at_start_line`."""
        return [str(self.ready[i]), str(self.signal)]

    def go(self, timeout: float = 120) -> None:
        """Once every child is ready (else AssertionError after ``timeout`` seconds): all begin."""
        deadline = time.monotonic() + timeout
        while not all(p.exists() for p in self.ready):
            assert time.monotonic() < deadline, "the processes did not get ready"
            time.sleep(0.005)
        self.signal.touch()


def at_start_line(ready: str, signal: str) -> None:
    """In a child: say it is ready, then wait for the go."""
    Path(ready).touch()
    while not os.path.exists(signal):
        time.sleep(0.001)

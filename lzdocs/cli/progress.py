"""Progress bars for long work, on stderr so that --json stdout stays clean."""

from __future__ import annotations

import sys
from contextlib import contextmanager


@contextmanager
def progress_bar(label: str, *, enabled: bool = True):
    """Yields ``update(i, total, name)``; draws nothing when stderr is not a terminal (rich loads only when it does)."""
    if not enabled or not sys.stderr.isatty():
        yield lambda i, total, name: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda i, total, name: None
        return
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  TimeRemainingColumn(), console=console, transient=True) as bar:
        task = bar.add_task("", total=None)

        def update(i: int, total: int, name: str) -> None:
            bar.update(task, completed=i, total=total, description=name[:30])

        yield update

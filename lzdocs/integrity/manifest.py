"""Recording files as they are written into the archive (docs/product.md §12.1): hashed once, recorded in one go."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from lzdocs.fsutil import copy_stream, open_regular
from lzdocs.store import files

if TYPE_CHECKING:
    from lzdocs.store import Store


def hashed(path: Path) -> tuple[str, int]:
    """(SHA-256, size) of the file at ``path``, read once."""
    with open_regular(path) as fh:
        return copy_stream(fh, None), fh.tell()


def record_written(store: Store, relative: Callable[[Path], str], written: Iterable[tuple[Path, str]], *,
                   document_id: int | None = None) -> None:
    """Record each (path, role) just written — a register rewritten, a PDF, a summary — in one transaction.

    For files that no other row describes: a file that a transaction of its own writes (a letter, an archived
    original) is recorded in that transaction instead (``written_entries``)."""
    entries = written_entries(store, relative, written, document_id=document_id)
    if entries:
        with store.begin() as conn:
            files.record_many(conn, entries)


def written_entries(store: Store, relative: Callable[[Path], str], written: Iterable[tuple[Path, str]], *,
                    document_id: int | None = None) -> list[dict]:
    """The rows of ``files.record_many`` for each (path, role) just written, each file hashed once."""
    entries = []
    for path, role in written:
        sha, size = hashed(path)
        entries.append(dict(path=relative(path), sha256=sha, size=size, role=role, recorded_at=store.now(),
                            document_id=document_id))
    return entries

"""Registers that wait to be rewritten after forms were taken or returned, or letters issued or voided.

Each form is marked in the transaction that takes it: all of its year's registers; a returned form, the books a
return changes (the 报送情况登记表 counts returns); a letter, the books it changes (``LETTER_BOOKS``). A rewrite
clears the marks it covers that it read before reading the archive, unless marked again since. So an ingest killed
between its last commit and its rewrite (stopped while writing the registers, a watcher's service restarted), or a
letter batch stopped by Ctrl-C, leaves its marks, and the next ingest, watcher or letter rewrites those registers
even with nothing new to do (docs/product.md §4)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from lzdocs.store.meta import get_meta, set_meta

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

KEY = "registers_pending"  # meta: {"<year>" (every book) or "<year>:<book>+<book>": "<token of the latest mark>"}

Books = tuple[str, ...] | None  # None: every register of the year
LETTER_BOOKS = ("documents", "warnings")  # the 发文登记簿 and 预警处置台账: the registers a letter or its void changes


def _read(conn: Connection) -> dict[str, str]:
    try:
        found = json.loads(get_meta(conn, KEY) or "{}")
    except ValueError:  # a hand-edited row: as if every mark were gone (the next form marks again)
        return {}
    return found if isinstance(found, dict) else {}


def _write(conn: Connection, marks: dict[str, str]) -> None:
    set_meta(conn, KEY, json.dumps(marks, sort_keys=True))


def _drop(conn: Connection, gone: Callable[[str, str], bool]) -> None:
    """The marks for which ``gone(key, token)`` removed (written only when one was)."""
    now = _read(conn)
    kept = {key: token for key, token in now.items() if not gone(key, token)}
    if kept != now:
        _write(conn, kept)


def _parse(key: str) -> tuple[int, Books] | None:
    year, _, books = key.partition(":")
    return (int(year), tuple(books.split("+")) if books else None) if year.isdigit() else None


def mark(conn: Connection, year: int, books: Books = None) -> None:
    """``year``'s registers (``books`` of them) are behind the archive; in the write transaction that makes them so."""
    marks = _read(conn)
    marks[str(year) if books is None else f"{year}:{'+'.join(books)}"] = uuid.uuid4().hex
    _write(conn, marks)


def waiting(conn: Connection) -> dict[int, Books]:
    """Year → the books to rewrite (None: all of them), for every year with a mark."""
    found: dict[int, Books] = {}
    for key in _read(conn):
        if (parsed := _parse(key)) is None:
            continue
        year, books = parsed
        if year in found and (found[year] is None or books is None):
            found[year] = None
        else:
            found[year] = tuple(dict.fromkeys((*(found.get(year) or ()), *books))) if books else None
    return found


def covered(conn: Connection, year: int, books: Iterable[str] | None) -> dict[str, str]:
    """The marks a rewrite of ``books`` (None: all) of ``year`` catches up with, as read now: its ``clear`` after."""
    wanted = None if books is None else set(books)
    return {key: token for key, token in _read(conn).items()
            if (parsed := _parse(key)) and parsed[0] == year
            and (wanted is None or (parsed[1] is not None and set(parsed[1]) <= wanted))}


def clear(conn: Connection, marks: dict[str, str]) -> None:
    """The rewrite that read ``marks`` (``covered``) is done: each cleared, unless marked again since."""
    _drop(conn, lambda key, token: marks.get(key) == token)


def forget(conn: Connection, year: int) -> None:
    """No rewrite will come (the year is closed: its registers are its 归档 package's)."""
    _drop(conn, lambda key, _token: (_parse(key) or (None,))[0] == year)

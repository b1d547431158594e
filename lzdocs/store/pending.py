"""Years whose registers wait to be rewritten after forms were taken (or returned: the 报送情况登记表 counts returns).

A form is marked in the transaction that takes it; the rewrite of all of that year's registers clears the mark,
if no form came since it read the mark. So an ingest killed between its last commit and its rewrite (stopped
while writing the registers, a watcher's service restarted) leaves the mark, and the next ingest or watcher
rewrites those registers even with nothing new in the inbox (docs/product.md §4)."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from lzdocs.store.schema import meta

KEY = "registers_pending"  # meta: {"<year>": "<token of the latest mark>"}
_READ = select(meta.c.value).where(meta.c.key == KEY)


def _read(conn: Connection) -> dict[str, str]:
    try:
        found = json.loads(conn.execute(_READ).scalar() or "{}")
    except ValueError:  # a hand-edited row: as if every mark were gone (the next form marks again)
        return {}
    return found if isinstance(found, dict) else {}


def _write(conn: Connection, marks: dict[str, str]) -> None:
    value = json.dumps(marks, sort_keys=True)
    if not conn.execute(update(meta).where(meta.c.key == KEY).values(value=value)).rowcount:
        conn.execute(insert(meta).values(key=KEY, value=value))


def mark(conn: Connection, year: int) -> None:
    """``year``'s registers are behind the archive; in the write transaction that makes them so."""
    marks = _read(conn)
    marks[str(year)] = uuid.uuid4().hex
    _write(conn, marks)


def waiting(conn: Connection) -> dict[int, str]:
    """Year → the token of its latest mark, for every year whose registers wait."""
    return {int(year): token for year, token in _read(conn).items() if year.isdigit()}


def clear(conn: Connection, year: int, token: str) -> None:
    """The rewrite that read the archive after ``token``'s mark is done: cleared, unless marked again since."""
    marks = _read(conn)
    if marks.get(str(year)) == token:
        del marks[str(year)]
        _write(conn, marks)


def forget(conn: Connection, year: int) -> None:
    """No rewrite will come (the year is closed: its registers are its 归档 package's)."""
    marks = _read(conn)
    if marks.pop(str(year), None) is not None:
        _write(conn, marks)

"""Years closed by their 归档 package: closing, reopening, and the one check every change of a year's records meets."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from lzdocs.errors import YearClosed
from lzdocs.store.schema import year_closures


def closure(conn: Connection, year: int):
    """The open closure of ``year`` (its row), or None when the year is open."""
    return conn.execute(_OPEN_CLOSURE, {"year": year}).mappings().first()


# Built once: every file taken and every letter checks its year.
_OPEN_CLOSURE = (select(year_closures).where(year_closures.c.year == bindparam("year"),
                                             year_closures.c.reopened_at.is_(None))
                 .order_by(year_closures.c.id.desc()).limit(1))


def require_open(conn: Connection, year: int) -> None:
    """Refuse (YearClosed) a change of ``year``'s records while the year is closed; call under the write lock."""
    row = closure(conn, year)
    if row is not None:
        raise YearClosed(year, row["closed_at"], row["package"])


def close_year(conn: Connection, year: int, *, at: dt.datetime, package: str, items: int, manifest_sha256: str) -> int:
    return conn.execute(insert(year_closures).values(year=year, closed_at=at, package=package, items=items,
                                                     manifest_sha256=manifest_sha256)).inserted_primary_key[0]


def reopen_year(conn: Connection, year: int, *, at: dt.datetime, reason: str) -> None:
    """Every open closure of ``year`` reopened (a year archived twice has two: one reopening opens it)."""
    conn.execute(update(year_closures).where(year_closures.c.year == year, year_closures.c.reopened_at.is_(None))
                 .values(reopened_at=at, reopen_reason=reason))


def closures(conn: Connection, year: int | None = None):
    """Every closure (and reopening) on record, oldest first."""
    q = select(year_closures).order_by(year_closures.c.id)
    if year is not None:
        q = q.where(year_closures.c.year == year)
    return conn.execute(q).mappings().all()

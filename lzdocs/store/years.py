"""Years closed by their 归档 package: closing, reopening, and the one check every change of a year's records meets."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from lzdocs.errors import YearClosed
from lzdocs.store import sql

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


def closure(conn: Connection, year: int) -> dict | None:
    """The open closure of ``year`` (its row), or None when the year is open."""
    return sql.row(conn, "SELECT * FROM year_closures WHERE year = :year AND reopened_at IS NULL "
                         "ORDER BY id DESC LIMIT 1", {"year": year})


def closed_on(conn: Connection, year: int) -> dt.date | None:
    """The day ``year`` was closed, None when it is open: its registers are written as of that day, as its 归档
    package has them (docs/product.md §12.3)."""
    row = closure(conn, year)
    return row["closed_at"].date() if row is not None else None


OPEN_CLOSURES = "SELECT year FROM year_closures WHERE reopened_at IS NULL"  # the years closed now


def require_open(conn: Connection, year: int) -> None:
    """Refuse (YearClosed) a change of ``year``'s records while the year is closed; call under the write lock."""
    row = closure(conn, year)
    if row is not None:
        raise YearClosed(year, row["closed_at"], row["package"])


def close_year(conn: Connection, year: int, *, at: dt.datetime, package: str, items: int, manifest_sha256: str) -> int:
    return sql.insert(conn, "year_closures", dict(year=year, closed_at=at, package=package, items=items,
                                                   manifest_sha256=manifest_sha256))


def reopen_year(conn: Connection, year: int, *, at: dt.datetime, reason: str) -> None:
    """Every open closure of ``year`` reopened (a year archived twice has two: one reopening opens it)."""
    sql.run(conn, "UPDATE year_closures SET reopened_at = :at, reopen_reason = :reason "
                  "WHERE year = :year AND reopened_at IS NULL", {"at": at, "reason": reason, "year": year})


def closures(conn: Connection, year: int | None = None) -> list[dict]:
    """Every closure (and reopening) on record, oldest first."""
    if year is None:
        return sql.rows(conn, "SELECT * FROM year_closures ORDER BY id")
    return sql.rows(conn, "SELECT * FROM year_closures WHERE year = :year ORDER BY id", {"year": year})

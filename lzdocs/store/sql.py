"""The archive's own bookkeeping in plain SQL: numbers, the events' chain, the manifest, ``meta`` rows, the registers
a letter rewrites — run without SQLAlchemy on SQLite, so that a letter does not pay for loading it.

Loading SQLAlchemy takes longer than everything else a letter does together (docs/design.md, "Start-up"). The
statements a letter runs are few and simple, so they are written once as SQL text that SQLite and PostgreSQL both
read (``:name`` parameters, ``RETURNING id``, quoted ``"key"``) and run by these functions: on SQLite straight on
the driver's connection (the standard library's ``sqlite3``); on PostgreSQL through SQLAlchemy's ``text()``, which
is loaded there anyway. Every other query of the product is SQLAlchemy Core, on the same connection and inside the
same transaction: ``Connection`` makes SQLAlchemy's connection over the driver's on first need.

A row comes back as a dict, its dates and times as ``datetime.date``/``datetime.datetime`` whatever the database
gave (SQLite stores them as text, as SQLAlchemy's ``Date`` and ``DateTime`` write them): ``DATES`` and ``TIMES``
name those columns, and tests/store/test_sql.py holds them to lzdocs/store/schema.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3

    from sqlalchemy.engine import Connection as AlchemyConnection

# The columns of Date and DateTime type, by name: one name is one type in every table (tests/store/test_sql.py).
DATES = frozenset({"filled_date", "arrived_on", "issued", "voided", "reply_due", "replied", "checked", "closed",
                   "date", "reviewed"})
TIMES = frozenset({"received_at", "created_at", "closed_at", "reopened_at", "at", "recorded_at"})
_STORED_TIME = "%Y-%m-%d %H:%M:%S.%f"  # as SQLAlchemy's DateTime keeps a time in SQLite


class Connection:
    """A connection to a SQLite archive inside one of ``Store``'s transactions (``Store.begin``/``read``).

    SQL text runs on the driver's connection (the functions below). A SQLAlchemy statement — ``conn.execute(select(
    …))`` — and everything else a SQLAlchemy ``Connection`` offers (``dialect``, ``exec_driver_sql`` …) go to a
    SQLAlchemy connection made over the same driver connection on first need (``alchemy``): the same transaction,
    begun and ended by the ``Store``."""

    def __init__(self, raw: sqlite3.Connection, lend: Callable[[sqlite3.Connection], AlchemyConnection]):
        self.raw = raw
        self._lend = lend
        self._alchemy: AlchemyConnection | None = None

    @property
    def alchemy(self) -> AlchemyConnection:
        if self._alchemy is None:
            self._alchemy = self._lend(self.raw)
        return self._alchemy

    def execute(self, statement, *args, **kw):
        return self.alchemy.execute(statement, *args, **kw)

    def release(self) -> None:
        """SQLAlchemy's connection, if one was made, let go (the transaction is the ``Store``'s to end)."""
        if self._alchemy is not None:
            alchemy, self._alchemy = self._alchemy, None
            alchemy.close()

    def __getattr__(self, name: str):
        return getattr(self.alchemy, name)


PARAMETERS_AT_ONCE = 500  # values bound in one ``IN (…)``: well within SQLite's limit on bound parameters


def in_chunks(values: Iterable) -> Iterator[list]:
    """``values`` distinct and sorted, ``PARAMETERS_AT_ONCE`` at a time: an ``IN (…)`` over any number of them."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), PARAMETERS_AT_ONCE):
        yield ordered[start:start + PARAMETERS_AT_ONCE]


def alchemy(conn) -> AlchemyConnection:
    """SQLAlchemy's connection for ``conn`` (``sqlalchemy.inspect`` and Alembic need one)."""
    return conn.alchemy if isinstance(conn, Connection) else conn


def is_sqlite(conn) -> bool:
    return isinstance(conn, Connection) or conn.dialect.name == "sqlite"


def tables(conn) -> set[str]:
    """The names of the tables in the archive's database."""
    if isinstance(conn, Connection):
        return set(column(conn, "SELECT name FROM sqlite_master WHERE type = 'table'"))
    from sqlalchemy import inspect

    return set(inspect(conn).get_table_names())


def _stored(params: Mapping[str, Any] | None, sqlite: bool) -> Mapping[str, Any]:
    """Parameters as the database keeps them: on SQLite a date as ``YYYY-MM-DD`` and a time with microseconds, as
    SQLAlchemy's ``Date`` and ``DateTime`` write them (a row written here reads the same through SQLAlchemy)."""
    if not params:
        return {}
    if not sqlite:
        return params
    if isinstance(params, dict) and not any(isinstance(value, dt.date) for value in params.values()):
        return params  # nothing to write as text (a datetime is a date); the driver takes a dict as it is
    return {name: value.strftime(_STORED_TIME) if isinstance(value, dt.datetime)
            else value.isoformat() if isinstance(value, dt.date) else value
            for name, value in params.items()}


def _typed(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with their dates and times as ``datetime`` values: only the columns named in ``DATES``/``TIMES``
    looked at, each found once for the query (a wide or long result pays for its typed columns alone)."""
    if not found:
        return found
    dates = [name for name in found[0] if name in DATES]
    times = [name for name in found[0] if name in TIMES]
    if dates or times:
        for row in found:
            for name in dates:
                if isinstance(value := row[name], str):
                    row[name] = dt.date.fromisoformat(value[:10])
            for name in times:
                if isinstance(value := row[name], str):
                    row[name] = dt.datetime.fromisoformat(value)
    return found


def _cursor(conn, sql: str, params: Mapping[str, Any] | None):
    if isinstance(conn, Connection):
        return conn.raw.execute(sql, _stored(params, True))
    from sqlalchemy import text

    return conn.execute(text(sql), _stored(params, conn.dialect.name == "sqlite"))


def rows(conn, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every row of a query, each a dict of column → value."""
    found = _cursor(conn, sql, params)
    if isinstance(conn, Connection):
        names = [d[0] for d in found.description]
        return _typed([dict(zip(names, r)) for r in found.fetchall()])  # names from the cursor: always as many
    return _typed([dict(r) for r in found.mappings()])


def row(conn, sql: str, params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """The first row of a query, or None."""
    found = rows(conn, sql, params)
    return found[0] if found else None


def scalar(conn, sql: str, params: Mapping[str, Any] | None = None):
    """The first column of the first row, or None."""
    found = _cursor(conn, sql, params).fetchall()  # to the end: no statement left running at COMMIT
    return found[0][0] if found else None


def column(conn, sql: str, params: Mapping[str, Any] | None = None) -> list:
    """The first column of every row."""
    return [r[0] for r in _cursor(conn, sql, params).fetchall()]


def run(conn, sql: str, params: Mapping[str, Any] | None = None) -> int:
    """An INSERT, UPDATE or DELETE; how many rows it changed."""
    return _cursor(conn, sql, params).rowcount


def _insert_sql(table: str, names: Sequence[str]) -> str:
    quoted = ", ".join(f'"{n}"' for n in names)
    return f'INSERT INTO {table} ({quoted}) VALUES ({", ".join(f":{n}" for n in names)})'


def insert(conn, table: str, values: Mapping[str, Any]) -> int:
    """Insert one row of ``values`` into ``table``; its id (SQLite's last row id: ``RETURNING`` needs SQLite 3.35,
    newer than some systems' Python has)."""
    sql = _insert_sql(table, list(values))
    if is_sqlite(conn):
        return _cursor(conn, sql, values).lastrowid
    return _cursor(conn, f"{sql} RETURNING id", values).fetchall()[0][0]


def insert_many(conn, table: str, values: Sequence[Mapping[str, Any]]) -> None:
    """Insert a row of each of ``values`` (all of them of the same names) into ``table``: one statement run for
    them all (the driver's ``executemany``)."""
    if not values:
        return
    names = list(values[0])
    sql = _insert_sql(table, names)
    if isinstance(conn, Connection):
        # a table's rows with no date or time column (a form's risk rows) go to the driver as they are
        dated = not DATES.isdisjoint(names) or not TIMES.isdisjoint(names)
        conn.raw.executemany(sql, [_stored(v, True) for v in values] if dated else values)
        return
    from sqlalchemy import text

    sqlite = conn.dialect.name == "sqlite"
    conn.execute(text(sql), [dict(_stored(v, sqlite)) for v in values])

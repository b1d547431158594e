"""Several schools in one database (docs/product.md §5): each school's archive is a PostgreSQL schema of its own
(its workspace's ``search_path``), its name recorded in that schema's ``meta``; a roll-up reads every one of them.

Nothing in the per-school queries changes: a school's tables are reached by SQLAlchemy's ``schema_translate_map``,
which puts the schema name on every table of ``lzdocs.store.schema`` for one statement's connection."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Connection

from lzdocs.store import schema
from lzdocs.store import submissions as subs

KEY = "organisation"  # meta key: {"school", "short", "codes"} of the workspace that writes this archive


def recorded_school(conn: Connection) -> dict | None:
    value = schema.get_meta(conn, KEY)
    return json.loads(value) if value is not None else None


def record_school(conn: Connection, organisation: dict) -> None:
    """The archive belongs to this school (``{"school", "short", "codes"}``: its names and 机关代字)."""
    schema.set_meta(conn, KEY, json.dumps(organisation, ensure_ascii=False))


@dataclass
class SchoolCounts:
    """One school's current risk points of a year: per unit, per level."""

    school: str
    short: str
    schema: str | None
    units: dict[str, Counter] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)  # its 机关代字 by letter kind

    @property
    def totals(self) -> Counter:
        return sum(self.units.values(), Counter())


def school_schemas(conn: Connection) -> list[str | None]:
    """The schemas of this database that hold an lzdocs archive with a school recorded: on PostgreSQL every such
    schema (by name), on SQLite the one file (None)."""
    if conn.dialect.name != "postgresql":
        return [None]
    names = [r[0] for r in conn.execute(text(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'meta' "
        "AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY table_schema"))]
    found = []
    for name in names:
        with in_schema(conn, name) as school_conn:
            if recorded_school(school_conn):
                found.append(name)
    return found


@contextmanager
def in_schema(conn: Connection, name: str | None) -> Iterator[Connection]:
    """``conn`` with every lzdocs table read from schema ``name`` (None: as the connection finds them)."""
    if name is None:
        yield conn
        return
    before = conn.get_execution_options().get("schema_translate_map")
    conn.execution_options(schema_translate_map={None: name})
    try:
        yield conn
    finally:
        conn.execution_options(schema_translate_map=before)


def school_counts(conn: Connection, year: int) -> list[SchoolCounts]:
    """Every school of the database with its current risk points of ``year`` counted per unit and level, in the
    order of their names."""
    found = []
    for name in school_schemas(conn):
        with in_schema(conn, name) as school_conn:
            who = recorded_school(school_conn) or {}
            counts = SchoolCounts(who.get("school", ""), who.get("short", ""), name, codes=who.get("codes", {}))
            for row in subs.current_risks(school_conn, year=year):
                counts.units.setdefault(row["unit"], Counter())[row["level"]] += 1
        found.append(counts)
    return sorted(found, key=lambda c: c.school)

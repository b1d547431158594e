"""Several schools in one database (docs/product.md §5): each school's archive is a PostgreSQL schema of its own
(its workspace's ``search_path``), its name recorded in that schema's ``meta``; a roll-up reads every one of them.

Nothing in the per-school queries changes: a school's tables are reached by setting the connection's ``search_path``
to its schema for the while (``in_schema``), which SQLAlchemy's statements and lzdocs' plain SQL (store/sql.py) alike
follow.

``lzdocs db copy`` to another schema of the same database (a school moving its archive, or a copy kept to try
something) leaves two schemas with the same school: the copy carries the ``meta`` of its source, the school and
the archive's identity with it. The roll-up counts such copies once (``school_archives``)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from lzdocs.store import chain, schema
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
    copies: list[str] = field(default_factory=list)  # other schemas with a copy of its archive, not counted
    diverged: list[str] = field(default_factory=list)  # those of them written since the copy (not in ``schema``)

    @property
    def totals(self) -> Counter:
        return sum(self.units.values(), Counter())


@dataclass
class SchoolArchive:
    """The schema a roll-up counts for one school, and the other schemas that hold a copy of the same archive."""

    schema: str | None
    copies: list[str] = field(default_factory=list)
    diverged: list[str] = field(default_factory=list)


def school_archives(conn: Connection) -> list[SchoolArchive]:
    """Every school's archive in this database once (``SchoolArchive``): on PostgreSQL each schema that holds an
    lzdocs archive with a school recorded, in the order of their names; on SQLite the one file (schema None).

    Copies of one archive are told by ``meta``, not by their schemas' names (a clerk names a schema as he likes):
    the same identity (``archive_id``, which ``db copy`` carries and every new archive makes its own) recorded for
    the same school. Of those the one counted is the one written last, its events' chain the longest: every change
    records an event (docs/product.md §12.1), so the archive in use (the source until the workspace's url is
    switched, the copy after) is ahead of a copy left behind, and copies with the same head hold the same rows. A
    copy whose head is not an event of the counted one was written as well since (``diverged``): both in use,
    which the school must settle. A copy still being made is not seen: ``db copy`` writes the target in one
    transaction, its school with it."""
    if conn.dialect.name != "postgresql":
        return [SchoolArchive(None)]
    names = [r[0] for r in conn.execute(text(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'meta' "
        "AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY table_schema"))]
    groups: dict[tuple, list[tuple[tuple[int, str | None], str]]] = {}
    for name in names:
        with in_schema(conn, name) as school_conn:
            school = recorded_school(school_conn)
            if not school:
                continue
            archive = schema.get_meta(school_conn, schema.ARCHIVE_ID)
            key = (archive, school.get("school")) if archive else (name,)
            groups.setdefault(key, []).append((chain.head(school_conn), name))
    found = []
    for members in groups.values():
        members.sort(key=lambda m: (-m[0][0], m[1]))
        (_, counted), others = members[0], members[1:]
        with in_schema(conn, counted) as school_conn:
            diverged = [name for head, name in others if not _reaches(school_conn, head)]
        found.append(SchoolArchive(counted, [name for _, name in others], diverged))
    return sorted(found, key=lambda a: a.schema)


def _reaches(conn: Connection, head: tuple[int, str | None]) -> bool:
    """Does the archive of ``conn`` hold the event ``head`` names, the same one (its hash)? Then the archive with
    that head is an earlier state of this one."""
    number, digest = head
    if number == 0:
        return True
    return conn.execute(select(schema.events.c.hash).where(schema.events.c.id == number)).scalar() == digest


@contextmanager
def in_schema(conn: Connection, name: str | None) -> Iterator[Connection]:
    """``conn`` with every lzdocs table read from schema ``name`` (None: as the connection finds them), inside
    its transaction."""
    if name is None:
        yield conn
        return
    before = conn.execute(text("SELECT current_setting('search_path')")).scalar()
    conn.execute(text("SELECT set_config('search_path', quote_ident(:name), true)"), {"name": name})
    yield conn  # a statement that fails ends the transaction, and the setting with it: put back only after success
    conn.execute(text("SELECT set_config('search_path', :before, true)"), {"before": before})


def school_counts(conn: Connection, year: int) -> list[SchoolCounts]:
    """Every school of the database with its current risk points of ``year`` counted per unit and level, in the
    order of their names."""
    found = []
    for archive in school_archives(conn):
        with in_schema(conn, archive.schema) as school_conn:
            who = recorded_school(school_conn) or {}
            counts = SchoolCounts(who.get("school", ""), who.get("short", ""), archive.schema,
                                  codes=who.get("codes", {}), copies=archive.copies, diverged=archive.diverged)
            for row in subs.current_risks(school_conn, year=year):
                counts.units.setdefault(row["unit"], Counter())[row["level"]] += 1
        found.append(counts)
    return sorted(found, key=lambda c: c.school)

"""``lzdocs db copy``: the archive's rows moved to another database (SQLite → PostgreSQL), then checked."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, inspect, select, text
from sqlalchemy.engine import Connection

from lzdocs import interrupts
from lzdocs.errors import StoreError
from lzdocs.store import schema

BATCH = 1000
# What each table holds, as the clerk is told (the report and its messages name tables by these).
TABLE_NAMES = {"documents": "文书", "events": "操作记录", "submissions": "报送的表格", "units": "单位名单",
               "year_closures": "年度归档", "files": "存档文件", "risks": "风险点", "warnings": "预警处置",
               "cases": "违纪违规案例", "reviews": "风险点复核", "warning_risks": "预警关联的风险点"}
SKIPPED = {schema.meta.name}  # copied by ``_copy_meta``: the target records its own schema version
OWN_META = {"schema_version", schema.DATABASE_ID}  # the target's own: its schema, and which database it is


@dataclass
class CopyReport:
    """Rows per table in the source and the target, and whether each table's content hash matched."""

    tables: dict[str, dict] = field(default_factory=dict)
    moved: bool = False  # the workspace keeps the copy from now on: its SQLite file was copied to a server
    warnings: list[str] = field(default_factory=list)  # e.g. the move not recorded (Office.copy_database)

    @property
    def ok(self) -> bool:
        return all(t["source"] == t["target"] and t["same"] for t in self.tables.values())

    @property
    def rows(self) -> int:
        return sum(t["target"] for t in self.tables.values())


def copy_archive(source, target, progress: Callable[[int, int, str], None] | None = None) -> CopyReport:
    """Copy every table of the ``source`` Store into the ``target`` Store, whose archive must be empty (its schema
    just made); ids are kept (sequences set after them on PostgreSQL). Then every table is counted and hashed on
    both sides. One write transaction on the target: an interrupted copy leaves it empty.

    The source is read in one snapshot (``Store.snapshot``) from the first count to the last hash: another machine
    may go on writing into a shared archive meanwhile, and a table read after such a write would name rows of one
    read before it (a letter's file row without its document: the target refuses it), the events' chain head
    would name an event not copied, and the hashes would differ from what was copied. What is written meanwhile
    stays in the source only, whole."""
    tables = [t for t in schema.metadata.sorted_tables if t.name not in SKIPPED]
    with source.snapshot() as src:
        totals = {t.name: src.execute(select(func.count()).select_from(t)).scalar() for t in tables}
        with target.begin() as dst:
            _copy_rows(src, dst, tables, totals, progress, source.url)
        report = CopyReport()
        with target.read() as dst:
            for table in tables:
                a, b = _digest(src, table, source.url), _digest(dst, table)
                report.tables[table.name] = {"source": a[0], "target": b[0], "same": a[1] == b[1]}
    return report


def _copy_rows(src: Connection, dst: Connection, tables, totals: dict[str, int],
               progress: Callable[[int, int, str], None] | None, source: str) -> None:
    """Every row of ``tables`` and the archive's own ``meta`` records from ``src`` (the database at the URL
    ``source``) into the empty ``dst``."""
    taken = [t.name for t in tables if dst.execute(select(func.count()).select_from(t)).scalar()]
    if taken:
        raise StoreError(f"目标数据库里已经有档案（{'、'.join(TABLE_NAMES.get(t, t) for t in taken)}不是空的），"
                         "不能复制到那里",
                         hint="请换一个空的数据库（或新建一个 schema）后再复制")
    done, whole = 0, sum(totals.values())
    later: list[tuple] = []  # (table, column, [(id, value)]): references set once their rows are there
    for i, table in enumerate(tables):
        ahead = _forward_references(table, {t.name for t in tables[:i]})
        pending = {name: [] for name in ahead}
        for rows in _batches(src, table, source):
            interrupts.check()  # between batches: a Ctrl-C that was swallowed stops here
            for row in rows:
                for name in ahead:
                    if row[name] is not None:
                        pending[name].append((row["id"], row[name]))
                        row[name] = None
            dst.execute(table.insert(), rows)
            done += len(rows)
            if progress:
                progress(done, whole, table.name)
        later += [(table, name, pairs) for name, pairs in pending.items() if pairs]
    for table, name, pairs in later:
        dst.execute(table.update().where(table.c.id == bindparam("_id")).values({name: bindparam("_value")}),
                    [{"_id": key, "_value": value} for key, value in pairs])
    _set_sequences(dst, tables)
    _copy_meta(src, dst)


def _forward_references(table, copied: set[str]) -> list[str]:
    """The columns of ``table`` that may name a row not yet copied — a later row of the same table (a form's
    ``superseded_by``: the form that came after it) or of a table copied after it: inserted empty, then set. The
    database checks a reference when the row is written (SQLite, and PostgreSQL's constraints as made here)."""
    return [c.name for c in table.c if c.nullable and "id" in table.c
            and any(fk.column.table.name not in copied for fk in c.foreign_keys)]


def _copy_meta(src: Connection, dst: Connection) -> None:
    """The archive's own records go with it: the head of its events' chain (without it, ``verify`` takes every
    event for one inserted later), its identity (which its inbox and claims name) and its school; the target
    keeps its own schema version."""
    meta = schema.meta
    for key, value in src.execute(select(meta.c.key, meta.c.value).where(meta.c.key.not_in(OWN_META))):
        schema.set_meta(dst, key, value)


def _batches(conn: Connection, table, source: str | None = None):
    """The rows of ``table`` in key order, a batch at a time. ``source``: the URL of the database read, which a
    failure names — read inside the other side's transaction, it would otherwise be said of that one (a server
    that stopped during a backup was said to be the snapshot's file)."""
    from lzdocs.store.db import database_error, database_errors

    key = list(table.primary_key.columns)
    try:
        result = conn.execute(select(table).order_by(*key)).mappings()
        while rows := result.fetchmany(BATCH):
            yield [dict(r) for r in rows]
    except database_errors() as exc:
        if source is None:
            raise
        raise database_error(source, exc) from exc


def _set_sequences(conn: Connection, tables) -> None:
    """PostgreSQL hands out ids from a sequence that explicit ids do not move: set each after the largest id."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        if "id" in table.c and inspect(conn).has_table(table.name):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                              f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))


def _digest(conn: Connection, table, source: str | None = None) -> tuple[int, str]:
    """(rows, SHA-256 over every row in key order, values as text): equal on two backends for equal content."""
    digest, count = hashlib.sha256(), 0
    for rows in _batches(conn, table, source):
        for row in rows:
            digest.update(json.dumps([None if v is None else str(v) for v in row.values()],
                                     ensure_ascii=False).encode("utf-8"))
            count += 1
    return count, digest.hexdigest()

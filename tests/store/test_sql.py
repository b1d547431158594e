"""The archive's bookkeeping in plain SQL (lzdocs/store/sql.py): its rows are the rows SQLAlchemy writes and reads,
and it shares the Store's transactions with SQLAlchemy's statements, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Date, DateTime, insert, select

from lzdocs.errors import FieldError
from lzdocs.store import documents as docs_q
from lzdocs.store import schema, sql

pytestmark = pytest.mark.both_backends

NOW = dt.datetime(2026, 11, 28, 9, 30)  # no microseconds: stored with them all the same, as SQLAlchemy stores it


def test_the_date_and_time_columns_it_types_are_the_schemas():
    typed = {}
    for table in schema.metadata.tables.values():
        for column in table.c:
            kind = "time" if isinstance(column.type, DateTime) else "date" if isinstance(column.type, Date) else None
            typed.setdefault(column.name, set()).add(kind)
    assert {name for name, kinds in typed.items() if "date" in kinds} == sql.DATES
    assert {name for name, kinds in typed.items() if "time" in kinds} == sql.TIMES
    assert all(len(typed[name]) == 1 for name in sql.DATES | sql.TIMES)  # one name, one type, in every table


def test_the_defaults_it_fills_in_are_the_schemas():
    for name, defaults in docs_q.DEFAULTS.items():
        table = schema.metadata.tables[name]
        assert defaults == {c.name: c.default.arg for c in table.c if c.default is not None}


def _document(seq: int) -> dict:
    return dict(kind="suggestion", code="内工大纪建", year=2026, seq=seq, number=f"内工大纪建〔2026〕{seq}号",
                title="纪检监察建议书", recipient="计划财务处", issued=dt.date(2026, 11, 28),
                file=f"outbox/{seq}.docx", sha256="0" * 64, created_at=NOW)


def test_a_row_written_in_plain_sql_reads_the_same_through_sqlalchemy_and_back(store):
    with store.begin() as conn:
        plain = docs_q.add_document(conn, **_document(1))
        core = conn.execute(insert(schema.documents).values(**_document(2), copies=1, note="")).inserted_primary_key[0]
    with store.read() as conn:
        by_core = {r["id"]: dict(r) for r in conn.execute(select(schema.documents)).mappings()}
        by_plain = {r["id"]: r for r in docs_q.list_documents(conn, 2026)}
        stored = sql.column(conn, "SELECT CAST(created_at AS TEXT) FROM documents ORDER BY id")
    assert by_core == by_plain
    assert by_core[plain]["issued"] == by_core[core]["issued"] == dt.date(2026, 11, 28)
    assert by_core[plain]["created_at"] == by_core[core]["created_at"] == NOW
    assert by_core[plain]["copies"] == 1 and by_core[plain]["note"] == "" and by_core[plain]["status"] == "issued"
    assert stored[0] == stored[1]  # the very same text in the database


def test_plain_sql_and_sqlalchemy_share_one_transaction_and_roll_back_together(store):
    with pytest.raises(FieldError), store.begin() as conn:
        docs_q.add_document(conn, **_document(1))
        conn.execute(insert(schema.documents).values(**_document(2), copies=1, note=""))
        assert docs_q.next_seq(conn, "内工大纪建", 2026) == 3  # each sees the other's row
        assert conn.execute(select(schema.documents.c.seq).order_by(schema.documents.c.seq)).scalars().all() == [1, 2]
        raise FieldError("rolled back")
    with store.begin() as conn:
        assert docs_q.list_documents(conn) == []
        docs_q.add_document(conn, **_document(1))
    with store.read() as conn:
        assert [d["number"] for d in docs_q.list_documents(conn)] == ["内工大纪建〔2026〕1号"]


def test_a_read_inside_a_write_sees_only_what_was_committed(store):
    with store.begin() as conn:
        docs_q.add_document(conn, **_document(1))
        with store.read() as other:
            assert docs_q.list_documents(other) == []
    with store.read() as other:
        assert len(docs_q.list_documents(other)) == 1


def test_an_insert_on_sqlite_asks_for_no_returning(store):
    """``RETURNING`` needs SQLite 3.35, and a system's Python may bring an older one (RHEL 9: 3.34): the id comes
    from the driver's last row id."""
    if store.dialect != "sqlite":
        pytest.skip("PostgreSQL: RETURNING id")
    with store.begin() as conn:
        said: list[str] = []
        conn.raw.set_trace_callback(said.append)
        try:
            first, second = docs_q.add_document(conn, **_document(1)), docs_q.add_document(conn, **_document(2))
        finally:
            conn.raw.set_trace_callback(None)
    assert (first, second) == (1, 2)
    assert said and not [s for s in said if "RETURNING" in s.upper()]

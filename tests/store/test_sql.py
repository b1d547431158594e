"""The archive's bookkeeping in plain SQL (lzdocs/store/sql.py): its rows are the rows SQLAlchemy writes and reads,
and it shares the Store's transactions with SQLAlchemy's statements, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Date, DateTime, insert, select
from sqlalchemy import text as sql_text

from lzdocs.errors import FieldError
from lzdocs.store import documents as docs_q
from lzdocs.store import history, schema, sql
from lzdocs.store import submissions as subs

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
    for name, defaults in (docs_q.DEFAULTS | subs.DEFAULTS).items():
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


# --- submissions and their risk rows (lzdocs/store/submissions.py, history.py) ----------------------------------

RISK_ROWS = [{"row": 2, "seq": "1", "post": "出纳", "duties": "收付款", "risk": "挪用公款", "category": "业务流程",
              "level": 1, "measures": "定期盘点", "owner": "张三", "依据": "财务制度"},
             {"row": 3, "seq": None, "post": "会计", "risk": "虚报", "level": None}]


def _submission(unit: str, sha: str, **changes) -> dict:
    return dict(sha256=sha * 64, kind="risk", status="accepted", unit=unit, year=2026,
                filled_date=dt.date(2026, 11, 10), received_at=NOW, arrived_on=dt.date(2026, 11, 27),
                original_name=f"{unit}.docx", source=f"inbox/{unit}.docx", stored_as=f"outbox/{unit}.docx",
                claim=f"claim-{sha}", problems='[{"message": "提示"}]') | changes


def _by_core(conn, table, **where) -> list[dict]:
    """The rows SQLAlchemy reads (as dicts, in the table's column order), by id."""
    query = select(table).order_by(table.c.id)
    for name, value in where.items():
        query = query.where(table.c[name] == value)
    return [dict(r) for r in conn.execute(query).mappings()]


def _as_text(conn, table: str, columns: str, row_id: int) -> tuple:
    return tuple(conn.execute(select(*(sql_text(f"CAST({c} AS TEXT)") for c in columns.split()))
                              .select_from(sql_text(table)).where(sql_text(f"id = {row_id}"))).one())


def test_a_submission_and_its_risk_rows_written_in_plain_sql_are_the_rows_sqlalchemy_writes(store):
    plain_values, core_values = _submission("组织部", "a"), _submission("宣传部", "b", rows=2, accepted_sha256="b" * 64)
    returned_values = _submission("团委", "c", status="rejected", stored_as="inbox/退回/团委.docx", filled_date=None)
    del returned_values["kind"], returned_values["problems"]  # the columns' defaults, filled in by either
    with store.begin() as conn:
        plain, replaced = subs.add_submission(conn, rows=RISK_ROWS, **plain_values)
        core = conn.execute(insert(schema.submissions).values(**core_values)).inserted_primary_key[0]
        conn.execute(insert(schema.risks), [subs._risk_values(core, core_values, r) for r in RISK_ROWS])
        plain_returned, _ = subs.add_submission(conn, rows=[], **returned_values)
        core_returned = conn.execute(insert(schema.submissions).values(
            **_submission("学生处", "d", status="rejected", stored_as="inbox/退回/学生处.docx", filled_date=None,
                          rows=0, kind="risk", problems="[]"))).inserted_primary_key[0]
    assert replaced is None
    with store.read() as conn:
        by_core = {r["id"]: r for r in _by_core(conn, schema.submissions)}
        risks = {sid: _by_core(conn, schema.risks, submission_id=sid) for sid in (plain, core)}
        stored = {sid: _as_text(conn, "submissions", "filled_date received_at arrived_on", sid)
                  for sid in (plain, core, plain_returned, core_returned)}
        read_back = {sid: subs.get(conn, sid) for sid in by_core}
        rows_back = history.rows_of(conn, [plain, core])
    mine = ("id", "sha256", "accepted_sha256", "unit", "original_name", "source", "stored_as", "claim")
    assert {k: v for k, v in by_core[plain].items() if k not in mine} == \
        {k: v for k, v in by_core[core].items() if k not in mine}
    assert by_core[plain]["accepted_sha256"] == "a" * 64 and by_core[plain]["rows"] == 2
    assert by_core[plain]["filled_date"] == dt.date(2026, 11, 10) and by_core[plain]["received_at"] == NOW
    assert {k: v for k, v in by_core[plain_returned].items() if k not in mine} == \
        {k: v for k, v in by_core[core_returned].items() if k not in mine}
    assert by_core[plain_returned]["kind"] == "risk" and by_core[plain_returned]["problems"] == "[]"
    assert stored[plain] == stored[core] and stored[plain_returned] == stored[core_returned]  # the very same text
    mine = ("id", "submission_id", "unit")
    assert [{k: v for k, v in r.items() if k not in mine} for r in risks[plain]] == \
        [{k: v for k, v in r.items() if k not in mine} for r in risks[core]]
    assert [r["extra"] for r in risks[plain]] == ['{"依据": "财务制度"}', "{}"]
    # …and read in plain SQL, each row is the dict SQLAlchemy reads, its columns in the same order
    assert all(list(read_back[sid].items()) == list(row.items()) for sid, row in by_core.items())
    assert [list(r.items()) for sid in (plain, core) for r in rows_back[sid]] == \
        [list(r.items()) for sid in (plain, core) for r in risks[sid]]


LATER, EARLIER = dt.date(2026, 11, 20), dt.date(2026, 11, 1)


def test_the_submission_queries_in_plain_sql_return_the_rows_sqlalchemy_reads(store):
    t = schema.submissions
    with store.begin() as conn:
        old, _ = subs.add_submission(conn, rows=RISK_ROWS, **_submission("组织部", "a", year=2025))
        first, _ = subs.add_submission(conn, rows=RISK_ROWS, **_submission("组织部", "b"))
        newer, replaced = subs.add_submission(conn, rows=[], **_submission("组织部", "c", filled_date=LATER))
        older, none = subs.add_submission(conn, rows=[], **_submission("组织部", "d", filled_date=EARLIER))
        returned = [subs.add_submission(conn, rows=[], **_submission(
            "组织部", sha, status="rejected", stored_as=f"inbox/退回/{sha}.docx"))[0] for sha in "ef"]
        subs.add_submission(conn, rows=[], **_submission("宣传部", "g"))
    assert (replaced, none) == (first, None)
    with store.read() as conn:
        every = {r["id"]: r for r in _by_core(conn, t)}
        assert every[first]["superseded_by"] == newer and every[newer]["supersedes"] == first
        assert every[older]["superseded_by"] == newer and every[older]["supersedes"] is None
        assert subs.accepted_by_hash(conn, "b" * 64) == every[first]
        assert subs.accepted_by_hash(conn, "e" * 64) is None  # returned, not accepted
        assert subs.by_claim(conn, "claim-c") == every[newer] and subs.by_claim(conn, "none") is None
        assert subs.current_for(conn, "risk", "组织部", 2026) == every[newer]
        assert subs.current_for(conn, "risk", "组织部", 2027) is None
        assert subs.rejected_of(conn, "risk", "组织部", 2026) == [every[i] for i in returned]
        assert subs.get(conn, 999) is None
        columns = (t.c.id, t.c.unit, t.c.year, t.c.filled_date, t.c.received_at, t.c.superseded_by)
        core = [dict(r) for r in conn.execute(select(*columns).where(t.c.status == "accepted")
                                              .order_by(t.c.year, t.c.received_at, t.c.id)).mappings()]
        assert history.accepted_forms(conn, up_to_year=2026) == core
        assert history.accepted_forms(conn, up_to_year=2025) == [r for r in core if r["year"] <= 2025]
        assert history.accepted_forms(conn, up_to_year=2026, unit="宣传部") == [r for r in core if r["id"] > older]
        assert history.accepted_forms(conn, up_to_year=2026, unit={"宣传部", "组织部"}) == core
        assert history.accepted_forms(conn, up_to_year=2026, unit=[]) == []
        assert history.accepted_forms(conn, up_to_year=2026, kind="review") == []
        forms, greatest = history.forms_after(conn, 2026, old)
        assert greatest == max(every) and [(r["id"], r["unit"], r["received_at"]) for r in forms
                                           if r["superseded_by"] is None] == [tuple(r) for r in
                                                                              history.current_forms(conn, 2026)]
        assert any(r["superseded_by"] is not None or r["supersedes"] is not None for r in forms)
        assert history.forms_after(conn, 2026, max(every)) == ([], max(every))


def test_the_same_bytes_accepted_twice_are_already_accepted_and_other_faults_are_not(store):
    with store.begin() as conn:
        subs.add_submission(conn, rows=[], **_submission("组织部", "a"))
    with pytest.raises(subs.AlreadyAccepted), store.begin() as conn:
        subs.add_submission(conn, rows=RISK_ROWS, **_submission("宣传部", "a", claim="another"))
    with pytest.raises(Exception) as raised, store.begin() as conn:
        subs.add_submission(conn, rows=[], **_submission("宣传部", "b", original_name=None))  # NOT NULL
    assert not isinstance(raised.value, subs.AlreadyAccepted)
    with store.read() as conn:
        assert [r["unit"] for r in _by_core(conn, schema.submissions)] == ["组织部"]
        assert conn.execute(select(schema.risks)).all() == []


def test_a_long_in_list_is_asked_in_chunks_each_value_once_and_in_order(store):
    chunks = list(sql.in_chunks([*range(1203, 0, -1), 7, 7]))
    assert [len(c) for c in chunks] == [sql.PARAMETERS_AT_ONCE, sql.PARAMETERS_AT_ONCE, 203]
    assert [v for c in chunks for v in c] == list(range(1, 1204))
    with store.read() as conn:  # more ids than one statement binds: every one answered
        assert list(history.rows_of(conn, range(1, 1204))) == list(range(1, 1204))
        assert history.count_rows(conn, range(1, 1204)) == 0 and history.superseded_by(conn, range(1, 1204)) == set()

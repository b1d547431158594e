"""Schema 2: an archive of schema 1 gains the unique accepted_sha256, also when the old race
had already accepted the same bytes twice; from then on the same bytes are a duplicate."""

from __future__ import annotations

import datetime as dt
import sqlite3

from sqlalchemy import select

from lzdocs.ingest import Ingest
from lzdocs.store import Store
from lzdocs.store import submissions as subs
from lzdocs.store.schema import SCHEMA_VERSION, submissions

TODAY = dt.date(2026, 11, 28)


def _as_schema_1(db) -> None:
    """What an archive of the previous version looks like: no accepted_sha256, version 1."""
    with sqlite3.connect(db) as conn:
        conn.execute("DROP INDEX ux_submissions_accepted_sha")
        conn.execute("ALTER TABLE submissions DROP COLUMN accepted_sha256")
        for column in ("status", "origin", "void_reason", "voided"):  # schema 3
            conn.execute(f"ALTER TABLE documents DROP COLUMN {column}")
        conn.execute("ALTER TABLE submissions DROP COLUMN arrived_on")  # schema 4
        conn.execute("DROP TABLE reviews")  # schema 5
        for column in ("checked", "checked_by", "check_result", "closed"):  # schema 6
            conn.execute(f"ALTER TABLE warnings DROP COLUMN {column}")
        conn.execute("DROP TABLE warning_risks")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")


def test_an_archive_with_twice_accepted_bytes_is_migrated_and_then_refuses_a_third(workspace, make_form, tmp_path):
    store = Store.for_workspace(workspace)
    form = make_form(tmp_path / "表.docx")
    Ingest(workspace, store, today=TODAY).run_paths([form])
    store.close()
    db = workspace.root / "lzdocs.db"
    _as_schema_1(db)
    with sqlite3.connect(db) as conn:  # the old race: the same bytes accepted a second time
        conn.execute("INSERT INTO submissions (sha256, kind, status, unit, year, received_at, original_name, source,"
                     " rows, problems) SELECT sha256, kind, status, unit, year, received_at, '副本.docx', source, 0,"
                     " '[]' FROM submissions")
    store = Store.for_workspace(workspace)
    assert store.schema_version == SCHEMA_VERSION
    with store.read() as conn:
        rows = conn.execute(select(submissions.c.id, submissions.c.accepted_sha256)
                            .order_by(submissions.c.id)).all()
    assert [r[1] is not None for r in rows] == [True, False]  # the first one holds the hash
    (workspace.inbox / "又一份.docx").write_bytes(form.read_bytes())
    [out] = Ingest(workspace, store, today=TODAY).run_inbox()
    assert out.status == "duplicate"
    with store.read() as conn:
        assert subs.accepted_by_hash(conn, rows[0][1])["id"] == rows[0][0]
    store.close()


def test_an_archive_of_schema_4_gains_the_reviews_table(workspace):
    Store.for_workspace(workspace).close()
    db = workspace.root / "lzdocs.db"
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE reviews")
        conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    store = Store.for_workspace(workspace)
    assert store.schema_version == SCHEMA_VERSION
    store.close()
    with sqlite3.connect(db) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(reviews)")]
    assert columns == ["id", "submission_id", "risk_id", "unit", "post", "risk", "reviewed", "result", "problem",
                       "remedy", "row_no"]

"""发文登记簿 and 预警处置台账 queries: numbers, documents, warnings, replies, 作废."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from lzdocs.store import sql

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

# Every letter runs these (a batch a thousand times): plain SQL, run without SQLAlchemy on SQLite (store/sql.py).
VOID, ASSIGNED = "void", "assigned"  # documents.status of a 作废 number; documents.origin of a number from elsewhere
# The columns' defaults of lzdocs/store/schema.py, given here as SQL text has none (tests/store/test_sql.py).
DEFAULTS = {"documents": {"recipient": "", "copies": 1, "note": ""}, "warnings": {"note": ""}}
_WARNINGS = ("SELECT warnings.*, documents.number, documents.title, documents.file, documents.status "
             "FROM warnings JOIN documents ON documents.id = warnings.document_id")


def next_seq(conn: Connection, code: str, year: int) -> int:
    """The next sequence number for a 机关代字 and year; call inside a write transaction (it holds the lock)."""
    last = sql.scalar(conn, "SELECT max(seq) FROM documents WHERE code = :code AND year = :year",
                      {"code": code, "year": year})
    return (last or 0) + 1


def document_with_seq(conn: Connection, code: str, year: int, seq: int) -> dict | None:
    """The row holding a number (issued, assigned or voided), or None when it was never used."""
    return sql.row(conn, "SELECT * FROM documents WHERE code = :code AND year = :year AND seq = :seq",
                   {"code": code, "year": year, "seq": seq})


def codes_of(conn: Connection, year: int) -> list[str]:
    """The 机关代字 numbered in ``year``, in the order first used."""
    return [r["code"] for r in sql.rows(conn, "SELECT code, min(id) AS first FROM documents WHERE year = :year "
                                              "GROUP BY code ORDER BY first", {"year": year})]


def previous_document(conn: Connection, code: str, year: int, seq: int) -> dict | None:
    """The document with the highest number below ``seq`` of the same 机关代字 and year that was not voided."""
    return sql.row(conn, "SELECT * FROM documents WHERE code = :code AND year = :year AND seq < :seq "
                         "AND status != :void ORDER BY seq DESC LIMIT 1",
                   {"code": code, "year": year, "seq": seq, "void": VOID})


def void_document(conn: Connection, document_id: int, *, reason: str, voided: dt.date, file: str) -> None:
    """Mark a document 作废: its row stays (so its number is never issued again), with the reason, date and the
    place its file was moved to."""
    sql.run(conn, "UPDATE documents SET status = :void, void_reason = :reason, voided = :voided, file = :file "
                  "WHERE id = :id", {"void": VOID, "reason": reason, "voided": voided, "file": file, "id": document_id})


def add_document(conn: Connection, **values) -> int:
    return sql.insert(conn, "documents", DEFAULTS["documents"] | values)


def add_warning(conn: Connection, **values) -> int:
    return sql.insert(conn, "warnings", DEFAULTS["warnings"] | values)


def find_document(conn: Connection, number: str) -> dict | None:
    return sql.row(conn, "SELECT * FROM documents WHERE number = :number", {"number": number})


def find_document_by_file(conn: Connection, file: str) -> dict | None:
    """The document recorded with this workspace-relative file path, or None."""
    return sql.row(conn, "SELECT * FROM documents WHERE file = :file", {"file": file})


def warning_for(conn: Connection, document_id: int) -> dict | None:
    """The 预警处置台账 row of a document, or None when the document expects no reply."""
    return sql.row(conn, "SELECT * FROM warnings WHERE document_id = :id", {"id": document_id})


def record_reply(conn: Connection, document_id: int, replied: dt.date, *, note: str | None = None) -> None:
    if note is None:
        sql.run(conn, "UPDATE warnings SET replied = :replied WHERE document_id = :id",
                {"replied": replied, "id": document_id})
    else:
        sql.run(conn, "UPDATE warnings SET replied = :replied, note = :note WHERE document_id = :id",
                {"replied": replied, "note": note, "id": document_id})


def list_documents(conn: Connection, year: int | None = None) -> list[dict]:
    if year is None:
        return sql.rows(conn, "SELECT * FROM documents ORDER BY issued, id")
    return sql.rows(conn, "SELECT * FROM documents WHERE year = :year ORDER BY issued, id", {"year": year})


def list_warnings(conn: Connection, year: int | None = None) -> list[dict]:
    if year is None:
        return sql.rows(conn, f"{_WARNINGS} ORDER BY warnings.issued, warnings.id")
    return sql.rows(conn, f"{_WARNINGS} WHERE documents.year = :year ORDER BY warnings.issued, warnings.id",
                    {"year": year})


def overdue_warnings(conn: Connection, today: dt.date) -> list[dict]:
    """Letters past their reply date unanswered — not those of a year archived (its steps cannot be recorded until it
    is reopened: ``archive --unfinished`` left them so knowingly)."""
    from lzdocs.store.years import OPEN_CLOSURES

    return sql.rows(conn, "SELECT warnings.*, documents.number, documents.title FROM warnings "
                          "JOIN documents ON documents.id = warnings.document_id "
                          "WHERE warnings.replied IS NULL AND warnings.reply_due IS NOT NULL "
                          "AND warnings.reply_due < :today AND documents.status != :void "
                          f"AND documents.year NOT IN ({OPEN_CLOSURES}) ORDER BY warnings.reply_due",
                    {"today": today, "void": VOID})

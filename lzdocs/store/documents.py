"""发文登记簿 and 预警处置台账 queries: numbers, documents, warnings, replies, 作废."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from lzdocs.store.schema import documents, warnings

# Built once: a batch of letters runs these a thousand times, and SQLAlchemy caches a statement's key on it.
_LAST_SEQ = select(func.max(documents.c.seq)).where(documents.c.code == bindparam("code"),
                                                    documents.c.year == bindparam("year"))
_INSERT_DOCUMENT = insert(documents)
_INSERT_WARNING = insert(warnings)
VOID, ASSIGNED = "void", "assigned"  # documents.status of a 作废 number; documents.origin of a number from elsewhere


def next_seq(conn: Connection, code: str, year: int) -> int:
    """The next sequence number for a 机关代字 and year; call inside a write transaction (it holds the lock)."""
    last = conn.execute(_LAST_SEQ, {"code": code, "year": year}).scalar()
    return (last or 0) + 1


def document_with_seq(conn: Connection, code: str, year: int, seq: int):
    """The row holding a number (issued, assigned or voided), or None when it was never used."""
    return conn.execute(select(documents).where(documents.c.code == code, documents.c.year == year,
                                                documents.c.seq == seq)).mappings().first()


def previous_document(conn: Connection, code: str, year: int, seq: int):
    """The document with the highest number below ``seq`` of the same 机关代字 and year that was not voided."""
    return conn.execute(select(documents).where(documents.c.code == code, documents.c.year == year,
                                                documents.c.seq < seq, documents.c.status != VOID)
                        .order_by(documents.c.seq.desc()).limit(1)).mappings().first()


def void_document(conn: Connection, document_id: int, *, reason: str, voided: dt.date, file: str) -> None:
    """Mark a document 作废: its row stays (so its number is never issued again), with the reason, date and the
    place its file was moved to."""
    conn.execute(update(documents).where(documents.c.id == document_id)
                 .values(status=VOID, void_reason=reason, voided=voided, file=file))


def add_document(conn: Connection, **values) -> int:
    return conn.execute(_INSERT_DOCUMENT, values).inserted_primary_key[0]


def add_warning(conn: Connection, **values) -> int:
    return conn.execute(_INSERT_WARNING, values).inserted_primary_key[0]


def find_document(conn: Connection, number: str):
    return conn.execute(select(documents).where(documents.c.number == number)).mappings().first()


def find_document_by_file(conn: Connection, file: str):
    """The document recorded with this workspace-relative file path, or None."""
    return conn.execute(select(documents).where(documents.c.file == file)).mappings().first()


def warning_for(conn: Connection, document_id: int):
    """The 预警处置台账 row of a document, or None when the document expects no reply."""
    return conn.execute(select(warnings).where(warnings.c.document_id == document_id)).mappings().first()


def record_reply(conn: Connection, document_id: int, replied: dt.date, *, note: str | None = None) -> None:
    values = {"replied": replied} if note is None else {"replied": replied, "note": note}
    conn.execute(update(warnings).where(warnings.c.document_id == document_id).values(**values))


def list_documents(conn: Connection, year: int | None = None):
    q = select(documents).order_by(documents.c.issued, documents.c.id)
    if year is not None:
        q = q.where(documents.c.year == year)
    return conn.execute(q).mappings().all()


def list_warnings(conn: Connection, year: int | None = None):
    q = (select(warnings, documents.c.number, documents.c.title, documents.c.file, documents.c.status)
         .join(documents, documents.c.id == warnings.c.document_id)
         .order_by(warnings.c.issued, warnings.c.id))
    if year is not None:
        q = q.where(documents.c.year == year)
    return conn.execute(q).mappings().all()


def overdue_warnings(conn: Connection, today: dt.date):
    q = (select(warnings, documents.c.number, documents.c.title)
         .join(documents, documents.c.id == warnings.c.document_id)
         .where(warnings.c.replied.is_(None), warnings.c.reply_due.is_not(None), warnings.c.reply_due < today,
                documents.c.status != VOID)
         .order_by(warnings.c.reply_due))
    return conn.execute(q).mappings().all()

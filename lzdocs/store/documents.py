"""发文登记簿 and 预警处置台账 queries: numbers, documents, warnings, replies."""

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


def next_seq(conn: Connection, code: str, year: int) -> int:
    """The next sequence number for a 机关代字 and year; call inside a write transaction (it holds the lock)."""
    last = conn.execute(_LAST_SEQ, {"code": code, "year": year}).scalar()
    return (last or 0) + 1


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
    q = (select(warnings, documents.c.number, documents.c.title, documents.c.file)
         .join(documents, documents.c.id == warnings.c.document_id)
         .order_by(warnings.c.issued, warnings.c.id))
    if year is not None:
        q = q.where(documents.c.year == year)
    return conn.execute(q).mappings().all()


def overdue_warnings(conn: Connection, today: dt.date):
    q = (select(warnings, documents.c.number, documents.c.title)
         .join(documents, documents.c.id == warnings.c.document_id)
         .where(warnings.c.replied.is_(None), warnings.c.reply_due.is_not(None), warnings.c.reply_due < today)
         .order_by(warnings.c.reply_due))
    return conn.execute(q).mappings().all()

"""Queries for letters: which roster units still owe a form, which letters a unit has been sent."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select
from sqlalchemy.engine import Connection

from lzdocs.store.schema import documents, events, submissions


def units_with_current_submission(conn: Connection, year: int, kind: str = "risk") -> set[str]:
    """Units that have an accepted, not superseded form of ``kind`` for ``year``."""
    rows = conn.execute(select(submissions.c.unit).where(
        submissions.c.kind == kind, submissions.c.year == year, submissions.c.status == "accepted",
        submissions.c.superseded_by.is_(None), submissions.c.unit.is_not(None)).distinct())
    return {r[0] for r in rows}


def letters_to(conn: Connection, unit: str, *, kind: str | None = None, year: int | None = None):
    """The letters sent to a unit (发文登记簿 rows), oldest first."""
    q = select(documents).where(documents.c.recipient == unit)
    if kind is not None:
        q = q.where(documents.c.kind == kind)
    if year is not None:
        q = q.where(documents.c.year == year)
    return conn.execute(q.order_by(documents.c.issued, documents.c.id)).mappings().all()


def sent_with(conn: Connection, kind: str, recipient: str, content: str) -> str | None:
    """The 文号 of a letter in force of ``kind`` sent to ``recipient`` whose issue recorded ``content`` (a batch
    row's fingerprint: documents/letters.py ``row_content``), None when none was: a batch file run again after a
    Ctrl-C, a cut-off or on the next day does not send a row's letter twice."""
    sent = conn.execute(select(documents.c.number).where(
        documents.c.kind == kind, documents.c.recipient == recipient, documents.c.status == "issued")
        .order_by(documents.c.id)).scalars().all()
    if not sent:  # the usual case: the events are not read
        return None
    found = conn.execute(select(events.c.subject, events.c.after).where(
        events.c.action == "issue", events.c.subject.in_(sent), events.c.after.like(f"%{content}%")))
    same = {number for number, after in found if json.loads(after or "{}").get("content") == content}
    return next((number for number in reversed(sent) if number in same), None)


def sent_on(conn: Connection, kind: str, title: str, note: str, day: dt.date) -> dict[str, str]:
    """The recipients sent a letter of ``kind`` with ``title`` and ``note`` (a 催报通知's: the year it asks the
    forms of) dated ``day`` and not voided, and its 文号 (the latest): a batch run again that day (after a
    cut-off, a Ctrl-C) does not send them a second one."""
    rows = conn.execute(select(documents.c.recipient, documents.c.number).where(
        documents.c.kind == kind, documents.c.title == title, documents.c.note == note, documents.c.issued == day,
        documents.c.status == "issued").order_by(documents.c.id))
    return {unit: number for unit, number in rows}

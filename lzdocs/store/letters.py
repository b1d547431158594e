"""Queries for letters: which roster units still owe a form, which letters a unit has been sent."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from lzdocs.store import sql

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


def units_with_current_submission(conn: Connection, year: int, kind: str = "risk") -> set[str]:
    """Units that have an accepted, not superseded form of ``kind`` for ``year``."""
    return set(sql.column(conn, "SELECT DISTINCT unit FROM submissions WHERE kind = :kind AND year = :year "
                                "AND status = 'accepted' AND superseded_by IS NULL AND unit IS NOT NULL",
                          {"kind": kind, "year": year}))


def letters_to(conn: Connection, unit: str, *, kind: str | None = None, year: int | None = None) -> list[dict]:
    """The letters sent to a unit (发文登记簿 rows), oldest first."""
    params = {"unit": unit, "kind": kind, "year": year}
    where = " AND ".join(["recipient = :unit", *(f"{name} = :{name}" for name in ("kind", "year")
                                                 if params[name] is not None)])
    return sql.rows(conn, f"SELECT * FROM documents WHERE {where} ORDER BY issued, id",
                    {k: v for k, v in params.items() if v is not None})


def sent_with(conn: Connection, kind: str, recipient: str, content: str) -> str | None:
    """The 文号 of a letter in force of ``kind`` sent to ``recipient`` whose issue recorded ``content`` (a batch
    row's fingerprint: documents/letters.py ``row_content``), None when none was: a batch file run again after a
    Ctrl-C, a cut-off or on the next day does not send a row's letter twice."""
    sent = sql.column(conn, "SELECT number FROM documents WHERE kind = :kind AND recipient = :recipient "
                            "AND status = 'issued' ORDER BY id", {"kind": kind, "recipient": recipient})
    if not sent:  # the usual case: the events are not read
        return None
    numbers, params = sql.placeholders("n", sent)
    found = sql.rows(conn, f"SELECT subject, \"after\" FROM events WHERE action = 'issue' AND subject IN ({numbers}) "
                           "AND \"after\" LIKE :content", {**params, "content": f"%{content}%"})
    same = {r["subject"] for r in found if json.loads(r["after"] or "{}").get("content") == content}
    return next((number for number in reversed(sent) if number in same), None)


def sent_on(conn: Connection, kind: str, title: str, note: str, day: dt.date) -> dict[str, str]:
    """The recipients sent a letter of ``kind`` with ``title`` and ``note`` (a 催报通知's: the year it asks the
    forms of) dated ``day`` and not voided, and its 文号 (the latest): a batch run again that day (after a
    cut-off, a Ctrl-C) does not send them a second one."""
    found = sql.rows(conn, "SELECT recipient, number FROM documents WHERE kind = :kind AND title = :title "
                           "AND note = :note AND issued = :day AND status = 'issued' ORDER BY id",
                     {"kind": kind, "title": title, "note": note, "day": day})
    return {r["recipient"]: r["number"] for r in found}

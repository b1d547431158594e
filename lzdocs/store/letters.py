"""Queries for letters: which roster units still owe a form, which letters a unit has been sent."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
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


class SentRows:
    """The batch rows of ``kind`` sent already as letters in force, by recipient and fingerprint (a batch row's
    ``row_content``, which its issue event keeps): a batch file run again after a Ctrl-C, a cut-off or on the next
    day does not send a row's letter twice.

    The events are read once, then at each row only those recorded since (by this run, or by another process running
    the same file at once): a batch of a thousand letters does not read the archive's events a thousand times."""

    def __init__(self, kind: str):
        self.kind = kind
        self._seen = 0  # the last event read
        self._row_of: dict[str, tuple[str, str]] = {}  # 文号 in force → (recipient, fingerprint)
        self._sent: dict[tuple[str, str], list[str]] = {}  # (recipient, fingerprint) → 文号 in force, oldest first

    def number(self, conn: Connection, recipient: str, content: str) -> str | None:
        """The 文号 of the latest letter in force sent to ``recipient`` for the row ``content``, else None."""
        for event in sql.rows(conn, 'SELECT id, action, subject, "after" FROM events WHERE id > :seen '
                                    "AND action IN ('issue', 'void') ORDER BY id", {"seen": self._seen}):
            self._seen = event["id"]
            if event["action"] == "void":
                if (row := self._row_of.pop(event["subject"], None)) is not None:
                    self._sent[row].remove(event["subject"])
            elif '"content"' in (event["after"] or ""):
                after = json.loads(event["after"])
                if after.get("kind") == self.kind and after.get("content"):
                    row = (after.get("recipient", ""), after["content"])
                    self._row_of[event["subject"]] = row
                    self._sent.setdefault(row, []).append(event["subject"])
        numbers = self._sent.get((recipient, content))
        return numbers[-1] if numbers else None


def urged(conn: Connection, units: Collection[str], title: str, note: str) -> bool:
    """Was any of ``units`` (a unit's names) sent a letter with ``title`` and ``note`` (a 催报通知 asking for the forms
    of a year), not voided?"""
    names = list(dict.fromkeys(units))
    marks = ", ".join(f":unit{i}" for i in range(len(names)))
    return sql.row(conn, f"SELECT 1 AS found FROM documents WHERE kind = 'urge' AND title = :title AND note = :note "
                         f"AND status = 'issued' AND recipient IN ({marks})",
                   {"title": title, "note": note, **{f"unit{i}": n for i, n in enumerate(names)}}) is not None


def sent_on(conn: Connection, kind: str, title: str, note: str, day: dt.date) -> dict[str, str]:
    """The recipients sent a letter of ``kind`` with ``title`` and ``note`` (a 催报通知's: the year it asks the
    forms of) dated ``day`` and not voided, and its 文号 (the latest): a batch run again that day (after a
    cut-off, a Ctrl-C) does not send them a second one."""
    found = sql.rows(conn, "SELECT recipient, number FROM documents WHERE kind = :kind AND title = :title "
                           "AND note = :note AND issued = :day AND status = 'issued' ORDER BY id",
                     {"kind": kind, "title": title, "note": note, "day": day})
    return {r["recipient"]: r["number"] for r in found}

"""Queries of the follow-up of warnings (预警处置): the check (核查), the closing (办结), the risk points linked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from lzdocs.store.schema import documents, risks, submissions, unit_is, warning_risks, warnings, year_closures

# ``archived``: its 文号's year is closed by its 归档 package (not reopened) — no step of it can be recorded
_ARCHIVED = documents.c.year.in_(select(year_closures.c.year).where(year_closures.c.reopened_at.is_(None)))
_WARNING_ROWS = (select(warnings, documents.c.number, documents.c.title, documents.c.status,
                        _ARCHIVED.label("archived"))
                 .join(documents, documents.c.id == warnings.c.document_id))


def warning_by_number(conn: Connection, number: str):
    """The 预警处置台账 row of a 文号 with the document's number, title and status, or None."""
    return conn.execute(_WARNING_ROWS.where(documents.c.number == number)).mappings().first()


def all_warnings(conn: Connection, *, unit: str | Collection[str] | None = None, year: int | None = None):
    """Every row of the 预警处置台账 (of a unit, of a year's numbers), oldest first."""
    q = _WARNING_ROWS.order_by(warnings.c.issued, warnings.c.id)
    if unit is not None:
        q = q.where(unit_is(warnings.c.unit, unit))
    if year is not None:
        q = q.where(documents.c.year == year)
    return conn.execute(q).mappings().all()


def record_check(conn: Connection, warning_id: int, *, checked: dt.date, checked_by: str, result: str) -> None:
    conn.execute(update(warnings).where(warnings.c.id == warning_id)
                 .values(checked=checked, checked_by=checked_by, check_result=result))


def record_closed(conn: Connection, warning_id: int, closed: dt.date) -> None:
    conn.execute(update(warnings).where(warnings.c.id == warning_id).values(closed=closed))


def link_risks(conn: Connection, warning_id: int, risk_ids: list[int]) -> list[int]:
    """Link the risk points to the warning; returns the ids that were not linked before."""
    known = set(conn.execute(select(warning_risks.c.risk_id).where(warning_risks.c.warning_id == warning_id))
                .scalars())
    new = [r for r in dict.fromkeys(risk_ids) if r not in known]
    if new:
        conn.execute(insert(warning_risks), [{"warning_id": warning_id, "risk_id": r} for r in new])
    return new


def linked_risks(conn: Connection, warning_ids: list[int]) -> dict[int, list[int]]:
    """warning id → the ids of the risk points linked to it, in the order they were linked."""
    out: dict[int, list[int]] = {w: [] for w in warning_ids}
    if warning_ids:
        rows = conn.execute(select(warning_risks.c.warning_id, warning_risks.c.risk_id)
                            .where(warning_risks.c.warning_id.in_(warning_ids)).order_by(warning_risks.c.id))
        for warning_id, risk_id in rows:
            out[warning_id].append(risk_id)
    return out


def risk_rows(conn: Connection, risk_ids: list[int]):
    """Risk rows by id (any year, current or superseded), with whether their form is still current."""
    q = (select(risks, (submissions.c.superseded_by.is_(None)).label("current"))
         .join(submissions, submissions.c.id == risks.c.submission_id).where(risks.c.id.in_(risk_ids)))
    return conn.execute(q).mappings().all()

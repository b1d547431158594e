"""Queries behind the registers and ``lzdocs status``: submissions per unit, rejections, counts by level."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from lzdocs.store.schema import risks, submissions


def _of_year(year: int):
    """Rows of a year; a rejected file whose year could not be read counts for the year it arrived in."""
    start, end = dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1)
    return or_(submissions.c.year == year,
               and_(submissions.c.year.is_(None), submissions.c.received_at >= start,
                    submissions.c.received_at < end))


def accepted_by_unit(conn: Connection, year: int, kind: str = "risk") -> dict[str, dict]:
    """Per unit: when its first accepted form was taken and the day the earliest arrived (``first_arrived``, by which
    it is on time or late), and how many versions were accepted in all."""
    q = (select(submissions.c.unit, submissions.c.received_at, submissions.c.arrived_on)
         .where(submissions.c.status == "accepted", submissions.c.kind == kind, submissions.c.year == year))
    found: dict[str, dict] = {}
    for r in conn.execute(q):
        arrived = r.arrived_on or r.received_at.date()
        unit = found.setdefault(r.unit, {"first_received": r.received_at, "first_arrived": arrived, "versions": 0})
        unit["first_received"] = min(unit["first_received"], r.received_at)
        unit["first_arrived"] = min(unit["first_arrived"], arrived)
        unit["versions"] += 1
    return found


def current_by_unit(conn: Connection, year: int, kind: str = "risk") -> dict[str, dict]:
    """Per unit: the current (accepted, not superseded) submission — what the register shows."""
    q = (select(submissions.c.id, submissions.c.unit, submissions.c.received_at, submissions.c.arrived_on,
                submissions.c.filled_date, submissions.c.original_name, submissions.c.stored_as, submissions.c.rows)
         .where(submissions.c.status == "accepted", submissions.c.kind == kind, submissions.c.year == year,
                submissions.c.superseded_by.is_(None)))
    return {r.unit: dict(r._mapping) for r in conn.execute(q)}


def rejections_by_unit(conn: Connection, year: int, kind: str = "risk",
                       until: dt.date | None = None) -> dict[str, dict]:
    """Per unit: how many files were rejected, and the latest one with its reasons (error messages); ``until``: only
    files that came by that day and were taken by its end (a closed year's 报送情况, as of the day it was closed: not
    the forms returned since because it was closed, even one given a day of arrival before)."""
    where = and_(submissions.c.status == "rejected", submissions.c.kind == kind, submissions.c.unit.is_not(None),
                 _of_year(year))
    if until is not None:
        where = and_(where, or_(submissions.c.arrived_on.is_(None), submissions.c.arrived_on <= until),
                     submissions.c.received_at < dt.datetime.combine(until, dt.time()) + dt.timedelta(days=1))
    q = (select(submissions.c.id, submissions.c.unit, submissions.c.received_at, submissions.c.arrived_on,
                submissions.c.original_name, submissions.c.problems)
         .where(where)
         .order_by(submissions.c.id))  # the order the archive took them in, not recorded times (order_key)
    found: dict[str, dict] = {}
    for r in conn.execute(q):
        count = found.get(r.unit, {}).get("count", 0) + 1
        found[r.unit] = {"count": count, "id": r.id, "received_at": r.received_at, "arrived_on": r.arrived_on,
                         "original_name": r.original_name, "reasons": _error_messages(r.problems)}
    return found


def _error_messages(problems_json: str | None) -> list[str]:
    try:
        problems = json.loads(problems_json or "[]")
    except ValueError:
        return []
    return [p.get("message", "") for p in problems if isinstance(p, dict) and p.get("severity") == "error"]


def level_counts(conn: Connection, year: int, kind: str = "risk") -> dict[str, dict[int, int]]:
    """Current risk points counted by unit and level: {unit: {level: n}}."""
    q = (select(risks.c.unit, risks.c.level, func.count().label("n"))
         .join(submissions, submissions.c.id == risks.c.submission_id)
         .where(submissions.c.status == "accepted", submissions.c.superseded_by.is_(None),
                risks.c.kind == kind, risks.c.year == year)
         .group_by(risks.c.unit, risks.c.level))
    counts: dict[str, dict[int, int]] = {}
    for r in conn.execute(q):
        counts.setdefault(r.unit, {})[r.level] = r.n
    return counts


"""Queries for cases (违纪违规案例): recording and voiding one, listing them with their risk point, the points 已发生.

A voided case (``voided`` set, ``lzdocs case void``) keeps its row and is counted nowhere: only ``case list``
(``include_void``) shows it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Connection

from lzdocs.store.schema import cases, risks, unit_is

DAY = dt.timedelta(days=1)

# The matched risk point's columns, as ``point_<name>`` in a listed case.
_POINT = (risks.c.year, risks.c.seq, risks.c.post, risks.c.risk, risks.c.level)
IN_FORCE = cases.c.voided.is_(None)  # not voided: a case that counts


def add_case(conn: Connection, **values) -> int:
    """Insert one case; returns its id (the caller logs the event in the same transaction)."""
    return conn.execute(insert(cases).values(**values)).inserted_primary_key[0]


def cases_of_day(conn: Connection, unit: str, date):
    """The unit's cases in force dated ``date``, by id (to find the one a case being added repeats)."""
    q = select(cases).where(cases.c.unit == unit, cases.c.date == date, IN_FORCE).order_by(cases.c.id)
    return conn.execute(q).mappings().all()


def list_cases(conn: Connection, *, year: int | None = None, unit: str | Collection[str] | None = None,
               case_id: int | None = None, include_void: bool = False, point_year: int | None = None):
    """Cases in force (also the voided ones with ``include_void``) by date then id, each with its risk point's
    fields (``point_year``, ``point_post`` …; NULL if none). ``point_year``: only those matched to a point of it."""
    q = (select(cases, *(c.label(f"point_{c.name}") for c in _POINT))
         .select_from(cases.outerjoin(risks, risks.c.id == cases.c.risk_id)))
    if not include_void:
        q = q.where(IN_FORCE)
    if year is not None:
        q = q.where(cases.c.year == year)
    if unit is not None:
        q = q.where(unit_is(cases.c.unit, unit))
    if case_id is not None:
        q = q.where(cases.c.id == case_id)
    if point_year is not None:
        q = q.where(risks.c.year == point_year)
    return conn.execute(q.order_by(cases.c.date, cases.c.id)).mappings().all()


def linked_points(conn: Connection, until: dt.date | None = None):
    """Each risk row cases in force were matched to — its id, unit, year, post and risk — with ``n``, how many
    (``until``: only cases that occurred by that day and were recorded by its end)."""
    where = IN_FORCE if until is None else and_(IN_FORCE, cases.c.date <= until,
                                                cases.c.created_at < dt.datetime.combine(until, dt.time()) + DAY)
    q = (select(risks.c.id, risks.c.unit, risks.c.year, risks.c.post, risks.c.risk, func.count().label("n"))
         .select_from(cases.join(risks, risks.c.id == cases.c.risk_id)).where(where).group_by(risks.c.id))
    return conn.execute(q).mappings().all()


def void_case(conn: Connection, case_id: int, *, reason: str, voided) -> None:
    """Mark a case void (the caller checked it is in force, and logs the event in the same transaction)."""
    conn.execute(update(cases).where(cases.c.id == case_id, IN_FORCE).values(voided=voided, void_reason=reason))

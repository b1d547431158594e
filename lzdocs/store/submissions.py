"""Submissions and their risk rows: recording ingest outcomes, supersession, and the current risk points."""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
from collections.abc import Collection, Sequence

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from lzdocs.store import sql
from lzdocs.store.schema import risks, submissions, unit_is

RISK_COLUMNS = ("seq", "post", "duties", "risk", "category", "level", "measures", "owner")


class AlreadyAccepted(Exception):
    """The same bytes were accepted by another transaction first: this file is a duplicate (roll back, retry)."""

    def __init__(self, sha256: str):
        super().__init__(sha256)
        self.sha256 = sha256


class MergedSince(Exception):
    """A form of a year in which the unit it is now was two or more units — merged since, in units.csv, their former
    names kept as 别名 — whose written name is none of theirs: which of their forms it replaces cannot be told."""

    def __init__(self, unit: str, year: int, names: Sequence[str]):
        super().__init__(unit, year, names)
        self.unit, self.year, self.names = unit, year, list(names)


# Every file taken runs these: plain SQL (lzdocs/store/sql.py), each row a dict of the columns of
# lzdocs/store/schema.py's table, in its order (as ``select(submissions)`` reads them).
_SUBMISSION = "SELECT " + ", ".join(f'"{c.name}"' for c in submissions.c) + " FROM submissions"
_BY_HASH = f"{_SUBMISSION} WHERE sha256 = :sha AND status = 'accepted' ORDER BY id"
_BY_CLAIM = f"{_SUBMISSION} WHERE claim = :claim"
_CURRENT = (f"{_SUBMISSION} WHERE kind = :kind AND unit = :unit AND year = :year AND status = 'accepted' "
            "AND superseded_by IS NULL")
_GET = f"{_SUBMISSION} WHERE id = :id"
_REJECTED = (f"{_SUBMISSION} WHERE kind = :kind AND unit = :unit AND year = :year AND status = 'rejected' "
             "AND stored_as IS NOT NULL ORDER BY id")
# The columns' defaults of lzdocs/store/schema.py, given here as SQL text has none (tests/store/test_sql.py).
DEFAULTS = {"submissions": {"kind": "risk", "rows": 0, "problems": "[]"}}


def accepted_by_hash(conn: Connection, sha256: str) -> dict | None:
    return sql.row(conn, _BY_HASH, {"sha": sha256})


def by_claim(conn: Connection, claim: str) -> dict | None:
    return sql.row(conn, _BY_CLAIM, {"claim": claim})


def current_for(conn: Connection, kind: str, unit: str | Collection[str], year: int) -> dict | None:
    """The accepted, not superseded submission of a unit for a year (the one the register shows). ``unit``: its
    name, or the names its forms may be recorded under (``Roster.recorded_names``) — the newest of those."""
    found = currents_for(conn, kind, unit, year)
    return max(found, key=order_key) if found else None


def currents_for(conn: Connection, kind: str, unit: str | Collection[str], year: int) -> list[dict]:
    """Every accepted, not superseded submission of ``kind`` and ``year`` recorded under ``unit`` (a name, or
    several): one per name at most — more than one only for a unit whose forms under its old name were not
    replaced by a form under its new one (archives written before that was so)."""
    names = [unit] if isinstance(unit, str) else list(dict.fromkeys(unit))
    if len(names) == 1:
        return sql.rows(conn, _CURRENT, {"kind": kind, "unit": names[0], "year": year})
    marks = ", ".join(f":unit{i}" for i in range(len(names)))
    return sql.rows(conn, _CURRENT.replace("unit = :unit", f"unit IN ({marks})"),
                    {"kind": kind, "year": year, **{f"unit{i}": name for i, name in enumerate(names)}})


def order_key(row) -> tuple:
    """Which of two forms of a unit and year is newer (sorts later): 填表日期 (else the day received), then the order
    the archive took them in (the id) — never the recorded times, which come from the clocks of the machines that
    took them (several, on a shared PostgreSQL archive) and may be minutes apart or set back."""
    return (row["filled_date"] or row["received_at"].date(), row["id"])


def replaces(new, current) -> bool:
    """Does the form ``new`` replace ``current``, its unit's current form of the year — not older than it by
    :func:`order_key` (else it goes into history behind it)? ``new`` may be one not stored yet (``id`` None, as
    ``ingest --dry-run`` asks): it is taken after every form there is."""
    key = order_key(new)
    return (key[0], math.inf if key[1] is None else key[1]) >= order_key(current)


def add_submission(conn: Connection, *, rows: list[dict], names: Collection[str] = (), written: str = "",
                   **values) -> tuple[int, int | None]:
    """Insert a submission (and its risk rows when accepted); settle which one is current.

    Returns (new id, id of the submission it superseded or None). A form that is older than the current
    one (by 填表日期, then the order taken in: :func:`order_key`) goes straight into history, superseded by the
    current one. An accepted submission whose bytes were accepted before raises AlreadyAccepted (the caller's
    transaction rolls back). ``names``: the other names the unit's forms may be recorded under (a unit renamed in
    units.csv: ``Roster.recorded_names``) — its form of the year sent under its old name is its current form too.

    Units merged since (基建处 and 后勤管理处 → 基建后勤处, both former names its 别名): a year in which current forms
    are recorded under two or more of the unit's names was a year of two units. A form of that year (a late correction)
    written with one of those former names (``written``) replaces only the form recorded under it, and is recorded
    under it too — the year stays as it was, two units. Written otherwise, when the unit's own name is none of them
    (a merge under a new name), it raises MergedSince: nothing is replaced (the caller's transaction rolls back).
    When the unit's own name is among them (it took the other in), a form written with it replaces them all, as a
    renamed unit's does: the archive cannot tell that year's second unit from a former name of this one.
    """
    values.setdefault("problems", "[]")
    accepted = values["status"] == "accepted"
    found = []  # the unit's current forms of the year (looked for before the insert: the new one is not among them)
    if accepted:
        values["unit"], found = recorded_under(conn, values["kind"], values["unit"], values["year"], names=names,
                                               written=written)
    values["rows"] = len(rows)
    values["accepted_sha256"] = values["sha256"] if accepted else None
    try:
        new_id = sql.insert(conn, "submissions", DEFAULTS["submissions"] | values)
    except (IntegrityError, sqlite3.IntegrityError) as exc:  # SQLAlchemy's (on a server), or sqlite3's own
        if "accepted_sha" in str(getattr(exc, "orig", exc)):
            raise AlreadyAccepted(values["sha256"]) from exc
        raise
    if not accepted:
        return new_id, None
    if rows:
        sql.insert_many(conn, "risks", [_risk_values(new_id, values, r) for r in rows])
    if not found:
        return new_id, None
    new, current = get(conn, new_id), max(found, key=order_key)
    if replaces(new, current):
        for older in found:  # under any of the unit's names: one current form of a unit and year
            sql.run(conn, _SET_SUPERSEDED_BY, {"id": older["id"], "by": new_id})
        sql.run(conn, "UPDATE submissions SET supersedes = :old WHERE id = :id", {"id": new_id, "old": current["id"]})
        return new_id, current["id"]
    # Older than the current one: into history behind it, with any other form found current under another of the
    # unit's names (an archive from before their forms superseded each other) — one current form a year after it.
    for older in (new, *found):
        if older["id"] != current["id"]:
            sql.run(conn, _SET_SUPERSEDED_BY, {"id": older["id"], "by": current["id"]})
    return new_id, None


_SET_SUPERSEDED_BY = "UPDATE submissions SET superseded_by = :by WHERE id = :id"


def recorded_under(conn: Connection, kind: str, unit: str, year: int, *, names: Collection[str] = (),
                   written: str = "") -> tuple[str, list[dict]]:
    """The name an accepted form of ``unit`` and ``year`` is recorded under, and the current forms it settles with
    (:func:`add_submission`, which says the rule; MergedSince for a year of units merged since whose former names
    the form does not write). A read: ``ingest --dry-run`` asks it too, so that it says what a run would do."""
    found = currents_for(conn, kind, (unit, *names), year)
    if len(recorded := sorted({c["unit"] for c in found})) > 1:
        former = [name for name in recorded if name != unit and _same_name(name, written)]
        if former:
            return former[0], [c for c in found if c["unit"] == former[0]]
        if unit not in recorded:
            raise MergedSince(unit, year, recorded)
        # else the unit's own name among them, written or not: a unit that took another in — or renamed, its forms
        # under both names left current by an archive before 837ece8 — one current form after this one
    return unit, found


def _same_name(recorded: str, written: str) -> bool:
    """Is ``written`` (as a form writes it, compared as the roster compares names: ``Roster.bare``) the unit name
    ``recorded`` (as the archive holds it)?"""
    from lzdocs.textutil import squeeze

    return bool(written) and squeeze(recorded) == written


def _risk_values(submission_id: int, sub: dict, row: dict) -> dict:
    values = {"submission_id": submission_id, "kind": sub["kind"], "unit": sub["unit"], "year": sub["year"],
              "row_no": row.get("row")}
    for name in RISK_COLUMNS:
        values[name] = row.get(name)
    values["extra"] = _EXTRA.encode({k: v for k, v in row.items() if k not in _NOT_EXTRA})
    return values


_NOT_EXTRA = frozenset((*RISK_COLUMNS, "row"))
_EXTRA = json.JSONEncoder(ensure_ascii=False)  # json.dumps(…, ensure_ascii=False), its encoder made once


def rejected_of(conn: Connection, kind: str, unit: str, year: int) -> list[dict]:
    """The rejected files of a unit for a year, oldest first (their 退回/ copies may be settled by a new form)."""
    return sql.rows(conn, _REJECTED, {"kind": kind, "unit": unit, "year": year})


def move_stored(conn: Connection, submission_id: int, stored_as: str | None) -> None:
    """The kept file of a submission has moved (a returned file settled into 退回/已处理/), or is no longer kept
    (None: a returned file its unit took back)."""
    sql.run(conn, "UPDATE submissions SET stored_as = :stored_as WHERE id = :id",
            {"stored_as": stored_as, "id": submission_id})


def get(conn: Connection, submission_id: int) -> dict | None:
    return sql.row(conn, _GET, {"id": submission_id})


def current_risks(conn: Connection, *, kind: str = "risk", year: int | None = None,
                  unit: str | Collection[str] | None = None, level: int | None = None,
                  unit_order: Sequence[str] = ()):
    """Risk points of the current submissions (of ``year``, ``unit`` and ``level`` when given), ordered by unit
    (those in ``unit_order`` first) then row."""
    q = (select(risks, submissions.c.original_name, submissions.c.stored_as, submissions.c.filled_date,
                submissions.c.received_at)
         .join(submissions, submissions.c.id == risks.c.submission_id)
         .where(submissions.c.status == "accepted", submissions.c.superseded_by.is_(None), risks.c.kind == kind))
    if year is not None:
        q = q.where(risks.c.year == year)
    if unit is not None:
        q = q.where(unit_is(risks.c.unit, unit))
    if level is not None:
        q = q.where(risks.c.level == level)
    position = ()
    if unit_order:
        place = _form_positions(unit_order, kind, year)
        q = q.join(place, place.c.id == risks.c.submission_id)
        position = (place.c.position,)
    return conn.execute(q.order_by(risks.c.year, *position, risks.c.unit, risks.c.submission_id, risks.c.id)).mappings()


def _form_positions(unit_order: Sequence[str], kind: str, year: int | None):
    """(id, position) of every current form of ``kind`` (and ``year``): the place of its unit in ``unit_order``,
    those not in it after them all (a risk's unit is its form's). Worked out once per form, not once per risk row as
    an ORDER BY term would be: a CASE over a thousand roster units for each of 20,000 rows was most of the query.
    OFFSET 0 (on SQLite ``LIMIT -1 OFFSET 0``) keeps the database from merging the subquery into the outer query."""
    return (select(submissions.c.id, _unit_position(submissions.c.unit, unit_order).label("position"))
            .where(submissions.c.status == "accepted", submissions.c.superseded_by.is_(None),
                   submissions.c.kind == kind, *([submissions.c.year == year] if year is not None else []))
            .offset(0).subquery("place"))


def _by_position(unit_order: Sequence[str]) -> tuple:
    """ORDER BY terms putting the units of ``unit_order`` (e.g. the roster) first, in that order."""
    if not unit_order:
        return ()
    return (_unit_position(risks.c.unit, unit_order),)


def _unit_position(unit, unit_order: Sequence[str]):
    return case({name: i for i, name in enumerate(unit_order)}, value=unit, else_=len(unit_order))


def superseded_risks(conn: Connection, *, kind: str = "risk", year: int | None = None,
                     unit_order: Sequence[str] = ()):
    """Risk points of superseded submissions, with the submission that replaced them. ``replaced_at``: when the later
    taken of the two came in (by the order taken, not by clocks) — the replacing form's arrival, or the form's own
    when it was older than the current one already on arrival (it went straight to history)."""
    newer = submissions.alias("newer")
    replaced_at = case((newer.c.id > submissions.c.id, newer.c.received_at), else_=submissions.c.received_at)
    q = (select(risks, submissions.c.original_name, submissions.c.stored_as, submissions.c.filled_date,
                submissions.c.received_at, submissions.c.superseded_by,
                newer.c.original_name.label("replaced_by_name"), newer.c.stored_as.label("replaced_by_file"),
                replaced_at.label("replaced_at"))
         .join(submissions, submissions.c.id == risks.c.submission_id)
         .join(newer, newer.c.id == submissions.c.superseded_by)
         .where(risks.c.kind == kind))
    if year is not None:
        q = q.where(risks.c.year == year)
    return conn.execute(q.order_by(*_by_position(unit_order), risks.c.unit, risks.c.submission_id,
                                   risks.c.id)).mappings()


def submissions_for_year(conn: Connection, year: int, kind: str = "risk"):
    """Every decision about files of a year (accepted, superseded, rejected), oldest first."""
    return conn.execute(select(submissions).where(submissions.c.year == year, submissions.c.kind == kind)
                        .order_by(submissions.c.received_at, submissions.c.id)).mappings().all()


def rejected_since(conn: Connection, since: dt.datetime | None = None, kind: str = "risk"):
    q = select(submissions).where(submissions.c.status == "rejected", submissions.c.kind == kind)
    if since is not None:
        q = q.where(submissions.c.received_at >= since)
    return conn.execute(q.order_by(submissions.c.received_at)).mappings().all()


def years(conn: Connection, kind: str = "risk") -> list[int]:
    return [r[0] for r in conn.execute(select(submissions.c.year).where(
        submissions.c.status == "accepted", submissions.c.kind == kind, submissions.c.year.is_not(None))
        .distinct().order_by(submissions.c.year))]


def latest_year(conn: Connection, kind: str = "risk", *, until: int | None = None) -> int | None:
    """The newest year with an accepted form of ``kind`` (``until``: not after that year)."""
    where = and_(submissions.c.status == "accepted", submissions.c.kind == kind)
    if until is not None:
        where = and_(where, submissions.c.year <= until)
    return conn.execute(select(func.max(submissions.c.year)).where(where)).scalar()

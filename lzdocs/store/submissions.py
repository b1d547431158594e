"""Submissions and their risk rows: recording ingest outcomes, supersession, and the current risk points."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence

from sqlalchemy import and_, bindparam, case, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from lzdocs.store.schema import risks, submissions, unit_is

RISK_COLUMNS = ("seq", "post", "duties", "risk", "category", "level", "measures", "owner")


class AlreadyAccepted(Exception):
    """The same bytes were accepted by another transaction first: this file is a duplicate (roll back, retry)."""

    def __init__(self, sha256: str):
        super().__init__(sha256)
        self.sha256 = sha256


# Built once: every file taken runs these (SQLAlchemy caches the compiled form by the statement; building the
# statement again for each file costs more than running it).
_BY_HASH = (select(submissions).where(submissions.c.sha256 == bindparam("sha"), submissions.c.status == "accepted")
            .order_by(submissions.c.id))
_BY_CLAIM = select(submissions).where(submissions.c.claim == bindparam("claim"))
_CURRENT = select(submissions).where(
    submissions.c.kind == bindparam("kind"), submissions.c.unit == bindparam("unit"),
    submissions.c.year == bindparam("year"), submissions.c.status == "accepted", submissions.c.superseded_by.is_(None))
_GET = select(submissions).where(submissions.c.id == bindparam("id"))
_REJECTED = (select(submissions).where(
    submissions.c.kind == bindparam("kind"), submissions.c.unit == bindparam("unit"),
    submissions.c.year == bindparam("year"), submissions.c.status == "rejected", submissions.c.stored_as.is_not(None))
    .order_by(submissions.c.id))
_INSERT, _INSERT_RISKS = insert(submissions), insert(risks)


def accepted_by_hash(conn: Connection, sha256: str):
    return conn.execute(_BY_HASH, {"sha": sha256}).mappings().first()


def by_claim(conn: Connection, claim: str):
    return conn.execute(_BY_CLAIM, {"claim": claim}).mappings().first()


def current_for(conn: Connection, kind: str, unit: str, year: int):
    """The accepted, not superseded submission of a unit for a year (the one the register shows)."""
    return conn.execute(_CURRENT, {"kind": kind, "unit": unit, "year": year}).mappings().first()


def order_key(row) -> tuple:
    """Which of two forms of a unit and year is newer (sorts later): 填表日期 (else the day received), then the order
    the archive took them in (the id) — never the recorded times, which come from the clocks of the machines that
    took them (several, on a shared PostgreSQL archive) and may be minutes apart or set back."""
    return (row["filled_date"] or row["received_at"].date(), row["id"])


def add_submission(conn: Connection, *, rows: list[dict], **values) -> tuple[int, int | None]:
    """Insert a submission (and its risk rows when accepted); settle which one is current.

    Returns (new id, id of the submission it superseded or None). A form that is older than the current
    one (by 填表日期, then the order taken in: :func:`order_key`) goes straight into history, superseded by the
    current one. An accepted submission whose bytes were accepted before raises AlreadyAccepted (the caller's
    transaction rolls back).
    """
    values.setdefault("problems", "[]")
    values["rows"] = len(rows)
    values["accepted_sha256"] = values["sha256"] if values["status"] == "accepted" else None
    try:
        new_id = conn.execute(_INSERT, values).inserted_primary_key[0]
    except IntegrityError as exc:
        if "accepted_sha" in str(exc.orig):
            raise AlreadyAccepted(values["sha256"]) from exc
        raise
    if values["status"] != "accepted":
        return new_id, None
    if rows:
        conn.execute(_INSERT_RISKS, [_risk_values(new_id, values, r) for r in rows])
    current = current_for(conn, values["kind"], values["unit"], values["year"])
    if current is None or current["id"] == new_id:
        return new_id, None
    new = get(conn, new_id)
    if order_key(new) >= order_key(current):
        conn.execute(update(submissions).where(submissions.c.id == current["id"]).values(superseded_by=new_id))
        conn.execute(update(submissions).where(submissions.c.id == new_id).values(supersedes=current["id"]))
        return new_id, current["id"]
    conn.execute(update(submissions).where(submissions.c.id == new_id).values(superseded_by=current["id"]))
    return new_id, None


def _risk_values(submission_id: int, sub: dict, row: dict) -> dict:
    known = {k: row.get(k) for k in RISK_COLUMNS}
    extra = {k: v for k, v in row.items() if k not in RISK_COLUMNS and k != "row"}
    return {"submission_id": submission_id, "kind": sub["kind"], "unit": sub["unit"], "year": sub["year"],
            "row_no": row.get("row"), **known, "extra": json.dumps(extra, ensure_ascii=False)}


def rejected_of(conn: Connection, kind: str, unit: str, year: int):
    """The rejected files of a unit for a year, oldest first (their 退回/ copies may be settled by a new form)."""
    return conn.execute(_REJECTED, {"kind": kind, "unit": unit, "year": year}).mappings().all()


def move_stored(conn: Connection, submission_id: int, stored_as: str | None) -> None:
    """The kept file of a submission has moved (a returned file settled into 退回/已处理/), or is no longer kept
    (None: a returned file its unit took back)."""
    conn.execute(update(submissions).where(submissions.c.id == submission_id).values(stored_as=stored_as))


def get(conn: Connection, submission_id: int):
    return conn.execute(_GET, {"id": submission_id}).mappings().first()


def current_risks(conn: Connection, *, kind: str = "risk", year: int | None = None,
                  unit: str | Collection[str] | None = None,
                  unit_order: Sequence[str] = ()):
    """Risk points of the current submissions, ordered by unit (those in ``unit_order`` first) then row."""
    q = (select(risks, submissions.c.original_name, submissions.c.stored_as, submissions.c.filled_date,
                submissions.c.received_at)
         .join(submissions, submissions.c.id == risks.c.submission_id)
         .where(submissions.c.status == "accepted", submissions.c.superseded_by.is_(None), risks.c.kind == kind))
    if year is not None:
        q = q.where(risks.c.year == year)
    if unit is not None:
        q = q.where(unit_is(risks.c.unit, unit))
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


def latest_year(conn: Connection, kind: str = "risk") -> int | None:
    return conn.execute(select(func.max(submissions.c.year)).where(
        and_(submissions.c.status == "accepted", submissions.c.kind == kind))).scalar()

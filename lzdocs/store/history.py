"""A unit's accepted forms over the years, and the risk rows of chosen forms: what year-to-year comparison reads."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection

from lzdocs.store import sql
from lzdocs.store.schema import risks, submissions


def accepted_forms(conn: Connection, *, up_to_year: int, kind: str = "risk",
                   unit: str | Collection[str] | None = None) -> list[dict]:
    """Every accepted form of ``kind`` of a year up to ``up_to_year`` (current and superseded), oldest first; of
    ``unit`` only: a name, or the names its forms may be recorded under (``Roster.recorded_names``)."""
    params = {"kind": kind, "up_to_year": up_to_year}
    if unit is None:
        return sql.rows(conn, f"{_ACCEPTED} {_ACCEPTED_ORDER}", params)
    if isinstance(unit, str):
        return sql.rows(conn, f"{_ACCEPTED} AND unit = :unit {_ACCEPTED_ORDER}", {**params, "unit": unit})
    names = list(unit)
    if not names:
        return []
    return sql.rows(conn, f"{_ACCEPTED} AND unit IN ({_marks('unit', len(names))}) {_ACCEPTED_ORDER}",
                    {**params, **_numbered("unit", names)})


# Every form taken in reads its unit's earlier forms (the quality review's 与上年相同): plain SQL (store/sql.py).
_ACCEPTED = ("SELECT id, unit, year, filled_date, received_at, superseded_by FROM submissions "
             "WHERE kind = :kind AND status = 'accepted' AND year IS NOT NULL AND year <= :up_to_year")
_ACCEPTED_ORDER = "ORDER BY year, received_at, id"
_RISK = "SELECT " + ", ".join(f'"{c.name}"' for c in risks.c) + " FROM risks"


def _marks(name: str, count: int) -> str:
    """``:name0, :name1, …``: the parameters of an IN list of ``count`` values."""
    return ", ".join(f":{name}{i}" for i in range(count))


def _numbered(name: str, values: list) -> dict:
    return {f"{name}{i}": value for i, value in enumerate(values)}


def rows_of(conn: Connection, submission_ids: Iterable[int]) -> dict[int, list[dict]]:
    """The risk rows of each given submission, in the order of its table: each a dict of the columns of
    lzdocs/store/schema.py's ``risks``, in its order."""
    found: dict[int, list] = {i: [] for i in sorted(set(submission_ids))}
    for chunk in sql.in_chunks(found):
        for row in sql.rows(conn, f"{_RISK} WHERE submission_id IN ({_marks('id', len(chunk))}) "
                                  "ORDER BY submission_id, id", _numbered("id", chunk)):
            found[row["submission_id"]].append(row)
    return found


def count_rows(conn: Connection, submission_ids: Iterable[int]) -> int:
    """How many risk rows the given submissions hold together."""
    return sum(conn.execute(select(func.count()).select_from(risks).where(risks.c.submission_id.in_(chunk)))
               .scalar_one() for chunk in sql.in_chunks(submission_ids))


def current_forms(conn: Connection, year: int, kind: str = "risk") -> list:
    """(id, unit, received_at) of the current (accepted, not superseded) forms of ``kind`` of ``year``, in the order
    received."""
    return conn.execute(_CURRENT, {"kind": kind, "year": year}).all()


def forms_after(conn: Connection, year: int, after: int, kind: str = "risk") -> tuple[list, int]:
    """(the accepted forms of ``kind`` of ``year`` whose id is greater than ``after``, in the order received — each
    with its ``superseded_by`` and ``supersedes`` — and the greatest id of any submission there is): found by id
    alone, a few rows however large the archive. Whether one went into history at once (older than its unit's
    current form) or superseded a form is in those two columns — a form may supersede one recorded under another name
    (its unit's old one, renamed in units.csv: ``submissions.add_submission``), which a reader holding the forms by
    the names recorded would not know was gone."""
    rows = sql.rows(conn, _AFTER, {"after": after})
    return ([r for r in rows if r["kind"] == kind and r["status"] == "accepted" and r["year"] == year],
            max((r["id"] for r in rows), default=after))


def superseded_by(conn: Connection, submission_ids: Iterable[int]) -> set[int]:
    """The ids of the submissions that any of ``submission_ids`` superseded: one form may supersede two, its unit's
    current forms under its old name and its new one (an archive from before such forms superseded each other)."""
    found = set()
    for chunk in sql.in_chunks(submission_ids):
        found.update(conn.execute(select(submissions.c.id).where(submissions.c.superseded_by.in_(chunk))).scalars())
    return found


def superseded_forms(conn: Connection, year: int, kind: str = "risk") -> list:
    """(id, unit) of the accepted forms of ``kind`` of ``year`` that a newer form of their unit superseded."""
    return conn.execute(_SUPERSEDED, {"kind": kind, "year": year}).all()


_CURRENT = (select(submissions.c.id, submissions.c.unit, submissions.c.received_at)
            .where(submissions.c.kind == bindparam("kind"), submissions.c.status == "accepted",
                   submissions.c.year == bindparam("year"), submissions.c.superseded_by.is_(None))
            .order_by(submissions.c.received_at, submissions.c.id))
_SUPERSEDED = (select(submissions.c.id, submissions.c.unit)
               .where(submissions.c.kind == bindparam("kind"), submissions.c.status == "accepted",
                      submissions.c.year == bindparam("year"), submissions.c.superseded_by.is_not(None)))
_AFTER = ("SELECT id, unit, received_at, kind, status, year, superseded_by, supersedes FROM submissions "
          "WHERE id > :after ORDER BY received_at, id")

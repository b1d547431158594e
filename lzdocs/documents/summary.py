"""The numbers of the year-end summary (总结巩固): counted from the archive in one read; no wording here."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lzdocs.documents.status import LATE, MISSING, SUBMITTED, roster_status, status_from
from lzdocs.dynamics.changes import year_changes
from lzdocs.dynamics.reviews import NOT_DONE, RESULTS
from lzdocs.dynamics.warnings import WAYS
from lzdocs.store import cases as cases_q
from lzdocs.store import documents as doc_q
from lzdocs.store import follow_up as follow_q
from lzdocs.store import reviews as reviews_q
from lzdocs.store import submissions as subs_q

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lzdocs.workspace import Roster

NO_CATEGORY = "未填写类别"


@dataclass
class ChangeTotals:
    """The year's forms against each unit's previous year (only units that had a form in an earlier year)."""

    units: int = 0
    changed_units: list[str] = field(default_factory=list)
    same_units: list[str] = field(default_factory=list)
    new: int = 0
    removed: int = 0
    level_changed: int = 0
    measures_changed: int = 0


@dataclass
class WarningTotals:
    """The year's warnings (by the year of their 文号; 作废 left out), by way, and how far they went."""

    by_kind: dict[str, int] = field(default_factory=dict)  # the way's Chinese name → count, in WAYS order
    closed_by_kind: dict[str, int] = field(default_factory=dict)
    total: int = 0
    closed: int = 0
    overdue_replies: list[tuple[str, str, int]] = field(default_factory=list)  # (文号, unit, days overdue)


@dataclass
class YearSummary:
    year: int
    today: dt.date
    deadline: dt.date | None
    roster: list[str]
    on_time: list[str]
    late: list[str]
    missing: list[str]
    levels: dict[int | None, int]  # current risk points of the year by level (None: not graded)
    categories: dict[str, int]
    by_unit: dict[str, dict[int | None, int]]  # units in roster order, then others
    history: dict[int, dict[int | None, int]]  # every year up to ``year`` with forms → level counts
    history_units: dict[int, int]  # year → units with a current form
    changes: ChangeTotals
    reviews: dict[str, int]  # 落实情况 recorded in the year, by result
    not_done_units: list[str]
    warnings: WarningTotals
    cases: int
    case_units: list[str]
    cases_linked: int
    quality: list[dict] = field(default_factory=list)  # {unit, row, code, message}: Office.quality(year)

    @property
    def still_reported(self) -> bool:
        """Are the year's forms still coming (``documents.status.still_reported``)?"""
        from lzdocs.documents.status import still_reported

        return still_reported(self.year, self.deadline, self.today)

    @property
    def total(self) -> int:
        return sum(self.levels.values())

    @property
    def previous(self) -> int | None:
        """The year before with forms on file (the nearest earlier), or None."""
        earlier = [y for y in self.history if y < self.year]
        return max(earlier) if earlier else None


def figures_digest(s: YearSummary) -> str:
    """A fingerprint of every number of the summary (not its quality hints, added after): the same archive, the same
    day and roster give the same one, so ``lzdocs archive`` can tell a 总结 whose figures are out of date."""
    import dataclasses
    import hashlib
    import json

    def plain(value):
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    numbers = {k: v for k, v in dataclasses.asdict(s).items() if k != "quality"}
    text = json.dumps(plain(numbers), ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def year_summary(conn: Connection, year: int, today: dt.date, *, roster: Roster | Sequence[str],
                 deadline: dt.date | None, threshold: float,
                 current: Callable[[str], str] | None = None) -> YearSummary:
    """Every number of the summary of ``year``, read in the caller's transaction: its units are those ``roster``
    expects in the year and counts as ``roster_status`` does (a bare list of names: those units, as recorded).
    ``current`` (``Roster.current``, for a bare list) counts a renamed unit's rows, reviews and cases under its current
    name, once, as ``status_from`` does."""
    if isinstance(roster, Sequence):
        status = status_from(conn, list(roster), year, today, deadline, current=current)
    else:
        current = roster.current
        status = roster_status(conn, roster, year, today, deadline)
    name_of = current or (lambda recorded: recorded)
    names = [u.unit for u in status.units]
    rows = list(subs_q.current_risks(conn, year=year))
    present = {name_of(r["unit"]) for r in rows}
    by_unit: dict[str, Counter] = {name: Counter() for name in names if name in present}
    for r in rows:
        by_unit.setdefault(name_of(r["unit"]), Counter())[r["level"]] += 1
    history, history_units = {}, {}
    for y in sorted(y for y in subs_q.years(conn) if y <= year):
        points = list(subs_q.current_risks(conn, year=y))
        history[y] = dict(Counter(r["level"] for r in points))
        history_units[y] = len({name_of(r["unit"]) for r in points})
    reviews = [r for r in reviews_q.reviews_of(conn) if r["reviewed"].year == year]
    results = Counter(r["result"] for r in reviews)
    cases = list(cases_q.list_cases(conn, year=year))
    return YearSummary(
        year=year, today=today, deadline=deadline, roster=[u.unit for u in status.units if u.on_roster],
        on_time=status.names(SUBMITTED), late=status.names(LATE), missing=status.names(MISSING),
        levels=dict(Counter(r["level"] for r in rows)),
        categories=dict(sorted(Counter((r["category"] or "").strip() or NO_CATEGORY for r in rows).items(),
                               key=lambda item: (-item[1], item[0]))),
        by_unit={u: dict(c) for u, c in by_unit.items()}, history=history, history_units=history_units,
        changes=change_totals(conn, year, threshold, names, current),
        reviews={result: results.get(result, 0) for result in RESULTS},
        not_done_units=_ordered({name_of(r["unit"]) for r in reviews if r["result"] == NOT_DONE}, names),
        warnings=warning_totals(conn, year, today), cases=len(cases),
        case_units=_ordered({name_of(c["unit"]) for c in cases}, names),
        cases_linked=sum(c["risk_id"] is not None for c in cases))


def change_totals(conn: Connection, year: int, threshold: float, order: Sequence[str],
                  current: Callable[[str], str] | None = None) -> ChangeTotals:
    totals = ChangeTotals()
    for c in year_changes(conn, year, threshold, unit_order=order, current=current):
        if c.previous_year >= year:  # compared with an earlier form of the same year: not a change over the year
            continue
        totals.units += 1
        (totals.same_units if c.same_as_previous else totals.changed_units).append(c.unit)
        totals.new += len(c.new)
        totals.removed += len(c.removed)
        totals.level_changed += len(c.level_changed)
        totals.measures_changed += len(c.measures_changed)
    return totals


def warning_totals(conn: Connection, year: int, today: dt.date) -> WarningTotals:
    """The six ways of the programme only (a 催报通知 is no warning); 已办结 is a recorded closing."""
    rows = [w for w in follow_q.all_warnings(conn, year=year) if w["status"] != doc_q.VOID and w["kind"] in WAYS]
    kinds = Counter(w["kind"] for w in rows)
    closed = Counter(w["kind"] for w in rows if w["closed"])
    totals = WarningTotals(by_kind={WAYS[k]: kinds[k] for k in WAYS if kinds[k]},
                           closed_by_kind={WAYS[k]: closed[k] for k in WAYS if kinds[k]},
                           total=len(rows), closed=sum(closed.values()))
    totals.overdue_replies = [(w["number"], w["unit"], (today - w["reply_due"]).days) for w in rows
                              if not w["replied"] and w["reply_due"] and w["reply_due"] < today]
    return totals


def _ordered(units: set[str], order: Sequence[str]) -> list[str]:
    position = {name: i for i, name in enumerate(order)}
    return sorted(units, key=lambda u: (position.get(u, len(position)), u))

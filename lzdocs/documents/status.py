"""Who submitted, who is late, who is missing, and which replies to letters are overdue — for a year.

A unit renamed in units.csv (its old name kept as an alias) is one unit in every year: its forms recorded under
the old name count for it under its current name (``Roster.current``), so a closed year shows 财务处 as having
sent its form, not 财务处 missing and 计划财务处 as an off-roster unit that sent one. The line keeps what was sent:
``recorded_as`` is the name the year's form was recorded under, and the line reads “计划财务处（现财务处）” — the
office's register of that year named the unit so, and a clerk looking a year up finds the name on the form in the
archive; the current name beside it says who that is now (and is the key of the JSON and of urging)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lzdocs.documents.letters import KINDS as LETTER_KINDS
from lzdocs.forms.values import LEVEL_NAMES
from lzdocs.store import documents as docs_q

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lzdocs.store import Store
    from lzdocs.workspace import Roster, Workspace

SUBMITTED, LATE, MISSING = "submitted", "late", "missing"
STATE_NAMES = {SUBMITTED: "按时报送", LATE: "逾期报送", MISSING: "未报送"}

def kind_name(kind: str, note: str = "") -> str:
    """The 文种 of a 发文登记簿 row: a letter's Chinese name; for a notice the 文种 it was issued as (its note)."""
    if kind == "notice":
        return note or "通知"
    if kind == "criticism":  # recorded, no letter
        return "批评教育"
    if kind == "skipped":  # a number left empty, voided (documents/numbering.py ``_void_skipped``)
        return "空号"
    letter = LETTER_KINDS.get(kind)
    return letter.name if letter else kind


def reply_state(replied: dt.date | None, reply_due: dt.date | None, today: dt.date, kind: str = "") -> str:
    """已回复 (已谈话 for a 谈话提醒 held, 已批评教育: ``dynamics.steps.step_two``), 已逾期 (no reply and the
    deadline has passed — as ``overdue_warnings``) or 未到期."""
    if replied is not None:
        from lzdocs.dynamics.steps import step_two

        return f"已{step_two(kind)}"
    if reply_due is not None and reply_due < today:
        return "已逾期"
    return "未到期"


def still_reported(year: int, deadline: dt.date | None, today: dt.date) -> bool:
    """Are ``year``'s forms still coming on ``today``: up to its 报送截止日期 (forms may come that day), or, with none
    set, while the year is not over? Its units without a form are then 尚未报送, not behind."""
    return today <= deadline if deadline is not None else today.year <= year


def classify(arrived: dt.date | None, deadline: dt.date | None) -> str:
    """submitted: the first accepted form arrived on/before the deadline (or there is no deadline);
    late: it arrived after it; missing: no accepted form at all. Arrival is the day the form came (the watcher's
    first sight, its modification day if earlier, or ``ingest --received``), not the day it was taken in."""
    if arrived is None:
        return MISSING
    if deadline is None or arrived <= deadline:
        return SUBMITTED
    return LATE


@dataclass(frozen=True)
class UnitStatus:
    """One unit's line in 报送情况登记表."""

    unit: str
    state: str
    on_roster: bool = True
    first_received: dt.datetime | None = None  # when the first accepted form was taken in
    arrived: dt.date | None = None  # the day the first accepted form arrived: on time or late by it
    last_received: dt.datetime | None = None  # when the current form was taken in
    filled_date: dt.date | None = None
    file: str | None = None  # the current form as archived (workspace-relative), else its original name
    versions: int = 0  # accepted forms, the current one included
    risks: int = 0
    rejections: int = 0
    last_rejected_at: dt.datetime | None = None
    last_rejection: str = ""  # reasons of the latest rejected file, unless a form accepted later settled it
    recorded_as: str = ""  # the name the current form was recorded under, when the unit was renamed since

    @property
    def state_name(self) -> str:
        return STATE_NAMES[self.state]

    @property
    def label(self) -> str:
        """The unit as a clerk reads it: 计划财务处（现财务处） for a form sent under a name since changed."""
        return f"{self.recorded_as}（现{self.unit}）" if self.recorded_as else self.unit


@dataclass(frozen=True)
class Overdue:
    """A letter whose reply deadline has passed with no reply recorded."""

    number: str
    unit: str
    kind: str
    title: str
    issued: dt.date
    reply_due: dt.date
    days_overdue: int

    def as_dict(self) -> dict:
        return {"number": self.number, "unit": self.unit, "kind": self.kind, "title": self.title,
                "issued": self.issued.isoformat(), "reply_due": self.reply_due.isoformat(),
                "days_overdue": self.days_overdue}


@dataclass
class SubmissionStatus:
    """The state of a year's programme on a given day."""

    year: int
    today: dt.date
    deadline: dt.date | None
    units: list[UnitStatus]
    levels: dict[int, int] = field(default_factory=dict)
    overdue: list[Overdue] = field(default_factory=list)
    follow_up: list[dict] = field(default_factory=list)  # warnings overdue at any step (lzdocs.dynamics.warnings)
    # every name the year's current risk rows are recorded under → its unit's line (a renamed unit's old name, each
    # former unit's of a merge): counted on that line wherever the rows are counted by unit (the 统计 sheet)
    lines: dict[str, str] = field(default_factory=dict)

    def names(self, state: str) -> list[str]:
        return [u.unit for u in self.units if u.state == state]

    def recorded_order(self) -> list[str]:
        """The units' names as their rows are recorded, in the lines' order: a line's current name, then the name
        its form was recorded under — the order of the risk lists, whose rows carry the recorded name."""
        return [name for u in self.units for name in (u.unit, u.recorded_as) if name]

    def as_dict(self) -> dict:
        return {"year": self.year, "deadline": self.deadline.isoformat() if self.deadline else None,
                "recorded_as": {u.unit: u.recorded_as for u in self.units if u.recorded_as},
                "submitted": self.names(SUBMITTED), "late": self.names(LATE), "missing": self.names(MISSING),
                "levels": {str(k): self.levels.get(k, 0) for k in LEVEL_NAMES},
                "overdue": [o.as_dict() for o in self.overdue], "follow_up": self.follow_up}


def programme_year(store: Store, today: dt.date, deadline: Callable[[int], dt.date | None], *,
                   kind: str = "risk") -> int:
    """The year commands work on by default (docs/product.md §6): this calendar year once its deadline
    (``deadline(year)``) has passed, or once last year is done with — closed by its 归档 package, or its time of late
    forms over (today nearer this year's deadline than last year's: the rule of a late form, forms/checks.py
    ``late_year``) — or, deadlines unset, once one of this year's forms has come. Before that the newest year with
    an accepted form, which the office is still finishing (in January, the year just ended: its late units urged,
    its summary written, a unit's early form of this year notwithstanding); a year closed is never it. A form of next
    year come early (in December, dated January) never makes next year the default."""
    from lzdocs.store import submissions as subs_q
    from lzdocs.store.years import closure

    last = today.year - 1
    with store.read() as conn:
        newest = subs_q.latest_year(conn, kind, until=today.year)
        before = subs_q.latest_year(conn, kind, until=last) if newest == today.year else newest
        closed = before is not None and closure(conn, before) is not None
    due, then = deadline(today.year), deadline(last)
    if newest is None or (due is not None and today > due) or closed:
        return today.year
    if then is None or due is None:  # no deadlines to tell the time of late forms by
        return newest
    if before == last and (today - then).days < (due - today).days:  # last year's late forms still coming
        return last
    return today.year if newest == today.year or before == last else newest


def submission_status(ws: Workspace, store: Store, year: int, today: dt.date, *,
                      kind: str = "risk") -> SubmissionStatus:
    """Every roster unit (then any other unit with an accepted form) with its state against the deadline."""
    deadline = ws.settings.deadline(year)
    roster = ws.roster()
    from lzdocs.dynamics.steps import Deadlines
    from lzdocs.dynamics.warnings import overdue_warnings

    with store.read() as conn:
        status = roster_status(conn, roster, year, today, deadline, kind=kind)
    status.follow_up = overdue_warnings(store, today, Deadlines.from_settings(ws.settings))
    return status


def roster_status(conn: Connection, roster: Roster, year: int, today: dt.date, deadline: dt.date | None, *,
                  kind: str = "risk") -> SubmissionStatus:
    """:func:`status_from` for ``roster``: the units it expects in ``year`` (起始年度/终止年度), every unit it lists,
    the names they have now — as every year's 报送情况 is counted (status, registers, 公示表, summary)."""
    return status_from(conn, roster.names_in(year), year, today, deadline, kind=kind, current=roster.current,
                       listed=roster.names)


def status_from(conn: Connection, roster_names: list[str], year: int, today: dt.date, deadline: dt.date | None, *,
                kind: str = "risk", current: Callable[[str], str] | None = None,
                listed: Sequence[str] | None = None) -> SubmissionStatus:
    """The same, inside a read transaction the caller holds (the registers read everything in one). ``current``
    maps a recorded unit name to the roster's current one (``Roster.current``); without it, units are the names
    recorded. ``roster_names``: the units expected in ``year`` (``Roster.names_in``); ``listed``: every roster unit
    (``Roster.names``) — one of them not expected in the year whose form of it was taken anyway (a unit's 起始年度
    written a year late) is counted as one of the year's, in the roster's order, not as a unit off the roster."""
    from lzdocs.store import reports

    name = current or (lambda recorded: recorded)
    accepted = _merged(reports.accepted_by_unit(conn, year, kind), name, _earliest)
    # Units merged since (docs/product.md §4) have a current form under each former name in the years before: the
    # newest taken in is the one shown, and the points of them all are counted, as the 汇总 lists them.
    forms = _merged(reports.current_by_unit(conn, year, kind), name, lambda a, b: max(a, b, key=lambda f: f["id"]))
    recorded = {unit: form["unit"] for unit, form in forms.items() if form["unit"] != unit}
    counts: dict[str, Counter] = {}
    lines: dict[str, str] = {}
    for recorded_as, levels in reports.level_counts(conn, year, kind).items():
        lines[recorded_as] = name(recorded_as)
        counts.setdefault(lines[recorded_as], Counter()).update(levels)
    rejected = _merged(reports.rejections_by_unit(conn, year, kind, until=today), name,
                       lambda a, b: {**max(a, b, key=lambda r: r["id"]), "count": a["count"] + b["count"]})
    if listed is not None:
        expected = set(roster_names)
        roster_names = [unit for unit in listed if unit in expected or unit in accepted]
    roster = set(roster_names)
    others = sorted(set(accepted) - roster)  # on file but not (or no longer) on the roster
    units = [_unit_status(unit, unit in roster, accepted.get(unit), forms.get(unit), rejected.get(unit),
                          counts.get(unit, {}), deadline, recorded.get(unit, "")) for unit in [*roster_names, *others]]
    levels = {level: sum(c.get(level, 0) for c in counts.values()) for level in LEVEL_NAMES}
    overdue = [Overdue(w["number"], w["unit"], w["kind"], w["title"], w["issued"], w["reply_due"],
                       (today - w["reply_due"]).days) for w in docs_q.overdue_warnings(conn, today)]
    return SubmissionStatus(year, today, deadline, units, levels, overdue, lines=lines)


def _merged(by_name: dict[str, dict], current: Callable[[str], str], join: Callable[[dict, dict], dict]) -> dict:
    """``by_name`` (recorded name → its row) keyed by the current name, the rows of two names of one unit joined."""
    found: dict[str, dict] = {}
    for recorded, row in by_name.items():
        unit = current(recorded)
        row = {**row, "unit": recorded}
        found[unit] = join(found[unit], row) if unit in found else row
    return found


def _earliest(a: dict, b: dict) -> dict:
    return {"unit": a["unit"], "first_received": min(a["first_received"], b["first_received"]),
            "first_arrived": min(a["first_arrived"], b["first_arrived"]), "versions": a["versions"] + b["versions"]}


def _unit_status(name: str, on_roster: bool, accepted, current, rejected, counts: dict[int, int],
                 deadline: dt.date | None, recorded_as: str = "") -> UnitStatus:
    first = accepted["first_received"] if accepted else None
    arrived = accepted["first_arrived"] if accepted else None
    settled = bool(rejected and current and current["id"] > rejected["id"])  # taken after it (order_key)
    return UnitStatus(
        unit=name, state=classify(arrived, deadline), on_roster=on_roster, first_received=first, arrived=arrived,
        last_received=current["received_at"] if current else None,
        filled_date=current["filled_date"] if current else None,
        file=(current["stored_as"] or current["original_name"]) if current else None,
        versions=accepted["versions"] if accepted else 0, risks=sum(counts.values()),
        rejections=rejected["count"] if rejected else 0,
        last_rejected_at=rejected["received_at"] if rejected else None,
        last_rejection="；".join(rejected["reasons"]) if rejected and not settled else "", recorded_as=recorded_as)

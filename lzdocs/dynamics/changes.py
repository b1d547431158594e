"""Changes from year to year (动态管理): a unit's risk points set against its previous accepted form.

Which form is "previous": the unit's current form of the nearest earlier year that has one (the year before, or
further back when a year is missing); only when the unit has no earlier year, the form of the same year that the
current one replaced (the newest superseded one). A same-year correction is thus never mistaken for a year's change
when there is a year to compare with.

How rows are matched: clerks reword, so risk texts are compared by similarity (rapidfuzz, 0–100, over the text
without spaces, punctuation or full-width forms), never by equality. Two rows may be the same risk point when their
risk texts are at least ``threshold`` alike and their posts (岗位) too (a post contained in the other, 出纳 → 出纳岗,
counts as alike). Rows identical once compared pair first; the others are paired one-to-one by an optimal assignment
(scipy's ``linear_sum_assignment``) maximising the risk similarity plus a quarter of the posts' similarity: the same
post wins a tie, and no greedy first match can steal a row from its better partner.

Whose form is whose: a unit renamed in units.csv, its old name kept as an alias, is one unit across the rename —
its forms are grouped by the roster's current name (``current``, the roster's ``Roster.current``), so its 2027 form
(recorded as 财务处) is compared with its 2026 one (recorded as 计划财务处), not listed as new. The changes are the
unit's under its current name; ``previous_unit`` says the name the earlier form was recorded under when it differs.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lzdocs.store import history
from lzdocs.store.submissions import order_key

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lzdocs.settings import Settings

DEFAULT_THRESHOLD = 75.0
POST_WEIGHT = 0.25  # how much the posts' similarity adds to a pair's score, against the risk texts' 1


@dataclass(frozen=True)
class Point:
    """One risk row as compared: where it stands in its form, and what may change."""

    post: str
    risk: str
    level: int | None
    measures: str


@dataclass(frozen=True)
class Change:
    """A matched risk point whose level or measures differ: ``point`` is the current row."""

    point: Point
    before: Any
    after: Any


@dataclass
class UnitChanges:
    """A unit's form of ``year`` against its previous one (of ``previous_year``, which may be ``year`` itself)."""

    unit: str
    year: int
    previous_year: int
    new: list[Point] = field(default_factory=list)
    removed: list[Point] = field(default_factory=list)
    level_changed: list[Change] = field(default_factory=list)
    measures_changed: list[Change] = field(default_factory=list)
    previous_unit: str = ""  # the name the previous form was recorded under, when the unit was renamed since

    @property
    def same_as_previous(self) -> bool:
        """Every row matched, none changed in level or measures (a rewording above the threshold is no change)."""
        return not (self.new or self.removed or self.level_changed or self.measures_changed)

    @property
    def same_label(self) -> str:
        """The flag a clerk reads when the form is the same as the previous one."""
        return "与上年度完全相同" if self.previous_year < self.year else "与本年度此前报送的表完全相同"

    @property
    def compared_with(self) -> str:
        when = f"{self.previous_year}年" if self.previous_year < self.year else f"{self.year}年此前版本"
        return f"{when}（原名{self.previous_unit}）" if self.previous_unit else when

    def as_dict(self) -> dict[str, Any]:
        """What ``lzdocs changes --json`` prints for the unit."""
        return {"unit": self.unit, "year": self.year, "previous_year": self.previous_year,
                **({"previous_unit": self.previous_unit} if self.previous_unit else {}),
                "same_as_previous": self.same_as_previous,
                "new": [p.risk for p in self.new], "removed": [p.risk for p in self.removed],
                "level_changed": [{"risk": c.point.risk, "from": c.before, "to": c.after} for c in self.level_changed],
                "measures_changed": [{"risk": c.point.risk, "from": c.before, "to": c.after}
                                     for c in self.measures_changed]}


# --- pure: matching and comparing rows ---------------------------------------------------------------
def comparable(text: str | None) -> str:
    """Text as compared: full-width forms folded, lower case, without spaces or punctuation."""
    if not text:
        return ""
    return _comparable(text) if len(text) <= _REMEMBERED_CHARS else _compared(text)


def _compared(text: str) -> str:
    from rapidfuzz.utils import default_process

    return "".join(default_process(unicodedata.normalize("NFKC", text)).split())


# An ingest compares each risk text as it takes the form, and again when the 汇总's 质量 sheet reviews the year
# (dynamics/quality.py): a year's texts are remembered between the two (a school's year is some 20,000 rows;
# texts past the length of a risk point's description are worked out each time, so the memory stays small).
_REMEMBERED_CHARS = 200
_comparable = functools.lru_cache(maxsize=32_768)(_compared)


def match_points(previous: Sequence[Point], current: Sequence[Point], threshold: float) -> list[tuple[int, int]]:
    """Pairs (index in ``previous``, index in ``current``) of the same risk point, one-to-one, in order.

    Rows identical once compared (post and risk) pair first, in table order: a form copied from last year costs no
    more than reading it. The rest are paired by the optimal assignment over their similarity scores."""
    before = [(comparable(p.post), comparable(p.risk)) for p in previous]
    after = [(comparable(p.post), comparable(p.risk)) for p in current]
    free: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(before):
        free.setdefault(key, []).append(i)
    pairs, rest_after = [], []
    for j, key in enumerate(after):
        if free.get(key):
            pairs.append((free[key].pop(0), j))
        else:
            rest_after.append(j)
    taken = {i for i, _ in pairs}
    rest_before = [i for i in range(len(before)) if i not in taken]
    return sorted(pairs + _assign(before, after, rest_before, rest_after, threshold))


def _assign(before: list[tuple[str, str]], after: list[tuple[str, str]], rest_before: list[int],
            rest_after: list[int], threshold: float) -> list[tuple[int, int]]:
    """The optimal one-to-one pairing of the rows left (indices into ``before`` and ``after``)."""
    if not rest_before or not rest_after:
        return []
    import numpy as np
    from rapidfuzz import fuzz, process

    def matrix(side: int, scorer, cutoff: float | None = None):
        return process.cdist([before[i][side] for i in rest_before], [after[j][side] for j in rest_after],
                             scorer=scorer, score_cutoff=cutoff)

    risk = matrix(1, fuzz.ratio, threshold)  # 0 below the threshold
    alike_posts = matrix(0, fuzz.partial_ratio, threshold) > 0  # 出纳 and 出纳岗 are alike
    scores = np.where((risk > 0) & alike_posts, risk + POST_WEIGHT * matrix(0, fuzz.ratio), 0)
    if not scores.any():
        return []
    from scipy.optimize import linear_sum_assignment  # heavy: only when some pair can match

    rows, cols = linear_sum_assignment(scores, maximize=True)
    return [(rest_before[i], rest_after[j]) for i, j in zip(rows, cols) if scores[i, j] > 0]


def compare(unit: str, year: int, previous_year: int, previous: Sequence[Point], current: Sequence[Point],
            threshold: float) -> UnitChanges:
    """What changed from ``previous`` to ``current`` (rows in table order; the lists keep that order)."""
    pairs = match_points(previous, current, threshold)
    found = UnitChanges(unit, year, previous_year)
    matched_before = {i for i, _ in pairs}
    matched_now = dict((j, i) for i, j in pairs)
    for j, point in enumerate(current):
        if j not in matched_now:
            found.new.append(point)
            continue
        old = previous[matched_now[j]]
        if old.level != point.level:
            found.level_changed.append(Change(point, old.level, point.level))
        if comparable(old.measures) != comparable(point.measures):
            found.measures_changed.append(Change(point, old.measures, point.measures))
    found.removed = [p for i, p in enumerate(previous) if i not in matched_before]
    return found


def point_of(row) -> Point:
    """A stored risk row as compared."""
    return Point(post=(row["post"] or "").strip(), risk=(row["risk"] or "").strip(), level=row["level"],
                 measures=(row["measures"] or "").strip())


# --- which form is previous --------------------------------------------------------------------------
def pairs_to_compare(forms: Sequence, year: int,
                     current: Callable[[str], str] | None = None) -> list[tuple[str, Any, Any]]:
    """For each unit with a current form of ``year``: (its current name, current form, previous form), per the
    module's rule. ``current`` maps a recorded unit name to the roster's current one (``Roster.current``: a renamed
    unit's forms are one unit's); without it, forms are grouped by the name they were recorded under."""
    by_unit: dict[str, list] = {}
    for form in forms:
        by_unit.setdefault(current(form["unit"]) if current else form["unit"], []).append(form)
    chosen = []
    for unit, unit_forms in by_unit.items():
        # Renamed within the year, a unit may have two forms of it that no supersession joined: the newest counts.
        now = max((f for f in unit_forms if f["year"] == year and f["superseded_by"] is None), key=order_key,
                  default=None)
        if now is None:
            continue
        earlier = [f for f in unit_forms if f["year"] < year and f["superseded_by"] is None]
        same_year = [f for f in unit_forms if f["year"] == year and f["id"] != now["id"]]
        if earlier:
            chosen.append((unit, now, max(earlier, key=lambda f: (f["year"], order_key(f)))))
        elif same_year:
            chosen.append((unit, now, max(same_year, key=order_key)))
    return chosen


def year_changes(conn: Connection, year: int, threshold: float, *, unit: str | Collection[str] | None = None,
                 unit_order: Sequence[str] = (), current: Callable[[str], str] | None = None) -> list[UnitChanges]:
    """Every unit's changes in ``year`` (units of ``unit_order`` first, in that order, then by name), each under
    its current name (``current``: see :func:`pairs_to_compare`). ``unit``: a name, or the names one unit's forms
    may be recorded under (``Roster.recorded_names``)."""
    pairs = pairs_to_compare(history.accepted_forms(conn, up_to_year=year, unit=unit), year, current)
    rows = history.rows_of(conn, [f["id"] for _, *pair in pairs for f in pair])
    position = {name: i for i, name in enumerate(unit_order)}
    pairs.sort(key=lambda pair: (position.get(pair[0], len(position)), pair[0]))
    found = []
    for name, now, before in pairs:
        changes = compare(name, year, before["year"], [point_of(r) for r in rows[before["id"]]],
                          [point_of(r) for r in rows[now["id"]]], threshold)
        changes.previous_unit = before["unit"] if before["unit"] != name else ""
        found.append(changes)
    return found


def threshold_of(settings: Settings) -> float:
    """The match threshold of the workspace ([changes] match_threshold in lzdocs.toml)."""
    return settings.number("changes", "match_threshold", DEFAULT_THRESHOLD)

"""复核: when each current risk point is due for review, and the 落实情况 form matched to those points."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta
from rapidfuzz import fuzz

from lzdocs.errors import Problem, warning
from lzdocs.forms.records import CheckedForm
from lzdocs.forms.values import LEVEL_NAMES
from lzdocs.store import reviews as reviews_q
from lzdocs.store import submissions as subs_q
from lzdocs.textutil import squeeze

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lzdocs.settings import Settings
    from lzdocs.store import Store

DONE, PARTLY, NOT_DONE = "已落实", "部分落实", "未落实"
RESULTS = (DONE, PARTLY, NOT_DONE)
OVERDUE, DUE = "overdue", "due"


@dataclass(frozen=True)
class ReviewPolicy:
    """[reviews] of lzdocs.toml: months between reviews by level, how far ahead to list, the match similarity."""

    months: Mapping[int, int]
    due_within: int = 30
    similarity: int = 85

    @classmethod
    def from_settings(cls, settings: Settings) -> ReviewPolicy:
        months = {level: settings.integer("reviews", f"level{level}_months", default)
                  for level, default in ((1, 6), (2, 12), (3, 24))}
        return cls(months, settings.integer("reviews", "due_within_days", 30),
                   settings.integer("reviews", "match_similarity", 85))

    def next_review(self, last: dt.date, level: int | None) -> dt.date:
        """``last`` plus the level's months (a level-less point is reviewed as often as 三级)."""
        return last + relativedelta(months=self.months.get(level or 3, self.months[3]))


@dataclass(frozen=True)
class ReviewDue:
    """One current risk point's review: the last (form date or recorded review), the next, and the latest result."""

    unit: str
    post: str
    risk: str
    level: int | None
    last_review: dt.date
    next_review: dt.date
    days_overdue: int
    state: str  # overdue | due | "" (not yet)
    result: str | None = None  # 落实情况 of the latest recorded review (once a newer form came in: 未落实 alone stays)
    year: int = 0  # the year of the form the point is on

    def as_dict(self) -> dict:
        return {"unit": self.unit, "post": self.post, "risk": self.risk, "level": self.level,
                "last_review": self.last_review.isoformat(), "next_review": self.next_review.isoformat(),
                "days_overdue": self.days_overdue, "result": self.result, "not_done": self.result == NOT_DONE}

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES.get(self.level or 0, "")


# --- the points and their schedule ------------------------------------------------------------------------------

def current_points(conn: Connection, *, unit: str | None = None, unit_order: Sequence[str] = (),
                   as_of: dt.date | None = None) -> list[Mapping]:
    """Each unit's risk points of its newest year with an accepted 岗位风险分析和防控措施表, units in roster order.
    ``as_of``: the points the unit had on that day — of its newest form filled by then (a 落实情况 form of June 2026
    taken in March 2027, after the unit's 2027 form, checked the 2026 points); the newest, when none was."""
    rows = list(subs_q.current_risks(conn, unit=unit, unit_order=unit_order))
    if as_of is not None and (then := [r for r in rows if (r["filled_date"] or r["received_at"].date()) <= as_of]):
        rows = then
    newest: dict[str, int] = {}
    for row in rows:
        newest[row["unit"]] = max(newest.get(row["unit"], 0), row["year"])
    position = {name: i for i, name in enumerate(unit_order)}
    rows = [r for r in rows if r["year"] == newest[r["unit"]]]
    return sorted(rows, key=lambda r: (position.get(r["unit"], len(position)), r["unit"]))


def _same_point(point: Mapping, review: Mapping) -> bool:
    if review["risk_id"] is not None:
        return review["risk_id"] == point["id"]
    return _same_text(point, review)


def _same_text(point: Mapping, review: Mapping) -> bool:
    return (squeeze(review["post"]), squeeze(review["risk"])) == (squeeze(point["post"] or ""),
                                                                  squeeze(point["risk"] or ""))


def schedule(points: list[Mapping], reviews: list[Mapping], policy: ReviewPolicy, today: dt.date) -> list[ReviewDue]:
    """Every point's review dates: the first review counts from its form's 填表日期, then from each review."""
    by_unit: dict[str, list[Mapping]] = {}
    for review in reviews:
        by_unit.setdefault(review["unit"], []).append(review)
    out = []
    for point in points:
        mine = [r for r in by_unit.get(point["unit"], []) if _same_point(point, r)]
        form_day = point["filled_date"] or point["received_at"].date()
        latest = max(mine, key=lambda r: (r["reviewed"], r["id"])) if mine else None
        last = max(form_day, latest["reviewed"]) if latest else form_day
        due = policy.next_review(last, point["level"])
        state = OVERDUE if due < today else DUE if due <= today + dt.timedelta(days=policy.due_within) else ""
        recent = latest if latest and latest["reviewed"] >= form_day else None  # a newer form supersedes a review
        out.append(ReviewDue(point["unit"], point["post"] or "", point["risk"] or "", point["level"], last, due,
                             max(0, (today - due).days), state,
                             recent["result"] if recent else
                             _still_not_done(point, by_unit.get(point["unit"], []), policy.similarity),
                             point["year"]))
    return out


def _still_not_done(point: Mapping, reviews: list[Mapping], similarity: int) -> str | None:
    """NOT_DONE when the newest review of this point's post and risk, made on a form the unit has since replaced, found
    its measures 未落实: the unit's next form, the point in it again, implements nothing — the finding stays listed
    until a review finds otherwise. "Again" as a 落实情况 form's row is matched to a point (``_match``: the post, and
    the risk reworded within ``similarity`` percent — a comma added does not make it another point); a point dropped
    from the new form, or truly another, is the new form's, reviewed anew."""
    same = [r for r in reviews if _match(r["post"], r["risk"], [point], similarity) is not None]
    newest = max(same, key=lambda r: (r["reviewed"], r["id"])) if same else None
    return NOT_DONE if newest is not None and newest["result"] == NOT_DONE else None


def review_list(store: Store, policy: ReviewPolicy, today: dt.date, *, unit: str | None = None,
                unit_order: Sequence[str] = (), due_within: int | None = None) -> list[ReviewDue]:
    """The reviews due within ``due_within`` days (default the setting) or overdue, and points found 未落实."""
    if due_within is not None:
        policy = ReviewPolicy(policy.months, due_within, policy.similarity)
    with store.read() as conn:
        points = current_points(conn, unit=unit, unit_order=unit_order)
        reviews = reviews_q.reviews_of(conn, unit)
    return [d for d in schedule(points, reviews, policy, today) if d.state or d.result == NOT_DONE]


def review_counts(items: list[ReviewDue], policy: ReviewPolicy) -> dict:
    """What ``lzdocs status`` shows of the reviews."""
    return {"overdue": sum(d.state == OVERDUE for d in items), "due": sum(d.state == DUE for d in items),
            "not_done": sum(d.result == NOT_DONE for d in items), "due_within_days": policy.due_within}


def prefill_rows(store: Store, unit: str) -> list[dict]:
    """The rows of a unit's 落实情况 form: its current posts and risk points, numbered, the rest left to the unit."""
    with store.read() as conn:
        points = current_points(conn, unit=unit)
    return [{"seq": str(i), "post": p["post"] or "", "risk": p["risk"] or ""} for i, p in enumerate(points, 1)]


# --- the 落实情况 form in ---------------------------------------------------------------------------------------

def _match(post: str, risk: str, points: list[Mapping], similarity: int) -> Mapping | None:
    """The current point with this post and (reworded, within ``similarity`` percent) risk text."""
    best, best_score = None, -1.0
    for point in points:
        p, q = squeeze(point["post"] or ""), squeeze(post)
        if not (p == q or (p and q and (p in q or q in p)) or fuzz.ratio(p, q) >= similarity):
            continue
        score = fuzz.ratio(squeeze(risk), squeeze(point["risk"] or ""))
        if score >= similarity and score > best_score:
            best, best_score = point, score
    return best


def plan_reviews(checked: CheckedForm, points: list[Mapping], similarity: int,
                 received: dt.date) -> tuple[list[dict], list[Problem]]:
    """The reviews a checked 落实情况 form records (one per row with a clear result) and the warnings for the unit:
    a row matching no current point, a point 未落实, current points the form left out."""
    day = checked.filled_date or received
    reviews, problems, used = [], [], set()
    labels = {f.key: f.label for f in checked.kind.fields}
    for row in checked.rows:
        number, post, risk = row.get("row"), row.get("post") or "", row.get("risk") or ""
        result = row.get("status")  # checked: one of the choices (forms/checks.py)
        if result not in RESULTS:  # a workspace's own kind "check" without them
            continue
        point = _match(post, risk, points, similarity)
        if point is None:
            problems.append(warning("本单位当前的风险点中没有这一项，已按所写内容记录；请核对岗位和风险点是否与"
                                    "下发的预填表一致", row=number, column=labels["risk"], value=risk))
        else:
            used.add(point["id"])
        if result == NOT_DONE:
            found = f"，存在问题：{row['problem']}" if row.get("problem") else ""
            listed = "已记录，将列入复核清单，请督促整改" if point else \
                "已记录，但它不是本单位当前的风险点，不会列入复核清单：请核对后督促整改，或让单位先补报风险点"
            problems.append(warning(f"“{post}”岗位“{risk}”的防控措施未落实{found}；{listed}", row=number,
                                    column=labels["status"]))
        reviews.append({"risk_id": point["id"] if point else None, "unit": checked.unit, "post": post, "risk": risk,
                        "reviewed": day, "result": result, "problem": row.get("problem") or "",
                        "remedy": row.get("remedy") or "", "row_no": number})
    left = [p for p in points if p["id"] not in used]
    if not points:
        problems.append(warning("本单位还没有已收取的《岗位风险分析和防控措施表》，落实情况已记录，但对应不到风险点"))
    elif left:
        names = "；".join(f"{p['post']}：{p['risk']}" for p in left)
        problems.append(warning(f"本表没有填写以下当前风险点的落实情况，未记为复核：{names}"))
    return reviews, problems


def record_reviews(store: Store, conn: Connection, submission_id: int, reviews: list[dict]) -> None:
    """Store a form's reviews in the caller's transaction, each also in the events log."""
    for review_id, review in zip(reviews_q.add_reviews(conn, submission_id, reviews), reviews):
        store.log(conn, "review", f"{review['unit']}/{review['post']}/{review['risk']}",
                  after={"review": review_id, "submission": submission_id, **review})

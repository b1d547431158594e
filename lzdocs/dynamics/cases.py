"""Cases (违纪违规案例与事后分析, 后期处置): checking one, matching it to a risk point, listing, the 案例分析 sheet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lzdocs.errors import FieldError
from lzdocs.forms.values import LEVEL_NAMES
from lzdocs.store import cases as cases_q
from lzdocs.store import submissions as subs_q
from lzdocs.textutil import chinese_date, squeeze

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lzdocs.store import Store

RECORDED, VOID = "recorded", "void"  # a case's status in ``case list --json``: in force, or 作废 (counted nowhere)
DEFAULT_THRESHOLD = 80  # [cases] match_threshold
POST_WEIGHT = 0.3  # a point's similarity: 30 % its post, 70 % its risk text

# Field → (label a clerk reads, the option that gives it), in the order they are asked for.
FIELDS = {"unit": ("单位", "--unit"), "post": ("岗位", "--post"), "risk_text": ("风险内容", "--risk-text"),
          "case_type": ("案例类型", "--type"), "handling": ("处理情况", "--handling"),
          "analysis": ("原因分析", "--analysis"), "measures": ("整改措施", "--measures")}


@dataclass(frozen=True)
class Match:
    """The risk point a case is closest to, and how close (0–100)."""

    point: Any  # a row of subs_q.current_risks
    score: int

    def as_dict(self) -> dict[str, Any]:
        p = self.point
        return {"year": p["year"], "seq": p["seq"], "post": p["post"], "risk": p["risk"], "level": p["level"],
                "score": self.score}


def checked_fields(values: dict[str, str | None]) -> dict[str, str]:
    """The text fields of a case (and its unit), stripped; a FieldError naming every missing one (label, option)."""
    fields = {key: (values.get(key) or "").strip() for key in FIELDS}
    missing = [f"{FIELDS[k][0]}（{FIELDS[k][1]}）" for k, v in fields.items() if not v]
    if missing:
        raise FieldError(f"案例缺少：{'、'.join(missing)}",
                         hint="每项都要填写，如 --unit 计划财务处 --post 出纳 --risk-text 挪用公款 --type 违纪 "
                              "--handling 党内警告 --analysis 钱账未分管 --measures 钱账分管、每日盘点")
    return fields


def checked_date(date: dt.date | None, today: dt.date) -> dt.date:
    """The case's date (default today); a date after today is a FieldError."""
    if date is None:
        return today
    if date > today:
        raise FieldError(f"案例日期{chinese_date(date)}在今天（{chinese_date(today)}）之后",
                         hint="请写案例发生或查处的日期，默认今天")
    return date


def similarity(post: str, risk_text: str, point) -> int:
    """How alike a case and a risk point are, 0–100: rapidfuzz's WRatio of the posts and of the risk texts
    (spaces and full-width forms ignored), weighted 30 : 70."""
    from rapidfuzz import fuzz

    post_score = fuzz.WRatio(squeeze(post), squeeze(point["post"] or ""))
    risk_score = fuzz.WRatio(squeeze(risk_text), squeeze(point["risk"] or ""))
    return round(POST_WEIGHT * post_score + (1 - POST_WEIGHT) * risk_score)


def closest_point(post: str, risk_text: str, points: Iterable) -> Match | None:
    """The most similar risk point (the first of equals, in register order), or None when there are none."""
    best: Match | None = None
    for point in points:
        score = similarity(post, risk_text, point)
        if best is None or score > best.score:
            best = Match(point, score)
    return best


def candidate_points(conn: Connection, unit: str, year: int) -> list:
    """The unit's current risk points of the newest year up to the case's year that has a form."""
    points = [p for p in subs_q.current_risks(conn, unit=unit) if p["year"] <= year]
    newest = max((p["year"] for p in points), default=None)
    return [p for p in points if p["year"] == newest]


def same_key(values) -> tuple[str, ...]:
    """What makes two cases of one unit and day the same case: its type, post and risk text (what happened, to
    whom), spaces and full-width forms ignored. The handling, analysis and measures are not part of it: they
    describe the case and a clerk entering it again may word them differently."""
    return tuple(squeeze(values[k] or "") for k in ("case_type", "post", "risk_text"))


def refuse_repeat(conn: Connection, unit: str, fields: dict[str, str], date: dt.date) -> None:
    """A FieldError when the unit already has this case on record: the same date, type, post and risk text
    (:func:`same_key`) — a command run twice, a script retried. Called in the transaction that adds the case,
    under the write lock, so two processes adding it at once cannot both do it."""
    key = same_key(fields)
    found = [row for row in cases_q.cases_of_day(conn, unit, date) if same_key(row) == key]
    if found:
        first, numbers = found[0], "、".join(str(row["id"]) for row in found)
        raise FieldError(f"{unit}{chinese_date(date)}的这起案例（{first['case_type']}｜{first['post']}｜"
                         f"{first['risk_text']}）已登记为案例 {numbers}，没有重复登记",
                         hint=f"确是另一起案例时加 --again 再登记；登记错了可用 lzdocs case void {first['id']} "
                              "--reason 原因 作废")


def named_point(conn: Connection, unit: str, risk_id: int):
    """The risk point the clerk named for a case (``--risk``, its id as ``lzdocs unit`` shows it): a FieldError
    unless it is a current risk point of ``unit`` (any year)."""
    from lzdocs.store import follow_up as follow_q

    point = next((p for p in subs_q.current_risks(conn, unit=unit) if p["id"] == risk_id), None)
    if point is not None:
        return point
    hint = f"用 lzdocs unit {unit} 查看该单位现行风险点的编号（方括号中的数字）"
    row = next(iter(follow_q.risk_rows(conn, [risk_id])), None)
    if row is None:
        raise FieldError(f"没有编号为 {risk_id} 的风险点", hint=hint)
    if row["unit"] != unit:
        raise FieldError(f"风险点 {risk_id} 是{row['unit']}的风险点，不是{unit}的", hint=hint)
    raise FieldError(f"风险点 {risk_id} 所在的{unit}{row['year']}年风险点表已被后来报送的表取代，不是现行的风险点",
                     hint=hint)


def record_case(store: Store, unit: str, fields: dict[str, str], date: dt.date, threshold: int, *,
                again: bool = False, risk_id: int | None = None) -> dict[str, Any]:
    """Record a case (checked fields) and link it to the closest current risk point of its unit when the
    similarity reaches ``threshold``, or to the point the clerk named (``risk_id``, :func:`named_point`; its
    ``match_score`` then NULL: no similarity decided it); logged in the events log. A case already on record
    (:func:`refuse_repeat`) is refused unless ``again`` (the clerk says it is a second case). Returns
    :func:`case_record` of the new case with ``closest``: the best point even when below the threshold (None when
    the unit has none, or the clerk named the point)."""
    with store.begin(year=date.year) as conn:
        if not again:
            refuse_repeat(conn, unit, fields, date)
        if risk_id is not None:
            best, point, score = None, named_point(conn, unit, risk_id), None
        else:
            best = closest_point(fields["post"], fields["risk_text"], candidate_points(conn, unit, date.year))
            linked = best if best is not None and best.score >= threshold else None
            point, score = (linked.point, linked.score) if linked else (None, None)
        case_id = cases_q.add_case(conn, unit=unit, year=date.year, date=date, **fields,
                                   risk_id=point["id"] if point is not None else None, match_score=score,
                                   created_at=store.now())
        record = case_record(cases_q.list_cases(conn, case_id=case_id)[0])
        store.log(conn, "case_add", f"案例{case_id}：{unit}", after=record)
        _summaries_behind(conn, record)
    return {**record, "closest": best.as_dict() if best else None, "threshold": threshold}


def case_record(row) -> dict[str, Any]:
    """One case as ``lzdocs case list --json`` prints it."""
    point = None
    if row["risk_id"] is not None:
        point = {"year": row["point_year"], "seq": row["point_seq"], "post": row["point_post"],
                 "risk": row["point_risk"], "level": row["point_level"], "score": row["match_score"]}
    return {"id": row["id"], "unit": row["unit"], "post": row["post"], "risk": row["risk_text"],
            "type": row["case_type"], "handling": row["handling"], "analysis": row["analysis"],
            "measures": row["measures"], "date": row["date"].isoformat(), "risk_point": point,
            "status": VOID if row["voided"] is not None else RECORDED,
            "voided": row["voided"].isoformat() if row["voided"] is not None else None,
            "void_reason": row["void_reason"]}


def void_case(store: Store, case_id: int, reason: str, day: dt.date) -> dict[str, Any]:
    """作废 a case recorded by mistake: its row stays, marked void with ``reason`` and ``day``, and it is counted
    nowhere after (not in 已发生, the 案例分析 sheet, the summary, the unit's card). Refused for an unknown id, a
    case already void, or a case of a closed year (``Store.begin(year=…)``); logged in the same transaction.
    Returns :func:`case_record` of the voided case."""
    reason = " ".join(reason.split())
    if not reason:
        raise FieldError("作废案例须写明原因", hint="用 --reason 写明原因，例如 --reason 重复登记")
    with store.read() as conn:  # the case's year, for the closed-year check (a case's date never changes)
        found = cases_q.list_cases(conn, case_id=case_id, include_void=True)
    if not found:
        raise FieldError(f"没有编号为 {case_id} 的案例", hint="用 lzdocs case list 查看案例编号")
    with store.begin(year=found[0]["year"]) as conn:
        row = cases_q.list_cases(conn, case_id=case_id, include_void=True)[0]  # a case is never deleted
        if row["voided"] is not None:
            raise FieldError(f"案例 {case_id} 已于{chinese_date(row['voided'])}作废（{row['void_reason']}），"
                             "不能再作废")
        if day < row["date"]:
            raise FieldError(f"作废日期{chinese_date(day)}早于案例日期{chinese_date(row['date'])}")
        cases_q.void_case(conn, case_id, reason=reason, voided=day)
        record = case_record(cases_q.list_cases(conn, case_id=case_id, include_void=True)[0])
        store.log(conn, "case_void", f"案例{case_id}：{row['unit']}", before={"status": RECORDED},
                  after={"status": VOID, "reason": reason, "voided": day})
        _summaries_behind(conn, record)
    return record


def case_years(record: dict[str, Any]) -> set[int]:
    """The years whose 汇总表 a case (:func:`case_record`) counts in: its own (案例分析) and its point's (已发生)."""
    point = record["risk_point"]
    return {dt.date.fromisoformat(record["date"]).year} | ({point["year"]} if point else set())


def _summaries_behind(conn: Connection, record: dict[str, Any]) -> None:
    """The 汇总表 of each open year the case counts in, marked behind the archive in the case's own transaction
    (lzdocs/store/pending.py): rewritten right after the commit, or by the next command if that rewrite never
    happens (killed, the book open in WPS) — never left showing the archive as it was before the case."""
    from lzdocs.store import pending
    from lzdocs.store.years import closure

    for year in sorted(case_years(record)):
        if closure(conn, year) is None:  # a year handed over keeps the registers of its 归档 package
            pending.mark(conn, year, ("risks",))


def point_text(point: dict) -> str:
    """A matched point as a clerk reads it: 2026 年 出纳｜一级｜挪用公款."""
    return f"{point['year']} 年 {point['post']}｜{LEVEL_NAMES.get(point['level'], point['level'])}｜{point['risk']}"


def how_linked(point: dict) -> str:
    """How a case came to its point: 相似度 90%, or 经办人指定 (``--risk``: no score)."""
    return "经办人指定" if point["score"] is None else f"相似度 {point['score']}%"


# --- the 案例分析 sheet of the 汇总表, and the 已发生 mark of its 汇总 sheet ------------------------------
def case_columns():
    from lzdocs.documents.xlsx_writer import Column

    return [Column("序号", 6, "center"), Column("日期", 12, "date"), Column("单位", 16), Column("岗位", 12),
            Column("风险内容", 28), Column("案例类型", 10, "center"), Column("处理情况", 24),
            Column("原因分析", 32), Column("整改措施", 32), Column("关联风险点", 32),
            Column("相似度", 8, "center")]


def add_case_sheet(book, conn: Connection, year: int, today: dt.date, school: str = "") -> None:
    """The 案例分析 sheet: every case dated in ``year``, with the risk point it was matched to (警示教育), then those of
    other years (by ``today``) matched to a point of ``year`` — the cases its 汇总 counts as 已发生; no sheet when
    there are none (an empty sheet would print as a page of headers)."""
    rows = cases_q.list_cases(conn, year=year)
    elsewhere = [r for r in cases_q.list_cases(conn, point_year=year) if r["year"] != year and r["date"] <= today]
    rows = [*rows, *elsewhere]
    if not rows:
        return
    sheet = book.add_sheet("案例分析", case_columns(), title=f"{school}{year}年违纪违规案例分析", subtitle="")
    linked = 0
    for n, row in enumerate(rows, 1):
        point = case_record(row)["risk_point"]
        linked += point is not None
        sheet.append([n, row["date"], row["unit"], row["post"], row["risk_text"], row["case_type"],
                      row["handling"], row["analysis"], row["measures"], point_text(point) if point else "未关联",
                      (f"{point['score']}%" if point["score"] is not None else "指定") if point else None])
    others = f"（其中 {len(elsewhere)} 起发生在其他年度，对应本年度的风险点）" if elsewhere else ""
    sheet.set_subtitle(f"共 {len(rows)} 起案例{others}，其中 {linked} 起对应已排查的风险点（该风险点标记为已发生）；"
                       f"统计日期：{chinese_date(today)}")


def occurred_column():
    """The column the 汇总 sheet adds after its last: 已发生 and how many cases, for a point a case matched."""
    from lzdocs.documents.xlsx_writer import Column

    return Column("案例", 12, "center")


class Occurred:
    """How many cases occurred at a risk point: those matched to it, or to the same point (unit, year, post and
    risk text) of a form it replaced — a unit's corrected form keeps the 已发生 mark of its points. ``until``: only
    cases that occurred by that day (a closed year's registers, as of the day it was closed)."""

    def __init__(self, conn: Connection, until: dt.date | None = None):
        self.by_id: dict[int, int] = {}
        self.by_point: dict[tuple, int] = {}
        for row in cases_q.linked_points(conn, until):
            self.by_id[row["id"]] = row["n"]
            self.by_point[_point_key(row)] = self.by_point.get(_point_key(row), 0) + row["n"]

    def __call__(self, risk) -> int:
        if not self.by_point:  # no case matched any point (most years): no key to normalise for each row
            return 0
        return self.by_id.get(risk["id"]) or self.by_point.get(_point_key(risk), 0)


def _point_key(row) -> tuple:
    return row["unit"], row["year"], squeeze(row["post"] or ""), squeeze(row["risk"] or "")


def occurred_mark(n: int) -> str | None:
    return f"已发生（{n} 起）" if n else None

"""What each page of the status page shows: read from the archive (one read view per request) into template values."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lzdocs.forms.values import LEVEL_NAMES
from lzdocs.office import Office
from lzdocs.store import follow_up as follow_q
from lzdocs.store import pages as pages_q
from lzdocs.store import reports as reports_q
from lzdocs.store import submissions as subs_q

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

PAGE_SIZE = 50
RECENT = 100
KIND_NAMES = {"risk": "岗位风险分析和防控措施表", "check": "防控措施落实情况检查表"}
_CHARTS = threading.Lock()  # pyplot keeps global state: one chart at a time
_CATEGORIES: dict[tuple, list[str]] = {}  # (archive, year, archive_mark) → the categories of the year's points


@dataclass(frozen=True)
class Query:
    """The query string of a request, read leniently: a value that does not parse is as if not given — and said on
    the page (``notes``), so that a page of every year or level is not taken for the one asked for."""

    params: dict[str, str]
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> Query:
        """From the query string's (key, value) pairs. A key given more than once (``level=1&level=2``, a link edited
        by hand) is taken at its first value, and the page says so: it showed the last, silently."""
        params: dict[str, str] = {}
        more: dict[str, list[str]] = {}
        for key, value in pairs:
            if key not in params:
                params[key] = value
            elif value != params[key] and value not in more.setdefault(key, []):
                more[key].append(value)
        query = cls(params)
        for key, values in more.items():
            shown = "、".join(f"“{v[:20]}”" for v in [params[key], *values][:4])
            query.notes.append(f"{_LABELS.get(key, key)}给了多个值（{shown}），只按第一个筛选")
        return query

    def text(self, key: str) -> str:
        return " ".join(str(self.params.get(key) or "").split())[:200]

    def integer(self, key: str, low: int, high: int) -> int | None:
        text = self.text(key).removesuffix("年")
        if text.isdecimal() and low <= int(text) <= high:  # not isdigit(): "²" is a digit that int() refuses
            return int(text)
        if text:
            self.notes.append(f"“{text[:40]}”不是有效的{_LABELS.get(key, key)}（{low}—{high}），没有按它筛选")
        return None

    def level(self) -> int | None:
        """``level``: 1, 2, 3 or 一级, 二级, 三级 (as ``lzdocs risks --level`` takes it)."""
        from lzdocs.forms.values import parse_level

        text = self.text("level")
        level = parse_level(text) if text and not text.isdecimal() else None
        return level if level is not None else self.integer("level", 1, 3)

    def year(self, office: Office) -> int | None:
        """``year``: absent → the programme year; empty → every year."""
        if "year" not in self.params:
            return office.programme_year()
        return self.integer("year", 2000, 2100)


_LABELS = {"year": "年度", "level": "风险等级", "page": "页码", "unit": "单位", "category": "风险类别", "q": "搜索词"}


def status(office: Office, query: Query) -> dict:
    """报送情况: every roster unit on time / late / missing, with dates, files, and the reasons of a 退回; the 复核
    figures; the year's registers and 公示表, the working one and each posted."""
    from lzdocs.documents.registers import register_paths

    year = query.year(office) or office.programme_year()
    if query.notes:
        query.notes[-1] = query.notes[-1].replace("没有按它筛选", f"显示的是 {year} 年度")
    result = office.status(year)
    registers = sorted((office.ws.year_dir(year) / "登记簿").glob("*.xlsx"))
    working = register_paths(office.ws, year)["publicity"]
    postings = office.postings(year)
    with office.store.read() as conn:
        years = subs_q.years(conn)
    counts = {name: len(result.names(state)) for state, name in
              (("submitted", "按时报送"), ("late", "逾期报送"), ("missing", "未报送"))}
    return {"year": year, "years": sorted({*years, year}, reverse=True), "status": result, "counts": counts,
            "levels": {LEVEL_NAMES[k]: v for k, v in result.levels.items()},
            "registers": [office.ws.relative(p) for p in registers if not p.name.startswith((".", "~$"))],
            "reviews": office.review_counts(),  # as ``lzdocs status`` says them
            "publicity": office.ws.relative(working) if working.is_file() else None, "postings": postings,
            "gone": {p.file for p in postings if not (office.ws.root / p.file).is_file()}}  # listed, not linked


def risks(office: Office, query: Query) -> dict:
    """风险点: the current risk points that match the filters, 50 a page."""
    year = query.year(office)
    unit = query.text("unit")
    wanted = pages_q.RiskFilter(year=year, unit=office.roster().resolve(unit) or unit or None,  # 计财处: 计划财务处
                                level=query.level(), category=query.text("category") or None,
                                search=query.text("q"))
    page = query.integer("page", 1, 10**6) or 1
    roster = office.roster().names
    with office.store.read() as conn:
        categories = _categories(office, conn, year)
        wanted = wanted.spelled(conn, categories)  # 业务流程类 asked: the points' 业务流程 (as lzdocs risks --category)
        rows, total = pages_q.risk_page(conn, wanted, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
                                        unit_order=roster)
        years = sorted(subs_q.years(conn), reverse=True)
    pages = max(1, -(-total // PAGE_SIZE))
    units = list(dict.fromkeys([*roster, *([wanted.unit] if wanted.unit else [])]))
    # the filter's own spelling shown selected (业务流程类 asked, 业务流程 listed): else the select says 全部 over
    # rows that are filtered, and the next 筛选 drops the category
    category = (wanted.categories or (wanted.category,))[0] if wanted.category else None
    categories = list(dict.fromkeys([*categories, *([category] if category else [])]))
    return {"rows": rows, "total": total, "page": min(page, pages), "pages": pages, "wanted": wanted,
            "year": year, "years": years, "units": units, "categories": categories, "level_names": LEVEL_NAMES,
            "filters": {"year": "all" if year is None else year, "unit": wanted.unit or "",
                        "level": wanted.level or "", "category": category or "", "q": wanted.search}}


def _categories(office: Office, conn: Connection, year: int | None) -> list[str]:
    """The 风险类别 for the filter, kept until another form is recorded (a scan of every current point)."""
    key = (office.store.url, year, pages_q.archive_mark(conn))
    if key not in _CATEGORIES:
        if len(_CATEGORIES) > 64:
            _CATEGORIES.clear()
        _CATEGORIES[key] = pages_q.risk_categories(conn, year)
    return _CATEGORIES[key]


def unit(office: Office, query: Query) -> dict:
    """单位: a unit's card — risk points over the years, reviews, warnings and their states, cases."""
    card = office.unit_card(query.text("name"))
    with office.store.read() as conn:
        files = pages_q.document_files(conn, [w["number"] for w in card["warnings"]])
    by_year: dict[int, list[dict]] = {}
    for risk in card["risks"]:
        by_year.setdefault(risk["year"], []).append(risk)
    return {"card": card, "by_year": dict(sorted(by_year.items(), reverse=True)), "files": files,
            "level_names": LEVEL_NAMES}


def warnings(office: Office, query: Query) -> dict:
    """预警处置: every warning with its state, newest first; those past a step's deadline highlighted."""
    from lzdocs.documents.kinds import WAYS
    from lzdocs.dynamics.steps import warning_record

    only_overdue = query.text("overdue") == "1"
    with office.store.read() as conn:
        rows = follow_q.all_warnings(conn)
        links = follow_q.linked_risks(conn, [w["id"] for w in rows])
        files = pages_q.document_files(conn, [w["number"] for w in rows])
    records = [{**warning_record(w, links[w["id"]], office.today, office.deadlines), "title": w["title"]}
               for w in reversed(rows)]
    overdue = sum(1 for r in records if r["overdue"])
    if only_overdue:
        records = [r for r in records if r["overdue"]]
    return {"records": records, "files": files, "overdue": overdue, "only_overdue": only_overdue, "ways": WAYS}


def events(office: Office) -> dict:
    """收文动态: the latest files taken or returned, and why; whether the watcher runs."""
    with office.store.read() as conn:
        rows = pages_q.recent_submissions(conn, RECENT)
    items = [{**row, "kind_name": KIND_NAMES.get(row["kind"], row["kind"]), "reasons": _reasons(row["problems"])}
             for row in rows]
    return {"items": items, "watcher": office.watcher_state()}


def _reasons(problems_json: str | None) -> list[str]:
    """The errors that returned a file, each as the 错误说明 names it (row and column when known)."""
    try:
        problems = json.loads(problems_json or "[]")
    except ValueError:
        return []
    out = []
    for p in problems if isinstance(problems, list) else []:
        if isinstance(p, dict) and p.get("severity") == "error":
            where = "、".join(x for x in (f"第{p['row']}行" if p.get("row") else "",
                                          str(p.get("column") or "")) if x)
            out.append(f"{where}：{p.get('message', '')}" if where else str(p.get("message", "")))
    return out


def charts(office: Office, query: Query) -> dict:
    year = query.year(office) or office.programme_year()
    with office.store.read() as conn:
        by_unit = reports_q.level_counts(conn, year)
        by_year = pages_q.level_counts_by_year(conn)
    from lzdocs.documents.charts import unit_parts

    return {"year": year, "years": sorted(by_year, reverse=True), "unit_parts": len(unit_parts(list(by_unit))),
            "has_years": bool(by_year)}


def chart_png(office: Office, which: str, query: Query) -> bytes | None:
    """A chart as PNG (documents/charts.py): levels per unit of a year — its ``part`` (from 1) of a few dozen units,
    as the summary prints them — or levels by year; None without data."""
    from lzdocs.documents import charts as C

    year = query.year(office) or office.programme_year()
    with office.store.read() as conn:
        data = reports_q.level_counts(conn, year) if which == "units" else pages_q.level_counts_by_year(conn)
    if not data:
        return None
    notes: list[str] = []
    with _CHARTS:
        if which == "units":
            names = office.roster().names
            order = [u for u in names if u in data] + sorted(set(data) - set(names))
            part = C.levels_per_unit_parts({u: data[u] for u in order}, LEVEL_NAMES, notes,
                                           only=(query.integer("part", 1, 10**6) or 1) - 1)
            return part[0] if part else None
        years = sorted(data)
        return C.year_over_year(years, data, LEVEL_NAMES, notes)

"""Read queries of the status page (``lzdocs serve``): risk points a page at a time, recent ingests, document files.

The 风险点 page filters the current risk points (each unit's newest accepted form per year) and fetches one page of
50 with the count of all that match: two statements over ``risks`` joined to ``submissions``. No index beyond the
schema's is needed for 100,000 points (benchmarks/bench_serve.py: the page stays within 5× of the bare query);
on a much larger archive an index on ``risks (kind, year)`` would be the first to add, in a schema migration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection

from lzdocs.store import sql
from lzdocs.store.schema import documents, risks, submissions
from lzdocs.store.submissions import _by_position

SEARCHED = (risks.c.post, risks.c.risk, risks.c.duties, risks.c.measures, risks.c.owner)


@dataclass(frozen=True)
class RiskFilter:
    """What the 风险点 page shows: any of year, unit, level, category, and words searched in the row's texts.

    The category is matched as ``lzdocs risks --category`` matches it (``forms.values.same_category``: 业务流程 is
    业务流程类, spaces and full-width letters aside): ``categories`` are the spellings the points use that are the
    one asked for (``spelled``; None until looked up)."""

    year: int | None = None
    unit: str | None = None
    level: int | None = None
    category: str | None = None
    search: str = ""
    categories: tuple[str, ...] | None = None

    def spelled(self, conn: Connection, known: Sequence[str] | None = None) -> RiskFilter:
        """This filter with the category's spellings among ``known`` (the categories the year's current points use:
        ``risk_categories``, read when not given) as its ``categories``."""
        from lzdocs.forms.values import same_category

        if not self.category:
            return self
        known = risk_categories(conn, self.year) if known is None else known
        return replace(self, categories=tuple(k for k in known if same_category(k, self.category)))

    def where(self) -> list:
        """The WHERE terms: current accepted risk forms, then each filter given."""
        terms = [submissions.c.status == "accepted", submissions.c.superseded_by.is_(None), risks.c.kind == "risk"]
        if self.year is not None:
            terms.append(risks.c.year == self.year)
        if self.unit:
            terms.append(risks.c.unit == self.unit)
        if self.level is not None:
            terms.append(risks.c.level == self.level)
        if self.category:
            terms.append(risks.c.category.in_(self.categories if self.categories is not None else (self.category,)))
        for word in self.search.split():
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            terms.append(or_(*(column.ilike(pattern, escape="\\") for column in SEARCHED)))  # OA = oa, on any database
        return terms


def _current_risks(*columns):
    return select(*columns).select_from(risks.join(submissions, submissions.c.id == risks.c.submission_id))


def risk_page(conn: Connection, wanted: RiskFilter, *, offset: int, limit: int,
              unit_order: Sequence[str] = ()) -> tuple[list, int]:
    """One page of the current risk points that match (by year, newest first, then roster order and form row),
    and how many match in all."""
    terms = (wanted if wanted.categories is not None else wanted.spelled(conn)).where()
    total = conn.execute(_current_risks(func.count()).where(*terms)).scalar_one()
    q = (_current_risks(risks.c.id, risks.c.unit, risks.c.year, risks.c.seq, risks.c.post, risks.c.risk,
                        risks.c.category, risks.c.level, risks.c.measures, risks.c.owner, submissions.c.stored_as)
         .where(*terms)
         .order_by(risks.c.year.desc(), *_by_position(unit_order), risks.c.unit, risks.c.submission_id, risks.c.id)
         .offset(offset).limit(limit))
    return list(conn.execute(q).mappings()), total


def risk_categories(conn: Connection, year: int | None = None) -> list[str]:
    """The 风险类别 the current risk points use (of a year), for the page's filter."""
    q = _current_risks(risks.c.category).where(*RiskFilter(year=year).where(), risks.c.category.is_not(None),
                                               risks.c.category != "").distinct().order_by(risks.c.category)
    return [row[0] for row in conn.execute(q)]


def archive_mark(conn: Connection) -> tuple:
    """A cheap mark of the forms on record: it changes whenever a form is recorded (ids only grow, and a form that
    supersedes another is a new row), so what is computed from the risk points can be kept until it does."""
    return tuple(conn.execute(select(func.max(submissions.c.id), func.count(submissions.c.superseded_by))).one())


def level_counts_by_year(conn: Connection) -> dict[int, dict[int | None, int]]:
    """Current risk points counted by year and level: {year: {level: n}} (the chart of the years)."""
    q = (_current_risks(risks.c.year, risks.c.level, func.count()).where(*RiskFilter().where())
         .group_by(risks.c.year, risks.c.level))
    counts: dict[int, dict[int | None, int]] = {}
    for year, level, n in conn.execute(q):
        counts.setdefault(year, {})[level] = n
    return counts


def recent_submissions(conn: Connection, limit: int = 100):
    """The latest decisions on files (accepted or returned), newest first: the 收文动态."""
    q = (select(submissions.c.id, submissions.c.kind, submissions.c.status, submissions.c.unit, submissions.c.year,
                submissions.c.received_at, submissions.c.arrived_on, submissions.c.original_name,
                submissions.c.stored_as, submissions.c.rows, submissions.c.problems, submissions.c.supersedes)
         .order_by(submissions.c.received_at.desc(), submissions.c.id.desc()).limit(limit))
    return conn.execute(q).mappings().all()


def document_files(conn: Connection, numbers: Sequence[str]) -> dict[str, str]:
    """文号 → the workspace-relative file of each issued document that has one (a 批评教育 has none)."""
    found: dict[str, str] = {}
    for chunk in sql.in_chunks(numbers):
        q = select(documents.c.number, documents.c.file).where(documents.c.number.in_(chunk), documents.c.file != "")
        found.update({number: file for number, file in conn.execute(q)})
    return found

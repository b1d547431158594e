"""The 质量 sheet of the 汇总表: the quality review's hints on each unit's form (rules: dynamics/quality.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lzdocs.documents.xlsx_writer import Column, StreamingBook
from lzdocs.dynamics.quality import QualityFlag, Rules, YearReview, year_flags
from lzdocs.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lzdocs.dynamics.changes import UnitChanges
    from lzdocs.workspace import Roster, Workspace

QUALITY_COLUMNS = [Column("单位", 14), Column("行", 6, "center"), Column("序号", 6, "center"),
                   Column("问题", 12, "center"), Column("说明", 60)]
CODE_NAMES = {"generic_measures": "措施笼统", "copied": "可能照抄", "same_as_previous": "与上年相同",
              "possibly_missing": "可能遗漏", "no_owner": "责任人不明"}
CODE_STYLES = {"possibly_missing": "bad", "copied": "warn", "same_as_previous": "warn"}


def year_review(conn: Connection, year: int, ws: Workspace, roster: Roster) -> YearReview | None:
    """The quality review of ``year``, to be given the year's current risk rows as the 汇总 reads them; None when the
    rules cannot be read (:func:`add_quality_sheet` then says why)."""
    try:
        rules = Rules.load(ws, roster=roster)
    except ConfigError:
        return None
    return YearReview(conn, year, rules, current=roster.current)


def add_quality_sheet(book: StreamingBook, conn: Connection, year: int, order: Sequence[str], ws: Workspace,
                      school: str = "", *, roster: Roster | None = None, changes: list[UnitChanges] | None = None,
                      review: YearReview | None = None) -> StreamingBook:
    """Add the 质量 sheet to ``book`` (closed on failure, like the book's own builder) and return the book. No
    sheet when no form of the year has a hint. ``roster``: the workspace's, when the caller has read it; ``changes``:
    see :func:`year_flags`; ``review``: the :func:`year_review` given the year's rows, if any."""
    try:
        roster = ws.roster() if roster is None else roster
        if review is not None:
            flags = review.flags(conn, unit_order=order, changes=changes)
        else:
            try:
                rules = Rules.load(ws, roster=roster)
            except ConfigError as exc:  # a broken rules file costs the sheet, not the 汇总表
                book.warn(f"没有“质量”工作表：{exc}")
                return book
            flags = year_flags(conn, year, rules, unit_order=order, current=roster.current, changes=changes)
        if not flags:
            return book
        sheet = book.add_sheet("质量", QUALITY_COLUMNS, title=f"{school}{year}年风险点表格质量提示", subtitle="")
        styles = {code: (None, None, None, CODE_STYLES.get(code, "center")) for code in {f.code for f in flags}}
        for flag in flags:
            sheet.append(quality_row(flag), styles[flag.code])
        sheet.set_subtitle(_subtitle(flags))
    except BaseException:
        book.close()
        raise
    return book


def quality_row(flag: QualityFlag) -> list:
    """One flag as the sheet shows it: the row empty for a flag on the whole form."""
    return [flag.unit, flag.row if flag.row is not None else "整表", flag.seq or "",
            CODE_NAMES.get(flag.code, flag.code), flag.message]


def _subtitle(flags: list[QualityFlag]) -> str:
    counts = Counter(f.code for f in flags)
    parts = "、".join(f"{name} {counts[code]} 条" for code, name in CODE_NAMES.items() if counts[code])
    return f"{len({f.unit for f in flags})} 个单位共 {len(flags)} 条提示：{parts}；只作提示，不影响收取"

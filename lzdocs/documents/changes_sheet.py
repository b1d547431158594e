"""The 变化 sheet of the 汇总表: each unit's risk points against its previous form (rules: dynamics/changes.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from lzdocs.documents.xlsx_writer import LEVEL_STYLES, Column, StreamingBook
from lzdocs.dynamics.changes import Point, UnitChanges, threshold_of, year_changes
from lzdocs.forms.values import LEVEL_NAMES

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lzdocs.settings import Settings

CHANGE_COLUMNS = [Column("单位", 14), Column("比较对象", 12, "center"), Column("变化", 14, "center"),
                  Column("岗位", 12), Column("风险点", 28), Column("原来", 24), Column("现在", 24)]
CHANGE_STYLES = {"新增": "warn", "删除": "bad", "等级变化": "warn", "措施变化": "center", "same": "good"}


def add_changes_sheet(book: StreamingBook, conn: Connection, year: int, order: Sequence[str], settings: Settings,
                      school: str = "", current: Callable[[str], str] | None = None, *,
                      found: list[UnitChanges] | None = None) -> StreamingBook:
    """Add the 变化 sheet to ``book`` (closed on failure, like the book's own builder) and return the book. No
    sheet when no unit has an earlier form to compare with (it would print a page of headers). ``found``: the year's
    ``year_changes`` in ``order`` with ``current`` and the workspace's threshold, when the caller has them."""
    try:
        threshold = threshold_of(settings)
        if found is None:
            found = year_changes(conn, year, threshold, unit_order=order, current=current)
        if not found:
            return book
        sheet = book.add_sheet("变化", CHANGE_COLUMNS, title=f"{school}{year}年廉政风险点变化情况", subtitle="")
        for changes in found:
            for values, styles in change_rows(changes):
                sheet.append(values, styles)
        sheet.set_subtitle(_subtitle(found, threshold))
    except BaseException:
        book.close()
        raise
    return book


def change_rows(c: UnitChanges) -> list[tuple[list, list]]:
    """The sheet's rows for one unit: one per change, or one row saying the form is the same as before."""
    if c.same_as_previous:
        return [([c.unit, c.compared_with, c.same_label, "", "", "", ""], [None, None, CHANGE_STYLES["same"]])]
    rows = [_row(c, "新增", p, None, p.level) for p in c.new]
    rows += [_row(c, "删除", p, p.level, None) for p in c.removed]
    rows += [_row(c, "等级变化", ch.point, ch.before, ch.after) for ch in c.level_changed]
    rows += [_row(c, "措施变化", ch.point, ch.before, ch.after, levels=False) for ch in c.measures_changed]
    return rows


def _row(c: UnitChanges, what: str, p: Point, before, after, *, levels: bool = True) -> tuple[list, list]:
    if levels:
        styles = [LEVEL_STYLES.get(before), LEVEL_STYLES.get(after)]
        before, after = LEVEL_NAMES.get(before, before), LEVEL_NAMES.get(after, after)
    else:
        styles = [None, None]
    return ([c.unit, c.compared_with, what, p.post, p.risk, before, after],
            [None, None, CHANGE_STYLES[what], None, None, *styles])


def _subtitle(found: list[UnitChanges], threshold: float) -> str:
    counts = [sum(len(getattr(c, key)) for c in found)
              for key in ("new", "removed", "level_changed", "measures_changed")]
    same = sum(c.same_as_previous for c in found)
    return (f"{len(found)} 个单位与此前的表比较：新增 {counts[0]} 个、删除 {counts[1]} 个、等级变化 {counts[2]} 个、"
            f"防控措施变化 {counts[3]} 个风险点；{same} 个单位与此前完全相同；"
            f"风险点内容相似度达到 {threshold:g} 的视为同一风险点")

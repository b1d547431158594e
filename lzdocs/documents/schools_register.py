"""各校廉政风险点汇总表: the schools of one database × their units × levels, for the 高校工委."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from lzdocs.documents.registers import REGISTER_DIR
from lzdocs.documents.xlsx_writer import Column, StreamingBook
from lzdocs.integrity.manifest import record_written
from lzdocs.store.schools import SchoolCounts
from lzdocs.textutil import chinese_date

if TYPE_CHECKING:
    from lzdocs.store import Store
    from lzdocs.workspace import Workspace

LEVELS = (1, 2, 3)
UNIT_COLUMNS = [Column("学校", 24), Column("单位", 20), Column("一级", 10, "number"), Column("二级", 10, "number"),
                Column("三级", 10, "number"), Column("合计", 10, "total")]
SCHOOL_COLUMNS = [Column("学校", 24), Column("报送单位数", 12, "number"), Column("一级", 10, "number"),
                  Column("二级", 10, "number"), Column("三级", 10, "number"), Column("合计", 10, "total")]


def schools_register_path(ws: Workspace, year: int) -> Path:
    return ws.year_dir(year) / REGISTER_DIR / f"{year}年各校廉政风险点汇总表.xlsx"


def write_schools_register(ws: Workspace, store: Store, schools: list[SchoolCounts], year: int, today: dt.date) -> Path:
    """Two sheets: 各校 (a school a row) and 各单位 (a school's unit a row, the school's units in name order)."""
    path = schools_register_path(ws, year)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = StreamingBook("各校汇总表", today)
    try:
        totals = [c.totals for c in schools]
        grand = sum(totals, Counter())
        line = (f"共 {len(schools)} 所学校、{sum(len(c.units) for c in schools)} 个单位、"
                f"{sum(grand.values())} 个风险点；每个单位以最新报送的表为准；"
                f"统计日期：{chinese_date(today)}")
        by_school = book.add_sheet("各校", SCHOOL_COLUMNS, title=f"{year}年各校廉政风险点汇总表", subtitle=line,
                                   autofilter=False)
        by_unit = book.add_sheet("各单位", UNIT_COLUMNS, title=f"{year}年各校各单位廉政风险点汇总表", subtitle=line)
        for counts, total in zip(schools, totals, strict=True):
            by_school.append([counts.school, len(counts.units), *(total[k] for k in LEVELS), sum(total.values())])
            for unit in sorted(counts.units):
                levels = counts.units[unit]
                by_unit.append([counts.school, unit, *(levels[k] for k in LEVELS), sum(levels.values())])
        book.save(path)
    finally:
        book.close()
    record_written(store, ws.relative, [(path, "register")])
    return path

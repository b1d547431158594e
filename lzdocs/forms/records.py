"""What readers produce and checks consume: a filled form as plain records, no files involved."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from lzdocs.errors import Problem, warning
from lzdocs.forms.schema import FormKind


@dataclass
class RawRow:
    """One data row as read: ``number`` is the row as the user sees it (Excel row, or Word table row)."""

    number: int
    values: dict[str, str]


@dataclass
class RawForm:
    """A filled form as read from a file, before any check: text as written, nothing judged yet."""

    kind: FormKind
    unit: str | None
    date_value: dt.date | None
    date_text: str | None
    rows: list[RawRow]
    columns: dict[str, str] = field(default_factory=dict)  # field key → header text as written
    where: str = ""  # e.g. 工作表“风险表” or 第2个表格, for messages
    problems: list[Problem] = field(default_factory=list)  # found while reading (e.g. a converted file)
    titles: list[str] = field(default_factory=list)  # short lines above the table, nearest first (a unit in a title)
    unit_from_title: bool = False  # ``unit`` was read from a title line, not from a unit field
    seen: list[str] = field(default_factory=list)  # the other sheets (or form tables) of the file, not read

    def seen_note(self) -> Problem | None:
        """For a rejected file of several sheets: which sheet was read and which others were seen."""
        if not self.seen:
            return None
        return warning(f"以上内容读自{self.where}；文件中另有{'、'.join(self.seen)}，未读取。"
                       "如果要报送的表在其他工作表（表格）中，请删去不用的工作表（表格）后重新报送")


class CheckedRows(NamedTuple):
    """A form's data rows typed and checked (forms/checks.py ``check_rows``), with the problems found in them."""

    rows: list[dict]
    problems: list[Problem]


@dataclass
class CheckedForm:
    """A form that passed the checks (possibly with warnings): roster unit, date, year, typed rows."""

    kind: FormKind
    unit: str
    filled_date: dt.date | None
    year: int
    rows: list[dict]
    problems: list[Problem]
    reviews: list[dict] = field(default_factory=list)  # a 落实情况 form: the reviews it records (dynamics/reviews.py)
    planned: list[Problem] = field(default_factory=list)  # …and what the problems say of them (已记录…)
    written: str = ""  # the unit's name as the form writes it (``unit`` is the roster's name for it)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

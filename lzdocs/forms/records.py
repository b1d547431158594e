"""What readers produce and checks consume: a filled form as plain records, no files involved."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from lzdocs.errors import Problem
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


@dataclass
class CheckedForm:
    """A form that passed the checks (possibly with warnings): roster unit, date, year, typed rows."""

    kind: FormKind
    unit: str
    filled_date: dt.date | None
    year: int
    rows: list[dict]
    problems: list[Problem]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

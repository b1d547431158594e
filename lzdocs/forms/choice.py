"""Which of the forms in one file is the one submitted: by content, never by position alone (docs/product.md §3)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lzdocs.errors import Problem, warning
from lzdocs.forms.records import RawForm
from lzdocs.textutil import parse_year, squeeze

# A sheet so named, or a table so titled, shows how to fill the form in; it is not the form itself.
EXAMPLE_SHEETS = ("填表说明", "说明", "示例", "样表", "样例", "范例", "模板", "参考", "例表")
EXAMPLE_TITLES = ("示例", "样表", "样例", "范例", "模板", "参考", "例表")
TITLE_MAX_CHARS = 40  # a longer line above a table is text, not its title or a heading such as “填写示例”
_YEAR = re.compile(r"(20\d\d)\s*年")
_TITLE_YEAR = re.compile(r"(20\d\d)年(?![0-9一二三四五六七八九十〇]{1,3}月)")  # 2026年度, not the 2027年1月 of a date


@dataclass
class Candidate:
    """A table that holds a form, read in full: its header (layout's), the form, and what says which to take."""

    header: Any
    form: RawForm
    example: bool
    year: int | None  # of its 填表日期, else written in the sheet's name or the title
    more: list = field(default_factory=list)  # the tables continuing it, each with the index of its first row read

    @property
    def complete(self) -> bool:
        return all(f.key in self.header.columns for f in self.header.kind.required)

    @property
    def rank(self) -> tuple:
        """Higher is likelier the form: visible, every required column, not an example, filled, with a unit; the
        header's own match and its place only after those."""
        h = self.header
        required = sum(1 for f in h.kind.required if f.key in h.columns)
        return (not h.table.hidden, required, not self.example, bool(self.form.rows), bool(self.form.unit),
                len(h.columns), -(h.last - h.first), -h.table_index)

    def is_peer_of(self, other: Candidate) -> bool:
        """Another filled form of the same kind that could have been the one submitted."""
        return (self.header.kind is other.header.kind and self.complete and not self.header.table.hidden
                and not self.example and bool(self.form.rows))


def is_example(name: str, titles: Sequence[str]) -> bool:
    """A sheet named 填表说明/示例/样表…, or a table under a heading or title such as “填写示例”, “（样表）”."""
    key = squeeze(name)
    if key and any(word in key for word in EXAMPLE_SHEETS):
        return True
    return any(len(t) <= TITLE_MAX_CHARS and any(word in squeeze(t) for word in EXAMPLE_TITLES) for t in titles)


def year_of(form: RawForm, name: str, titles: Sequence[str]) -> int | None:
    """The year a form was filled for: its 填表日期, else a year in the sheet's name or the title (“2025年度…”)."""
    if form.date_value is not None:
        return form.date_value.year
    year = parse_year(form.date_text) if form.date_text else None
    if year is not None:
        return year
    m = next((m for text in (name, *titles) if (m := _YEAR.search(squeeze(text)))), None)
    return int(m.group(1)) if m else None


def title_year(form: RawForm) -> int | None:
    """The year the form's title names (“2026年度岗位风险分析和防控措施表”), nearest title first; a date written above
    the table (2027年1月5日) is not a title's year."""
    return next((int(m.group(1)) for text in form.titles if (m := _TITLE_YEAR.search(squeeze(text)))), None)


def choose(candidates: Sequence[Candidate]) -> tuple[Candidate, list[Candidate]]:
    """The form to read, and the filled forms of older years it was preferred to.

    Among filled forms of different years the newest is the one the office is collecting: last year's sheet
    kept in front of this year's is never read instead of it."""
    ranked = sorted(candidates, key=lambda c: c.rank, reverse=True)
    best = ranked[0]
    if not best.is_peer_of(best):
        return best, []
    dated = [c for c in ranked if c.is_peer_of(best) and c.year is not None]
    newest = max((c.year for c in dated), default=None)
    if newest is not None and best.year is not None and best.year < newest:
        best = next(c for c in dated if c.year == newest)
    if best.year is None:
        return best, []
    return best, [c for c in dated if c.year < best.year]


def older_year_note(best: Candidate, older: Candidate) -> Problem:
    """The warning that names a filled form of an older year left unread."""
    kind = best.header.kind
    return warning(f"{older.header.table.where}是 {older.year} 年的《{kind.title}》，未读取；本次读取的是"
                   f"{best.header.table.where}（{best.year} 年）：一个文件中有几年的表时，收取最新一年的表。"
                   f"如果要报送的是 {older.year} 年的表，请删去其他年份的工作表后重新报送")

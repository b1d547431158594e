"""Finding a form among the tables of a file: the header row(s), the columns, the unit and the date."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Iterable, Sequence

from lzdocs.errors import RejectedFile, error
from lzdocs.forms.checks import is_note_or_blank
from lzdocs.forms.records import RawForm, RawRow
from lzdocs.forms.schema import Field, FormKind
from lzdocs.forms.values import parse_date
from lzdocs.textutil import squeeze

HEADER_SCAN_ROWS = 30  # the header is looked for in the first rows of a table or sheet
HEADER_MAX_CHARS = 30  # a longer cell is data or a title, never a column header
CONTEXT_LINES = 40  # lines of text around a table searched for the unit and the date


@dataclass
class Table:
    """A table as read: cell texts by grid column (merged cells repeated), with the text around it.

    ``numbers`` holds, per row, the row number the user sees; ``own_blank`` the indexes of rows whose
    only text comes from a merged cell above (such a row is blank to the clerk); ``before``/``after``
    are lines of text (each a list of cell texts) above and below the table, in reading order.
    """

    rows: list[list[str]]
    numbers: list[int]
    where: str
    own_blank: set[int] = field(default_factory=set)
    before: Sequence[Sequence[str]] = ()
    after: Sequence[Sequence[str]] = ()


@dataclass
class _Header:
    """Where a kind's header was found in a table, and which column holds which field."""

    kind: FormKind
    table: Table
    table_index: int
    first: int  # index of the first header row
    last: int  # index of the last header row
    columns: dict[str, int]  # field key → column index
    texts: dict[str, str]  # field key → header text as written
    has_data: bool = False

    @property
    def score(self) -> tuple:
        required = sum(1 for f in self.kind.required if f.key in self.columns)
        return (required, len(self.columns), self.has_data, -(self.last - self.first), -self.table_index)


def find_form(tables: Iterable[Table], kinds: Sequence[FormKind]) -> RawForm:
    """The form in ``tables``: the table and kind whose header matches best, its rows, unit and date."""
    best: _Header | None = None
    count = 0
    for index, table in enumerate(tables):
        count += 1
        for kind in kinds:
            header = _find_header(kind, table, index)
            if header and (best is None or header.score > best.score):
                best = header
    if best is None:
        raise no_form_found(kinds, count)
    form = _read_form(best)
    missing = [f for f in best.kind.required if f.key not in best.columns]
    if missing:
        rejected = RejectedFile([error(
            f"{best.table.where}的表头缺少“{f.label}”列（可写作：{'、'.join(dict.fromkeys((f.label, *f.synonyms)))}）；"
            f"请按下发的空白《{best.kind.title}》补上该列后重新报送", column=f.label) for f in missing])
        rejected.unit = form.unit
        rejected.year = form.date_value.year if form.date_value else None
        raise rejected
    return form


def no_form_found(kinds: Sequence[FormKind], tables: int) -> RejectedFile:
    titles = "或".join(f"《{k.title}》" for k in kinds)
    columns = "；".join("、".join(f"“{f.label}”" for f in k.required) for k in kinds)
    seen = f"文件中有 {tables} 个表格/工作表，但表头都不含这些列" if tables else "文件中没有任何表格"
    return RejectedFile(error(
        f"未找到{titles}表格：需要表头含有{columns}等列，{seen}；"
        "请使用下发的空白表填写（保留表头行，不要把表格粘贴成图片或文本框），另存为 .docx 或 .xlsx 后重新报送"))


# --- the header -------------------------------------------------------------------------------


def _find_header(kind: FormKind, table: Table, index: int) -> _Header | None:
    """The best header of ``kind`` in the first rows: one row, or two rows when the lower splits merged cells."""
    rows = table.rows
    need = min(2, len(kind.required))
    best: _Header | None = None
    upper = _name_cells(kind, rows[0]) if rows else []
    for r in range(min(len(rows), HEADER_SCAN_ROWS)):
        lower = _name_cells(kind, rows[r + 1]) if r + 1 < len(rows) else []
        candidates = [(r, r, upper)]
        if lower and _is_lower_header(rows[r], rows[r + 1], lower):  # and the lower row alone, to compare
            merged = [low or up for up, low in zip_longest(upper, lower)]
            candidates += [(r, r + 1, merged), (r + 1, r + 1, lower)]
        for first, last, cells in candidates:
            columns, texts = _columns(kind, cells, rows[first], rows[last])
            header = _Header(kind, table, index, first, last, columns, texts)
            enough = sum(1 for f in kind.required if f.key in columns) >= need
            if enough and (best is None or header.score > best.score):
                best = header
        if best and all(f.key in best.columns for f in kind.required):
            break  # a complete header: the rows below are data
        upper = lower
    if best:
        best.has_data = any(not _is_blank(table, i) for i in range(best.last + 1, len(rows)))
    return best


def _name_cells(kind: FormKind, cells: list[str]) -> list[tuple[Field, int] | None]:
    """The field each cell of a row names as a header, with its match score (None for most data)."""
    name = _namer(kind)
    return [name(text) if text else None for text in cells]


_NAMERS: dict[int, tuple[FormKind, object]] = {}
_MEMO_SIZE = 4096


def _namer(kind: FormKind):
    """A memoised ``text → (field, score) | None`` for one kind: a cheap regex test, then classify_header."""
    cached = _NAMERS.get(id(kind))
    if cached and cached[0] is kind:
        return cached[1]
    words = {squeeze(s) for f in kind.fields for s in (f.label, *f.synonyms)}
    prefilter = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True) if w))
    memo: dict[str, tuple[Field, int] | None] = {}

    def name(text: str) -> tuple[Field, int] | None:
        if text in memo:
            return memo[text]
        found = None
        if len(text) <= HEADER_MAX_CHARS * 2:
            key = squeeze(text)
            if len(key) <= HEADER_MAX_CHARS and prefilter.search(key):
                f = kind.classify_header(key)
                found = (f, f.match_score(key)) if f is not None else None
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        memo[text] = found
        return found

    _NAMERS[id(kind)] = (kind, name)
    return name


def _is_lower_header(upper: list[str], lower: list[str], named: list) -> bool:
    """A second header row: every cell names a field, repeats the merged cell above, or is empty."""
    if sum(1 for n in named if n) < 1:
        return False
    for i, text in enumerate(lower):
        if text and not named[i] and (i >= len(upper) or upper[i] != text):
            return False
    return True


def _columns(kind: FormKind, named: list, upper: list[str], lower: list[str]):
    """Field key → column, and field key → header text; the best-scoring (then leftmost) cell wins."""
    columns: dict[str, int] = {}
    scores: dict[str, int] = {}
    for i, n in enumerate(named):
        if not n:
            continue
        f, score = n
        if f.key not in columns or score > scores[f.key]:
            columns[f.key], scores[f.key] = i, score
    texts = {}
    name = _namer(kind)
    for key, i in columns.items():
        low = lower[i] if i < len(lower) else ""
        up = upper[i] if i < len(upper) else ""
        texts[key] = low if low and name(low) else up
    return columns, texts


# --- the rows ---------------------------------------------------------------------------------


def _is_blank(table: Table, i: int) -> bool:
    return i in table.own_blank or not any(table.rows[i])


def _read_form(header: _Header) -> RawForm:
    table, kind = header.table, header.kind
    rows: list[RawRow] = []
    footer: list[list[str]] = []
    labels = _labels(kind)
    for i in range(header.last + 1, len(table.rows)):
        if _is_blank(table, i):
            continue
        cells = table.rows[i]
        if is_note_or_blank(dict(enumerate(cells))):  # 填表说明 and everything under it
            footer.extend(table.rows[j] for j in range(i, len(table.rows)))
            break
        if _is_footer_line(cells, labels):
            footer.append(cells)
            continue
        values = {key: (cells[c] if c < len(cells) else "") for key, c in header.columns.items()}
        if _repeats_header(kind, values) or _is_column_numbers(values, header.columns):
            continue
        rows.append(RawRow(table.numbers[i], values))
    above = [table.rows[i] for i in range(header.first - 1, -1, -1)]
    before = list(reversed(table.before[-CONTEXT_LINES:]))
    after = [*footer, *table.after[:CONTEXT_LINES]]
    unit, date_text = _header_values(kind, [*above, *before], after)
    return RawForm(kind=kind, unit=unit, date_value=parse_date(date_text) if date_text else None,
                   date_text=date_text, rows=rows, columns=header.texts, where=table.where)


def _repeats_header(kind: FormKind, values: dict[str, str]) -> bool:
    """The header row again (pasted twice, or repeated by a merge of several forms)."""
    name = _namer(kind)
    named = 0
    for key, text in values.items():
        if text:
            found = name(text)
            if not found or found[0].key != key:
                return False
            named += 1
    return named >= 3


def _is_column_numbers(values: dict[str, str], columns: dict[str, int]) -> bool:
    """A row of column numbers under the header: 1 2 3 4 5 6."""
    texts = [values[key] for key in sorted(columns, key=columns.get) if values[key]]
    if len(texts) < 3 or not all(t.isdigit() and len(t) < 3 for t in texts):
        return False
    return [int(t) for t in texts] == list(range(int(texts[0]), int(texts[0]) + len(texts)))


# --- unit and date ----------------------------------------------------------------------------

_STOP_LABELS = ("单位负责人", "部门负责人", "主要负责人", "分管领导", "分管校领导", "填表人", "填报人", "审核人",
                "联系人", "联系电话", "电话", "负责人", "制表人", "审核")
_SEAL = r"(?:\s*[（(]\s*(?:公章|盖章|签章|盖公章|签字|签名)\s*[)）])?"


@dataclass(frozen=True)
class _Labels:
    kind: FormKind
    pattern: re.Pattern


_LABELS: dict[int, _Labels] = {}


def _labels(kind: FormKind) -> _Labels:
    cached = _LABELS.get(id(kind))
    if cached and cached.kind is kind:
        return cached

    def one(word: str) -> str:
        chars = []
        for ch in word:
            chars.append("[（(]" if ch in "（(" else "[）)]" if ch in "）)" else re.escape(ch))
        strong = len(squeeze(word)) >= 4
        guard = "" if strong else r"(?<!\w)"
        end = r"(?:\s*[:：]|\s*$|\s+)" if strong else r"(?:\s*[:：]|\s*$)"
        return guard + r"\s*".join(chars) + _SEAL + end

    def group(name: str, words) -> str:
        words = sorted({w for w in words if w.strip()}, key=lambda w: len(squeeze(w)), reverse=True)
        return f"(?P<{name}>" + "|".join(one(w) for w in words) + ")"

    pattern = re.compile("|".join((group("unit", (kind.unit.label, *kind.unit.synonyms)),
                                   group("date", (kind.date.label, *kind.date.synonyms)),
                                   group("stop", _STOP_LABELS))))
    labels = _Labels(kind, pattern)
    _LABELS[id(kind)] = labels
    return labels


def _is_footer_line(cells: list[str], labels: _Labels) -> bool:
    """A line under the table such as 填表人：… 审核人：… or 填表日期：… — not a data row."""
    texts = list(dict.fromkeys(t for t in cells if t))
    return 0 < len(texts) <= 3 and any(labels.pattern.search(t) for t in texts)


def _header_values(kind: FormKind, before: list, after: list) -> tuple[str | None, str | None]:
    """The unit and the date text written around the table; lines nearest the table first."""
    labels = _labels(kind)
    unit = date = None
    for line in (*before, *after):
        found = _labelled(line, labels)
        unit = unit or found.get("unit")
        date = date or found.get("date")
        if unit and date:
            break
    if not date:
        date = next((t for line in (*before[:8], *after[:8]) for t in line if _is_bare_date(t)), None)
    if not unit:
        unit = next((u for line in before for t in line if (u := _unit_in_title(kind, t))), None)
    return unit, date


def _labelled(line: Sequence[str], labels: _Labels) -> dict[str, str]:
    """Label → value in one line: "单位（公章）：X  填表日期：Y" in a cell, or a label cell and the value cell after it."""
    found: dict[str, str] = {}
    cells = [t for i, t in enumerate(line) if t and (i == 0 or t != line[i - 1])]
    for c, text in enumerate(cells):
        matches = list(labels.pattern.finditer(text))
        for m, match in enumerate(matches):
            role = match.lastgroup
            end = matches[m + 1].start() if m + 1 < len(matches) else len(text)
            value = _clean(text[match.end():end])
            if not value and m + 1 == len(matches) and c + 1 < len(cells):
                following = cells[c + 1]
                value = "" if labels.pattern.match(following) else _clean(following)
            if role != "stop" and value and role not in found:
                found[role] = value
    return found


def _clean(value: str) -> str:
    return value.strip().lstrip(":：").strip(" \t\r\n\u3000_＿")


_BARE_DATE = re.compile(r"[0-9〇○零一二三四五六七八九O]{4}[-/.年][0-9一二三四五六七八九十]{1,3}[-/.月]"
                        r"[0-9一二三四五六七八九十]{1,3}日?")


def _is_bare_date(text: str) -> bool:
    return len(text) <= 24 and bool(_BARE_DATE.fullmatch(squeeze(text)))


def _unit_in_title(kind: FormKind, text: str) -> str | None:
    """计划财务处岗位风险分析和防控措施表 → 计划财务处 (a title that names the unit instead of a label)."""
    key = squeeze(text)
    title = squeeze(kind.title)
    at = key.find(title)
    if at <= 0:
        return None
    prefix = re.sub(r"^附件\d*[:：]?|[《“\"]+$|\d{4}年度?$", "", key[:at]).strip(":：")
    return prefix if 2 <= len(prefix) <= 30 and not re.search(r"[:：，,。]", prefix) else None

"""Finding a form among the tables of a file: the header row(s), the columns, the data rows, continued tables."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest

from lzdocs.errors import RejectedFile, error, warning
from lzdocs.forms import choice
from lzdocs.forms.checks import is_note_or_blank
from lzdocs.forms.labels import Labels, header_values, is_footer_line, labelled, labels_for, title_lines
from lzdocs.forms.records import RawForm, RawRow
from lzdocs.forms.schema import Field, FormKind
from lzdocs.forms.ticks import tick_columns, ticks_text
from lzdocs.textutil import parse_date, squeeze

HEADER_SCAN_ROWS = 30  # the header is looked for in the first rows of a table or sheet
HEADER_MAX_CHARS = 30  # a longer cell is data or a title, never a column header
CONTEXT_LINES = 40  # lines of text around a table searched for the unit and the date
# Zero-width and other invisible characters pasted from web pages and chat apps: the clerk cannot see them.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"))


def visible(text: str) -> str:
    """``text`` without invisible characters (checked first: they are all unprintable, most text is printable)."""
    return text if text.isprintable() else text.translate(INVISIBLE)


@dataclass
class Table:
    """A table as read: cell texts by grid column (merged cells repeated), with the text around it.

    ``numbers`` holds, per row, the row number the user sees; ``own_blank`` the indexes of rows whose
    only text comes from a merged cell above (such a row is blank to the clerk); ``inherited`` the
    columns, per row index, whose text comes from a merged cell above; ``before``/``after`` are lines
    of text (each a list of cell texts) above and below the table, in reading order. ``gap`` holds the
    lines between the previous table and this one when this table directly follows it (a form split
    over pages continues in such a table), else None; ``hidden`` marks a hidden sheet, ``name`` names a sheet.
    """

    rows: list[list[str]]
    numbers: list[int]
    where: str
    own_blank: set[int] = field(default_factory=set)
    before: Sequence[Sequence[str]] = ()
    after: Sequence[Sequence[str]] = ()
    inherited: dict[int, set[int]] = field(default_factory=dict)
    gap: Sequence[Sequence[str]] | None = None
    hidden: bool = False
    name: str = ""  # a sheet's name (a Word table has none)

    @property
    def width(self) -> int:
        return max(map(len, self.rows), default=0)


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
    grid: dict[int, int] = field(default_factory=dict)  # a level read from tick columns: column → level

    @property
    def score(self) -> tuple:
        required = sum(1 for f in self.kind.required if f.key in self.columns)
        return (not self.table.hidden, required, len(self.columns), self.has_data, -(self.last - self.first),
                -self.table_index)


def find_form(tables: Iterable[Table], kinds: Sequence[FormKind]) -> RawForm:
    """The form in ``tables``: the table and kind whose header matches best, its rows, unit and date; among several
    filled forms the one :func:`choice.choose` takes (never an example, the newest year)."""
    tables = list(tables)
    found: list[_Header | None] = []  # the best header of each table
    for index, table in enumerate(tables):
        here = None
        for kind in kinds:
            header = _find_header(kind, table, index)
            if header and (here is None or header.score > here.score):
                here = header
        found.append(here)
    if not any(found):
        raise no_form_found(kinds, len(tables))
    candidates = _candidates(tables, found)
    chosen, older = choice.choose(candidates)
    best, form = chosen.header, chosen.form
    read = {id(best.table), *(id(table) for table, _ in chosen.more)}
    form.seen = [t.where for t, h in zip(tables, found) if id(t) not in read and (t.name or h)]
    missing = [f for f in best.kind.required if f.key not in best.columns]
    if missing:
        rejected = RejectedFile([error(
            f"{best.table.where}的表头缺少“{f.label}”列（可写作：{'、'.join(dict.fromkeys((f.label, *f.synonyms)))}）；"
            f"请按下发的空白《{best.kind.title}》补上该列后重新报送", column=f.label) for f in missing])
        rejected.problems += filter(None, [form.seen_note()])
        rejected.unit, rejected.kind = form.unit, best.kind.key
        rejected.year = form.date_value.year if form.date_value else None
        raise rejected
    form.problems += [choice.older_year_note(chosen, c) for c in older]
    skip = read | {id(c.header.table) for c in candidates if c.example or c in older}
    for header in found:
        if header and id(header.table) not in skip and _is_filled_form(header, best.kind):
            form.problems.append(warning(
                f"{header.table.where}也是一张《{best.kind.title}》，未读取（每个文件只读取一张表，本次读取的是"
                f"{best.table.where}）；如需一并报送，请把各表的行合并到一张表中后重新报送"))
    return form


def _candidates(tables: list[Table], found: list) -> list[choice.Candidate]:
    """Each table's form read in full with the tables that continue it, to be weighed against the others; a table
    that continues an earlier one is part of that one's form, not read again on its own."""
    out, covered = [], set()
    for header in found:
        if header is None or id(header.table) in covered:
            continue
        more = _continuations(header, tables, found)
        covered.update(id(table) for table, _ in more)
        form = _read_form(header, more)
        name = header.table.name
        out.append(choice.Candidate(header, form, choice.is_example(name, form.titles),
                                    choice.year_of(form, name, form.titles), more))
    return out


def _is_filled_form(header: _Header, kind: FormKind) -> bool:
    return (header.kind is kind and not header.table.hidden and header.has_data
            and all(f.key in header.columns for f in kind.required))


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
    best_key: tuple = ()  # what sets the candidates of one table apart in ``_Header.score`` (has_data comes after)
    upper = _name_cells(kind, rows[0]) if rows else []
    for r in range(min(len(rows), HEADER_SCAN_ROWS)):
        lower = _name_cells(kind, rows[r + 1]) if r + 1 < len(rows) else []
        candidates = [(r, r, upper)]
        if lower and _is_lower_header(rows[r], rows[r + 1], lower):  # and the lower row alone, to compare
            merged = [low or up for up, low in zip_longest(upper, lower)]
            candidates += [(r, r + 1, merged), (r + 1, r + 1, lower)]
        for first, last, cells in candidates:
            named = {n[0].key for n in cells if n}  # the keys of the columns ``_columns`` would find
            required = sum(1 for f in kind.required if f.key in named)
            if required < need:
                continue  # too few required columns: not a header (known before its columns are worked out)
            key = (required, len(named), first - last)
            if best is not None and key <= best_key:
                continue  # no better than the best so far: its columns are not worked out
            columns, texts = _columns(kind, cells, rows[first], rows[last])
            best, best_key = _Header(kind, table, index, first, last, columns, texts), key
        if best and all(f.key in best.columns for f in kind.required):
            break  # a complete header: the rows below are data
        upper = lower
    if best:
        tick_columns(best)
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
                found = kind.header_name(key)
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        memo[text] = found
        return found

    _NAMERS[id(kind)] = (kind, name)
    return name


def _is_lower_header(upper: list[str], lower: list[str], named: list) -> bool:
    """A second header row: every cell names a field, repeats the merged cell above, is empty, or sits
    under a cell merged across columns (岗位 over 名称|职责: the upper text names the field)."""
    if sum(1 for n in named if n) < 1:
        return False
    for i, text in enumerate(lower):
        if text and not named[i]:
            above = upper[i] if i < len(upper) else ""
            spans = bool(above) and ((i > 0 and upper[i - 1] == above)
                                     or (i + 1 < len(upper) and upper[i + 1] == above))
            if above != text and not spans:
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


MAX_GAP_LINES = 2  # lines allowed between a form's table and a table that continues it without a header
_PAGE_NUMBER = re.compile(r"[-—–]*\d+[-—–]*|第\d+页(?:共\d+页)?")


def _continuations(best: _Header, tables: list[Table], found: list) -> list[tuple[Table, int]]:
    """The tables right after the form's own that go on with it — a form split at page breaks — each with
    the index of its first row to read. Such a table repeats the header (the same columns) and is not
    headed by another unit, or has the same width with nothing but “续表”, the title or a page number before it."""
    labels = labels_for(best.kind)
    width = best.table.width
    out: list[tuple[Table, int]] = []
    for index in range(best.table_index + 1, len(tables)):
        table, header = tables[index], found[index]
        gap = table.gap
        if gap is None:
            break
        if header is not None and header.kind is best.kind and header.columns == best.columns:
            if _other_unit(best, gap, labels):
                break
            out.append((table, header.last + 1))
        elif (table.width == width and len(gap) <= MAX_GAP_LINES and all(_says_continued(best.kind, g) for g in gap)
              and not _starts_with_labels(table, labels)):
            out.append((table, 0))
        else:
            break
    return out


def _starts_with_labels(table: Table, labels: Labels) -> bool:
    """Whether a table's first filled row holds labels (填表人：, 审核人：…): a signature block, not more rows."""
    first = next((row for i, row in enumerate(table.rows) if not _is_blank(table, i)), [])
    return any(labels.pattern.search(text) for text in first if text)


def _says_continued(kind: FormKind, line: Sequence[str]) -> bool:
    """A line such as “续表”, “岗位风险分析和防控措施表（续）” or a page number, between a table and its rest."""
    text = squeeze("".join(line))
    return "续" in text or squeeze(kind.title) in text or bool(_PAGE_NUMBER.fullmatch(text))


def _other_unit(best: _Header, gap: Sequence[Sequence[str]], labels: Labels) -> bool:
    """Whether the lines before a repeated header name a unit other than the form's own."""
    there = next((u for line in gap if (u := labelled(line, labels).get("unit"))), None)
    if not there:
        return False
    table = best.table
    above = [table.rows[i] for i in range(best.first - 1, -1, -1)]
    here = next((u for line in (*above, *reversed(table.before)) if (u := labelled(line, labels).get("unit"))), None)
    return squeeze(there) != squeeze(here or "")


class _RowReader:
    """Collects the data rows of a form's table (and of the tables continuing it), skipping what is not data."""

    def __init__(self, header: _Header):
        self.header, self.kind = header, header.kind
        self.labels = labels_for(header.kind)
        self.header_texts = _header_texts(header)
        ends = _header_ends(header)
        self.ticks = next((f.key for f in header.kind.fields if f.type == "level"), "") if header.grid else ""
        columns = [(key, c) for key, c in header.columns.items() if key != self.ticks]
        self.narrow = [(key, c) for key, c in columns if ends[key] == c + 1]
        self.wide = [(key, c, ends[key]) for key, c in columns if ends[key] > c + 1]
        self.rows: list[RawRow] = []
        self.footer: list[list[str]] = []
        self.problems: list = []

    def read(self, table: Table, start: int, offset: int) -> bool:
        """Read rows ``start``… of ``table``, numbered ``offset`` on; True when a 填表说明 row ended the form."""
        columns = self.header.columns
        for i in range(start, len(table.rows)):
            if _is_blank(table, i):
                continue
            cells = table.rows[i]
            if is_note_or_blank(dict(enumerate(cells))):  # 填表说明 and everything under it
                if not self.rows:  # a note right under the header: the data follows it
                    continue
                self.footer.extend(table.rows[j] for j in range(i, len(table.rows)))
                return True
            if is_footer_line(cells, self.labels):
                self.footer.append(cells)
                continue
            width = len(cells)
            values = {key: cells[c] if c < width else "" for key, c in self.narrow}
            for key, c, end in self.wide:
                values[key] = _under(cells, c, end)
            if self.ticks:
                values[self.ticks] = ticks_text(cells, self.header.grid)
            if (_is_numbered_blank(values, columns, table.inherited.get(i, ()))
                    or _repeats_header(self.kind, values, self.header_texts)
                    or _is_column_numbers(values, columns) or _is_title(self.kind, cells)):
                continue
            number = table.numbers[i] + offset
            banner = _banner(self.kind, values)
            if banner:
                self.problems.append(warning("整行只有这一段文字（如分类标题），未作为风险点读取；"
                                             "如果它是风险点，请按列分别填写岗位、风险点、等级和措施",
                                             row=number, value=banner))
                continue
            if self.ticks and not values[self.ticks]:  # a risk point with no column ticked
                values[self.ticks] = ticks_text(cells, self.header.grid, show_empty=True)
            self.rows.append(RawRow(number, values))
        return False


def _read_form(header: _Header, continuations: Sequence[tuple[Table, int]] = ()) -> RawForm:
    table, kind = header.table, header.kind
    reader = _RowReader(header)
    last, offset = table, table.numbers[-1] if table.numbers else 0
    if not reader.read(table, header.last + 1, 0):
        for more, start in continuations:  # rows numbered on, as if the tables were one
            last = more
            if reader.read(more, start, offset):
                break
            offset += more.numbers[-1] if more.numbers else 0
    above = [table.rows[i] for i in range(header.first - 1, -1, -1)]
    before = list(reversed(table.before[-CONTEXT_LINES:]))
    after = [*reader.footer, *last.after[:CONTEXT_LINES]]
    unit, date_text, from_title = header_values(kind, [*above, *before], after)
    near = [*above, *reversed(table.gap if table.gap is not None else table.before[-5:])]
    return RawForm(kind=kind, unit=unit, date_value=parse_date(date_text) if date_text else None,
                   date_text=date_text, rows=reader.rows, columns=header.texts, where=table.where,
                   problems=reader.problems, titles=title_lines(near, reader.labels), unit_from_title=from_title)


def _header_ends(header: _Header) -> dict[str, int]:
    """Field key → the column after the last one its header cell spans (a merged or wide header cell)."""
    rows = header.table.rows[header.first:header.last + 1]
    starts = set(header.columns.values())
    ends = {}
    for key, start in header.columns.items():
        end = start + 1
        while end not in starts and all(end < len(row) and row[end] == row[start] for row in rows):
            end += 1
        ends[key] = end
    return ends


def _under(cells: list[str], start: int, end: int) -> str:
    """The text of a row under a header cell spanning columns start…end-1: the row's cell that covers most of
    them (a Word table whose borders do not line up row to row), a filled one on a tie, else the leftmost."""
    if end - start == 1 or start + 1 >= len(cells):
        return cells[start] if start < len(cells) else ""
    best, best_key = "", (0, False)
    c = start
    while c < min(end, len(cells)):
        text, run = cells[c], 1
        while c + run < min(end, len(cells)) and cells[c + run] == text:
            run += 1
        if (run, bool(text)) > best_key:
            best, best_key = text, (run, bool(text))
        c += run
    return best


def _header_texts(header: _Header) -> dict[str, set[str]]:
    """Field key → the texts of its column in the header rows (as the header would read if repeated)."""
    table, first = header.table, header.first
    if first > 0 and any(a and a == b for a, b in zip(table.rows[first - 1], table.rows[first])):
        first -= 1  # the upper row of a two-row header, its merged cells repeated in the row read as header
    rows = table.rows[first:header.last + 1]
    return {key: {squeeze(row[c]) for row in rows if c < len(row) and row[c]} for key, c in header.columns.items()}


def _repeats_header(kind: FormKind, values: dict[str, str], header_texts: dict[str, set[str]]) -> bool:
    """A header row again: repeated at a page break, pasted twice, or repeated by a merge of several forms."""
    name = _namer(kind)
    named = 0
    for key, text in values.items():
        if text:
            if squeeze(text) not in header_texts.get(key, ()):
                found = name(text)
                if not found or found[0].key != key:
                    return False
            named += 1
    return named >= 3


_SEQ_MARK = re.compile(r"[（(]?(?:[0-9]{1,4}(?:[.．][0-9]{1,3})*|[一二三四五六七八九十]{1,4})[)）]?[、.．]?")


def _is_numbered_blank(values: dict[str, str], columns: dict[str, int], inherited) -> bool:
    """A row numbered in advance and left empty: only the 序号, or text a merged cell above lends it."""
    for key, text in values.items():
        if text and key != "seq" and columns[key] not in inherited:
            return False
    return not values.get("seq") or bool(_SEQ_MARK.fullmatch(squeeze(values["seq"])))


def _is_title(kind: FormKind, cells: list[str]) -> bool:
    """The form's title again, “续表” or “以下空白”, on a row of its own (a table continued on the next page)."""
    texts = {t for t in cells if t}
    if len(texts) != 1:
        return False
    key = squeeze(texts.pop())
    return squeeze(kind.title) in key or bool(_FILLER.fullmatch(key))


_FILLER = re.compile(r"[（(]?(?:续表?|以下(?:空白|无内容|无正文)|此页无正文|此处空白)[)）]?")


def _banner(kind: FormKind, values: dict[str, str]) -> str | None:
    """The text of a row that holds one text only, across the row or in the 序号 cell (a section heading)."""
    texts = {text for text in values.values() if text}
    if len(texts) != 1:
        return None
    text = next(iter(texts))
    required = [values[f.key] for f in kind.required if f.key in values]
    if len(required) >= 2 and all(v == text for v in required):
        return text
    filled = [key for key, v in values.items() if v]
    return text if filled == ["seq"] and not _SEQ_MARK.fullmatch(squeeze(text)) else None


def _is_column_numbers(values: dict[str, str], columns: dict[str, int]) -> bool:
    """A row of column numbers under the header: 1 2 3 4 5 6."""
    texts = [values[key] for key in sorted(columns, key=columns.get) if values[key]]
    if len(texts) < 3 or not all(t.isdigit() and len(t) < 3 for t in texts):
        return False
    return [int(t) for t in texts] == list(range(int(texts[0]), int(texts[0]) + len(texts)))

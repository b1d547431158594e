"""Safe streaming .xlsx writing: XlsxWriter makes each sheet's frame (styles, printing, chart), rows stream in as XML.

Why not XlsxWriter's own constant_memory mode: rows must then come strictly in order (a subtitle counting
the rows could not be written above them), and it costs ~13 µs a cell against ~7 here, for 100,000 risk
points × 11 columns. Here XlsxWriter writes everything but the data rows (title, header, widths, freeze,
filter, print setup, charts, the style table); the data rows are serialised straight to a temporary file,
one string per row, and spliced into the sheet's XML on save in place of a marker row. Every text value is
an inline string (``t="inlineStr"``): no ``<f>`` element is ever written, so text from users stays text.
(XlsxWriter imports in ~40 ms; openpyxl, which wrote the frame before, took ~250 ms with numpy.)
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import math
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from lzdocs.fsutil import atomic_output
from lzdocs.ooxml.package import FAST_LEVEL, part_names, rewrite_package
from lzdocs.ooxml.splice import split_at_marker
from lzdocs.textutil import display_width, strip_illegal_xml


def escape(text: str) -> str:
    """&, < and > as entities, as xml.sax.saxutils.escape does (whose import loads urllib.request and http.client)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


CELL_LIMIT = 32767  # Excel's limit on the text of one cell (UTF-16 code units)
TRUNCATION_MARK = "（……内容过长，已截断）"
FORMULA_STARTS = ("=", "+", "-", "@")  # what a spreadsheet would take for a formula when typed
_SURROGATES = re.compile("[\ud800-\udfff]")
_SUSPECT = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff\ud800-\udfff]")  # anything clean_text changes
_EPOCH = dt.datetime(1899, 12, 30)


def clean_text(text: str) -> tuple[str, list[str]]:
    """Text without the characters XML forbids (control characters, lone surrogates); line ends as ``\\n``."""
    if not _SUSPECT.search(text):
        return text, []
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    cleaned, removed = strip_illegal_xml(text)
    if _SURROGATES.search(cleaned):
        cleaned, removed = _SURROGATES.sub("", cleaned), True
    return cleaned, (["含有不可见的控制字符，已删除"] if removed else [])


def _excel_length(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


# Row heights: neither LibreOffice nor Excel reliably fits rows to wrapped text when opening a file, so the
# writer sets each row's height from an estimate of its text's lines, as a clerk's "最适合的行高" would.
LINE_PT = 14.5  # one line of 10 pt 宋体 (CJK fallback fonts are a little taller)
MAX_ROW_PT = 409.0  # Excel's largest row height


def line_count(text: str, width: float) -> int:
    """How many lines ``text`` takes, wrapped in a column ``width`` units wide (a CJK character takes about
    1.8 units in 宋体 10 pt, a digit or Latin letter 0.9)."""
    usable = max(width - 0.8, 1.0)
    if "\n" not in text:
        return max(1, math.ceil(0.9 * text_width(text) / usable))
    return sum(line_count(part, width) for part in text.split("\n"))


# ASCII, and characters drawn two columns wide in a Chinese font (East Asian Width W, F or A) that take three bytes
# in UTF-8: CJK ideographs and punctuation, full-width forms, the curly quotes, … and —, ①–⑳. A text of these alone,
# as most cells are, is measured from its length in UTF-8 (one byte a column for ASCII, three for two columns).
_ASCII_OR_WIDE = re.compile("[\x00-\x7f\u2014\u2018\u2019\u201c\u201d\u2026\u2460-\u2473\u3000-\u303e"
                            "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60\uffe0-\uffe6]*")


def text_width(text: str) -> int:
    """``display_width(text, ambiguous_wide=True)``, the width of ``text`` in a Chinese font."""
    if _ASCII_OR_WIDE.fullmatch(text):
        return (len(text.encode("utf-8")) + len(text)) // 2
    return display_width(text, ambiguous_wide=True)


def safe_cell_value(value) -> tuple[object, list[str]]:
    """A value fit for an Excel cell, and what had to change (Chinese, for warnings).

    Numbers and dates pass through; anything else becomes clean text, cut at Excel's 32,767-character
    limit with a visible marker. The writer stores every text as an inline string, never a formula, so
    ``=HYPERLINK(…)``, ``+1+1``, ``-2+3`` and ``@SUM(A1)`` come back exactly as written.
    """
    if value.__class__ is str:  # the common case first: most cells are text, and most of those clean and short
        if len(value) <= CELL_LIMIT // 2 and not _SUSPECT.search(value):
            return value, []
        text, problems = clean_text(value)
    elif value is None or isinstance(value, (bool, int, dt.date)):
        return value, []
    elif isinstance(value, (float, Decimal)):
        number = float(value)
        return (number if math.isfinite(number) else str(value)), []
    else:
        text, problems = clean_text(str(value))
    if len(text) > CELL_LIMIT // 2 and _excel_length(text) > CELL_LIMIT:
        total = len(text)
        keep = CELL_LIMIT - len(TRUNCATION_MARK)
        units = itertools.accumulate(2 if ord(ch) > 0xFFFF else 1 for ch in text)  # Excel counts UTF-16 units
        text = text[:sum(1 for n in units if n <= keep)] + TRUNCATION_MARK
        problems.append(f"内容共 {total} 字，超过 Excel 单元格 {CELL_LIMIT} 字的上限，已截断并注明")
    return text, problems


# --- styles -----------------------------------------------------------------------------------------
_LEFT = {"align": "left", "valign": "vcenter", "text_wrap": True}
_CENTER = {"align": "center", "valign": "vcenter", "text_wrap": True}

# Style key → XlsxWriter format properties. Every data style has the body font and a thin grey grid.
STYLES: dict[str, dict] = {
    "text": _LEFT,
    # file paths: one line, shrunk to the column rather than spilling over its border or making the row taller
    "path": {"align": "left", "valign": "vcenter", "shrink": True, "font_size": 9, "font_color": "#595959"},
    "center": _CENTER,
    "date": {**_CENTER, "num_format": "yyyy-mm-dd"},
    "datetime": {**_CENTER, "num_format": "yyyy-mm-dd hh:mm"},
    "number": {**_CENTER, "num_format": "0"},
    "percent": {**_CENTER, "num_format": "0.0%"},
    "level1": {**_CENTER, "bg_color": "#FFC7CE", "bold": True, "font_color": "#9C0006"},
    "level2": {**_CENTER, "bg_color": "#FCD5B4", "bold": True, "font_color": "#974706"},
    "level3": {**_CENTER, "bg_color": "#FFF2CC", "font_color": "#7F6000"},
    "good": {**_CENTER, "bg_color": "#C6EFCE", "font_color": "#006100"},
    "warn": {**_CENTER, "bg_color": "#FFEB9C", "bold": True, "font_color": "#9C5700"},
    "bad": {**_CENTER, "bg_color": "#FFC7CE", "bold": True, "font_color": "#9C0006"},
    "total": {**_CENTER, "bg_color": "#F2F2F2", "bold": True, "num_format": "0"},
    "total_text": {**_CENTER, "bg_color": "#F2F2F2", "bold": True},
    "header": {**_CENTER, "bg_color": "#D9E1F2", "bold": True, "font_name": "黑体", "font_size": 10.5},
    "title": {"align": "center", "valign": "vcenter", "border": 0, "bold": True, "font_name": "黑体", "font_size": 16},
    "subtitle": {"align": "left", "valign": "vcenter", "border": 0},
}
_BASE = {"font_name": "宋体", "font_size": 10, "border": 1, "border_color": "#808080"}
LEVEL_STYLES = {1: "level1", 2: "level2", 3: "level3"}


def _wraps(key: str) -> bool:
    return bool(STYLES[key].get("text_wrap"))


@dataclass(frozen=True)
class Column:
    """One column of a register sheet: header label, width (Excel units), the style of its cells, and whether
    it is printed (machine columns such as file paths stay on screen, outside the print area, after the rest)."""

    label: str
    width: float = 12
    style: str = "text"
    printed: bool = True


# --- printing ---------------------------------------------------------------------------------------
# A4 landscape, 0.4" side margins: 842 − 58 pt across. A column of width w is w digits of the workbook's
# default font: 5.25·w points in Excel or WPS with Calibri, 7·w points in a LibreOffice that falls back to DejaVu
# Sans (no Calibri or Carlito installed, as on a bare server; measured 7.1–7.3, taken as 7.5). Widths are planned for
# the wider, so that the print stays at or above MIN_SCALE everywhere (in Excel it is then about 100 %).
PRINT_WIDTH_PT = 842 - 2 * 0.4 * 72
PT_PER_UNIT = 7.5
EXCEL_PT_PER_UNIT = 5.25  # the narrowest rendering: a chart's columns must cover it even there
PADDING = 5.5 / 7  # a column w characters wide is stored as round(7·w) + 5 pixels of a 7-pixel digit: ≤ w + 5.5/7
MIN_SCALE = 70  # smaller print is hard to read; a wider table wraps its text columns more instead
MIN_WRAPPED_WIDTH = 8.0
FOOTER = "第 &P 页 共 &N 页"
CHART_COLUMN_WIDTH = 10


@dataclass(frozen=True)
class PrintLayout:
    """How a sheet prints across: at ``scale`` %, fitted to one page wide or not, with these column widths."""

    scale: int
    fit_to_width: bool
    widths: list[float]


def _fit_scale(widths: Sequence[float], columns: Sequence[Column]) -> int:
    printed = sum(w + PADDING for w, c in zip(widths, columns) if c.printed) * PT_PER_UNIT
    return min(100, int(100 * PRINT_WIDTH_PT / printed)) if printed else 100


def print_layout(columns: Sequence[Column]) -> PrintLayout:
    """The print scale that fits the printed columns to the page width, never below MIN_SCALE.

    A table too wide for that gets its free-text columns (style ``text``) narrowed — their text wraps onto more
    lines, each column no narrower than MIN_WRAPPED_WIDTH — until it fits at MIN_SCALE; if even that is not
    enough it prints at MIN_SCALE, its last columns on further pages, rather than shrink it unreadably."""
    widths = [c.width for c in columns]
    scale = _fit_scale(widths, columns)
    if scale >= MIN_SCALE:
        return PrintLayout(scale, True, widths)
    room = PRINT_WIDTH_PT / (MIN_SCALE / 100) / PT_PER_UNIT
    printed = [c.printed for c in columns]
    free = [c.printed and c.style == "text" for c in columns]
    flexible = sum(w for w, f in zip(widths, free) if f)
    fixed = sum(w for w, c, f in zip(widths, columns, free) if c.printed and not f) + PADDING * sum(printed)
    factor = max(room - fixed, 0) / flexible if flexible else 1
    narrowed = [max(MIN_WRAPPED_WIDTH, math.floor(w * factor * 10) / 10) if f else w for w, f in zip(widths, free)]
    scale = _fit_scale(narrowed, columns)
    return PrintLayout(max(scale, MIN_SCALE), scale >= MIN_SCALE, narrowed)


class WarningLog:
    """Warnings about one output file, each prefixed with its name; after ``limit`` only a count is kept."""

    def __init__(self, label: str, limit: int = 50):
        self.label, self.limit = label, limit
        self._messages: list[str] = []
        self._unlisted = 0

    def warn(self, message: str) -> None:
        if len(self._messages) < self.limit:
            self._messages.append(f"{self.label}：{message}")
        else:
            self._unlisted += 1

    @property
    def warnings(self) -> list[str]:
        more = [f"{self.label}：另有 {self._unlisted} 处同类问题未逐条列出"] if self._unlisted else []
        return self._messages + more


# --- the book ---------------------------------------------------------------------------------------
class StreamingBook:
    """A workbook whose data rows go to temporary files as they come and are spliced in on :meth:`save`."""

    def __init__(self, label: str, day: dt.date):
        """``day``: the date the book is made for (its 统计日期), which its file properties give as created: not
        the wall clock XlsxWriter would read, so that a book made again the same day is the same file."""
        self.label = label  # the file name, for warnings
        self._frame = io.BytesIO()
        # in_memory: the frame's parts are assembled in memory, not in ten temporary files made and deleted
        self._wb = xlsxwriter.Workbook(self._frame, {"strings_to_numbers": False, "strings_to_formulas": False,
                                                     "strings_to_urls": False, "in_memory": True})
        self._wb.set_properties({"created": dt.datetime.combine(day, dt.time())})
        self._sheets: list[StreamingSheet] = []
        self._formats: dict[tuple[str, bool], object] = {}
        self._style_ids: dict[tuple[str, bool], int] = {}
        self._log = WarningLog(label)

    def __enter__(self) -> StreamingBook:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add_sheet(self, name: str, columns: Sequence[Column], *, title: str, subtitle: str | None = None,
                  autofilter: bool = True) -> StreamingSheet:
        """A sheet with a title row (and a subtitle row when ``subtitle`` is not None), a frozen header,
        column widths, A4 landscape printing fitted to the page width with the header repeated."""
        ws = self._wb.add_worksheet(name)
        sheet = StreamingSheet(self, ws, list(columns), title=title, subtitle=subtitle, autofilter=autofilter,
                               marker=MARKER_BASE + len(self._sheets))
        self._sheets.append(sheet)
        return sheet

    def format(self, key: str, quoted: bool = False):
        """The XlsxWriter format of a named style; ``quoted`` adds Excel's quote prefix (text typed after ')."""
        fmt = self._formats.get((key, quoted))
        if fmt is None:
            fmt = self._formats[(key, quoted)] = self._wb.add_format(
                {**_BASE, **STYLES[key], **({"quote_prefix": True} if quoted else {})})
        return fmt

    def style_id(self, key: str, quoted: bool = False) -> int:
        """The cell-format index (``s``) of a named style, for the rows written as XML. XlsxWriter numbers a
        format when it is first used; asking for the number here fixes it, and the frame's cells reuse it
        (so it is kept: every data cell asks)."""
        sid = self._style_ids.get((key, quoted))
        if sid is None:
            sid = self._style_ids[(key, quoted)] = self.format(key, quoted)._get_xf_index()
        return sid

    def new_chart(self, options: dict):
        """An XlsxWriter chart for :meth:`StreamingSheet.add_chart`."""
        return self._wb.add_chart(options)

    def warn(self, message: str) -> None:
        self._log.warn(message)

    @property
    def warnings(self) -> list[str]:
        return self._log.warnings

    def save(self, path: Path, *, before_replace: Callable[[Path], None] | None = None) -> None:
        """Write the workbook whole or not at all: a temporary file in the same folder, then a rename
        (``before_replace``: see ``fsutil.atomic_output``)."""
        for sheet in self._sheets:
            sheet.flush()
            sheet.set_print_area()
        self._wb.close()
        writers = dict.fromkeys(part_names(self._frame, "xl/worksheets/sheet"), self._sheet_part)
        # members dated and permitted as XlsxWriter's temporary files made them
        with atomic_output(path, before_replace=before_replace) as fh:
            rewrite_package(self._frame, fh, writers, date_time=FRAME_MEMBER_TIME, mode=FRAME_MEMBER_MODE,
                            level=FAST_LEVEL)

    def _sheet_part(self, xml: bytes) -> bytes | Iterator[bytes]:
        """A worksheet part of the frame with its sheet's rows in place of the marker row (each part read once)."""
        for sheet in self._sheets:
            if sheet.marker_xml.encode() in xml:
                return sheet.write_part(xml)
        return xml

    def close(self) -> None:
        for sheet in self._sheets:
            sheet.close()


# What XlsxWriter wrote on disk gave each member: 31 January 1980 (its portable stand-in for Excel's 1 January
# 1980) and a private regular file's permissions; the in-memory frame keeps the files byte for byte as they were.
FRAME_MEMBER_TIME = (1980, 1, 31, 0, 0, 0)
FRAME_MEMBER_MODE = 0o100600
MARKER_BASE = 987_654_321_000_000  # the number in a sheet's marker row (plus the sheet's index): unique in any frame


def _number_cell(ref: str, sid: int, value) -> str:
    """A cell holding a boolean, a number or a date (as Excel's serial day number)."""
    if isinstance(value, bool):
        return f'<c r="{ref}" s="{sid}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, dt.datetime):
        value = (value.replace(tzinfo=None) - _EPOCH) / dt.timedelta(days=1)
    elif isinstance(value, dt.date):
        value = (value - _EPOCH.date()).days
    return f'<c r="{ref}" s="{sid}"><v>{value!r}</v></c>'


_SHORT = CELL_LIMIT // 2  # text no longer than this is within Excel's limit however it is counted
UNSAFE_TEXT = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff\ud800-\udfff&<>]")  # what clean_text or escape changes
_FORMULA_FIRST = "".join(FORMULA_STARTS)  # each one character
_EPOCH_DAY = _EPOCH.date()


@dataclass(slots=True)
class _RowPlan:
    """The cells of rows styled alike: column letters, style keys, style numbers (None until asked: XlsxWriter numbers
    the styles in the order they are first asked for) and the length of text that surely fits on one line."""

    letters: list[str]
    styles: list[str]
    sids: list[int | None]
    fits: list[float]


class StreamingSheet:
    """One sheet: the frame lives in XlsxWriter, the data rows in a temporary file until the book is saved."""

    def __init__(self, book: StreamingBook, ws, columns: list[Column], *, title: str, subtitle: str | None,
                 autofilter: bool, marker: int):
        printed = [c.printed for c in columns]
        if printed != sorted(printed, reverse=True):
            raise ValueError("columns that are not printed must come after all printed columns")
        self.book, self.ws, self.columns = book, ws, columns
        self.marker, self.marker_xml = marker, f"<v>{marker}</v>"
        self._letters = [xl_col_to_name(i) for i in range(max(len(columns), 1))]
        self._styles = [c.style for c in columns]
        self.layout = print_layout(columns)
        self._widths = self.layout.widths
        self._usable = [max(w - 0.8, 1.0) for w in self._widths]  # what line_count divides by
        # Text this short fits on one line; a column that does not wrap never makes its row taller.
        self._fits = [int((w - 0.8) / 1.8) if _wraps(c.style) else math.inf for w, c in zip(self._widths, columns)]
        self._row_plans: dict[tuple, _RowPlan] = {}
        self._printed_columns = sum(printed) or len(columns)
        self._print_to_row = 0  # the print area reaches at least this row (a chart beside the rows)
        self._labels = [c.label for c in columns]
        self._rows = tempfile.SpooledTemporaryFile(max_size=4 << 20)  # noqa: SIM115 - open until the book is saved
        self._pending: list[str] = []
        self._width = len(columns)
        self._subtitle_row = 2 if subtitle is not None else None
        self.header_row = 3 if subtitle is not None else 2
        self.first_row = self.next_row = self.header_row + 1
        self._build_frame(title, subtitle, autofilter)

    # --- frame --------------------------------------------------------------------------------------
    def _build_frame(self, title: str, subtitle: str | None, autofilter: bool) -> None:
        ws, last = self.ws, self._printed_columns - 1  # the title is centred over the printed part
        self._merged(1, title, "title", last)
        ws.set_row(0, 32)
        if subtitle is not None:
            self._merged(2, subtitle, "subtitle", last)
            ws.set_row(1, 20)
        for i, (column, width) in enumerate(zip(self.columns, self._widths)):
            self._put(self.header_row, i + 1, column.label, "header")
            ws.set_column(i, i, width)
        ws.set_row(self.header_row - 1, 24)
        ws.write_number(self.first_row - 1, 0, self.marker)
        ws.freeze_panes(self.first_row - 1, 0)
        if autofilter:
            ws.autofilter(self.header_row - 1, 0, self.header_row - 1, len(self.columns) - 1)
        self._page_setup()

    def _merged(self, row: int, text: str, style: str, last: int) -> None:
        if last > 0:
            self.ws.merge_range(row - 1, 0, row - 1, last, "", self.book.format(style))
        self._put(row, 1, text, style)

    def _page_setup(self) -> None:
        """A4 landscape, the header row on every page, 第 n 页 共 m 页 in the footer, fitted to the page width
        (see :func:`print_layout`); the print area (set on save) leaves the machine columns out."""
        ws, layout = self.ws, self.layout
        ws.repeat_rows(self.header_row - 1)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.set_print_scale(layout.scale)  # Excel and LibreOffice use it when the sheet is not fitted to the width
        if layout.fit_to_width:
            ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
        ws.center_horizontally()
        ws.set_footer(f'&C&"宋体"&9 {FOOTER}', margin=0.3)
        ws.set_header("", margin=0.3)

    def add_chart(self, chart, *, width_pt: float, rows: int) -> None:
        """Put ``chart`` beside the table, after a narrow gap, at the header row, on columns of known width,
        and print it with the table (the scale is worked out again for the wider print area)."""
        if self._printed_columns != len(self.columns):
            raise ValueError("a chart goes beside a table whose columns are all printed")
        gap, width = len(self.columns), CHART_COLUMN_WIDTH
        n = math.ceil(width_pt / ((width + PADDING) * EXCEL_PT_PER_UNIT))
        self.ws.set_column(gap, gap, 2)
        self.ws.set_column(gap + 1, gap + n, width)
        self.ws.insert_chart(self.header_row - 1, gap + 1, chart)
        self._printed_columns = gap + 1 + n
        self._print_to_row = self.header_row + rows
        extra = [Column("", w, "center") for w in (2, *[width] * n)]  # fixed widths; print_layout adds the padding
        self.layout = print_layout([*self.columns, *extra])
        for i, (old, new) in enumerate(zip(self._widths, self.layout.widths)):
            if new != old:  # the table's text columns narrowed to make room (rows already written keep their height)
                self.ws.set_column(i, i, new)
        self._page_setup()

    def set_print_area(self) -> None:
        """The title, header and rows of the printed columns (called by the book before it saves)."""
        last_row = max(self.last_row, self._print_to_row)
        self.ws.print_area(0, 0, last_row - 1, self._printed_columns - 1)

    def _put(self, row: int, column: int, value, style: str) -> None:
        """One cell of the frame (1-based, as the rows are counted everywhere else)."""
        value, problems = safe_cell_value(value)
        for problem in problems:
            self.book.warn(f"《{self.ws.name}》第{row}行：{problem}")
        if isinstance(value, str):  # never a formula, whatever the text starts with
            self.ws.write_string(row - 1, column - 1, value, self.book.format(style, value.startswith(FORMULA_STARTS)))
        else:
            self.ws.write(row - 1, column - 1, value, self.book.format(style))

    def set_subtitle(self, text: str) -> None:
        """The line under the title (e.g. counts known only after the rows are written)."""
        if self._subtitle_row is None:
            raise ValueError("this sheet has no subtitle row")
        self._put(self._subtitle_row, 1, text, "subtitle")

    # --- rows ---------------------------------------------------------------------------------------
    def append(self, values: Sequence, styles: Sequence[str | None] | None = None) -> int:
        """Add one data row; ``styles`` overrides the column styles cell by cell. Returns the row number.

        The common cells — clean text that needs no escaping, None, whole numbers, dates — are written here at once;
        any other value goes through :func:`safe_cell_value` in :meth:`_cell`, which says what it changed."""
        r = self.next_row
        row = str(r)
        plan = self._row_plan(styles, len(values))
        letters, keys, sids, fits = plan.letters, plan.styles, plan.sids, plan.fits
        cells, lines = [], 1
        texts = "".join([value for value in values if value.__class__ is str])
        clean = len(texts) <= _SHORT and not UNSAFE_TEXT.search(texts)  # every text of the row, at one go
        for i, value in enumerate(values):
            kind = value.__class__
            if kind is str and value and (clean or not (len(value) > _SHORT or UNSAFE_TEXT.search(value))):
                if value[0] in _FORMULA_FIRST:  # shown as typed, never taken for a formula
                    sid = self.book.style_id(keys[i], quoted=True)
                elif (sid := sids[i]) is None:
                    sid = sids[i] = self.book.style_id(keys[i])
                cells.append(f'<c r="{letters[i]}{row}" s="{sid}" t="inlineStr"><is><t xml:space="preserve">{value}'
                             '</t></is></c>')
                if len(value) > fits[i] or "\n" in value:
                    lines = self._lines(value, i, lines)
                continue
            if (sid := sids[i]) is None:
                sid = sids[i] = self.book.style_id(keys[i])
            if value is None or (kind is str and not value):
                cells.append(f'<c r="{letters[i]}{row}" s="{sid}"/>')
            elif kind is int:
                cells.append(f'<c r="{letters[i]}{row}" s="{sid}"><v>{value!r}</v></c>')
            elif kind is dt.date:
                cells.append(f'<c r="{letters[i]}{row}" s="{sid}"><v>{(value - _EPOCH_DAY).days!r}</v></c>')
            else:
                lines = self._cell(cells, plan, i, r, value, lines)
        height = f' ht="{min(lines * LINE_PT + 3, MAX_ROW_PT):g}" customHeight="1"' if lines > 1 else ""
        if len(values) > self._width:
            self._width = len(values)
        self._pending.append(f'<row r="{r}"{height}>{"".join(cells)}</row>')
        if len(self._pending) >= 1000:
            self.flush()
        self.next_row += 1
        return r

    def _cell(self, cells: list[str], plan: _RowPlan, i: int, r: int, value, lines: int) -> int:
        """Add the cell of any ``value`` in column ``i`` of row ``r`` to ``cells``, made safe by
        :func:`safe_cell_value` (which says what it changed: a warning); returns the row's lines with the cell's."""
        value, problems = safe_cell_value(value)
        for problem in problems:
            self._warn_cell(i, r, problem)
        ref, style, book = f"{plan.letters[i]}{r}", plan.styles[i], self.book
        if value is None or value == "":
            cells.append(f'<c r="{ref}" s="{book.style_id(style)}"/>')
        elif value.__class__ is str:
            sid = book.style_id(style, quoted=value.startswith(FORMULA_STARTS))
            cells.append(f'<c r="{ref}" s="{sid}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t>'
                         '</is></c>')
            if len(value) > plan.fits[i] or "\n" in value:
                lines = self._lines(value, i, lines)
        else:
            cells.append(_number_cell(ref, book.style_id(style), value))
        return lines

    def _lines(self, text: str, i: int, lines: int) -> int:
        """The lines of a row that takes ``lines`` so far, with ``text`` in column ``i`` (:func:`line_count`): a
        text on one line is measured only when it could take more, were every character of it wide (its width is at
        most twice its length)."""
        if "\n" in text:
            return max(lines, line_count(text, self._widths[i]))
        usable = self._usable[i]
        if math.ceil(0.9 * (2 * len(text)) / usable) <= lines:
            return lines
        width = (len(text.encode("utf-8")) + len(text)) // 2 if _ASCII_OR_WIDE.fullmatch(text) else \
            display_width(text, ambiguous_wide=True)  # text_width, without a call
        return max(lines, math.ceil(0.9 * width / usable))

    def _row_plan(self, styles: Sequence[str | None] | None, n: int) -> _RowPlan:
        """For ``n`` cells: their column letters, their styles (the override where given, else the column's;
        ``text`` past the last column), their style numbers once asked and the length of text that surely fits on
        one line. Rows mostly share a few overrides, so each combination is worked out once."""
        key = (tuple(styles) if styles else (), n)
        plan = self._row_plans.get(key)
        if plan is None:
            given = [*key[0], *[None] * (n - len(key[0]))]
            plan = self._row_plans[key] = _RowPlan(
                [self._letter(i) for i in range(n)], [given[i] or self._style_at(i) for i in range(n)], [None] * n,
                [self._fits[i] if i < len(self._fits) else math.inf for i in range(n)])
        return plan

    def _style_at(self, i: int) -> str:
        return self._styles[i] if i < len(self._styles) else "text"

    def _letter(self, i: int) -> str:
        while i >= len(self._letters):
            self._letters.append(xl_col_to_name(len(self._letters)))
        return self._letters[i]

    def _warn_cell(self, i: int, r: int, problem: str) -> None:
        label = self._labels[i] if i < len(self._labels) else self._letter(i)
        self.book.warn(f"《{self.ws.name}》第{r}行“{label}”：{problem}")

    def flush(self) -> None:
        if self._pending:
            self._rows.write("".join(self._pending).encode("utf-8"))
            self._pending.clear()

    @property
    def last_row(self) -> int:
        return max(self.next_row - 1, self.header_row)

    def write_part(self, frame: bytes) -> Iterator[bytes]:
        """The sheet's XML in pieces: the frame with the marker row replaced by the streamed rows."""
        cut = split_at_marker(frame.decode("utf-8"), self.marker_xml, "row")
        if cut is None:
            raise RuntimeError(f"marker row of sheet {self.ws.name} not found")
        span = f"A1:{self._letter(self._width - 1)}{self.last_row}"
        yield re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{span}"', cut.prefix, count=1).encode()
        self.flush()
        self._rows.seek(0)
        yield from iter(lambda: self._rows.read(1 << 20), b"")
        last_col = self._letters[len(self.columns) - 1]
        tail = re.sub(r'<autoFilter ref="[^"]*"', f'<autoFilter ref="A{self.header_row}:{last_col}{self.last_row}"',
                      cut.suffix, count=1)
        yield tail.encode()

    def close(self) -> None:
        self._rows.close()

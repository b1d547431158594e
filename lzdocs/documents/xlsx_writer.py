"""Safe streaming .xlsx writing: openpyxl makes each sheet's frame (styles, print setup, chart), rows stream in as XML.

Why not plain openpyxl write-only mode: it costs ~15 µs a cell, too slow for 100,000 risk points × 11
columns. Here openpyxl still writes everything but the data rows (title, header, widths, freeze,
filter, print setup, charts, the style table); the data rows are serialised straight to a temporary
file, one string per row, and spliced into the sheet's XML on save. Every text value is an inline
string (``t="inlineStr"``): no ``<f>`` element is ever written, so text from users stays text.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import math
import re
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins

from lzdocs.fsutil import atomic_output
from lzdocs.ooxml.package import part_names, read_part, rewrite_package
from lzdocs.ooxml.splice import split_at_marker
from lzdocs.textutil import display_width, strip_illegal_xml

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
    return sum(max(1, math.ceil(0.9 * display_width(part, ambiguous_wide=True) / usable)) for part in text.split("\n"))


def safe_cell_value(value) -> tuple[object, list[str]]:
    """A value fit for an Excel cell, and what had to change (Chinese, for warnings).

    Numbers and dates pass through; anything else becomes clean text, cut at Excel's 32,767-character
    limit with a visible marker. The writer stores every text as an inline string, never a formula, so
    ``=HYPERLINK(…)``, ``+1+1``, ``-2+3`` and ``@SUM(A1)`` come back exactly as written.
    """
    if value is None or isinstance(value, (bool, int, dt.date)):
        return value, []
    if isinstance(value, (float, Decimal)):
        number = float(value)
        return (number if math.isfinite(number) else str(value)), []
    text, problems = clean_text(str(value))
    if len(text) > CELL_LIMIT // 2 and _excel_length(text) > CELL_LIMIT:
        total = len(text)
        keep = CELL_LIMIT - len(TRUNCATION_MARK)
        units = itertools.accumulate(2 if ord(ch) > 0xFFFF else 1 for ch in text)  # Excel counts UTF-16 units
        text = text[:sum(1 for n in units if n <= keep)] + TRUNCATION_MARK
        problems.append(f"内容共 {total} 字，超过 Excel 单元格 {CELL_LIMIT} 字的上限，已截断并注明")
    return text, problems


# --- styles -----------------------------------------------------------------------------------------
def _fill(rgb: str) -> PatternFill:
    return PatternFill("solid", start_color=rgb, end_color=rgb)


def _font(size: float = 10, *, bold: bool = False, color: str | None = None, name: str = "宋体") -> Font:
    return Font(name=name, size=size, bold=bold, color=color)


_THIN = Side(style="thin", color="808080")
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)

# Style key → openpyxl attributes. Every data style has the body font and a thin grid.
STYLES: dict[str, dict] = {
    "text": {"alignment": _LEFT},
    # file paths: one line, shrunk to the column rather than spilling over its border or making the row taller
    "path": {"alignment": Alignment(horizontal="left", vertical="center", shrink_to_fit=True),
             "font": _font(9, color="595959")},
    "center": {"alignment": _CENTER},
    "date": {"alignment": _CENTER, "number_format": "yyyy-mm-dd"},
    "datetime": {"alignment": _CENTER, "number_format": "yyyy-mm-dd hh:mm"},
    "number": {"alignment": _CENTER, "number_format": "0"},
    "percent": {"alignment": _CENTER, "number_format": "0.0%"},
    "level1": {"alignment": _CENTER, "fill": _fill("FFC7CE"), "font": _font(bold=True, color="9C0006")},
    "level2": {"alignment": _CENTER, "fill": _fill("FCD5B4"), "font": _font(bold=True, color="974706")},
    "level3": {"alignment": _CENTER, "fill": _fill("FFF2CC"), "font": _font(color="7F6000")},
    "good": {"alignment": _CENTER, "fill": _fill("C6EFCE"), "font": _font(color="006100")},
    "warn": {"alignment": _CENTER, "fill": _fill("FFEB9C"), "font": _font(bold=True, color="9C5700")},
    "bad": {"alignment": _CENTER, "fill": _fill("FFC7CE"), "font": _font(bold=True, color="9C0006")},
    "total": {"alignment": _CENTER, "fill": _fill("F2F2F2"), "font": _font(bold=True), "number_format": "0"},
    "total_text": {"alignment": _CENTER, "fill": _fill("F2F2F2"), "font": _font(bold=True)},
    "header": {"alignment": _CENTER, "fill": _fill("D9E1F2"), "font": _font(10.5, bold=True, name="黑体")},
    "title": {"alignment": Alignment(horizontal="center", vertical="center"), "border": Border(),
              "font": _font(16, bold=True, name="黑体")},
    "subtitle": {"alignment": Alignment(horizontal="left", vertical="center"), "border": Border(),
                 "font": _font(10)},
}
_BASE = {"font": _font(), "border": _GRID}
LEVEL_STYLES = {1: "level1", 2: "level2", 3: "level3"}


def _wraps(key: str) -> bool:
    alignment = STYLES[key].get("alignment")
    return bool(alignment and alignment.wrap_text)


def apply_style(cell, key: str) -> None:
    """Give an openpyxl cell one of the named styles above."""
    for attr, value in {**_BASE, **STYLES[key]}.items():
        setattr(cell, attr, value)


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
    printed = sum(w for w, c in zip(widths, columns) if c.printed) * PT_PER_UNIT
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
    free = [c.printed and c.style == "text" for c in columns]
    flexible = sum(w for w, f in zip(widths, free) if f)
    fixed = sum(w for w, c, f in zip(widths, columns, free) if c.printed and not f)
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

    def __init__(self, label: str):
        self.label = label  # the file name, for warnings
        self._wb = Workbook()
        self._wb.remove(self._wb.active)
        self._sheets: list[StreamingSheet] = []
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
        ws = self._wb.create_sheet(name)
        sheet = StreamingSheet(self, ws, list(columns), title=title, subtitle=subtitle, autofilter=autofilter)
        self._sheets.append(sheet)
        return sheet

    def style_id(self, key: str, quoted: bool = False) -> int:
        """The cell-format index of a named style; ``quoted`` adds Excel's quote prefix (text typed after ')."""
        sid = self._style_ids.get((key, quoted))
        if sid is None:
            cell = Cell(self._wb.worksheets[0], row=1, column=1)
            apply_style(cell, key)
            cell.quotePrefix = int(quoted)
            sid = self._style_ids[(key, quoted)] = cell.style_id
        return sid

    def warn(self, message: str) -> None:
        self._log.warn(message)

    @property
    def warnings(self) -> list[str]:
        return self._log.warnings

    def save(self, path: Path) -> None:
        """Write the workbook whole or not at all: a temporary file in the same folder, then a rename."""
        for sheet in self._sheets:
            sheet.flush()
            sheet.set_print_area()
        frame = io.BytesIO()
        self._wb.save(frame)
        writers = {}
        for part in part_names(frame, "xl/worksheets/sheet"):
            xml = read_part(frame, part)
            for sheet in self._sheets:
                if sheet.marker in xml:
                    writers[part] = sheet.write_part
        with atomic_output(path) as fh:
            rewrite_package(frame, fh, writers)

    def close(self) -> None:
        for sheet in self._sheets:
            sheet.close()


class StreamingSheet:
    """One sheet: the frame lives in openpyxl, the data rows in a temporary file until the book is saved."""

    def __init__(self, book: StreamingBook, ws, columns: list[Column], *, title: str, subtitle: str | None,
                 autofilter: bool):
        printed = [c.printed for c in columns]
        if printed != sorted(printed, reverse=True):
            raise ValueError("columns that are not printed must come after all printed columns")
        self.book, self.ws, self.columns = book, ws, columns
        self.marker = f"LZDOCS-ROWS-{uuid.uuid4().hex}"
        self._letters = [get_column_letter(i) for i in range(1, max(len(columns), 1) + 1)]
        self._styles = [c.style for c in columns]
        self.layout = print_layout(columns)
        self._widths = self.layout.widths
        # Text this short fits on one line; a column that does not wrap never makes its row taller.
        self._fits = [int((w - 0.8) / 1.8) if _wraps(c.style) else math.inf for w, c in zip(self._widths, columns)]
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
        ws, last = self.ws, self._letters[self._printed_columns - 1]  # the title is centred over the printed part
        self._put(1, 1, title, "title")
        ws.merge_cells(f"A1:{last}1")
        ws.row_dimensions[1].height = 32
        if subtitle is not None:
            self.set_subtitle(subtitle)
            ws.merge_cells(f"A2:{last}2")
            ws.row_dimensions[2].height = 20
        for i, (column, width) in enumerate(zip(self.columns, self._widths), 1):
            self._put(self.header_row, i, column.label, "header")
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.row_dimensions[self.header_row].height = 24
        self._put(self.first_row, 1, self.marker, "text")
        ws.freeze_panes = f"A{self.first_row}"
        if autofilter:
            ws.auto_filter.ref = f"A{self.header_row}:{self._letters[-1]}{self.header_row}"
        self._page_setup()

    def _page_setup(self) -> None:
        """A4 landscape, the header row on every page, 第 n 页 共 m 页 in the footer, fitted to the page width
        (see :func:`print_layout`); the print area (set on save) leaves the machine columns out."""
        ws, layout = self.ws, self.layout
        ws.print_title_rows = f"{self.header_row}:{self.header_row}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.scale = layout.scale
        if layout.fit_to_width:
            ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
            ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.3, footer=0.3)
        ws.print_options.horizontalCentered = True
        ws.oddFooter.center.text = FOOTER
        ws.oddFooter.center.font = "宋体"
        ws.oddFooter.center.size = 9

    def add_chart(self, chart, *, rows: int) -> None:
        """Put ``chart`` beside the table, after a narrow gap, at the header row, on columns of known width,
        and print it with the table (the scale is worked out again for the wider print area)."""
        if self._printed_columns != len(self.columns):
            raise ValueError("a chart goes beside a table whose columns are all printed")
        gap, width = len(self.columns), CHART_COLUMN_WIDTH
        n = math.ceil(chart.width * 72 / 2.54 / (width * EXCEL_PT_PER_UNIT))  # openpyxl gives the width in cm
        self.ws.column_dimensions[self._letter(gap)].width = 2
        for i in range(gap + 1, gap + 1 + n):
            self.ws.column_dimensions[self._letter(i)].width = width
        self.ws.add_chart(chart, f"{self._letter(gap + 1)}{self.header_row}")
        self._printed_columns = gap + 1 + n
        self._print_to_row = self.header_row + rows
        extra = [Column("", 2), *(Column("", width) for _ in range(n))]
        self.layout = print_layout([*self.columns, *extra])
        self._page_setup()

    def set_print_area(self) -> None:
        """The title, header and rows of the printed columns (called by the book before it saves)."""
        last_row = max(self.last_row, self._print_to_row)
        self.ws.print_area = f"A1:{self._letter(self._printed_columns - 1)}{last_row}"

    def _put(self, row: int, column: int, value, style: str) -> None:
        value, problems = safe_cell_value(value)
        for problem in problems:
            self.book.warn(f"《{self.ws.title}》第{row}行：{problem}")
        cell = self.ws.cell(row=row, column=column, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever the text starts with
        apply_style(cell, style)

    def set_subtitle(self, text: str) -> None:
        """The line under the title (e.g. counts known only after the rows are written)."""
        if self._subtitle_row is None:
            raise ValueError("this sheet has no subtitle row")
        self._put(self._subtitle_row, 1, text, "subtitle")

    # --- rows ---------------------------------------------------------------------------------------
    def append(self, values: Sequence, styles: Sequence[str | None] | None = None) -> int:
        """Add one data row; ``styles`` overrides the column styles cell by cell. Returns the row number."""
        r = self.next_row
        cells, lines = [], 1
        for i, value in enumerate(values):
            style = styles[i] if styles is not None and i < len(styles) and styles[i] else self._style_at(i)
            xml, text = self._cell(i, r, value, style)
            cells.append(xml)
            if text is not None and i < len(self._fits) and (len(text) > self._fits[i] or "\n" in text):
                lines = max(lines, line_count(text, self._widths[i]))
        height = f' ht="{min(lines * LINE_PT + 3, MAX_ROW_PT):g}" customHeight="1"' if lines > 1 else ""
        self._width = max(self._width, len(values))
        self._pending.append(f'<row r="{r}"{height}>{"".join(cells)}</row>')
        if len(self._pending) >= 1000:
            self.flush()
        self.next_row += 1
        return r

    def _style_at(self, i: int) -> str:
        return self._styles[i] if i < len(self._styles) else "text"

    def _letter(self, i: int) -> str:
        while i >= len(self._letters):
            self._letters.append(get_column_letter(len(self._letters) + 1))
        return self._letters[i]

    def _cell(self, i: int, r: int, value, style: str) -> tuple[str, str | None]:
        """The cell's XML, and its text when it is text (for the row height)."""
        value, problems = safe_cell_value(value)
        for problem in problems:
            label = self._labels[i] if i < len(self._labels) else self._letter(i)
            self.book.warn(f"《{self.ws.title}》第{r}行“{label}”：{problem}")
        ref = f"{self._letter(i)}{r}"
        if value is None or value == "":
            return f'<c r="{ref}" s="{self.book.style_id(style)}"/>', None
        if isinstance(value, str):
            sid = self.book.style_id(style, quoted=value.startswith(FORMULA_STARTS))
            return (f'<c r="{ref}" s="{sid}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>',
                    value)
        sid = self.book.style_id(style)
        if isinstance(value, bool):
            return f'<c r="{ref}" s="{sid}" t="b"><v>{int(value)}</v></c>', None
        if isinstance(value, dt.datetime):
            value = (value.replace(tzinfo=None) - _EPOCH) / dt.timedelta(days=1)
        elif isinstance(value, dt.date):
            value = (value - _EPOCH.date()).days
        return f'<c r="{ref}" s="{sid}"><v>{value!r}</v></c>', None

    def flush(self) -> None:
        if self._pending:
            self._rows.write("".join(self._pending).encode("utf-8"))
            self._pending.clear()

    @property
    def last_row(self) -> int:
        return max(self.next_row - 1, self.header_row)

    def write_part(self, frame: bytes) -> Iterator[bytes]:
        """The sheet's XML in pieces: the frame with the marker row replaced by the streamed rows."""
        cut = split_at_marker(frame.decode("utf-8"), self.marker, "row")
        if cut is None:
            raise RuntimeError(f"marker row of sheet {self.ws.title} not found")
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

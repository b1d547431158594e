"""Reading a form from .xlsx: workbook, shared strings, styles and sheets streamed with lxml, merges filled."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections.abc import Sequence
from pathlib import Path

from lzdocs.forms.layout import Table, find_form
from lzdocs.forms.records import RawForm
from lzdocs.forms.schema import FormKind
from lzdocs.forms.xlsx_parts import Budget, Elements, SharedStrings, Sheet, as_int, column_index, unescape
from lzdocs.ooxml.safety import Limits, SafePackage, opened

MAX_MERGED_CELLS = 200_000  # cells a sheet's merges may fill in all
# What a workbook may hold in all, so that memory stays bounded (about 200 MB at worst; see benchmarks/bench_memory.py):
MAX_WORKBOOK_CELLS = 1_000_000  # grid cells, rows × columns as read, of all sheets together
MAX_WORKBOOK_CHARS = 20_000_000  # characters of shared strings and of the texts cells hold themselves
# Built-in number formats that show a date; 27–36 and 50–58 are the Chinese-locale ones.
DATE_FORMAT_IDS = frozenset((*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)))
_EXCEL_EPOCH = {False: dt.datetime(1899, 12, 30), True: dt.datetime(1904, 1, 1)}


def read_xlsx(source: Path | SafePackage, kinds: Sequence[FormKind], limits: Limits) -> RawForm:
    """The form in an .xlsx file (or its package, opened: ``sniff_package``), on whichever sheet matches; raise
    RejectedFile when none does.

    A part over ``xlsx_parts.SMALL_PART`` is streamed (no XML tree is built) and a sheet's content must lie within
    ``limits.max_rows`` × ``limits.max_columns``, so memory stays bounded for any file the zip limits admit."""
    with opened(source, limits) as package:
        tables = _Workbook(package, limits).tables()
    return find_form(tables, kinds)


class _Workbook:
    """The parts of a workbook a reader needs: sheet list, shared strings, date styles."""

    def __init__(self, package: SafePackage, limits: Limits):
        self.package, self.limits = package, limits
        self.budget = Budget(MAX_WORKBOOK_CELLS, MAX_WORKBOOK_CHARS)
        names = set(package.names())
        book = Elements.read(package, "xl/workbook.xml", ("workbookPr", "sheet"))
        rels = _relationships(package, "xl/_rels/workbook.xml.rels", names)
        self.date1904 = any(attrs.get("date1904") in ("1", "true")
                            for _, name, attrs in book if name == "workbookPr")
        self.sheets: list[tuple[str, str, bool]] = []  # (name, part, hidden), visible sheets first
        hidden, parts = [], set()
        for _, name, attrs in book:
            rel = next((v for k, v in attrs.items() if k.endswith("}id")), None)
            kind, target = rels.get(rel, ("", ""))
            if name == "sheet" and kind.endswith("/worksheet") and target in names and target not in parts:
                parts.add(target)  # a part listed twice is read once
                is_hidden = attrs.get("state") in ("hidden", "veryHidden")
                (hidden if is_hidden else self.sheets).append((attrs.get("name") or target, target, is_hidden))
        self.sheets += hidden
        by_type = {kind.rsplit("/", 1)[-1]: target for kind, target in rels.values()}
        strings = by_type.get("sharedStrings", "xl/sharedStrings.xml")
        self.strings = SharedStrings.read(package, strings, self.budget) if strings in names else []
        styles = by_type.get("styles", "xl/styles.xml")
        self.date_styles = _date_styles(package, styles) if styles in names else frozenset()

    def tables(self) -> list[Table]:
        return [self.sheet(name, part, hidden) for name, part, hidden in self.sheets]

    def sheet(self, name: str, part: str, hidden: bool = False) -> Table:
        where = f"{'隐藏的' if hidden else ''}工作表“{name}”"
        sheet = Sheet.read(self.package, part, self.cell_text, where, self.limits, self.budget)
        table = _grid(sheet.cells, sheet.merges, where)
        self.budget.spend(len(table.rows) * table.width)
        table.hidden, table.name = hidden, name
        if sheet.header_footer is not None:  # 页眉: some forms print 单位 and 填表日期 there
            table.before = _page_header_lines(sheet.header_footer)
        return table

    def cell_text(self, kind: str | None, style: str | None, v: str | None, inline: list[str] | None) -> str:
        """The text a cell shows, as far as a form needs: strings verbatim, whole numbers without ".0", dates ISO.
        ``v`` is the text of its ``<v>``, ``inline`` the runs of its inline string ``<is>`` if it has one."""
        if inline is not None:
            return unescape("".join(inline)).strip()
        if not v:
            return ""
        if kind == "s":
            try:
                return self.strings[int(v)]  # stripped when read
            except (ValueError, IndexError):
                return ""
        if kind in ("str", "e", "inlineStr"):
            return unescape(v).strip()
        if kind == "b":
            return "TRUE" if v.strip() in ("1", "true") else "FALSE"
        if kind == "d":
            return v.strip()[:10]
        try:
            number = float(v)
        except ValueError:
            return v.strip()
        if as_int(style, 0) in self.date_styles and 1 <= number < 2958466:
            return (_EXCEL_EPOCH[self.date1904] + dt.timedelta(days=number)).date().isoformat()
        if number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return f"{number:.15g}"


def _grid(cells: dict[int, dict[int, str]], merges: list[str], where: str) -> Table:
    """Rows as lists from the first used row on; every cell of a merged range gets its top-left text."""
    if not cells:
        return Table([], [], where)
    last = max(cells)
    width = max(max(row) for row in cells.values()) + 1
    own = {r: set(row) for r, row in cells.items()}
    budget = MAX_MERGED_CELLS
    lent: dict[int, set[int]] = {}  # Excel row → columns given text by a merge above
    for ref in merges:
        box = _range(ref)
        if box is None:
            continue
        r0, c0, r1, c1 = box
        text = cells.get(r0, {}).get(c0)
        if not text:
            continue
        r1, c1 = min(r1, last), min(c1, width - 1)
        area = (r1 - r0 + 1) * (c1 - c0 + 1)
        if area > budget:
            continue  # a merge over most of the sheet is not part of a form
        budget -= area
        for r in range(r0, r1 + 1):
            row = cells.setdefault(r, {})
            for c in range(c0, c1 + 1):
                row[c] = text
            if r > r0:
                lent.setdefault(r, set()).update(range(c0, c1 + 1))
    rows, numbers, own_blank, inherited = [], [], set(), {}
    for r in sorted(cells):
        row = cells[r]
        if not own.get(r):
            own_blank.add(len(rows))
        if r in lent:
            inherited[len(rows)] = lent[r]
        rows.append([row.get(c, "") for c in range(width)])
        numbers.append(r)
    return Table(rows, numbers, where, own_blank, inherited=inherited)


def _relationships(package: SafePackage, part: str, names: set[str]) -> dict[str, tuple[str, str]]:
    """Relationship id → (type, target part name) for a part in xl/."""
    if part not in names:
        return {}
    out = {}
    for _, _, rel in Elements.read(package, part, ("Relationship",), ("Id", "Type", "Target")):
        target = rel.get("Target", "")
        name = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        out[rel.get("Id")] = (rel.get("Type", ""), name)
    return out


_PAGE_CODE = re.compile(r'&"[^"]*"|&K[0-9A-Fa-f]{6}|&K\d\d[+-]\d{3}|&\d+|&[ABD-KM-QS-Za-z]')


def _page_header_lines(header_footer: list[tuple[str, str]]) -> list[list[str]]:
    """The page header's left, centre and right texts, one line per header kind, format codes removed."""
    lines = []
    for tag, text in header_footer:
        if not tag.endswith("Header") or not text:
            continue
        text = _PAGE_CODE.sub("", text.replace("&&", "\0"))
        cells = [part.replace("\0", "&").strip() for part in re.split(r"&[LCR]", text)]
        line = [c for c in cells if c]
        if line and line not in lines:
            lines.append(line)
    return lines


_FORMAT_NOISE = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.|general', re.IGNORECASE)
_DATE_TOKEN = re.compile(r"[ymdhs]|e(?![+-])", re.IGNORECASE)


def _date_styles(package: SafePackage, part: str) -> frozenset[int]:
    """Indexes of the cell formats (``cellXfs``) whose number format shows a date."""
    styles = Elements.read(package, part, ("numFmt", "xf"), ("numFmtId", "formatCode"))
    custom = {}
    for _, name, attrs in styles:
        if name == "numFmt":
            code = _FORMAT_NOISE.sub("", attrs.get("formatCode", ""))
            custom[as_int(attrs.get("numFmtId"), -1)] = bool(_DATE_TOKEN.search(code))
    dates = set()
    xfs = (attrs for parent, name, attrs in styles if name == "xf" and parent == "cellXfs")
    for i, attrs in enumerate(xfs):
        fid = as_int(attrs.get("numFmtId"), 0)
        if custom.get(fid, fid in DATE_FORMAT_IDS):
            dates.add(i)
    return frozenset(dates)


_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


def _range(ref: str) -> tuple[int, int, int, int] | None:
    """"B6:B8" → (6, 1, 8, 1): rows as Excel numbers them, zero-based columns."""
    parts = [_REF.fullmatch(p) for p in ref.split(":")]
    if len(parts) != 2 or None in parts:
        return None
    (c0, r0), (c1, r1) = ((column_index(m.group(1)), int(m.group(2))) for m in parts)
    return min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1)

"""Reading a form from .xlsx: workbook, shared strings, styles and sheets parsed with lxml, merges filled."""

from __future__ import annotations

import datetime as dt
import functools
import posixpath
import re
from pathlib import Path
from typing import NamedTuple, Sequence

from lxml import etree

from lzdocs.forms.layout import Table, find_form, visible
from lzdocs.forms.records import RawForm
from lzdocs.forms.schema import FormKind
from lzdocs.ooxml.safety import Limits, SafePackage

MAX_COLUMNS = 200  # cells further right are ignored (no form is that wide)
MAX_MERGED_CELLS = 200_000  # cells a sheet's merges may fill in all
# Built-in number formats that show a date; 27–36 and 50–58 are the Chinese-locale ones.
DATE_FORMAT_IDS = frozenset((*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)))
_EXCEL_EPOCH = {False: dt.datetime(1899, 12, 30), True: dt.datetime(1904, 1, 1)}


def read_xlsx(path: Path, kinds: Sequence[FormKind], limits: Limits) -> RawForm:
    """The form in an .xlsx file, on whichever sheet matches; raise RejectedFile when none does."""
    with SafePackage(Path(path), limits) as package:
        tables = _Workbook(package).tables()
    return find_form(tables, kinds)


class _Workbook:
    """The parts of a workbook a reader needs: sheet list, shared strings, date styles."""

    def __init__(self, package: SafePackage):
        self.package = package
        names = set(package.names())
        book = package.xml("xl/workbook.xml")
        self.ns = _namespace(book)
        rels = _relationships(package, "xl/_rels/workbook.xml.rels", names)
        self.date1904 = any(pr.get("date1904") in ("1", "true")
                            for pr in book.iter(f"{{{self.ns}}}workbookPr"))
        self.sheets: list[tuple[str, str, bool]] = []  # (name, part, hidden), visible sheets first
        hidden = []
        for sheet in book.iter(f"{{{self.ns}}}sheet"):
            rel = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
            kind, target = rels.get(rel, ("", ""))
            if kind.endswith("/worksheet") and target in names:
                is_hidden = sheet.get("state") in ("hidden", "veryHidden")
                (hidden if is_hidden else self.sheets).append((sheet.get("name") or target, target, is_hidden))
        self.sheets += hidden
        by_type = {kind.rsplit("/", 1)[-1]: target for kind, target in rels.values()}
        strings = by_type.get("sharedStrings", "xl/sharedStrings.xml")
        self.strings = _shared_strings(package.xml(strings)) if strings in names else []
        styles = by_type.get("styles", "xl/styles.xml")
        self.date_styles = _date_styles(package.xml(styles)) if styles in names else frozenset()

    def tables(self) -> list[Table]:
        return [self.sheet(name, part, hidden) for name, part, hidden in self.sheets]

    def sheet(self, name: str, part: str, hidden: bool = False) -> Table:
        root = self.package.xml(part)
        tags = _tags(_namespace(root))
        cells: dict[int, dict[int, str]] = {}
        data = root.find(tags.sheetData)
        number = 0
        for row in (data.iterchildren(tags.row) if data is not None else ()):
            number = _int(row.get("r"), number + 1)
            values: dict[int, str] = {}
            col = -1
            for c in row.iterchildren(tags.c):
                ref = c.get("r")
                col = _column(ref) if ref else col + 1
                if col < MAX_COLUMNS:
                    text = self.cell_text(c, tags)
                    if text:
                        values[col] = text
            if values:
                cells.setdefault(number, {}).update(values)
        merges = [m.get("ref", "") for m in root.iter(tags.mergeCell)]
        table = _grid(cells, merges, f"{'隐藏的' if hidden else ''}工作表“{name}”")
        table.hidden = hidden
        page = root.find(tags.headerFooter)
        if page is not None:  # 页眉: some forms print 单位 and 填表日期 there
            table.before = _page_header_lines(page)
        return table

    def cell_text(self, c: etree._Element, tags: "_Tags") -> str:
        """The text a cell shows, as far as a form needs: strings verbatim, whole numbers without ".0", dates ISO."""
        v = None
        for child in c:  # <v>, or <is> for an inline string, possibly after <f>
            if child.tag == tags.v:
                v = child.text
            elif child.tag == tags.is_:
                return _rich_text(child, tags).strip()
        if not v:
            return ""
        kind = c.get("t")
        if kind == "s":
            try:
                return self.strings[int(v)].strip()
            except (ValueError, IndexError):
                return ""
        if kind in ("str", "e", "inlineStr"):
            return _unescape(v).strip()
        if kind == "b":
            return "TRUE" if v.strip() in ("1", "true") else "FALSE"
        if kind == "d":
            return v.strip()[:10]
        try:
            number = float(v)
        except ValueError:
            return v.strip()
        if _int(c.get("s"), 0) in self.date_styles and 1 <= number < 2958466:
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


def _namespace(root: etree._Element) -> str:
    return root.tag[1:root.tag.index("}")] if root.tag.startswith("{") else ""


def _relationships(package: SafePackage, part: str, names: set[str]) -> dict[str, tuple[str, str]]:
    """Relationship id → (type, target part name) for a part in xl/."""
    if part not in names:
        return {}
    out = {}
    for rel in package.xml(part):
        target = rel.get("Target", "")
        name = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        out[rel.get("Id")] = (rel.get("Type", ""), name)
    return out


class _Tags(NamedTuple):
    sheetData: str
    row: str
    c: str
    v: str
    is_: str
    t: str
    r: str
    si: str
    mergeCell: str
    headerFooter: str


@functools.lru_cache(maxsize=4)
def _tags(ns: str) -> _Tags:
    """Clark names of the SpreadsheetML elements read here (transitional or strict namespace)."""
    return _Tags(*(f"{{{ns}}}{name}" for name in ("sheetData", "row", "c", "v", "is", "t", "r", "si",
                                                        "mergeCell", "headerFooter")))


_PAGE_CODE = re.compile(r'&"[^"]*"|&K[0-9A-Fa-f]{6}|&K\d\d[+-]\d{3}|&\d+|&[ABD-KM-QS-Za-z]')


def _page_header_lines(header_footer: etree._Element) -> list[list[str]]:
    """The page header's left, centre and right texts, one line per header kind, format codes removed."""
    lines = []
    for el in header_footer:
        if not el.tag.endswith("Header") or not el.text:
            continue
        text = _PAGE_CODE.sub("", el.text.replace("&&", "\0"))
        cells = [part.replace("\0", "&").strip() for part in re.split(r"&[LCR]", text)]
        line = [c for c in cells if c]
        if line and line not in lines:
            lines.append(line)
    return lines


def _shared_strings(root: etree._Element) -> list[str]:
    tags = _tags(_namespace(root))
    out = []
    for si in root.iterchildren(tags.si):
        first = si[0] if len(si) else None
        if len(si) == 1 and first.tag == tags.t:
            out.append(_unescape(first.text or ""))
        else:
            out.append(_rich_text(si, tags))
    return out


def _rich_text(el: etree._Element, tags: _Tags) -> str:
    """Text of a string item: plain ``t`` and rich-text runs, without phonetic (``rPh``) guides."""
    parts = []
    for child in el:
        if child.tag == tags.t:
            parts.append(child.text or "")
        elif child.tag == tags.r:
            parts.extend(t.text or "" for t in child.iterchildren(tags.t))
    return _unescape("".join(parts))


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """OOXML's ``_x000D_`` escapes back to characters; invisible characters (zero-width spaces…) dropped."""
    return visible(_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text)


_FORMAT_NOISE = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.|general', re.IGNORECASE)
_DATE_TOKEN = re.compile(r"[ymdhs]|e(?![+-])", re.IGNORECASE)


def _date_styles(root: etree._Element) -> frozenset[int]:
    """Indexes of the cell formats (``cellXfs``) whose number format shows a date."""
    ns = _namespace(root)
    custom = {}
    for fmt in root.iter(f"{{{ns}}}numFmt"):
        code = _FORMAT_NOISE.sub("", fmt.get("formatCode", ""))
        custom[_int(fmt.get("numFmtId"), -1)] = bool(_DATE_TOKEN.search(code))
    xfs = root.find(f"{{{ns}}}cellXfs")
    dates = set()
    for i, xf in enumerate(xfs.iterchildren(f"{{{ns}}}xf") if xfs is not None else ()):
        fid = _int(xf.get("numFmtId"), 0)
        if custom.get(fid, fid in DATE_FORMAT_IDS):
            dates.add(i)
    return frozenset(dates)


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


def _column(ref: str) -> int:
    """"AB12" → 27 (zero-based column)."""
    col = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            col = col * 26 + ord(ch) - 64
        elif "a" <= ch <= "z":
            col = col * 26 + ord(ch) - 96
        elif ch != "$":
            break
    return col - 1


def _range(ref: str) -> tuple[int, int, int, int] | None:
    """"B6:B8" → (6, 1, 8, 1): rows as Excel numbers them, zero-based columns."""
    parts = [_REF.fullmatch(p) for p in ref.split(":")]
    if len(parts) != 2 or None in parts:
        return None
    (c0, r0), (c1, r1) = ((_column(m.group(1)), int(m.group(2))) for m in parts)
    return min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1)

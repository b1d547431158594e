"""Reading a form from .docx: word/document.xml with lxml — content controls, merges, tracked changes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from lxml import etree

from lzdocs.forms.layout import CONTEXT_LINES, Table, find_form, visible
from lzdocs.forms.records import RawForm
from lzdocs.forms.schema import FormKind
from lzdocs.ooxml.safety import Limits, SafePackage, opened

W_MAIN = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
MAX_SPAN = 64  # a gridSpan larger than this is not a form
MAX_COLUMNS = 200
PAGE_HEADER = re.compile(r"word/header\d*\.xml")  # 页眉: some forms put 单位 and 填表日期 there


def read_docx(source: Path | SafePackage, kinds: Sequence[FormKind], limits: Limits) -> RawForm:
    """The form in a .docx file (or its package, opened: ``sniff_package``); raise RejectedFile when no table matches
    a kind."""
    with opened(source, limits) as package:
        root = package.xml("word/document.xml")
        headers = [package.xml(name) for name in sorted(package.names()) if PAGE_HEADER.fullmatch(name)]
    return find_form(document_tables(root, headers), kinds)


def document_tables(root: etree._Element, page_headers: Sequence[etree._Element] = ()) -> list[Table]:
    """Every table of a parsed document.xml (nested ones too), each with the lines of text around it.

    The lines of the page headers (``word/header*.xml``) come first, as the top of the first page.
    """
    w = _Tags(root.tag[1:root.tag.index("}")] if root.tag.startswith("{") else W_MAIN)
    body = root.find(w.body)
    if body is None:
        return []
    reader = _BodyReader(w, _prepare(root, w))
    for header in page_headers:
        page = _BodyReader(w, _prepare(header, w))
        page.read(header)
        reader.lines.extend(line for line in page.lines if line not in reader.lines)
    reader.read(body)
    return reader.tables()


class _Tags:
    """Clark names of the WordprocessingML elements read here (transitional or strict namespace)."""

    def __init__(self, ns: str):
        for name in ("body", "p", "r", "t", "tab", "br", "cr", "noBreakHyphen", "tbl", "tr", "tc", "trPr",
                     "tcPr", "gridSpan", "gridBefore", "vMerge", "sdt", "sdtPr", "sdtContent", "showingPlcHdr",
                     "customXml", "del", "moveFrom", "txbxContent", "val", "sym", "font", "char", "rFonts", "ascii",
                     "hAnsi"):
            setattr(self, "del_" if name == "del" else name, f"{{{ns}}}{name}")


def _prepare(root: etree._Element, w: _Tags) -> set:
    """Make the tree read as Word shows it; return the rows deleted as tracked changes.

    Deleted text (``w:del``, ``w:moveFrom``) and placeholder text of empty content controls are
    dropped, inserted text (``w:ins``) stays, and run-level tabs and breaks become characters.
    """
    deleted_rows = {d.getparent().getparent() for d in root.iter(w.del_) if d.getparent().tag == w.trPr}
    for sdt in root.iter(w.sdt):
        props = sdt.find(w.sdtPr)
        if props is not None and props.find(w.showingPlcHdr) is not None:
            for t in sdt.iter(w.t):
                t.text = ""
    etree.strip_elements(root, w.del_, w.moveFrom, MC_FALLBACK, with_tail=False)
    for el in root.iter(w.tab, w.br, w.cr, w.noBreakHyphen):
        if el.getparent().tag == w.r:
            el.text = "\t" if el.tag == w.tab else "-" if el.tag == w.noBreakHyphen else "\n"
    _symbols(root, w)
    return deleted_rows


# Tick boxes drawn in Word's symbol fonts (插入 → 符号, or typed in the font): code → the character they show.
SYMBOLS = {"wingdings": {0xFE: "☑", 0xFD: "☒", 0xFC: "✓", 0xA8: "□", 0x6F: "□", 0x6E: "■", 0xA1: "○", 0x6C: "●"},
           "wingdings 2": {0x52: "☑", 0x53: "☒", 0x50: "✓", 0xA3: "□"}}


def _symbols(root: etree._Element, w: _Tags) -> None:
    """``w:sym`` and text in a symbol font as the tick boxes they show; other symbol-font characters read as nothing."""
    for sym in root.iter(w.sym):
        table = SYMBOLS.get((sym.get(w.font) or "").strip().lower())
        if table is not None and sym.getparent().tag == w.r:
            sym.text = table.get(_int(sym.get(w.char), 0, 16) & 0xFF, "")
    for fonts in root.iter(w.rFonts):
        table = SYMBOLS.get((fonts.get(w.ascii) or fonts.get(w.hAnsi) or "").strip().lower())
        run = fonts.getparent().getparent() if fonts.getparent() is not None else None
        if table is None or run is None or run.tag != w.r:
            continue
        for t in run.iter(w.t):  # the font draws the one-byte codes (and F0xx); Chinese text keeps its own font
            t.text = "".join(table.get(ord(ch) & 0xFF, "") if ord(ch) < 0x100 or 0xF000 <= ord(ch) <= 0xF0FF else ch
                             for ch in t.text or "")


class _Cell:
    __slots__ = ("span", "vmerge", "parts")

    def __init__(self):
        self.span, self.vmerge, self.parts = 1, None, []


class _OpenTable:
    """A table being read: finished rows, the row and cell open now, vMerge texts by grid column."""

    def __init__(self, slot: int, start: int):
        self.slot, self.start = slot, start
        self.rows: list[list[str]] = []
        self.numbers: list[int] = []
        self.own_blank: set[int] = set()
        self.inherited: dict[int, set[int]] = {}  # row index → grid columns continuing a vMerge
        self.merged: dict[int, str] = {}  # grid column → text of the vMerge restart cell above
        self.number = 0
        self.cells: list[str] = []
        self.continued: list[int] = []
        self.own = False
        self.deleted = False
        self.cell: _Cell | None = None


class _BodyReader:
    """Walks the body once in reading order, collecting tables and the lines of text between them."""

    def __init__(self, w: _Tags, deleted_rows: set):
        self.w = w
        self.deleted_rows = deleted_rows
        self.lines: list[list[str]] = []
        self.found: list[tuple[Table, int, int] | None] = []

    def tables(self) -> list[Table]:
        out = []
        previous_end = None
        for table, start, end in filter(None, self.found):
            table.before = self.lines[max(0, start - CONTEXT_LINES):start]
            table.after = self.lines[end:end + CONTEXT_LINES]
            if previous_end is not None and previous_end <= start:  # follows the previous table, not inside it
                table.gap = self.lines[previous_end:start]
            previous_end = end
            out.append(table)
        return out

    def read(self, body: etree._Element) -> None:
        """One walk over the body. The text elements are walked too, their texts gathered in ``texts`` while a
        paragraph is open: a paragraph's text is what was gathered since it started (a text box's paragraphs are
        inside their anchor's), cheaper than searching each paragraph's elements again."""
        w = self.w
        P, TC, TR, TBL, SPAN, VMERGE, BEFORE = w.p, w.tc, w.tr, w.tbl, w.gridSpan, w.vMerge, w.gridBefore
        text_tags, TEXTBOX = (w.t, w.tab, w.br, w.cr, w.noBreakHyphen, w.sym), w.txbxContent
        is_text = frozenset(text_tags).__contains__
        stack: list[_OpenTable] = []
        texts: list[str] = []
        paragraphs: list[int] = []  # where each open paragraph's text starts in ``texts``
        walk = etree.iterwalk(body, events=("start", "end"), tag=(P, TC, TR, TBL, SPAN, VMERGE, BEFORE, *text_tags))
        for event, el in walk:
            tag = el.tag
            if is_text(tag):
                if paragraphs and event == "start":
                    texts.append(el.text or "")
                continue
            top = stack[-1] if stack else None
            if tag == P:
                if event == "start":
                    paragraphs.append(len(texts))
                    continue
                start = paragraphs.pop()
                if el.getparent().tag != TEXTBOX:  # a text box is read with its anchor
                    text = visible("".join(texts[start:]))
                    if top is not None and top.cell is not None:
                        top.cell.parts.append(text)
                    elif top is None and text.strip():
                        self.lines.append([text.strip()])
                if not paragraphs:
                    texts.clear()
            elif tag == TC:
                if top is None:
                    continue
                if event == "start":
                    top.cell = _Cell()
                elif top.cell is not None:
                    self.end_cell(top)
            elif tag == TR:
                if top is None:
                    continue
                if event == "start":
                    top.cells, top.continued, top.own = [], [], False
                    top.deleted = el in self.deleted_rows
                elif not top.deleted:
                    self.end_row(top)
            elif tag == TBL:
                if event == "start":
                    stack.append(_OpenTable(len(self.found), len(self.lines)))
                    self.found.append(None)
                else:
                    self.end_table(stack.pop())
            elif event == "start" and top is not None:
                self.property(top, el)

    def property(self, top: _OpenTable, el: etree._Element) -> None:
        """gridSpan and vMerge of the open cell, gridBefore of the open row (not those of tracked changes)."""
        w = self.w
        holder = el.getparent()
        owner = holder.getparent() if holder is not None else None
        if el.tag == w.gridBefore:
            if owner is not None and owner.tag == w.tr and not top.cells:
                top.cells = [""] * _int(el.get(w.val), 0)
        elif top.cell is not None and owner is not None and owner.tag == w.tc:
            if el.tag == w.gridSpan:
                top.cell.span = max(1, _int(el.get(w.val), 1))
            else:
                top.cell.vmerge = "restart" if el.get(w.val) == "restart" else "continue"

    def end_cell(self, top: _OpenTable) -> None:
        cell, top.cell = top.cell, None
        col = len(top.cells)
        if col >= MAX_COLUMNS:
            return
        if cell.vmerge == "continue":
            text = top.merged.get(col, "")
            top.continued.extend(range(col, col + cell.span))
        else:
            text = "\n".join(cell.parts).strip()
            top.own = top.own or bool(text)
            for k in range(col, col + cell.span):
                if cell.vmerge == "restart":
                    top.merged[k] = text
                else:
                    top.merged.pop(k, None)
        top.cells.extend([text] * cell.span)

    def end_row(self, top: _OpenTable) -> None:
        cells = top.cells
        top.number += 1
        top.rows.append(cells)
        top.numbers.append(top.number)
        if not top.own:
            top.own_blank.add(len(top.rows) - 1)
        if top.continued:
            top.inherited[len(top.rows) - 1] = set(top.continued)
        line = [t for i, t in enumerate(cells) if t and (i == 0 or t != cells[i - 1])]
        if line:
            self.lines.append(line)

    def end_table(self, top: _OpenTable) -> None:
        table = Table(top.rows, top.numbers, f"第{top.slot + 1}个表格", top.own_blank, inherited=top.inherited)
        self.found[top.slot] = (table, top.start, len(self.lines))


def _int(text: str | None, default: int, base: int = 10) -> int:
    try:
        return max(0, min(int(text, base), MAX_SPAN if base == 10 else 0xFFFF)) if text is not None else default
    except ValueError:
        return default

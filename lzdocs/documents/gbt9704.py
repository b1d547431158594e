"""GB/T 9704 layout of red-header documents: page and grid, 版头, title, 主送, 署名, 版记 and page-number footers."""

from __future__ import annotations

import datetime as dt
import math
from copy import deepcopy
from dataclasses import dataclass
from xml.sax.saxutils import escape

from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn

from lzdocs.documents.titles import text_width
from lzdocs.ooxml.fonts import FANGSONG, HEITI, KAITI, SONGTI, XIAOBIAOSONG, add_text, set_run_font, set_style_font
from lzdocs.ooxml.wordml import (
    PPR_ORDER,
    RPR_ORDER,
    SECT_ORDER,
    add_page_number,
    add_tab_stop,
    blank_document,
    scale_run,
    set_border,
    set_child,
    tidy_package,
    tiny_paragraph,
)
from lzdocs.textutil import chinese_date

RED = "FF0000"
DASH = "\u2014"  # 一字线 of the page number "— 1 —"
STYLES = ("2012", "1999")


def mm(value: float) -> int:
    """Millimetres → twentieths of a point (twips), the unit of page geometry in WordprocessingML."""
    return round(value * 1440 / 25.4)


@dataclass(frozen=True)
class Page:
    """A4 and the 版心 of GB/T 9704-2012 §5.2: margins 37/28/26/35 mm, 22 lines × 28 characters of 3号."""

    width_mm: float = 210
    height_mm: float = 297
    top_mm: float = 37
    bottom_mm: float = 35
    left_mm: float = 28
    right_mm: float = 26
    lines: int = 22
    chars: int = 28
    font_pt: float = 16
    footer_mm: float = 25  # the page number's 一字线 sits about 7 mm below the 版心
    header_mm: float = 15

    @property
    def text_width(self) -> int:
        """Width of the 版心 in twips (156 mm)."""
        return mm(self.width_mm) - mm(self.left_mm) - mm(self.right_mm)

    @property
    def text_height(self) -> int:
        return mm(self.height_mm) - mm(self.top_mm) - mm(self.bottom_mm)

    @property
    def line_pitch(self) -> int:
        """Exact line spacing in twips: 22 lines fill the 版心 (579 twips ≈ 28.95 pt)."""
        return self.text_height // self.lines

    @property
    def char_pitch(self) -> float:
        """One 字 (a character cell of the grid) in twips: 28 of them fill a line."""
        return self.text_width / self.chars

    @property
    def char_space(self) -> int:
        """``w:docGrid/@w:charSpace``: the grid cell minus the font size, in 1/4096 pt (negative: condensed)."""
        return math.floor((self.char_pitch / 20 - self.font_pt) * 4096)

    @property
    def condense(self) -> int:
        """Character spacing (twentieths of a point, negative) that fits 28 characters of 3号 on a line.

        Word and WPS do this through the grid's charSpace; LibreOffice (7.x) gives every 16 pt character two
        grid cells instead, so paragraphs stay off the character grid and carry this spacing instead.
        """
        return math.floor((self.char_pitch / 20 - self.font_pt) * 20) - 1

    def chars_twips(self, n: float) -> int:
        return round(n * self.char_pitch)


PAGE = Page()


def format_paragraph(p, page: Page = PAGE, *, align: str | None = None, first_line: float = 0,
                     left: float = 0, right: float = 0, hanging: float = 0, line: int | None = None,
                     before: int = 0, after: int = 0, keep_next: bool = False,
                     page_break_before: bool = False) -> None:
    """Spacing (twips, exact line height), indents (in 字, written both in chars and twips) and alignment."""
    ppr = p._p.get_or_add_pPr()
    if keep_next:
        set_child(ppr, "keepNext", PPR_ORDER)
    if page_break_before:
        set_child(ppr, "pageBreakBefore", PPR_ORDER)
    set_child(ppr, "spacing", PPR_ORDER, before=before, after=after, line=line or page.line_pitch,
              lineRule="exact")
    ind: dict = {}
    if left:
        ind.update(left=page.chars_twips(left), leftChars=round(left * 100))
    if right:
        ind.update(right=page.chars_twips(right), rightChars=round(right * 100))
    if first_line:
        ind.update(firstLine=page.chars_twips(first_line), firstLineChars=round(first_line * 100))
    if hanging:
        ind.update(hanging=page.chars_twips(hanging), hangingChars=round(hanging * 100))
    if ind:
        set_child(ppr, "ind", PPR_ORDER, **ind)
    if align:
        set_child(ppr, "jc", PPR_ORDER, val="both" if align == "justify" else align)


# --- the document and its sections --------------------------------------------------------------

def new_document(page: Page = PAGE):
    """An empty document laid out per GB/T 9704: A4, 版心, grid, 3号仿宋 Normal, odd/even page numbers."""
    doc = blank_document()
    tidy_package(doc)
    _set_defaults(doc, page)
    sect = doc.sections[0]._sectPr
    apply_geometry(sect, page)
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    _page_number(section.footer.paragraphs[0], page, odd=True)
    section.even_page_footer.is_linked_to_previous = False
    _page_number(section.even_page_footer.paragraphs[0], page, odd=False)
    return doc


def _set_defaults(doc, page: Page) -> None:
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for key, value in (("ascii", "Times New Roman"), ("hAnsi", "Times New Roman"), ("eastAsia", FANGSONG),
                       ("cs", "Times New Roman")):
        fonts.set(qn(f"w:{key}"), value)
    set_child(rpr, "sz", RPR_ORDER, val=round(page.font_pt * 2))
    set_child(rpr, "szCs", RPR_ORDER, val=round(page.font_pt * 2))
    set_child(rpr, "lang", RPR_ORDER, val="en-US", eastAsia="zh-CN", bidi="ar-SA")
    ppr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    # Widow and orphan control said outright (LibreOffice assumes it, Word and WPS need not): documents/pages.py
    # counts the pages with it.
    set_child(ppr, "widowControl", PPR_ORDER)
    set_child(ppr, "spacing", PPR_ORDER, after=0, before=0, line=page.line_pitch, lineRule="exact")
    set_child(ppr, "jc", PPR_ORDER, val="both")
    normal = doc.styles["Normal"]
    set_style_font(normal, FANGSONG, page.font_pt)
    set_child(normal.element.get_or_add_rPr(), "spacing", RPR_ORDER, val=page.condense)
    set_child(normal.element.get_or_add_pPr(), "snapToGrid", PPR_ORDER, val=0)
    lang = doc.settings.element.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")


def apply_geometry(sect, page: Page, *, landscape: bool = False) -> None:
    """Page size, margins and the 22×28 document grid on one ``w:sectPr``."""
    w, h = mm(page.width_mm), mm(page.height_mm)
    size = {"w": h, "h": w, "orient": "landscape"} if landscape else {"w": w, "h": h}
    pgsz = set_child(sect, "pgSz", SECT_ORDER, **size)
    if not landscape and pgsz.get(qn("w:orient")) is not None:
        del pgsz.attrib[qn("w:orient")]
    set_child(sect, "pgMar", SECT_ORDER, top=mm(page.top_mm), right=mm(page.right_mm),
              bottom=mm(page.bottom_mm), left=mm(page.left_mm), header=mm(page.header_mm),
              footer=mm(page.footer_mm), gutter=0)
    set_child(sect, "docGrid", SECT_ORDER, type="linesAndChars", linePitch=page.line_pitch,
              charSpace=page.char_space)


def _page_number(p, page: Page, *, odd: bool) -> None:
    """"— 1 —" in 4号宋体: odd pages on the right, even pages on the left, one 字 in from the edge."""
    format_paragraph(p, page, align="right" if odd else "left", line=360)
    one = round(14 * 20)  # one 4号 character, in twips
    ind = set_child(p._p.get_or_add_pPr(), "ind", PPR_ORDER)
    ind.set(qn("w:right" if odd else "w:left"), str(one))
    add_page_number(p, _songti, DASH)


def _songti(run) -> None:
    set_run_font(run, SONGTI, "四号", latin=SONGTI)


def close_section(doc, *, kind: str = "nextPage"):
    """End the current section at the last paragraph (no extra line); return the new last ``w:sectPr``.

    The new section starts on a new page and inherits the footers (page numbers) of the one before.
    """
    body = doc.element.body
    sentinel = body.get_or_add_sectPr()
    last = sentinel.getprevious()
    if last is None or last.tag != qn("w:p") or last.xpath("w:pPr/w:sectPr"):
        last = tiny_paragraph()
        sentinel.addprevious(last)
    ppr = last.find(qn("w:pPr"))
    if ppr is None:
        ppr = OxmlElement("w:pPr")
        last.insert(0, ppr)
    closed = deepcopy(sentinel)
    set_child(ppr, "sectPr", PPR_ORDER)
    ppr.replace(ppr.find(qn("w:sectPr")), closed)
    for ref in sentinel.xpath("w:headerReference|w:footerReference"):
        sentinel.remove(ref)
    set_child(sentinel, "type", SECT_ORDER, val=kind)
    return sentinel


# --- 版头 (masthead) ----------------------------------------------------------------------------

def masthead_size(mark: str, page: Page = PAGE, *, size: float = 42) -> tuple[float, int]:
    """Font size (pt) and horizontal scale (%) so that the 发文机关标志 fits the 版心 with a little air."""
    width_pt = page.text_width / 20 * 0.96
    natural = text_width(mark) * size
    return size, min(100, math.floor(width_pt / natural * 100)) if natural else 100


def add_masthead(doc, mark: str, page: Page = PAGE, *, top_mm: float = 35):
    """The 发文机关标志: red 小标宋, centred, its top edge ``top_mm`` below the top of the 版心."""
    size, scale = masthead_size(mark, page)
    p = doc.add_paragraph()
    line = round(size * 20 * 1.1)
    before = max(0, mm(top_mm) - round((line - size * 20) * 0.6))
    format_paragraph(p, page, align="center", line=line, before=before)
    run = add_text(p, mark, XIAOBIAOSONG, size, color=RED)
    if scale < 100:
        scale_run(run, scale)
    return p


def add_number_line(doc, number: str, page: Page = PAGE, *, signer: str | None = None):
    """发文字号 two lines below the 标志 — centred, or left with 签发人 on the right — over the red line."""
    p = doc.add_paragraph()
    format_paragraph(p, page, align="center" if not signer else "left", before=2 * page.line_pitch)
    if signer:
        add_tab_stop(p, page.text_width - page.chars_twips(1), "right")
        add_text(p, "\u3000" + number)
        add_text(p, "\t签发人：")
        add_text(p, signer, KAITI)
    else:
        add_text(p, number)
    # GB/T 9704-2012 §7.2.7: a red line as wide as the 版心, 4 mm below the 发文字号.
    set_border(p, "bottom", size=18, color=RED, space=4)  # 2.25 pt
    return p


# --- title, 主送, 附件说明, 署名 -------------------------------------------------------------------

def add_title(doc, lines: list[str], page: Page = PAGE, *, before_lines: float = 2, size: float = 22):
    """The title in 2号小标宋, centred, one run per line (already balanced by :func:`balance_title`)."""
    p = doc.add_paragraph()
    format_paragraph(p, page, align="center", line=round((size + 14) * 20),
                     before=round(before_lines * page.line_pitch), keep_next=True)
    for i, text in enumerate(lines):
        run = add_text(p, text, XIAOBIAOSONG, size)
        if i < len(lines) - 1:
            run.add_break()
    return p


def add_addressee(doc, to: str, page: Page = PAGE):
    """主送机关: one line below the title, flush left, ending with a full-width colon."""
    text = to.strip().rstrip(":：，,。；;") + "："
    p = doc.add_paragraph()
    format_paragraph(p, page, align="left", before=page.line_pitch)
    add_text(p, text)
    return p


def add_attachment_note(doc, names: list[str], page: Page = PAGE) -> list:
    """附件说明 one line below the body: 附件：1．… 2．…, wrapped lines under the first character of the name."""
    made = []
    numbered = len(names) > 1
    for i, name in enumerate(names, 1):
        label = f"{i}．" if numbered else ""
        indent = 2 + 3 + text_width(label)  # 左空二字, “附件：”, the number
        start = 2 if i == 1 else 5
        p = doc.add_paragraph()
        format_paragraph(p, page, align="left", left=indent, hanging=indent - start,
                         before=page.line_pitch if i == 1 else 0, keep_next=True)
        add_text(p, ("附件：" if i == 1 else "") + label + name.strip().rstrip("。.；;，,"))
        made.append(p)
    return made


def add_signature(doc, issuer: str, date_text: str, page: Page = PAGE, *, blank_lines: int = 2):
    """发文机关署名 centred over the 成文日期, which stands four 字 from the right; room above for the seal."""
    date_w, name_w = text_width(date_text), text_width(issuer)
    date_right = 4.0
    name_right = max(0.0, date_right + (date_w - name_w) / 2)
    name = doc.add_paragraph()
    format_paragraph(name, page, align="right", right=name_right, before=blank_lines * page.line_pitch,
                     keep_next=True)
    add_text(name, issuer)
    date = doc.add_paragraph()
    format_paragraph(date, page, align="right", right=date_right)
    add_text(date, date_text)
    return name, date


# --- 版记 --------------------------------------------------------------------------------------

THICK, THIN = 8, 6  # eighths of a point: 1 pt ≈ 0.35 mm (first and last line), 0.75 pt ≈ 0.25 mm (between)


@dataclass(frozen=True)
class Colophon:
    """版记: 抄送 (optional), 印发机关 and 印发日期; 主题词 only in the 1999 style."""

    printer: str
    printed: dt.date
    cc: str = ""
    keywords: str = ""


def add_colophon(doc, colophon: Colophon, page: Page = PAGE, *, blank_page: bool = False) -> None:
    """The 版记 on a page of its own at the end, its last line on the bottom edge of the 版心, no page number.

    The 版记 is a table of exact row heights floating at a fixed distance from the top of the 版心
    (``w:tblpPr``), so that its last line lies on the bottom edge in Word, WPS and LibreOffice alike; it
    stands in a last section whose footers are empty. With ``blank_page`` an empty page comes first, also without
    a page number (GB/T 9704-2012 §7.5), so that a double-sided document ends with the 版记 on its back cover.
    """
    sect = close_section(doc)
    apply_geometry(sect, page)
    section = doc.sections[-1]
    for footer in (section.footer, section.even_page_footer):
        footer.is_linked_to_previous = False
    rows = []
    if colophon.keywords:
        rows.append(_keywords_row(colophon.keywords, page))
    if colophon.cc:
        rows.append(_cc_row(colophon.cc, page))
    rows.append(_printer_row(colophon, page, first=not colophon.cc))
    height = sum(lines for _, lines in rows) * page.line_pitch
    width = page.text_width
    # Horizontally relative to the page edge: LibreOffice floats a table as wide as the 版心 only then.
    tbl = parse_xml(
        f'<w:tbl {nsdecls("w")}><w:tblPr>'
        '<w:tblpPr w:leftFromText="0" w:rightFromText="0" w:topFromText="0" w:bottomFromText="0"'
        f' w:vertAnchor="margin" w:horzAnchor="page" w:tblpX="{mm(page.left_mm)}"'
        f' w:tblpY="{page.text_height - height}"/>'
        '<w:tblOverlap w:val="never"/>'
        f'<w:tblW w:w="{width}" w:type="dxa"/>'
        '<w:tblLayout w:type="fixed"/>'
        '<w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="0" w:type="dxa"/>'
        '<w:bottom w:w="0" w:type="dxa"/><w:right w:w="0" w:type="dxa"/></w:tblCellMar>'
        f'<w:tblLook w:val="0000"/></w:tblPr><w:tblGrid><w:gridCol w:w="{width}"/></w:tblGrid></w:tbl>')
    for row, _ in rows:
        tbl.append(row)
    anchor = tiny_paragraph()  # LibreOffice anchors a floating table to the paragraph before it
    if blank_page:
        sect.addprevious(tiny_paragraph())  # the blank page
        set_child(anchor.find(qn("w:pPr")), "pageBreakBefore", PPR_ORDER)
    sect.addprevious(anchor)
    sect.addprevious(tbl)
    sect.addprevious(tiny_paragraph())


def _row(page: Page, paragraph: str, lines: int, *, top: int | None, bottom: int | None):
    borders = "".join(f'<w:{side} w:val="single" w:sz="{size}" w:space="0" w:color="000000"/>' if size
                      else f'<w:{side} w:val="nil"/>' for side, size in (("top", top), ("left", None),
                                                                          ("bottom", bottom), ("right", None)))
    row = parse_xml(
        f'<w:tr {nsdecls("w")}><w:trPr><w:cantSplit/>'
        f'<w:trHeight w:val="{lines * page.line_pitch}" w:hRule="exact"/></w:trPr><w:tc><w:tcPr>'
        f'<w:tcW w:w="{page.text_width}" w:type="dxa"/>'
        f'<w:tcBorders>{borders}</w:tcBorders>'
        f'<w:vAlign w:val="center"/></w:tcPr>{paragraph}</w:tc></w:tr>')
    return row, lines


def _cell_paragraph(runs: list[tuple[str, str, float]], *, left: int = 0, right: int = 0, hanging: int = 0,
                    tab: int | None = None, line: int = 579) -> str:
    tabs = f'<w:tabs><w:tab w:val="right" w:pos="{tab}"/></w:tabs>' if tab else ""
    ind = f'<w:ind w:left="{left}" w:right="{right}" w:hanging="{hanging}"/>'
    body = "".join(
        f'<w:r><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="{font}"'
        f' w:cs="Times New Roman" w:hint="eastAsia"/><w:sz w:val="{round(size * 2)}"/>'
        f'<w:szCs w:val="{round(size * 2)}"/></w:rPr>'
        + ("<w:tab/>" if text == "\t" else f'<w:t xml:space="preserve">{escape(text)}</w:t>') + "</w:r>"
        for text, font, size in runs)
    return (f'<w:p {nsdecls("w")}><w:pPr>{tabs}<w:snapToGrid w:val="0"/>'
            f'<w:spacing w:before="0" w:after="0" w:line="{line}" w:lineRule="exact"/>{ind}'
            f'<w:jc w:val="left"/></w:pPr>{body}</w:p>')


def _lines(width: float, per_line: float) -> int:
    return max(1, math.ceil(width / per_line))


def _keywords_row(keywords: str, page: Page):
    """主题词 (1999 style): the label in 3号黑体, the words in 3号小标宋 one 字 apart."""
    words = "\u3000".join(keywords.replace("，", " ").replace(",", " ").replace("、", " ").split())
    para = _cell_paragraph([("主题词：", HEITI, 16), (words, XIAOBIAOSONG, 16)], line=page.line_pitch)
    return _row(page, para, _lines(4 + text_width(words), page.text_width / 320), top=None, bottom=None)


def _cc_row(cc: str, page: Page):
    """抄送 in 4号仿宋, one 字 in from both sides, wrapped lines under the first name, ending with 。."""
    one = 14 * 20
    text = cc.strip().rstrip("。.；;，,") + "。"
    para = _cell_paragraph([("抄送：", FANGSONG, 14), (text, FANGSONG, 14)], left=4 * one, right=one,
                           hanging=3 * one, line=page.line_pitch)
    return _row(page, para, _lines(text_width(text), (page.text_width - 5 * one) / one), top=THICK, bottom=THIN)


def _printer_row(colophon: Colophon, page: Page, *, first: bool):
    """印发机关 one 字 from the left, 印发日期 with 印发 one 字 from the right, above the last thick line."""
    one = 14 * 20
    printed = f"{chinese_date(colophon.printed)}印发"
    para = _cell_paragraph([(colophon.printer, FANGSONG, 14), ("\t", FANGSONG, 14), (printed, FANGSONG, 14)],
                           left=one, right=one, tab=page.text_width - one, line=page.line_pitch)
    return _row(page, para, 1, top=THICK if first else None, bottom=THICK)

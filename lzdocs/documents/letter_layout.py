"""The 信函 layout a template cannot fix itself: 署名 centred over the date, 抄送 at the foot, the 送达回证 page."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from lzdocs.documents.gbt9704 import close_section
from lzdocs.documents.titles import text_width
from lzdocs.ooxml.fonts import FANGSONG, XIAOBIAOSONG, add_text
from lzdocs.ooxml.wordml import PPR_ORDER, TBLPR_ORDER, set_child, tiny_paragraph

BODY_CHAR = 320  # one 字 of 3号 (16 pt) in twips: the letter templates have no character grid
COPY_CHAR = 280  # one 字 of 4号 (14 pt), the size of the 抄送 line
DATE_RIGHT = 4  # 成文日期 右空四字 (GB/T 9704 §7.3.5.2)


@dataclass(frozen=True)
class Receipt:
    """What a 送达回证 says before it is filled in by hand: the document, its number and who receives it."""

    title: str
    number: str
    recipient: str


def lay_out_letter(data: bytes, *, issuer: str, date_text: str, receipt: Receipt | None = None) -> bytes:
    """The rendered letter with its 署名 centred over the 成文日期, the 抄送 moved to the foot of the last page and,
    with ``receipt``, a 送达回证 on a page of its own; paragraphs a clerk's template lacks are left alone."""
    doc = Document(io.BytesIO(data))
    centre_signature(doc, issuer, date_text)
    copy_to_foot(doc)
    if receipt is not None:
        add_receipt(doc, receipt)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def signature_indents(issuer: str, date_text: str) -> tuple[float, float]:
    """Right indents (in 字) of the 署名 and the 成文日期: the date four 字 from the right, the name centred over it;
    a name too long for that ends at the right edge and the date moves left to stay centred under it. Widths as
    LibreOffice and Word set them, a quarter 字 between 汉字 and digits."""
    date_w, name_w = text_width(date_text, autospace=True), text_width(issuer, autospace=True)
    name_right = DATE_RIGHT + (date_w - name_w) / 2
    if name_right < 0:
        return 0.0, DATE_RIGHT - name_right
    return name_right, float(DATE_RIGHT)


def centre_signature(doc, issuer: str, date_text: str) -> bool:
    """Find the 署名 paragraph followed by the 成文日期 (the last such pair) and set both right indents."""
    paragraphs = doc.paragraphs
    pairs = list(zip(paragraphs, paragraphs[1:]))
    for name, date in reversed(pairs):
        if name.text.strip() == issuer.strip() and date.text.strip() == date_text.strip():
            for p, right in zip((name, date), signature_indents(issuer, date_text)):
                ppr = p._p.get_or_add_pPr()
                ind = ppr.find(qn("w:ind"))
                if ind is not None:
                    ppr.remove(ind)
                set_child(ppr, "ind", PPR_ORDER, right=round(right * BODY_CHAR))
                set_child(ppr, "jc", PPR_ORDER, val="right")
            return True
    return False


def _page_geometry(doc) -> tuple[int, int, int]:
    """Left margin, width and bottom edge (from the top of the page) of the text block of the last section, in
    twips."""
    section = doc.sections[-1]
    width = section.page_width.twips - section.left_margin.twips - section.right_margin.twips
    return section.left_margin.twips, width, section.page_height.twips - section.bottom_margin.twips


def copy_to_foot(doc) -> bool:
    """Move the 抄送 paragraph (the last one starting with “抄送：”) into a table floating at the bottom of the
    text block of the page the letter ends on (GB/T 9704 §10.1: 版记 位于公文最后一面版心内最下方).

    The table is placed from the top of the page (a tall 页眉, the 信函's 标志, moves the top of the text area in
    LibreOffice but not in Word) and from the left margin, one 字 narrower than the text block (its right 空一字):
    LibreOffice 7 lets a table float only when it is narrower than the text area and not placed from the page's
    edges in both directions, and not when a section break follows it at once."""
    found = [p for p in doc.paragraphs if p.text.strip().startswith("抄送：")]
    if not found:
        return False
    para = found[-1]
    _, text_w, bottom = _page_geometry(doc)
    width = text_w - COPY_CHAR
    spacing = para._p.find(f"{qn('w:pPr')}/{qn('w:spacing')}")
    line = int(spacing.get(qn("w:line"), 579)) if spacing is not None and spacing.get(qn("w:lineRule")) == "exact" \
        else 579
    names = para.text.strip()[3:]
    per_line = (width - 4 * COPY_CHAR) / COPY_CHAR
    rows = max(1, math.ceil(text_width(names, autospace=True) / per_line))
    tall = rows * line
    tbl = parse_xml(
        f'<w:tbl {nsdecls("w")}><w:tblPr>'
        '<w:tblpPr w:leftFromText="0" w:rightFromText="0" w:topFromText="0" w:bottomFromText="0"'
        f' w:vertAnchor="page" w:horzAnchor="margin" w:tblpX="0" w:tblpY="{bottom - tall}"/>'
        '<w:tblOverlap w:val="never"/>'
        f'<w:tblW w:w="{width}" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
        '<w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="0" w:type="dxa"/>'
        '<w:bottom w:w="0" w:type="dxa"/><w:right w:w="0" w:type="dxa"/></w:tblCellMar>'
        f'<w:tblLook w:val="0000"/></w:tblPr><w:tblGrid><w:gridCol w:w="{width}"/></w:tblGrid>'
        f'<w:tr><w:trPr><w:trHeight w:val="{tall}" w:hRule="exact"/></w:trPr>'
        f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/><w:vAlign w:val="bottom"/></w:tcPr></w:tc></w:tr>'
        '</w:tbl>')
    ppr = para._p.get_or_add_pPr()
    for tag in ("keepNext", "pageBreakBefore"):
        for el in ppr.findall(qn(f"w:{tag}")):
            ppr.remove(el)
    _drop_blank_before(para._p)
    anchor = tiny_paragraph()  # LibreOffice anchors a floating table to the paragraph before it, Word after it
    para._p.addprevious(anchor)
    anchor.addnext(tbl)
    tbl.find(f"{qn('w:tr')}/{qn('w:tc')}").append(para._p)
    tbl.addnext(tiny_paragraph())
    tbl.addnext(tiny_paragraph())  # a section break (the 送达回证's) would sit in the paragraph after the table
    return True


def _drop_blank_before(p) -> None:
    """An empty paragraph a template put between the date and the 抄送 would take a line on a full page."""
    before = p.getprevious()
    if before is not None and before.tag == qn("w:p") and not "".join(before.itertext()).strip() \
            and before.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is None:
        before.getparent().remove(before)


RECEIPT_ROWS = (("文书名称和文号", 2), ("受送达单位（人）", 2), ("送达时间", 2), ("送达地点", 2), ("签收人", 4),
                ("送达人", 2), ("备注", 3))


def add_receipt(doc, receipt: Receipt) -> None:
    """A 送达回证 on a page of its own, in a section without 页眉 or page numbers: the document, its number and
    the recipient filled in; time, place and the signatures left for the hand."""
    close_section(doc)
    section = doc.sections[-1]
    section.different_first_page_header_footer = False
    for part in (section.header, section.footer, section.even_page_header, section.even_page_footer,
                 section.first_page_header, section.first_page_footer):
        part.is_linked_to_previous = False
    title = doc.add_paragraph()
    _exact(title, 720, before=579, after=579, align="center")
    add_text(title, "送达回证", XIAOBIAOSONG, "二号")
    values = {"文书名称和文号": f"{receipt.title}（{receipt.number}）", "受送达单位（人）": receipt.recipient,
              "送达时间": "\u3000\u3000年\u3000\u3000月\u3000\u3000日\u3000\u3000时\u3000\u3000分"}
    _, width, _ = _page_geometry(doc)
    label_w = 3000  # “受送达单位（人）” on one line
    table = doc.add_table(rows=0, cols=2)
    table.autofit = False
    for col, w in zip(table._tbl.tblGrid.iterchildren(qn("w:gridCol")), (label_w, width - label_w)):
        col.set(qn("w:w"), str(w))
    tblpr = table._tbl.tblPr
    set_child(tblpr, "tblW", TBLPR_ORDER, w=width, type="dxa")
    borders = set_child(tblpr, "tblBorders", TBLPR_ORDER)
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(parse_xml(f'<w:{side} {nsdecls("w")} w:val="single" w:sz="8" w:space="0" w:color="000000"/>'))
    for label, lines in RECEIPT_ROWS:
        row = table.add_row()
        row._tr.get_or_add_trPr().append(parse_xml(f'<w:trHeight {nsdecls("w")} w:val="{lines * 579}"'
                                                   ' w:hRule="atLeast"/>'))
        for cell, text, w, align in ((row.cells[0], label, label_w, "center"),
                                     (row.cells[1], values.get(label, ""), width - label_w, "left")):
            cell.width = w * 635
            cell._tc.get_or_add_tcPr().append(parse_xml(f'<w:vAlign {nsdecls("w")} w:val="center"/>'))
            p = cell.paragraphs[0]
            _exact(p, 579, align=align, side=BODY_CHAR // 4)
            if text:
                add_text(p, text, FANGSONG, "三号")


def _exact(p, line: int, *, before: int = 0, after: int = 0, align: str = "left", side: int = 0) -> None:
    ppr = p._p.get_or_add_pPr()
    set_child(ppr, "snapToGrid", PPR_ORDER, val=0)
    set_child(ppr, "spacing", PPR_ORDER, before=before, after=after, line=line, lineRule="exact")
    if side:
        set_child(ppr, "ind", PPR_ORDER, left=side, right=side)
    set_child(ppr, "jc", PPR_ORDER, val=align)

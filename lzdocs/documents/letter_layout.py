"""The 信函 layout a template cannot fix itself: 署名 centred over the date, 抄送 at the foot, the 送达回证 page."""

from __future__ import annotations

import math
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, replace
from html import escape as html_escape

from lxml import etree

from lzdocs.documents.titles import text_width
from lzdocs.ooxml.fontnames import FANGSONG, XIAOBIAOSONG
from lzdocs.ooxml.package import RawMember


def escape(text: str) -> str:
    """&, < and > as entities, as xml.sax.saxutils.escape does (whose import loads urllib.request and http.client)."""
    return html_escape(text, quote=False)


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
DOCUMENT = "word/document.xml"
RELS = "word/_rels/document.xml.rels"
BODY_CHAR = 320  # one 字 of 3号 (16 pt) in twips: the letter templates have no character grid
COPY_CHAR = 280  # one 字 of 4号 (14 pt), the size of the 抄送 line
LINE = 579  # the exact line pitch of the letters (22 lines in the 版心)
DATE_RIGHT = 4  # 成文日期 右空四字 (GB/T 9704 §7.3.5.2)
TINY_PPR = ('<w:pPr><w:snapToGrid w:val="0"/><w:spacing w:before="0" w:after="0" w:line="20" w:lineRule="exact"/>'
            '<w:rPr><w:sz w:val="2"/></w:rPr></w:pPr>')
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


@dataclass(frozen=True)
class Receipt:
    """What a 送达回证 says before it is filled in by hand: the document, its number and who receives it."""

    title: str
    number: str
    recipient: str


def lay_out_letter(members: list[RawMember], rendered: dict[str, bytes], *, issuer: str, date_text: str,
                   receipt: Receipt | None = None) -> tuple[list[RawMember], dict[str, bytes]]:
    """The rendered letter with its 署名 centred over the 成文日期, the 抄送 moved to the foot of the last page and,
    with ``receipt``, a 送达回证 on a page of its own; paragraphs a clerk's template lacks are left alone.

    Works on the package's XML as the template rendered it, before it is zipped (``Template.render``'s ``lay_out``):
    only document.xml changes, and for the 送达回证 its relationships, the content types and a blank 页眉 and 页脚 are
    added. ``members``: the package's members (a list of its own: new ones are appended); ``rendered``: the parts
    the template filled in, by name. Returns both, changed."""
    by_name = {m.name: m for m in members}

    def part(name: str) -> bytes:
        return rendered[name] if name in rendered else by_name[name].inflate()

    root = etree.fromstring(part(DOCUMENT), _PARSER)
    body = root.find(w("body"))
    centre_signature(body, issuer, date_text)
    copy_to_foot(body)
    changed = dict(rendered)
    if receipt is not None:
        added = _blank_parts(members, by_name, part)
        add_receipt(body, receipt, header=added.pop("header"), footer=added.pop("footer"))
        changed.update(added)
    changed[DOCUMENT] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return members, changed


def text_of(p) -> str:
    return "".join(t.text or "" for t in p.iter(w("t")))


def set_pr(parent, tag: str, **attrs):
    """The property child ``w:tag`` of ``parent`` (a pPr), created at the end when missing, with ``attrs``."""
    child = parent.find(w(tag))
    if child is None:
        child = etree.SubElement(parent, w(tag))
    for key, value in attrs.items():
        child.set(w(key), str(value))
    return child


def _ppr(p):
    ppr = p.find(w("pPr"))
    if ppr is None:
        ppr = etree.Element(w("pPr"))
        p.insert(0, ppr)
    return ppr


# --- 署名 and 成文日期 ---------------------------------------------------------------------------------------

def signature_indents(issuer: str, date_text: str) -> tuple[float, float]:
    """Right indents (in 字) of the 署名 and the 成文日期: the date four 字 from the right, the name centred over it;
    a name too long for that ends at the right edge and the date moves left to stay centred under it. Widths as
    LibreOffice and Word set them, a quarter 字 between 汉字 and digits."""
    date_w, name_w = text_width(date_text, autospace=True), text_width(issuer, autospace=True)
    name_right = DATE_RIGHT + (date_w - name_w) / 2
    if name_right < 0:
        return 0.0, DATE_RIGHT - name_right
    return name_right, float(DATE_RIGHT)


def centre_signature(body, issuer: str, date_text: str) -> bool:
    """Find the 署名 paragraph followed by the 成文日期 (the last such pair) and set both right indents."""
    paragraphs = body.findall(w("p"))
    for name, date in reversed(list(zip(paragraphs, paragraphs[1:]))):
        if text_of(name).strip() == issuer.strip() and text_of(date).strip() == date_text.strip():
            for p, right in zip((name, date), signature_indents(issuer, date_text)):
                ppr = _ppr(p)
                old = ppr.find(w("ind"))
                ind = etree.Element(w("ind"))
                ind.set(w("right"), str(round(right * BODY_CHAR)))
                if old is not None:
                    old.addprevious(ind)
                    ppr.remove(old)
                else:
                    _insert_before(ppr, ind, ("contextualSpacing", "mirrorIndents", "suppressOverlap", "jc",
                                              "textDirection", "textAlignment", "outlineLvl", "rPr", "sectPr"))
                if ppr.find(w("jc")) is None:
                    _insert_before(ppr, etree.Element(w("jc")), ("textDirection", "textAlignment", "outlineLvl",
                                                                  "rPr", "sectPr"))
                ppr.find(w("jc")).set(w("val"), "right")
            return True
    return False


def _insert_before(parent, child, later: tuple[str, ...]) -> None:
    """Insert ``child`` before the first existing child named in ``later`` (schema order), else at the end."""
    for sibling in parent:
        if etree.QName(sibling).localname in later:
            sibling.addprevious(child)
            return
    parent.append(child)


# --- 抄送 -------------------------------------------------------------------------------------------------

def _geometry(body) -> tuple[int, int]:
    """Width of the text block and its bottom edge from the top of the page, in twips, of the last section."""
    sect = body.find(w("sectPr"))
    size, margins = sect.find(w("pgSz")), sect.find(w("pgMar"))
    width = int(size.get(w("w"))) - int(margins.get(w("left"))) - int(margins.get(w("right")))
    return width, int(size.get(w("h"))) - int(margins.get(w("bottom")))


def copy_to_foot(body) -> bool:
    """Move the 抄送 paragraph (the last one starting with “抄送：”) into a table floating at the bottom of the
    text block of the page the letter ends on (GB/T 9704 §10.1: 版记 位于公文最后一面版心内最下方).

    The table is placed from the top of the page (a tall 页眉, the 信函's 标志, moves the top of the text area in
    LibreOffice but not in Word) and from the left margin, one 字 narrower than the text block (its right 空一字):
    LibreOffice 7 lets a table float only when it is narrower than the text area and not placed from the page's
    edges in both directions, and not when a section break follows it at once."""
    found = [p for p in body.findall(w("p")) if text_of(p).strip().startswith("抄送：")]
    if not found:
        return False
    para = found[-1]
    text_w, bottom = _geometry(body)
    width = text_w - COPY_CHAR
    spacing = para.find(f"{w('pPr')}/{w('spacing')}")
    exact = spacing is not None and spacing.get(w("lineRule")) == "exact" and spacing.get(w("line"))
    line = int(spacing.get(w("line"))) if exact else LINE
    rows = max(1, math.ceil(text_width(text_of(para).strip()[3:], autospace=True) * COPY_CHAR
                            / (width - 4 * COPY_CHAR)))
    tall = rows * line
    tbl = etree.fromstring(
        f'<w:tbl xmlns:w="{W_NS}"><w:tblPr>'
        '<w:tblpPr w:leftFromText="0" w:rightFromText="0" w:topFromText="0" w:bottomFromText="0"'
        f' w:vertAnchor="page" w:horzAnchor="margin" w:tblpX="0" w:tblpY="{bottom - tall}"/>'
        '<w:tblOverlap w:val="never"/>'
        f'<w:tblW w:w="{width}" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
        '<w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="0" w:type="dxa"/>'
        '<w:bottom w:w="0" w:type="dxa"/><w:right w:w="0" w:type="dxa"/></w:tblCellMar>'
        f'<w:tblLook w:val="0000"/></w:tblPr><w:tblGrid><w:gridCol w:w="{width}"/></w:tblGrid>'
        f'<w:tr><w:trPr><w:cantSplit/><w:trHeight w:val="{tall}" w:hRule="exact"/></w:trPr>'
        f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/><w:vAlign w:val="bottom"/></w:tcPr></w:tc></w:tr>'
        '</w:tbl>', _PARSER)
    ppr = _ppr(para)
    for tag in ("keepNext", "pageBreakBefore"):
        for el in ppr.findall(w(tag)):
            ppr.remove(el)
    _drop_blank_before(para)
    para.addprevious(_tiny())  # LibreOffice anchors a floating table to the paragraph before it, Word after it
    para.addprevious(tbl)
    tbl.find(f"{w('tr')}/{w('tc')}").append(para)
    tbl.addnext(_tiny())
    tbl.addnext(_tiny())  # a section break (the 送达回证's) would sit in the paragraph after the table
    return True


def _tiny():
    """An empty paragraph one point high, off the line grid: an anchor that takes no line."""
    return etree.fromstring(f'<w:p xmlns:w="{W_NS}">{TINY_PPR}</w:p>', _PARSER)


def _drop_blank_before(p) -> None:
    """An empty paragraph a template put between the date and the 抄送 would take a line on a full page."""
    before = p.getprevious()
    if before is not None and before.tag == w("p") and not text_of(before).strip() \
            and before.find(f"{w('pPr')}/{w('sectPr')}") is None:
        before.getparent().remove(before)


# --- 送达回证 ------------------------------------------------------------------------------------------------

RECEIPT_ROWS = (("文书名称和文号", 2), ("受送达单位（人）", 2), ("送达时间", 2), ("送达地点", 2), ("签收人", 3),
                ("送达人", 2), ("备注", 2))
LABEL_WIDTH = 3000  # “受送达单位（人）” on one line


def _blank_parts(members: list[RawMember], by_name: dict[str, RawMember], part: Callable[[str], bytes]) -> dict:
    """A blank 页眉 and 页脚 for the 送达回证's section, with their relationships and content types: new members
    appended to ``members``; returns the changed parts and the new relationship ids under "header"/"footer".
    ``part(name)``: a part's XML as rendered."""
    rels = etree.fromstring(part(RELS), _PARSER)
    types = etree.fromstring(part("[Content_Types].xml"), _PARSER)
    ids = {r.get("Id") for r in rels}
    changed: dict = {}
    for kind, root in (("header", "hdr"), ("footer", "ftr")):
        n = 1
        while f"word/{kind}{n}.xml" in by_name:
            n += 1
        name, rid = f"word/{kind}{n}.xml", next(f"rIdLz{i}" for i in range(1, 1000) if f"rIdLz{i}" not in ids)
        ids.add(rid)
        etree.SubElement(rels, f"{{{PKG_RELS}}}Relationship", Id=rid, Target=f"{kind}{n}.xml",
                         Type=f"http://schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}")
        etree.SubElement(types, f"{{{CONTENT_TYPES}}}Override", PartName=f"/{name}",
                         ContentType=f"application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}+xml")
        members.append(replace(by_name[DOCUMENT], name=name))
        changed[name] = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                         f'<w:{root} xmlns:w="{W_NS}"><w:p>{TINY_PPR}</w:p></w:{root}>').encode()
        changed[kind] = rid
    changed[RELS] = etree.tostring(rels, xml_declaration=True, encoding="UTF-8", standalone=True)
    changed["[Content_Types].xml"] = etree.tostring(types, xml_declaration=True, encoding="UTF-8", standalone=True)
    return changed


def add_receipt(body, receipt: Receipt, *, header: str, footer: str) -> None:
    """A 送达回证 on a page of its own, in a section whose 页眉 and 页脚 are blank (no 标志, no page number): the
    document, its number and the recipient filled in; time, place and the signatures left for the hand."""
    sentinel = body.find(w("sectPr"))
    closing = _tiny()
    _ppr(closing).append(deepcopy(sentinel))  # the letter's section ends here
    sentinel.addprevious(closing)
    for el in sentinel.findall(w("headerReference")) + sentinel.findall(w("footerReference")) \
            + sentinel.findall(w("titlePg")) + sentinel.findall(w("type")):
        sentinel.remove(el)
    refs = [f'<w:{kind}Reference xmlns:w="{W_NS}" xmlns:r="{R_NS}" w:type="{t}" r:id="{rid}"/>'
            for kind, rid in (("header", header), ("footer", footer)) for t in ("default", "even", "first")]
    for ref in reversed(refs):
        sentinel.insert(0, etree.fromstring(ref, _PARSER))
    refs_end = sentinel.findall(w("headerReference")) + sentinel.findall(w("footerReference"))
    refs_end[-1].addnext(etree.fromstring(f'<w:type xmlns:w="{W_NS}" w:val="nextPage"/>', _PARSER))
    width, _ = _geometry(body)
    sentinel.addprevious(_paragraph("送达回证", XIAOBIAOSONG, 22, line=720, before=LINE, after=LINE, align="center"))
    sentinel.addprevious(_receipt_table(receipt, width))
    sentinel.addprevious(_tiny())


def _receipt_table(receipt: Receipt, width: int):
    values = {"文书名称和文号": f"{receipt.title}（{receipt.number}）", "受送达单位（人）": receipt.recipient,
              "送达时间": "\u3000\u3000年\u3000\u3000月\u3000\u3000日\u3000\u3000时\u3000\u3000分"}
    edges = "".join(f'<w:{side} w:val="single" w:sz="8" w:space="0" w:color="000000"/>'
                    for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    cols = (LABEL_WIDTH, width - LABEL_WIDTH)
    rows = "".join(
        f'<w:tr><w:trPr><w:trHeight w:val="{lines * LINE}" w:hRule="atLeast"/></w:trPr>'
        + "".join(f'<w:tc><w:tcPr><w:tcW w:w="{col}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'
                  + etree.tostring(_paragraph(text, FANGSONG, 16, align=align, side=BODY_CHAR // 4)).decode()
                  + "</w:tc>"
                  for col, text, align in ((cols[0], label, "center"), (cols[1], values.get(label, ""), "left")))
        + "</w:tr>"
        for label, lines in RECEIPT_ROWS)
    return etree.fromstring(
        f'<w:tbl xmlns:w="{W_NS}"><w:tblPr><w:tblW w:w="{width}" w:type="dxa"/><w:tblBorders>{edges}</w:tblBorders>'
        '<w:tblLayout w:type="fixed"/><w:tblLook w:val="0000"/></w:tblPr>'
        f'<w:tblGrid><w:gridCol w:w="{cols[0]}"/><w:gridCol w:w="{cols[1]}"/></w:tblGrid>{rows}</w:tbl>', _PARSER)


def _paragraph(text: str, font: str, size: float, *, line: int = LINE, before: int = 0, after: int = 0,
               align: str = "left", side: int = 0):
    ind = f'<w:ind w:left="{side}" w:right="{side}"/>' if side else ""
    run = (f'<w:r><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="{font}"'
           f' w:cs="Times New Roman" w:hint="eastAsia"/><w:sz w:val="{round(size * 2)}"/>'
           f'<w:szCs w:val="{round(size * 2)}"/></w:rPr><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'
           if text else "")
    return etree.fromstring(
        f'<w:p xmlns:w="{W_NS}"><w:pPr><w:snapToGrid w:val="0"/>'
        f'<w:spacing w:before="{before}" w:after="{after}" w:line="{line}" w:lineRule="exact"/>{ind}'
        f'<w:jc w:val="{align}"/></w:pPr>{run}</w:p>', _PARSER)

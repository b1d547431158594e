"""WordprocessingML helpers: children in schema order, tab stops, borders, character scaling, tiny paragraphs."""

from __future__ import annotations

from pathlib import Path

from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn

# Schema order of the children we write (WordprocessingML is strict about it).
PPR_ORDER = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
             "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
             "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
             "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc",
             "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
             "sectPr", "pPrChange")
RPR_ORDER = ("rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline",
             "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing",
             "w", "kern", "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText",
             "vertAlign", "rtl", "cs", "em", "lang", "eastAsianLayout", "specVanish", "oMath")
SECT_ORDER = ("headerReference", "footerReference", "footnotePr", "endnotePr", "type", "pgSz", "pgMar",
               "paperSrc", "pgBorders", "lnNumType", "pgNumType", "cols", "formProt", "vAlign", "noEndnote",
               "titlePg", "textDirection", "bidi", "rtlGutter", "docGrid", "printerSettings", "sectPrChange")
TBLPR_ORDER = ("tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize",
               "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook")


def set_child(parent, tag: str, order: tuple[str, ...], **attrs):
    """The child ``w:tag`` of ``parent`` (created in schema order if missing) with the given attributes."""
    child = parent.find(qn(f"w:{tag}"))
    if child is None:
        child = OxmlElement(f"w:{tag}")
        rank = order.index(tag)
        for i, sibling in enumerate(parent):
            name = sibling.tag.rsplit("}", 1)[-1]
            if name in order and order.index(name) > rank:
                parent.insert(i, child)
                break
        else:
            parent.append(child)
    for key, value in attrs.items():
        child.set(qn(f"w:{key}"), str(value))
    return child


def add_tab_stop(p, position: int, kind: str = "right") -> None:
    tabs = set_child(p._p.get_or_add_pPr(), "tabs", PPR_ORDER)
    tab = OxmlElement("w:tab")
    tab.set(qn("w:val"), kind)
    tab.set(qn("w:pos"), str(position))
    tabs.append(tab)


def set_border(p, side: str, *, size: int, color: str = "000000", space: int = 0) -> None:
    """A paragraph border line: ``size`` in eighths of a point, ``space`` in points from the text."""
    pbdr = set_child(p._p.get_or_add_pPr(), "pBdr", PPR_ORDER)
    edge = pbdr.find(qn(f"w:{side}"))
    if edge is None:
        edge = OxmlElement(f"w:{side}")
        pbdr.append(edge)
    for key, value in (("val", "single"), ("sz", size), ("space", space), ("color", color)):
        edge.set(qn(f"w:{key}"), str(value))


def scale_run(run, percent: int) -> None:
    """Horizontal character scaling (字符缩放), used to fit a long 发文机关标志 into the 版心."""
    set_child(run._r.get_or_add_rPr(), "w", RPR_ORDER, val=percent)


def tiny_paragraph():
    """An empty paragraph one point high: a place to end a section or anchor a table without taking a line."""
    return parse_xml(f'<w:p {nsdecls("w")}><w:pPr><w:spacing w:before="0" w:after="0" w:line="20"'
                     ' w:lineRule="exact"/><w:rPr><w:sz w:val="2"/></w:rPr></w:pPr></w:p>')


def add_page_number(paragraph, font, dash: str = "—") -> None:
    """Append "— n —" with a PAGE field to ``paragraph``; ``font(run)`` styles each run it adds."""
    font(paragraph.add_run(f"{dash} "))
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = paragraph.add_run()
        font(run)
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        elif text.strip() == "PAGE":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text
    font(paragraph.add_run(f" {dash}"))


CORE_NS = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"


def tidy_package(doc, *, title: str | None = None, author: str | None = None, subject: str | None = None,
                 keywords: str | None = None) -> None:
    """Leave no python-docx traces Word may object to: the stale ``stylesWithEffects`` part goes, the
    description is cleared, and keywords land in the core-properties namespace (python-docx's setter
    writes a second element in the wrong one)."""
    for rel_id, rel in list(doc.part.rels.items()):
        if rel.reltype == STYLES_WITH_EFFECTS:
            del doc.part.rels[rel_id]  # an unreferenced part is not written on save
    props = doc.core_properties
    props.comments = ""
    if title is not None:
        props.title = title
    if author is not None:
        props.author = author
    if subject is not None:
        props.subject = subject
    if keywords is not None:
        core = props._element
        found = core.findall(f"{{{CORE_NS}}}keywords")
        element = found[0] if found else core.makeelement(f"{{{CORE_NS}}}keywords", {})
        if not found:
            core.append(element)
        element.text = keywords or None


BLANK_DOCX = Path(__file__).with_name("blank.docx")
KEPT_TABLE_STYLES = frozenset({"Normal Table", "Table Grid"})  # the default table style and the one lzdocs uses


def blank_document():
    """A new, empty Word document to build on: python-docx's default with its hundred unused table styles left out
    (tools/make_blank.py makes ``blank.docx``). The default's styles.xml is 470 KB, 90 % of it 浅色网格-着色 6 and
    its kin: every document made from it parsed, rewrote and compressed them, and a letter template carried them
    into every letter."""
    from docx import Document

    return Document(str(BLANK_DOCX))


def drop_unused_table_styles(doc) -> int:
    """Remove the table styles other than :data:`KEPT_TABLE_STYLES` from ``doc``; how many were removed."""
    styles = doc.styles.element
    dropped = 0
    for style in styles.findall(qn("w:style")):
        name = style.find(qn("w:name"))
        if style.get(qn("w:type")) == "table" and (name is None or name.get(qn("w:val")) not in KEPT_TABLE_STYLES):
            styles.remove(style)
            dropped += 1
    return dropped

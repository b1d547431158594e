"""Regenerate the packaged letter templates (lzdocs/templates/<文种>.docx) reproducibly: same input, same bytes.

Usage:  python tools/make_templates.py [OUTDIR]      (default: lzdocs/templates/)

Each template is an official letter in the 信函 format of GB/T 9704-2012 (§10.1): the red 发文机关标志 30 mm
from the top edge over a red double line (thick over thin) in the first page's 页眉, a red double line (thin over
thick) 20 mm above the bottom edge in the first page's 页脚, both 170 mm long; no page number on the first page;
文号 at the right, title in 2号小标宋, 主送, body in 3号仿宋_GB2312, 署名 and 成文日期, and 抄送 in 4号 (no 印发机关
line in a 信函's 版记). Variables are docxtpl/Jinja tags named after the Chinese fields of lzdocs.documents.letters;
a clerk can edit text and formatting in Word or WPS. When a letter is issued, lzdocs centres the 署名 over the
成文日期 and moves the 抄送 to the foot of the last page (lzdocs.documents.letter_layout).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from make_blank import clean_package  # noqa: E402 - beside this script

from lzdocs.ooxml.fonts import FANGSONG, HEITI, SONGTI, XIAOBIAOSONG, set_run_font, set_style_font  # noqa: E402
from lzdocs.ooxml.wordml import PPR_ORDER, blank_document, set_child  # noqa: E402

RED = "FF0000"
BODY_PT = 16  # 三号
LINE_PT = 28.95  # 22 lines in the 225 mm text block
DATE_EM = 7  # "2026年11月28日": eight half-width digits + 年月日
# The red lines of the 信函 format: 170 mm, centred on the page (the 版心 runs from 28 to 184 mm).
LINE_LEFT_MM, LINE_RIGHT_MM = -8, -6  # indents that widen the 156 mm 版心 to 20…190 mm
MARK_PT, MARK_LINE_PT = 24, 30  # 发文机关标志 in 24 pt 小标宋 on an exact 30 pt line
HEADER_MM = 28.9  # the header's top: puts the top edge of the 标志 30 mm from the top of the page
MARK_RULE_PT = 7  # w:space of the line under the 标志: 4 mm below the characters
FOOTER_MM = 19  # the footer's bottom: the lower double line lies 20 mm above the bottom edge
NUMBER_LIFT_PT = 25  # page numbers (from page 2) sit 7 mm below the 版心, above the lower line's place

# ---- letter bodies -------------------------------------------------------------------------------------
# Each body is a list of blocks: ("p", text) a body paragraph; ("list", field) one numbered paragraph per
# line of a multi-line field (numbered only when there are two or more; lzdocs ends each item with "；", the last
# with "。"); ("item", label, text) a 黑体 label followed by 仿宋 text.

BODIES: dict[str, list[tuple]] = {
    "纪检监察建议书": [
        ("p", "{{ 事由 }}，发现你单位存在以下问题："),
        ("list", "问题"),
        ("p", "为加强廉政风险防控，堵塞管理漏洞，根据{{ 依据 }}有关规定，现提出如下纪检监察建议："),
        ("list", "建议"),
        ("p", "请你单位认真研究落实，并于{{ 回复期限 }}前将落实情况书面回复我委。"),
    ],
    "问廉问责书": [
        ("p", "{{ 事由 }}，发现{{ 对象 }}存在以下问题："),
        ("list", "问题"),
        ("p", "根据{{ 依据 }}有关规定，现向{{ 对象 }}发出问廉问责书，并提出以下要求："),
        ("list", "要求"),
        ("p", "请于{{ 回复期限 }}前将书面说明和落实情况报送我委。逾期不报或说明不实的，将依规依纪作进一步处理。"),
    ],
    "谈话提醒通知书": [
        ("p", "{{ 事由 }}，根据{{ 依据 }}有关规定，经研究，决定对{{ 对象 }}进行谈话提醒。现将有关事项通知如下："),
        ("item", "一、谈话时间：", "{{ 谈话时间 }}；"),
        ("item", "二、谈话地点：", "{{ 谈话地点 }}；"),
        ("item", "三、谈话人：", "{{ 谈话人 }}。"),
        ("p", "请{{ 对象 }}按时参加，如实说明有关情况。因故不能按时参加的，请提前向我委说明。"),
    ],
    "责令检查整改通知书": [
        ("p", "{{ 事由 }}，发现你单位存在以下问题："),
        ("list", "问题"),
        ("p", "根据{{ 依据 }}有关规定，责令你单位认真检查，并按以下要求整改："),
        ("list", "整改要求"),
        ("p", "请于{{ 整改期限 }}前完成整改，并将检查整改情况书面报送我委。"),
    ],
    "关于责成召开专题民主生活会的通知": [
        ("p", "{{ 事由 }}，发现你单位领导班子存在以下问题："),
        ("list", "问题"),
        ("p", "根据{{ 依据 }}有关规定，经研究，责成你单位领导班子召开专题民主生活会，深入查摆问题，认真开展批评和"
              "自我批评，并提出以下要求："),
        ("list", "要求"),
        ("p", "请于{{ 召开时限 }}前召开专题民主生活会，会前将会议方案报我委，我委将派员列席；会后10个工作日内将"
              "{{ 报送材料 }}报送我委。"),
    ],
    "催报通知": [
        ("p", "按照学校廉政风险防控工作安排，各部门、各单位应于{{ 原定期限 }}前报送《{{ 应报材料 }}》。"
              "{% if 退回情况 %}你单位{{ 退回情况 }}，截至{{ 成文日期 }}，我委尚未收到修改后的材料。{% else %}"
              "截至{{ 成文日期 }}，我委尚未收到你单位报送的材料。{% endif %}"),
        ("p", "{% if 提醒 %}请你单位抓紧完成，于{{ 补报期限 }}前按时报送。{% else %}"
              "请你单位高度重视，于{{ 补报期限 }}前补报。{% endif %}如有特殊情况，请及时与{{ 印发机关 }}联系。"),
    ],
}
# Headings that differ from the 文种: a 催报通知 sent before the deadline (lzdocs urge --reminder) is a 报送提醒.
HEADINGS = {"催报通知": "{% if 提醒 %}报送提醒{% else %}催报通知{% endif %}"}


# ---- XML helpers ---------------------------------------------------------------------------------------

def _border(side: str, size_eighths: int, color: str = "000000", val: str = "single", space: int = 1) -> str:
    return f'<w:{side} {nsdecls("w")} w:val="{val}" w:sz="{size_eighths}" w:space="{space}" w:color="{color}"/>'


def _paragraph(doc_or_cell, text: str = "", *, font: str = FANGSONG, size: float = BODY_PT, align=None,
               first_indent_em: float = 0, color: str | None = None, line_pt: float | None = LINE_PT,
               keep_next: bool = False):
    p = doc_or_cell.add_paragraph()
    fmt = p.paragraph_format
    if align is not None:
        p.alignment = align
    if first_indent_em:
        fmt.first_line_indent = Pt(size * first_indent_em)
    if line_pt:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line_pt)
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.keep_with_next = keep_next or None
    if text:
        run = p.add_run(text)
        set_run_font(run, font, size, color=color)
    return p


def _run(p, text: str, font: str = FANGSONG, size: float = BODY_PT, **kw):
    run = p.add_run(text)
    set_run_font(run, font, size, **kw)
    return run


def _control(doc_or_cell, tag: str):
    """A paragraph that holds only a {%p … %} tag: docxtpl removes it when rendering."""
    return _paragraph(doc_or_cell, tag, line_pt=None)


# ---- document parts ------------------------------------------------------------------------------------

def _setup(doc) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(HEADER_MM), Mm(FOOTER_MM)
    section.different_first_page_header_footer = True
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is not None:
        grid.set(qn("w:type"), "lines")
        grid.set(qn("w:linePitch"), str(round(LINE_PT * 20)))
    for name in ("Normal", "Table Grid"):
        try:
            style = doc.styles[name]
        except KeyError:
            continue
        set_style_font(style, FANGSONG, BODY_PT)
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for attr, value in (("w:ascii", "Times New Roman"), ("w:hAnsi", "Times New Roman"),
                        ("w:eastAsia", FANGSONG), ("w:cs", "Times New Roman")):
        fonts.set(qn(attr), value)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    core = doc.core_properties
    core.author = core.last_modified_by = "lzdocs"
    core.title, core.comments, core.revision = "", "由 tools/make_templates.py 生成；可在 Word/WPS 中修改", 1
    import datetime as dt

    core.created = core.modified = dt.datetime(2026, 1, 1)


def _footer(doc) -> None:
    """Page numbers "— 2 —" in 4号宋体 from the second page on, odd pages right, even pages left, one character
    in from the edge; the first page shows no number but the lower red double line, thin over thick."""
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)
    first = section.first_page_footer
    first.is_linked_to_previous = False
    rule = first.paragraphs[0]
    rule.paragraph_format.space_before = rule.paragraph_format.space_after = Pt(0)
    rule.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    rule.paragraph_format.line_spacing = Pt(1)
    _widen(rule)
    _rule(rule, "bottom", "thinThickSmallGap", 0)


def _widen(p) -> None:
    """Indents that make the paragraph (and its border) 170 mm long, centred on the page."""
    p.paragraph_format.left_indent = Mm(LINE_LEFT_MM)
    p.paragraph_format.right_indent = Mm(LINE_RIGHT_MM)


def _rule(p, side: str, style: str, space: int) -> None:
    """A red double line as a paragraph border (Word: 边框和底纹), 3 pt in all."""
    pbdr = set_child(p._p.get_or_add_pPr(), "pBdr", PPR_ORDER)  # in schema order: Word is strict about it
    pbdr.append(parse_xml(_border(side, 24, RED, style, space)))


def _page_number(p, align) -> None:
    p.alignment = align
    p.paragraph_format.space_after = Pt(NUMBER_LIFT_PT)
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        p.paragraph_format.right_indent = Pt(14)
    else:
        p.paragraph_format.left_indent = Pt(14)
    _run(p, "— ", SONGTI, 14)
    field = parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr=" PAGE "><w:r><w:rPr>'
                      f'<w:rFonts w:ascii="{SONGTI}" w:hAnsi="{SONGTI}" w:eastAsia="{SONGTI}"/>'
                      f'<w:sz w:val="28"/></w:rPr><w:t>2</w:t></w:r></w:fldSimple>')
    p._p.append(field)
    _run(p, " —", SONGTI, 14)


def _head(doc, title: str) -> None:
    """发文机关标志 in red over a red double line, thick over thin, in the first page's header (the 信函 format
    puts it above the text block, 30 mm from the top edge), then the 文号 at the right and the title."""
    header = doc.sections[0].first_page_header
    header.is_linked_to_previous = False
    for p in list(header.paragraphs):
        p._p.getparent().remove(p._p)
    mark = _paragraph(header, "{{ 发文机关 }}", font=XIAOBIAOSONG, size=MARK_PT, align=WD_ALIGN_PARAGRAPH.CENTER,
                      color=RED, line_pt=MARK_LINE_PT)
    _widen(mark)
    _rule(mark, "bottom", "thickThinSmallGap", MARK_RULE_PT)
    _paragraph(doc, "{{ 文号 }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(doc)
    title_p = _paragraph(doc, title, font=XIAOBIAOSONG, size=22, align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=36)
    title_p.paragraph_format.space_after = Pt(LINE_PT)
    _paragraph(doc, "{{ 主送 }}：")


def _body(doc, blocks: list[tuple]) -> None:
    last = None
    for block in blocks:
        if block[0] == "p":
            last = _paragraph(doc, block[1], first_indent_em=2, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        elif block[0] == "list":
            _control(doc, f"{{%p for 条 in {block[1]} %}}")
            number = f"{{% if {block[1]}|length > 1 %}}{{{{ loop.index }}}}．{{% endif %}}"
            _paragraph(doc, number + "{{ 条 }}", first_indent_em=2, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
            _control(doc, "{%p endfor %}")
        elif block[0] == "item":
            p = _paragraph(doc, first_indent_em=2, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
            _run(p, block[1], HEITI)
            _run(p, block[2])
        else:  # pragma: no cover - a typo in BODIES
            raise ValueError(block)
    if last is not None:  # the closing paragraph never leaves the 署名 alone on a page
        last.paragraph_format.keep_with_next = True
    _control(doc, "{%p if 联系方式 %}")
    _paragraph(doc, "{{ 联系方式 }}", first_indent_em=2, align=WD_ALIGN_PARAGRAPH.JUSTIFY, keep_next=True)
    _control(doc, "{%p endif %}")


def _signature(doc) -> None:
    """成文日期 右空四字 with the 署名 centred over it (GB/T 9704 7.3.5.2); the indents here suit a 7-字 name,
    lzdocs sets them for the actual 署名 when it issues the letter."""
    _paragraph(doc, keep_next=True)
    sign = _paragraph(doc, "{{ 发文机关 }}", align=WD_ALIGN_PARAGRAPH.RIGHT, keep_next=True)
    sign.paragraph_format.right_indent = Pt(BODY_PT * 4)
    date = _paragraph(doc, "{{ 成文日期 }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    date.paragraph_format.right_indent = Pt(BODY_PT * 4)


def _copies(doc) -> None:
    """抄送 (only when given) in 4号仿宋, 左空一字, wrapped lines aligned after the colon. The 信函 format
    (GB/T 9704 10.1) has no 印发机关/印发日期 line and no rules in the 版记; lzdocs moves it to the foot of the
    last page when it issues the letter."""
    _control(doc, "{%p if 抄送 %}")
    copy = _paragraph(doc, line_pt=LINE_PT)
    copy.paragraph_format.left_indent = Pt(14 * 4)
    copy.paragraph_format.first_line_indent = Pt(-14 * 3)
    _run(copy, "抄送：", size=14)
    _run(copy, "{{ 抄送 }}", size=14)
    _control(doc, "{%p endif %}")


def build(title: str, blocks: list[tuple]):
    doc = blank_document()
    body = doc.element.body
    for p in list(body.iterchildren(qn("w:p"))):
        body.remove(p)
    _setup(doc)
    _footer(doc)
    _head(doc, HEADINGS.get(title, title))
    _body(doc, blocks)
    _signature(doc)
    _copies(doc)
    return doc


# ---- reproducible packaging ----------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    outdir = Path(argv[1]) if len(argv) > 1 else ROOT / "lzdocs" / "templates"
    outdir.mkdir(parents=True, exist_ok=True)
    for title, blocks in BODIES.items():
        buffer = io.BytesIO()
        build(title, blocks).save(buffer)
        path = outdir / f"{title}.docx"
        path.write_bytes(clean_package(buffer.getvalue()))
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

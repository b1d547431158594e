"""Regenerate the packaged 公示表 template (lzdocs/templates/公示表.docx) reproducibly: same input, same bytes.

Usage:  python tools/make_publicity_template.py [OUTDIR]      (default: lzdocs/templates/)

A4 landscape: title in 2号小标宋, an introductory paragraph with the 公示期, the table (单位, 岗位名称, 风险点描述,
风险等级, 防控措施, and 责任人 when ``[publicity] show_owner = true``) with its header row repeated on every page,
then 监督电话 and 电子邮箱 (when set), 署名 and date, kept together. The table exists twice — with and without
责任人 — chosen by ``{%p if show_owner %} … {%p else %} … {%p endif %}``; each has one data row between
``{%tr for r in rows %}`` and ``{%tr endfor %}``. lzdocs renders the template once and repeats that data
row for every risk point (fields of ``r``: unit, seq, post, duties, risk, category, level, measures, owner,
filled_date). Variables: title, school, office, year, date, show_owner, period (公示期 from–to), period_start,
period_end, days, phone, email. Every run has its East-Asian font.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from make_blank import clean_package  # noqa: E402 - beside this script

from lzdocs.ooxml.fonts import FANGSONG, HEITI, SONGTI, XIAOBIAOSONG, set_run_font, set_style_font  # noqa: E402
from lzdocs.ooxml.wordml import add_page_number, blank_document, tidy_package  # noqa: E402

CELL_PT = 10.5  # 五号
INTRO = ("根据《{{ school }}廉政风险防控机制建设工作实施方案》，现将各部门、各单位排查确定的廉政风险点及防控措施"
         "予以公示，公示期为{{ period }}。公示期间，如有意见和建议，请向{{ office }}反映。")
CONTACT = ("{% if phone %}监督电话：{{ phone }}{% endif %}{% if phone and email %}　　{% endif %}"
           "{% if email %}电子邮箱：{{ email }}{% endif %}")  # one line, each part when set

# (header, field of r, width in mm, centred?) — each table fills the 257 mm between the margins.
WITH_OWNER = [("单位", "unit", 30, False), ("岗位名称", "post", 32, False), ("风险点描述", "risk", 75, False),
              ("风险等级", "level", 18, True), ("防控措施", "measures", 80, False), ("责任人", "owner", 22, True)]
WITHOUT_OWNER = [("单位", "unit", 32, False), ("岗位名称", "post", 36, False), ("风险点描述", "risk", 82, False),
                 ("风险等级", "level", 19, True), ("防控措施", "measures", 88, False)]


def _paragraph(doc_or_cell, text: str, font: str, size: float, *, bold: bool = False,
               align=None, indent: bool = False, space_after: float = 0, space_before: float = 0,
               keep: bool = False):
    """A paragraph of one run; ``keep``: kept with the next paragraph and in one piece (the closing lines)."""
    p = doc_or_cell.add_paragraph()
    if align is not None:
        p.alignment = align
    fmt = p.paragraph_format
    fmt.space_before, fmt.space_after = Pt(space_before), Pt(space_after)
    if keep:
        fmt.keep_with_next = fmt.keep_together = True
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    set_run_font(p.add_run(text), font, size, bold=bold)
    return p


def _cell_text(cell, text: str, *, font: str = FANGSONG, bold: bool = False, centred: bool = False) -> None:
    p = cell.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER if centred else WD_ALIGN_PARAGRAPH.LEFT
    p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(2)
    if text:
        set_run_font(p.add_run(text), font, CELL_PT, bold=bold)


def _row_flag(row, tag: str) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement(tag))


def _shade(cell, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _table(doc, columns) -> None:
    table = doc.add_table(rows=4, cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    header, loop, data, end = table.rows
    for grid_col, (_, _, width, _) in zip(table._tbl.tblGrid.gridCol_lst, columns):
        grid_col.w = Mm(width)  # LibreOffice and WPS lay the table out from the grid, Word from the cells
    for i, (label, key, width, centred) in enumerate(columns):
        for row in table.rows:
            row.cells[i].width = Mm(width)
        _cell_text(header.cells[i], label, font=HEITI, bold=True, centred=True)
        _shade(header.cells[i], "D9D9D9")
        _cell_text(data.cells[i], "{{ r." + key + " }}", centred=centred)
    _cell_text(loop.cells[0], "{%tr for r in rows %}")
    _cell_text(end.cells[0], "{%tr endfor %}")
    _row_flag(header, "w:tblHeader")  # repeat the header row on every page
    _row_flag(header, "w:cantSplit")
    _row_flag(data, "w:cantSplit")  # a risk point is never cut across two pages


def _page_number(paragraph) -> None:
    """"— 1 —" in 小四宋体, centred."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_page_number(paragraph, lambda run: set_run_font(run, SONGTI, 12))


def build() -> Document:
    doc = blank_document()
    tidy_package(doc)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(22), Mm(20)
    section.left_margin = section.right_margin = Mm(20)
    set_style_font(doc.styles["Normal"], FANGSONG, CELL_PT)
    body = doc.paragraphs[0]._p if doc.paragraphs else None
    if body is not None:
        body.getparent().remove(body)
    _paragraph(doc, "{{ title }}", XIAOBIAOSONG, 22, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    _paragraph(doc, INTRO, FANGSONG, 14, indent=True, space_after=8)
    _paragraph(doc, "{%p if show_owner %}", FANGSONG, CELL_PT)
    _table(doc, WITH_OWNER)
    _paragraph(doc, "{%p else %}", FANGSONG, CELL_PT)
    _table(doc, WITHOUT_OWNER)
    _paragraph(doc, "{%p endif %}", FANGSONG, CELL_PT)
    # The closing lines keep with each other and lzdocs keeps the table's last row with them, so the 署名 and
    # date never stand alone on the last page.
    _paragraph(doc, "{%p if phone or email %}", FANGSONG, CELL_PT)
    _paragraph(doc, CONTACT, FANGSONG, 14, indent=True, space_before=6, keep=True)
    _paragraph(doc, "{%p endif %}", FANGSONG, CELL_PT)
    _paragraph(doc, "", FANGSONG, 14, space_after=6, keep=True)
    _paragraph(doc, "{{ office }}", FANGSONG, 14, align=WD_ALIGN_PARAGRAPH.RIGHT, keep=True)
    _paragraph(doc, "{{ date }}", FANGSONG, 14, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.footer.paragraphs[0])
    core = doc.core_properties
    core.author = core.last_modified_by = "lzdocs"
    core.title, core.comments, core.revision = ("廉政风险点公示表",
                                                "由 tools/make_publicity_template.py 生成；可在 Word/WPS 中修改", 1)
    core.created = core.modified = dt.datetime(2026, 1, 1)
    return doc


def package(doc: Document) -> bytes:
    """The .docx bytes with fixed timestamps, so that the output is reproducible."""
    raw = io.BytesIO()
    doc.save(raw)
    return clean_package(raw.getvalue())


def main(argv: list[str]) -> int:
    outdir = Path(argv[1]) if len(argv) > 1 else ROOT / "lzdocs" / "templates"
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / "公示表.docx"
    path.write_bytes(package(build()))
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

"""Forms for distribution (``lzdocs form``): the form kind rendered as .docx and .xlsx, optionally filled."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm

from lzdocs.forms.schema import FormKind
from lzdocs.forms.values import LEVEL_NAMES
from lzdocs.ooxml.fonts import FANGSONG, HEITI, XIAOBIAOSONG, add_text, set_style_font
from lzdocs.ooxml.fonttable import save_document
from lzdocs.ooxml.wordml import blank_document, tidy_package
from lzdocs.textutil import chinese_date

BLANK_ROWS = 8
XLSX_ROWS = 30


def _cell_text(field, row: dict) -> str:
    value = row.get(field.key, "")
    if field.type == "level" and isinstance(value, int):
        return LEVEL_NAMES.get(value, str(value))
    if field.type == "choice" and not value and any(row.values()):  # a pre-filled row: the choices to tick
        return "  ".join(f"□{choice}" for choice in field.choices)
    return "" if value is None else str(value)


def _date_text(date: dt.date | None) -> str:
    return chinese_date(date) if date else "      年    月    日"


def form_title(kind: FormKind, school: str = "") -> str:
    """The form's title line: the school's name before the kind's title (内蒙古工业大学岗位风险分析和防控措施表)."""
    return f"{school.strip()}{kind.title}"


def write_docx(kind: FormKind, path: Path, *, unit: str | None = None, rows: list[dict] | None = None,
               date: dt.date | None = None, merge_posts: bool = False, school: str = "") -> Path:
    """The form as a landscape A4 Word document: title (with ``school``), unit and date line, the table, the
    填表说明."""
    doc = blank_document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin = section.right_margin = Mm(18)
    set_style_font(doc.styles["Normal"], FANGSONG, "小四")

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(title, form_title(kind, school), XIAOBIAOSONG, "二号")

    head = doc.add_paragraph()
    add_text(head, f"{kind.unit.label}：", FANGSONG, "四号")
    add_text(head, (unit or "").ljust(24, "\u3000") if unit else "\u3000" * 16, FANGSONG, "四号", bold=bool(unit))
    add_text(head, f"\u3000\u3000\u3000\u3000{kind.date.label}：{_date_text(date)}", FANGSONG, "四号")

    data = rows if rows is not None else [{} for _ in range(BLANK_ROWS)]
    table = doc.add_table(rows=1 + len(data), cols=len(kind.fields))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    total = sum(f.width for f in kind.fields)
    usable = Mm(297 - 36)
    grid = table._tbl.tblGrid.findall(qn("w:gridCol"))
    cells = [row.cells for row in table.rows]  # once: python-docx works out a column's cells from the whole table
    for i, f in enumerate(kind.fields):
        width = int(usable * f.width / total)
        grid[i].set(qn("w:w"), str(width // 635))  # EMU → twentieths of a point
        for row in cells:
            row[i].width = width
        cell = cells[0][i]
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        add_text(cell.paragraphs[0], f.label, HEITI, "小四")
    _repeat_header(table.rows[0])
    for r, row in enumerate(data, 1):
        for i, f in enumerate(kind.fields):
            value = _cell_text(f, row)
            if f.key == "seq" and not value and rows is not None:
                value = str(r)
            if value:
                add_text(cells[r][i].paragraphs[0], value, FANGSONG, "小四")
    if merge_posts and rows:
        _merge_same_posts(table, kind, data)
    if kind.notes:
        note = doc.add_paragraph()
        add_text(note, kind.notes, FANGSONG, "五号")
    tidy_package(doc, title=form_title(kind, school), author=unit or "", keywords="")
    path.parent.mkdir(parents=True, exist_ok=True)
    save_document(doc, path)
    return path


def _repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:tblHeader"))  # on by its presence


def _merge_same_posts(table, kind: FormKind, data: list[dict]) -> None:
    """One 岗位 over consecutive risk rows, as clerks lay it out (a vertical merge)."""
    col = [f.key for f in kind.fields].index("post")
    start = 1
    for r in range(2, len(data) + 2):
        same = r <= len(data) and data[r - 1].get("post") == data[start - 1].get("post")
        if not same:
            if r - 1 > start:
                top = table.cell(start, col)
                for k in range(start + 1, r):  # keep only the first row's text
                    table.cell(k, col)._tc.clear_content()
                    table.cell(k, col)._tc.append(OxmlElement("w:p"))
                top.merge(table.cell(r - 1, col))
                while len(top.paragraphs) > 1:
                    top._tc.remove(top.paragraphs[-1]._p)
            start = r


def write_xlsx(kind: FormKind, path: Path, *, unit: str | None = None, rows: list[dict] | None = None,
               date: dt.date | None = None, sheet_title: str | None = None, school: str = "") -> Path:
    """The form as a workbook: drop-down lists for 风险等级/风险类别, header protected, data cells open
    (lzdocs/documents/blankform_xlsx.py: openpyxl is loaded only when a workbook is asked for)."""
    from lzdocs.documents.blankform_xlsx import write_form_xlsx

    return write_form_xlsx(kind, path, unit=unit, rows=rows, date=date, sheet_title=sheet_title, school=school)

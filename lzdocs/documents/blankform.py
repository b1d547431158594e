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
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation

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


_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def write_xlsx(kind: FormKind, path: Path, *, unit: str | None = None, rows: list[dict] | None = None,
               date: dt.date | None = None, sheet_title: str | None = None, school: str = "") -> Path:
    """The form as a workbook: drop-down lists for 风险等级/风险类别, header protected, data cells open."""
    wb = Workbook()
    ws = wb.active
    ws.title = (sheet_title or kind.title)[:31]
    _xlsx_head(ws, kind, unit, date, form_title(kind, school))
    last = _xlsx_rows(ws, kind, rows or [])
    _xlsx_choices(ws, kind, last)
    _xlsx_finish(ws, kind, last)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _xlsx_head(ws, kind: FormKind, unit: str | None, date: dt.date | None, title: str) -> None:
    """Title (row 1), unit and date (row 2, the only open cells up there), column headers (row 3)."""
    ncol = len(kind.fields)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.cell(1, 1, title).font = Font(name=XIAOBIAOSONG, size=18)
    ws.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 36

    ws.cell(2, 1, kind.unit.label).font = Font(name=FANGSONG, size=12, bold=True)
    ws.merge_cells(start_row=2, start_column=2, end_row=2, end_column=4)
    unit_cell = ws.cell(2, 2, unit or None)
    date_label_col = max(ncol - 2, 5)
    ws.cell(2, date_label_col, kind.date.label).font = Font(name=FANGSONG, size=12, bold=True)
    date_cell = ws.cell(2, date_label_col + 1, date)
    date_cell.number_format = "yyyy\"年\"m\"月\"d\"日\""
    for cell in (unit_cell, date_cell):
        cell.protection = Protection(locked=False)
        cell.font = Font(name=FANGSONG, size=12)
        cell.border = Border(bottom=_THIN)

    header_fill = PatternFill("solid", fgColor="D9E1F2")
    for i, f in enumerate(kind.fields, 1):
        c = ws.cell(3, i, f.label)
        c.font = Font(name=HEITI, size=11, bold=True)
        c.fill = header_fill
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        c.border = _BORDER
        ws.column_dimensions[c.column_letter].width = f.width * 1.6


def _xlsx_rows(ws, kind: FormKind, data: list[dict]) -> int:
    """The data rows from row 4 (filled, or blank and open for typing); returns the last row."""
    last = 3 + max(XLSX_ROWS, len(data))
    # One named style for every data cell (WPS/Excel list it as 表格内容): openpyxl hashes a cell's font, border …
    # again for each cell they are set on, which made this loop 80 % of writing a form.
    style = NamedStyle("表格内容", font=Font(name=FANGSONG, size=11), border=_BORDER,
                       alignment=Alignment(vertical="top", wrap_text=True), protection=Protection(locked=False))
    ws.parent.add_named_style(style)
    for r in range(4, last + 1):
        row = data[r - 4] if r - 4 < len(data) else {}
        for i, f in enumerate(kind.fields, 1):
            value = (_cell_text(f, row) if f.type != "choice" else row.get(f.key)) or None  # a drop-down here
            c = ws.cell(r, i)
            if value is not None:
                c.value = value
                c.data_type = "s"  # text as written; never a formula
            c.style = style
        ws.row_dimensions[r].height = 30
    return last


def _xlsx_choices(ws, kind: FormKind, last: int) -> None:
    """Drop-down lists; a level outside the list is refused, a category outside it only discouraged."""
    for i, f in enumerate(kind.fields, 1):
        if not f.choices:
            continue
        col = ws.cell(3, i).column_letter
        dv = DataValidation(type="list", formula1='"' + ",".join(f.choices) + '"', allow_blank=True,
                            showErrorMessage=f.type in ("level", "choice"), errorTitle=f.label,
                            error=f"请从下拉列表中选择：{'、'.join(f.choices)}")
        dv.add(f"{col}4:{col}{last}")
        ws.add_data_validation(dv)


def _xlsx_finish(ws, kind: FormKind, last: int) -> None:
    """填表说明 under the table, frozen header, A4 landscape printing, sheet protection."""
    if kind.notes:
        ws.merge_cells(start_row=last + 1, start_column=1, end_row=last + 1, end_column=len(kind.fields))
        note = ws.cell(last + 1, 1, kind.notes)
        note.alignment = Alignment(wrap_text=True, vertical="top")
        note.font = Font(name=FANGSONG, size=10)
        ws.row_dimensions[last + 1].height = 48
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.protection.sheet = True
    for allowed in ("formatColumns", "formatRows", "formatCells", "insertRows", "deleteRows", "sort", "autoFilter"):
        setattr(ws.protection, allowed, False)  # False = the user may do it

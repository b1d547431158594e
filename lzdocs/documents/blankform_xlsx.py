"""The blank (or pre-filled) form as an Excel workbook, written with openpyxl; see blankform.write_xlsx."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation

from lzdocs.documents.blankform import XLSX_ROWS, _cell_text, form_title
from lzdocs.forms.schema import FormKind
from lzdocs.ooxml.fonts import FANGSONG, HEITI, XIAOBIAOSONG

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def write_form_xlsx(kind: FormKind, path: Path, *, unit: str | None = None, rows: list[dict] | None = None,
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


def _xlsx_head(ws: Worksheet, kind: FormKind, unit: str | None, date: dt.date | None, title: str) -> None:
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


def _xlsx_rows(ws: Worksheet, kind: FormKind, data: list[dict]) -> int:
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


def _xlsx_choices(ws: Worksheet, kind: FormKind, last: int) -> None:
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


def _xlsx_finish(ws: Worksheet, kind: FormKind, last: int) -> None:
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

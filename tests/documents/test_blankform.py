"""Blank forms for distribution: fonts of docs/product.md §7 on every run, drop-downs, a protected header, open
data cells."""

import re
import zipfile

from docx import Document
from docx.shared import Mm
from lxml import etree
from openpyxl import load_workbook

from lzdocs.documents.blankform import write_docx, write_xlsx
from lzdocs.forms.schema import risk_kind

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def test_docx_every_chinese_run_has_an_east_asian_font(tmp_path):
    path = write_docx(risk_kind(), tmp_path / "表.docx", unit="计划财务处")
    with zipfile.ZipFile(path) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    runs = [r for r in root.iter(f"{W}r") if CJK.search("".join(t.text or "" for t in r.iter(f"{W}t")))]
    assert runs
    for run in runs:
        fonts = run.find(f"{W}rPr/{W}rFonts")
        assert fonts is not None and fonts.get(f"{W}eastAsia"), etree.tostring(run, encoding="unicode")


def test_docx_is_landscape_a4_with_title_unit_header_row_and_instructions(tmp_path):
    kind = risk_kind()
    doc = Document(write_docx(kind, tmp_path / "表.docx", unit="基建处"))
    section = doc.sections[0]
    assert abs(section.page_width - Mm(297)) < Mm(1) and abs(section.page_height - Mm(210)) < Mm(1)
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "岗位风险分析和防控措施表" and "基建处" in texts[1] and "填表日期" in texts[1]
    header = doc.tables[0].rows[0]
    assert [c.text for c in header.cells] == [f.label for f in kind.fields]
    assert header._tr.trPr.find(f"{W}tblHeader") is not None  # repeated on every page
    assert texts[-1].startswith("填表说明")


def test_xlsx_header_is_locked_data_cells_open_and_lists_offered(tmp_path):
    wb = load_workbook(write_xlsx(risk_kind(), tmp_path / "表.xlsx", unit="图书馆"))
    sheet = wb.active
    assert sheet.protection.sheet and sheet.protection.insertRows is False  # rows may still be added
    assert sheet["A3"].protection.locked and sheet["B2"].protection.locked is False
    assert sheet["C10"].protection.locked is False and sheet["B2"].value == "图书馆"
    lists = {str(dv.sqref)[0]: dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert lists == {"E": '"思想道德,岗位职责,业务流程,制度机制,外部环境"', "F": '"一级,二级,三级"'}
    assert sheet.freeze_panes == "A4" and sheet.print_title_rows == "$3:$3"

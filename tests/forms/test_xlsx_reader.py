"""Reading forms from .xlsx: the right sheet, merged cells, Chinese date formats, serials, footers."""

import datetime as dt
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from lzdocs.errors import RejectedFile
from lzdocs.forms.checks import check_form
from lzdocs.forms.schema import load_kinds
from lzdocs.forms.xlsx import read_xlsx
from lzdocs.ooxml.safety import Limits
from lzdocs.workspace import Roster

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "forms"
KINDS = load_kinds()
TODAY = dt.date(2026, 11, 28)


def read(path):
    return read_xlsx(FIXTURES / path if isinstance(path, str) else path, KINDS, Limits())


def column(form, key: str) -> list[str]:
    return [row.values.get(key, "") for row in form.rows]


def levels(form) -> list[int]:
    checked = check_form(form, Roster([]), received=TODAY, today=TODAY)
    return [row["level"] for row in checked.rows]


# --- openpyxl, edited the way Excel writes -------------------------------------------------------

def test_form_on_the_second_sheet_after_an_instructions_sheet():
    form = read("excel_instructions.xlsx")
    assert form.where == "工作表“风险表”"
    assert form.columns == {"seq": "编号", "post": "岗位", "risk": "风险描述", "category": "风险类型", "level": "等级",
                            "measures": "防范措施", "owner": "负责人"}


def test_chinese_locale_date_format_31_reads_as_a_date():
    path = FIXTURES / "excel_instructions.xlsx"
    assert openpyxl.load_workbook(path)["风险表"]["F2"].value == 40857  # the trap: openpyxl sees a number
    form = read(path)
    assert form.date_value == dt.date(2011, 11, 10)


def test_unit_in_a_label_cell_and_a_merged_value_cell():
    assert read("excel_instructions.xlsx").unit == "教务处"


def test_vertical_merge_fills_every_row_and_blank_rows_are_skipped_with_excel_row_numbers():
    form = read("excel_instructions.xlsx")
    assert column(form, "post") == ["教学运行", "教学运行", "教学运行", "学籍管理", "学籍管理"]
    assert [row.number for row in form.rows] == [4, 5, 6, 8, 9]


def test_serial_numbers_stored_as_floats_read_as_integers():
    assert column(read("excel_instructions.xlsx"), "seq") == ["1", "2", "3", "4", "5"]


def test_full_width_digits_are_kept_verbatim():
    assert column(read("excel_instructions.xlsx"), "risk")[0] == "调停课随意，第１周即调课"


def test_levels_as_words_and_as_numbers():
    form = read("excel_instructions.xlsx")
    assert column(form, "level") == ["一级", "二级", "三级", "1", "2"]
    assert levels(form) == [1, 2, 3, 1, 2]


def test_note_row_at_the_bottom_is_not_data():
    form = read("excel_instructions.xlsx")
    assert len(form.rows) == 5 and not any("填表说明" in v for v in column(form, "seq"))


def test_unit_and_label_in_one_cell_and_date_as_a_general_serial_number():
    form = read("excel_serial.xlsx")
    assert form.unit == "国有资产管理处"
    assert form.date_text == "40857" and form.date_value == dt.date(2011, 11, 10)


def test_signature_line_under_the_table_is_not_a_data_row():
    form = read("excel_serial.xlsx")
    assert [row.number for row in form.rows] == [4, 5, 6]


def test_text_that_looks_like_a_formula_is_read_verbatim():
    assert column(read("excel_serial.xlsx"), "risk")[2] == "=采购参数倾向特定厂家"


def test_high_middle_low_levels():
    form = read("excel_serial.xlsx")
    assert column(form, "level") == ["高", "中", "低"]
    assert levels(form) == [1, 2, 3]


# --- made by LibreOffice from HTML -------------------------------------------------------------

def test_title_row_and_two_row_merged_header_from_libreoffice():
    form = read("lo_merged.xlsx")
    assert form.columns == {"seq": "序号", "post": "工作岗位", "risk": "风险描述", "category": "风险类型",
                            "level": "风险级别", "measures": "防范措施", "owner": "责任领导"}
    assert [row.number for row in form.rows] == [5, 6, 8]


def test_merged_post_and_roman_levels_from_libreoffice():
    form = read("lo_merged.xlsx")
    assert column(form, "post") == ["项目管理", "项目管理", "成果管理"]
    assert column(form, "level") == ["I", "II", "III"]
    assert levels(form) == [1, 2, 3]


def test_unit_and_date_in_label_and_merged_value_cells_from_libreoffice():
    form = read("lo_merged.xlsx")
    assert form.unit == "科学技术处" and form.date_value == dt.date(2011, 11, 10)


# --- built here -------------------------------------------------------------------------------

def small_form(path: Path, edit=None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["单位（公章）：基建处", None, "填表日期：2011/11/10"])
    ws.append(["序号", "岗位名称", "风险点描述", "风险等级", "防控措施"])
    ws.append([1, "工程管理", "违规变更工程量", "一", "变更集体审议"])
    ws.append([2, "招标管理", "泄露标底", "二", "标底密封保管"])
    if edit:
        edit(ws)
    wb.save(path)
    return path


def test_date_written_as_text_with_slashes_and_single_character_levels(tmp_path):
    form = read(small_form(tmp_path / "a.xlsx"))
    assert form.unit == "基建处" and form.date_value == dt.date(2011, 11, 10)
    assert levels(form) == [1, 2]


def test_date_cell_right_of_its_label(tmp_path):
    def edit(ws):
        ws["C1"] = "填表日期"
        ws["D1"] = dt.datetime(2011, 11, 10)
    assert read(small_form(tmp_path / "a.xlsx", edit)).date_value == dt.date(2011, 11, 10)


def test_workbook_without_the_form_is_rejected(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "电话"])
    wb.save(tmp_path / "a.xlsx")
    with pytest.raises(RejectedFile) as exc:
        read(tmp_path / "a.xlsx")
    assert "未找到《岗位风险分析和防控措施表》表格" in exc.value.problems[0].message


def test_far_away_cell_and_huge_merge_do_not_blow_up(tmp_path):
    def edit(ws):
        ws.cell(1048576, 16384, "远处的单元格")
        ws["A10"] = "备注"
        ws["B1000000"] = "很远的一行"  # the merge below would cover 1,000,000 × 200 cells
    path = small_form(tmp_path / "a.xlsx", edit)
    with zipfile.ZipFile(path) as zf:
        items = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b'</sheetData><mergeCells count="1">'
                                                      b'<mergeCell ref="A10:XFD1048576"/></mergeCells>')
            zf.writestr(info, data)
    started = time.perf_counter()
    form = read(path)
    assert time.perf_counter() - started < 2
    assert column(form, "post") == ["工程管理", "招标管理"]


def test_form_written_by_lzdocs_reads_back(tmp_path, make_form):
    form = read(make_form(tmp_path / "表.xlsx", unit="计划财务处", date=dt.date(2026, 11, 10)))
    assert form.unit == "计划财务处" and form.date_value == dt.date(2026, 11, 10)
    assert column(form, "post") == ["出纳", "会计", "处长"]
    assert levels(form) == [1, 2, 3]

"""Reading forms from .xlsx: the right sheet, merged cells, Chinese date formats, serials, footers."""

import datetime as dt
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font, PatternFill

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
    assert "未找到《岗位风险分析和防控措施表》或《防控措施落实情况检查表》表格" in exc.value.problems[0].message


def _with_sheet_xml(path: Path, edit, parts: dict[str, bytes] | None = None) -> Path:
    """``path`` with its first worksheet's XML passed through ``edit`` (bytes → bytes) and ``parts`` added."""
    with zipfile.ZipFile(path) as zf:
        items = [(info.filename, zf.read(info)) for info in zf.infolist()]
    parts = parts or {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in [*((n, d) for n, d in items if n not in parts), *parts.items()]:
            zf.writestr(name, edit(data) if name == "xl/worksheets/sheet1.xml" else data)
    return path


def _with_cell(path: Path, cell: bytes, strings: list[str] = ()) -> Path:
    """``path`` with ``cell`` (the XML of a cell in row 1) and a shared-strings part holding ``strings``."""
    sst = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           + b"".join(b"<si><t>" + s.encode() + b"</t></si>" for s in strings) + b"</sst>")
    return _with_sheet_xml(path, lambda xml: xml.replace(b"</row>", cell + b"</row>", 1),
                           {"xl/sharedStrings.xml": sst} if strings else None)


def test_huge_merge_and_far_away_formatted_empty_cells_do_not_blow_up(tmp_path):
    def edit(ws):
        ws.cell(1048576, 16384).font = Font(bold=True)  # formatted, no value: Excel leaves such cells everywhere
        ws["GQ1000000"].fill = PatternFill("solid", fgColor="FFFF00")
        ws["A10"] = "备注"
    path = small_form(tmp_path / "a.xlsx", edit)
    _with_sheet_xml(path, lambda xml: xml.replace(b"</sheetData>", b'</sheetData><mergeCells count="1">'
                                                  b'<mergeCell ref="A10:XFD1048576"/></mergeCells>'))
    assert b'r="XFD1048576"' in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    started = time.process_time()  # CPU time: a busy machine does not fail it
    form = read(path)
    assert time.process_time() - started < 2
    assert column(form, "post") == ["工程管理", "招标管理"]


@pytest.mark.parametrize("cell, words", [
    ("B10001", ["工作表“Sheet”在第 10000 行以下还有内容（单元格 B10001）", "最多读取 10000 行、50 列",
                "请删除表格下方多余的行（在名称框中输入 B10001 可定位到该单元格）", "复制到一个新的工作簿"]),
    ("AY1", ["工作表“Sheet”在 AX 列右边还有内容（单元格 AY1）", "请删除表格右侧多余的列"]),
    ("XFD1048576", ["单元格 XFD1048576"]),
])
def test_a_value_beyond_the_row_or_column_limit_is_refused_with_its_address(tmp_path, cell, words):
    def edit(ws):
        ws[cell] = "远处的单元格"
    with pytest.raises(RejectedFile) as exc:
        read(small_form(tmp_path / "a.xlsx", edit))
    for word in words:
        assert word in exc.value.problems[0].message


def test_the_row_and_column_limits_come_from_the_settings(tmp_path):
    path = small_form(tmp_path / "a.xlsx", lambda ws: ws.__setitem__("F4", "备注"))
    with pytest.raises(RejectedFile, match="在 E 列右边还有内容（单元格 F4）"):
        read_xlsx(path, KINDS, Limits(max_columns=5))
    with pytest.raises(RejectedFile, match="在第 3 行以下还有内容（单元格 A4）"):
        read_xlsx(path, KINDS, Limits(max_rows=3))
    assert len(read_xlsx(path, KINDS, Limits(max_rows=4, max_columns=6)).rows) == 2


def test_a_hidden_sheet_beyond_the_limits_is_named(tmp_path):
    def edit(ws):
        extra = ws.parent.create_sheet("下拉列表")
        extra["A20000"] = "图书馆"
        extra.sheet_state = "hidden"
    with pytest.raises(RejectedFile, match="隐藏的工作表“下拉列表”在第 10000 行以下还有内容（单元格 A20000）"):
        read(small_form(tmp_path / "a.xlsx", edit))


def test_a_cell_longer_than_excel_allows_has_its_own_message(tmp_path):
    long = "很长的文字" * 6554  # 32,770 characters: more than an Excel cell holds
    shared = _with_cell(small_form(tmp_path / "a.xlsx"), b'<c r="F1" t="s"><v>0</v></c>', [long])
    with pytest.raises(RejectedFile) as exc:
        read(shared)
    message = exc.value.problems[0].message
    assert message.startswith("文件中有单元格的文字过长（超过 32767 字，Excel 单元格最多只能容纳这么多字）")
    assert "格式损坏" not in message
    inline = _with_cell(small_form(tmp_path / "b.xlsx"), b'<c r="F1" t="inlineStr"><is><t>' + long.encode()
                        + b"</t></is></c>")
    with pytest.raises(RejectedFile, match="工作表“Sheet”的单元格 F1 文字过长"):
        read(inline)
    at_the_limit = _with_cell(small_form(tmp_path / "c.xlsx"), b'<c r="F1" t="s"><v>0</v></c>', [long[:32767]])
    assert read(at_the_limit).unit == "基建处"
    line_breaks = "第一行_x000D_\n" * 3000  # 15,000 characters, 33,000 as Excel writes them
    escaped = _with_cell(small_form(tmp_path / "d.xlsx"), b'<c r="F1" t="s"><v>0</v></c>', [line_breaks])
    assert read(escaped).unit == "基建处"


def test_a_fifty_megabyte_shared_string_is_called_too_long_not_damaged(tmp_path):
    import random

    rng = random.Random(1)
    block = "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(100_000)).encode()  # longer than deflate's window
    path = _with_cell(small_form(tmp_path / "a.xlsx"), b'<c r="F1" t="s"><v>0</v></c>', ["x"])
    with zipfile.ZipFile(path) as zf:
        items = [(info.filename, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:  # written piece by piece
        for name, data in items:
            if name != "xl/sharedStrings.xml":
                zf.writestr(name, data)
        with zf.open("xl/sharedStrings.xml", "w") as fh:
            fh.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>')
            for _ in range(50 * 2**20 // len(block)):  # 50 MB in UTF-8, about 35 MB compressed
                fh.write(block)
            fh.write(b"</t></si></sst>")
    assert zipfile.ZipFile(path).getinfo("xl/sharedStrings.xml").file_size > 49 * 2**20
    started = time.process_time()  # CPU time: a busy machine does not fail it
    with pytest.raises(RejectedFile, match="文件中有单元格的文字过长（超过 32767 字"):
        read(path)
    assert time.process_time() - started < 2


def test_the_workbook_budget_counts_the_cells_of_all_sheets(tmp_path, monkeypatch):
    def edit(ws):
        copy = ws.parent.copy_worksheet(ws)
        copy["A30"] = "备注"
    path = small_form(tmp_path / "a.xlsx", edit)  # two sheets of 4 × 5 cells, the copy 30 rows high
    assert len(read(path).rows) == 2
    monkeypatch.setattr("lzdocs.forms.xlsx.MAX_WORKBOOK_CELLS", 40)
    with pytest.raises(RejectedFile, match="工作簿的内容过多（各工作表合计超过 40 个单元格）"):
        read(path)


def test_the_text_of_all_cells_and_shared_strings_is_bounded(tmp_path, monkeypatch):
    path = _with_cell(small_form(tmp_path / "a.xlsx"), b'<c r="F1" t="s"><v>1</v></c>', ["甲" * 40, "乙" * 40])
    assert read(path).unit == "基建处"
    monkeypatch.setattr("lzdocs.forms.xlsx.MAX_WORKBOOK_CHARS", 100)
    with pytest.raises(RejectedFile, match="文件中的文字总量过大（超过 100 字）"):
        read(path)
    monkeypatch.setattr("lzdocs.forms.xlsx.MAX_WORKBOOK_CHARS", 10_000)
    monkeypatch.setattr("lzdocs.forms.xlsx_parts.MAX_SHARED_STRINGS", 1)
    with pytest.raises(RejectedFile, match="文件中的文字单元格过多（超过 1 个不同的文字）"):
        read(path)


def test_a_shared_string_shown_in_many_cells_is_held_once(tmp_path):
    from lzdocs.forms.xlsx import _Workbook
    from lzdocs.ooxml.safety import SafePackage

    padded = " " + "很长的文字" * 6000 + " "  # stripped when shown: a copy per cell would be 60 KB each
    path = _with_cell(small_form(tmp_path / "a.xlsx"), b'<c r="F1" t="s"><v>0</v></c>', [padded])
    with SafePackage(path, Limits()) as package:
        book = _Workbook(package, Limits())
        first, second = book.cell_text("s", None, "0", None), book.cell_text("s", None, "0", None)
    assert first == padded.strip() and first is second


def test_a_sheet_listed_many_times_is_read_once(tmp_path):
    path = small_form(tmp_path / "a.xlsx")
    with zipfile.ZipFile(path) as zf:
        book = zf.read("xl/workbook.xml")
    start = book.index(b"<sheet ")
    entry = book[start:book.index(b"/>", start) + 2]
    many = b"".join(entry.replace(b'name="Sheet"', b'name="S%d"' % i) for i in range(100_000))
    _with_sheet_xml(path, lambda xml: xml, {"xl/workbook.xml": book.replace(entry, many)})
    started = time.process_time()  # CPU time: a busy machine does not fail it
    form = read(path)
    assert time.process_time() - started < 5
    assert form.where == "工作表“S0”" and not form.problems


def test_a_doctype_split_across_two_read_chunks_is_still_refused(tmp_path):
    from lzdocs.ooxml.safety import CHUNK

    def edit(xml: bytes) -> bytes:
        body = xml.split(b"?>", 1)[-1] if xml.startswith(b"<?xml") else xml
        head = b'<?xml version="1.0" encoding="UTF-8"?><!--'
        pad = b" " * (CHUNK - len(head) - len(b"-->") - 4)
        return head + pad + b"-->" + b"<!DOCTYPE worksheet>" + body
    path = _with_sheet_xml(small_form(tmp_path / "a.xlsx"), edit)
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert xml.index(b"<!DOCTYPE") == CHUNK - 4  # "<!DO" in the first 64 KB, "CTYPE" in the next
    with pytest.raises(RejectedFile, match="含有 DTD/实体声明"):
        read(path)


def test_form_written_by_lzdocs_reads_back(tmp_path, make_form):
    form = read(make_form(tmp_path / "表.xlsx", unit="计划财务处", date=dt.date(2026, 11, 10)))
    assert form.unit == "计划财务处" and form.date_value == dt.date(2026, 11, 10)
    assert column(form, "post") == ["出纳", "会计", "处长"]
    assert levels(form) == [1, 2, 3]


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.xlsx")))
def test_a_small_part_read_from_its_tree_gives_what_the_stream_gives(name, monkeypatch):
    """Every part of a form's workbook is read from its tree when small (``Elements.read``, ``Sheet.read``,
    ``SharedStrings.read``): the same sheets, texts, date formats and so the same form as when every part is
    streamed, as a large one is."""
    from lzdocs.forms import xlsx_parts
    from lzdocs.ooxml.safety import SafePackage

    parsed = []
    parse = SafePackage.parse
    monkeypatch.setattr(SafePackage, "parse",
                        lambda self, part, target: parsed.append(part) or parse(self, part, target))
    from_trees = read(name)
    assert parsed == []
    monkeypatch.setattr(xlsx_parts, "SMALL_PART", -1)
    streamed = read(name)
    assert {"xl/workbook.xml", "xl/styles.xml", "xl/worksheets/sheet1.xml"} <= set(parsed)
    assert from_trees == streamed

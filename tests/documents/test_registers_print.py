"""The registers as they print, read from the workbook XML: A4 landscape, header row on every page, page numbers,
no machine column in the print, no scale under 70 %, every roster unit in 统计, no page for an empty 历史."""

from __future__ import annotations

import re
import zipfile
from xml.etree import ElementTree as ET

import pytest
from openpyxl import load_workbook
from register_samples import TODAY, YEAR, populate

from lzdocs.documents import xlsx_writer as xw
from lzdocs.documents.registers import register_paths, write_registers
from lzdocs.documents.xlsx_writer import Column, StreamingBook, print_layout

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
BOOKS = ("risks", "status", "documents", "warnings")
# The columns a register prints, and the machine columns it leaves out, by sheet.
PRINTED = {
    "汇总": (["单位", "序号", "岗位名称", "岗位职责", "风险点描述", "风险类别", "风险等级", "防控措施", "责任人",
             "填表日期", "案例"], ["来源文件"]),
    "历史": (["单位", "序号", "岗位名称", "岗位职责", "风险点描述", "风险类别", "风险等级", "防控措施", "责任人",
             "填表日期", "替换时间"], ["收取时间", "来源文件", "被替换为"]),
    "报送情况": (["序号", "单位", "报送状态", "收到日期", "当前版本收取时间", "填表日期", "版本数", "风险点数",
                "退回次数", "最近退回时间", "最近退回原因", "备注"], ["首次收取时间", "当前文件"]),
    "发文登记簿": (["顺序号", "成文日期", "文号", "标题", "主送单位", "文种", "份数", "状态", "备注"], ["文件"]),
    "预警处置台账": (["文号", "单位", "文种", "发出日期", "回复期限", "回复日期", "状态", "核查日期", "核查人",
                  "核查结果", "办结日期", "处置状态", "逾期环节", "备注"], []),
}


class Sheet:
    """One worksheet's print settings as stored: its XML, and the workbook's defined names for it."""

    def __init__(self, name: str, state: str, xml: ET.Element, names: dict[str, str]):
        self.name, self.state, self.xml, self.names = name, state, xml, names

    def find(self, path: str) -> ET.Element | None:
        return self.xml.find(path, NS)


def sheets_of(path) -> dict[str, Sheet]:
    with zipfile.ZipFile(path) as z:
        book = ET.fromstring(z.read("xl/workbook.xml"))
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        names: dict[int, dict[str, str]] = {}
        for dn in book.iterfind("m:definedNames/m:definedName", NS):
            text = re.sub(r"^'(.*)'!", r"\1!", dn.text)  # the sheet name is quoted only when it needs to be
            names.setdefault(int(dn.get("localSheetId", -1)), {})[dn.get("name")] = text
        out = {}
        for i, s in enumerate(book.iterfind("m:sheets/m:sheet", NS)):
            target = targets[s.get(f"{{{NS['r']}}}id")].lstrip("/")
            part = target if target.startswith("xl/") else f"xl/{target}"
            out[s.get("name")] = Sheet(s.get("name"), s.get("state", "visible"), ET.fromstring(z.read(part)),
                                       names.get(i, {}))
        return out


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """The sample year's registers: every sheet of every workbook, by sheet name, and the workspace."""
    from lzdocs.store import Store
    from lzdocs.workspace import SAMPLE, Workspace

    ws, _ = Workspace.init(tmp_path_factory.mktemp("print") / "ws", SAMPLE)
    store = Store.for_workspace(ws)
    try:
        populate(store)
        write_registers(ws, store, YEAR, TODAY)
    finally:
        store.close()
    paths = register_paths(ws, YEAR)
    return ws, {name: sheet for key in BOOKS for name, sheet in sheets_of(paths[key]).items()}


def test_every_sheet_prints_on_a4_landscape_with_the_header_row_repeated_and_page_numbers(books):
    _, sheets = books
    assert set(sheets) == {"汇总", "统计", "历史", "变化", "质量", "报送情况", "发文登记簿", "预警处置台账"}
    for name, sheet in sheets.items():
        setup = sheet.find("m:pageSetup")
        assert (setup.get("orientation"), setup.get("paperSize")) == ("landscape", "9"), name
        header_row = 2 if name == "发文登记簿" else 3  # the 发文登记簿 has no subtitle line
        assert sheet.names["_xlnm.Print_Titles"] == f"{name}!${header_row}:${header_row}", name
        footer = sheet.find("m:headerFooter/m:oddFooter").text
        assert footer == '&C&"宋体"&9 第 &P 页 共 &N 页', name


def test_the_print_scale_is_never_below_70_percent(books):
    _, sheets = books
    for name, sheet in sheets.items():
        setup = sheet.find("m:pageSetup")
        assert 70 <= int(setup.get("scale", "100")) <= 100, name  # absent: 100 %
        assert sheet.find("m:sheetPr/m:pageSetUpPr").get("fitToPage") == "1", name
        assert (setup.get("fitToWidth", "1"), setup.get("fitToHeight")) == ("1", "0"), name  # 1 wide, as tall
        printed = _printed_columns(sheet)                                                  # as the rows need
        widths = _widths(sheet)
        total = sum(widths[c] for c in range(1, printed + 1))  # as stored: with the padding
        assert total * xw.PT_PER_UNIT * 0.7 <= xw.PRINT_WIDTH_PT, f"{name}: {total} units do not fit at 70 %"


def test_machine_columns_are_outside_the_print_area_and_do_not_spill(books):
    ws, sheets = books
    for name, (printed, machine) in PRINTED.items():
        sheet = sheets[name]
        header = _header(ws, name)
        assert header == printed + machine, name
        area = re.fullmatch(r"(.+)!\$A\$1:\$([A-Z]+)\$(\d+)", sheet.names["_xlnm.Print_Area"])
        assert area and area[1] == name, sheet.names
        assert _column_number(area[2]) == len(printed), name
        assert int(area[3]) >= _last_row(sheet), name  # every row printed
    book = load_workbook(register_paths(ws, YEAR)["risks"])
    path = book["汇总"]["L4"]  # a 来源文件 cell: shrunk into its column, never wrapped nor over the border
    assert path.value.startswith("outbox/2026/收文/") and path.alignment.shrink_to_fit
    assert not path.alignment.wrap_text


def test_text_wraps_in_the_printed_columns(books):
    ws, _ = books
    sheet = load_workbook(register_paths(ws, YEAR)["risks"])["汇总"]
    for cell in sheet[4][:10]:
        assert cell.alignment.wrap_text or cell.column_letter == "J", cell.coordinate  # J: 填表日期, a date
    assert sheet["C3"].alignment.wrap_text  # the header too


def test_statistics_list_every_roster_unit_those_that_have_not_reported_with_0_and_a_mark(books):
    ws, _ = books
    stats = load_workbook(register_paths(ws, YEAR)["risks"])["统计"]
    rows = list(stats.iter_rows(min_row=3, values_only=True))
    assert rows[0][:6] == ("单位", "一级", "二级", "三级", "合计", "备注")
    by_unit = {r[0]: r[1:6] for r in rows[1:] if r[0]}
    roster = ws.roster().names
    assert [r[0] for r in rows[1:len(roster) + 1]] == roster  # roster order, every unit
    assert by_unit["党政办公室"] == (0, 0, 0, 0, "未报送")
    assert by_unit["后勤管理处"] == (0, 0, 0, 0, "未报送")  # its only form was sent back
    assert by_unit["计划财务处"] == (1, 1, 1, 3, None)
    assert by_unit["网络与信息中心"] == (0, 0, 1, 1, "不在单位名单中")
    assert by_unit["合计"][:4] == (3, 4, 3, 10)
    mark = next(row[5] for row in stats.iter_rows(min_row=4) if row[0].value == "党政办公室")
    assert mark.fill.fgColor.rgb[-6:] == "FFC7CE"


def test_the_statistics_chart_is_beside_the_table_and_inside_the_print_area(books):
    _, sheets = books
    sheet = sheets["统计"]
    area = re.fullmatch(r"统计!\$A\$1:\$([A-Z]+)\$(\d+)", sheet.names["_xlnm.Print_Area"])
    last = _column_number(area[1])
    widths = _widths(sheet)
    assert round(widths[7]) == 3 and int(area[2]) >= 3 + 16  # 单位 … 备注, a narrow gap, then the chart's columns
    with zipfile.ZipFile(register_paths(books[0], YEAR)["risks"]) as z:
        drawing = ET.fromstring(z.read("xl/drawings/drawing1.xml"))
    anchor = drawing[0]
    start, end = int(anchor.find("{*}from/{*}col").text), int(anchor.find("{*}to/{*}col").text)
    assert start == 7 and end < last  # from column H to within the print area (columns counted from 0)
    assert sum(widths[c] for c in range(8, last + 1)) * xw.EXCEL_PT_PER_UNIT >= 283  # 10 cm, even in Excel's units


def test_a_history_with_rows_is_printed(books):
    _, sheets = books
    assert sheets["历史"].state == "visible"


def test_an_empty_history_is_left_out_so_it_prints_no_page(workspace, store):
    populate(store, letters=False)
    write_registers(workspace, store, YEAR + 1, TODAY)  # nothing superseded in a year without forms
    sheets = sheets_of(register_paths(workspace, YEAR + 1)["risks"])
    assert [(s.name, s.state) for s in sheets.values()] == [("汇总", "visible"), ("统计", "visible")]


def test_a_table_too_wide_for_70_percent_gets_its_text_columns_narrowed(tmp_path):
    columns = [Column("编号", 10, "center"), *(Column(f"说明{i}", 40) for i in range(4)), Column("路径", 44, "path",
                                                                                             printed=False)]
    layout = print_layout(columns)
    assert layout.fit_to_width and layout.scale == 70
    assert layout.widths[0] == 10 and layout.widths[-1] == 44  # short and machine columns keep their width
    assert 20 < layout.widths[1] < 40 and len(set(layout.widths[1:5])) == 1
    assert (sum(layout.widths[:5]) + 5 * xw.PADDING) * xw.PT_PER_UNIT * 0.7 <= xw.PRINT_WIDTH_PT
    with StreamingBook("t.xlsx", TODAY) as book:
        sheet = book.add_sheet("表", columns, title="标题")
        sheet.append(["1", "甲" * 60, "", "", "", "a/b/c.docx"])
        book.save(tmp_path / "t.xlsx")
    saved = load_workbook(tmp_path / "t.xlsx")["表"]
    assert abs(saved.column_dimensions["B"].width - (layout.widths[1] + xw.PADDING)) < 0.1  # stored with padding
    assert saved.row_dimensions[3].height > 2 * 14.5  # the narrowed column's text wraps onto more lines


def test_a_table_that_cannot_fit_at_70_percent_prints_at_70_across_pages():
    layout = print_layout([Column(f"日期{i}", 16, "date") for i in range(12)])
    assert (layout.scale, layout.fit_to_width) == (70, False)


def test_columns_that_are_not_printed_must_come_last(tmp_path):
    with StreamingBook("t.xlsx", TODAY) as book, pytest.raises(ValueError):
        book.add_sheet("表", [Column("路径", 44, "path", printed=False), Column("说明")], title="标题")


# --- helpers ---------------------------------------------------------------------------------------------
def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _widths(sheet: Sheet) -> dict[int, float]:
    out = {}
    for col in sheet.xml.iterfind("m:cols/m:col", NS):
        for c in range(int(col.get("min")), int(col.get("max")) + 1):
            out[c] = float(col.get("width"))
    return out


def _printed_columns(sheet: Sheet) -> int:
    area = re.search(r"!\$A\$1:\$([A-Z]+)\$", sheet.names["_xlnm.Print_Area"])
    return _column_number(area[1])


def _last_row(sheet: Sheet) -> int:
    return max(int(r.get("r")) for r in sheet.xml.iterfind("m:sheetData/m:row", NS))


def _header(ws, name: str) -> list[str]:
    key = {"汇总": "risks", "历史": "risks", "报送情况": "status", "发文登记簿": "documents",
           "预警处置台账": "warnings"}
    sheet = load_workbook(register_paths(ws, YEAR)[key[name]])[name]
    row = 2 if name == "发文登记簿" else 3
    return [c.value for c in sheet[row] if c.value is not None]

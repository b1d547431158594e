"""Forms as offices really make them: tables continued over pages, repeated headers, section rows,
pre-numbered empty rows, page headers, hidden sheets, WPS text boxes — read, checked, and stored by the CLI."""

import datetime as dt
import shutil
from pathlib import Path

import pytest

from lzdocs.errors import RejectedFile
from lzdocs.forms.checks import check_form
from lzdocs.forms.reader import read_form
from lzdocs.forms.schema import load_kinds
from lzdocs.ooxml.safety import Limits
from lzdocs.workspace import Roster, Unit
from tests.conftest import SAMPLE_SCHOOL, run_cli, run_json

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "forms"
KINDS = load_kinds()
TODAY = dt.date(2026, 11, 28)
ROSTER = Roster([Unit("组织部", aliases=("党委组织部",)),
                 *(Unit(name) for name in ("审计处", "后勤管理处", "人事处", "科学技术处", "国有资产管理处"))],
                school="内蒙古工业大学")


def read(name: str):
    return read_form(FIXTURES / name, KINDS, Limits())


def checked(name: str):
    return check_form(read(name), ROSTER, received=TODAY, today=TODAY)


def column(rows, key: str) -> list:
    return [row[key] if isinstance(row, dict) else row.values.get(key, "") for row in rows]


# --- a Word form over two pages (LibreOffice from HTML) -------------------------------------------

def test_header_repeated_inside_the_table_and_a_second_table_after_the_page_break_are_one_form():
    form = checked("lo_pages.docx")
    assert column(form.rows, "risk") == ["审计中收受施工方好处", "审计发现问题不报告",
                                         "1.审计结论不客观；\n2.泄露审计信息。",
                                         "审计走过场"]
    assert column(form.rows, "post") == ["工程审计", "工程审计", "财务审计", "经济责任审计"]
    assert column(form.rows, "level") == [1, 2, 2, 3]


def test_rows_of_the_continuing_table_are_numbered_on_and_empty_numbered_rows_are_skipped():
    form = read("lo_pages.docx")
    # table 1: two header rows, the 填表说明 row, rows 4–5, the header again (6–7), row 8; table 2 goes on at 9
    assert [row.number for row in form.rows] == [4, 5, 8, 9]
    assert not any("填表说明" in v for row in form.rows for v in row.values.values())


def test_date_at_the_end_of_the_signature_line_is_the_filled_date():
    form = checked("lo_pages.docx")
    assert (form.unit, form.filled_date, form.problems) == ("审计处", dt.date(2026, 11, 9), [])


def test_each_page_its_own_table_under_the_unit_line_and_a_second_units_form_is_named_not_read():
    form = checked("lo_page_tables.docx")
    assert form.unit == "后勤管理处" and column(form.rows, "risk") == ["采购中收受回扣", "虚报维修工程量"]
    assert [row["row"] for row in form.rows] == [2, 4]
    [note] = form.warnings
    assert note.message.startswith("第3个表格也是一张《岗位风险分析和防控措施表》，未读取")


# --- headers and labels ------------------------------------------------------------------------

def test_post_merged_over_name_and_duties_and_level_and_measures_synonyms():
    form = read("lo_group_header.docx")
    assert form.columns == {"seq": "序号", "post": "岗位", "duties": "职责", "risk": "风险点", "level": "风险程度",
                            "measures": "控制措施"}
    assert column(form.rows, "post") == ["组织员", "干部监督"]
    assert column(form.rows, "duties") == ["党员发展", "干部考察"]


def test_blank_date_after_the_unit_is_dropped_and_the_date_under_the_table_is_used():
    form = read("lo_group_header.docx")
    assert (form.unit, form.date_value) == ("党委组织部", dt.date(2026, 11, 9))


def test_level_written_as_jiaogao_is_an_error_naming_row_column_and_value():
    with pytest.raises(RejectedFile) as exc:
        checked("lo_group_header.docx")
    [problem] = [p for p in exc.value.problems if p.severity == "error"]
    assert (problem.row, problem.column, problem.value) == (4, "风险程度", "较高")
    assert "一级、二级或三级" in problem.message and exc.value.unit == "组织部"


# --- Excel ---------------------------------------------------------------------------------------

def test_section_rows_continued_title_and_repeated_header_are_not_risk_points():
    form = checked("lo_sections.xlsx")
    assert form.unit == "人事处" and form.filled_date == dt.date(2026, 11, 9)
    assert [row["row"] for row in form.rows] == [5, 6, 10]
    assert column(form.rows, "post") == ["处长", "处长", "调配科"]
    assert column(form.rows, "risk")[2] == "降低条件引进人员\n优亲厚友"
    assert column(form.rows, "level") == [1, 2, 3]
    assert [(w.row, w.value) for w in form.warnings] == [(4, "一、领导岗位"), (9, "二、科室岗位")]


def test_hidden_sheet_is_not_read_while_a_visible_sheet_holds_the_form():
    form = checked("excel_hidden_header.xlsx")
    assert column(form.rows, "risk") == ["项目评审打招呼", "经费使用审核不严"]  # its zero-width space dropped
    assert form.year == 2026


def test_unit_and_date_from_the_excel_page_header_and_merged_post_over_an_empty_numbered_row():
    form = checked("excel_hidden_header.xlsx")
    assert (form.unit, form.filled_date) == ("科学技术处", dt.date(2026, 11, 9))
    assert column(form.rows, "post") == ["项目管理", "项目管理"] and [row["row"] for row in form.rows] == [2, 3]
    [note] = form.warnings
    assert note.message.startswith("工作表“成果科”也是一张《岗位风险分析和防控措施表》，未读取")


# --- Word and WPS, edited at the XML level ----------------------------------------------------------

def test_unit_and_date_from_the_word_page_header_and_vmerge_over_an_empty_numbered_row():
    form = checked("word_page_header.docx")
    assert (form.unit, form.filled_date) == ("国有资产管理处", dt.date(2026, 11, 9))
    assert column(form.rows, "post") == ["采购管理", "采购管理", "合同管理"]
    assert [row["row"] for row in form.rows] == [2, 3, 5]


def test_wps_text_boxes_give_unit_and_date_once_and_vmerge_without_val_continues():
    assert read("wps_textbox.docx").unit == "组织部"  # zero-width characters around it are dropped
    form = checked("wps_textbox.docx")
    assert (form.unit, form.filled_date, form.problems) == ("组织部", dt.date(2026, 11, 9), [])
    assert column(form.rows, "post") == ["干部监督", "干部监督", "组织员"]
    assert column(form.rows, "duties") == ["干部监督管理", "干部监督管理", "党员发展"]


def test_jagged_word_table_takes_the_cell_under_most_of_each_header_cell():
    form = checked("word_jagged.docx")
    assert column(form.rows, "post") == ["资产处置", "房产管理"]
    assert column(form.rows, "risk") == ["低价处置国有资产", "违规出租房屋"]
    assert column(form.rows, "level") == [1, 2] and column(form.rows, "measures") == ["处置前评估", "公开招租"]
    assert form.filled_date == dt.date(2026, 11, 9)  # typed into the blanks: “2026 年 11 月 9 日”


# --- through the real CLI: what the reviewer sees in `lzdocs risks --json` ---------------------------

NEW_FIXTURES = ["lo_pages.docx", "lo_page_tables.docx", "lo_group_header.docx", "lo_sections.xlsx",
                "excel_hidden_header.xlsx", "word_page_header.docx", "wps_textbox.docx"]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    root = tmp_path_factory.mktemp("office")
    run_cli("init", root / "ws", *SAMPLE_SCHOOL, check=0)
    units = root / "ws" / "units.csv"
    units.write_text(units.read_text(encoding="utf-8-sig") + "审计处,,,\n", encoding="utf-8")
    forms = root / "forms"
    forms.mkdir()
    for name in NEW_FIXTURES:
        shutil.copyfile(FIXTURES / name, forms / name)
    outcomes = run_json("ingest", "-w", root / "ws", forms, check=1)
    risks = run_json("risks", "-w", root / "ws", check=0)
    return {Path(o["file"]).name: o for o in outcomes}, risks


def test_cli_stores_every_value_of_a_continued_word_form(ingested):
    outcomes, risks = ingested
    assert (outcomes["lo_pages.docx"]["status"], outcomes["lo_pages.docx"]["rows"]) == ("accepted", 4)
    stored = [r for r in risks if r["unit"] == "审计处"]
    assert stored[2] == {"unit": "审计处", "year": 2026, "seq": "3", "post": "财务审计", "duties": "",
                         "risk": "1.审计结论不客观；\n2.泄露审计信息。", "category": "", "level": 2,
                         "measures": "审计结果公开", "owner": "陈二", "source_file": stored[2]["source_file"],
                         "filled_date": "2026-11-09", "occurred": False, "flags": []}
    assert [r["seq"] for r in stored] == ["1", "2", "3", "4"]


def test_cli_resolves_the_school_prefixed_unit_and_keeps_section_rows_out(ingested):
    outcomes, risks = ingested
    assert outcomes["lo_sections.xlsx"]["unit"] == "人事处"
    stored = [(r["seq"], r["post"], r["level"], r["category"], r["owner"]) for r in risks if r["unit"] == "人事处"]
    assert stored == [("1", "处长", 1, "思想道德", "卫东"), ("2", "处长", 2, "岗位职责", "卫东"),
                      ("3", "调配科", 3, "制度机制", "蒋华")]


def test_cli_rejects_the_jiaogao_level_and_accepts_the_rest(ingested):
    outcomes, risks = ingested
    assert {name: o["status"] for name, o in outcomes.items()} == {
        **{name: "accepted" for name in NEW_FIXTURES}, "lo_group_header.docx": "rejected"}
    [problem] = [p for p in outcomes["lo_group_header.docx"]["problems"] if p["severity"] == "error"]
    assert (problem["row"], problem["column"], problem["value"]) == (4, "风险程度", "较高")
    assert {r["unit"] for r in risks} == {"审计处", "后勤管理处", "人事处", "科学技术处", "国有资产管理处", "组织部"}

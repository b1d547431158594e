"""Reading forms from .docx: merges, content controls, split runs, tracked changes, layout and nested tables."""

import datetime as dt
from pathlib import Path

import pytest

from lzdocs.errors import RejectedFile
from lzdocs.forms.checks import check_form
from lzdocs.forms.docx import read_docx
from lzdocs.forms.schema import load_kinds
from lzdocs.ooxml.safety import Limits
from lzdocs.workspace import Roster

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "forms"
KINDS = load_kinds()
TODAY = dt.date(2026, 11, 28)


def read(name: str):
    return read_docx(FIXTURES / name, KINDS, Limits())


def column(form, key: str) -> list[str]:
    return [row.values.get(key, "") for row in form.rows]


def levels(form) -> list[int]:
    checked = check_form(form, Roster([]), received=TODAY, today=TODAY)
    return [row["level"] for row in checked.rows]


# --- made by LibreOffice from HTML (rowspan/colspan) --------------------------------------------

def test_two_row_header_lower_row_names_risk_and_level():
    form = read("lo_two_row_header.docx")
    assert form.columns == {"seq": "序号", "post": "岗位名称", "duties": "岗位职责", "risk": "风险点",
                            "level": "风险等级", "category": "风险类别", "measures": "防控措施", "owner": "责任人"}
    assert column(form, "risk") == ["审核把关不严，违规报销", "利用职务便利虚开票据", "泄露财务信息", "挪用公款",
                                    "收受好处费"]


def test_unit_and_date_in_one_paragraph_above_the_title_table():
    form = read("lo_two_row_header.docx")
    assert form.unit == "计划财务处"
    assert form.date_text == "2011年11月10日" and form.date_value == dt.date(2011, 11, 10)


def test_rowspan_post_is_given_to_every_row_it_covers():
    form = read("lo_two_row_header.docx")
    assert column(form, "post") == ["会计", "会计", "会计", "出纳", "出纳"]
    assert column(form, "duties") == ["负责经费报销审核"] * 3 + ["负责现金收付"] * 2


def test_rows_are_numbered_as_word_table_rows_and_the_note_row_is_not_data():
    form = read("lo_two_row_header.docx")
    assert [row.number for row in form.rows] == [3, 4, 5, 6, 7]
    assert not any("填表说明" in v for row in form.rows for v in row.values.values())


def test_line_break_inside_a_cell_is_kept():
    form = read("lo_two_row_header.docx")
    assert column(form, "measures")[0] == "严格执行报销审批制度\n实行双人复核"


def test_level_spellings_from_libreoffice_form():
    form = read("lo_two_row_header.docx")
    assert column(form, "level") == ["一级", "Ⅱ级", "三级风险", "1级", "高"]
    assert levels(form) == [1, 2, 3, 1, 1]


# --- python-docx, edited the way Word and WPS write ---------------------------------------------

def test_text_split_into_runs_inside_a_block_content_control_is_read_whole():
    assert read("word_runs_sdt.docx").unit == "纪委办公室"


def test_date_in_its_own_paragraph_in_a_run_content_control_with_chinese_numerals():
    form = read("word_runs_sdt.docx")
    assert form.date_text == "二〇一一年十一月八日" and form.date_value == dt.date(2011, 11, 8)


def test_header_cells_wrapped_in_content_controls_are_found_with_synonyms():
    form = read("word_runs_sdt.docx")
    assert form.columns == {"seq": "序号", "post": "工作岗位", "duties": "主要职责",
                            "risk": "廉政风险主要内容及表现形式", "level": "风险级别", "measures": "主要防控措施",
                            "owner": "责任领导"}


def test_tracked_changes_keep_insertions_and_drop_deletions():
    form = read("word_runs_sdt.docx")
    assert column(form, "risk")[0] == "泄露举报人信息"
    assert "已删除的行" not in str([row.values for row in form.rows])
    assert [row.number for row in form.rows] == [2, 3, 4]


def test_cell_of_several_paragraphs_is_joined_with_line_breaks():
    assert column(read("word_runs_sdt.docx"), "measures")[0] == "1. 严格执行保密制度\n2. 举报材料专人保管"


def test_row_inside_a_row_level_content_control_is_read():
    row = read("word_runs_sdt.docx").rows[1]
    assert row.number == 3 and row.values["post"] == "案件审理" and row.values["risk"] == "审理不公"


def test_placeholder_text_of_an_empty_content_control_reads_as_empty():
    assert column(read("word_runs_sdt.docx"), "owner") == ["王纪", "", ""]


def test_level_spellings_with_spaces_digits_and_words():
    form = read("word_runs_sdt.docx")
    assert column(form, "level") == ["二 级", "3", "低"]
    assert levels(form) == [2, 3, 3]


def test_vertical_merge_gives_every_row_its_post():
    form = read("word_layout.docx")
    assert column(form, "post") == ["干部管理", "干部管理", "干部管理", "职称评审"]
    assert column(form, "duties") == ["负责干部选拔任用"] * 3 + ["组织职称评审"]


def test_form_table_is_chosen_among_several_and_title_row_inside_it_is_skipped():
    form = read("word_layout.docx")
    assert form.where == "第3个表格"
    assert form.columns["risk"] == "廉政风险点"
    # row 1 is the merged title, row 2 the header, row 6 blank, row 8 the merged 填表说明
    assert [row.number for row in form.rows] == [3, 4, 5, 7]


def test_unit_and_date_in_label_and_value_cells_of_a_borderless_layout_table():
    form = read("word_layout.docx")
    assert form.unit == "人事处"
    assert form.date_text == "２０１１年１１月１０日" and form.date_value == dt.date(2011, 11, 10)


def test_roman_numeral_levels():
    form = read("word_layout.docx")
    assert column(form, "level") == ["Ⅰ级", "Ⅲ级", "一级风险", "二级"]
    assert levels(form) == [1, 3, 1, 2]


def test_form_nested_in_a_layout_table_with_unit_and_date_in_the_outer_row():
    form = read("word_nested.docx")
    assert form.where == "第2个表格"
    assert (form.unit, form.date_text, form.date_value) == ("党政办公室", "2011.11.10", dt.date(2011, 11, 10))
    assert column(form, "post") == ["公章管理", "公文处理", "接待"]
    assert column(form, "measures") == ["用印登记审批", "涉密文件专柜保存", "接待清单公开"]
    assert levels(form) == [2, 2, 3]


# --- rejections ---------------------------------------------------------------------------------

def test_document_without_the_form_table_is_rejected_naming_the_columns_looked_for():
    with pytest.raises(RejectedFile) as exc:
        read("word_no_form.docx")
    message = exc.value.problems[0].message
    assert message.startswith("未找到《岗位风险分析和防控措施表》或《防控措施落实情况检查表》表格")
    for label in ("岗位名称", "风险点描述", "风险等级", "防控措施"):
        assert f"“{label}”" in message
    assert "另存为 .docx 或 .xlsx" in message


def test_form_table_missing_a_required_column_is_rejected_naming_it():
    with pytest.raises(RejectedFile) as exc:
        read("word_missing_level.docx")
    (problem,) = exc.value.problems
    assert problem.severity == "error" and problem.column == "风险等级"
    assert "缺少“风险等级”列" in problem.message and "风险级别" in problem.message
    assert exc.value.unit == "教务处" and exc.value.year == 2011


# --- the product's own form ---------------------------------------------------------------------

@pytest.mark.parametrize("merge_posts", [False, True])
def test_form_written_by_lzdocs_reads_back(tmp_path, make_form, merge_posts):
    path = make_form(tmp_path / "表.docx", unit="计划财务处", date=dt.date(2026, 11, 10), merge_posts=merge_posts)
    form = read_docx(path, KINDS, Limits())
    assert form.unit == "计划财务处" and form.date_value == dt.date(2026, 11, 10)
    assert column(form, "post") == ["出纳", "会计", "处长"]
    assert column(form, "risk") == ["利用职务便利挪用公款", "审核不严，违规报销", "违规审批资金"]
    assert levels(form) == [1, 2, 3]

"""Finding the form in read tables: which table and kind, the header rows, the data rows, the unit and the date."""

import datetime as dt

import pytest

from lzdocs.errors import RejectedFile
from lzdocs.forms.layout import Table, find_form
from lzdocs.forms.schema import Field, FormKind, HeaderField, risk_kind

HEADER = ["序号", "岗位名称", "风险点描述", "风险等级", "防控措施"]
ROW = ["1", "出纳", "挪用公款", "一级", "双人复核"]


def table(*rows, before=(), after=(), where="第1个表格", own_blank=()):
    return Table([list(r) for r in rows], list(range(1, len(rows) + 1)), where, set(own_blank),
                 before=[list(line) for line in before], after=[list(line) for line in after])


def find(*tables, kinds=None):
    return find_form(tables, kinds or [risk_kind()])


def posts(form) -> list[str]:
    return [row.values["post"] for row in form.rows]


@pytest.mark.parametrize("lines, unit, date", [
    ([["单位（公章）：计划财务处    填表日期：2011年11月10日"]], "计划财务处", dt.date(2011, 11, 10)),
    ([["单位（公章）：计划财务处填表日期：2011年11月10日"]], "计划财务处", dt.date(2011, 11, 10)),
    ([["单位(盖章)：计划财务处"], ["填表日期：2011-11-10"]], "计划财务处", dt.date(2011, 11, 10)),
    ([["填报单位：计划财务处\u3000\u3000填报日期：2011/11/10"]], "计划财务处", dt.date(2011, 11, 10)),
    ([["单位（公章）", "计划财务处", "填表日期", "2011.11.10"]], "计划财务处", dt.date(2011, 11, 10)),
    ([["单 位：计划财务处\t日 期：二〇一一年十一月八日"]], "计划财务处", dt.date(2011, 11, 8)),
    ([["单位（公章）：__计划财务处__  填表日期：２０１１年１１月１０日"]], "计划财务处", dt.date(2011, 11, 10)),
    ([["部门（单位）：计划财务处", "", "填表日期：", "2011-11-10"]], "计划财务处", dt.date(2011, 11, 10)),
])
def test_unit_and_date_in_every_written_layout(lines, unit, date):
    form = find(table(HEADER, ROW, before=lines))
    assert (form.unit, form.date_value) == (unit, date)


def test_blank_header_line_gives_no_unit_and_no_date():
    form = find(table(HEADER, ROW, before=[["单位（公章）：\u3000\u3000\u3000\u3000填表日期：    年  月  日"]]))
    assert form.unit is None and form.date_value is None


def test_an_instruction_addressed_to_units_is_not_the_unit():
    form = find(table(HEADER, ROW, before=[["单位（公章）：计划财务处"], ["各单位：请于11月16日前报送"]]))
    assert form.unit == "计划财务处"


def test_unit_named_in_the_title_when_there_is_no_label():
    assert find(table(HEADER, ROW, before=[["计划财务处岗位风险分析和防控措施表"]])).unit == "计划财务处"
    assert find(table(HEADER, ROW, before=[["附件：岗位风险分析和防控措施表"]])).unit is None


def test_bare_date_under_the_table_is_the_date():
    form = find(table(HEADER, ROW, before=[["单位：基建处"]], after=[["2011年11月10日"]]))
    assert form.date_value == dt.date(2011, 11, 10)


def test_a_telephone_number_under_the_table_is_no_date_and_the_signature_lines_date_is():
    """Eight digits alone (65431020) are a telephone number, not 6543-10-20: the date at the end of the signature
    line below is the form's."""
    after = [["填表人：王二", "联系电话", "65431020"], ["分管领导：李四\u3000\u30002026年11月9日"]]
    form = find(table(HEADER, ROW, before=[["单位：组织部"]], after=after))
    assert form.date_value == dt.date(2026, 11, 9)


@pytest.mark.parametrize("written", ["二0二六年十一月九日", "2026年十一月9日", "二〇二六年11月9日"])
def test_a_date_typed_with_mixed_numerals_under_the_table_is_read(written):
    form = find(table(HEADER, ROW, before=[["单位：基建处"]], after=[[written]]))
    assert form.date_value == dt.date(2026, 11, 9)


def test_signature_and_date_lines_inside_the_table_are_not_data():
    form = find(table(HEADER, ROW, ["填表人：张三", "", "", "填表日期：2011年11月10日", ""],
                      before=[["单位（公章）：基建处"]]))
    assert posts(form) == ["出纳"] and form.date_value == dt.date(2011, 11, 10)


def test_every_row_after_the_note_row_is_footer():
    note = ["填表说明：1. 风险等级分三级"] * 5
    more = ["2. 风险类别填写思想道德、岗位职责、业务流程、制度机制或外部环境"] * 5
    assert posts(find(table(HEADER, ROW, note, more))) == ["出纳"]


def test_row_of_column_numbers_and_a_repeated_header_are_skipped():
    second = ["2", "会计", "违规报销", "二级", "报销双签"]
    form = find(table(HEADER, ["1", "2", "3", "4", "5"], ROW, HEADER, second))
    assert posts(form) == ["出纳", "会计"] and [r.number for r in form.rows] == [3, 5]


def test_two_row_header_lower_row_wins_where_it_names_a_field():
    upper = ["序号", "岗位名称", "风险分析", "风险分析", "防控措施"]
    lower = ["序号", "岗位名称", "风险点", "风险等级", "防控措施"]
    form = find(table(upper, lower, ROW))
    assert form.columns == {"seq": "序号", "post": "岗位名称", "risk": "风险点", "level": "风险等级",
                            "measures": "防控措施"}
    assert [r.number for r in form.rows] == [3] and form.rows[0].values["level"] == "一级"


def test_title_rows_above_the_header_are_skipped():
    form = find(table(["岗位风险分析和防控措施表"] * 5, ["单位：基建处", "", "", "日期：2011-11-10", ""], HEADER, ROW))
    assert form.unit == "基建处" and form.date_value == dt.date(2011, 11, 10)
    assert [r.number for r in form.rows] == [4]


def test_row_whose_only_text_comes_from_a_merge_above_is_blank():
    form = find(table(HEADER, ROW, ["", "出纳", "", "", ""], own_blank=[2]))
    assert posts(form) == ["出纳"]


def test_filled_table_preferred_over_an_empty_copy_of_the_header():
    form = find(table(HEADER, where="第1个表格"), table(HEADER, ROW, where="第2个表格"))
    assert form.where == "第2个表格"


def talk_kind() -> FormKind:
    fields = (Field("name", "姓名", ("姓名",), required=True), Field("post", "职务", ("职务",), required=True),
              Field("topic", "谈话内容", ("谈话内容", "谈话事项"), required=True))
    return FormKind("talk", "谈话登记表", fields, HeaderField("unit", "单位", ("单位",), True),
                    HeaderField("date", "日期", ("日期",)))


def test_the_kind_whose_header_matches_is_chosen():
    kinds = [risk_kind(), talk_kind()]
    form = find(table(["姓名", "职务", "谈话内容"], ["张三", "科长", "廉政提醒"]), kinds=kinds)
    assert form.kind.key == "talk" and form.rows[0].values == {"name": "张三", "post": "科长", "topic": "廉政提醒"}
    assert find(table(HEADER, ROW), kinds=kinds).kind.key == "risk"


def test_no_matching_table_names_every_kind_and_its_required_columns():
    with pytest.raises(RejectedFile) as exc:
        find(table(["姓名", "电话"], ["张三", "123"]), kinds=[risk_kind(), talk_kind()])
    message = exc.value.problems[0].message
    assert "《岗位风险分析和防控措施表》或《谈话登记表》" in message and "“谈话内容”" in message


# --- forms as offices make them (reviewer cases) ---------------------------------------------------

SECOND = ["2", "会计", "违规报销", "二级", "报销双签"]


def following(*rows, gap=(), where="第2个表格"):
    """A table that comes right after the previous one, ``gap`` the lines between them."""
    t = table(*rows, where=where)
    t.gap = [list(line) for line in gap]
    return t


@pytest.mark.parametrize("line, unit, date", [
    ("单位（盖章）：保卫处\u3000\u3000\u3000\u30002011年11月10日", "保卫处", dt.date(2011, 11, 10)),
    ("单位（公章）：保卫处      2011.11.10", "保卫处", dt.date(2011, 11, 10)),
    ("单位（公章）：保卫处\u3000\u3000\u3000\u3000年\u3000\u3000月\u3000\u3000日", "保卫处", None),
])
def test_a_date_or_its_blank_written_after_the_unit_is_not_part_of_the_unit(line, unit, date):
    form = find(table(HEADER, ROW, before=[[line]]))
    assert (form.unit, form.date_value) == (unit, date)


def test_date_at_the_end_of_a_signature_line_under_the_table():
    form = find(table(HEADER, ROW, before=[["单位：基建处"]],
                      after=[["填表人：王二\u3000\u3000\u3000二〇一一年十一月九日"]]))
    assert form.date_value == dt.date(2011, 11, 9)


def test_a_deadline_in_the_text_above_the_table_is_not_the_date():
    form = find(table(HEADER, ROW, before=[["单位：基建处"], ["报送截止： 2011年11月16日"]]))
    assert form.date_value is None


@pytest.mark.parametrize("gap", [(), (["续表"],), (["岗位风险分析和防控措施表（续）"],)])
def test_a_table_right_after_the_form_with_the_same_width_continues_it(gap):
    form = find(table(HEADER, ROW), following(SECOND, gap=gap))
    assert posts(form) == ["出纳", "会计"] and [r.number for r in form.rows] == [2, 3]


def test_header_alone_in_one_table_and_the_rows_in_the_next():
    assert posts(find(table(HEADER), following(ROW, SECOND))) == ["出纳", "会计"]


def test_a_table_after_text_or_of_another_width_is_not_a_continuation():
    assert posts(find(table(HEADER, ROW),
                      following(SECOND, gap=[["以上风险点经处务会研究确定，现予报送。"]]))) == ["出纳"]
    assert posts(find(table(HEADER, ROW), following(["2", "会计", "违规报销", "二级"]))) == ["出纳"]
    assert posts(find(table(HEADER, ROW), table(SECOND, where="第2个表格"))) == ["出纳"]  # nested, or a sheet


def test_a_repeated_header_under_the_same_unit_continues_but_another_unit_starts_another_form():
    same = following(HEADER, SECOND, gap=[["单位（公章）：基建处"]])
    form = find(table(HEADER, ROW, before=[["单位（公章）：基建处"]]), same)
    assert posts(form) == ["出纳", "会计"] and form.problems == []
    other = following(HEADER, SECOND, gap=[["单位（公章）：保卫处"]])
    form = find(table(HEADER, ROW, before=[["单位（公章）：基建处"]]), other)
    assert posts(form) == ["出纳"] and form.problems[0].message.startswith("第2个表格也是一张")


def test_rows_numbered_in_advance_and_left_empty_are_not_data():
    form = find(table(HEADER, ROW, ["2", "", "", "", ""], ["三、", "", "", "", ""], ["（4）", "", "", "", ""],
                      ["4.1", "", "", "", ""]))
    assert posts(form) == ["出纳"] and form.problems == []


def test_numbered_row_with_only_a_merged_post_above_is_not_data():
    t = table(HEADER, ROW, ["2", "出纳", "", "", ""])
    t.inherited = {2: {1}}
    assert posts(find(t)) == ["出纳"]


def test_a_heading_written_in_the_first_column_only_is_skipped_with_a_warning():
    form = find(table(HEADER, ["一、财务岗位", "", "", "", ""], ROW))
    assert posts(form) == ["出纳"]
    [note] = form.problems
    assert (note.severity, note.row, note.value) == ("warning", 2, "一、财务岗位")


def test_the_title_repeated_in_one_cell_is_not_data_and_gives_no_warning():
    form = find(table(HEADER, ROW, ["岗位风险分析和防控措施表（续）", "", "", "", ""], SECOND))
    assert posts(form) == ["出纳", "会计"] and form.problems == []


def test_a_note_row_right_under_the_header_does_not_end_the_form():
    assert posts(find(table(HEADER, ["填表说明：风险等级填一级、二级或三级"] * 5, ROW))) == ["出纳"]


def test_a_hidden_sheet_is_read_only_when_no_visible_sheet_has_the_form():
    hidden = table(HEADER + ["风险类别", "责任人"], ROW + ["业务流程", "张三"], where="隐藏的工作表“旧表”")
    hidden.hidden = True
    assert find(table(HEADER, SECOND), hidden).where == "第1个表格"
    assert find(table(["说明"], ["请填写第2张表"]), hidden).where == "隐藏的工作表“旧表”"


def test_under_a_header_cell_two_columns_wide_the_filled_cell_is_read():
    header = ["序号", "岗位名称", "风险点描述", "风险点描述", "风险等级", "防控措施"]
    form = find(table(header, ["1", "出纳", "", "挪用公款", "一级", "双人复核"],
                      ["2", "会计", "违规报销", "", "二级", "双签"]))
    assert [r.values["risk"] for r in form.rows] == ["挪用公款", "违规报销"]


def test_a_signature_table_of_the_same_width_right_after_the_form_is_not_more_rows():
    sign = following(["单位负责人：", "张三", "填表人：", "李四", "审核人：王五"], ["", "", "", "日期：", "2011-11-10"])
    form = find(table(HEADER, ROW, before=[["单位：基建处"]]), sign)
    assert posts(form) == ["出纳"]


def test_below_is_blank_row_is_skipped_without_a_warning():
    form = find(table(HEADER, ROW, ["以下空白"] * 5))
    assert posts(form) == ["出纳"] and form.problems == []

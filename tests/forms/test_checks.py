"""The checks of docs/product.md §3: what rejects a form, what only warns, and the Chinese messages a clerk reads."""

import datetime as dt

import pytest

from lzdocs.errors import RejectedFile
from lzdocs.forms.checks import check_form
from lzdocs.forms.records import RawForm, RawRow
from lzdocs.forms.schema import risk_kind
from lzdocs.workspace import Roster, Unit

ROSTER = Roster([Unit("计划财务处", ("计财处", "财务处")), Unit("基建处"), Unit("国有资产管理处", ("资产处",))],
                school="内蒙古工业大学")
TODAY = dt.date(2026, 11, 28)


def form(unit="计划财务处", date=dt.date(2026, 11, 10), rows=None, date_text=None):
    rows = rows if rows is not None else [
        RawRow(4, {"seq": "1", "post": "出纳", "risk": "挪用公款", "level": "一级", "measures": "双人复核"})]
    return RawForm(risk_kind(), unit, date, date_text, rows,
                   columns={"post": "岗位名称", "risk": "风险点描述", "level": "风险等级", "measures": "防控措施"})


def check(raw):
    return check_form(raw, ROSTER, received=TODAY, today=TODAY)


def rejected(raw) -> list:
    with pytest.raises(RejectedFile) as exc:
        check(raw)
    return exc.value.problems


def test_alias_resolves_to_roster_name_and_levels_become_numbers():
    ok = check(form(unit="计财处"))
    assert ok.unit == "计划财务处"
    assert ok.rows[0]["level"] == 1 and ok.rows[0]["post"] == "出纳"
    assert ok.year == 2026 and ok.problems == []


def test_unit_with_school_prefix_and_seal_words_resolves():
    assert check(form(unit="内蒙古工业大学 计划财务处（公章）")).unit == "计划财务处"


def test_unknown_unit_names_the_closest_roster_units():
    problems = rejected(form(unit="计划财务科"))
    assert len(problems) == 1
    assert "计划财务处" in problems[0].message and problems[0].value == "计划财务科"


def test_missing_unit_is_an_error():
    assert "单位" in rejected(form(unit="  "))[0].message


@pytest.mark.parametrize("missing,label", [("post", "岗位名称"), ("risk", "风险点描述"), ("level", "风险等级"),
                                           ("measures", "防控措施")])
def test_each_required_column_missing_names_row_and_column(missing, label):
    values = {"post": "出纳", "risk": "挪用公款", "level": "一级", "measures": "双人复核"}
    values[missing] = ""
    problem = rejected(form(rows=[RawRow(7, values)]))[0]
    assert problem.row == 7 and problem.column == label and label in problem.message


def test_unknown_level_is_an_error_that_quotes_the_value():
    problem = rejected(form(rows=[RawRow(5, {"post": "出纳", "risk": "x", "level": "很高", "measures": "y"})]))[0]
    assert problem.value == "很高" and "一级、二级或三级" in problem.message and problem.row == 5


def test_missing_date_warns_and_uses_received_date():
    ok = check(form(date=None))
    assert ok.filled_date is None and ok.year == 2026
    assert any("填表日期" in p.message and p.severity == "warning" for p in ok.problems)


def test_unreadable_date_warns_with_the_text():
    ok = check(form(date=None, date_text="2026年13月40日"))
    assert ok.problems[0].value == "2026年13月40日"


def test_future_date_warns():
    ok = check(form(date=dt.date(2027, 1, 1)))
    assert [p.severity for p in ok.problems] == ["warning"] and "晚于今天" in ok.problems[0].message


def test_duplicate_risk_text_within_a_file_warns():
    rows = [RawRow(4, {"post": "出纳", "risk": "挪用公款", "level": "一级", "measures": "a"}),
            RawRow(5, {"post": "会计", "risk": "挪用 公款", "level": "二级", "measures": "b"})]
    ok = check(form(rows=rows))
    assert len(ok.rows) == 2
    assert ok.problems[0].row == 5 and "第4行" in ok.problems[0].message


def test_blank_and_instruction_rows_are_not_data():
    rows = [RawRow(4, {"post": "出纳", "risk": "挪用公款", "level": "一级", "measures": "a"}),
            RawRow(5, {"post": "", "risk": ""}),
            RawRow(6, {"seq": "填表说明：1. 风险等级分三级……", "post": "填表说明：1. 风险等级分三级……"})]
    assert len(check(form(rows=rows)).rows) == 1


def test_a_form_without_data_rows_is_rejected():
    assert "没有填写任何数据行" in rejected(form(rows=[]))[0].message


def test_control_characters_are_removed_with_a_warning():
    ok = check(form(rows=[RawRow(4, {"post": "出\x07纳", "risk": "挪用公款", "level": "一级", "measures": "a"})]))
    assert ok.rows[0]["post"] == "出纳" and "控制字符" in ok.problems[0].message


def test_all_errors_of_a_file_are_reported_together():
    rows = [RawRow(4, {"post": "", "risk": "x", "level": "五级", "measures": ""})]
    problems = rejected(form(unit="不存在的处", rows=rows))
    assert len([p for p in problems if p.severity == "error"]) == 4


def test_problem_text_for_the_clerk_names_row_column_and_value():
    problem = rejected(form(rows=[RawRow(9, {"post": "出纳", "risk": "x", "level": "很高", "measures": "y"})]))[0]
    assert problem.describe() == ("[错误] 第9行“风险等级”列：无法识别的风险等级，"
                                  "请填写一级、二级或三级（当前内容：“很高”）")


def test_a_date_written_only_to_the_month_still_files_the_form_under_its_year():
    ok = check_form(form(date=None, date_text="2026年11月"), ROSTER, received=dt.date(2027, 1, 5),
                    today=dt.date(2027, 1, 5))
    assert ok.year == 2026 and ok.filled_date is None
    assert "没有写到日" in ok.problems[0].message and ok.problems[0].value == "2026年11月"


def test_an_empty_form_says_what_to_fill_in():
    message = rejected(form(rows=[]))[0].message
    assert "没有填写任何数据行" in message and "风险等级" in message and "重新报送" in message

"""The right sheet or table, the unit from the title, “同上” — from forms made by office software, read, checked and
stored by the CLI."""

import datetime as dt
import shutil
from pathlib import Path

import pytest

from lzdocs.errors import RejectedFile
from lzdocs.forms.checks import check_form
from lzdocs.forms.layout import Table, find_form
from lzdocs.forms.reader import read_form
from lzdocs.forms.schema import load_kinds, risk_kind
from lzdocs.ooxml.safety import Limits
from lzdocs.workspace import Roster, Unit
from tests.conftest import run_cli, run_json

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "forms"
TODAY = dt.date(2026, 11, 28)
ROSTER = Roster([Unit("人事处"), Unit("招生就业处"), Unit("建筑学院"), Unit("后勤管理处", ("后勤处",)),
                 Unit("计划财务处", ("计财处", "财务处")), Unit("保卫处")], school="内蒙古工业大学")


def checked(name: str, **kw):
    return check_form(read_form(FIXTURES / name, load_kinds(), Limits()), ROSTER, received=TODAY, today=TODAY, **kw)


def rejected(name: str, **kw) -> list:
    with pytest.raises(RejectedFile) as exc:
        checked(name, **kw)
    return exc.value.problems


# --- the right sheet ----------------------------------------------------------------------------------

def test_this_years_sheet_is_read_not_last_years_in_front_of_it_nor_the_instructions_or_the_example():
    form = checked("excel_years.xlsx")  # sheets: 填表说明, 示例 (filled), 2025年 (active), 2026年
    assert (form.unit, form.year, form.filled_date) == ("人事处", 2026, dt.date(2026, 11, 9))
    assert [(r["row"], r["post"], r["level"]) for r in form.rows] == [(4, "职称评审", 2), (5, "人事调配", 1),
                                                                    (6, "工资管理", 3)]
    [note] = form.warnings
    assert note.message.startswith("工作表“2025年”是 2025 年的《岗位风险分析和防控措施表》，未读取；"
                                   "本次读取的是工作表“2026年”（2026 年）")


def test_a_rejection_names_the_sheet_read_and_the_others_seen():
    problems = rejected("excel_wrong_sheet.xlsx")
    assert [(p.severity, p.row) for p in problems] == [("error", 6), ("warning", None), ("warning", None)]
    assert problems[-1].message == ("以上内容读自工作表“2026年”；文件中另有工作表“填表说明”、工作表“示例”、"
                                    "工作表“2025年”，未读取。如果要报送的表在其他工作表（表格）中，"
                                    "请删去不用的工作表（表格）后重新报送")


def test_a_sheet_missing_a_column_is_rejected_naming_it_and_the_other_sheets():
    notes = Table([["填表说明"], ["风险等级填写一级、二级或三级"]], [1, 2], "工作表“填表说明”", name="填表说明")
    form = Table([["序号", "岗位名称", "风险点描述", "防控措施"], ["1", "出纳", "挪用公款", "双人复核"]], [1, 2],
                 "工作表“Sheet2”", name="Sheet2")
    with pytest.raises(RejectedFile) as exc:
        find_form([notes, form], [risk_kind()])
    first, note = exc.value.problems
    assert first.message.startswith("工作表“Sheet2”的表头缺少“风险等级”列")
    assert note.message.startswith("以上内容读自工作表“Sheet2”；文件中另有工作表“填表说明”，未读取。")


def test_a_filled_example_table_before_the_form_in_word_is_not_the_form():
    form = checked("lo_example_first.docx")
    assert (form.unit, [r["post"] for r in form.rows]) == ("招生就业处", ["招生录取", "就业指导"])
    assert form.problems == []


def sheet(name: str, unit: str, date: str, risk: str, *, hidden=False) -> Table:
    rows = [["单位（公章）", unit, "填表日期", date], ["序号", "岗位名称", "风险点描述", "风险等级", "防控措施"],
            ["1", "出纳", risk, "一级", "双人复核"]]
    table = Table(rows, [1, 2, 3], f"工作表“{name}”", name=name)
    table.hidden = hidden
    return table


@pytest.mark.parametrize("name", ["填表说明", "说明", "示例", "样表", "模板", "参考"])
def test_a_sheet_named_as_instructions_or_an_example_is_never_the_form_when_another_holds_one(name):
    form = find_form([sheet(name, "XX处", "2026-11-10", "示例风险"), sheet("Sheet2", "人事处", "2026-11-9", "真风险")],
                     [risk_kind()])
    assert (form.where, form.unit, form.rows[0].values["risk"]) == ("工作表“Sheet2”", "人事处", "真风险")


def test_a_filled_sheet_with_a_unit_wins_over_a_blank_one_and_one_without_a_unit():
    blank = sheet("Sheet1", "", "", "")
    blank.rows[2] = ["1", "", "", "", ""]
    nameless = sheet("Sheet2", "", "2026-11-10", "无单位的风险")
    form = find_form([blank, nameless, sheet("Sheet3", "人事处", "2026-11-10", "有单位的风险")], [risk_kind()])
    assert form.where == "工作表“Sheet3”"


def test_the_newest_year_is_read_whichever_sheet_comes_first_and_the_year_in_a_sheet_name_counts():
    for order in ([0, 1], [1, 0]):
        sheets = [sheet("2025年", "人事处", "2025-11-10", "去年"), sheet("今年", "人事处", "2026-11-10", "今年")]
        form = find_form([sheets[i] for i in order], [risk_kind()])
        assert form.rows[0].values["risk"] == "今年"
    undated = sheet("2026年度", "人事处", "", "今年")
    form = find_form([sheet("2025年", "人事处", "2025-11-10", "去年"), undated], [risk_kind()])
    assert form.rows[0].values["risk"] == "今年"


# --- the unit from the title ----------------------------------------------------------------------------

def test_a_roster_unit_named_in_the_word_title_is_the_unit_with_a_warning():
    form = checked("lo_title_unit.docx")  # “建筑学院岗位廉政风险点及防控措施一览表”, no unit field
    assert (form.unit, form.filled_date, len(form.rows)) == ("建筑学院", dt.date(2026, 11, 12), 2)
    assert [p.message for p in form.problems] == [
        "没有填写“单位（公章）”，单位按表格标题“建筑学院岗位廉政风险点及防控措施一览表”认定为“建筑学院”；"
        "如不对，请在表头填写单位名称后重新报送"]


def test_an_alias_in_an_excel_title_gives_the_roster_name():
    form = checked("lo_title_alias.xlsx")  # “后勤处廉政风险防控表”
    assert form.unit == "后勤管理处" and "后勤处廉政风险防控表" in form.warnings[0].message


@pytest.mark.parametrize("title", ["计划财务处与基建处岗位风险防控表", "岗位风险防控表", "外国语学院岗位风险防控表"])
def test_a_title_naming_two_units_or_none_on_the_roster_gives_no_unit(title):
    roster = Roster([*ROSTER.units, Unit("基建处")])
    rows = [[title], ["序号", "岗位名称", "风险点描述", "风险等级", "防控措施"], ["1", "出纳", "挪用", "一级", "复核"]]
    table = Table(rows, [1, 2, 3], "第1个表格")
    with pytest.raises(RejectedFile) as exc:
        check_form(find_form([table], [risk_kind()]), roster, received=TODAY, today=TODAY)
    assert "没有填写“单位（公章）”" in exc.value.problems[0].message


# --- “同上” --------------------------------------------------------------------------------------------

def test_a_blank_or_tongshang_post_under_a_filled_one_is_the_post_above_with_a_warning():
    form = checked("lo_same_above.xlsx")
    assert [r["post"] for r in form.rows] == ["出纳", "出纳", "出纳", "会计", "会计"]
    assert [(w.row, w.column, w.value) for w in form.warnings] == [(4, "岗位名称", ""), (5, "岗位名称", "同上"),
                                                                  (7, "岗位名称", "")]
    assert form.warnings[0].message == "“岗位名称”为空，已沿用上一行的“出纳”；如果不是同一个，请补填后重新报送"


def test_an_office_that_wants_every_post_filled_gets_an_error_per_row():
    problems = rejected("lo_same_above.xlsx", same_as_above=False)
    assert [(p.severity, p.row) for p in problems] == [("error", 4), ("error", 5), ("error", 7)]
    assert problems[0].message == "“岗位名称”为空：本次报送要求每行都填写岗位名称，请补填（上一行是“出纳”）后重新报送"


# --- through the CLI: what `lzdocs risks --json` stores -----------------------------------------------------

ROUND_TWO = ["excel_years.xlsx", "lo_example_first.docx", "lo_title_unit.docx", "lo_title_alias.xlsx",
             "lo_same_above.xlsx", "lo_ticks.docx", "lo_tick_columns.xlsx"]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    root = tmp_path_factory.mktemp("round2")
    run_cli("init", root / "ws", check=0)
    units = root / "ws" / "units.csv"
    units.write_text(units.read_text(encoding="utf-8-sig") + "建筑学院,,,\n保卫处,,,\n", encoding="utf-8")
    forms = root / "forms"
    forms.mkdir()
    for name in ROUND_TWO:
        shutil.copyfile(FIXTURES / name, forms / name)
    outcomes = run_json("ingest", "-w", root / "ws", forms, check=0)
    return {Path(o["file"]).name: o for o in outcomes}, run_json("risks", "-w", root / "ws", check=0), root


def stored(risks, unit: str, *keys: str) -> list:
    return [tuple(r[k] for k in keys) for r in risks if r["unit"] == unit]


def test_cli_stores_this_years_sheet_and_every_tick_box_level(ingested):
    outcomes, risks, _ = ingested
    assert {name: (o["status"], o["unit"]) for name, o in outcomes.items()} == {
        "excel_years.xlsx": ("accepted", "人事处"), "lo_example_first.docx": ("accepted", "招生就业处"),
        "lo_title_unit.docx": ("accepted", "建筑学院"), "lo_title_alias.xlsx": ("accepted", "后勤管理处"),
        "lo_same_above.xlsx": ("accepted", "计划财务处"), "lo_ticks.docx": ("accepted", "图书馆"),
        "lo_tick_columns.xlsx": ("accepted", "保卫处")}
    assert stored(risks, "人事处", "year", "post", "risk", "level", "filled_date") == [
        (2026, "职称评审", "评审材料审核不严", 2, "2026-11-09"), (2026, "人事调配", "优亲厚友", 1, "2026-11-09"),
        (2026, "工资管理", "违规发放津贴", 3, "2026-11-09")]
    assert [r[0] for r in stored(risks, "图书馆", "level")] == [2, 3, 3, 1, 2, 2]
    assert stored(risks, "保卫处", "post", "level") == [("消防管理", 2), ("门卫", 3), ("治安管理", 1)]


def test_cli_stores_the_post_above_and_the_unit_from_the_title(ingested):
    outcomes, risks, _ = ingested
    assert [r[0] for r in stored(risks, "计划财务处", "post")] == ["出纳", "出纳", "出纳", "会计", "会计"]
    assert stored(risks, "建筑学院", "post", "level") == [("院长", 1), ("教学秘书", 2)]
    assert stored(risks, "招生就业处", "post") == [("招生录取",), ("就业指导",)]
    notes = [p["message"] for p in outcomes["lo_title_alias.xlsx"]["problems"] if p["severity"] != "hint"]
    assert notes == ["没有填写“单位（公章）”，单位按表格标题“后勤处廉政风险防控表”认定为“后勤管理处”；"
                     "如不对，请在表头填写单位名称后重新报送"]


def test_cli_setting_same_as_above_false_rejects_the_blank_posts(tmp_path):
    run_cli("init", tmp_path / "ws", check=0)
    config = tmp_path / "ws" / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("same_as_above = true", "same_as_above = false"),
                      encoding="utf-8")
    shutil.copyfile(FIXTURES / "lo_same_above.xlsx", tmp_path / "lo_same_above.xlsx")
    [outcome] = run_json("ingest", "-w", tmp_path / "ws", tmp_path / "lo_same_above.xlsx", check=1)
    assert outcome["status"] == "rejected"
    assert [(p["severity"], p["row"], p["value"]) for p in outcome["problems"]] == [
        ("error", 4, ""), ("error", 5, "同上"), ("error", 7, "")]

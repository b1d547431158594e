"""``lzdocs status`` and the 报送情况登记表 of a year before a unit's rename (计划财务处 → 财务处, the old name in
别名): one unit that sent its form, shown by the name it sent it under, not a missing 财务处 beside an off-roster
计划财务处."""

from openpyxl import load_workbook

from tests.conftest import run_cli, run_json
from tests.dynamics.test_renamed_unit import renamed_archive


def test_the_status_of_the_year_before_the_rename_counts_the_unit_as_submitted(workspace, make_form):
    from lzdocs.documents.status import MISSING, SUBMITTED

    office = renamed_archive(workspace, make_form)
    status = office.status(2026)
    [line] = [u for u in status.units if u.unit == "财务处"]
    assert (line.state, line.on_roster, line.label, line.risks, line.versions) == (
        SUBMITTED, True, "计划财务处（现财务处）", 3, 1)
    assert "计划财务处" not in [u.unit for u in status.units]
    assert "财务处" not in status.names(MISSING)
    assert [u.label for u in office.status(2027).units if u.unit == "财务处"] == ["财务处"]


def test_status_json_and_text_of_the_year_before_the_rename(workspace, make_form):
    renamed_archive(workspace, make_form)
    found = run_json("-w", workspace.root, "status", "--year", "2026")
    assert "财务处" in found["submitted"] and "计划财务处" not in found["submitted"]
    assert "财务处" not in found["missing"]
    assert found["recorded_as"] == {"财务处": "计划财务处"}
    [unit] = [u for u in found["units"] if u["unit"] == "财务处"]
    assert (unit["recorded_as"], unit["state"], unit["on_roster"], unit["risks"]) == (
        "计划财务处", "submitted", True, 3)
    text = run_cli("-w", workspace.root, "status", "--year", "2026", check=0).stdout
    assert "计划财务处（现财务处）" in text and "不在名单" not in text


def test_the_register_of_the_year_before_the_rename_has_one_line_for_the_unit(workspace, make_form):
    office = renamed_archive(workspace, make_form)
    office.registers(2026)
    outbox = workspace.root / "outbox" / "2026" / "登记簿"
    sheet = load_workbook(outbox / "报送情况登记表.xlsx", read_only=True)["报送情况"]
    lines = [row for row in sheet.iter_rows(values_only=True) if row[1] and "财务处" in str(row[1])]
    assert [(row[1], row[2]) for row in lines] == [("计划财务处（现财务处）", "按时报送")]
    stats = load_workbook(outbox / "2026年廉政风险点汇总表.xlsx", read_only=True)["统计"]
    counted = [row[:6] for row in stats.iter_rows(values_only=True) if row[0] and "财务处" in str(row[0])]
    assert counted == [("计划财务处（现财务处）", 1, 1, 1, 3, None)]  # one line, no 不在单位名单中 line beside it
    # the rows of 汇总 keep the name recorded (as sent that year)
    summary = load_workbook(outbox / "2026年廉政风险点汇总表.xlsx", read_only=True)["汇总"]
    assert [row[:3] for row in summary.iter_rows(min_row=4, values_only=True)] == [
        ("计划财务处", 1, "出纳"), ("计划财务处", 2, "会计"), ("计划财务处", 3, "处长")]

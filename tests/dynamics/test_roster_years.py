"""A roster that changes from year to year: units.csv's optional 起始年度 and 终止年度 say which years a unit reports
for. A unit set up in 2027 is no 未报送 of 2026 when 2026's registers are written again in January, nor urged for
2026, nor counted in 2026's summary; a unit dissolved after 2026 is none of 2027's, its 2026 form still its own."""

from __future__ import annotations

import datetime as dt

import pytest

from lzdocs import Office
from lzdocs.errors import ConfigError
from lzdocs.workspace import parse_roster
from tests.conftest import SAMPLE_ROWS, run_cli, run_json
from tests.ingest.invariant import assert_each_input_exactly_once

HEADER = "单位,别名,负责人,分管领导,起始年度,终止年度\n"


def write_roster(root, lines: list[str]) -> None:
    (root / "units.csv").write_text(HEADER + "".join(f"{line}\n" for line in lines), encoding="utf-8-sig")


def test_the_years_columns_are_read_as_a_clerk_writes_them_and_a_wrong_one_is_named():
    roster = parse_roster([["单位", "起始年度", "终止年度"], ["网络中心", "2027年", ""], ["后勤处", "", "2026.0"],
                           ["图书馆", "", ""], ["档案馆", "2025年度", "2030"]], source="units.csv")
    assert roster.names_in(2026) == ["后勤处", "图书馆", "档案馆"]
    assert roster.names_in(2027) == ["网络中心", "图书馆", "档案馆"]
    assert roster.names == ["网络中心", "后勤处", "图书馆", "档案馆"]  # every name still resolves
    assert roster.resolve("后勤处") == "后勤处"
    with pytest.raises(ConfigError, match="第 2 行（网络中心）的起始年度“明年”不是年份") as bad:
        parse_roster([["单位", "起始年度"], ["网络中心", "明年"]], source="units.csv")
    assert "请写四位数的年份，如 2027" in bad.value.hint
    with pytest.raises(ConfigError, match="第 2 行（后勤处）的终止年度 2025 早于起始年度 2026"):
        parse_roster([["单位", "起始年度", "终止年度"], ["后勤处", "2026", "2025"]], source="units.csv")
    with pytest.raises(ConfigError, match="起始年度“1999”超出了年份的范围（2000—2100 年）"):
        parse_roster([["单位", "起始年度"], ["网络中心", "1999"]], source="units.csv")
    with pytest.raises(ConfigError, match="表头“开始年度、撤销年份”不认识") as misspelt:  # not passed over in silence
        parse_roster([["单位", "开始年度", "撤销年份", "成立年份"], ["网络中心", "2027", "", "1958"]],
                     source="units.csv")
    assert "“起始年度”“终止年度”" in misspelt.value.hint
    rows = [["单位", "起始年度", "终止年度", "成立年份"], ["网络中心", "２０２７年", "无", "1958"],
            ["档案馆", "2027-01-01 00:00:00", ""]]  # full-width digits, 无, a date cell of a .xlsx
    assert [(u.first_year, u.last_year) for u in parse_roster(rows, source="units.xlsx").units] == [
        (2027, None), (2027, None)]


@pytest.fixture
def changed(workspace, make_form):
    """2026: 计划财务处 and 后勤管理处 report (后勤管理处 for the last time); in 2027 网络信息中心 is set up."""
    root = workspace.root
    write_roster(root, ["计划财务处,计财处,,,,", "后勤管理处,后勤处,,,,2026", "网络信息中心,网络中心,,,2027,"])
    office = Office(root, today=dt.date(2026, 11, 20))
    forms = [make_form(root.parent / "forms" / "计财处.docx", unit="计划财务处", rows=SAMPLE_ROWS,
                       date=dt.date(2026, 11, 10)),
             make_form(root.parent / "forms" / "后勤处.docx", unit="后勤管理处", rows=SAMPLE_ROWS,
                       date=dt.date(2026, 11, 12))]
    for form, day in zip(forms, (dt.date(2026, 11, 10), dt.date(2026, 11, 12))):
        office.ingest([form], received=day)
    assert_each_input_exactly_once(workspace, [f.read_bytes() for f in forms])  # copied in: each once in the archive
    return root


def test_a_unit_set_up_later_is_no_missing_unit_of_the_year_before(changed):
    january = ["-w", changed]
    env_day = {"LZDOCS_TODAY": "2027-01-05"}
    from tests.conftest import cli_env

    status = run_json(*january, "status", "--year", "2026", env=cli_env(**env_day))
    assert [(u["unit"], u["state"]) for u in status["units"]] == [("计划财务处", "submitted"),
                                                                 ("后勤管理处", "submitted")]
    plan = run_json(*january, "urge", "--year", "2026", "--dry-run", env=cli_env(**env_day))
    assert plan["units"] == []  # nobody owes 2026's form: 网络信息中心 did not exist
    with Office(changed, today=dt.date(2027, 1, 5)) as office:
        numbers = office.summary(2026).numbers
    assert (numbers.roster, numbers.on_time, numbers.missing) == (["计划财务处", "后勤管理处"],
                                                                  ["计划财务处", "后勤管理处"], [])
    with Office(changed, today=dt.date(2027, 11, 20)) as office:
        later = office.status(2027)
    assert [(u.unit, u.state) for u in later.units] == [("计划财务处", "missing"), ("网络信息中心", "missing")]


def test_a_summary_written_before_a_unit_is_added_keeps_its_numbers(changed):
    """The clerk adds next year's new unit to units.csv before handing 2026 over: 2026's summary still holds."""
    from lzdocs.integrity.items import stale_numbers

    with Office(changed, today=dt.date(2026, 12, 20)) as office:
        result = office.summary(2026)
        text = (changed / "units.csv").read_text(encoding="utf-8-sig")
        (changed / "units.csv").write_text(text + "档案馆,,,,2027,\n", encoding="utf-8-sig")
        office = Office(changed, today=dt.date(2027, 1, 5))
        with office.store.read() as conn:
            assert stale_numbers(conn, office.ws, 2026, result.file) == ""


def test_the_registers_of_the_year_list_only_its_units(changed):
    from openpyxl import load_workbook

    run_cli("-w", changed, "register", "--year", "2026", check=0)
    book = load_workbook(changed / "outbox/2026/登记簿/报送情况登记表.xlsx", read_only=True)
    sheet = book.worksheets[0]
    units = [row[1] for row in sheet.iter_rows(min_row=4, values_only=True) if row[1]]
    assert "网络信息中心" not in units and {"计划财务处", "后勤管理处"} <= set(units)


def test_a_form_of_a_year_its_unit_is_not_listed_for_is_taken_said_and_counted_in_that_year(changed, make_form):
    """网络信息中心 (from 2027 on the roster) sends a form of 2026: taken, with a 提示 saying what to put right, and
    counted among 2026's units — not as a unit off the roster, and the summary's numbers add up."""
    with Office(changed, today=dt.date(2026, 12, 20)) as office:
        form = make_form(changed.parent / "forms" / "网络中心.docx", unit="网络信息中心", rows=SAMPLE_ROWS,
                         date=dt.date(2026, 12, 18))
        report = office.ingest([form], received=dt.date(2026, 12, 18))
        [outcome] = report.outcomes
        assert outcome.status == "accepted"
        assert_each_input_exactly_once(office.ws, [f.read_bytes() for f in (changed.parent / "forms").iterdir()])
        assert ("按名单（units.csv），网络信息中心从 2027 年度起报送，这份是 2026 年度的表，已收取并计入 2026 年度；"
                "该单位 2026 年度已经设立的，请把 units.csv 中它的起始年度改为 2026") in [
            p.message for p in outcome.problems]  # (and the copies of 计划财务处's form it holds)
        status = office.status(2026)
        assert [(u.unit, u.on_roster) for u in status.units] == [
            ("计划财务处", True), ("后勤管理处", True), ("网络信息中心", True)]
        numbers = office.summary(2026).numbers
    assert len(numbers.roster) == len(numbers.on_time) + len(numbers.late) + len(numbers.missing) == 3


def test_a_dissolved_unit_gets_no_blank_form_and_is_asked_for_no_review(changed):
    with Office(changed, today=dt.date(2027, 1, 10)) as office:  # the programme year is still 2026's
        made = office.forms(all_units=True)  # for this year's campaign
    assert len(made) == 2 and not [p for p in made if "后勤管理处" in p.name]
    assert [p for p in made if "网络信息中心" in p.name]  # set up this year: its blank form goes out
    with Office(changed, today=dt.date(2027, 12, 1)) as office:
        assert office.programme_year() == 2027
        reviews = office.reviews(due_within=400)
    assert reviews and {d.unit for d in reviews} == {"计划财务处"}  # 后勤管理处's 2026 points: no review


def test_a_unit_that_reported_after_its_last_year_is_still_asked_for_reviews(changed):
    """Its 终止年度 written a year too early: its form of 2026 was taken (with a 提示) and counted in 2026, so its
    points are reviewed like any unit's."""
    text = (changed / "units.csv").read_text(encoding="utf-8-sig")
    (changed / "units.csv").write_text(text.replace("后勤管理处,后勤处,,,,2026", "后勤管理处,后勤处,,,,2025"),
                                       encoding="utf-8-sig")
    with Office(changed, today=dt.date(2027, 12, 1)) as office:
        assert {d.unit for d in office.reviews(due_within=400)} == {"计划财务处", "后勤管理处"}


def test_a_unit_s_card_says_the_years_it_reports_for(changed):
    from tests.conftest import cli_env

    assert run_json("-w", changed, "unit", "后勤处")["reports"] == "报送到 2026 年度"
    assert run_json("-w", changed, "unit", "网络中心")["reports"] == "2027 年度起"
    assert run_json("-w", changed, "unit", "计财处")["reports"] == ""
    shown = run_cli("-w", changed, "unit", "后勤处", env=cli_env(), check=0).stdout
    assert shown.splitlines()[0] == "后勤管理处（按名单报送：报送到 2026 年度）"
    assert parse_roster([["单位", "起始年度", "终止年度"], ["档案馆", "2025", "2026"]],
                        source="units.csv").years_text("档案馆") == "2025—2026 年度"
    from lzdocs.web import build
    from tests.web.conftest import client_of

    with Office(changed, today=dt.date(2027, 1, 5)) as office:
        page = client_of(build(office, "127.0.0.1")).get("/unit", params={"name": "后勤处"}).text
    assert '<p class="summary">按名单（units.csv）报送：报送到 2026 年度</p>' in page

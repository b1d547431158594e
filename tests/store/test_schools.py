"""Several schools in one PostgreSQL database: a schema each, named by its own lzdocs.toml; the
高校工委's roll-up (``--all-schools``) reads them all."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from tests.conftest import SAMPLE_ROWS, run_cli, run_json, use_database

SCHOOLS = [("北方工业学院", "北工院", ["计划财务处", "基建处"]), ("东方理工大学", "东理", ["计划财务处"]),
           ("西部师范大学", "西师大", ["教务处", "图书馆", "基建处"])]


@pytest.fixture
def province(tmp_path, postgres_server, make_form):
    """Three schools' workspaces, each with its archive in its own schema of one server, and their forms taken."""
    roots, database = [], postgres_server.new_database()
    for school, short, units in SCHOOLS:
        root = tmp_path / short
        run_json("init", root, "--school", school, "--short", short)
        use_database(root, postgres_server.new_schema(database))
        for i, unit in enumerate(units):
            make_form(root / "inbox" / f"{unit}.docx", unit=unit, rows=SAMPLE_ROWS[: 1 + i])
        run_json("-w", root, "ingest")
        roots.append(root)
    return roots


@pytest.mark.postgres
def test_status_all_schools_counts_each_schools_units_and_levels(province):
    out = run_json("-w", province[0], "status", "--all-schools")
    assert [s["school"] for s in out["schools"]] == ["东方理工大学", "北方工业学院", "西部师范大学"]
    by_name = {s["school"]: s for s in out["schools"]}
    assert by_name["西部师范大学"]["units"] == 3 and by_name["西部师范大学"]["risks"] == 1 + 2 + 3
    assert by_name["西部师范大学"]["by_unit"]["图书馆"] == {"1": 1, "2": 1, "3": 0}
    assert by_name["北方工业学院"]["levels"] == {"1": 2, "2": 1, "3": 0}
    assert by_name["东方理工大学"]["short"] == "东理" and by_name["东方理工大学"]["codes"]["suggestion"] == "东理纪建"
    assert run_json("-w", province[1], "status", "--all-schools") == out  # the same roll-up from any school
    mine = run_json("-w", province[1], "risks")  # a school's own commands still see only its own archive
    assert {r["unit"] for r in mine} == {"计划财务处"} and len(mine) == 1


@pytest.mark.postgres
def test_register_all_schools_writes_the_schools_by_units_by_levels_workbook(province):
    out = run_json("-w", province[2], "register", "--all-schools")
    assert out["files"] == ["outbox/2026/登记簿/2026年各校廉政风险点汇总表.xlsx"]
    book = load_workbook(province[2] / out["files"][0])
    schools = [r for r in book["各校"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert schools == [("东方理工大学", 1, 1, 0, 0, 1), ("北方工业学院", 2, 2, 1, 0, 3),
                       ("西部师范大学", 3, 3, 2, 1, 6)]
    units = [r for r in book["各单位"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert ("西部师范大学", "图书馆", 1, 1, 0, 2) in units and len(units) == 6
    assert book["各校"]["A1"].value == "2026年各校廉政风险点汇总表"
    assert "共 3 所学校、6 个单位、10 个风险点" in book["各校"]["A2"].value
    assert run_json("-w", province[2], "verify")["findings"] == []  # the new workbook is in the manifest
    text = run_cli("-w", province[2], "status", "--all-schools").stdout
    assert "西部师范大学：报送单位 3 个，风险点 6 个（一级 3、二级 2、三级 1）" in text


@pytest.mark.sqlite_only
def test_on_sqlite_the_roll_up_is_the_one_school(workspace, make_form):
    make_form(workspace.inbox / "计财处.docx")
    run_json("-w", workspace.root, "ingest")
    [school] = run_json("-w", workspace.root, "status", "--all-schools")["schools"]
    assert (school["school"], school["units"], school["risks"]) == ("内蒙古工业大学", 1, len(SAMPLE_ROWS))
    assert school["codes"]["suggestion"] == "内工大纪建"

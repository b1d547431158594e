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


@pytest.mark.postgres
def test_a_schools_archive_copied_to_another_schema_is_counted_once(province, postgres_server, make_form):
    """``db copy`` to another schema of the same database (the school moving its archive) leaves two schemas
    with its school in ``meta``: the roll-up counts the archive once — the copy written last, the source until
    the url is switched and the copy after — and says which schema is the other copy and what to do with it."""
    from lzdocs.store import Store
    from lzdocs.workspace import Workspace

    root = province[0]  # 北方工业学院: 计划财务处 and 基建处, 1 + 2 risk points
    old = Workspace.open(root).db_url
    database = old.split("@/", 1)[1].split("?", 1)[0]
    url = postgres_server.new_schema(database)
    old_schema, new_schema = (u.rsplit("%3D", 1)[1] for u in (old, url))
    before = run_json("-w", root, "status", "--all-schools")
    assert run_json("-w", root, "db", "copy", "--to", url)["ok"] is True
    copied = run_json("-w", province[1], "status", "--all-schools")
    assert [s["school"] for s in copied["schools"]] == ["东方理工大学", "北方工业学院", "西部师范大学"]
    mine = copied["schools"][1]
    assert (mine["schema"], mine["copies"], mine["diverged"]) == (old_schema, [new_schema], [])
    assert {**mine, "copies": []} == before["schools"][1] and mine["risks"] == 3  # counted once, as before
    shown = run_cli("-w", root, "status", "--all-schools")
    assert shown.stdout.count("北方工业学院：") == 1
    assert f"schema {new_schema} 里是北方工业学院档案库的另一份副本" in shown.stderr
    assert f"按记录最新的 schema {old_schema} 统计" in shown.stderr

    config = root / "lzdocs.toml"  # the school switches to the copy and goes on there
    config.write_text(config.read_text(encoding="utf-8").replace(old, url), encoding="utf-8")
    (root / "inbox" / ".lzdocs" / "archive.json").unlink()  # the old one given up, as the refusal then says
    for unit in ("图书馆", "教务处"):
        make_form(root / "inbox" / f"{unit}.docx", unit=unit)
    assert {f["status"] for f in run_json("-w", root, "ingest")} == {"accepted"}
    moved = {s["school"]: s for s in run_json("-w", province[2], "status", "--all-schools")["schools"]}
    assert len(moved) == 3 and moved["北方工业学院"]["units"] == 4
    assert (moved["北方工业学院"]["schema"], moved["北方工业学院"]["copies"]) == (new_schema, [old_schema])

    # the copy left behind written as well (one event; the copy in use has two more since): both in use
    with Store(old) as left, left.begin() as conn:
        left.log(conn, "test", "写进了旧的一份")
    split = run_cli("-w", root, "status", "--all-schools")
    assert split.stdout.count("北方工业学院：") == 1
    assert f"schema {new_schema} 和 {old_schema}，汇总只按 schema {new_schema} 统计" in split.stderr
    assert run_json("-w", root, "status", "--all-schools")["schools"][1]["diverged"] == [old_schema]
    written = run_cli("-w", root, "register", "--all-schools")  # the 汇总表 counts it once and says so too
    assert "（3 所学校）" in written.stdout and "都记录了新内容" in written.stderr


@pytest.mark.postgres
def test_an_error_in_a_schools_schema_is_said_as_itself(postgres_server):
    """A school's schema behind or damaged: the error its statement met reaches the admin, not the one the reset of
    the search_path would meet in the transaction that error ended."""
    from sqlalchemy import text
    from sqlalchemy.exc import ProgrammingError

    from lzdocs.store import Store
    from lzdocs.store.schools import in_schema

    with Store(postgres_server.new_schema()) as store, store.read() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        with pytest.raises(ProgrammingError, match="no_such_column"), in_schema(conn, schema) as school:
            school.execute(text("SELECT no_such_column FROM meta"))

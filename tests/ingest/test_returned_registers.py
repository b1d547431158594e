"""A form returned to its unit shows in the 报送情况登记表 at once (退回次数, 最近退回原因), as ``lzdocs status`` does;
the registers it does not change are left as they are."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from lzdocs import Office
from lzdocs.documents.registers import register_paths
from tests.conftest import SAMPLE_ROWS

pytestmark = pytest.mark.both_backends  # the archive on SQLite and on PostgreSQL

FIRST, NEXT = dt.date(2026, 11, 20), dt.date(2026, 11, 23)


def status_row(ws, unit: str) -> tuple[str, dict]:
    """The 报送情况登记表's subtitle, and the unit's row as the clerk sees it."""
    sheet = load_workbook(register_paths(ws, 2026)["status"])["报送情况"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[2]
    return rows[1][0], next(dict(zip(header, r)) for r in rows[3:] if r[1] == unit)


def identity(path):
    st = path.stat()
    return path.read_bytes(), st.st_ino, st.st_mtime_ns


def test_a_returned_form_is_counted_in_the_status_register_and_nothing_else_is_rewritten(workspace, make_form):
    make_form(workspace.inbox / "计财处.docx")
    with Office(workspace.root, today=FIRST) as office:
        office.ingest()
    paths = register_paths(workspace, 2026)
    before = {key: identity(path) for key, path in paths.items()}
    bad = [dict(SAMPLE_ROWS[0], level="五级"), *SAMPLE_ROWS[1:]]
    make_form(workspace.inbox / "计财处修改.docx", rows=bad)

    with Office(workspace.root, today=NEXT) as office:
        report = office.ingest()
        [live] = [u for u in office.status(2026).units if u.unit == "计划财务处"]

    assert [o.status for o in report.outcomes] == ["rejected"]
    assert report.registers.files == [paths["status"]] and report.registers.years == [2026]
    subtitle, row = status_row(workspace, "计划财务处")
    assert "统计日期：2026年11月23日" in subtitle
    assert (row["报送状态"], row["版本数"], row["风险点数"], row["退回次数"]) == ("逾期报送", 1, 3, 1)
    assert "无法识别的风险等级" in row["最近退回原因"]
    assert (row["退回次数"], row["最近退回原因"]) == (live.rejections, live.last_rejection)  # as lzdocs status says
    assert {key: identity(path) for key, path in paths.items() if key != "status"} == {
        key: value for key, value in before.items() if key != "status"}


def test_a_file_of_no_known_unit_rewrites_no_register(workspace, make_form):
    make_form(workspace.inbox / "计财处.docx")
    with Office(workspace.root, today=FIRST) as office:
        office.ingest()
    paths = register_paths(workspace, 2026)
    before = {key: identity(path) for key, path in paths.items()}
    (workspace.inbox / "不是表格.docx").write_bytes(b"not a document")

    with Office(workspace.root, today=NEXT) as office:
        report = office.ingest()

    assert [o.status for o in report.outcomes] == ["rejected"]
    assert report.registers.files == [] and report.registers.years == []
    assert {key: identity(path) for key, path in paths.items()} == before


def test_a_form_taken_and_another_returned_in_one_run_rewrite_every_register_once(workspace, make_form):
    make_form(workspace.inbox / "计财处.docx")
    make_form(workspace.inbox / "教务处.docx", unit="教务处", rows=[dict(SAMPLE_ROWS[0], risk="")])
    with Office(workspace.root, today=FIRST) as office:
        report = office.ingest()
    assert sorted(o.status for o in report.outcomes) == ["accepted", "rejected"]
    assert report.registers.files == list(register_paths(workspace, 2026).values())
    assert status_row(workspace, "教务处")[1]["退回次数"] == 1


def test_a_form_of_a_closed_year_returned_rewrites_no_register(workspace, make_form):
    """A closed year's registers went into its 归档 package as they were: a form of that year returned later (it is
    still recorded, and says why) does not rewrite them."""
    from lzdocs.store.years import close_year

    make_form(workspace.inbox / "计财处.docx")
    with Office(workspace.root, today=FIRST) as office:
        office.ingest()
        with office.store.begin() as conn:
            close_year(conn, 2026, at=dt.datetime(2026, 11, 21, 9), package="D:/归档/2026", items=3,
                       manifest_sha256="0" * 64)
    paths = register_paths(workspace, 2026)
    before = {key: identity(path) for key, path in paths.items()}
    make_form(workspace.inbox / "计财处修改.docx", rows=[dict(SAMPLE_ROWS[0], level="五级")])

    with Office(workspace.root, today=NEXT) as office:
        report = office.ingest()

    assert [o.status for o in report.outcomes] == ["rejected"]
    assert report.registers.files == []
    assert {key: identity(path) for key, path in paths.items()} == before

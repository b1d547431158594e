"""A form returned to its unit shows in the 报送情况登记表 at once (退回次数, 最近退回原因), as ``lzdocs status`` does;
the registers it does not change are left as they are."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from lzdocs import Office
from lzdocs.documents.registers import register_paths
from tests.conftest import SAMPLE_ROWS
from tests.ingest.invariant import assert_each_input_exactly_once

pytestmark = pytest.mark.both_backends  # the archive on SQLite and on PostgreSQL

FIRST, NEXT = dt.date(2026, 11, 20), dt.date(2026, 11, 23)
BAD_LEVEL = [dict(SAMPLE_ROWS[0], level="五级"), *SAMPLE_ROWS[1:]]


def status_row(ws, unit: str) -> tuple[str, dict]:
    """The 报送情况登记表's subtitle, and the unit's row as the clerk sees it."""
    sheet = load_workbook(register_paths(ws, 2026)["status"])["报送情况"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[2]
    return rows[1][0], next(dict(zip(header, r)) for r in rows[3:] if r[1] == unit)


def identities(ws) -> dict[str, tuple[bytes, int, int]]:
    """Each register's bytes, inode and mtime: a file rewritten (renamed into place) is a new inode."""
    found = {}
    for key, path in register_paths(ws, 2026).items():
        st = path.stat()
        found[key] = (path.read_bytes(), st.st_ino, st.st_mtime_ns)
    return found


@pytest.fixture
def taken(workspace, make_form) -> tuple[list[bytes], dict]:
    """计划财务处's form taken on FIRST with its registers written: (the inputs so far, the registers as they are)."""
    first = make_form(workspace.inbox / "计财处.docx").read_bytes()
    with Office(workspace.root, today=FIRST) as office:
        office.ingest()
    return [first], identities(workspace)


def ingest_on(ws, day: dt.date):
    with Office(ws.root, today=day) as office:
        report = office.ingest()
        return report, office.status(2026)


def test_a_returned_form_is_counted_in_the_status_register_and_nothing_else_is_rewritten(workspace, make_form,
                                                                                         taken):
    inputs, before = taken
    inputs.append(make_form(workspace.inbox / "计财处修改.docx", rows=BAD_LEVEL).read_bytes())

    report, status = ingest_on(workspace, NEXT)

    assert [o.status for o in report.outcomes] == ["rejected"]
    assert report.registers.files == [register_paths(workspace, 2026)["status"]] and report.registers.years == [2026]
    subtitle, row = status_row(workspace, "计划财务处")
    assert "统计日期：2026年11月23日" in subtitle
    assert (row["报送状态"], row["版本数"], row["风险点数"], row["退回次数"]) == ("逾期报送", 1, 3, 1)
    assert "无法识别的风险等级" in row["最近退回原因"]
    [live] = [u for u in status.units if u.unit == "计划财务处"]
    assert (row["退回次数"], row["最近退回原因"]) == (live.rejections, live.last_rejection)  # as lzdocs status says
    after = identities(workspace)
    assert {k: v for k, v in after.items() if k != "status"} == {k: v for k, v in before.items() if k != "status"}
    assert after["status"][1:] != before["status"][1:]
    assert_each_input_exactly_once(workspace, inputs)


def test_a_file_of_no_known_unit_rewrites_no_register(workspace, taken):
    inputs, before = taken
    inputs.append(b"not a document")
    (workspace.inbox / "不是表格.docx").write_bytes(inputs[-1])

    report, _ = ingest_on(workspace, NEXT)

    assert [o.status for o in report.outcomes] == ["rejected"]
    assert report.registers.files == [] and report.registers.years == []
    assert identities(workspace) == before
    assert_each_input_exactly_once(workspace, inputs)


def test_a_form_of_a_closed_year_returned_rewrites_no_register(workspace, make_form, taken):
    """A closed year's registers went into its 归档 package as they were: a form of that year returned later (it is
    still recorded, and says why) does not rewrite them."""
    from lzdocs.store.years import close_year

    inputs, before = taken
    with Office(workspace.root, today=FIRST) as office, office.store.begin() as conn:
        close_year(conn, 2026, at=dt.datetime(2026, 11, 21, 9), package="D:/归档/2026", items=3,
                   manifest_sha256="0" * 64)
    inputs.append(make_form(workspace.inbox / "计财处修改.docx", rows=BAD_LEVEL).read_bytes())

    report, _ = ingest_on(workspace, NEXT)

    assert [o.status for o in report.outcomes] == ["rejected"]
    assert report.registers.files == []
    assert identities(workspace) == before
    assert_each_input_exactly_once(workspace, inputs)


def test_a_form_taken_and_another_returned_in_one_run_rewrite_every_register_once(workspace, make_form):
    no_risk = [dict(SAMPLE_ROWS[0], risk="")]
    inputs = [make_form(workspace.inbox / "计财处.docx").read_bytes(),
              make_form(workspace.inbox / "教务处.docx", unit="教务处", rows=no_risk).read_bytes()]

    report, _ = ingest_on(workspace, FIRST)

    assert sorted(o.status for o in report.outcomes) == ["accepted", "rejected"]
    assert report.registers.files == list(register_paths(workspace, 2026).values())
    assert status_row(workspace, "教务处")[1]["退回次数"] == 1
    assert_each_input_exactly_once(workspace, inputs)


@pytest.mark.parametrize("case", ["a 落实情况 form", "a unit not on the roster", "a mistyped year"])
def test_a_return_the_status_register_does_not_count_rewrites_no_register(workspace, make_form, taken, case):
    """The 报送情况登记表 counts the returned risk forms of roster units, in a year it already has: a returned
    落实情况 form, a unit not on the roster, or a year typed as 2062 leave every register as it is (and make no
    outbox/2062/)."""
    inputs, before = taken
    if case == "a 落实情况 form":
        from lzdocs.documents.blankform import write_docx
        from lzdocs.forms.schema import find_kind, load_kinds

        path = workspace.inbox / "落实情况.docx"
        write_docx(find_kind(load_kinds(), "落实情况"), path, unit="计划财务处", date=dt.date(2026, 11, 21),
                   rows=[{"seq": "1", "post": "出纳", "risk": "利用职务便利挪用公款", "status": "不知道"}])
    elif case == "a unit not on the roster":
        path = make_form(workspace.inbox / "不存在的处.docx", unit="不存在的处", rows=BAD_LEVEL)
    else:
        path = make_form(workspace.inbox / "计财处2062.docx", rows=BAD_LEVEL, date=dt.date(2062, 11, 10))
    inputs.append(path.read_bytes())

    report, _ = ingest_on(workspace, NEXT)

    assert [o.status for o in report.outcomes] == ["rejected"]
    assert report.registers.files == [] and report.registers.years == []
    assert identities(workspace) == before
    assert not (workspace.outbox / "2062").exists()
    assert_each_input_exactly_once(workspace, inputs)

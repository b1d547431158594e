"""Two units merged in units.csv (基建处 and 后勤管理处 → 基建后勤处, both former names kept in 别名): the years before
the merge were years of two units. A late correction of one of them, written with its former name, replaces that
unit's form of the year and no other; a form of such a year written otherwise cannot say whose form it replaces and
is returned, saying what to write. Before, either replaced both units' forms: a unit's risk points of the year
left the registers and the 公示表 without a word."""

import datetime as dt

from sqlalchemy import select

from lzdocs import Office
from lzdocs.store.schema import submissions
from tests.conftest import SAMPLE_ROWS
from tests.ingest.invariant import assert_each_input_exactly_once

MERGED = "基建后勤处,基建处、基建规划处、后勤管理处、后勤处,,"
BUILDING = [dict(SAMPLE_ROWS[0], risk="工程招标中化整为零规避招标")]
SERVICES = [dict(SAMPLE_ROWS[1], risk="食堂物资采购中收受回扣"), dict(SAMPLE_ROWS[2], risk="宿舍维修验收走过场")]


def merge(root):
    path = root / "units.csv"
    text = path.read_text(encoding="utf-8-sig")
    assert "基建处,基建规划处,,\n后勤管理处,后勤处,,\n" in text
    path.write_text(text.replace("基建处,基建规划处,,\n后勤管理处,后勤处,,\n", MERGED + "\n"), encoding="utf-8-sig")


def send(root, make_form, name, unit, rows, date, today):
    office = Office(root, today=today)
    form = make_form(root.parent / "forms" / name, unit=unit, rows=rows, date=date)
    [outcome] = office.ingest([form], received=today).outcomes
    return office, outcome


def currents(office, year=2026) -> list[tuple[str, int]]:
    with office.store.read() as conn:
        return conn.execute(select(submissions.c.unit, submissions.c.rows).where(
            submissions.c.status == "accepted", submissions.c.superseded_by.is_(None), submissions.c.year == year)
            .order_by(submissions.c.unit)).all()


def two_units_then_merged(workspace, make_form):
    root = workspace.root
    for name, unit, rows in (("基建.docx", "基建处", BUILDING), ("后勤.docx", "后勤管理处", SERVICES)):
        _, out = send(root, make_form, name, unit, rows, dt.date(2026, 11, 10), dt.date(2026, 11, 12))
        assert out.status == "accepted"
    merge(root)
    return root


def test_a_late_correction_of_one_merged_unit_replaces_its_form_and_no_other(workspace, make_form):
    root = two_units_then_merged(workspace, make_form)
    corrected = [dict(BUILDING[0], measures="分段立项一律上会审议"), dict(SAMPLE_ROWS[2], risk="变更签证把关不严")]
    office, out = send(root, make_form, "基建更正.docx", "基建处", corrected, dt.date(2026, 11, 20),
                       dt.date(2027, 2, 5))
    assert (out.status, out.unit, out.year) == ("accepted", "基建处", 2026)  # said as recorded: that year's unit
    assert currents(office) == [("后勤管理处", 2), ("基建处", 2)]  # the year stays two units, each its own form
    risks = {r["risk"] for r in office.risks(year=2026)}
    assert {"食堂物资采购中收受回扣", "宿舍维修验收走过场", "变更签证把关不严"} <= risks and len(risks) == 4


def test_a_form_of_a_year_of_two_units_written_with_the_merged_name_is_returned_and_replaces_nothing(workspace,
                                                                                                    make_form):
    root = two_units_then_merged(workspace, make_form)
    office, out = send(root, make_form, "基建后勤.docx", "基建后勤处", BUILDING, dt.date(2026, 11, 20),
                       dt.date(2027, 2, 5))
    assert out.status == "rejected"
    [message] = [p.message for p in out.problems if p.severity == "error"]
    assert message.startswith("基建后勤处由后勤管理处、基建处合并而成")
    assert "写的是“基建后勤处”" in message and "请在“单位（公章）”一栏写明原单位名称（后勤管理处或基建处）" in message
    assert currents(office) == [("后勤管理处", 2), ("基建处", 1)]  # nothing replaced
    [unit] = [u for u in office.status(2026).units if u.unit == "基建后勤处"]
    assert unit.risks == 3 == len(office.risks(year=2026))  # both former units' points, as the 汇总 lists them


def test_after_the_merge_its_forms_are_one_units_under_any_of_its_names(workspace, make_form):
    root = two_units_then_merged(workspace, make_form)
    for name, unit, day in (("a.docx", "基建后勤处", 1), ("b.docx", "后勤处", 2)):
        office, out = send(root, make_form, name, unit, SERVICES, dt.date(2027, 11, day), dt.date(2027, 11, 10))
        assert (out.status, out.unit) == ("accepted", "基建后勤处")
    assert currents(office, 2027) == [("基建后勤处", 2)]  # the second replaced the first: one unit now


def test_a_former_name_written_with_the_school_or_a_seal_label_is_that_former_unit(workspace, make_form):
    """The former name is compared as the roster compares names: “<学校>后勤管理处（公章）” is 后勤管理处 — not returned
    with a message asking for the name it wrote."""
    root = two_units_then_merged(workspace, make_form)
    school = Office(root, today=dt.date(2027, 2, 5)).ws.school
    office, out = send(root, make_form, "后勤更正.docx", f"{school} 后勤管理处（公章）", SERVICES[:1],
                       dt.date(2026, 11, 20), dt.date(2027, 2, 5))
    assert (out.status, out.unit, out.year) == ("accepted", "后勤管理处", 2026), out.problems
    assert currents(office) == [("后勤管理处", 1), ("基建处", 1)]


def test_a_return_of_the_merged_name_is_not_settled_by_one_former_units_correction(workspace, make_form):
    """A form written 基建后勤处 for such a year is returned; 基建处's correction then taken is 基建处's alone: the
    return stays where the clerk sees it (退回/, counted in 报送情况), not moved to 已处理 as dealt with."""
    root = two_units_then_merged(workspace, make_form)
    office = Office(root, today=dt.date(2027, 2, 5))
    inputs = [make_form(office.ws.inbox / "基建后勤.docx", unit="基建后勤处", rows=BUILDING,
                        date=dt.date(2026, 11, 20)).read_bytes(),
              make_form(office.ws.inbox / "基建更正.docx", unit="基建处", rows=BUILDING,
                        date=dt.date(2026, 11, 21)).read_bytes()]
    outcomes = {o.file: o.status for o in office.ingest().outcomes}
    assert outcomes == {"inbox/基建后勤.docx": "rejected", "inbox/基建更正.docx": "accepted"}
    assert (office.ws.rejected / "基建后勤.docx").is_file()
    earlier = [(root.parent / "forms" / name).read_bytes() for name in ("基建.docx", "后勤.docx")]
    assert_each_input_exactly_once(office.ws, earlier + inputs)


def test_the_statistics_sheet_counts_both_former_units_on_the_merged_units_line(workspace, make_form):
    """The 汇总表's 统计 sheet, as ``status``: one line for 基建后勤处 with the points of both former units' forms —
    not a second line “基建处 … 不在单位名单中” for the one whose form is not the newest."""
    from openpyxl import load_workbook

    root = two_units_then_merged(workspace, make_form)
    with Office(root, today=dt.date(2027, 2, 5)) as office:
        office.registers(2026)
        book = office.ws.year_dir(2026) / "登记簿" / "2026年廉政风险点汇总表.xlsx"
    rows = [r for r in load_workbook(book)["统计"].iter_rows(values_only=True) if r and r[0]]
    merged = [r for r in rows if "基建" in str(r[0]) or "后勤" in str(r[0])]
    assert len(merged) == 1 and merged[0][0].endswith("（现基建后勤处）") and merged[0][4] == 3, merged


def test_a_dry_run_says_what_the_run_would_of_a_year_of_two_units(workspace, make_form):
    """``ingest --dry-run`` says of a form of a year of units merged since what recording it would: returned when
    it names neither former unit, taken as that former unit's when it names one — and moves nothing."""
    root = two_units_then_merged(workspace, make_form)
    office = Office(root, today=dt.date(2027, 2, 5))
    merged = make_form(root.parent / "forms" / "基建后勤.docx", unit="基建后勤处", rows=BUILDING,
                       date=dt.date(2026, 11, 20))
    former = make_form(root.parent / "forms" / "基建更正.docx", unit="基建处", rows=BUILDING,
                       date=dt.date(2026, 11, 21))
    said = office.ingest([merged, former], dry_run=True).outcomes
    assert [(o.status, o.unit, o.year) for o in said] == [("rejected", "基建后勤处", 2026),
                                                          ("accepted", "基建处", 2026)]
    assert said[0].problems[0].message.startswith("基建后勤处由后勤管理处、基建处合并而成")
    assert currents(office) == [("后勤管理处", 2), ("基建处", 1)]  # nothing recorded
    done = office.ingest([merged, former]).outcomes
    assert [(o.status, o.unit) for o in done] == [(o.status, o.unit) for o in said]
    # taken from where they lie (copied): the returned one stays there, the others are in the archive once each
    taken = [(root.parent / "forms" / name).read_bytes() for name in ("基建.docx", "后勤.docx", "基建更正.docx")]
    assert_each_input_exactly_once(office.ws, taken)
    assert merged.is_file() and not (office.ws.rejected / merged.name).exists()

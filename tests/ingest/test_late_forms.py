"""A late form of last year (补报): dated January, titled last year, it is last year's; a stale title in November is
this year's form all the same, and a closed year takes no late forms (docs/product.md §5)."""

import datetime as dt

import pytest

from lzdocs import Office
from lzdocs.forms.checks import OWES, SENT, late_year
from lzdocs.ingest import Ingest
from lzdocs.store.years import close_year
from tests.conftest import SAMPLE_ROWS
from tests.ingest.invariant import assert_each_input_exactly_once

DEADLINE = lambda year: dt.date(year, 11, 16)  # the sample workspace's [submission] deadline "11-16"


def take(workspace, store, make_form, name, *, titled, dated, today):
    """A form titled “<titled>年度岗位风险分析和防控措施表” dated ``dated``, taken in ``today``: (outcome,
    its bytes)."""
    path = make_form(workspace.inbox / name, unit="计划财务处", date=dated, school=f"{titled}年度")
    data = path.read_bytes()
    [outcome] = Ingest(workspace, store, today=today).run_inbox()
    return outcome, data


@pytest.mark.parametrize("name", ["财务.docx", "财务.xlsx"])
def test_a_form_of_last_year_sent_in_january_is_last_years(workspace, store, make_form, name):
    outcome, data = take(workspace, store, make_form, name, titled=2026, dated=dt.date(2027, 1, 5),
                         today=dt.date(2027, 1, 8))
    assert (outcome.status, outcome.year) == ("accepted", 2026), outcome.problems
    assert outcome.stored_as.startswith("outbox/2026/")
    assert [p.message for p in outcome.problems if p.severity == "warning"] == [
        "表题是2026年度，填表日期是2027年：按2026年度的表收取（补报）。如果这是2027年度的表，请把表题改为2027年度后重新报送"]
    office = Office(workspace.root, today=dt.date(2027, 1, 8))
    assert {r["unit"] for r in office.risks(year=2026)} == {"计划财务处"} and office.risks(year=2027) == []
    assert_each_input_exactly_once(workspace, [data])


def test_last_years_title_on_a_form_filled_before_this_years_deadline_is_a_stale_title(workspace, store, make_form):
    outcome, data = take(workspace, store, make_form, "财务.xlsx", titled=2025, dated=dt.date(2026, 11, 10),
                         today=dt.date(2026, 11, 12))
    assert (outcome.status, outcome.year) == ("accepted", 2026), outcome.problems
    assert not [p for p in outcome.problems if "补报" in p.message]
    assert [p.message for p in outcome.problems if p.severity == "warning"] == [  # taken as 2026's, and said so
        "表题是2025年度，填表日期是2026年：按2026年度的表收取。如果这是2025年度的表，请核对表题和填表日期后重新报送"]
    assert_each_input_exactly_once(workspace, [data])


def test_next_years_title_on_a_form_filled_this_year_is_taken_as_this_years_and_said(workspace, store, make_form):
    """A unit sends “2027年度…” dated 2026-12-20: taken as 2026's (by its date) — replacing the unit's 2026 form —
    never silently: the warning says which year it was taken as and what to do if it is next year's."""
    outcome, data = take(workspace, store, make_form, "财务.docx", titled=2027, dated=dt.date(2026, 12, 20),
                         today=dt.date(2026, 12, 20))
    assert (outcome.status, outcome.year) == ("accepted", 2026), outcome.problems
    assert [p.message for p in outcome.problems if p.severity == "warning"] == [
        "表题是2027年度，填表日期是2026年：按2026年度的表收取。如果这是2027年度的表，请核对表题和填表日期后重新报送"]
    assert_each_input_exactly_once(workspace, [data])


def test_a_closed_year_takes_no_late_form(workspace, store, make_form):
    with store.begin() as conn:
        close_year(conn, 2026, at=dt.datetime(2027, 1, 6, 9), package="outbox/2026/归档/2026年归档.zip", items=0,
                   manifest_sha256="0" * 64)
    outcome, data = take(workspace, store, make_form, "财务.docx", titled=2026, dated=dt.date(2027, 1, 5),
                         today=dt.date(2027, 1, 8))
    assert (outcome.status, outcome.year) == ("accepted", 2027), outcome.problems
    assert [p.message for p in outcome.problems if p.severity == "warning"] == [
        "表题是2026年度，填表日期是2027年：按2027年度的表收取（2026年度已归档，不再收取该年度的表）"]
    assert_each_input_exactly_once(workspace, [data])


def test_a_form_without_a_year_in_its_title_from_a_unit_urged_in_january_is_last_years(workspace, store, make_form):
    """lzdocs's own blank form names no year in its title. In January a unit that sent no form last year is urged
    (催报) and sends it dated January: it is last year's late form, said so — not this year's, which left the unit
    未报送 for last year and counted on time for this. A unit not urged (it sent last year's; its 催报 voided; an
    office new to lzdocs in January) sends this year's."""
    january = dt.date(2027, 1, 6)
    make_form(workspace.inbox / "财务.docx", unit="计划财务处", date=dt.date(2026, 11, 10))
    assert [o.year for o in Ingest(workspace, store, today=dt.date(2026, 11, 12)).run_inbox()] == [2026]
    with Office(workspace.root, today=dt.date(2027, 1, 4)) as office:  # 催报 for 2026: every unit but 计划财务处
        urged = office.urge(year=2026)
        assert "宣传部" in {letter.unit for letter in urged.sent}
        office.void(next(str(row.issued.number) for row in urged.sent if row.unit == "人事处"), reason="发错")
    make_form(workspace.inbox / "宣传.docx", unit="宣传部", date=january)  # urged, and no 2026 form
    make_form(workspace.inbox / "财务2027.docx", unit="计划财务处", date=january)  # not urged: it sent 2026's
    make_form(workspace.inbox / "人事.docx", unit="人事处", date=january)  # its 催报 voided: never asked
    outcomes = {o.unit: o for o in Ingest(workspace, store, today=dt.date(2027, 1, 8)).run_inbox()}
    assert (outcomes["宣传部"].status, outcomes["宣传部"].year) == ("accepted", 2026)
    assert [p.message for p in outcomes["宣传部"].problems if p.severity == "warning"] == [
        "表题没有写年度，本单位2026年度的表经催报尚未报送，填表日期是2027年：按2026年度的表收取（补报）。"
        "如果这是2027年度的表，请在表题写明2027年度后重新报送"]
    assert (outcomes["计划财务处"].status, outcomes["计划财务处"].year) == ("accepted", 2027)
    assert (outcomes["人事处"].status, outcomes["人事处"].year) == ("accepted", 2027)
    assert not [p for o in outcomes.values() if o.unit != "宣传部" for p in o.problems if p.severity == "warning"]
    make_form(workspace.inbox / "宣传2027.docx", unit="宣传部", date=dt.date(2027, 1, 9))  # its 2026 form came
    [again] = Ingest(workspace, store, today=dt.date(2027, 1, 10)).run_inbox()
    assert (again.unit, again.year) == ("宣传部", 2027)
    # it may be the correction of the late form: taken as this year's, but said — not in silence
    assert [p.message for p in again.problems if p.severity == "warning"] == [
        "表题没有写年度，本单位2026年度的表经催报已经收到，填表日期是2027年：按2027年度的表收取。"
        "如果这是2026年度表的更正，请在表题写明2026年度后重新报送"]


def test_two_forms_without_a_year_from_an_urged_unit_in_one_run_say_which_year_each_is(workspace, store, make_form):
    """An urged unit's late form and a second one (a correction, or this year's) in one run: the first taken is last
    year's (补报), the other this year's — and each says so, with what to write if it was meant otherwise."""
    with Office(workspace.root, today=dt.date(2027, 1, 4)) as office:
        assert "组织部" in {letter.unit for letter in office.urge(year=2026).sent}
    make_form(workspace.inbox / "组织.docx", unit="组织部", date=dt.date(2027, 1, 6))
    make_form(workspace.inbox / "组织（更正）.docx", unit="组织部", date=dt.date(2027, 1, 7),
              rows=[dict(r, measures="每月核对一次") for r in SAMPLE_ROWS])
    outcomes = Ingest(workspace, store, today=dt.date(2027, 1, 8)).run_inbox()
    assert sorted((o.status, o.year) for o in outcomes) == [("accepted", 2026), ("accepted", 2027)]
    said = {o.year: [p.message for p in o.problems if p.severity == "warning"] for o in outcomes}
    assert said[2026][0].startswith("表题没有写年度，本单位2026年度的表经催报尚未报送")
    assert said[2027][0].startswith("表题没有写年度，本单位2026年度的表经催报已经收到")


def test_the_rule_of_a_late_form():
    never = lambda year: False
    assert late_year(dt.date(2027, 1, 5), 2026, DEADLINE, never) == 2026
    assert late_year(dt.date(2027, 5, 15), 2026, DEADLINE, never) == 2026  # still nearer 2026-11-16
    assert late_year(dt.date(2027, 5, 20), 2026, DEADLINE, never) is None  # nearer 2027-11-16
    assert late_year(dt.date(2027, 1, 5), 2025, DEADLINE, never) is None  # two years back: a wrong title
    assert late_year(dt.date(2027, 1, 5), None, DEADLINE, never) is None  # no year in the title
    assert late_year(dt.date(2027, 1, 5), None, DEADLINE, never, lambda year: OWES) == 2026  # …from a unit without one
    assert late_year(dt.date(2027, 1, 5), None, DEADLINE, never, lambda year: SENT) is None  # …with one: this year's
    assert late_year(dt.date(2027, 6, 1), None, DEADLINE, never, lambda year: OWES) is None  # nearer 2027's deadline
    assert late_year(dt.date(2027, 1, 5), None, DEADLINE, never, lambda year: None) is None  # …never urged
    assert late_year(dt.date(2027, 1, 5), 2026, lambda year: None, never) is None  # no deadline set
    assert late_year(dt.date(2027, 1, 5), 2026, DEADLINE, lambda year: year == 2026) is None


def test_a_late_form_without_its_day_or_date_counts_by_the_day_it_came(workspace, store, make_form):
    """No 填表日期 at all: the day it came stands for it, and the form is last year's all the same; a date written
    without its day (2027年1月) likewise."""
    from lzdocs.forms.checks import _check_date
    from lzdocs.forms.records import RawForm
    from lzdocs.forms.schema import risk_kind

    path = make_form(workspace.inbox / "财务.docx", unit="计划财务处", date=None, school="2026年度")
    data = path.read_bytes()
    [outcome] = Ingest(workspace, store, today=dt.date(2027, 1, 8)).run_inbox()
    assert (outcome.status, outcome.year) == ("accepted", 2026), outcome.problems
    assert "表题是2026年度，收到日期是2027年：按2026年度的表收取（补报）" in [p.message.split("。")[0]
                                                                    for p in outcome.problems]
    assert_each_input_exactly_once(workspace, [data])

    form = RawForm(kind=risk_kind(), unit="计划财务处", date_value=None, date_text="2027年1月", rows=[],
                   titles=["2026年度岗位风险分析和防控措施表"])
    problems = []
    assert _check_date(form, dt.date(2027, 1, 6), dt.date(2027, 1, 8), problems, DEADLINE) == (None, 2026)
    assert problems[-1].message.startswith("表题是2026年度，填表日期是2027年：按2026年度的表收取（补报）")
    problems = []  # a month of the season: this year's form, the stale title notwithstanding
    assert _check_date(form, dt.date(2027, 11, 10), dt.date(2027, 11, 12), problems, DEADLINE) == (None, 2027)


def test_a_late_form_of_last_year_brings_this_years_changes_sheet_up_to_it(workspace, make_form):
    """This year's 汇总表 compares each unit's form with last year's (its 变化 sheet): a late form of last year taken
    after this year's forms came rewrites it — before, it kept comparing with the form replaced until a
    ``register --year``."""
    from openpyxl import load_workbook

    january = dt.date(2027, 1, 5)
    office = Office(workspace.root, today=january)
    make_form(workspace.inbox / "财务2026.docx", unit="计划财务处", date=dt.date(2026, 11, 10),
              rows=[dict(SAMPLE_ROWS[0], risk="旧的风险点")])
    make_form(workspace.inbox / "财务2027.docx", unit="计划财务处", date=dt.date(2027, 1, 4), school="2027年度",
              rows=[dict(SAMPLE_ROWS[0], risk="新年风险点")])
    assert sorted(o.year for o in office.ingest().outcomes) == [2026, 2027]
    book = workspace.year_dir(2027) / "登记簿" / "2027年廉政风险点汇总表.xlsx"

    def compared() -> set[str]:
        return {str(row[4]) for row in load_workbook(book)["变化"].iter_rows(min_row=4, values_only=True) if row[4]}

    assert "旧的风险点" in compared()
    make_form(workspace.inbox / "财务补报.docx", unit="计划财务处", date=dt.date(2027, 1, 4), school="2026年度",
              rows=[dict(SAMPLE_ROWS[0], risk="补报的风险点")])
    [late] = office.ingest().outcomes
    assert (late.status, late.year) == ("accepted", 2026)
    assert "补报的风险点" in compared() and "旧的风险点" not in compared()

"""The demo tells the same story whatever day it runs on: its dates follow the day it is given."""

from __future__ import annotations

import datetime as dt

import pytest

from lzdocs.demo import run_demo


@pytest.mark.slow
@pytest.mark.parametrize("today", [dt.date(2027, 1, 2), dt.date(2027, 1, 10), dt.date(2027, 1, 15),
                                   dt.date(2028, 2, 29), dt.date(2035, 12, 31)])
def test_the_demo_runs_on_any_day(tmp_path, today):
    said: list[str] = []
    report = run_demo(tmp_path / "演示", echo=said.append, today=today)
    text = "\n".join(said)
    deadline = today - dt.timedelta(days=11) if today.month > 1 or today.day < 12 or today.day > 20 else \
        dt.date(today.year - 1, 12, 31)  # never a deadline of January 1–9 after forms of December
    assert f"模拟报送：截止日期 {deadline:%Y-%m-%d}；" in text
    assert "收取 11 份" in text and "退回 2 份" in text
    # the late batch — after New Year on 2027-01-10 — is the programme's year's, late (补报), its forms titled so
    assert "报送情况：按时报送 8 个，逾期报送 3 个，未报送 2 个" in text
    [taken] = report["watch"]  # the corrected form, dated the demo's day, taken by the watcher on that day
    assert (taken["status"], taken["unit"], taken["filled_date"], taken["year"]) == (
        "accepted", "宣传部", today.isoformat(), deadline.year)
    # in January the deadline was last year's: 宣传部, urged for it, sends its form late (补报), and is told so
    late = f"表题没有写年度，本单位{deadline.year}年度的表经催报尚未报送，"
    assert [p["message"][:len(late)] for p in taken["problems"]] == ([] if deadline.year == today.year else [late])
    year = today.year  # letters are numbered and filed in the year they are issued; the registers shown at the end
    assert f"催报通知 内工大纪催〔{year}〕1号" in text  # are the campaign's, the deadline's year
    assert f"outbox/{deadline.year}/登记簿/{deadline.year}年廉政风险点汇总表.xlsx" in report["files"]
    assert (tmp_path / "演示" / "outbox" / str(year) / "登记簿" / "发文登记簿.xlsx").is_file()
    posted = report["publicity"]  # the 公示表 posted on the demo's day, for the campaign's year
    assert (posted["year"], posted["start"], posted["units"]) == (deadline.year, today.isoformat(), 11)
    assert (tmp_path / "演示" / posted["file"]).is_file() and posted["file"] in report["files"]


def test_the_demo_s_urges_are_known_to_a_later_urge_of_that_day(tmp_path):
    """Written as lzdocs urge writes them (报送年度 in the 发文登记簿's 备注): urge that day sends none again."""
    from lzdocs import Office

    today = dt.date(2026, 12, 5)
    run_demo(tmp_path / "演示", echo=lambda text: None, today=today)
    with Office(tmp_path / "演示", today=today) as office:
        plan = office.urge(dry_run=True)
    assert plan.units and sorted(plan.already) == sorted(plan.units)

"""Every spelling of levels and dates that docs/product.md §3 lists is understood; anything else is not."""

import datetime as dt

import pytest

from lzdocs.errors import FieldError
from lzdocs.forms.values import parse_level, read_choice
from lzdocs.textutil import parse_date


@pytest.mark.parametrize("text,level", [
    ("一级", 1), ("二级", 2), ("三级", 3), ("1级", 1), ("Ⅰ级", 1), ("Ⅱ级", 2), ("Ⅲ级", 3), ("I", 1), ("II", 2),
    ("III", 3), ("一", 1), ("二", 2), ("三", 3), ("1", 1), ("2", 2), ("3", 3), ("一级风险", 1), ("二 级", 2),
    ("高", 1), ("中", 2), ("低", 3), ("２级", 2), ("Ⅲ", 3), (" 三级 ", 3), (2, 2), (3.0, 3),
])
def test_every_listed_level_spelling_is_read(text, level):
    assert parse_level(text) == level


@pytest.mark.parametrize("text", ["四级", "很高", "", None, "0", "一二级", "IV", "高风险等级很高", 4])
def test_anything_else_is_not_a_level(text):
    assert parse_level(text) is None


@pytest.mark.parametrize("text,date", [
    ("２０１１年１１月１０日", dt.date(2011, 11, 10)), ("2011年11月10日", dt.date(2011, 11, 10)),
    ("2011-11-10", dt.date(2011, 11, 10)), ("2011/11/10", dt.date(2011, 11, 10)),
    ("2011.11.10", dt.date(2011, 11, 10)), ("二〇一一年十一月八日", dt.date(2011, 11, 8)),
    ("二〇一一年十月十三日", dt.date(2011, 10, 13)), ("二○一一年十二月三十一日", dt.date(2011, 12, 31)),
    (40857, dt.date(2011, 11, 10)), ("40857", dt.date(2011, 11, 10)),
    (dt.datetime(2011, 11, 10, 9, 30), dt.date(2011, 11, 10)), ("填表日期：2011年 11月 8日", dt.date(2011, 11, 8)),
])
def test_every_listed_date_form_is_read(text, date):
    assert parse_date(text) == date


@pytest.mark.parametrize("text", ["年  月  日", "2011年2月30日", "下周一", "", None, 12])
def test_unreadable_dates_give_none(text):
    assert parse_date(text) is None


@pytest.mark.parametrize("text,level", [
    ("一级（高）", 1), ("二级(较大)", 2), ("一级风险点", 1), ("□一级 ☑二级 □三级", 2), ("√三级", 3),
    ("风险等级：二级", 2),
])
def test_levels_with_an_aside_a_suffix_or_a_ticked_box(text, level):
    assert parse_level(text) == level


@pytest.mark.parametrize("text", ["□一级 □二级 □三级", "☑一级 ☑二级", "较高"])
def test_no_tick_or_two_ticks_or_a_vague_word_is_not_a_level(text):
    assert parse_level(text) is None


@pytest.mark.parametrize("text,year", [("2026年11月", 2026), ("2026.11", 2026), ("二〇二六年十一月", 2026),
                                       ("2026年11月9日", 2026), ("2026年13月", None), ("11月9日", None)])
def test_year_of_a_date_written_only_to_the_month(text, year):
    from lzdocs.textutil import parse_year

    assert parse_year(text) == year


RESULTS = ("已落实", "部分落实", "未落实")


@pytest.mark.parametrize(("text", "expected"), [
    ("未落实", "未落实"), (" 部分落实。", "部分落实"),
    ("□已落实\u3000☑部分落实\u3000□未落实", "部分落实"), ("已落实√ 部分落实□ 未落实□", "已落实"),
    ("■未落实 □已落实", "未落实"),
    ("□已落实 □部分落实 □未落实", None),  # nothing ticked
    ("☑已落实 ☑未落实", None),  # two ticked
    ("已落实，基本", None), ("落实", None), ("", None),
])
def test_a_choice_is_written_or_ticked_once(text, expected):
    assert read_choice(text, RESULTS) == expected


@pytest.mark.parametrize("text,date", [
    ("2026年十一月28日", dt.date(2026, 11, 28)), ("二〇二六年11月9日", dt.date(2026, 11, 9)),
    ("二〇二六年十一月九日", dt.date(2026, 11, 9)), ("2026 年 11 月 28 日", dt.date(2026, 11, 28)),
    ("20261128", dt.date(2026, 11, 28)),
])
def test_a_date_alone_is_read_whole_and_numerals_may_be_mixed(text, date):
    assert parse_date(text, whole=True) == parse_date(text) == date


@pytest.mark.parametrize("text", ["填表日期：2026年11月28日", "2026年11月28日上午", "2026年2月30日", "2026年11月",
                                  "2026年3月五项整改"])
def test_a_date_among_other_words_is_not_a_date_alone(text):
    assert parse_date(text, whole=True) is None


def test_a_day_that_does_not_exist_is_still_written_as_a_date():
    from lzdocs.textutil import is_written_date

    assert is_written_date("2026年2月30日") and is_written_date("二〇二六年十一月二十八日")
    assert parse_date("2026年2月30日") is None
    assert not is_written_date("填表日期：2026年11月28日") and not is_written_date("2026年11月")
    assert not is_written_date("65431020") and not is_written_date("20261128")  # digits alone: a telephone number


@pytest.mark.parametrize("text,date", [
    ("二0二六年十一月九日", dt.date(2026, 11, 9)), ("2026年3月5日五项整改", dt.date(2026, 3, 5)),
    ("2026年11月十余次", None), ("2026年3月五项整改", None),
])
def test_a_day_in_chinese_numerals_needs_its_ri_and_a_year_may_be_typed_with_0(text, date):
    assert parse_date(text) == date


@pytest.mark.parametrize("text,printed", [
    ("2026-12-08 09:30", "2026年12月8日（星期二）9时30分"), ("2026年12月8日 9:30", "2026年12月8日（星期二）9时30分"),
    ("二〇二六年十二月八日 14：05", "2026年12月8日（星期二）14时5分"),
    ("2026.12.08T09:00:00", "2026年12月8日（星期二）9时"),
    ("2026年12月8日上午9:00", "2026年12月8日（星期二）上午9时"), ("2026-12-08 25:00", "2026-12-08 25:00"),
    ("2026-12-27 上午9:00", "2026年12月27日（星期日）上午9时"),
    ("12月8日 下午 3 点半", "2026年12月8日（星期二）下午3时30分"),
    ("十二月八日上午九时", "2026年12月8日（星期二）上午9时"), ("1月5日下午3时", "2027年1月5日（星期二）下午3时"),
    ("2026年12月8日上午9:00（暂定）", "2026年12月8日上午9:00（暂定）"),
    ("12月8日 9:00-11:00", "2026年12月8日（星期二）9时至11时"), ("12月8日下午两点", "2026年12月8日（星期二）下午2时"),
    ("12月8日上午9时30分至11时", "2026年12月8日（星期二）上午9时30分至11时"),
    ("12月8日下午15:00", "2026年12月8日（星期二）下午3时"), ("12月8日上午15:00", "12月8日上午15:00"),
    ("下周二上午", "下周二上午"), ("65431020", "65431020"), ("46000", "46000"),
    ("一二三四年五月六日", "一二三四年五月六日"),
])
def test_a_talks_time_is_printed_from_any_date_lzdocs_reads(text, printed):
    from lzdocs.documents.letter_fields import when_text

    assert when_text(text, dt.date(2026, 12, 1), []) == printed


@pytest.mark.parametrize("text, day, warned", [
    ("12月1日上午9:00", dt.date(2026, 12, 1), ""),  # the letter's own day
    ("1月5日下午3时", dt.date(2027, 1, 5), ""),  # a day of the next months, past this year: next year's
    ("2026年12月8日上午9:00（暂定）", dt.date(2026, 12, 8), "日期后面的部分没有读懂，按所写印出"),  # its day read
    ("12月8日至9日", dt.date(2026, 12, 8), "按所写印出"),  # a span of days: due on the first
    ("12月8日上午15:00", dt.date(2026, 12, 8), "按所写印出"),  # 上午 and 15 cannot both hold
    ("12月8日 上午 9：00 — 11：00", dt.date(2026, 12, 8), ""),
    ("下周二上午", None, "谈话时间“下周二上午”中没有读出日期：预警处置台账中没有谈话期限，过期也不会提示"),
    ("46000", None, "没有读出日期"),  # a bare number is no day
    ("12月8日（星期三）上午九时", dt.date(2026, 12, 8), "谈话时间写的是星期三，2026年12月8日是星期二"),
])
def test_the_day_a_talk_falls_due_is_read_with_or_without_its_year_and_a_time_without_one_is_said(text, day, warned):
    """The 预警处置台账 counts a talk overdue from the day its 谈话时间 names: a time written without its year (12月1日
    上午9:00) had none — never overdue, and nothing said."""
    from lzdocs.documents.letter_fields import talk_day, when_text

    warnings: list[str] = []
    when_text(text, dt.date(2026, 12, 1), warnings)
    assert talk_day(text, dt.date(2026, 12, 1)) == day
    assert (warned and any(warned in w for w in warnings)) or (not warned and not warnings)


def test_a_day_without_its_year_that_has_passed_long_ago_is_refused_as_before_the_letter():
    from lzdocs.documents.letter_fields import talk_day, when_text

    with pytest.raises(FieldError, match="谈话时间（2026年11月20日）早于成文日期"):
        when_text("11月20日上午9:00", dt.date(2026, 12, 1), [])
    with pytest.raises(FieldError, match="谈话时间（2025年12月8日）早于成文日期"):  # kept as written, or not
        when_text("2025年12月8日 9:00-11:00（暂定）", dt.date(2026, 12, 1), [])
    # 2月29日 on a letter of December before a leap year: next year's (it was not read at all)
    assert talk_day("2月29日上午9:00", dt.date(2027, 12, 1)) == dt.date(2028, 2, 29)

"""Every spelling of levels and dates that docs/product.md §3 lists is understood; anything else is not."""

import datetime as dt

import pytest

from lzdocs.forms.values import parse_date, parse_level, read_choice


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
    from lzdocs.forms.values import parse_year

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

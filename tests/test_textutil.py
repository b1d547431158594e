"""Chinese numerals and dates, display widths and close names — the one implementation each that everything uses."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import pytest

from lzdocs import textutil
from lzdocs.documents.titles import text_width
from lzdocs.textutil import (
    chinese_date,
    chinese_digits,
    chinese_numeral,
    close_matches,
    display_width,
    parse_chinese_number,
)


@pytest.mark.parametrize("n, text", [(1, "一"), (9, "九"), (10, "十"), (11, "十一"), (19, "十九"), (20, "二十"),
                                     (23, "二十三"), (30, "三十"), (31, "三十一"), (99, "九十九"), (100, "一百"),
                                     (105, "一百零五"), (110, "一百一十"), (1001, "一千零一")])
def test_numerals_as_headings_months_and_days_write_them(n, text):
    assert chinese_numeral(n) == text


def test_numbers_outside_what_a_document_numbers_are_refused():
    with pytest.raises(ValueError):
        chinese_numeral(10000)


@pytest.mark.parametrize("day, text", [(dt.date(2011, 10, 13), "二〇一一年十月十三日"),
                                       (dt.date(2026, 1, 1), "二〇二六年一月一日"),
                                       (dt.date(2030, 12, 31), "二〇三〇年十二月三十一日"),
                                       (dt.date(2026, 11, 20), "二〇二六年十一月二十日")])
def test_dates_in_the_1999_style_and_the_2012_style(day, text):
    assert chinese_date(day, numerals=True) == text
    assert chinese_date(day) == f"{day.year}年{day.month}月{day.day}日"


@pytest.mark.parametrize("text, n", [("二〇一一", 2011), ("二○一一", 2011), ("十", 10), ("十一", 11), ("二十三", 23),
                                     ("三十", 30), ("七", 7), ("12", 12), ("十二三", None), ("年", None), ("", None)])
def test_written_numbers_are_read_back(text, n):
    assert parse_chinese_number(text) == n


def test_every_day_of_a_year_reads_back_from_its_numerals():
    day = dt.date(2028, 1, 1)
    while day.year == 2028:
        year, rest = chinese_date(day, numerals=True).split("年")
        month, rest = rest.split("月")
        assert (parse_chinese_number(year), parse_chinese_number(month), parse_chinese_number(rest[:-1])) == (
            day.year, day.month, day.day)
        day += dt.timedelta(days=1)
    assert chinese_digits(2026) == "二〇二六"


def test_display_width_counts_chinese_as_two_columns():
    assert display_width("计划财务处") == 10 and display_width("lzdocs") == 6 and display_width("２０２６") == 8
    assert display_width("“通知”") == 6  # a terminal draws the quotes narrow …
    assert display_width("“通知”", ambiguous_wide=True) == 8  # … a Chinese font full width


def test_width_in_zi_of_a_title_with_digits_and_quotes():
    assert text_width("关于开展2026年“廉政风险”排查的通知") == 14 + 2 + 2  # 14 Chinese characters, 4 digits, 2 quotes
    assert text_width("第2批", autospace=True) == 2.5 + 0.5  # a quarter 字 on each side of the digit


ROSTER_KEYS = ["党政办公室", "校办", "党办", "纪委办公室", "组织部", "宣传部", "人事处", "计划财务处", "计财处",
               "财务处", "教务处", "科学技术处", "科技处", "国有资产管理处", "资产处", "国资处", "基建处", "基建规划处",
               "后勤管理处", "后勤处", "招生就业处", "图书馆"]


@pytest.mark.parametrize("text, first", [("资产管理处", "国有资产管理处"), ("计财", "计财处"), ("基建", "基建处"),
                                         ("图书", "图书馆"), ("计划财务科", "计划财务处"), ("基健处", "基建处")])
def test_close_names_are_those_written_differently_shortened_or_inside_a_longer_name(text, first):
    assert close_matches(text, ROSTER_KEYS)[0] == first


@pytest.mark.parametrize("text", ["外国语学院", "网络与信息中心", "处", ""])
def test_nothing_is_close_to_an_unrelated_name_or_a_single_character(text):
    assert close_matches(text, ROSTER_KEYS) == []


# A university's roster with its 学院 (names and aliases, as Roster.closest compares them).
UNIVERSITY_KEYS = ROSTER_KEYS + ["机械工程学院", "机械学院", "电力学院", "化工学院", "建筑学院", "理学院", "文法学院",
                                 "外国语学院", "信息工程学院", "信息学院", "经济管理学院", "经管学院", "艺术与设计学院",
                                 "艺术学院", "研究生院", "国际交流与合作处", "外事处", "保卫处", "学生工作部", "学工部",
                                 "网络信息中心", "网络中心", "档案馆", "校医院"]


@pytest.mark.parametrize("text, close", [
    ("文学院", ["文法学院"]),  # not 机械工程学院 or 外国语学院: 学院 is what half the roster has
    ("化学院", ["化工学院"]),
    ("学院", []),
    ("理工学院", ["理学院", "化工学院"]),  # not 经济管理学院, which shares 理 and 学院 only
    ("外语学院", ["外国语学院"]),
    ("艺术设计学院", ["艺术与设计学院", "艺术学院"]),
    ("资产管理处", ["国有资产管理处", "资产处"]),
    ("基健处", ["基建处"]),
])
def test_in_a_roster_of_many_schools_only_names_sharing_more_than_a_common_word_are_close(text, close):
    assert close_matches(text, UNIVERSITY_KEYS, limit=5) == close


def test_sharing_a_common_word_is_not_being_close():
    assert "后勤管理处" not in close_matches("资产管理处", ROSTER_KEYS)
    assert "教务处" not in close_matches("资产管理处", ROSTER_KEYS)



@pytest.mark.parametrize("text", ["岗位 名称", "风险点：违规审批、收受好处", "ＡＢＣ　１２３", "㈱ ﬁ", ""])
def test_squeeze_remembers_short_texts_only_and_gives_what_it_always_gave(text):
    """A reader squeezes the same cell texts several times a form: short texts are remembered (their length, not the
    file's, bounds what that holds); long ones are worked out each time. Either way the text is the same."""
    def expected(t: str) -> str:
        return re.sub(r"[\s\u3000\u00a0]+", "", unicodedata.normalize("NFKC", t))

    long_text = (text + "长") * (textutil.SHORT_TEXT + 1)
    textutil._squeezed.cache_clear()
    assert textutil.squeeze(long_text) == expected(long_text)
    assert textutil._squeezed.cache_info().currsize == 0
    assert textutil.squeeze(text) == textutil.squeeze(text) == expected(text)
    assert textutil._squeezed.cache_info()[:2] == (1, 1)  # (hits, misses)


def test_comparable_texts_are_remembered_for_the_year_review_and_bounded_in_length():
    """An ingest compares each risk text when it takes the form and again for the 质量 sheet: remembered between
    the two, the same text either way; a text longer than a risk point's description is not kept."""
    from rapidfuzz.utils import default_process

    from lzdocs.dynamics import changes

    def expected(t: str) -> str:
        return "".join(default_process(unicodedata.normalize("NFKC", t)).split())

    short, long_text = "单位的第1个风险点：违规操作、收受好处", "措施：" + "制度约束，集体决策。" * 40
    changes._comparable.cache_clear()
    assert changes.comparable(short) == changes.comparable(short) == expected(short)
    assert changes._comparable.cache_info()[:2] == (1, 1)
    assert changes.comparable(long_text) == expected(long_text)
    assert changes._comparable.cache_info().currsize == 1
    assert changes.comparable(None) == changes.comparable("") == ""

"""lzdocs.toml as typed settings: wrong types are refused by key name, forgiving spellings are normalised."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from lzdocs.errors import ConfigError
from lzdocs.settings import Settings
from lzdocs.textutil import decode_text
from lzdocs.workspace import DEFAULT_CONFIG, parse_roster


def checked(raw: dict) -> Settings:
    return Settings(raw).validate(DEFAULT_CONFIG)


def test_quoted_numbers_and_chinese_yes_no_are_normalised():
    s = checked({"watch": {"interval": "2.5"}, "limits": {"max_file_mb": "20"}, "publicity": {"show_owner": "否"}})
    assert s.get("watch", "interval") == 2.5 and s.limit("max_file_mb", 50) == 20
    assert s.get("publicity", "show_owner") is False and s.flag("publicity", "show_owner") is False


@pytest.mark.parametrize("raw, words", [
    ({"watch": {"interval": "abc"}}, ["[watch] interval", "“abc”", "interval = 5"]),
    ({"limits": {"max_file_mb": -1}}, ["[limits] max_file_mb", "大于 0 的整数", "max_file_mb = 50"]),
    ({"limits": {"max_file_mb": True}}, ["[limits] max_file_mb"]),
    ({"publicity": {"show_owner": "也许"}}, ["[publicity] show_owner", "true 或 false"]),
    ({"organisation": {"school": ["a"]}}, ["[organisation] school", "英文双引号"]),
    ({"submission": {"deadline": 5}}, ["[submission] deadline", "不是日期"]),
    ({"watch": 5}, ["[watch]"]),
    ({"limits": {"max_rows": 0}}, ["[limits] max_rows", "大于 0 的整数", "max_rows = 10000"]),
    ({"limits": {"max_rows": 2_000_000}}, ["[limits] max_rows 的值“2000000”太大：Excel 工作表最多 1048576 行"]),
    ({"limits": {"max_columns": "20000"}}, ["[limits] max_columns 的值“20000”太大：Excel 工作表最多 16384 列",
                                            "max_columns = 50"]),
])
def test_wrong_types_name_the_key_and_the_expected_form(raw, words):
    with pytest.raises(ConfigError) as exc:
        checked(raw)
    for word in words:
        assert word in str(exc.value)


def test_sheet_limits_are_read_into_the_reader_limits():
    from lzdocs.ooxml.safety import Limits

    limits = Limits.from_settings(checked({"limits": {"max_rows": "500", "max_columns": 16384}}))
    assert (limits.max_rows, limits.max_columns) == (500, 16384)
    assert (Limits.from_settings(checked({})).max_rows, Limits.from_settings(checked({})).max_columns) == (10000, 50)


def test_unknown_sections_and_keys_are_reminders_with_the_closest_name():
    s = checked({"watcht": {"interval": 3}, "watch": {"stabel": 5}, "issuers": {"某学院党委": "某院党发"}})
    assert any("[watcht]" in w and "watch" in w for w in s.warnings)
    assert any("stabel" in w and "stable" in w for w in s.warnings)
    assert not any("某学院党委" in w for w in s.warnings)  # [issuers] takes any name


def test_typed_accessors_check_one_key():
    s = Settings({"letters": {"pdf_timeout": "x"}})
    with pytest.raises(ConfigError, match=r"\[letters\] pdf_timeout"):
        s.number("letters", "pdf_timeout", 120)
    assert Settings({}).integer("limits", "max_ratio", 200) == 200


def test_deadline_as_toml_date_or_month_day():
    assert checked({"submission": {"deadline": dt.date(2026, 11, 20)}}).deadline(2027) == dt.date(2027, 11, 20)
    assert checked({"submission": {"deadline": "02-29"}}).deadline(2027) == dt.date(2027, 2, 28)
    assert checked({"submission": {"deadline": "11/16"}}).deadline(2026) == dt.date(2026, 11, 16)


@pytest.mark.parametrize("data", ["单位,别名".encode("utf-8-sig"), "单位,别名".encode("gbk"),
                                  "单位,别名".encode("utf-16"), "\ufeff单位,别名".encode("utf-16")])
def test_text_saved_by_notepad_or_excel_decodes(data):
    assert decode_text(data) == "单位,别名"


def test_roster_refuses_a_unit_twice_and_an_alias_for_two_units():
    with pytest.raises(ConfigError, match="出现了两次（第 2 行和第 4 行）"):
        parse_roster([["单位", "别名"], ["教务处", ""], ["图书馆", ""], ["教务处", "教务"]], source="units.csv")
    with pytest.raises(ConfigError, match="“资产处”同时指向两个单位"):
        parse_roster([["单位", "别名"], ["国有资产管理处", "资产处"], ["资产处", ""]], source="units.csv")
    roster = parse_roster([["单位", "别名"], ["计划财务处", "计财处、计财处"]], source="units.csv")
    assert roster.resolve("计财处") == "计划财务处"


def test_a_toml_text_is_parsed_once_and_each_caller_gets_its_own_copy():
    from lzdocs.settings import _parsed_toml, parse_toml

    text = '[watch]\ninterval = 5\nunits = ["计财处"]\n'
    first = parse_toml(text)
    first["watch"]["units"].append("教务处")  # a caller that changes what it got
    hits = _parsed_toml.cache_info().hits
    assert parse_toml(text) == {"watch": {"interval": 5, "units": ["计财处"]}}
    assert _parsed_toml.cache_info().hits == hits + 1
    with pytest.raises(tomllib.TOMLDecodeError):
        parse_toml("[watch\n")

"""Every number in lzdocs.toml is range-checked: a typo is a Chinese ConfigError naming the key and
its range, never an OverflowError in a letter's date or a watcher that never polls."""

from __future__ import annotations

import pytest

from lzdocs.errors import ConfigError
from lzdocs.settings import Settings, known_settings, number_range
from lzdocs.workspace import DEFAULT_CONFIG
from tests.conftest import run_cli

LETTER = ["letter", "suggestion", "--unit", "计财处", "--set", "事由=在检查中", "--set", "问题=采购不规范",
          "--set", "建议=完善制度", "--date", "2026-11-28"]


def _validate(section: str, key: str, value) -> dict:
    return Settings({section: {key: value}}).validate(DEFAULT_CONFIG).raw


def test_ninety_nine_million_days_for_a_reply_is_refused_in_chinese(workspace):
    config = workspace.root / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("suggestion_days = 30", "suggestion_days = 99999999"),
                      encoding="utf-8")
    proc = run_cli("-w", workspace.root, *LETTER)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == ("错误：lzdocs.toml 中 [letters] suggestion_days 的值“99999999”超出范围："
                                   "应在 1 到 3650 之间；请写成 suggestion_days = 30（不加引号）")


@pytest.mark.parametrize(("section", "key", "value", "said"), [
    ("letters", "urge_days", 3651, "应在 1 到 3650 之间"),
    ("letters", "talk_days", 10**400, "应在 1 到 3650 之间"),
    ("letters", "pdf_timeout", 86400, "应在 1 到 3600 之间"),
    ("watch", "interval", 0.01, "应在 0.1 到 86400 之间"),
    ("watch", "stable", float("inf"), "应是大于 0 的数字"),
    ("watch", "incomplete_timeout", float("nan"), "应是大于 0 的数字"),
    ("limits", "max_file_mb", 1_000_000, "应在 1 到 4096 之间"),
    ("limits", "max_zip_entries", "9999999", "应在 1 到 1000000 之间"),
    ("limits", "soffice_timeout", 7200, "应在 1 到 3600 之间"),
    ("limits", "readers", -1, "应是不小于 0 的整数"),
    ("limits", "readers", 65, "应在 0 到 64 之间"),
])
def test_a_number_out_of_its_range_names_the_key_and_the_range(section, key, value, said):
    with pytest.raises(ConfigError) as caught:
        _validate(section, key, value)
    assert f"[{section}] {key}" in str(caught.value) and said in str(caught.value)


def test_the_ends_of_each_range_are_accepted():
    assert _validate("letters", "suggestion_days", 3650) == {"letters": {"suggestion_days": 3650}}
    assert _validate("watch", "interval", 0.1) == {"watch": {"interval": 0.1}}
    assert _validate("limits", "max_ratio", "100000") == {"limits": {"max_ratio": 100000}}
    assert _validate("limits", "readers", 0) == {"limits": {"readers": 0}}  # forms read by the ingest alone


def test_every_number_of_a_new_lzdocs_toml_lies_in_its_range():
    for section, body in known_settings(DEFAULT_CONFIG).items():
        for key, value in body.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                low, high = number_range(section, key)
                assert low <= value <= high, (section, key)

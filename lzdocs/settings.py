"""lzdocs.toml as typed settings: checking each key against its default's type, with Chinese messages."""

from __future__ import annotations

import datetime as dt
import functools
import math
import pickle
import re
import tomllib
from dataclasses import dataclass, field

from lzdocs.errors import ConfigError
from lzdocs.textutil import close_matches

# Settings read by code but not written into a new lzdocs.toml, with an example of their default.
EXTRA_SETTINGS = {("limits", "soffice_timeout"): 90, ("letters", "talk_days"): 30, ("limits", "readers"): 1}
FRACTIONAL = {("watch", "interval"), ("watch", "stable"), ("watch", "incomplete_timeout"), ("letters", "pdf_timeout"),
              ("limits", "soffice_timeout")}
FREE_SECTIONS = {"issuers", "printers"}  # any keys: name = value (text)
# Numbers with an upper bound, and what the bound is, for the message.
MAXIMA = {("limits", "max_rows"): (1_048_576, "Excel 工作表最多 1048576 行"),
          ("limits", "max_columns"): (16_384, "Excel 工作表最多 16384 列")}
# The sensible range of every number (inclusive); a number outside it is a typo that would fail later (an
# OverflowError on a date 99999999 days on, a watcher that never polls). Keys not listed get NUMBER_RANGE.
RANGES = {("letters", "pdf_timeout"): (1, 3600), ("limits", "soffice_timeout"): (1, 3600),
          ("watch", "interval"): (0.1, 86400), ("watch", "stable"): (0.1, 86400),
          ("watch", "incomplete_timeout"): (1, 86400), ("limits", "max_file_mb"): (1, 4096),
          ("limits", "max_zip_entries"): (1, 1_000_000), ("limits", "max_uncompressed_mb"): (1, 65536),
          ("limits", "max_ratio"): (1, 100_000), ("limits", "max_rows"): (1, 1_048_576),
          ("limits", "max_columns"): (1, 16_384), ("limits", "readers"): (0, 64),
          ("cases", "match_threshold"): (1, 100)}
# [changes] match_threshold: a similarity from 1 to 100, fractions allowed.
FRACTIONAL |= {("changes", "match_threshold")}
RANGES[("changes", "match_threshold")] = (1, 100)
DAYS_RANGE = (1, 3650)  # [letters] <kind>_days: up to ten years after the letter's date
NUMBER_RANGE = (1, 1_000_000)
# [reviews] (复核): months between reviews by level, days ahead, the match similarity in percent.
RANGES.update({("reviews", "level1_months"): (1, 120), ("reviews", "level2_months"): (1, 120),
               ("reviews", "level3_months"): (1, 120), ("reviews", "due_within_days"): (1, 3650),
               ("reviews", "match_similarity"): (50, 100)})
# [quality]: the copy similarity 1–100 (fractions allowed), the fewest points of a high-risk unit;
# [quality_areas]: any unit = its high-risk areas (text).
FRACTIONAL |= {("quality", "copy_threshold")}
RANGES.update({("quality", "copy_threshold"): (1, 100), ("quality", "min_points"): (1, 1000)})
FREE_SECTIONS |= {"quality_areas"}
_YES, _NO = {"true", "yes", "是", "1", "y", "on"}, {"false", "no", "否", "0", "n", "off", ""}


@dataclass
class Settings:
    """lzdocs.toml, read once and passed in; unknown sections are kept in ``raw`` for later commands.

    ``validate()`` (done by ``Workspace.open``) checks every known key against the type of its default in
    ``DEFAULT_CONFIG``, normalises forgiving spellings (``"5"`` → 5, ``"否"`` → False) and lists unknown
    sections/keys in ``warnings``; the typed accessors (``text``, ``number``, ``integer``, ``flag``) do the
    same check for one key."""

    raw: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def section(self, name: str) -> dict:
        value = self.raw.get(name, {})
        return value if isinstance(value, dict) else {}

    def get(self, section: str, key: str, default=None):
        return self.section(section).get(key, default)

    # --- typed accessors ----------------------------------------------------------------------
    def text(self, section: str, key: str, default: str = "") -> str:
        return _as_text(section, key, self.get(section, key, default))

    def number(self, section: str, key: str, default: float) -> float:
        return _as_number(section, key, self.get(section, key, default), fractional=True, example=default)

    def integer(self, section: str, key: str, default: int) -> int:
        return int(_as_number(section, key, self.get(section, key, default), fractional=False, example=default))

    def flag(self, section: str, key: str, default: bool = False) -> bool:
        return _as_flag(section, key, self.get(section, key, default))

    @property
    def school(self) -> str:
        return self.text("organisation", "school", "")

    def limit(self, key: str, default: int) -> int:
        return self.integer("limits", key, default)

    def deadline(self, year: int) -> dt.date | None:
        value = self.get("submission", "deadline")
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return _same_day(value, year)
        if value is None or value == "":
            return None
        text = str(value).strip().replace("/", "-").replace(".", "-")
        try:
            if not isinstance(value, str):
                raise ValueError(text)
            if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
                return _same_day(dt.date.fromisoformat(_pad(text)), year)
            month, day_ = (int(x) for x in text.split("-"))
            return _same_day(dt.date(2028, month, day_), year)  # a leap year, so 02-29 becomes 02-28 elsewhere
        except ValueError as exc:
            raise ConfigError(f"lzdocs.toml 中 [submission] deadline 的值“{value}”不是日期",
                              hint='请写成 deadline = "11-16"（每年的月-日）'
                                   '或 deadline = "2026-11-16"（带英文双引号）') from exc

    # --- checking the whole file --------------------------------------------------------------
    def validate(self, default_config: str) -> Settings:
        """Check and normalise every known key (those of ``default_config``, the text of a new lzdocs.toml, and
        EXTRA_SETTINGS); unknown sections and keys become ``warnings`` (a typo there would otherwise be ignored
        silently). Raises ConfigError naming the key and the expected form."""
        defaults = known_settings(default_config)
        self.warnings = []
        for name, body in self.raw.items():
            known = defaults.get(name)
            if known is None:
                self.warnings.append(_unknown(f"[{name}]" if isinstance(body, dict) else name, list(defaults),
                                              "节" if isinstance(body, dict) else "设置"))
                continue
            if not isinstance(body, dict):
                raise ConfigError(f"lzdocs.toml 中的 {name} 应是一节设置 [{name}]，现在是一个值",
                                  hint=f"请改成单独一行 [{name}]，下面逐行写设置")
            for key, value in body.items():
                if name in FREE_SECTIONS:
                    body[key] = _as_text(name, key, value)
                elif key not in known:
                    self.warnings.append(_unknown(f"[{name}] {key}", list(known), "设置"))
                else:
                    body[key] = _normalised(name, key, value, known[key])
        self.deadline(2028)  # a leap year, so that "02-29" passes
        return self


def parse_toml(text: str) -> dict:
    """``tomllib.loads(text)``, parsed once per process for the same text — the packaged form kinds and default
    settings, a workspace's lzdocs.toml: every command a watcher, the status page or a test runs in one process reads
    them again — and a fresh copy each time, which the caller may change (unpickled from the parse kept: several
    times quicker than ``copy.deepcopy`` of it)."""
    return pickle.loads(_parsed_toml(text))


@functools.lru_cache(maxsize=64)
def _parsed_toml(text: str) -> bytes:
    return pickle.dumps(tomllib.loads(text), pickle.HIGHEST_PROTOCOL)


def known_settings(default_config: str) -> dict[str, dict]:
    """Every known key with its default value, from the default lzdocs.toml (so a new setting is known at once)."""
    table = parse_toml(default_config)
    for (section, key), value in EXTRA_SETTINGS.items():
        table.setdefault(section, {}).setdefault(key, value)
    return table


def _normalised(section: str, key: str, value, default):
    if (section, key) == ("submission", "deadline"):
        return value
    if section == "archive":
        return archive_value(key, value)
    if (section, key) in DATE_SETTINGS:
        _as_date(section, key, value)
        return value
    if isinstance(default, bool):
        return _as_flag(section, key, value)
    if isinstance(default, (int, float)):
        number = _as_number(section, key, value, fractional=(section, key) in FRACTIONAL, example=default)
        return number if (section, key) in FRACTIONAL else int(number)
    return _as_text(section, key, value)


def _where(section: str, key: str) -> str:
    return f"lzdocs.toml 中 [{section}] {key}"


def _as_text(section: str, key: str, value) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConfigError(f"{_where(section, key)} 应是一段文字", hint=f'请写成 {key} = "……"（用英文双引号括起来）')
    return str(value)


def _as_number(section: str, key: str, value, *, fractional: bool, example=5) -> float:
    number = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*", value):
        number = float(value) if "." in value else int(value)
    if isinstance(number, float) and not math.isfinite(number):  # TOML's inf and nan
        number = None
    low, high = number_range(section, key)
    if number is None or number < 0 or (number == 0 and low > 0) or (not fractional and number != int(number)):
        kind = ("大于 0 的" if low > 0 else "不小于 0 的") + ("数字" if fractional else "整数")
        raise ConfigError(f"{_where(section, key)} 的值“{value}”不对：应是{kind}",
                          hint=f"请写成 {key} = {example}（不加引号）")
    maximum, why = MAXIMA.get((section, key), (None, ""))
    if maximum is not None and number > maximum:
        raise ConfigError(f"{_where(section, key)} 的值“{value}”太大：{why}",
                          hint=f"请写成 {key} = {example}（不加引号）")
    if not low <= number <= high:
        raise ConfigError(f"{_where(section, key)} 的值“{value}”超出范围：应在 {_plain(low)} 到 {_plain(high)} 之间",
                          hint=f"请写成 {key} = {example}（不加引号）")
    return number


def number_range(section: str, key: str) -> tuple[float, float]:
    """The inclusive range a numeric setting must lie in."""
    if section in ("letters", "follow_up") and key.endswith("_days"):  # follow_up too
        return DAYS_RANGE
    return RANGES.get((section, key), NUMBER_RANGE)


def _plain(number: float) -> str:
    return f"{number:,.0f}".replace(",", "") if number == int(number) else f"{number:g}"


def _as_flag(section: str, key: str, value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _YES or text in _NO:
        return text in _YES
    raise ConfigError(f"{_where(section, key)} 的值“{value}”不对：应是 true 或 false",
                      hint=f"请写成 {key} = true 或 {key} = false（不加引号）")


def _unknown(what: str, known: list[str], noun: str) -> str:
    name = what.strip("[]").split()[-1]
    near = close_matches(name, known, limit=1)
    guess = f"是不是“{near[0]}”？" if near else f"可用的{noun}：{'、'.join(known)}"
    return f"lzdocs.toml 中的 {what} 不是 lzdocs 认识的{noun}，已忽略（{guess}）"


def _same_day(day: dt.date, year: int) -> dt.date:
    try:
        return day if day.year == year else day.replace(year=year)
    except ValueError:  # 02-29 in a year that has none
        return dt.date(year, 2, 28)


def _pad(text: str) -> str:
    y, m, d = text.split("-")
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"


# --- [publicity]: 公示期 and 监督电话/邮箱 -----------------------------------------------------------------
DATE_SETTINGS = {("publicity", "start"), ("publicity", "end")}  # "" or a date: "2026-12-01", 2026-12-01, 2026/12/1
RANGES[("publicity", "days")] = (1, 365)


def date_setting(settings: Settings, section: str, key: str) -> dt.date | None:
    """A date setting (one of ``DATE_SETTINGS``), None when empty; ConfigError when it is not a date."""
    return _as_date(section, key, settings.get(section, key))


def _as_date(section: str, key: str, value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
            return dt.date.fromisoformat(_pad(text))
    except ValueError:
        pass
    raise ConfigError(f"{_where(section, key)} 的值“{value}”不是日期",
                      hint=f'请写成 {key} = "2026-12-01"（带英文双引号），或留空 {key} = ""')


# --- [archive]: the 归档 package's 全宗号, 机构（问题）代码 and 保管期限 per kind of document ------------------------
RETENTION = {"永久": "Y", "定期30年": "D30", "定期10年": "D10"}  # DA/T 22—2015: the 保管期限 and their codes
_RETENTION_SPELLINGS = {**{k: k for k in RETENTION}, **{v.lower(): k for k, v in RETENTION.items()},
                        "30年": "定期30年", "10年": "定期10年", "定期30": "定期30年", "定期10": "定期10年"}
ARCHIVE_CODES = ("fonds", "organ")  # letters and digits: they become parts of the 档号 and of file names


def archive_value(key: str, value) -> str:
    """A key of [archive] checked: 全宗号 (may be blank until the first archive), 机构（问题）代码, or a 保管期限
    (normalised to 永久 / 定期30年 / 定期10年)."""
    text = _as_text("archive", key, value).strip()
    if key in ARCHIVE_CODES:
        if (text or key != "fonds") and not re.fullmatch(r"[0-9A-Za-z]{1,16}", text):
            example = "Z123" if key == "fonds" else "JW"
            raise ConfigError(f"{_where('archive', key)} 的值“{value}”不对：应是 1—16 个英文字母或数字",
                              hint=f'请写成 {key} = "{example}"（它是档号的一部分，也是文件名的一部分）')
        return text
    period = _RETENTION_SPELLINGS.get(text.lower().replace(" ", ""))
    if period is None:
        raise ConfigError(f"{_where('archive', key)} 的值“{value}”不是保管期限",
                          hint=f'请写成 {key} = "永久"、"定期30年" 或 "定期10年"（代码 Y、D30、D10）')
    return period

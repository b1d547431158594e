"""Text helpers shared by readers, checks and writers: folding, widths, Chinese numerals and dates, close names."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# The control characters (C0, DEL, C1): invisible, or moving the cursor, when printed; pasted into a name by accident
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[\s\u3000\u00a0]+")
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def fold(text: str) -> str:
    """Full-width letters and digits to ASCII (NFKC), spaces collapsed, trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def squeeze(text: str) -> str:
    """Like :func:`fold` but with every space removed — for matching names and header labels."""
    return _squeezed(text) if len(text) <= SHORT_TEXT else _squeeze(text)


def _squeeze(text: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", text))


# A form's reader squeezes each short cell text three or four times (header names for each kind of form, the
# checks, the level, the ditto marks), and the same few hundred texts (一级, 岗位…, the title) on every form;
# NFKC is 30 times slower on text with a full-width colon or comma than on text without. Short texts only are
# kept, so the memory the cache may hold stays small whatever a file contains.
SHORT_TEXT = 64
_squeezed = functools.lru_cache(maxsize=4096)(_squeeze)


def strip_illegal_xml(text: str) -> tuple[str, bool]:
    """Remove characters that XML 1.0 forbids; say whether any were removed."""
    cleaned = _XML_ILLEGAL.sub("", text)
    return cleaned, cleaned != text


def safe_filename(name: str, *, fallback: str = "未命名", max_len: int = 80) -> str:
    """A single path component made from untrusted text: no separators, no ``..``, no reserved names."""
    name = unicodedata.normalize("NFC", name)
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]|\.{2,}', "_", name).strip().strip(".").strip()
    name = re.sub(r"_+", "_", name)
    if not name or set(name) <= {"_", "."}:
        name = fallback
    if name.split(".")[0].upper() in _RESERVED:
        name = "_" + name
    return name[:max_len]


def decode_text(data: bytes) -> str | None:
    """Text a clerk saved with Notepad/WPS/Excel: UTF-8 (BOM or not), UTF-16 with BOM, or GBK/GB18030.

    None when it is none of these (a binary file, a picture…); the caller says what to do, in Chinese."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").removeprefix("\ufeff")
        except UnicodeDecodeError:
            return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding).removeprefix("\ufeff")
        except UnicodeDecodeError:
            continue
    return None


# --- widths -----------------------------------------------------------------------------------------

def display_width(text: str, *, ambiguous_wide: bool = False) -> int:
    """Columns ``text`` takes: East Asian wide and full-width characters two, the others one.

    Characters of ambiguous width (“”‘’…—·×℃①Ⅰ) are one column in a terminal; in a Chinese font (a document,
    a worksheet in 宋体) they are drawn full width: pass ``ambiguous_wide=True`` there."""
    if text.isascii():
        return len(text)
    return sum(map((_WIDE_AMBIGUOUS if ambiguous_wide else _WIDE).__getitem__, text))


class _Widths(dict):
    """Character → columns, each character looked up in unicodedata once (a register measures every cell); only
    the Basic Multilingual Plane is kept, so that no text can grow the table past 65,536 entries."""

    def __init__(self, wide: str):
        super().__init__()
        self.wide = wide

    def __missing__(self, ch: str) -> int:
        width = 2 if unicodedata.east_asian_width(ch) in self.wide else 1
        if ch <= "\uffff":
            self[ch] = width
        return width


_WIDE, _WIDE_AMBIGUOUS = _Widths("WF"), _Widths("WFA")


# --- Chinese numerals and dates ---------------------------------------------------------------------

CHINESE_DIGITS = "〇一二三四五六七八九"
_DIGIT_VALUES = {**{ch: n for n, ch in enumerate(CHINESE_DIGITS)}, "○": 0, "零": 0, "O": 0, "Ｏ": 0, "0": 0}
_PLACES = ((1000, "千"), (100, "百"), (10, "十"), (1, ""))


def chinese_numeral(n: int) -> str:
    """A number as headings, months and days write it: 3 → 三, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五."""
    if not 0 <= n < 10000:
        raise ValueError(f"chinese_numeral: {n} is outside 0…9999")
    if n < 20:
        return CHINESE_DIGITS[n] if n < 10 else "十" + (CHINESE_DIGITS[n - 10] if n > 10 else "")
    out, gap = "", False
    for value, unit in _PLACES:
        digit = n // value % 10
        if digit:
            out += ("零" if gap else "") + CHINESE_DIGITS[digit] + unit
            gap = False
        else:
            gap = bool(out)
    return out


def chinese_digits(n: int) -> str:
    """A number digit by digit, as years are written: 2026 → 二〇二六."""
    return "".join(CHINESE_DIGITS[int(ch)] for ch in str(n))


def parse_chinese_number(text: str) -> int | None:
    """Arabic digits, a year digit by digit (二〇一一, 二○一一) or a month or day (十一, 二十三, 三十) → int;
    None for anything else."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        t = _DIGIT_VALUES.get(tens) if tens else 1
        o = _DIGIT_VALUES.get(ones) if ones else 0
        return None if t is None or o is None else t * 10 + o
    digits = [_DIGIT_VALUES.get(ch) for ch in text]
    if None in digits:
        return None
    return int("".join(map(str, digits)))


def chinese_date(day: dt.date, *, numerals: bool = False) -> str:
    """2026年11月28日 (GB/T 9704-2012: Arabic digits, no leading zeros), or with ``numerals``
    二〇二六年十一月二十八日 (the 1999 edition's 成文日期, and how some offices type dates)."""
    if numerals:
        return f"{chinese_digits(day.year)}年{chinese_numeral(day.month)}月{chinese_numeral(day.day)}日"
    return f"{day.year}年{day.month}月{day.day}日"


# Every way of writing a date that lzdocs reads (docs/product.md §3): 2026年11月28日, 2026-11-28, 2026/11/28,
# 2026.11.28, 二〇二六年十一月二十八日 (二0二六 too), the two numerals mixed (2026年十一月28日) and, in a
# cell, 20261128. A written date is tried first over the whole text, so that it wins over a run of eight digits;
# a day in Chinese numerals needs its 日 (2026年3月五项整改 is no date).
_YEAR_DIGITS = r"(\d{4}|[〇○零0O一二三四五六七八九]{4})"
_MONTH = r"(\d{1,2}|[十一二三四五六七八九]{1,3})"
_DAY = r"(\d{1,2}|[十一二三四五六七八九]{1,3}(?=日))"
_WRITTEN = re.compile(rf"{_YEAR_DIGITS}\s*[-/.年]\s*{_MONTH}\s*[-/.月]\s*{_DAY}\s*日?")
_WRITTEN_DATES = (_WRITTEN, re.compile(r"(\d{4})(\d{2})(\d{2})"))
_YEAR_MONTH = re.compile(rf"{_YEAR_DIGITS}\s*(?:年|[-/.])\s*{_MONTH}\s*月?")
_EXCEL_SERIAL = re.compile(r"\d{5}(\.0+)?")
EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(value, *, whole: bool = False) -> dt.date | None:
    """A date from a cell or a text: a date or datetime, an Excel serial day, or any written form above; None for
    anything else, an impossible day (2026年2月30日) included. ``whole``: the text is the date and nothing more
    (spaces aside), as a signature line's last line; otherwise the date may stand among other words."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 < value < 80000:  # 1954 … 2119 as an Excel serial
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        return None
    text = squeeze(str(value))
    if _EXCEL_SERIAL.fullmatch(text):
        return parse_date(float(text))
    written = _written_date(text, whole)
    try:
        return dt.date(*written) if written else None
    except ValueError:
        return None


def is_written_date(text: str) -> bool:
    """The text is a date written out with its separators (年月日, - / .) and nothing more, spaces aside — a day
    that does not exist included, eight bare digits not (a telephone number): a signature's date line, a date
    written under a form's table."""
    return _written_date(squeeze(text), whole=True, patterns=(_WRITTEN,)) is not None


def _written_date(text: str, whole: bool, patterns=_WRITTEN_DATES) -> tuple[int, int, int] | None:
    """(year, month, day) as written in a squeezed text, not checked against the calendar."""
    for pattern in patterns:
        m = pattern.fullmatch(text) if whole else pattern.search(text)
        parts = [parse_chinese_number(g) for g in m.groups()] if m else [None]
        if None not in parts:
            return tuple(parts)
    return None


def parse_year(value) -> int | None:
    """The year of a date written only to the month (2026年11月, 2026.11, 二〇二六年十一月), or of a full date."""
    day = parse_date(value)
    if day is not None:
        return day.year
    if value is None or isinstance(value, (int, float)):
        return None
    m = _YEAR_MONTH.search(squeeze(str(value)))
    if not m:
        return None
    year, month = parse_chinese_number(m.group(1)), parse_chinese_number(m.group(2))
    return year if year and 2000 <= year <= 2100 and month and 1 <= month <= 12 else None


# --- close names ------------------------------------------------------------------------------------

SHARED_WEIGHT = 0.5  # how much of the two names' weight (Dice) the characters they share must carry


def close_matches(text: str, choices: Iterable[str], *, limit: int = 3, cutoff: float = 65) -> list[str]:
    """The ``choices`` that look like ``text``, best first — for "是不是…？" hints.

    A name written a little differently (计划财务科 → 计划财务处, 基健处 → 基建处), shortened (计财 → 计财处) or
    contained in a longer one (资产管理处 → 国有资产管理处) is close; a name that only shares what many of the
    choices have is not (资产管理处 and 后勤管理处 share 管理处, 文学院 and 外国语学院 学院). Two tests, both to pass:
    rapidfuzz's WRatio (0–100: the similarity of the whole, or of the best-matching part when one is much longer)
    at least ``cutoff`` — 65 lets about one character in three differ — and the characters the two share, each
    weighted by how few choices have it (its inverse document frequency), at least half the weight of both (a
    weighted Dice coefficient), with one of them found in at most a quarter of the choices. One character alone
    (处) is close to nothing."""
    if len(text) < 2:
        return []
    from rapidfuzz import fuzz, process  # imported here: only a failed look-up pays for it

    choices = list(choices)
    found = process.extract(text, choices, scorer=fuzz.WRatio, limit=None, score_cutoff=cutoff)
    if not found:
        return []
    having = Counter(c for choice in choices for c in set(choice))  # character → how many choices have it
    common = max(2.0, len(choices) / 4)

    def weight(chars: Counter) -> float:
        # A character no choice has (a typo, mostly) tells the choices apart no better than one only one has.
        return sum(n * (math.log((len(choices) + 1) / (max(having[c], 1) + 1)) + 0.05) for c, n in chars.items())

    mine = Counter(text)
    my_weight = weight(mine)

    def alike(choice: str) -> bool:
        theirs = Counter(choice)
        shared = mine & theirs
        return any(having[c] <= common for c in shared) and \
            2 * weight(shared) >= SHARED_WEIGHT * (my_weight + weight(theirs))

    return [choice for choice, _score, _index in found if alike(choice)][:limit]

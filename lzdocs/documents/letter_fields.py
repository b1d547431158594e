"""How a letter prints its fields: numbered items, 谈话时间, 依据, 联系人 and 抄送 (pure text, no files)."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, NamedTuple

from lzdocs.errors import FieldError
from lzdocs.textutil import chinese_date, fold, parse_chinese_number

if TYPE_CHECKING:
    from lzdocs.settings import Settings

DATE_SPAN = 5  # a date in a letter lies within five years of the letter's own date
_ITEM_END = "。.；;，,、：: \u3000"
_BASIS_TAIL = re.compile(r"(?:的)?(?:有关|相关)规定$")
_RULES = re.compile(r"(?:规则|条例|办法|规定|准则|意见|细则|制度|决定|通知)$")
_ENUMERATOR = re.compile(r"^\s*(?:[（(][0-9一二三四五六七八九十]+[)）]|[0-9]+(?:[.．](?!\d)|[、)）])"
                         r"|[一二三四五六七八九十]+、)\s*")


def list_items(text: str) -> list[str]:
    """One item per line; numbering the clerk typed (1. 、（一）…) is removed, the letter numbers them. Each item
    ends with "；" and the last with "。" (an item ending in ？ or ！ keeps it)."""
    items = [_ENUMERATOR.sub("", line).strip().rstrip(_ITEM_END).strip() for line in text.split("\n")]
    items = [item for item in items if item]
    return [item if item.endswith(("？", "！", "?", "!")) else item + ("。" if i == len(items) - 1 else "；")
            for i, item in enumerate(items)]


def when_text(value, date: dt.date, warnings: list[str]) -> str:
    """A day with its time of day as a letter prints it: 2026年12月8日（星期二）9时30分 — 下午3时 when the clerk wrote
    下午, 9时至11时 for a span. An Excel date-time cell, or a text lzdocs reads as a time (:func:`_moment`: 2026-12-08
    09:30, 2026年12月8日上午9:00, 12月8日下午3点半 — a day without its year in the year of the letter, or just after
    it) is formatted; other text after a day it reads (12月8日至9日) is kept as the clerk wrote it, and so is text
    without one (下周二上午), with a warning: the talk then has no day to fall due on. A day before the letter's is
    refused (the old year typed in January, most often)."""
    moment = _moment(value, date)
    if moment is None:
        warnings.append(f"谈话时间“{value}”中没有读出日期：预警处置台账中没有谈话期限，过期也不会提示；"
                        "请写明日期，如 2026-12-08 09:30")
        return str(value)
    if moment.day < date:
        raise FieldError(f"谈话时间（{chinese_date(moment.day)}）早于成文日期（{chinese_date(date)}）",
                         hint="请核对谈话时间（年份是否写错）；文号没有占用")
    if moment.clock is None:  # a day, then words lzdocs does not read: as written
        warnings.append(f"谈话时间“{value}”中日期后面的部分没有读懂，按所写印出；请核对"
                        "（时刻可写成 上午9:30、下午3点、9:00-11:00）")
        return str(value)
    named = WEEKDAYS[moment.day.weekday()]
    for weekday in moment.weekdays:
        if weekday.replace("天", "日") != named:
            warnings.append(f"谈话时间写的是星期{weekday}，{chinese_date(moment.day)}是星期{named}，"
                            "文书按日期印出；请核对日期")
    if not moment.clock or moment.clock in _PERIODS:
        warnings.append("谈话时间只有日期，没有写几点几分")
    return f"{chinese_date(moment.day)}（星期{named}）{moment.clock}"


def talk_day(value, date: dt.date) -> dt.date | None:
    """The day a 谈话时间 names — the day the talk is due (预警处置台账), as :func:`when_text` reads it; None when it
    names none."""
    moment = _moment(value, date)
    return moment.day if moment is not None else None


class Moment(NamedTuple):
    """A 谈话时间 read: its day, the time of day as the letter prints it ("" none; None: words after the day that
    lzdocs does not read, kept as written), and the weekdays it names (checked against the day)."""

    day: dt.date
    clock: str | None
    weekdays: tuple[str, ...] = ()


WEEKDAYS = "一二三四五六日"
_NUMBER = r"\d{1,2}|[〇零一二三四五六七八九十两]{1,3}"
_PERIODS = ("上午", "下午", "中午", "晚上", "早上")
_AFTERNOON = ("下午", "晚上")
_DAY = re.compile(  # on the text in NFKC (：→: （→( ３→3), spaces anywhere between its parts
    rf"\s*(?:(?P<year>\d{{4}}|[〇○零0O一二三四五六七八九]{{4}})\s*(?P<sep>[-/.年])\s*)?(?P<month>{_NUMBER})\s*"
    rf"(?(sep)[-/.月]|月)\s*(?P<day>{_NUMBER})(?!\d)\s*(?(sep)[日号]?|[日号])")
_WEEKDAY = r"\(?\s*(?:星期|周|礼拜)(?P<{}>[一二三四五六日天])\s*\)?"


def _clock_pattern(p: str) -> str:
    return (rf"(?P<{p}period>{'|'.join(_PERIODS)})?\s*(?:T?(?P<{p}hour>{_NUMBER})\s*(?::\s*(?P<{p}minute>\d{{2}})"
            rf"(?::\d{{2}}(?:\.\d+)?)?|[时点]\s*(?:(?P<{p}minutes>{_NUMBER})\s*分?|(?P<{p}half>半))?))?")


_CLOCK = re.compile(rf"\s*(?:{_WEEKDAY.format('weekday')})?\s*{_clock_pattern('')}"
                    rf"(?:\s*[-—–~～至到]\s*{_clock_pattern('end_')})?\s*(?:{_WEEKDAY.format('weekday2')})?\s*")


def _moment(value, date: dt.date) -> Moment | None:
    """A 谈话时间 read (:class:`Moment`): an Excel date or date-time cell, or a text that begins with a day (its
    year, or none: then the letter's, or the next year's for a day of the next few months — 1月5日 on a letter of
    December), then maybe its weekday, 上午/下午…, a time (9:30, 9时30分, 9点半, 九时) or a span of two (9:00-11:00).
    None when it names no day, one that does not exist, or one more than DATE_SPAN years from the letter."""
    if isinstance(value, dt.datetime):
        return Moment(value.date(), "" if (value.hour, value.minute) == (0, 0) else _clock(value.hour, value.minute))
    if isinstance(value, dt.date):
        return Moment(value, "")
    text = fold(str(value)).replace("两", "二") if isinstance(value, str) else ""
    if not (m := _DAY.match(text)):
        return None
    year, month, day_of = (parse_chinese_number(m[g]) if m[g] else None for g in ("year", "month", "day"))
    if month is None or day_of is None:
        return None
    try:
        day = dt.date(year, month, day_of) if year is not None else _next_such_day(month, day_of, date)
    except ValueError:  # 2026年2月30日
        return None
    if abs(day.year - date.year) > DATE_SPAN:  # 一二三四年五月六日: not a day of this letter
        return None
    rest = _CLOCK.fullmatch(text, m.end())
    clock = None if rest is None else _span(rest)
    return Moment(day, clock, tuple(w for w in (rest["weekday"], rest["weekday2"]) if w) if rest else ())


def _span(m: re.Match) -> str | None:
    """The time of day of a 谈话时间 as the letter prints it (from :data:`_CLOCK`'s match); None when it does not
    hold (25:00, 上午15时) — the text is then printed as written."""
    start = _time_of(m, "")
    if start is None or not m["end_hour"]:
        return start
    end = _time_of(m, "end_")
    return None if end is None or not m["hour"] else f"{start}至{end}"


def _time_of(m: re.Match, p: str) -> str | None:
    period = m[f"{p}period"] or ""
    if not m[f"{p}hour"]:
        return period
    hour = parse_chinese_number(m[f"{p}hour"])
    minute = 30 if m[f"{p}half"] else parse_chinese_number(m[f"{p}minute"] or m[f"{p}minutes"] or "0")
    if hour is None or minute is None or hour > 23 or minute > 59:
        return None
    if period in _AFTERNOON and hour > 12:  # 下午15:00: 下午3时
        hour -= 12
    elif period and hour > 12:  # 上午15:00: which is meant cannot be told
        return None
    return period + _clock(hour, minute)


def _clock(hour: int, minute: int) -> str:
    return f"{hour}时" + (f"{minute}分" if minute else "")


def _next_such_day(month: int, day: int, date: dt.date) -> dt.date:
    """A day written without its year (12月8日): in the letter's year — or the next, when that day has passed and
    comes again within three months (1月5日 on a letter of 20 December; 2月29日 on one of December before a leap
    year); else the letter's year, and the day, before the letter, is refused as such."""
    try:
        this = dt.date(date.year, month, day)
    except ValueError:  # 2月29日 of a year without one: the next
        return dt.date(date.year + 1, month, day)
    if this < date:
        try:
            following = dt.date(date.year + 1, month, day)
        except ValueError:  # 2月29日
            return this
        if (following - date).days <= 92:
            return following
    return this


def basis_text(text: str) -> str:
    """依据 as the letter cites it in “根据……有关规定”: a bare title of rules gets its 《》."""
    text = _BASIS_TAIL.sub("", text.strip().strip("，,。；;")).strip()
    if text and "《" not in text and _RULES.search(text):
        text = f"《{text}》"
    return text


def contact(settings: Settings, values: dict) -> dict:
    """联系人 and 联系电话 (--set, else [organisation] contact/phone: the same line the 错误说明 ends with), and the
    line the letters print; left empty, the letters print none."""
    person = str(values.get("联系人") or settings.get("organisation", "contact", "") or "").strip()
    phone = str(values.get("联系电话") or settings.get("organisation", "phone", "") or "").strip()
    parts = [f"联系人：{person}"] * bool(person) + [f"联系电话：{phone}"] * bool(phone)
    return {"联系人": person, "联系电话": phone, "联系方式": "，".join(parts) + "。" if parts else ""}


def copy_line(text: str) -> str:
    """抄送 as the 版记 prints it: names separated by “，”, ending with “。”."""
    parts = [p.strip() for p in re.split(r"[、，,;；\n]+", text.rstrip("。.")) if p.strip()]
    return "，".join(parts) + "。" if parts else ""

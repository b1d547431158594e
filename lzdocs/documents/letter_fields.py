"""How a letter prints its fields: numbered items, 谈话时间, 依据, 联系人 and 抄送 (pure text, no files)."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from lzdocs.errors import FieldError
from lzdocs.textutil import chinese_date, fold, parse_chinese_number, parse_date, squeeze

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
    """A day with its time of day as a letter prints it: 2026年12月8日（星期二）9时30分, 下午3时 when the clerk wrote
    下午. An Excel date-time cell, or a text lzdocs reads as a time (:func:`_moment`: 2026-12-08 09:30, 2026年12月8日
    上午9:00, 12月8日下午3点半 — a day without its year in the year of the letter, or just after it) is formatted;
    other text (下周二上午) is kept as the clerk wrote it, with a warning when no day is read from it (the talk then
    has no day to fall due on)."""
    moment = _moment(value, date)
    if moment is None:
        if talk_day(value, date) is None:
            warnings.append(f"谈话时间“{value}”中没有读出日期：预警处置台账中没有谈话期限，过期也不会提示；"
                            "请写明日期，如 2026-12-08 09:30")
        return str(value)
    day, hour, minute, period, weekday = moment
    text = f"{chinese_date(day)}（星期{WEEKDAYS[day.weekday()]}）"
    if weekday and weekday.replace("天", "日") != WEEKDAYS[day.weekday()]:
        warnings.append(f"谈话时间写的是星期{weekday}，{chinese_date(day)}是星期{WEEKDAYS[day.weekday()]}，"
                        "文书按日期印出；请核对日期")
    if day < date:  # the talk would have been before its notice was written: a wrong year, most often
        raise FieldError(f"谈话时间（{chinese_date(day)}）早于成文日期（{chinese_date(date)}）",
                         hint="请核对谈话时间（年份是否写错）；文号没有占用")
    if hour is None:
        warnings.append("谈话时间只有日期，没有写几点几分")
        return text + period
    return text + period + f"{hour}时" + (f"{minute}分" if minute else "")


def talk_day(value, date: dt.date) -> dt.date | None:
    """The day a 谈话时间 names — the day the talk is due (预警处置台账): as :func:`when_text` reads it, else a date
    written anywhere in the text; None when it names none."""
    moment = _moment(value, date)
    if moment is not None:
        return moment[0]
    day = parse_date(value) if not (isinstance(value, str) and squeeze(value).isdigit()) else None  # 46000: no day
    return day if day is not None and abs(day.year - date.year) <= DATE_SPAN else None


WEEKDAYS = "一二三四五六日"
_NUMBER = r"\d{1,2}|[〇零一二三四五六七八九十]{1,3}"
_PERIODS = ("上午", "下午", "中午", "晚上", "早上")
_MOMENT = re.compile(  # on the text in NFKC (：→: （→( ３→3), spaces anywhere between its parts
    rf"(?:(?P<year>\d{{4}}|[〇○零0O一二三四五六七八九]{{4}})\s*(?P<sep>[-/.年])\s*)?(?P<month>{_NUMBER})\s*"
    rf"(?(sep)[-/.月]|月)\s*(?P<day>{_NUMBER})\s*(?(sep)[日号]?|[日号])\s*"
    rf"(?:\(?\s*(?:星期|周|礼拜)(?P<weekday>[一二三四五六日天])\s*\)?)?\s*(?P<period>{'|'.join(_PERIODS)})?\s*"
    rf"(?:T?(?P<hour>{_NUMBER})\s*(?::\s*(?P<minute>\d{{2}})(?::\d{{2}}(?:\.\d+)?)?|[时点]\s*"
    rf"(?:(?P<minutes>{_NUMBER})\s*分?|(?P<half>半))?))?")


def _moment(value, date: dt.date) -> tuple[dt.date, int | None, int | None, str, str] | None:
    """(day, hour, minute, 上午/下午… or "", the weekday written or "") of a 谈话时间: an Excel date or date-time
    cell, or a text that is a day (its year, or none: then the letter's, or the next year's for a day of the next few
    months — 1月5日 on a letter of December), maybe its weekday, maybe 上午/下午…, maybe a time (9:30, 9时30分, 9点半,
    九时) and nothing else. None for anything else: a day that does not exist, more than DATE_SPAN years from the
    letter, a time past 23:59."""
    if isinstance(value, dt.datetime):
        return value.date(), *((value.hour, value.minute) if (value.hour, value.minute) != (0, 0) else (None, None)), \
            "", ""
    if isinstance(value, dt.date):
        return value, None, None, "", ""
    if not isinstance(value, str) or not (m := _MOMENT.fullmatch(fold(value))):
        return None
    year, month, day_of = (parse_chinese_number(m[g]) if m[g] else None for g in ("year", "month", "day"))
    hour = parse_chinese_number(m["hour"]) if m["hour"] else None
    minute = 30 if m["half"] else parse_chinese_number(m["minute"] or m["minutes"] or "0")
    if None in (month, day_of, minute) or (m["hour"] and (hour is None or hour > 23)) or minute > 59:
        return None
    try:
        day = dt.date(year, month, day_of) if year is not None else _next_such_day(month, day_of, date)
    except ValueError:  # 2026年2月30日
        return None
    if abs(day.year - date.year) > DATE_SPAN:  # 一二三四年五月六日: not a day of this letter
        return None
    return day, hour, minute if hour is not None else None, m["period"] or "", m["weekday"] or ""


def _next_such_day(month: int, day: int, date: dt.date) -> dt.date:
    """A day written without its year (12月8日): in the letter's year — or the next, when that day has passed and
    comes again within three months (1月5日 on a letter of 20 December); else the letter's year, and the day, before
    the letter, is refused as such."""
    this = dt.date(date.year, month, day)
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

"""How a letter prints its fields: numbered items, 谈话时间, 依据, 联系人 and 抄送 (pure text, no files)."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from lzdocs.errors import FieldError
from lzdocs.textutil import chinese_date, is_written_date, parse_date

if TYPE_CHECKING:
    from lzdocs.settings import Settings

DATE_SPAN = 5  # a date in a letter lies within five years of the letter's own date
_ITEM_END = "。.；;，,、：: \u3000"
_TIME_OF_DAY = re.compile(r"(.+?)(?:[T\s]+(\d{1,2})[:：](\d{2})(?::\d{2}(?:\.\d+)?)?)?")
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
    """A day with its time of day as a letter prints it: 2026年12月8日（星期二）9时30分. An Excel date-time cell, or a
    date written out any way lzdocs reads one (within DATE_SPAN years of the letter's ``date``), with or without a
    time after it (2026-12-08 09:30, 2026年12月8日 9:30), is formatted; other text (2026年12月8日上午9:00, a bare
    number) is kept as the clerk wrote it."""
    moment = value
    if isinstance(value, str):
        m = _TIME_OF_DAY.fullmatch(value.strip())
        day = parse_date(m.group(1), whole=True) if m and is_written_date(m.group(1)) else None
        if day is None or abs(day.year - date.year) > DATE_SPAN:  # 65431020, a serial number: not a day
            return value
        try:
            moment = dt.datetime.combine(day, dt.time(int(m.group(2)), int(m.group(3)))) if m.group(2) else day
        except ValueError:  # 25:00
            return value
    day = moment.date() if isinstance(moment, dt.datetime) else moment
    text = f"{chinese_date(day)}（星期{'一二三四五六日'[day.weekday()]}）"
    if day < date:  # the talk would have been before its notice was written: a wrong year, most often
        raise FieldError(f"谈话时间（{chinese_date(day)}）早于成文日期（{chinese_date(date)}）",
                         hint="请核对谈话时间（年份是否写错）；文号没有占用")
    if not isinstance(moment, dt.datetime) or (moment.hour, moment.minute) == (0, 0):
        warnings.append("谈话时间只有日期，没有写几点几分")
        return text
    return text + f"{moment.hour}时" + (f"{moment.minute}分" if moment.minute else "")


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

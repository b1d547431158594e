"""The unit and the date written around a form table: labels and their values, dates at the end of a line."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lzdocs.forms.schema import FormKind
from lzdocs.textutil import fold, is_written_date, squeeze

if TYPE_CHECKING:
    from lzdocs.workspace import Roster

_STOP_LABELS = ("单位负责人", "部门负责人", "主要负责人", "分管领导", "分管校领导", "填表人", "填报人", "审核人",
                "联系人", "联系电话", "电话", "负责人", "制表人", "审核")
_SEAL = r"(?:\s*[（(]\s*(?:公章|盖章|签章|盖公章|签字|签名)\s*[)）])?"


@dataclass(frozen=True)
class Labels:
    kind: FormKind
    pattern: re.Pattern


_LABELS: dict[int, Labels] = {}


def labels_for(kind: FormKind) -> Labels:
    cached = _LABELS.get(id(kind))
    if cached and cached.kind is kind:
        return cached

    def one(word: str) -> str:
        chars = []
        for ch in word:
            chars.append("[（(]" if ch in "（(" else "[）)]" if ch in "）)" else re.escape(ch))
        strong = len(squeeze(word)) >= 4
        guard = "" if strong else r"(?<!\w)"
        end = r"(?:\s*[:：]|\s*$|\s+)" if strong else r"(?:\s*[:：]|\s*$)"
        return guard + r"\s*".join(chars) + _SEAL + end

    def group(name: str, words) -> str:
        words = sorted({w for w in words if w.strip()}, key=lambda w: len(squeeze(w)), reverse=True)
        return f"(?P<{name}>" + "|".join(one(w) for w in words) + ")"

    pattern = re.compile("|".join((group("unit", (kind.unit.label, *kind.unit.synonyms)),
                                   group("date", (kind.date.label, *kind.date.synonyms)),
                                   group("stop", _STOP_LABELS))))
    labels = Labels(kind, pattern)
    _LABELS[id(kind)] = labels
    return labels


def is_footer_line(cells: list[str], labels: Labels) -> bool:
    """A line under the table such as 填表人：… 审核人：… or 填表日期：… — not a data row."""
    texts = list(dict.fromkeys(t for t in cells if t))
    return 0 < len(texts) <= 3 and any(labels.pattern.search(t) for t in texts)


def header_values(kind: FormKind, before: list, after: list) -> tuple[str | None, str | None, bool]:
    """The unit and the date text written around the table (lines nearest the table first), and whether the unit
    was read from the title rather than from a unit field."""
    labels = labels_for(kind)
    unit = date = None
    for line in (*before, *after):
        found = labelled(line, labels)
        unit = unit or found.get("unit")
        date = date or found.get("date")
        if unit and date:
            break
    if unit:  # “单位（公章）：保卫处　　　2026年11月9日” — a date (or its blank 年 月 日) after the unit
        unit, trailing = _split_trailing_date(unit)
        date = date or trailing
    if not date:
        date = next((t for line in (*before[:8], *after[:8]) for t in line if _is_bare_date(t)), None)
    if not date:  # the date at the end of the signature line: “填表人：王二　　二〇二六年十一月九日”
        date = next((d for line in after[:8] for t in line if (d := _split_trailing_date(t)[1])), None)
    if unit:
        return unit, date, False
    unit = next((u for line in before for t in line if (u := _unit_in_title(kind, t))), None)
    return unit, date, unit is not None


def title_lines(lines: Sequence[Sequence[str]], labels: Labels, limit: int = 6) -> list[str]:
    """The short texts of the lines nearest above a table that are not labelled fields: its title and headings."""
    out: list[str] = []
    for line in lines[:limit]:
        for text in dict.fromkeys(t.strip() for t in line if t and t.strip()):
            if len(text) <= 60 and not labels.pattern.search(text) and text not in out:
                out.append(text)
    return out


def labelled(line: Sequence[str], labels: Labels) -> dict[str, str]:
    """Label → value in one line: "单位（公章）：X  填表日期：Y" in a cell, or a label cell and the value cell
    after it."""
    found: dict[str, str] = {}
    cells = [t for i, t in enumerate(line) if t and (i == 0 or t != line[i - 1])]
    for c, text in enumerate(cells):
        matches = list(labels.pattern.finditer(text))
        for m, match in enumerate(matches):
            role = match.lastgroup
            end = matches[m + 1].start() if m + 1 < len(matches) else len(text)
            value = _clean(text[match.end():end])
            if not value and m + 1 == len(matches) and c + 1 < len(cells):
                following = cells[c + 1]
                value = "" if labels.pattern.match(following) else _clean(following)
            if role != "stop" and value and role not in found:
                found[role] = value
    return found


def _clean(value: str) -> str:
    return value.strip().lstrip(":：").strip(" \t\r\n\u3000_＿")


def _is_bare_date(text: str) -> bool:
    return len(text) <= 24 and is_written_date(text)


_TRAILING_DATE = re.compile(r"(?:^|(?<=[\s:：]))((?:[0-9〇○零一二三四五六七八九O]{4})?"
                            r"\s*年\s*[0-9一二三四五六七八九十]{0,3}"
                            r"\s*月\s*(?:[0-9一二三四五六七八九十]{0,3}\s*日)?|[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2})\s*$")


def _split_trailing_date(text: str) -> tuple[str, str | None]:
    """Text without a date (or a blank “年 月 日”) written at its end after a space, and that date if filled."""
    folded = fold(text)
    m = _TRAILING_DATE.search(folded)
    if not m or not m.group(1).strip():
        return text, None
    written = re.sub(r"\s+", "", m.group(1))
    return folded[:m.start(1)].strip(), written if re.search(r"\d|[〇○零一二三四五六七八九]", written) else None


def _unit_in_title(kind: FormKind, text: str) -> str | None:
    """计划财务处岗位风险分析和防控措施表 → 计划财务处 (a title that names the unit instead of a label)."""
    key = squeeze(text)
    title = squeeze(kind.title)
    at = key.find(title)
    if at <= 0:
        return None
    prefix = re.sub(r"^附件\d*[:：]?|[《“\"]+$|\d{4}年度?$", "", key[:at]).strip(":：")
    return prefix if 2 <= len(prefix) <= 30 and not re.search(r"[:：，,。]", prefix) else None


def roster_unit_in_titles(titles: Sequence[str], roster: Roster) -> tuple[str, str] | None:
    """(roster name, title) for the one roster unit a title line names by its name or an alias (“建筑学院岗位廉政
    风险点及防控措施一览表”); None when no title names one, or a title names two (never a guess)."""
    keys = [(squeeze(key), unit.name) for unit in roster for key in (unit.name, *unit.aliases) if squeeze(key)]
    for title in titles:
        text = squeeze(title)
        if "表" not in text:  # a title (…一览表, …防控表), not an instruction that names a unit
            continue
        spans = [(text.find(key), len(key), name) for key, name in keys if key in text]
        # a key inside a longer one (财务处 in 计划财务处) is that one's part, not another unit
        named = {name for at, n, name in spans
                 if not any(a <= at and at + n <= a + m and m > n for a, m, _ in spans)}
        if len(named) == 1:
            return named.pop(), title
        if named:
            return None
    return None

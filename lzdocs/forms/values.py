"""Parsing the values clerks write: risk levels in all their spellings, ticked choices (dates: textutil)."""

from __future__ import annotations

import re
import unicodedata

from lzdocs.textutil import squeeze

LEVEL_NAMES = {1: "一级", 2: "二级", 3: "三级"}

_LEVEL_WORDS = {
    "一": 1, "二": 2, "三": 3, "1": 1, "2": 2, "3": 3,
    "Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "I": 1, "II": 2, "III": 3,
    "高": 1, "中": 2, "低": 3, "壹": 1, "贰": 2, "叁": 3,
}
_LEVEL_WORD = r"(一|二|三|壹|贰|叁|[123]|Ⅰ|Ⅱ|Ⅲ|III|II|I|高|中|低)"
_LEVEL_RE = re.compile(rf"^(?:风险等级|等级)?[:：]?{_LEVEL_WORD}(?:级)?(?:风险点?)?$")
_ASIDE = re.compile(r"[（(][^）)]*[）)]")
TICKED = "☑☒■●√✓✔▣"  # a ticked box, or a tick written beside the word
UNTICKED = "□☐○◯▢"  # an empty box
_BOX = re.compile(rf"[（(]?([{TICKED}{UNTICKED}])[）)]?|[（(]()[）)]")  # ☑, (√), and an empty “（ ）”
_TICK_WORD = re.compile(rf"{_LEVEL_WORD}(?:级)?(?:风险)?")
_TICK_FILLER = re.compile(r"^(?:风险等级|等级)?[:：]?|[、，,;；/|]")
# Why a cell of tick boxes gives no level, for the clerk.
NOT_TICKED = "风险等级没有勾选，请在一级、二级、三级中勾选一个"
TICKED_SEVERAL = "风险等级勾选了不止一个，请在一级、二级、三级中只勾选一个"
UNCLEAR_BOXES = "看不出勾选的是哪一级（方框与等级没有一一对应），请只保留一个勾选的等级，或直接填写一级、二级或三级"


_HEADING = re.compile(r"(?:风险)?(?:(一|二|三|Ⅰ|Ⅱ|Ⅲ|III|II|I|[123])级|(高|中|低))(?:风险)?(?:等级)?")


def same_category(written: str | None, wanted: str) -> bool:
    """Whether a 风险类别 as a form wrote it is the one asked for: spaces, full-width letters and a closing 类 aside
    (业务流程 is 业务流程类)."""
    return bool(written) and squeeze(written).removesuffix("类") == squeeze(wanted).removesuffix("类")


def level_heading(text: str) -> int | None:
    """The level a column header names in a table of tick columns (一级 | 二级 | 三级, 高 | 中 | 低), else None."""
    m = _HEADING.fullmatch(re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "").upper()))
    return _LEVEL_WORDS[m.group(1) or m.group(2)] if m else None


def parse_level(value) -> int | None:
    """1, 2 or 3 for every accepted spelling of a risk level (一级, Ⅱ级, III, "二 级", 高…), else None."""
    return read_level(value)[0]


def read_level(value) -> tuple[int | None, str | None]:
    """(1, 2 or 3, None) for an accepted spelling or exactly one ticked box; (None, why) when tick boxes have none
    or several ticked or cannot be paired with the levels; (None, None) for anything else."""
    if value is None:
        return None, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (int(value) if value in (1, 2, 3) else None), None
    raw = str(value)
    # NFKC folds Ⅱ to "II" and full-width digits to ASCII; keep the Roman forms upper-case.
    folded = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw).upper())
    if any(ch in TICKED or ch in UNTICKED for ch in folded):  # □一级 ☑二级 □三级, 一级□ 二级☑, 一级（ ）二级（√）
        return _ticked_level(folded)
    text = squeeze(raw).upper()
    m = _LEVEL_RE.match(text) or _LEVEL_RE.match(_ASIDE.sub("", text))  # 一级（高）
    if m:
        return _LEVEL_WORDS[m.group(1)], None
    return None, None


def _ticked_level(text: str) -> tuple[int | None, str | None]:
    """The level of the one ticked box in ``text`` (spaces removed). Each box belongs to the word after it when
    the text starts with a box, else to the word before it; boxes and words must alternate: nothing is guessed."""
    tokens: list[tuple[str, int | bool]] = []
    rest, at = [], 0
    while at < len(text):
        box = _BOX.match(text, at)
        word = None if box else _TICK_WORD.match(text, at)
        if box:
            tokens.append(("box", box.group(1) in TICKED if box.group(1) else False))
            at = box.end()
        elif word:
            tokens.append(("word", _LEVEL_WORDS[word.group(1)]))
            at = word.end()
        else:
            rest.append(text[at])
            at += 1
    kinds = [kind for kind, _ in tokens]
    before = bool(kinds) and kinds[0] == "box"
    pattern = (["box", "word"] if before else ["word", "box"]) * (len(tokens) // 2)
    if _TICK_FILLER.sub("", "".join(rest)) or not tokens or len(tokens) % 2 or kinds != pattern:
        return None, UNCLEAR_BOXES
    ticked = {tokens[i + before][1] for i in range(0, len(tokens), 2) if tokens[i + (not before)][1]}
    if not ticked:
        return None, NOT_TICKED
    return (ticked.pop(), None) if len(ticked) == 1 else (None, TICKED_SEVERAL)


def read_choice(value, choices: tuple[str, ...]) -> str | None:
    """The one of ``choices`` a cell gives: written as it is (“未落实”), or the one ticked box of a pre-printed row
    (“□已落实 ☑部分落实 □未落实”, boxes before or after their words as for levels); None when unclear."""
    text = squeeze(unicodedata.normalize("NFKC", str(value or ""))).rstrip("。.")
    if text in choices:
        return text
    words = "|".join(re.escape(c) for c in sorted(choices, key=len, reverse=True))
    tokens = re.findall(rf"[{TICKED}{UNTICKED}]|{words}", text)
    if not tokens or len(tokens) % 2 or _TICK_FILLER.sub("", re.sub(rf"[{TICKED}{UNTICKED}]|{words}", "", text)):
        return None
    before = tokens[0] in TICKED + UNTICKED
    pairs = [(tokens[i + before], tokens[i + (not before)]) for i in range(0, len(tokens), 2)]
    if any(word not in choices or box not in TICKED + UNTICKED for word, box in pairs):
        return None
    ticked = [word for word, box in pairs if box in TICKED]
    return ticked[0] if len(ticked) == 1 else None



"""Text width in 字 and long 公文 titles broken into balanced lines (GB/T 9704-2012 §7.3.1)."""

from __future__ import annotations

import logging
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lzdocs.textutil import display_width


def text_width(text: str, *, autospace: bool = False) -> float:
    """Width in 字 (half the display width in a Chinese font): CJK and full-width characters and punctuation
    such as “”…— count 1, ASCII (digits, Latin) ½.

    With ``autospace``, add the quarter 字 that Word, WPS and LibreOffice put between Chinese and digits/Latin.
    """
    columns = [display_width(ch, ambiguous_wide=True) for ch in text]
    width = sum(columns) / 2
    if autospace:
        width += 0.25 * sum(1 for i in range(1, len(text)) if columns[i - 1] != columns[i]
                            and (text[i - 1].isalnum() or text[i].isalnum()))
    return width


# Words of the trade a title must not be broken inside (jieba alone cuts 廉政风险点 into 廉政/风险/点).
DOMAIN_WORDS = (
    "廉政风险点", "廉政风险", "风险点", "防控措施", "纪检监察", "纪律检查", "党风廉政建设", "党风廉政",
    "全面从严治党", "从严治党", "主体责任", "监督责任", "一岗双责", "三重一大", "中央八项规定", "八项规定",
    "民主生活会", "专题民主生活会", "组织生活会", "领导干部", "党员领导干部", "党员干部", "专项整治", "自查自纠",
    "警示教育", "以案促改", "谈话提醒", "问廉问责", "责任追究", "实施方案", "实施细则", "实施意见", "实施办法",
    "工作方案", "管理办法", "暂行办法", "若干意见", "工作要点", "委员会", "纪律检查委员会", "办公室", "自治区",
    "高校工委", "排查", "防控")
_FUNCTION_WORDS = set("的和与及或对在为把将等之")  # a line does not end with these
_NO_LINE_START = set("》）)」』】〕、，。：；！？”’…%")
_NO_LINE_END = set("《（(「『【〔“‘")
_SPLIT_WORD = 50.0  # inside a word: only when nothing else fits
_INSIDE_QUOTE = 8.0  # inside 《…》 or “…”: only when the quoted title is longer than a line


_TOKENIZER: list = []  # one jieba tokenizer per process: its dictionary takes tens of megabytes


def _jieba(cache_dir: Path | None):
    """The jieba tokenizer with the domain words; the first call decides where its dictionary cache
    (``jieba.cache``) lives: ``cache_dir``, or the temp folder when that cannot be made.

    jieba is imported here, on the notice path only; its progress chatter on stderr is silenced.
    """
    if _TOKENIZER:
        return _TOKENIZER[0]
    import jieba

    jieba.setLogLevel(logging.CRITICAL)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = tempfile.gettempdir()
    if cache_dir is not None:
        try:
            Path(cache_dir).mkdir(parents=True, exist_ok=True)
            tokenizer.tmp_dir = str(cache_dir)
        except OSError:  # a read-only workspace: the cache goes to the temp folder
            pass
    for word in DOMAIN_WORDS:
        tokenizer.add_word(word, freq=100_000)
    _TOKENIZER.append(tokenizer)
    return tokenizer


def words(text: str, *, names: tuple[str, ...] = (), cache_dir: Path | None = None) -> list[str]:
    """``text`` cut into words by jieba with the domain words; ``names`` (the school, the issuers) stay whole."""
    tokenizer = _jieba(cache_dir)
    for name in names:
        if name and name not in tokenizer.FREQ:
            tokenizer.add_word(name, freq=100_000)
    tokens = list(tokenizer.cut(text, HMM=False))
    return tokens if "".join(tokens) == text else list(text)


def _break_costs(title: str, tokens: list[str], names: tuple[str, ...]) -> list[float]:
    """Cost of a line break before each position (index 0 unused); inf where a break is never allowed."""
    cost = [_SPLIT_WORD] * (len(title) + 1)
    edge, previous = 0, ""
    for token in tokens:
        cost[edge] = 4.0 if previous in _FUNCTION_WORDS else 1.0
        edge, previous = edge + len(token), token
    for word in (*DOMAIN_WORDS, *names):
        start = title.find(word) if word else -1
        while start >= 0:
            for k in range(start + 1, start + len(word)):
                cost[k] = max(cost[k], _SPLIT_WORD)
            start = title.find(word, start + 1)
    depth = 0
    for k in range(1, len(title)):
        before, after = title[k - 1], title[k]
        depth += (before in "《“") - (before in "》”")
        if depth > 0:
            cost[k] += _INSIDE_QUOTE
        if before in "》）)、，：；" or after in "《（(":
            cost[k] = min(cost[k], 0.5)
        if before.isdigit() and before.isascii():
            cost[k] = max(cost[k], _SPLIT_WORD)  # 2026|年度: a number stays with its measure word
        if after in _NO_LINE_START or before in _NO_LINE_END or (before.isascii() and after.isascii()
                                                                and before.isalnum() and after.isalnum()):
            cost[k] = math.inf
    return cost


def balance_title(title: str, max_width: float = 20, *, names: tuple[str, ...] = (),
                  cache_dir: Path | None = None) -> list[str]:
    """Break a long title into lines of similar length between words, never inside a word or a number.

    GB/T 9704-2012 §7.3.1: 回行时要做到词意完整，排列对称，长短适宜 — a trapezoid or a diamond, never an hourglass.
    A line break the user typed is kept; each of the user's lines is balanced on its own when too long.
    """
    parts = [" ".join(part.split()) for part in title.splitlines()]
    parts = [part for part in parts if part]
    if len(parts) > 1:
        return [line for part in parts for line in balance_title(part, max_width, names=names, cache_dir=cache_dir)]
    title = parts[0] if parts else ""
    total = _width(title)
    if total <= max_width:
        return [title]
    cost = _break_costs(title, words(title, names=names, cache_dir=cache_dir), names)
    n = math.ceil(total / max_width)
    best = _best_breaks(title, cost, n, max_width)
    if n < 4 and (best is None or best[0] >= _SPLIT_WORD):
        wider = _best_breaks(title, cost, n + 1, max_width)
        if wider is not None and (best is None or wider[0] < best[0]):
            best = wider
    if best is None:  # very long titles: fill lines greedily
        lines, line = [], ""
        for ch in title:
            if _width(line + ch) > max_width:
                lines.append(line)
                line = ""
            line += ch
        return [*lines, line]
    cuts = best[1]
    return [title[a:b].strip() for a, b in zip(cuts, cuts[1:])]


@dataclass(frozen=True)
class TitleBreaker:
    """:func:`balance_title` with the names to keep whole (the school, the issuers) and where jieba caches."""

    names: tuple[str, ...] = ()
    cache_dir: Path | None = None

    def __call__(self, title: str, max_width: float = 20) -> list[str]:
        return balance_title(title, max_width, names=self.names, cache_dir=self.cache_dir)


def _width(text: str) -> float:
    return text_width(text, autospace=True)


def _best_breaks(title: str, cost: list[float], n: int, max_width: float) -> tuple[float, list[int]] | None:
    """The cheapest ``n - 1`` breaks (score and cut positions) giving lines no wider than ``max_width``."""
    best: tuple[float, list[int]] | None = None

    def search(start: int, left: int, chosen: list[int]) -> None:
        nonlocal best
        if left == 0:
            cuts = [0, *chosen, len(title)]
            widths = [_width(title[a:b]) for a, b in zip(cuts, cuts[1:])]
            if max(widths) > max_width:
                return
            score = sum(cost[c] for c in chosen) + (max(widths) - min(widths))
            if len(widths) >= 3 and any(widths[i] < min(widths[i - 1], widths[i + 1]) - 1
                                        for i in range(1, len(widths) - 1)):
                score += 6  # hourglass
            if best is None or score < best[0]:
                best = (score, cuts)
            return
        for k in range(start + 1, len(title)):
            if _width(title[start:k]) > max_width:
                break
            if cost[k] != math.inf:
                search(k, left - 1, [*chosen, k])

    if n <= 4:
        search(0, n - 1, [])
    return best

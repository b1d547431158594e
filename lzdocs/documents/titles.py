"""Text width in 字 and long 公文 titles broken into balanced lines (GB/T 9704-2012 §7.3.1)."""

from __future__ import annotations

import math

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


# Words a title should not be broken inside (common in 公文 titles); a break at their edges is preferred.
TITLE_WORDS = tuple(["关于", "印发", "转发", "批转", "开展", "加强", "进一步", "做好", "建立", "健全", "完善", "推进",
                     "深化", "实施", "工作", "方案", "办法", "意见", "通知", "通报", "决定", "报告", "请示", "规定",
                     "细则", "制度", "机制", "建设", "管理", "廉政", "风险", "防控", "防范", "预防", "腐败", "反腐败",
                     "监督", "检查", "学校", "大学", "学院", "工业", "内蒙古", "自治区", "委员会", "纪律", "纪委",
                     "监察", "党风", "党委", "党组", "领导", "干部", "教育", "组织", "情况", "问题", "有关", "事项",
                     "相关", "岗位", "年度", "专项", "整改", "落实", "责任", "体系", "考核", "评估", "党政", "办公室",
                     "部门", "单位", "服务", "发展", "科学", "安全", "财务", "人事", "招生", "采购", "基建", "资产",
                     "实施方案", "工作方案", "责任制", "党风廉政", "中共", "全面", "从严", "治党", "主体", "责任",
                     "通知书", "建议书", "问责书", "会议", "纪要", "表彰", "先进"])
_NO_LINE_START = set("》）)」』】〕、，。：；！？”’…%")
_NO_LINE_END = set("《（(「『【〔“‘")


def _break_costs(title: str) -> list[float]:
    """Cost of a line break before each position (index 0 unused); inf where a break is not allowed."""
    cost = [3.0] * (len(title) + 1)
    for word in TITLE_WORDS:
        start = title.find(word)
        while start >= 0:
            end = start + len(word)
            for k in range(start + 1, end):
                cost[k] = max(cost[k], 8.0)
            for k in (start, end):
                if cost[k] == 3.0:
                    cost[k] = 1.0
            start = title.find(word, start + 1)
    for k in range(1, len(title)):
        before, after = title[k - 1], title[k]
        if before in "》）)、，：；" or after in "《（(":
            cost[k] = min(cost[k], 0.5)
        if after in _NO_LINE_START or before in _NO_LINE_END or (before.isascii() and after.isascii()
                                                                and before.isalnum() and after.isalnum()):
            cost[k] = math.inf
    return cost


def balance_title(title: str, max_width: float = 20) -> list[str]:
    """Break a long title into lines of similar length, at word edges, never in the middle of a number.

    GB/T 9704-2012 §7.3.1: 回行时要做到词意完整，排列对称，长短适宜 — a trapezoid or a diamond, never an hourglass.
    """
    title = " ".join(title.split())

    def width(text: str) -> float:
        return text_width(text, autospace=True)

    total = width(title)
    if total <= max_width:
        return [title]
    n = math.ceil(total / max_width)
    cost = _break_costs(title)
    best: tuple[float, list[int]] | None = None

    def search(start: int, left: int, chosen: list[int]) -> None:
        nonlocal best
        if left == 0:
            cuts = [0, *chosen, len(title)]
            widths = [width(title[a:b]) for a, b in zip(cuts, cuts[1:])]
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
            if width(title[start:k]) > max_width:
                break
            if cost[k] != math.inf:
                search(k, left - 1, [*chosen, k])

    if n <= 4:
        search(0, n - 1, [])
    if best is None:  # very long titles: fill lines greedily
        lines, line = [], ""
        for ch in title:
            if width(line + ch) > max_width:
                lines.append(line)
                line = ""
            line += ch
        return [*lines, line]
    cuts = best[1]
    return [title[a:b].strip() for a, b in zip(cuts, cuts[1:])]

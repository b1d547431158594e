"""A level ticked in a column per level (风险等级 over 一级 | 二级 | 三级): the columns, and a row's ticks as text."""

from __future__ import annotations

from lzdocs.forms.values import LEVEL_NAMES, level_heading


def tick_columns(header) -> None:
    """A level given as one column per level (风险等级 over 一级 | 二级 | 三级, or those columns alone), ticked in
    each row: the columns become ``header.grid``, a header row of them under the header is taken into it."""
    level = next((f for f in header.kind.fields if f.type == "level"), None)
    rows = header.table.rows
    if level is None:
        return
    for r in range(header.first, min(header.last + 2, len(rows))):
        row = rows[r]
        grid = {c: n for c, text in enumerate(row) if (n := level_heading(text)) is not None}
        span = sorted(grid)
        if len(grid) < 2 or len(set(grid.values())) != len(grid) or span != list(range(span[0], span[-1] + 1)):
            continue
        others = {c for key, c in header.columns.items() if key != level.key}
        if others & set(span) or header.columns.get(level.key, span[0]) not in span:
            continue
        above = rows[r - 1] if r > 0 else []
        if r > header.last and any(t and c not in grid and t != (above[c] if c < len(above) else "")
                                   for c, t in enumerate(row)):
            continue  # a row below the header is a header row only when the rest of it repeats the row above
        header.last = max(header.last, r)
        header.texts[level.key] = header.texts.get(level.key) or "、".join(row[c] for c in span)
        header.columns[level.key], header.grid = span[0], grid
        return


def ticks_text(cells: list[str], grid: dict[int, int], *, show_empty: bool = False) -> str:
    """The level cells of a row as one text the level parser reads (“一级□ 二级√ 三级□”); "" when none is filled
    (unless ``show_empty``), the text itself when one cell merged across them holds it."""
    texts = [cells[c].strip() if c < len(cells) else "" for c in grid]
    if not any(texts) and not show_empty:
        return ""
    if len(set(texts)) == 1 and texts[0]:
        return texts[0]
    return " ".join(f"{LEVEL_NAMES[level]}{text or '□'}" for level, text in zip(grid.values(), texts))

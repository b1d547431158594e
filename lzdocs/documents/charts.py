"""Charts of the summary as PNG bytes (matplotlib, Agg, loaded on first use) in a Chinese font when one is installed."""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from warnings import catch_warnings, filterwarnings

log = logging.getLogger("lzdocs.charts")

# Fonts that draw Chinese, best first: those GB/T 9704 documents use on Windows, then the free Noto/Source ones.
CJK_FONTS = ("SimHei", "Microsoft YaHei", "SimSun", "FangSong", "Noto Sans CJK SC", "Noto Serif CJK SC",
             "Source Han Sans SC", "Source Han Serif SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
             "Noto Sans CJK JP", "Noto Serif CJK JP")
LEVEL_COLOURS = {1: "#C00000", 2: "#ED7D31", 3: "#FFC000", None: "#A6A6A6"}  # as the 汇总表's level styles
NO_FONT = "未找到中文字体（如黑体、宋体或 Noto Sans CJK），统计图中的汉字可能显示为方框；请安装中文字体后重新生成"


# Font files that may hold one of CJK_FONTS, by their file names (simhei.ttf, msyh.ttc, NotoSansCJK-Regular.ttc …)
_CJK_FILES = ("simhei", "msyh", "simsun", "simfang", "cjk", "sourcehan", "wqy")


@cache
def cjk_font() -> str | None:
    """The first installed font of :data:`CJK_FONTS`, or None. matplotlib lists the fonts it found when it first
    ran on this account (its cache): a Chinese font installed after that is looked for among the system's font
    files and added, so that installing a font, as the warning asks, is enough."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    found = _first_cjk(manager)
    if found is None:
        for path in font_manager.findSystemFonts():
            if any(part in Path(path).name.lower() for part in _CJK_FILES):
                try:
                    manager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # a damaged or unreadable font file: the others go on
                    log.debug("无法读取字体文件 %s", path)
        found = _first_cjk(manager)
    return found


def _first_cjk(manager) -> str | None:
    installed = {f.name for f in manager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def _pyplot(warnings: list[str]):
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    font = cjk_font()
    if font is None:
        if NO_FONT not in warnings:
            warnings.append(NO_FONT)
            log.warning("%s", NO_FONT)
    else:
        plt.rcParams["font.sans-serif"] = [font, *plt.rcParams["font.sans-serif"]]
        plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def _png(plt, fig) -> bytes:
    out = io.BytesIO()
    with catch_warnings():  # without a Chinese font, one "Glyph … missing" per character: NO_FONT says it once
        filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
        fig.savefig(out, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return out.getvalue()


def levels_per_unit(by_unit: Mapping[str, Mapping], level_names: Mapping[int, str], warnings: list[str], *,
                    most: int | None = None) -> bytes:
    """Horizontal stacked bars: each unit's risk points by level, the first unit on top. ``most``: the longest bar
    the axis is drawn for (the same in every part of :func:`levels_per_unit_parts`), else this chart's own."""
    plt = _pyplot(warnings)
    units = list(by_unit)[::-1]
    fig, ax = plt.subplots(figsize=(6.3, max(2.4, 0.32 * len(units) + 1.2)))
    left = [0] * len(units)
    for level in (*level_names, None):
        counts = [by_unit[u].get(level, 0) for u in units]
        if not any(counts):
            continue
        ax.barh(units, counts, left=left, color=LEVEL_COLOURS[level], label=level_names.get(level, "未定级"))
        left = [a + b for a, b in zip(left, counts, strict=True)]
    if most:
        ax.set_xlim(0, most * 1.05)
    ax.set_xlabel("风险点个数")
    ax.xaxis.get_major_locator().set_params(integer=True)
    # above the bars, never over one: the longest may reach the right edge (``most``)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=4, fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(plt, fig)


UNITS_PER_CHART = 20  # bars per chart of a printed report: one such chart, 150 mm wide, is some 180 mm tall


def unit_parts(units: Sequence[str]) -> list[list[str]]:
    """The units in order, at most :data:`UNITS_PER_CHART` to a part, the parts even in size (45 units are
    15 + 15 + 15, not 20 + 20 + 5)."""
    if not units:
        return []
    count = -(-len(units) // UNITS_PER_CHART)
    size = -(-len(units) // count)
    return [list(units[i:i + size]) for i in range(0, len(units), size)]


def levels_per_unit_parts(by_unit: Mapping[str, Mapping], level_names: Mapping[int, str], warnings: list[str], *,
                          only: int | None = None) -> list[bytes]:
    """:func:`levels_per_unit` in the parts of :func:`unit_parts`, every part on one scale (``only``: that part
    alone, counted from 0; none past the last). One chart for all the units of a large school would be taller than
    a page, and cut off at its foot (a thousand units: a picture of eight metres, drawn in seconds, in hundreds of
    megabytes)."""
    parts = unit_parts(list(by_unit))
    most = max((sum(counts.values()) for counts in by_unit.values()), default=0)
    wanted = parts if only is None else parts[only:only + 1]
    return [levels_per_unit({u: by_unit[u] for u in part}, level_names, warnings, most=most) for part in wanted]


def year_over_year(years: Sequence[int], counts: Mapping[int, Mapping], level_names: Mapping[int, str],
                   warnings: list[str]) -> bytes:
    """Grouped bars: each year's risk points by level, and the total."""
    plt = _pyplot(warnings)
    fig, ax = plt.subplots(figsize=(6.3, 3.0))
    series = [(level_names[level], LEVEL_COLOURS[level], [counts[y].get(level, 0) for y in years])
              for level in level_names]
    series.append(("合计", "#4472C4", [sum(counts[y].values()) for y in years]))
    width = 0.8 / len(series)
    for i, (name, colour, values) in enumerate(series):
        xs = [x + (i - (len(series) - 1) / 2) * width for x in range(len(years))]
        bars = ax.bar(xs, values, width, color=colour, label=name)
        ax.bar_label(bars, fontsize=7)
    ax.set_xticks(range(len(years)), [f"{y}年" for y in years])
    ax.set_ylabel("风险点个数")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=8, ncols=len(series), loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(plt, fig)

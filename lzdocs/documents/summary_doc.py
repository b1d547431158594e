"""The year-end summary as a GB/T 9704 report (.docx): numbers stated in sentences and tables, two charts."""

from __future__ import annotations

import io
from pathlib import Path

from lzdocs.documents.gbt9704 import PAGE, add_signature, add_title, format_paragraph, new_document
from lzdocs.documents.markdown_body import Block, Span, heading_level, render_blocks, render_table
from lzdocs.documents.summary import YearSummary
from lzdocs.forms.values import LEVEL_NAMES
from lzdocs.ooxml.fonttable import save_document
from lzdocs.textutil import chinese_date

QUALITY_CODES = {"generic_measures": "防控措施笼统", "copied": "与其他单位雷同", "same_as_previous": "与上年度相同",
                 "possibly_missing": "可能遗漏风险点", "no_owner": "未落实责任人"}


def level_name(level) -> str:
    return LEVEL_NAMES.get(level, "未定级")


def names(units: list[str]) -> str:
    return "、".join(units)


def title_of(s: YearSummary, school: str) -> str:
    return f"{school}关于{s.year}年度廉政风险防控工作情况的报告"


def _levels_text(levels: dict) -> str:
    parts = [f"{level_name(k)}{levels.get(k, 0)}个" for k in LEVEL_NAMES]
    if levels.get(None):
        parts.append(f"未定级{levels[None]}个")
    return "、".join(parts)


def submission_part(s: YearSummary) -> list[Block]:
    day = f"（截止日期{chinese_date(s.deadline)}）" if s.deadline else ""
    missing = "尚未报送" if s.still_reported else "未报送"  # before the deadline, not behind
    text = (f"列入名单的单位共{len(s.roster)}个{day}。截至{chinese_date(s.today)}，按时报送{len(s.on_time)}个，"
            f"逾期报送{len(s.late)}个" + (f"（{names(s.late)}）" if s.late else "") +
            f"，{missing}{len(s.missing)}个" + (f"（{names(s.missing)}）" if s.missing else "") + "。")
    rows = [("报送情况", "单位数", "单位"), ("按时报送", str(len(s.on_time)), names(s.on_time)),
            ("逾期报送", str(len(s.late)), names(s.late)), (missing, str(len(s.missing)), names(s.missing))]
    return [para("（一）报送情况"), para(text), table(rows)]


def risk_part(s: YearSummary) -> list[Block]:
    text = f"各单位共排查出廉政风险点{s.total}个，其中{_levels_text(s.levels)}。"
    cats = "、".join(f"{c}{n}个" for c, n in s.categories.items())
    rows = [("单位", *(LEVEL_NAMES.values()), "合计")]
    for unit, counts in s.by_unit.items():
        rows.append((unit, *(str(counts.get(k, 0)) for k in LEVEL_NAMES), str(sum(counts.values()))))
    rows.append(("合计", *(str(s.levels.get(k, 0)) for k in LEVEL_NAMES), str(s.total)))
    return [para("（二）风险点排查情况"), para(text), para("各单位风险点按等级分布见下表和图1。"), table(rows),
            Block("chart", (Span("levels"),)), para(f"按风险类别分：{cats or '无'}。"),
            table([("风险类别", "风险点数"), *((c, str(n)) for c, n in s.categories.items())])]


def change_part(s: YearSummary) -> list[Block]:
    c = s.changes
    blocks = [para("（三）与上年度比较")]
    before = s.previous
    if before is None:
        return [*blocks, para(f"{s.year}年度以前没有收取的表格，无法与上年度比较。")]
    then = sum(s.history[before].values())
    diff = s.total - then
    trend = f"增加{diff}个" if diff > 0 else f"减少{-diff}个" if diff < 0 else "数量相同"
    text = (f"{before}年度共有风险点{then}个（{s.history_units[before]}个单位），{s.year}年度{s.total}个"
            f"（{s.history_units.get(s.year, 0)}个单位），{trend}。")
    detail = (f"与上一年度的表相比较的单位{c.units}个，其中{len(c.changed_units)}个单位作了调整：新增风险点{c.new}个，"
              f"删除{c.removed}个，等级变化{c.level_changed}个，防控措施变化{c.measures_changed}个；"
              f"{len(c.same_units)}个单位的表与上年度完全相同" + (f"（{names(c.same_units)}）" if c.same_units else "")
              + "。")
    return [*blocks, para(text), para(detail), para("历年风险点数见图2。"), Block("chart", (Span("years"),))]


def review_part(s: YearSummary) -> list[Block]:
    total = sum(s.reviews.values())
    counts = "、".join(f"{k}{n}条" for k, n in s.reviews.items())
    text = (f"本年度收到防控措施落实情况复核{total}条，其中{counts}" +
            (f"；未落实的涉及{names(s.not_done_units)}" if s.not_done_units else "") + "。")
    return [para("二、复核与落实情况"), para(text)]


def warning_part(s: YearSummary) -> list[Block]:
    w = s.warnings
    kinds = "、".join(f"{k}{n}件" for k, n in w.by_kind.items())
    text = f"本年度共采取预警处置措施{w.total}件" + (f"，其中{kinds}" if kinds else "") + f"；已办结{w.closed}件。"
    longest = sorted(w.overdue_replies, key=lambda late: -late[2])  # the longest overdue first (stable: by number)
    late = "、".join(f"{unit}（{number}，逾期{days}天）" for number, unit, days in longest)
    overdue = (f"逾期未回复的{len(w.overdue_replies)}件：{late}。" if late else "没有逾期未回复的文书。")
    rows = [("处置方式", "件数", "已办结"), *((k, str(n), str(w.closed_by_kind[k])) for k, n in w.by_kind.items()),
            ("合计", str(w.total), str(w.closed))]
    return [para("三、预警处置情况"), para(text), para(overdue), *([table(rows)] if w.total else [])]


def case_part(s: YearSummary) -> list[Block]:
    if not s.cases:
        return [para("四、违纪违规案例"), para("本年度没有登记违纪违规案例。")]
    text = (f"本年度登记违纪违规案例{s.cases}起，涉及{names(s.case_units)}；其中{s.cases_linked}起与已排查的风险点"
            f"相对应，{s.cases - s.cases_linked}起未能对应到已排查的风险点，应作为排查遗漏加以分析。")
    return [para("四、违纪违规案例"), para(text)]


def quality_part(s: YearSummary) -> list[Block]:
    blocks = [para("五、表格质量检查")]
    if not s.quality:
        return [*blocks, para("对各单位报送的表格进行了质量检查，未发现问题。")]
    by_code: dict[str, list[str]] = {}
    for flag in s.quality:
        units = by_code.setdefault(flag["code"], [])
        if flag["unit"] not in units:
            units.append(flag["unit"])
    counts = {code: sum(f["code"] == code for f in s.quality) for code in by_code}
    text = f"对各单位报送的表格进行了质量检查，共有提示{len(s.quality)}条。"
    lines = [para(f"{QUALITY_CODES.get(code, code)}{counts[code]}条，涉及{names(units)}。")
             for code, units in by_code.items()]
    return [*blocks, para(text), *lines]


def para(text: str) -> Block:
    return Block("para", (Span(text),), level=heading_level(text))


def table(rows) -> Block:
    return Block("table", rows=tuple(tuple(r) for r in rows), header=True)


def blocks_of(s: YearSummary) -> list[Block]:
    intro = para(f"按照廉政风险防控工作安排，现将{s.year}年度全校廉政风险防控工作情况报告如下（数据截至"
                 f"{chinese_date(s.today)}，由廉政风险防控档案库统计）。")
    return [intro, para("一、风险点排查情况"), *submission_part(s), *risk_part(s), *change_part(s),
            *review_part(s), *warning_part(s), *case_part(s), *quality_part(s)]


def write_summary(path: Path, s: YearSummary, *, school: str, issuer: str, charts: dict[str, list[bytes]]) -> None:
    """The report: title, the parts as blocks, each chart where its block stands, the issuer and the date."""
    doc = new_document()
    add_title(doc, [title_of(s, school)] if len(title_of(s, school)) <= 22 else _two_lines(title_of(s, school)))
    figure = 0
    blocks = blocks_of(s)
    for block, following in zip(blocks, [*blocks[1:], None], strict=True):
        if block.kind == "table":
            _keep_together(render_table(doc, block))
            format_paragraph(doc.add_paragraph(), PAGE, line=PAGE.line_pitch // 2)
        elif block.kind == "chart":
            figure += 1
            _add_chart(doc, charts.get(block.text, []), figure, block.text)
        else:
            [p] = render_blocks(doc, [block])
            if following is not None and following.kind in ("table", "chart"):
                p.paragraph_format.keep_with_next = True  # the sentence that introduces it stays on its page
    add_signature(doc, issuer, chinese_date(s.today))
    save_document(doc, path)


def _keep_together(table) -> None:
    """A short table is not split across pages (each row kept with the next)."""
    if table is None or len(table.rows) > 15:
        return
    for row in table.rows[:-1]:
        for cell in row.cells:
            for p in cell.paragraphs:
                p.paragraph_format.keep_with_next = True


CAPTIONS = {"levels": "各单位风险点等级分布", "years": "历年风险点数"}


CHART_WIDTH_MM, CHART_HEIGHT_MM = 150, 190  # a chart and its caption within the 版心 (156 × 225 mm)


def _add_chart(doc, parts: list[bytes], n: int, key: str) -> None:
    """Figure ``n``: each part of it (``charts_of``) with its caption, the parts after the first captioned （续）, as
    a table continued on the next page is. A part is 150 mm wide, or less where it would be taller than 190 mm."""
    from docx.image.image import Image
    from docx.shared import Mm

    from lzdocs.ooxml.fonts import FANGSONG, add_text

    for i, png in enumerate(parts):
        image = Image.from_blob(png)
        p = doc.add_paragraph()
        format_paragraph(p, PAGE, align="center", keep_next=True)
        p.paragraph_format.line_spacing = 1.0  # not the exact grid line, which would cut the picture
        if image.px_height * CHART_WIDTH_MM > image.px_width * CHART_HEIGHT_MM:
            p.add_run().add_picture(io.BytesIO(png), height=Mm(CHART_HEIGHT_MM))
        else:
            p.add_run().add_picture(io.BytesIO(png), width=Mm(CHART_WIDTH_MM))
        caption = doc.add_paragraph()
        format_paragraph(caption, PAGE, align="center")
        add_text(caption, f"图{n}　{CAPTIONS[key]}" + ("（续）" if i else ""), FANGSONG, 14)


def _two_lines(title: str) -> list[str]:
    from lzdocs.documents.titles import balance_title

    return balance_title(title)

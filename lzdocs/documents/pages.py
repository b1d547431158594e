"""Pages a document fills, counted from its lines: GB/T 9704's exact line heights make layout predictable."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from docx.oxml.ns import qn

from lzdocs.documents.titles import text_width

_HANGS = set("，。、；：！？”’）》」』】〕…")  # closing marks hang past the right edge instead of wrapping
_AUTO_LINE = 1.3  # height of a single ("auto") line, in font sizes, for CJK fonts in Word and LibreOffice


@dataclass
class _Block:
    """A paragraph or table row, reduced to what pagination needs (twips)."""

    lines: list[int]
    before: int = 0
    after: int = 0
    keep_next: bool = False
    break_before: bool = False
    splits: bool = True


def count_pages(body, *, spacing: int = 0) -> list[int]:
    """Pages of each section of a ``w:body`` (python-docx's ``doc.element.body``), estimated line by line;
    ``spacing`` is the character spacing of the Normal style (twips, negative when condensed).

    Every section starts on a new page. Paragraphs with exact line spacing (all of the notice's own text) are
    counted exactly; an appended attachment's auto-spaced lines are estimated at 1.3 times their font size.
    """
    groups: list[tuple[list, object]] = []
    members: list = []
    for child in body.iterchildren(qn("w:p"), qn("w:tbl")):
        members.append(child)
        sect = child.find(qn("w:pPr") + "/" + qn("w:sectPr")) if child.tag == qn("w:p") else None
        if sect is not None:
            groups.append((members, sect))
            members = []
    if members or not groups:
        groups.append((members, body.find(qn("w:sectPr"))))
    counts = []
    for members, sect in groups:
        blocks: list[_Block] = []
        for child in members:
            if child.tag == qn("w:p"):
                blocks.append(_paragraph(child, sect, spacing))
            elif child.find(qn("w:tblPr") + "/" + qn("w:tblpPr")) is None:  # a floating table takes no lines
                blocks.extend(_table(child, sect, spacing))
        counts.append(_paginate(blocks, _height(sect)))
    return counts


def _twips(el, attr: str, default: int = 0) -> int:
    value = None if el is None else el.get(qn(f"w:{attr}"))
    return int(value) if value not in (None, "") and re.fullmatch(r"-?\d+", value) else default


def _height(sect) -> int:
    size, margin = sect.find(qn("w:pgSz")), sect.find(qn("w:pgMar"))
    return _twips(size, "h", 16838) - _twips(margin, "top", 1440) - _twips(margin, "bottom", 1440)


def _width(sect) -> int:
    size, margin = sect.find(qn("w:pgSz")), sect.find(qn("w:pgMar"))
    return _twips(size, "w", 11906) - _twips(margin, "left", 1800) - _twips(margin, "right", 1800)


def _paragraph(p, sect, condense: int, width: int | None = None) -> _Block:
    ppr = p.find(qn("w:pPr"))
    spacing = ppr.find(qn("w:spacing")) if ppr is not None else None
    ind = ppr.find(qn("w:ind")) if ppr is not None else None
    runs = _runs(p)
    size = max((s for s, _ in runs), default=_paragraph_size(p))
    line, rule = _twips(spacing, "line", 240), spacing.get(qn("w:lineRule")) if spacing is not None else None
    height = line if rule in ("exact", "atLeast") else round(size * 20 * _AUTO_LINE * line / 240)
    full = (width if width is not None else _width(sect)) - _twips(ind, "left") - _twips(ind, "right")
    first = full - _twips(ind, "firstLine") + _twips(ind, "hanging")
    count = _line_count(runs, first, full, condense)
    border = ppr.find(qn("w:pBdr") + "/" + qn("w:bottom")) if ppr is not None else None
    extra = 0 if border is None else _twips(border, "space") * 20 + _twips(border, "sz") * 20 // 8
    lines = [height] * count
    lines[-1] += extra
    return _Block(lines, before=_twips(spacing, "before"), after=_twips(spacing, "after"),
                  keep_next=ppr is not None and ppr.find(qn("w:keepNext")) is not None,
                  break_before=ppr is not None and ppr.find(qn("w:pageBreakBefore")) is not None)


def _paragraph_size(p) -> float:
    mark = p.find(qn("w:pPr") + "/" + qn("w:rPr") + "/" + qn("w:sz"))
    return _twips(mark, "val", 32) / 2


def _runs(p) -> list[tuple[float, str]]:
    """(width of one 字 in pt, text) of each run: its font size, horizontally scaled; a line break is "\\n"."""
    runs = []
    for r in p.iter(qn("w:r")):
        size = _twips(r.find(qn("w:rPr") + "/" + qn("w:sz")), "val", 0) / 2 or _paragraph_size(p)
        size *= _twips(r.find(qn("w:rPr") + "/" + qn("w:w")), "val", 100) / 100
        text = "".join("\n" if el.tag in (qn("w:br"), qn("w:cr")) else (el.text or "")
                       for el in r if el.tag in (qn("w:t"), qn("w:br"), qn("w:cr")))
        runs.append((size, text))
    return runs


def _line_count(runs: list[tuple[float, str]], first: int, full: int, spacing: int) -> int:
    """Lines a paragraph's text fills: characters 1 字 (ASCII ½) of their size, closing marks hanging, and the
    quarter 字 Word and LibreOffice put between a Chinese character and a Latin word or number."""
    lines, used, room = 1, 0.0, max(first, 1)
    for size, text in runs:
        words = re.findall(r"\n|[A-Za-z0-9]+|.", text)
        for i, word in enumerate(words):
            if word == "\n":
                lines, used, room = lines + 1, 0.0, max(full, 1)
                continue
            w = text_width(word) * size * 20 + len(word) * spacing
            if word.isascii() and word.isalnum():
                w += sum(0.25 * size * 20 for n in (i - 1, i + 1) if 0 <= n < len(words) and _ideograph(words[n]))
            if used + w > room + 1 and used and word not in _HANGS:
                lines, used, room = lines + 1, 0.0, max(full, 1)
            used += w
    return lines


def _ideograph(text: str) -> bool:
    return "\u4e00" <= text[0] <= "\u9fff" or "\u3400" <= text[0] <= "\u4dbf"


def _table(tbl, sect, spacing: int) -> list[_Block]:
    """One block per row: as high as its tallest cell (or its set height), never split."""
    rows = []
    margin = 2 * 108
    for tr in tbl.findall(qn("w:tr")):
        tallest = 0
        for tc in tr.findall(qn("w:tc")):
            width = _twips(tc.find(qn("w:tcPr") + "/" + qn("w:tcW")), "w", 2000) - margin
            height = 0
            for p in tc.iter(qn("w:p")):
                block = _paragraph(p, sect, spacing, width)
                height += block.before + sum(block.lines) + block.after
            tallest = max(tallest, height)
        set_height = tr.find(qn("w:trPr") + "/" + qn("w:trHeight"))
        rule = None if set_height is None else set_height.get(qn("w:hRule"))
        given = _twips(set_height, "val")
        height = given if rule == "exact" else max(given, tallest)
        rows.append(_Block([height + 10], splits=False))
    return rows


def _paginate(blocks: list[_Block], height: int) -> int:
    """Pages the blocks fill laid top to bottom, as LibreOffice does: space before is dropped at the top of a page
    the text flowed onto, and a kept-with-next block moves on whole with the blocks its chain holds together."""
    pages, y, flowed = 1, 0, False
    for i, block in enumerate(blocks):
        if block.break_before and i and y:
            pages, y, flowed = pages + 1, 0, False
        before = 0 if flowed and not y else block.before
        whole = sum(block.lines) + (_chain(blocks, i) if block.keep_next else 0)
        if y and (not block.splits or block.keep_next) and whole <= height and y + before + whole > height:
            pages, y, flowed, before = pages + 1, 0, True, 0
        y += before
        lines = block.lines
        while lines:
            fit = _fitting(lines, height - y)
            if fit < len(lines):  # widow and orphan control: at least two lines of a paragraph on each page
                fit = min(fit, len(lines) - 2)
                fit = fit if fit >= 2 else 0
            if fit == 0 and not y:
                fit = max(1, _fitting(lines, height))
            y += sum(lines[:fit])
            lines = lines[fit:]
            if lines:
                pages, y, flowed = pages + 1, 0, True
        y += block.after
    return pages


def _fitting(lines: list[int], room: int) -> int:
    used = 0
    for n, line in enumerate(lines):
        used += line
        if used > room:
            return n
    return len(lines)


def _chain(blocks: list[_Block], i: int) -> int:
    """Height that must follow block ``i`` on its page: the kept-with-next blocks after it and the first line of
    the one that ends the chain."""
    need = blocks[i].after
    for follow in blocks[i + 1:]:
        if not follow.keep_next:
            return need + follow.before + follow.lines[0]
        need += follow.before + sum(follow.lines) + follow.after
    return need


def stated_pages(path: Path) -> int | None:
    """The page count Word or WPS saved in ``docProps/app.xml``; None when absent or not written by a word processor
    (python-docx leaves its template's "1 page, 0 words")."""
    try:
        with zipfile.ZipFile(path) as z:
            app = z.read("docProps/app.xml").decode("utf-8", "replace")
    except (KeyError, OSError, zipfile.BadZipFile):
        return None
    pages, words = (re.search(rf"<{tag}>(\d+)</{tag}>", app) for tag in ("Pages", "Characters"))
    if not pages or not words or int(words.group(1)) == 0:
        return None
    return int(pages.group(1)) or None

"""The body of a notice from plain text or Markdown: blocks with GB/T 9704 heading levels, rendered into Word."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from markdown_it import MarkdownIt

from lzdocs.documents.gbt9704 import PAGE, Page, add_title, format_paragraph
from lzdocs.documents.titles import balance_title, text_width
from lzdocs.ooxml.fonts import FANGSONG, HEITI, KAITI, add_text
from lzdocs.ooxml.wordml import TBLPR_ORDER, set_child
from lzdocs.textutil import is_written_date, strip_illegal_xml

# 文中结构层次序数 (GB/T 9704-2012 §7.3.3): 一、 （一） 1． （1）
_LEVELS = (
    (1, re.compile(r"^[一二三四五六七八九十百]+、")),
    (2, re.compile(r"^[（(][一二三四五六七八九十百]+[）)]")),
    (3, re.compile(r"^\d{1,3}(?:[．、]|\.(?!\d))")),
    (4, re.compile(r"^[（(]\d{1,3}[）)]")),
)
HEADING_FONTS = {1: HEITI, 2: KAITI, 3: FANGSONG, 4: FANGSONG}
_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,}|={3,})\s*$")
_ENDS_SENTENCE = tuple("。；：！？，、;:!?,")


@dataclass(frozen=True)
class Span:
    """A piece of text with one look; ``\\n`` inside is a line break."""

    text: str
    bold: bool = False


@dataclass(frozen=True)
class Block:
    """One paragraph-level element of the body."""

    kind: str  # "para" | "heading" (a Markdown heading) | "title" | "table" | "break" (new page)
    spans: tuple[Span, ...] = ()
    level: int = 0  # 1–4: 一、 （一） 1． （1）; 0: body text
    rows: tuple[tuple[str, ...], ...] = field(default=())
    header: bool = False

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)


def heading_level(text: str) -> int:
    """The structural level a paragraph's numbering shows: 1 for 一、, 2 for （一）, 3 for 1., 4 for （1）, else 0."""
    text = text.lstrip(" \u3000")
    for level, pattern in _LEVELS:
        if pattern.match(text):
            return level
    return 0


def parse_body(text: str, *, markdown: bool) -> list[Block]:
    """Blocks of a body file: Markdown (``.md``) or plain text with one paragraph per line."""
    text, _ = strip_illegal_xml(text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff"))
    blocks = parse_markdown(text) if markdown else parse_plain(text)
    return [_with_level(b) for b in blocks]


def parse_plain(text: str) -> list[Block]:
    """Plain text: each non-empty line is a paragraph; a line of --- starts a new page."""
    blocks = []
    for line in text.split("\n"):
        line = line.strip(" \t\u3000")
        if not line:
            continue
        blocks.append(Block("break") if _RULE.match(line) else Block("para", (Span(line),)))
    return blocks


def _with_level(block: Block) -> Block:
    if block.kind not in ("para", "heading"):
        return block
    level = heading_level(block.text)
    if not level and block.kind == "heading":
        level = block.level
    return Block(block.kind, block.spans, level)


# --- Markdown ---------------------------------------------------------------------------------

def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable(["table", "strikethrough"])


def parse_markdown(text: str) -> list[Block]:
    """Markdown → blocks; nothing of the syntax (#, **, |, -, >) is left in the text."""
    tokens = _markdown().parse(text)
    blocks: list[Block] = []
    lists: list[list] = []  # [ordered, next number] per open list
    marker = ""
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        kind = tok.type
        if kind == "heading_open":
            blocks.append(Block("heading", _spans(tokens[i + 1]), level=min(int(tok.tag[1]), 4)))
            i += 3
            continue
        if kind == "paragraph_open":
            spans = _spans(tokens[i + 1])
            if marker:
                first = spans[0] if spans else Span("")
                spans = ((Span(marker + first.text), *spans[1:]) if not first.bold else (Span(marker), *spans))
                marker = ""
            if spans:
                blocks.append(Block("para", spans))
            i += 3
            continue
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists.append([kind == "ordered_list_open", int(tok.attrGet("start") or 1)])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open" and lists:
            ordered, number = lists[-1]
            if ordered:
                depth = sum(1 for lst in lists if lst[0])
                marker = f"{number}．" if depth == 1 else f"（{number}）"
                lists[-1][1] += 1
        elif kind == "hr":
            blocks.append(Block("break"))
        elif kind in ("fence", "code_block"):
            blocks.extend(Block("para", (Span(line.strip()),)) for line in tok.content.split("\n") if line.strip())
        elif kind == "table_open":
            block, i = _table(tokens, i)
            blocks.append(block)
        i += 1
    return blocks


def _table(tokens, i: int) -> tuple[Block, int]:
    rows: list[tuple[str, ...]] = []
    row: list[str] = []
    header = False
    while tokens[i].type != "table_close":
        tok = tokens[i]
        if tok.type == "thead_open":
            header = True
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close":
            rows.append(tuple(row))
        elif tok.type == "inline":
            row.append("".join(s.text for s in _spans(tok)))
        i += 1
    return Block("table", rows=tuple(rows), header=header), i


def _spans(inline) -> tuple[Span, ...]:
    spans: list[Span] = []
    bold = 0
    prev = ""
    for child in inline.children or ():
        kind = child.type
        text = ""
        if kind == "strong_open":
            bold += 1
        elif kind == "strong_close":
            bold -= 1
        elif kind in ("text", "code_inline"):
            text = child.content
        elif kind == "softbreak":
            text = " " if prev[-1:].isascii() and prev[-1:].isalnum() else ""
        elif kind == "hardbreak":
            text = "\n"
        elif kind == "image":
            text = "".join(c.content for c in child.children or ())
        if text:
            if spans and spans[-1].bold == bool(bold):
                spans[-1] = Span(spans[-1].text + text, bool(bold))
            else:
                spans.append(Span(text, bool(bold)))
            prev = text
    return tuple(s for s in spans if s.text)


# --- parts of a notice --------------------------------------------------------------------------

def split_enclosure(blocks: list[Block]) -> tuple[list[Block], list[Block]]:
    """The notice's own text, and what follows the first --- (a document it issues, 印发件, on new pages).

    The first paragraph of the 印发件, when it reads as a title (a heading without numbering, or a short
    line without closing punctuation), becomes its title.
    """
    for i, block in enumerate(blocks):
        if block.kind == "break":
            rest = [b for b in blocks[i + 1:]]
            while rest and rest[0].kind == "break":
                rest.pop(0)
            if rest and _reads_as_title(rest[0]):
                rest[0] = Block("title", rest[0].spans)
            return blocks[:i], rest
    return blocks, []


def _reads_as_title(block: Block) -> bool:
    if block.kind not in ("para", "heading") or heading_level(block.text):
        return False
    text = block.text.strip()
    return block.kind == "heading" or (len(text) <= 60 and not text.endswith(_ENDS_SENTENCE + ("。",)))


# --- rendering ----------------------------------------------------------------------------------

def render_blocks(doc, blocks: list[Block], page: Page = PAGE, *, new_page_first: bool = False,
                  titles: Callable[[str], list[str]] = balance_title) -> list:
    """Add the blocks to the document as GB/T 9704 paragraphs and tables; returns the paragraphs added.

    ``titles`` breaks a title into lines (:class:`lzdocs.documents.titles.TitleBreaker`)."""
    added = []
    page_break = new_page_first
    for block in blocks:
        if block.kind == "break":
            page_break = True
            continue
        if block.kind == "table":
            render_table(doc, block, page, page_break=page_break)
            page_break = False
            continue
        if block.kind == "title":
            p = add_title(doc, titles(block.text), page, before_lines=0)
            format_paragraph(p, page, align="center", line=36 * 20, after=page.line_pitch,
                             keep_next=True, page_break_before=page_break)
        else:
            p = doc.add_paragraph()
            whole = block.kind == "heading" or _is_whole_heading(block)
            format_paragraph(p, page, align="justify", first_line=2, keep_next=whole and block.level in (1, 2),
                             page_break_before=page_break)
            _add_spans(p, block)
        page_break = False
        added.append(p)
    return added


def _is_whole_heading(block: Block) -> bool:
    text = block.text.rstrip("。")
    return block.level in (1, 2) and "。" not in text


def _add_spans(p, block: Block) -> None:
    """Runs of a paragraph: the heading part (up to the first 。 of a run-in heading) in its level's font."""
    if block.kind == "heading" or _is_whole_heading(block):
        head = len(block.text)
    elif block.level in (1, 2):
        head = block.text.index("。") + 1
    else:
        head = 0
    offset = 0
    for span in block.spans:
        pieces = [(span.text, offset < head)]
        if offset < head < offset + len(span.text):
            cut = head - offset
            pieces = [(span.text[:cut], True), (span.text[cut:], False)]
        for text, in_head in pieces:
            font = HEADING_FONTS.get(block.level, FANGSONG) if in_head else FANGSONG
            _add_text_with_breaks(p, text, font, bold=span.bold or None)
        offset += len(span.text)


def _add_text_with_breaks(p, text: str, font: str, *, size: float = 16, bold=None) -> None:
    for i, line in enumerate(text.split("\n")):
        if i:
            p.runs[-1].add_break() if p.runs else p.add_run().add_break()
        if line:
            add_text(p, line, font, size, bold=bold)


def render_table(doc, block: Block, page: Page = PAGE, *, page_break: bool = False):
    """A Markdown table as a Word table across the 版心: 4号, header row in 黑体 and repeated on each page."""
    ncols = max((len(r) for r in block.rows), default=0)
    if not ncols:
        return None
    if page_break:
        format_paragraph(doc.add_paragraph(), page, page_break_before=True, line=20)
    table = doc.add_table(rows=len(block.rows), cols=ncols)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = _column_widths(block.rows, ncols, page.text_width)
    grid = table._tbl.tblGrid.findall(qn("w:gridCol"))
    for c, width in enumerate(widths):
        grid[c].set(qn("w:w"), str(width))
    # each row's cells from that row alone: ``table.cell(r, c)`` lays out the whole table at every call, and a
    # table of a thousand units took minutes (python-docx >= 1.2: ``_Row.cells`` reads its own row)
    for r, (row, cells) in enumerate(zip(block.rows, (docx_row.cells for docx_row in table.rows))):
        is_header = block.header and r == 0
        if is_header:
            trpr = table.rows[0]._tr.get_or_add_trPr()
            flag = OxmlElement("w:tblHeader")
            trpr.append(flag)
        for c in range(ncols):
            cell = cells[c]
            tcw = cell._tc.get_or_add_tcPr().get_or_add_tcW()
            tcw.set(qn("w:w"), str(widths[c]))
            tcw.set(qn("w:type"), "dxa")
            p = cell.paragraphs[0]
            format_paragraph(p, page, align="center" if is_header else "left", line=round(14 * 20 * 1.3))
            text = row[c] if c < len(row) else ""
            if text:
                add_text(p, text, HEITI if is_header else FANGSONG, 14)
    _table_width(table, page.text_width)
    return table


def _column_widths(rows, ncols: int, total: int) -> list[int]:
    need = [max(2.0, min(14.0, max((text_width(r[c]) for r in rows if c < len(r)), default=2))) for c in range(ncols)]
    widths = [int(total * n / sum(need)) for n in need]
    widths[-1] += total - sum(widths)
    return widths


def _table_width(table, width: int) -> None:
    tblpr = table._tbl.tblPr
    set_child(tblpr, "tblW", TBLPR_ORDER, w=width, type="dxa")
    set_child(tblpr, "tblLayout", TBLPR_ORDER, type="fixed")


# --- what lzdocs writes itself, repeated in the body ------------------------------------------------

_ATTACHMENT_LINE = re.compile(r"^附\s*件?\s*\d*\s*[:：]")
_ORGAN_ENDINGS = ("委员会", "办公室", "大学", "学院", "学校", "纪委", "党委", "党组", "监察处", "处", "部", "局", "厅",
                  "中心", "专员办公室", "工委")
_SENTENCE_MARKS = set("，。；：！？、,.;:!?“”")


@dataclass
class Repeated:
    """Lines at the edges of a body that lzdocs prints itself (主送, 附件说明, 署名 and 成文日期)."""

    addressee: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    signature: list[str] = field(default_factory=list)


def drop_repeats(blocks: list[Block], *, to: str, issuer: str, attachments: bool) -> tuple[list[Block], Repeated]:
    """The notice's own blocks without what lzdocs writes itself: a first line equal to the 主送 line, trailing
    附件 lines (when it writes the 附件说明 from ``--attachment``) and a trailing 署名 and date."""
    blocks = list(blocks)
    found = Repeated()
    if blocks and to and _is_plain(blocks[0]) and _bare(blocks[0].text) == _bare(to):
        found.addressee.append(blocks.pop(0).text)
    for _ in range(2):  # 附件 after the signature, or the signature after the 附件
        _drop_signature(blocks, issuer, found.signature)
        if attachments:
            _drop_attachment_note(blocks, found.attachments)
    return blocks, found


def _drop_signature(blocks: list[Block], issuer: str, dropped: list[str]) -> None:
    """A trailing date line and the organ names over it; or a last line that is the issuer's name."""
    taken: list[str] = []
    if blocks and _is_plain(blocks[-1]) and is_written_date(blocks[-1].text):
        taken.append(blocks.pop().text)
        while blocks and _is_plain(blocks[-1]) and _looks_like_organ(blocks[-1].text, issuer):
            taken.insert(0, blocks.pop().text)
    elif blocks and _is_plain(blocks[-1]) and issuer and _bare(blocks[-1].text) == _bare(issuer):
        taken.append(blocks.pop().text)
    dropped[:0] = taken


def _drop_attachment_note(blocks: list[Block], dropped: list[str]) -> None:
    """Trailing 附件：1．… lines with the numbered lines that continue them."""
    start = None
    for i in range(len(blocks) - 1, -1, -1):
        text = blocks[i].text.strip()
        if not _is_plain(blocks[i]):
            break
        if _ATTACHMENT_LINE.match(text):
            start = i
            break
        if not re.match(r"^\d{1,2}\s*[．.、]", text):
            break
    if start is not None:
        dropped[:0] = [b.text for b in blocks[start:]]
        del blocks[start:]


def _is_plain(block: Block) -> bool:
    return block.kind in ("para", "heading")


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", text).rstrip(":：")


def _looks_like_organ(text: str, issuer: str) -> bool:
    bare = _bare(text)
    if issuer and bare == _bare(issuer):
        return True
    return 2 <= len(bare) <= 30 and not (_SENTENCE_MARKS & set(bare)) and bare.endswith(_ORGAN_ENDINGS)

"""Word's own tick boxes, written as Word writes them: a symbol inserted from Wingdings 2 (``w:sym``), a letter typed
in the Wingdings font, and a check-box content control (``w14:checkbox``) showing ☒ or ☐ in MS Gothic."""

from __future__ import annotations

from xml.sax.saxutils import escape


def text(value: str, font: str = "") -> str:
    fonts = f'<w:rFonts w:ascii="{font}" w:hAnsi="{font}"/>' if font else '<w:rFonts w:hint="eastAsia"/>'
    return f'<w:r><w:rPr>{fonts}</w:rPr><w:t xml:space="preserve">{escape(value)}</w:t></w:r>'


def sym(font: str, code: str) -> str:
    return f'<w:r><w:sym w:font="{font}" w:char="{code}"/></w:r>'


def checkbox(checked: bool) -> str:
    glyph = "☒" if checked else "☐"
    return (f'<w:sdt><w:sdtPr><w14:checkbox><w14:checked w14:val="{int(checked)}"/><w14:checkedState w14:val="2612" '
            'w14:font="MS Gothic"/><w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/></w14:checkbox></w:sdtPr>'
            '<w:sdtContent><w:r><w:rPr><w:rFonts w:ascii="MS Gothic" w:eastAsia="MS Gothic" w:hAnsi="MS Gothic" '
            f'w:hint="eastAsia"/></w:rPr><w:t>{glyph}</w:t></w:r></w:sdtContent></w:sdt>')


def cell(inner: str) -> str:
    return f'<w:tc><w:tcPr><w:tcW w:w="1800" w:type="dxa"/></w:tcPr><w:p>{inner}</w:p></w:tc>'


# Each level cell: 一级□ 二级☑ 三级□ from Wingdings 2 (£ = □, R = ☑); ☑一级 from Wingdings (þ), the others ¨ (◻);
# 一级 ☐ 二级 ☐ 三级 ☒ as check-box content controls.
LEVELS = [
    text("一级") + sym("Wingdings 2", "F0A3") + text("　二级") + sym("Wingdings 2", "F052") + text("　三级")
    + sym("Wingdings 2", "F0A3"),
    text("þ", "Wingdings") + text("一级 ") + text("¨", "Wingdings") + text("二级 ") + text("¨", "Wingdings")
    + text("三级"),
    text("一级") + checkbox(False) + text(" 二级") + checkbox(False) + text(" 三级") + checkbox(True),
]
ROWS = [("1", "招标采购", "泄露标底"), ("2", "合同管理", "合同条款显失公平"), ("3", "工程结算", "虚增工程量")]
HEADER = ("序号", "岗位名称", "风险点描述", "风险等级", "防控措施")


def body(paragraph) -> str:
    """The document body; ``paragraph`` writes a WPS-style paragraph of plain text."""
    rows = ["".join(cell(text(t)) for t in HEADER)]
    rows += ["".join(cell(text(t)) for t in row) + cell(level) + cell(text("集体决策"))
             for row, level in zip(ROWS, LEVELS)]
    table = ('<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr><w:tblGrid>' + '<w:gridCol w:w="1800"/>' * 5
             + "</w:tblGrid>" + "".join(f"<w:tr>{r}</w:tr>" for r in rows) + "</w:tbl>")
    return (paragraph("岗位风险分析和防控措施表", pid=1)
            + paragraph("单位（公章）：基建处　　填表日期：2026年11月10日", pid=2) + table)

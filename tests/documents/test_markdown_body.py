"""The body of a notice: plain text and Markdown read into blocks with GB/T 9704 heading levels."""

from __future__ import annotations

import pytest
from docx import Document
from docx.oxml.ns import qn

from lzdocs.documents.gbt9704 import new_document
from lzdocs.documents.markdown_body import heading_level, parse_body, render_blocks, split_enclosure


@pytest.mark.parametrize("text, level", [
    ("一、指导思想", 1), ("十二、附则", 1), ("（一）动员教育阶段", 2), ("(三)坚持原则。", 2),
    ("1．制定实施办法", 3), ("2.召开大会", 3), ("3、报送材料", 3), ("（1）学校领导班子", 4), ("(4)曾经出现", 4),
    ("1.5亿元的预算", 0), ("为从源头治理", 0), ("一是前期预防", 0), ("2026年11月", 0),
])
def test_numbering_gives_the_heading_level(text, level):
    assert heading_level(text) == level


def test_plain_text_is_one_paragraph_per_line_and_keeps_its_numbering():
    blocks = parse_body("一、总体要求\n\n　　（一）提高认识。要围绕中心。\n1．制定办法；\n---\n方案标题\n正文。\n",
                        markdown=False)
    assert [(b.kind, b.level, b.text) for b in blocks] == [
        ("para", 1, "一、总体要求"), ("para", 2, "（一）提高认识。要围绕中心。"), ("para", 3, "1．制定办法；"),
        ("break", 0, ""), ("para", 0, "方案标题"), ("para", 0, "正文。")]


def test_markdown_syntax_never_reaches_the_text():
    md = ("# 工作安排\n\n为做好**排查**工作，`现`通知如下，详见[网站](http://x.cn)。\n\n"
          "> 引用一段。\n\n- 第一项\n- 第二项\n\n1. 报送材料；\n2. 汇总审核。\n   1. 纪委汇总；\n")
    blocks = parse_body(md, markdown=True)
    text = "".join(b.text for b in blocks)
    for mark in ("#", "**", "`", "[", "](", ">", "- ", "http"):
        assert mark not in text, mark
    assert [b.text for b in blocks] == ["工作安排", "为做好排查工作，现通知如下，详见网站。", "引用一段。", "第一项",
                                        "第二项", "1．报送材料；", "2．汇总审核。", "（1）纪委汇总；"]
    assert blocks[1].spans[1].text == "排查" and blocks[1].spans[1].bold


def test_markdown_heading_levels_map_to_the_four_levels_unless_the_text_is_numbered():
    blocks = parse_body("# 总则\n\n## 范围\n\n### 时间\n\n#### 细目\n\n# （二）工作步骤\n", markdown=True)
    assert [(b.kind, b.level) for b in blocks] == [("heading", 1), ("heading", 2), ("heading", 3), ("heading", 4),
                                                    ("heading", 2)]


def test_markdown_soft_breaks_join_chinese_lines_without_a_space():
    [block] = parse_body("为从源头治理\n和预防腐败，English\nwords。", markdown=True)
    assert block.text == "为从源头治理和预防腐败，English words。"


def test_markdown_table_becomes_rows_of_cell_text():
    [table] = parse_body("| 阶段 | 时间 |\n|---|---|\n| **自行排查** | 11月 |\n| 审核 | 12月 |\n", markdown=True)
    assert table.kind == "table" and table.header
    assert table.rows == (("阶段", "时间"), ("自行排查", "11月"), ("审核", "12月"))


def test_the_first_rule_splits_off_the_issued_document_and_its_title():
    blocks = parse_body("现将方案印发给你们。\n\n特此通知\n\n---\n\n# 实施方案\n\n## 一、指导思想\n\n正文。\n",
                        markdown=True)
    own, enclosure = split_enclosure(blocks)
    assert [b.text for b in own] == ["现将方案印发给你们。", "特此通知"]
    assert [(b.kind, b.text) for b in enclosure][:2] == [("title", "实施方案"), ("heading", "一、指导思想")]
    assert enclosure[1].level == 1


def test_a_sentence_after_the_rule_is_not_taken_for_a_title():
    _, enclosure = split_enclosure(parse_body("通知正文。\n---\n这是一段话，不是标题。\n", markdown=False))
    assert enclosure[0].kind == "para"


def test_control_characters_are_dropped():
    [block] = parse_body("正文\x07内容\x0b。", markdown=False)
    assert block.text == "正文内容。"


def _runs(p):
    return [(r.text, r._r.rPr.rFonts.get(qn("w:eastAsia"))) for r in p.runs]


def test_run_in_headings_take_their_font_up_to_the_first_full_stop():
    doc = new_document()
    paragraphs = render_blocks(doc, parse_body(
        "一、指导思想\n（一）坚持原则。要围绕中心。\n1．制定办法。\n（1）学校领导。\n正文。", markdown=False))
    assert _runs(paragraphs[0]) == [("一、指导思想", "黑体")]
    assert _runs(paragraphs[1]) == [("（一）坚持原则。", "楷体_GB2312"), ("要围绕中心。", "仿宋_GB2312")]
    assert _runs(paragraphs[2]) == [("1．制定办法。", "仿宋_GB2312")]
    assert _runs(paragraphs[3]) == [("（1）学校领导。", "仿宋_GB2312")]
    for p in paragraphs:
        ind = p._p.pPr.find(qn("w:ind"))
        assert ind.get(qn("w:firstLineChars")) == "200"  # 每个自然段左空二字
        assert all(r.font.size.pt == 16 for r in p.runs)


def test_a_markdown_table_renders_as_a_word_table_across_the_text_block(tmp_path):
    doc = new_document()
    render_blocks(doc, parse_body("| 阶段 | 时间 |\n|---|---|\n| 自行排查 | 11月 |\n", markdown=True))
    doc.save(tmp_path / "t.docx")
    [table] = Document(str(tmp_path / "t.docx")).tables
    assert [[c.text for c in row.cells] for row in table.rows] == [["阶段", "时间"], ["自行排查", "11月"]]
    widths = [int(g.get(qn("w:w"))) for g in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert sum(widths) == 8845  # 156 mm
    header = table.rows[0].cells[0].paragraphs[0].runs[0]
    assert header._r.rPr.rFonts.get(qn("w:eastAsia")) == "黑体" and header.font.size.pt == 14


def test_markup_characters_in_the_text_come_out_as_written(tmp_path):
    doc = new_document()
    render_blocks(doc, parse_body("R&D <x> 与 \"引号\" & 1 < 2", markdown=False))
    doc.save(tmp_path / "t.docx")
    assert Document(str(tmp_path / "t.docx")).paragraphs[0].text == "R&D <x> 与 \"引号\" & 1 < 2"

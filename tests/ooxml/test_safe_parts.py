"""The parts of an untrusted package (lzdocs/ooxml/safety.py, lzdocs/forms/xlsx_parts.py): a small part read from its
tree gives what the stream gives, whatever its namespaces; a DTD is refused in any encoding; and every zip opened
is closed, whatever becomes of the file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from lzdocs.errors import RejectedFile
from lzdocs.forms import xlsx_parts
from lzdocs.forms.xlsx_parts import Budget, Elements, SharedStrings, Sheet
from lzdocs.ooxml import safety
from lzdocs.ooxml.safety import Limits, SafePackage, parse_xml, sniff

S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "forms"
TREE_UP_TO = xlsx_parts.SMALL_PART  # as the module has it (a test may have set it to -1 to stream every part)


def _package(tmp_path: Path, workbook: bytes | str) -> Path:
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.xml", workbook)
    return path


def _both(path: Path, monkeypatch, wanted=("workbookPr", "sheet"), keep=None) -> tuple[list, list]:
    """(the items read from the part's tree, those streamed)."""
    with SafePackage(path, Limits()) as package:
        tree = Elements.read(package, "xl/workbook.xml", wanted, keep)
        monkeypatch.setattr(xlsx_parts, "SMALL_PART", -1)
        streamed = Elements.read(package, "xl/workbook.xml", wanted, keep)
        monkeypatch.undo()
    return tree, streamed


PARTS = {
    "foreign elements and parents": (
        f'<workbook xmlns="{S}" xmlns:r="{R}" xmlns:x="urn:other"><workbookPr date1904="1"/><sheets>'
        '<sheet name="甲" r:id="rId1"/><x:sheet name="外"/><x:wrap><sheet name="乙" r:id="rId2"/></x:wrap></sheets>'
        '</workbook>',
        [("workbook", "workbookPr", {"date1904": "1"}), ("sheets", "sheet", {"name": "甲", f"{{{R}}}id": "rId1"}),
         ("", "sheet", {"name": "乙", f"{{{R}}}id": "rId2"})]),
    "no namespace": (
        '<workbook><sheets><sheet name="R&amp;D" state="hidden"/></sheets></workbook>',
        [("sheets", "sheet", {"name": "R&D", "state": "hidden"})]),
    "a prefixed root, comments and instructions": (
        f'<?xml version="1.0"?><!-- 注释 --><s:workbook xmlns:s="{S}"><?pi x?><s:sheets><!-- 注释 -->'
        '<s:sheet name="丙"/></s:sheets></s:workbook>',
        [("sheets", "sheet", {"name": "丙"})]),
    'a namespace named "*" (lxml\'s wildcard) matches no other': (
        '<workbook xmlns="*"><sheets><sheet name="甲"/><sheet xmlns="" name="无"/><x:sheet xmlns:x="urn:o" name="外"/>'
        '</sheets></workbook>',
        [("sheets", "sheet", {"name": "甲"})]),
    "an undeclared prefix (read by the stream alone)": (
        f'<workbook xmlns="{S}"><workbookPr x14ac:knownFonts="1"/><sheets><sheet name="丁"/></sheets></workbook>',
        [("workbook", "workbookPr", {"knownFonts": "1"}), ("sheets", "sheet", {"name": "丁"})]),
}


@pytest.mark.parametrize("name", PARTS)
def test_a_small_part_gives_from_its_tree_what_the_stream_gives(tmp_path, monkeypatch, name):
    text, expected = PARTS[name]
    tree, streamed = _both(_package(tmp_path, text), monkeypatch)
    assert tree == streamed == expected


def test_only_the_attributes_kept_and_no_more_than_max_elements(tmp_path, monkeypatch):
    sheets = "".join(f'<sheet name="表{i}" sheetId="{i}" state="visible"/>' for i in range(10))
    path = _package(tmp_path, f'<workbook xmlns="{S}"><sheets>{sheets}</sheets></workbook>')
    monkeypatch.setattr(xlsx_parts, "MAX_ELEMENTS", 3)
    tree, streamed = _both(path, monkeypatch, ("sheet",), ("name", "missing"))
    assert tree == streamed == [("sheets", "sheet", {"name": f"表{i}"}) for i in range(3)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-be", "utf-32"])
def test_a_dtd_is_refused_in_any_encoding_streamed_or_not(tmp_path, monkeypatch, encoding):
    """An internal entity is expanded in attribute values whatever ``resolve_entities`` says; in UTF-16 or UTF-32
    the declaration is not seen in the bytes, but the parser sees it."""
    text = (f'<?xml version="1.0" encoding="{encoding}"?><!DOCTYPE x [<!ENTITY a "外来">]>'
            f'<workbook xmlns="{S}"><sheets><sheet name="&a;"/></sheets></workbook>')
    data = text.encode(encoding)
    path = _package(tmp_path, data)
    said = "DTD/实体声明" if encoding != "utf-32" else "DTD/实体声明|格式损坏"  # (UTF-32 streamed: not read at all)
    for small in (TREE_UP_TO, -1):
        monkeypatch.setattr(xlsx_parts, "SMALL_PART", small)
        with SafePackage(path, Limits()) as package, pytest.raises(RejectedFile, match=said):
            Elements.read(package, "xl/workbook.xml", ("sheet",))
    with pytest.raises(RejectedFile, match=said):
        parse_xml(data, "word/document.xml")  # a .docx's parts, read as trees


def _part(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(name, text)
    return path


SMALL = Limits(max_rows=20, max_columns=4)


def _cell_text(kind, style, v, inline):
    return "".join(inline).strip() if inline is not None else f"{kind}:{v}" if v else ""


def _sheet_both(path: Path, monkeypatch) -> tuple:
    """(what the sheet read from its tree gives, what the stream gives): its cells, merges and page header, or the
    message it was refused with."""
    found = []
    for small in (TREE_UP_TO, -1):
        monkeypatch.setattr(xlsx_parts, "SMALL_PART", small)
        with SafePackage(path, Limits()) as package:
            try:
                sheet = Sheet.read(package, "xl/worksheets/sheet1.xml", _cell_text, "表1", SMALL, Budget(40, 200))
                found.append((sheet.cells, sheet.merges, sheet.header_footer, sheet.width))
            except RejectedFile as exc:
                found.append(exc.problems[0].message)
    return tuple(found)


def _sheet(body: str, before: str = "", after: str = "") -> str:
    return f'<worksheet xmlns="{S}">{before}<sheetData>{body}</sheetData>{after}</worksheet>'


_RUNS = '<is><r><rPr><t>不读</t></rPr><t>甲</t></r><r><t xml:space="preserve"> 乙</t></r><rPh><t>jia</t></rPh></is>'
SHEETS = {
    "runs, phonetic guides, two inline strings, two values": (_sheet(
        f'<row r="2"><c r="A2" t="inlineStr">{_RUNS}<is><t>第二个</t></is></c><c r="B2"><v>1</v><v>2</v></c>'
        '<c r="C2" t="s"><v>0</v></c><c r="D2" s="3"/></row><row><c><v>7</v></c><c t="str"><v>a&amp;b</v></c></row>'),
        ({2: {0: "甲 乙", 1: "None:2", 2: "s:0"}, 3: {0: "None:7", 1: "str:a&b"}}, [], None, 3)),
    "a merge in a data cell is not one; others are, wherever they stand": (_sheet(
        '<row r="1"><c r="A1"><v>1</v><mergeCell ref="A1:D1"/></c></row>',
        '<mergeCell ref="A5:B5"/>', '<mergeCells><mergeCell ref="A1:B1"/></mergeCells>'),
        ({1: {0: "None:1"}}, ["A5:B5", "A1:B1"], None, 1)),
    "the page header before the data, comments, a second sheetData": (
        f'<?xml version="1.0"?><worksheet xmlns="{S}"><!-- 注释 --><headerFooter><oddHeader>&amp;L单位：计财处'
        '<b/>不读</oddHeader><evenHeader/></headerFooter><?pi x?><sheetData><!-- 注释 --><row r="3"><!-- c -->'
        '<c r="B3" t="inlineStr"><is><t>乙</t></is></c></row></sheetData><sheetData><row r="9"><c r="A9"><v>9</v>'
        '</c></row></sheetData><headerFooter><oddHeader>第二个</oddHeader></headerFooter></worksheet>',
        ({3: {1: "乙"}}, [], [(f"{{{S}}}oddHeader", "&L单位：计财处"), (f"{{{S}}}evenHeader", "")], 2)),
    "a comment or an instruction within a text is no end of it": (_sheet(
        '<row r="1"><c r="A1"><v>1<!-- x -->2<?pi y?>3</v></c><c r="B1" t="inlineStr"><is><t>科学<!---->技术处</t>'
        '</is></c></row>', after='<headerFooter><oddHeader>&amp;L单位：<!---->计财处</oddHeader></headerFooter>'),
        ({1: {0: "None:123", 1: "科学技术处"}}, [], [(f"{{{S}}}oddHeader", "&L单位：计财处")], 2)),
    'a namespace named "*" (lxml\'s wildcard) matches no other': (
        '<worksheet xmlns="*"><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData><mergeCells>'
        '<mergeCell xmlns="" ref="A1:B1"/><mergeCell xmlns="urn:o" ref="A1:C1"/><mergeCell ref="A1:D1"/>'
        '</mergeCells></worksheet>', ({1: {0: "None:1"}}, ["A1:D1"], None, 1)),
    "no namespace": (
        '<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>甲</t></is></c></row></sheetData>'
        '<mergeCells><mergeCell ref="A1:B1"/></mergeCells></worksheet>',
        ({1: {0: "甲"}}, ["A1:B1"], None, 1)),
    "an undeclared prefix (read by the stream alone)": (_sheet(
        '<row r="1" x14ac:dyDescent="0.25"><c r="A1"><v>5</v></c></row>'), ({1: {0: "None:5"}}, [], None, 1)),
    "a cell beyond the columns read": (_sheet(
        '<row r="1"><c r="A1"><v>1</v></c><c r="F1"><v>1</v></c></row>'), "表1在 D 列右边还有内容（单元格 F1）"),
    "a row beyond the rows read, after a text too long": (_sheet(
        f'<row r="21"><c r="A21"><v>1</v></c></row><row r="22"><c r="A22"><v>{"长" * 300}</v></c></row>'),
        "表1在第 20 行以下还有内容（单元格 A21）"),
    "more cells than the budget": (_sheet(
        "".join(f'<row r="{r}"><c r="A{r}"><v>1</v></c><c r="D{r}"><v>1</v></c></row>' for r in range(1, 12))),
        "工作簿的内容过多"),
    "more text than the budget": (_sheet(
        f'<row r="1"><c r="A1" t="inlineStr"><is><t>{"字" * 150}</t></is></c><c r="B1" t="inlineStr"><is><t>'
        f'{"字" * 60}</t></is></c></row>'), "文件中的文字总量过大"),
}


@pytest.mark.parametrize("name", SHEETS)
def test_a_small_sheet_gives_from_its_tree_what_the_stream_gives(tmp_path, monkeypatch, name):
    """``Sheet.read`` reads a small sheet from its tree: the same cells, merges and page header, or the same refusal
    at the same place, as the stream that reads a large one."""
    text, expected = SHEETS[name]
    tree, streamed = _sheet_both(_part(tmp_path, "xl/worksheets/sheet1.xml", text), monkeypatch)
    assert tree == streamed
    assert expected in tree if isinstance(expected, str) else tree == expected


@pytest.mark.parametrize("comment", ["", "<!-- -->"])
def test_a_text_too_long_is_named_by_its_cell_from_the_tree_as_from_the_stream(tmp_path, monkeypatch, comment):
    """(Also when a comment cuts the text in two: the stream counts both halves.)"""
    monkeypatch.setattr(xlsx_parts, "_RAW_CHARS", 50)
    text = _sheet('<row r="1"><c r="A1"><v>1</v></c></row><row r="4"><c r="B4" t="inlineStr"><is><r><t>'
                  f'{"字" * 30}</t></r><r><t>{"字" * 10}{comment}{"字" * 20}</t></r></is></c></row>')
    tree, streamed = _sheet_both(_part(tmp_path, "xl/worksheets/sheet1.xml", text), monkeypatch)
    assert tree == streamed and "表1的单元格 B4 文字过长" in tree
    header = _sheet("", after=f'<headerFooter><oddHeader>{"页" * 20}{comment}{"页" * 31}</oddHeader></headerFooter>')
    tree, streamed = _sheet_both(_part(tmp_path, "xl/worksheets/sheet1.xml", header), monkeypatch)
    assert tree == streamed and "表1的页眉文字过长" in tree


STRINGS = (f'<sst xmlns="{S}"><si><t> 序号 </t></si><!-- 注释 --><si><r><rPr><t>不读</t></rPr><t>甲</t></r>'
           '<r><t>乙_x000D_</t></r><rPh><t>jia</t></rPh><phoneticPr/></si><si/><x><si><t>不是</t></si></x><si><t>a&amp;b<b/>c</t></si>'
           '<si><t>科学<!---->技术<?pi x?>处</t></si></sst>')


def test_small_shared_strings_give_from_their_tree_what_the_stream_gives(tmp_path, monkeypatch):
    path = _part(tmp_path, "xl/sharedStrings.xml", STRINGS)
    found = []
    for small in (TREE_UP_TO, -1):
        monkeypatch.setattr(xlsx_parts, "SMALL_PART", small)
        with SafePackage(path, Limits()) as package:
            found.append(SharedStrings.read(package, "xl/sharedStrings.xml", Budget(10, 100)))
    assert found[0] == found[1] == ["序号", "甲乙", "", "a&b", "科学技术处"]
    monkeypatch.setattr(xlsx_parts, "MAX_SHARED_STRINGS", 4)
    for small in (TREE_UP_TO, -1):
        monkeypatch.setattr(xlsx_parts, "SMALL_PART", small)
        with SafePackage(path, Limits()) as package, pytest.raises(RejectedFile, match="超过 4 个不同的文字"):
            SharedStrings.read(package, "xl/sharedStrings.xml", Budget(10, 100))


def test_every_zip_opened_is_closed_whatever_becomes_of_the_file(monkeypatch, opened_zips):
    opened = opened_zips
    assert sniff(FIXTURES / "word_nested.docx", Limits()) == "docx"  # sniffed only (a notice, a table)
    with pytest.raises(RejectedFile, match="条目过多"):
        SafePackage(FIXTURES / "excel_serial.xlsx", Limits(max_entries=2))
    with pytest.raises(RejectedFile, match="条目过多"):
        sniff(FIXTURES / "excel_serial.xlsx", Limits(max_entries=2))

    def fails(*args):
        raise OSError("读不出来")

    monkeypatch.setattr(safety, "check_zip_limits", fails)
    with pytest.raises(OSError, match="读不出来"):
        sniff(FIXTURES / "excel_serial.xlsx", Limits())
    assert len(opened) == 4 and all(zf.fp is None for zf in opened)

"""The parts of an untrusted package (lzdocs/ooxml/safety.py, lzdocs/forms/xlsx_parts.py): a small part read from its
tree gives what the stream gives, whatever its namespaces; a DTD is refused in any encoding; and every zip opened
is closed, whatever becomes of the file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from lzdocs.errors import RejectedFile
from lzdocs.forms import xlsx_parts
from lzdocs.forms.xlsx_parts import Elements
from lzdocs.ooxml import safety
from lzdocs.ooxml.safety import Limits, SafePackage, parse_xml, sniff

S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "forms"


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
    for small in (xlsx_parts.SMALL_PART, -1):
        monkeypatch.setattr(xlsx_parts, "SMALL_PART", small)
        with SafePackage(path, Limits()) as package, pytest.raises(RejectedFile, match=said):
            Elements.read(package, "xl/workbook.xml", ("sheet",))
    with pytest.raises(RejectedFile, match=said):
        parse_xml(data, "word/document.xml")  # a .docx's parts, read as trees


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

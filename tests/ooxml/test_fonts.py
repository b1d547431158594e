"""Every .docx lzdocs writes lists its fonts in word/fontTable.xml, so Word/WPS fall back to the right family."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile

import pytest
from lxml import etree

from lzdocs.documents import letters as L
from lzdocs.documents.publicity import publicity_context, write_publicity
from lzdocs.ooxml.fonttable import font_table, fonts_in
from lzdocs.ooxml.package import rewrite_package
from lzdocs.store import Store
from tests.conftest import run_cli

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DAY = dt.date(2026, 11, 28)
SUGGESTION = {"事由": "在2026年度检查中", "问题": "采购程序不规范", "建议": "完善采购制度"}
BODY = "一、工作任务\n（一）排查范围\n各单位于12月16日前报送。\n"


def font_entries(path) -> dict[str, dict[str, str]]:
    """Each ``w:font`` of the package's font table: its name → {"charset": …, "altName": …, "panose1": …}."""
    with zipfile.ZipFile(path) as z:
        root = etree.fromstring(z.read("word/fontTable.xml"))
    return {f.get(f"{W}name"): {child.tag.removeprefix(W): child.get(f"{W}val") for child in f}
            for f in root.iter(f"{W}font")}


def east_asian_language(path) -> tuple[str, str]:
    """The East-Asian language of the document defaults and of the theme fonts."""
    with zipfile.ZipFile(path) as z:
        styles = etree.fromstring(z.read("word/styles.xml"))
        settings = etree.fromstring(z.read("word/settings.xml"))
    lang = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
    theme = settings.find(f"{W}themeFontLang")
    return lang.get(f"{W}eastAsia"), theme.get(f"{W}eastAsia")


def assert_chinese_fonts(entries: dict, names: list[str]) -> None:
    for name in names:
        assert entries[name]["charset"] == "86", name
        assert len(entries[name]["panose1"]) == 20 and entries[name]["family"] and entries[name]["pitch"]
    assert not {"ＭＳ 明朝", "ＭＳ ゴシック"} & set(entries)


def issue_letter(ws, key="suggestion", values=SUGGESTION, unit="计财处"):
    store = Store.for_workspace(ws)
    try:
        office = L.LetterOffice(ws, store)
        return office.issue(office.prepare(L.KINDS[key], unit, values, DAY)).path
    finally:
        store.close()


def test_a_letter_lists_its_fonts_with_gb2312_charset_and_fallbacks(workspace):
    entries = font_entries(issue_letter(workspace))
    assert_chinese_fonts(entries, ["仿宋_GB2312", "方正小标宋简体"])
    assert entries["仿宋_GB2312"]["altName"] == "仿宋"
    assert entries["方正小标宋简体"]["altName"] == "宋体"
    assert entries["Times New Roman"]["charset"] == "00"
    assert east_asian_language(issue_letter(workspace)) == ("zh-CN", "zh-CN")


def test_a_notice_lists_heiti_and_kaiti_for_its_headings(workspace):
    (workspace.root / "正文.txt").write_text(BODY, encoding="utf-8")
    run_cli("notice", "-w", workspace.root, "--title", "关于开展廉政风险点排查工作的通知", "--body",
            workspace.root / "正文.txt", check=0)
    path = next((workspace.root / "outbox").rglob("*.docx"))
    entries = font_entries(path)
    assert_chinese_fonts(entries, ["仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312"])
    assert (entries["黑体"]["altName"], entries["楷体_GB2312"]["altName"]) == ("SimHei", "楷体")
    assert entries["Times New Roman"]["charset"] == "00"
    assert east_asian_language(path) == ("zh-CN", "zh-CN")


def test_a_blank_form_lists_its_fonts_and_is_chinese_not_japanese(workspace):
    run_cli("form", "-w", workspace.root, check=0)
    path = next((workspace.root / "outbox" / "空白表").glob("*.docx"))
    entries = font_entries(path)
    assert_chinese_fonts(entries, ["仿宋_GB2312", "黑体", "方正小标宋简体"])
    assert east_asian_language(path) == ("zh-CN", "zh-CN")  # python-docx's template says en-US and ja-JP


def test_the_publicity_table_lists_its_fonts(workspace, tmp_path):
    dest = tmp_path / "公示表.docx"
    rows = [{"unit": "基建处", "seq": "1", "post": "处长", "risk": "工程变更", "level": "高", "measures": "集体决策"}]
    write_publicity(workspace.template("公示表.docx"), dest, publicity_context(workspace, 2026, DAY), rows)
    entries = font_entries(dest)
    assert_chinese_fonts(entries, ["仿宋_GB2312", "方正小标宋简体", "黑体"])
    assert east_asian_language(dest) == ("zh-CN", "zh-CN")  # the packaged template says en-US


def test_a_template_saved_by_the_user_keeps_its_entries_and_gains_the_missing_ones(workspace):
    """As Word lists fonts: 华文中宋 it no longer uses stays; 仿宋_GB2312 without altName gains one."""
    packaged = workspace.template("纪检监察建议书.docx")
    own = workspace.templates / "纪检监察建议书.docx"
    shutil.copy(packaged, workspace.root / "original.docx")
    user_table = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                  '<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                  '<w:font w:name="华文中宋"><w:panose1 w:val="02010600040101010101"/><w:charset w:val="86"/>'
                  '<w:family w:val="auto"/><w:pitch w:val="variable"/></w:font>'
                  '<w:font w:name="仿宋_GB2312"><w:charset w:val="86"/><w:family w:val="modern"/></w:font>'
                  '</w:fonts>').encode()
    rewrite_package(workspace.root / "original.docx", own, {"word/fontTable.xml": user_table})
    entries = font_entries(issue_letter(workspace))
    assert entries["华文中宋"] == {"panose1": "02010600040101010101", "charset": "86", "family": "auto",
                                "pitch": "variable"}
    assert entries["仿宋_GB2312"] == {"altName": "仿宋", "charset": "86", "family": "modern"}
    assert entries["方正小标宋简体"]["altName"] == "宋体"
    assert list(entries)[:2] == ["华文中宋", "仿宋_GB2312"]


def test_theme_fonts_resolve_to_the_chinese_face_and_unknown_fonts_are_listed_by_name():
    part = ('<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:r><w:rPr>'
            '<w:rFonts w:asciiTheme="minorHAnsi" w:eastAsiaTheme="minorEastAsia"/></w:rPr></w:r>'
            '<w:r><w:rPr><w:rFonts w:ascii="Arial" w:eastAsia="华文楷体"/></w:rPr></w:r></w:document>').encode()
    theme = {"minorHAnsi": "Calibri", "minorEastAsia": "宋体"}
    assert fonts_in(part, theme) == ["Calibri", "宋体", "Arial", "华文楷体"]
    entries = etree.fromstring(font_table(["华文楷体", "楷体_GB2312"]))
    assert [(f.get(f"{W}name"), len(f)) for f in entries] == [("华文楷体", 0), ("楷体_GB2312", 6)]


@pytest.mark.parametrize("broken", [b"<w:fonts", b"not xml"])
def test_a_template_with_a_broken_font_table_still_renders(workspace, broken):
    own = workspace.templates / "纪检监察建议书.docx"
    shutil.copy(workspace.template("纪检监察建议书.docx"), workspace.root / "original.docx")
    rewrite_package(workspace.root / "original.docx", own, {"word/fontTable.xml": broken})
    path = issue_letter(workspace)
    with zipfile.ZipFile(path) as z:
        assert z.read("word/fontTable.xml") == broken  # left as the user's Word wrote it
        assert "采购程序不规范" in z.read("word/document.xml").decode("utf-8")


def test_a_template_saved_for_japanese_becomes_chinese(workspace):
    """A Word set up for Japanese writes ja-JP; LibreOffice then draws 令 骨 直 with Japanese forms."""
    own = workspace.templates / "纪检监察建议书.docx"
    shutil.copy(workspace.template("纪检监察建议书.docx"), workspace.root / "original.docx")

    def japanese(xml: bytes) -> bytes:
        return xml.replace(b'w:eastAsia="zh-CN"', b'w:eastAsia="ja-JP"')

    rewrite_package(workspace.root / "original.docx", own, {"word/styles.xml": japanese,
                                                            "word/settings.xml": japanese})
    assert east_asian_language(own) == ("ja-JP", "ja-JP")
    assert east_asian_language(issue_letter(workspace)) == ("zh-CN", "zh-CN")


def test_a_python_docx_document_without_a_font_table_gets_one():
    from docx import Document
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    from lzdocs.ooxml.fonts import add_text
    from lzdocs.ooxml.fonttable import save_document

    doc = Document()
    for rel_id, rel in list(doc.part.rels.items()):
        if rel.reltype == RT.FONT_TABLE:
            del doc.part.rels[rel_id]
    add_text(doc.add_paragraph(), "排查范围", "楷体_GB2312")
    stream = io.BytesIO()
    save_document(doc, stream)
    entries = font_entries(stream)
    assert entries["楷体_GB2312"]["altName"] == "楷体" and entries["楷体_GB2312"]["charset"] == "86"
    assert not {"ＭＳ 明朝", "ＭＳ ゴシック"} & set(entries)  # theme fonts follow zh-CN: 宋体
    assert "宋体" in entries
    with zipfile.ZipFile(stream) as z:
        assert b"fontTable" in z.read("[Content_Types].xml") and b"fontTable" in z.read("word/_rels/document.xml.rels")

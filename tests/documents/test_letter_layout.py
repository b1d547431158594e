"""The 信函 format of GB/T 9704—2012 §10.1, checked in the .docx and, measured, in the PDF LibreOffice makes."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from lzdocs.documents.letter_layout import signature_indents
from lzdocs.documents.pdf import to_pdf_many
from lzdocs.office import Office
from lzdocs.workspace import SAMPLE, Workspace

DAY = dt.date(2026, 11, 28)
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
MM_PER_PT = 25.4 / 72
ONE_CHAR_MM = 16 * MM_PER_PT  # one 字 of 3号
ISSUER = "中共内蒙古工业大学纪律检查委员会"
ACCOUNT = {"事由": "在工程项目专项检查中", "问题": "工程变更未经审批", "要求": "说明原因\n完善变更审批制度",
           "抄送": "学校党委、党政办公室"}
LONG = {"事由": "在2026年度廉政风险防控工作检查中",
        "问题": [f"第{i}项问题：采购程序不规范，报销审核把关不严" for i in range(1, 15)],
        "建议": "完善采购制度\n加强报销审核", "抄送": "学校党委"}
RECTIFY = {"事由": "在复查中", "问题": "采购验收记录不全", "整改要求": "建立验收台账\n每月公开价格", "抄送": "学校党委"}
MEETING = {"事由": "在专项巡察中", "问题": "班子议事不规范\n民主集中制执行不到位", "要求": "深刻剖析问题根源\n逐条整改",
           "抄送": "学校党委组织部"}  # 关于责成召开专题民主生活会的通知


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    """Three letters: one page with a 送达回证 page, a long one over two pages, a short one; 抄送 on each."""
    ws, _ = Workspace.init(tmp_path_factory.mktemp("layout") / "ws", SAMPLE)
    with Office(ws, today=DAY) as office:
        return {"receipt": office.letter("accountability", "基建处", ACCOUNT, to="王磊", receipt=True).path,
                "long": office.letter("suggestion", "计财处", LONG).path,
                "short": office.letter("rectify", "后勤处", RECTIFY).path,
                "meeting": office.letter("meeting", "基建处", MEETING).path}


def part(path: Path, name: str):
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(name))


def first_page_part(path: Path, kind: str):
    """The first page's header or footer of the letter's section."""
    doc = part(path, "word/document.xml")
    rels = part(path, "word/_rels/document.xml.rels")
    sect = doc.find(".//w:sectPr", NS)
    rid = sect.find(f"w:{kind}Reference[@w:type='first']", NS).get(
        "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
    target = next(r.get("Target") for r in rels if r.get("Id") == rid)
    return sect, part(path, f"word/{target}")


def text_of(el) -> str:
    return "".join(t.text or "" for t in el.iter(f"{{{W}}}t"))


# --- the .docx ----------------------------------------------------------------------------------------------

def test_the_first_page_has_the_two_red_double_lines_170_mm_long_and_no_page_number(issued):
    sect, header = first_page_part(issued["short"], "header")
    _, footer = first_page_part(issued["short"], "footer")
    assert sect.find("w:titlePg", NS) is not None
    mark = header.find("w:p", NS)
    assert text_of(mark) == ISSUER
    for p, style in ((mark, "thickThinSmallGap"), (footer.find("w:p", NS), "thinThickSmallGap")):
        line = p.find("w:pPr/w:pBdr/w:bottom", NS)
        assert (line.get(f"{{{W}}}val"), line.get(f"{{{W}}}color")) == (style, "FF0000")
        ind = p.find("w:pPr/w:ind", NS)
        # 28 mm + 8 mm = 20 mm from the left edge, 26 mm + 6 mm = 20 mm from the right: 170 mm, centred
        assert (int(ind.get(f"{{{W}}}left")), int(ind.get(f"{{{W}}}right"))) == (-454, -340)
    assert not footer.xpath(".//w:fldSimple|.//w:instrText", namespaces=NS) and text_of(footer) == ""


def test_the_date_stands_four_characters_from_the_right_with_the_signature_centred_over_it(issued):
    body = part(issued["short"], "word/document.xml").find("w:body", NS)
    paragraphs = body.findall("w:p", NS)
    texts = [text_of(p) for p in paragraphs]
    name, date = paragraphs[texts.index(ISSUER)], paragraphs[texts.index("2026年11月28日")]
    rights = [int(p.find("w:pPr/w:ind", NS).get(f"{{{W}}}right")) for p in (name, date)]
    assert rights == [round(signature_indents(ISSUER, "2026年11月28日")[0] * 320), 4 * 320]
    assert signature_indents("纪委", "2026年11月28日") == (4 + (8.25 - 2) / 2, 4)
    long_name = "中共内蒙古工业大学纪律检查委员会监察专员办公室"  # 23 字: ends at the edge, the date centred under it
    assert signature_indents(long_name, "2026年11月28日") == (0, (23 - 8.25) / 2)


def test_the_copy_line_floats_at_the_bottom_of_the_text_block(issued):
    body = part(issued["short"], "word/document.xml").find("w:body", NS)
    table = next(t for t in body.iter(f"{{{W}}}tbl") if text_of(t).startswith("抄送："))
    pos = table.find("w:tblPr/w:tblpPr", NS)
    assert pos.get(f"{{{W}}}vertAnchor") == "page"
    assert int(pos.get(f"{{{W}}}tblpY")) == 16838 - 1984 - 579  # one line ending on the 版心's bottom edge
    assert text_of(table) == "抄送：学校党委。"


# --- the PDF ----------------------------------------------------------------------------------------------

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                                   reason="需要 pdftotext 和 pdftoppm（poppler-utils）")
DPI = 200


@pytest.fixture(scope="module")
def pdfs(issued, tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf")
    return dict(zip(issued, to_pdf_many(list(issued.values()), out, timeout=180)))


def page_lines(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Per page, each text line as (left, top, right, bottom) in mm from the top left corner, and its text."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    pages = []
    for page in xml.split("<page ")[1:]:
        found = []
        for m in re.finditer(r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</line>',
                             page, re.S):
            words = "".join(re.findall(r">([^<]*)</word>", m.group(5)))
            found.append((*(float(v) * MM_PER_PT for v in m.groups()[:4]), words))  # words joined without spaces
        pages.append(found)
    return pages


def red_rows(pdf: Path, page: int, tmp_path: Path) -> list[tuple[int, int]]:
    """For each pixel row of the page: how many pixels are red, and the longest unbroken red run."""
    from PIL import Image

    subprocess.run(["pdftoppm", "-png", "-r", str(DPI), "-f", str(page), "-l", str(page), str(pdf),
                    str(tmp_path / "p")], check=True)
    image = Image.open(next(tmp_path.glob("p*.png"))).convert("RGB")
    width, height = image.size
    pixels = image.load()
    rows = []
    for y in range(height):
        count = run = best = 0
        for x in range(width):
            r, g, b = pixels[x, y]
            if r > 180 and g < 110 and b < 110:
                count, run = count + 1, run + 1
                best = max(best, run)
            else:
                run = 0
        rows.append((count, best))
    return rows


def mm(pixels: float) -> float:
    return pixels * 25.4 / DPI


def bands(rows) -> list[tuple[float, float]]:
    """Red lines across the page (an unbroken run over 150 mm): (top, thickness) in mm."""
    found: list[list[int]] = []
    for y, (_, best) in enumerate(rows):
        if mm(best) > 150:
            if found and found[-1][1] == y - 1:
                found[-1][1] = y
            else:
                found.append([y, y])
    return [(mm(a), mm(b - a + 1)) for a, b in found]


@pytest.mark.soffice
@needs_poppler
@pytest.mark.parametrize("key", ["receipt", "long", "short", "meeting"])
def test_page_one_has_the_mark_30_mm_down_and_the_red_double_lines(pdfs, key, tmp_path):
    rows = red_rows(pdfs[key], 1, tmp_path)
    lines = bands(rows)
    assert len(lines) == 4, lines
    (top1, thick1), (top2, thin1), (top3, thin2), (top4, thick2) = lines
    assert thick1 > 2 * thin1 and thick2 > 2 * thin2  # upper thick lower thin; then upper thin lower thick
    mark_top = mm(next(y for y, (count, _) in enumerate(rows) if count))
    mark_bottom = mm(max(y for y, (count, _) in enumerate(rows) if count and mm(y) < top1) + 1)
    assert 29 <= mark_top <= 31, mark_top
    assert 3 <= top1 - mark_bottom <= 5, top1 - mark_bottom
    assert 296 - 20 <= (top3 + top4 + thick2) / 2 <= 298 - 20, (top3, top4)  # 20 mm above the bottom edge
    longest = [mm(best) for _, best in rows if mm(best) > 150]
    assert all(169 <= length <= 171 for length in longest), (min(longest), max(longest))


@pytest.mark.soffice
@needs_poppler
def test_only_the_first_page_goes_without_a_page_number(pdfs, tmp_path):
    pages = page_lines(pdfs["long"])
    assert len(pages) >= 2
    numbers = [[t for *_, t in page if re.fullmatch(r"—\s*\d+\s*—", t)] for page in pages]
    assert numbers[0] == [] and numbers[1] == ["—2—"]
    assert bands(red_rows(pdfs["long"], 2, tmp_path)) == []


@pytest.mark.soffice
@needs_poppler
@pytest.mark.parametrize("key", ["receipt", "long", "short", "meeting"])
def test_signature_and_date_centred_and_the_copy_line_at_the_foot_of_the_last_page(pdfs, key):
    pages = page_lines(pdfs[key])
    if key == "receipt":
        pages = pages[:-1]
    last = next(i for i in range(len(pages) - 1, -1, -1) if any(t.startswith("抄送：") for *_, t in pages[i]))
    sign_page = next(i for i, page in enumerate(pages) if any(t == ISSUER for *_, t in page[3:]))
    name = next(line for line in pages[sign_page][3:] if line[4] == ISSUER)
    date = next(line for line in pages[sign_page] if line[4] == "2026年11月28日")
    assert abs((name[0] + name[2]) / 2 - (date[0] + date[2]) / 2) < ONE_CHAR_MM
    assert abs(date[2] - (210 - 26 - 4 * ONE_CHAR_MM)) < ONE_CHAR_MM  # 右空四字
    copy = next(line for line in pages[last] if line[4].startswith("抄送："))
    assert last == len(pages) - 1 and last >= sign_page
    if last == sign_page:
        assert copy[1] > date[3]  # below the last line of the letter
    assert copy[1] >= 297 - 60 and copy[3] <= 297 - 35 + 1  # in the bottom 60 mm, inside the 版心
    assert copy[3] < 297 - 20 - 1  # above the lower red line of page 1


@pytest.mark.soffice
@needs_poppler
def test_the_receipt_is_a_page_of_its_own_without_letterhead_or_number(pdfs, tmp_path):
    pages = page_lines(pdfs["receipt"])
    assert len(pages) == 2
    receipt = "".join(t for *_, t in pages[1]).replace(" ", "")
    for text in ("送达回证", "文书名称和文号", "问廉问责书（内工大纪问〔2026〕1号）", "受送达单位（人）",
                 "王磊（基建处）", "送达时间", "签收人", "送达人"):
        assert text in receipt, text
    assert "—" not in receipt and ISSUER not in receipt
    assert not any(count for count, _ in red_rows(pdfs["receipt"], 2, tmp_path))
    assert "送达回证" not in " ".join(t for *_, t in pages[0])


@pytest.mark.slow
def test_the_laid_out_letters_pass_the_ooxml_schema_and_word_checks(issued):
    """Word is stricter than LibreOffice: the floating 抄送, the section break and the blank parts of the 送达回证."""
    openxml_audit = pytest.importorskip("openxml_audit", reason="需要 openxml-audit（pip install -e \".[test]\"）")
    validator = openxml_audit.OpenXmlValidator()
    problems = {key: [f"{e.description} @ {getattr(e, 'part_uri', '')}" for e in validator.validate(str(path)).errors
                      if str(getattr(e, "severity", "error")).lower().endswith("error")]
                for key, path in issued.items()}
    assert {key: errors for key, errors in problems.items() if errors} == {}

"""The notice's XML checked number by number against GB/T 9704-2012 (and the 1999 style of the reference)."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import pytest
from lxml import etree

from lzdocs.documents import notice as N
from lzdocs.documents.gbt9704 import PAGE
from lzdocs.documents.titles import balance_title
from lzdocs.textutil import chinese_date
from lzdocs.workspace import SAMPLE, Workspace

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W, "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
MM = 1440 / 25.4  # twips per millimetre
DATE = dt.date(2026, 11, 28)
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
BODY = """为做好**年度廉政风险点排查**工作，现将有关事项通知如下。

## 一、工作要求

（一）高度重视。各部门、各单位要认真组织，按时报送。

1. 报送《岗位风险分析和防控措施表》；

| 阶段 | 时间 |
|---|---|
| 自行排查 | 11月16日前 |

特此通知

---

# 廉政风险防控工作细则

## 二、附则

本细则自印发之日起施行。
"""


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


class Docx:
    """The parts of a generated .docx, parsed."""

    def __init__(self, path):
        with zipfile.ZipFile(path) as z:
            self.parts = {n: etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith(".xml")}
            rels = etree.fromstring(z.read("word/_rels/document.xml.rels"))
        self.targets = {r.get("Id"): "word/" + r.get("Target") for r in rels}
        self.body = self.parts["word/document.xml"].find(w("body"))

    def paragraphs(self):
        return self.body.findall(w("p"))

    def text(self, el) -> str:
        return "".join("\t" if t.tag == w("tab") and t.getparent().tag == w("r") else t.text or ""
                       for t in el.iter(w("t"), w("tab")))

    def find(self, text: str):
        return next(p for p in self.body.iter(w("p")) if self.text(p) == text)

    def sections(self):
        return self.body.findall(".//w:sectPr", NS)

    def footer(self, sect, kind: str):
        ref = sect.find(f"w:footerReference[@w:type='{kind}']", NS)
        return None if ref is None else self.parts[self.targets[ref.get(w("id").replace(W, NS["r"]))]]


def val(el, path: str, attr: str = "val"):
    found = el.find(path, NS) if path else el
    return None if found is None else found.get(w(attr))


def size_pt(run) -> float:
    return int(val(run, "w:rPr/w:sz")) / 2


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("notice")
    ws, _ = Workspace.init(root / "ws", SAMPLE)
    (root / "body.md").write_text(BODY, encoding="utf-8")
    common = dict(title="关于印发《内蒙古工业大学廉政风险防控机制建设工作实施方案》的通知", body=root / "body.md",
                  attachments=("form",), cc="自治区高校工委，学校各位领导", date=DATE, today=DATE)
    docs = {}
    for style, extra in (("2012", {}), ("1999", {"signer": "刘振洪", "keywords": "廉政 方案 通知"})):
        notice = N.prepare_notice(ws, style=style, **common, **extra)
        path = root / f"{style}.docx"
        N.render_notice(notice, "内工大党发〔2026〕18号", path)
        docs[style] = Docx(path)
    return docs


@pytest.fixture(scope="module")
def doc(made):
    return made["2012"]


def test_every_portrait_page_is_a4_with_the_gb_margins(doc):
    portrait = [s for s in doc.sections() if val(s, "w:pgSz", "orient") != "landscape"]
    assert len(portrait) == 2  # the notice itself and the 版记 page
    for sect in portrait:
        assert abs(int(val(sect, "w:pgSz", "w")) / MM - 210) <= 1
        assert abs(int(val(sect, "w:pgSz", "h")) / MM - 297) <= 1
        for side, expected in (("top", 37), ("left", 28), ("right", 26), ("bottom", 35)):
            assert abs(int(val(sect, "w:pgMar", side)) / MM - expected) <= 1, side


def test_grid_is_22_lines_of_28_characters_with_exact_line_spacing(doc):
    sect = doc.sections()[0]
    grid = sect.find("w:docGrid", NS)
    assert grid.get(w("type")) == "linesAndChars"
    pitch, char_space = int(grid.get(w("linePitch"))), int(grid.get(w("charSpace")))
    text_height = int(val(sect, "w:pgSz", "h")) - int(val(sect, "w:pgMar", "top")) - int(val(sect, "w:pgMar", "bottom"))
    text_width = int(val(sect, "w:pgSz", "w")) - int(val(sect, "w:pgMar", "left")) - int(val(sect, "w:pgMar", "right"))
    assert abs(text_width / MM - 156) <= 1 and abs(text_height / MM - 225) <= 1
    assert 22 * pitch <= text_height < 23 * pitch and abs(pitch / 20 - 28.95) < 0.1
    assert 28 * (16 + char_space / 4096) * 20 <= text_width < 29 * (16 + char_space / 4096) * 20
    # Off the character grid, 28 characters fit through the Normal style's condensed spacing (LibreOffice too).
    normal = doc.parts["word/styles.xml"].find("w:style[@w:styleId='Normal']", NS)
    assert val(normal, "w:pPr/w:snapToGrid") == "0"
    assert 28 * (16 * 20 + int(val(normal, "w:rPr/w:spacing"))) <= text_width
    assert val(normal, "w:rPr/w:rFonts", "eastAsia") == "仿宋_GB2312" and val(normal, "w:rPr/w:sz") == "32"


def test_every_run_holding_chinese_text_names_its_east_asian_font(doc):
    checked = 0
    for name, part in doc.parts.items():
        if not re.match(r"word/(document|footer\d*)\.xml$", name):
            continue
        for run in part.iter(w("r")):
            text = "".join(t.text or "" for t in run.iter(w("t")))
            if CJK.search(text):
                assert val(run, "w:rPr/w:rFonts", "eastAsia"), f"{name}: {text}"
                checked += 1
    assert checked > 30


def test_masthead_is_the_issuer_and_wenjian_in_red_xiaobiaosong_centred(doc):
    head = doc.paragraphs()[0]
    assert doc.text(head) == "中共内蒙古工业大学委员会文件"
    assert val(head, "w:pPr/w:jc") == "center"
    for run in head.findall("w:r", NS):
        assert val(run, "w:rPr/w:color") == "FF0000"
        assert val(run, "w:rPr/w:rFonts", "eastAsia") == "方正小标宋简体"
        assert size_pt(run) >= 26
    # 35 mm from the top of the 版心 (GB/T 9704-2012 §7.2.4); the 1999 style puts it at 25 mm.
    assert 25 <= int(val(head, "w:pPr/w:spacing", "before")) / MM <= 35


def test_document_number_sits_two_lines_below_over_a_red_line_as_wide_as_the_text(doc):
    number = doc.paragraphs()[1]
    text = doc.text(number)
    assert re.fullmatch(r"内工大党发〔\d{4}〕[1-9]\d*号", text) and "第" not in text
    assert val(number, "w:pPr/w:jc") == "center"
    assert int(val(number, "w:pPr/w:spacing", "before")) == 2 * PAGE.line_pitch
    line = number.find("w:pPr/w:pBdr/w:bottom", NS)
    assert line.get(w("val")) == "single" and line.get(w("color")) == "FF0000"
    assert number.find("w:pPr/w:ind", NS) is None  # the border spans the whole 版心: 156 mm


def test_signer_goes_right_and_the_number_left_when_given(made):
    number = made["1999"].paragraphs()[1]
    assert made["1999"].text(number) == "\u3000内工大党发〔2026〕18号\t签发人：刘振洪"
    runs = number.findall("w:r", NS)
    assert val(runs[-1], "w:rPr/w:rFonts", "eastAsia") == "楷体_GB2312"  # 签发人姓名用楷体
    assert val(number, "w:pPr/w:tabs/w:tab", "val") == "right"


def test_title_is_2hao_xiaobiaosong_centred_in_balanced_lines(doc):
    title = doc.paragraphs()[2]
    runs = title.findall("w:r", NS)
    assert [doc.text(r) for r in runs] == ["关于印发《内蒙古工业大学廉政风险", "防控机制建设工作实施方案》的通知"]
    assert len(title.findall(".//w:br", NS)) == 1
    assert val(title, "w:pPr/w:jc") == "center"
    for run in runs:
        assert size_pt(run) == 22 and val(run, "w:rPr/w:rFonts", "eastAsia") == "方正小标宋简体"


def test_balance_title_breaks_at_word_edges_into_lines_of_similar_length():
    assert balance_title("关于开展廉政风险点排查工作的通知") == ["关于开展廉政风险点排查工作的通知"]
    assert balance_title("关于印发《廉政风险防控机制建设工作实施方案》的通知") == [
        "关于印发《廉政风险防控机制", "建设工作实施方案》的通知"]
    assert balance_title("关于开展2026年度廉政风险点排查工作的通知") == ["关于开展2026年度", "廉政风险点排查工作的通知"]
    lines = balance_title("关于进一步加强和改进学校党风廉政建设责任制考核工作推进全面从严治党主体责任落实的实施意见")
    assert len(lines) == 3 and all(len(line) <= 20 for line in lines)
    assert not any(line.startswith(("》", "，", "、")) or line.endswith("《") for line in lines)


def test_addressee_is_flush_left_and_ends_with_a_colon(doc):
    to = doc.paragraphs()[3]
    assert doc.text(to) == "各部门、各单位："
    assert to.find("w:pPr/w:ind", NS) is None
    assert int(val(to, "w:pPr/w:spacing", "before")) == PAGE.line_pitch  # 标题下空一行


def test_body_is_3hao_fangsong_with_exact_line_spacing_and_headings_in_their_fonts(doc):
    body = doc.find("为做好年度廉政风险点排查工作，现将有关事项通知如下。")
    assert val(body, "w:pPr/w:spacing", "line") == str(PAGE.line_pitch)
    assert val(body, "w:pPr/w:spacing", "lineRule") == "exact"
    assert val(body, "w:pPr/w:ind", "firstLineChars") == "200"
    assert {size_pt(r) for r in body.findall("w:r", NS)} == {16}
    fonts = {doc.text(r): val(r, "w:rPr/w:rFonts", "eastAsia") for r in doc.body.iter(w("r"))}
    assert fonts["一、工作要求"] == "黑体"
    assert fonts["（一）高度重视。"] == "楷体_GB2312"
    assert fonts["各部门、各单位要认真组织，按时报送。"] == "仿宋_GB2312"
    assert fonts["1．报送《岗位风险分析和防控措施表》；"] == "仿宋_GB2312"
    text = doc.text(doc.body)
    for mark in ("#", "**", "|", "---"):
        assert mark not in text, mark


def test_markdown_table_is_a_word_table(doc):
    tables = [t for t in doc.body.iter(w("tbl")) if "自行排查" in doc.text(t)]
    assert len(tables) == 1
    assert [doc.text(tc) for tc in tables[0].iter(w("tc"))] == ["阶段", "时间", "自行排查", "11月16日前"]


def test_attachment_note_signature_and_date_of_the_2012_style(doc):
    note = doc.find("附件：岗位风险分析和防控措施表")
    assert val(note, "w:pPr/w:ind", "leftChars") == "500" and val(note, "w:pPr/w:ind", "hangingChars") == "300"
    date = doc.find(chinese_date(DATE))
    assert doc.text(date) == "2026年11月28日"
    assert val(date, "w:pPr/w:jc") == "right" and val(date, "w:pPr/w:ind", "rightChars") == "400"  # 右空四字
    name = date.getprevious()
    assert doc.text(name) == "中共内蒙古工业大学委员会"
    assert val(name, "w:pPr/w:ind", "rightChars") == "150"  # centred over the date: 4 + (7 − 12) / 2
    assert int(val(name, "w:pPr/w:spacing", "before")) == 2 * PAGE.line_pitch  # room for the seal


def test_1999_style_writes_the_date_in_chinese_numerals_and_a_keywords_line(made):
    old = made["1999"]
    date = old.find("二〇二六年十一月二十八日")
    assert val(date.getprevious(), "w:pPr/w:ind", "rightChars") == "400"  # both 12 字 wide
    assert "2026年11月28日" not in [old.text(p) for p in old.body.iter(w("p"))]
    keywords = next(r for r in old.body.iter(w("r")) if old.text(r) == "主题词：")
    assert val(keywords, "w:rPr/w:rFonts", "eastAsia") == "黑体" and size_pt(keywords) == 16
    assert "主题词：廉政\u3000方案\u3000通知" in [old.text(p) for p in old.body.iter(w("p"))]
    assert "主题词" not in old.text(made["2012"].body)


def test_page_numbers_odd_right_even_left_with_page_fields(doc):
    settings = doc.parts["word/settings.xml"]
    assert settings.find("w:evenAndOddHeaders", NS) is not None
    first = doc.sections()[0]
    for kind, side, indent in (("default", "right", "right"), ("even", "left", "left")):
        footer = doc.footer(first, kind)
        p = footer.find("w:p", NS)
        assert val(p, "w:pPr/w:jc") == side
        assert int(val(p, "w:pPr/w:ind", indent)) == 280  # 一字 of 4号
        assert "".join(t.strip() for t in p.itertext()) == "—PAGE1—"
        assert [f.get(w("fldCharType")) for f in p.iter(w("fldChar"))] == ["begin", "separate", "end"]
        assert doc.text(p) == "— 1 —"
        for run in p.findall("w:r", NS):
            assert size_pt(run) == 14 and val(run, "w:rPr/w:rFonts", "eastAsia") == "宋体"


def test_colophon_closes_the_last_page_without_a_page_number(doc):
    last = doc.body.find("w:sectPr", NS)
    for kind in ("default", "even"):
        footer = doc.footer(last, kind)
        assert footer is not None and not list(footer.iter(w("instrText"))) and not doc.text(footer).strip()
    table = doc.body.findall("w:tbl", NS)[-1]
    rows = [doc.text(tr) for tr in table.findall("w:tr", NS)]
    # A 党发 file is printed by the Party committee's office ([printers] of the new lzdocs.toml), not the 纪委's.
    assert rows == ["抄送：自治区高校工委，学校各位领导。", "中共内蒙古工业大学委员会办公室\t2026年11月28日印发"]
    for run in table.iter(w("r")):
        if doc.text(run).strip():
            assert size_pt(run) == 14 and val(run, "w:rPr/w:rFonts", "eastAsia") == "仿宋_GB2312"
    position = table.find("w:tblPr/w:tblpPr", NS)
    heights = [int(val(tr, "w:trPr/w:trHeight")) for tr in table.findall("w:tr", NS)]
    assert int(position.get(w("tblpY"))) + sum(heights) == PAGE.text_height  # last line on the 版心's bottom edge
    tops = [val(tr, "w:tc/w:tcPr/w:tcBorders/w:top", "sz") for tr in table.findall("w:tr", NS)]
    bottoms = [val(tr, "w:tc/w:tcPr/w:tcBorders/w:bottom", "sz") for tr in table.findall("w:tr", NS)]
    assert tops[0] == "8" and bottoms == ["6", "8"]  # thick first and last lines, a thin one between


def test_form_attachment_follows_on_a_landscape_section_headed_fujian(doc):
    heading = doc.find("附件")
    run = heading.find("w:r", NS)
    assert val(run, "w:rPr/w:rFonts", "eastAsia") == "黑体" and size_pt(run) == 16
    sect = heading.getprevious().find("w:pPr/w:sectPr", NS)
    assert sect is not None  # the attachment starts a new section (a new page)
    landscape = [s for s in doc.sections() if val(s, "w:pgSz", "orient") == "landscape"]
    assert len(landscape) == 1 and landscape[0].find("w:footerReference", NS) is None  # page numbers inherited
    form = next(t for t in doc.body.iter(w("tbl")) if "风险点描述" in doc.text(t))
    assert "岗位名称" in doc.text(form) and "防控措施" in doc.text(form)
    assert "岗位风险分析和防控措施表" in [doc.text(p) for p in doc.body.iter(w("p"))]


def test_issued_document_after_the_rule_starts_a_new_page_with_its_title(doc):
    title = doc.find("廉政风险防控工作细则")
    assert title.find("w:pPr/w:pageBreakBefore", NS) is not None
    assert val(title, "w:pPr/w:jc") == "center"
    assert {size_pt(r) for r in title.findall("w:r", NS)} == {22}

"""PDFs from LibreOffice: Chinese glyph forms, never Japanese; free faces of the right kind; replaced fonts reported."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pikepdf
import pytest
from docx import Document
from docx.oxml.ns import qn

from lzdocs.documents import letters as L
from lzdocs.documents import notice as N
from lzdocs.documents.blankform import write_docx
from lzdocs.documents.pdf import EmbeddedFont, font_warnings, replaced_fonts, to_pdf_many
from lzdocs.documents.publicity import publicity_context, write_publicity
from lzdocs.forms.schema import risk_kind
from lzdocs.ooxml.fonts import set_run_font
from lzdocs.ooxml.package import rewrite_package
from lzdocs.soffice import fontconfig_text
from lzdocs.store import Store
from lzdocs.workspace import SAMPLE, Workspace
from tests.conftest import run_cli

DAY = dt.date(2026, 11, 28)
# Characters whose Japanese forms differ from the Chinese ones (令 骨 直 角); 过 is the same in both.
VARIANTS = "令骨直角"
BODY = f"一、工作任务\n（一）排查范围\n请各单位于12月16日前报送，{VARIANTS}。\n"
MISSING_FONT = "演示用未安装字体"


def control(path, east_asia_lang: str, font: str = "仿宋_GB2312"):
    """A python-docx document of VARIANTS in ``font`` whose East-Asian language is ``east_asia_lang``."""
    doc = Document()
    lang = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    lang.set(qn("w:eastAsia"), east_asia_lang)
    set_run_font(doc.add_paragraph().add_run(VARIANTS), font, 16)
    doc.save(path)  # as python-docx writes it: no font table or language fix
    return path


def japanese_template(ws, name: str) -> None:
    """The workspace's template as a Word set up for Japanese saves it: East-Asian language ja-JP."""
    source = ws.root / "original.docx"
    shutil.copy(ws.template(name), source)

    def japanese(xml: bytes) -> bytes:
        return re.sub(rb'w:eastAsia="[a-z]{2}-[A-Z]{2}"', b'w:eastAsia="ja-JP"', xml)

    rewrite_package(source, ws.templates / name, {"word/styles.xml": japanese, "word/settings.xml": japanese})


def glyphs(pdf) -> dict[str, set[tuple[str, str]]]:
    """Each character drawn → {(font, glyph name)}; LibreOffice's subsets keep Noto CJK's CIDs as glyph names."""
    drawn: dict[str, set[tuple[str, str]]] = {}
    with pikepdf.open(pdf) as doc:
        for page in doc.pages:
            for font in page.obj.Resources.Font.values():
                descriptor = font.get("/FontDescriptor")
                program = descriptor and (descriptor.get("/FontFile") or descriptor.get("/FontFile3"))
                if program is None or "/ToUnicode" not in font:
                    continue
                names = dict(re.findall(rb"dup (\d+) ?/(\S+) put", program.read_bytes()))
                cmap = font.ToUnicode.read_bytes().decode("latin-1")
                for code, uni in re.findall(r"<([0-9A-F]{2})> <([0-9A-F]{4})>", cmap):
                    glyph = names.get(str(int(code, 16)).encode(), b"?").decode()
                    drawn.setdefault(chr(int(uni, 16)), set()).add((str(font.BaseFont).split("+")[-1], glyph))
    return drawn


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("pdf-fonts")
    ws, _ = Workspace.init(root / "ws", SAMPLE)
    (root / "body.txt").write_text(BODY, encoding="utf-8")
    japanese_template(ws, "问廉问责书.docx")
    store = Store.for_workspace(ws)
    try:
        office = L.LetterOffice(ws, store)
        letter = office.issue(office.prepare(L.KINDS["suggestion"], "计财处", {
            "事由": "在2026年度检查中", "问题": f"采购程序不规范，{VARIANTS}", "建议": "完善采购制度"}, DAY)).path
        japanese = office.issue(office.prepare(L.KINDS["accountability"], "基建处", {
            "对象": "基建处处长", "事由": "在工程项目专项检查中", "问题": f"工程变更未经审批，{VARIANTS}",
            "要求": "说明原因"}, DAY)).path
        notice = N.issue_notice(ws, store, N.prepare_notice(
            ws, title="关于开展廉政风险点排查工作的通知", body=root / "body.txt", date=DAY, today=DAY)).path
    finally:
        store.close()
    form = write_docx(risk_kind(), root / "form.docx", unit="计财处")
    publicity = root / "公示表.docx"
    write_publicity(ws.template("公示表.docx"), publicity, publicity_context(ws, 2026, DAY),
                    [{"unit": "计财处", "seq": "1", "post": "处长", "risk": f"审批{VARIANTS}", "level": "高"}])
    missing = Document()
    set_run_font(missing.add_paragraph().add_run("各单位"), MISSING_FONT, 16)
    missing.save(root / "missing.docx")
    docs = {"letter": letter, "japanese": japanese, "notice": notice, "form": form, "publicity": publicity,
            "ja": control(root / "ja.docx", "ja-JP"), "zh": control(root / "zh.docx", "zh-CN"),
            "missing": root / "missing.docx"}
    pdfs = to_pdf_many(list(docs.values()), root / "pdf", timeout=240)
    return {key: (docs[key], pdf) for key, pdf in zip(docs, pdfs)}


@pytest.mark.soffice
def test_the_controls_show_japanese_and_chinese_forms_differ(made):
    ja, zh = glyphs(made["ja"][1]), glyphs(made["zh"][1])
    for ch in VARIANTS:
        assert ja[ch] != zh[ch], ch


@pytest.mark.soffice
@pytest.mark.parametrize("kind", ["letter", "japanese", "notice", "publicity"])
def test_documents_draw_chinese_not_japanese_glyph_forms(made, kind):
    drawn, zh, ja = glyphs(made[kind][1]), glyphs(made["zh"][1]), glyphs(made["ja"][1])
    for ch in VARIANTS:
        assert drawn[ch] & zh[ch], (ch, drawn[ch], zh[ch])
        assert not drawn[ch] & ja[ch], (ch, drawn[ch])


@pytest.mark.soffice
@pytest.mark.skipif(not shutil.which("fc-list"), reason="需要 fontconfig")
def test_fangsong_and_kaiti_fall_back_to_a_serif_face_heiti_to_a_sans(made):
    families = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    if "仿宋_GB2312" in families or "Noto Serif CJK SC" not in families:
        pytest.skip("本机有仿宋_GB2312，或没有 Noto Serif CJK SC")
    drawn = glyphs(made["notice"][1])
    assert {font for font, _ in drawn["送"]} == {"NotoSerifCJKjp-Regular-VKana"}  # 仿宋 body text
    assert {font for font, _ in drawn["范"]} == {"NotoSerifCJKjp-Regular-VKana"}  # （一） in 楷体
    assert {font for font, _ in drawn["务"]} == {"NotoSansCJKjp-Regular-VKana"}  # 一、 in 黑体


@pytest.mark.soffice
def test_a_font_this_computer_lacks_is_reported_with_what_stood_in(made):
    docx, pdf = made["missing"]
    (warning,) = font_warnings(docx, pdf)
    assert f"{MISSING_FONT}→Noto" in warning
    assert f"请安装“{MISSING_FONT}”" in warning and "fc-cache -f" in warning


@pytest.mark.soffice
@pytest.mark.skipif(not shutil.which("fc-list"), reason="需要 fontconfig")
def test_notice_pdf_prints_the_replaced_fonts_as_a_reminder(workspace, tmp_path):
    if "方正小标宋简体" in subprocess.run(["fc-list", "family"], capture_output=True, text=True).stdout:
        pytest.skip("本机装有方正小标宋简体")
    (tmp_path / "正文.txt").write_text("请各单位于12月16日前报送。\n", encoding="utf-8")
    proc = run_cli("notice", "-w", workspace.root, "--title", "关于报送材料的通知", "--body", tmp_path / "正文.txt",
                   "--pdf", check=0)
    (line,) = [s for s in proc.stderr.splitlines() if "由相近字体代替" in s]
    assert line.startswith("提醒：本机没有安装文档用的") and "方正小标宋简体→" in line and "请安装" in line


def test_only_fonts_missing_from_the_pdf_are_reported_and_only_for_their_kind_of_text():
    embedded = [EmbeddedFont("FangSong_GB2312", True), EmbeddedFont("NotoSerifCJKjp-Regular-VKana", True),
                EmbeddedFont("TimesNewRomanPSMT", False)]
    assert replaced_fonts(["仿宋_GB2312", "方正小标宋简体", "Times New Roman"], embedded) == {
        "方正小标宋简体": ["Noto Serif CJK"]}
    # nothing stands in for Latin text: a Latin font that draws nothing is not reported
    assert replaced_fonts(["Arial"], [EmbeddedFont("FangSong_GB2312", True)]) == {}
    assert replaced_fonts(["Times New Roman"], [EmbeddedFont("LiberationSerif", False)]) == {}  # same metrics


def test_fontconfig_maps_official_names_to_the_nearest_free_face_and_never_fangsong_to_a_sans():
    free = {"Noto Serif CJK SC", "Noto Sans CJK SC"}
    conf = fontconfig_text(free, "/etc/fonts/fonts.conf")
    assert "<include ignore_missing=\"yes\">/etc/fonts/fonts.conf</include>" in conf
    assert "<family>仿宋_GB2312</family><accept><family>Noto Serif CJK SC</family></accept>" in conf
    assert "<family>黑体</family><accept><family>Noto Sans CJK SC</family></accept>" in conf
    assert ('<test name="family"><string>方正小标宋简体</string></test><edit name="weight" mode="assign">'
            "<const>bold</const>") in conf
    real = fontconfig_text(free | {"方正小标宋简体"}, "/etc/fonts/fonts.conf")  # installed: never made bolder
    assert "<string>方正小标宋" not in real
    with_fangsong = fontconfig_text(free | {"FangSong"}, "/etc/fonts/fonts.conf")
    assert "<family>仿宋_GB2312</family><accept><family>FangSong</family><family>Noto Serif CJK SC" in with_fangsong
    sans_only = fontconfig_text({"WenQuanYi Zen Hei"}, "/etc/fonts/fonts.conf")
    assert "仿宋" not in sans_only and "<family>黑体</family><accept><family>WenQuanYi Zen Hei" in sans_only
    assert fontconfig_text({"DejaVu Sans"}, "/etc/fonts/fonts.conf") is None

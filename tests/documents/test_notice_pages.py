"""A notice with its 版记 has an even number of pages: a blank page without a page number goes before the 版记
when the text ends on an even page (GB/T 9704-2012: the 版记 is on the back of the last sheet)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile

import pytest
from docx import Document
from docx.oxml.ns import qn

from lzdocs.documents import gbt9704 as gb
from lzdocs.documents import notice as N
from lzdocs.documents.markdown_body import parse_body
from lzdocs.documents.pages import count_pages, stated_pages

DATE = dt.date(2026, 11, 28)
PARA = ("为深入贯彻落实全面从严治党要求，切实加强廉政风险防控工作，"
        "各单位要认真组织开展岗位廉政风险点排查，确保按时完成。")
TITLE = "关于开展2026年度廉政风险点排查和防控工作的通知"


def body(paragraphs: int, *, markdown: bool = False) -> tuple:
    """``paragraphs`` paragraphs of one to three lines; in Markdown with a heading and a table."""
    lines = [PARA if i % 3 == 0 else f"{i + 1}．" + PARA[: 20 + (i * 7) % 40] for i in range(paragraphs)]
    if markdown:
        text = "## 一、总体要求\n\n" + "\n\n".join(lines) + "\n\n| 阶段 | 时间 |\n|---|---|\n| 自查 | 12月1日前 |\n"
    else:
        text = "\n".join(lines)
    return tuple(parse_body(text, markdown=markdown))


def render(workspace, path, paragraphs: int, *, markdown: bool = False, attachments=()):
    text = body(paragraphs, markdown=markdown) if paragraphs else tuple(parse_body("请按时报送。", markdown=False))
    notice = N.prepare_notice(workspace, title=TITLE, body=text,
                              attachments=attachments, cc="学校各位领导", date=DATE, today=DATE)
    N.render_notice(notice, "内工大党发〔2026〕1号", path)
    return path


def blank_page_before_colophon(path) -> bool:
    body = Document(str(path)).element.body
    closing = body.findall(f"{qn('w:p')}/{qn('w:pPr')}/{qn('w:sectPr')}")[-1].getparent().getparent()
    breaks = [p.find(f"{qn('w:pPr')}/{qn('w:pageBreakBefore')}") for p in closing.itersiblings(qn("w:p"))]
    return any(b is not None for b in breaks)


def test_one_page_of_text_and_the_colophon_make_two_pages_without_a_blank_one(workspace, tmp_path):
    path = render(workspace, tmp_path / "one.docx", 1)
    assert not blank_page_before_colophon(path)
    assert count_pages(Document(str(path)).element.body, spacing=gb.PAGE.condense) == [1, 1]


def test_two_pages_of_text_get_a_blank_page_before_the_colophon(workspace, tmp_path):
    path = render(workspace, tmp_path / "two.docx", 2)  # the signature chain moves to page 2
    assert blank_page_before_colophon(path)
    doc = Document(str(path))
    last = doc.sections[-1]
    assert not last.footer.paragraphs[0].text and not last.even_page_footer.paragraphs[0].text


def _word_saved(path, pages: int):
    """A .docx whose docProps/app.xml says what Word would: its pages and characters."""
    doc = Document()
    doc.add_paragraph("各单位联系人名单")
    doc.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    app = parts["docProps/app.xml"].decode()
    app = re.sub(r"<Pages>\d+</Pages>", f"<Pages>{pages}</Pages>", app)
    parts["docProps/app.xml"] = re.sub(r"<Characters>\d+</Characters>", "<Characters>480</Characters>", app).encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def test_an_attachment_counts_with_the_pages_word_saved(workspace, tmp_path):
    two = _word_saved(tmp_path / "附件-名单两页.docx", 2)
    one = _word_saved(tmp_path / "附件-名单一页.docx", 1)
    assert stated_pages(two) == 2 and stated_pages(one) == 1
    plain = tmp_path / "plain.docx"
    Document().save(plain)
    assert stated_pages(plain) is None  # python-docx's template says "1 page" of nothing: not believed
    # One line of text: the notice itself is one page, then the attachment as many as Word said.
    assert not blank_page_before_colophon(render(workspace, tmp_path / "a.docx", 0, attachments=(str(two),)))
    assert blank_page_before_colophon(render(workspace, tmp_path / "b.docx", 0, attachments=(str(one),)))


# --- as LibreOffice lays them out ----------------------------------------------------------------------

CASES = {"txt01": dict(paragraphs=1), "txt02": dict(paragraphs=2), "txt09": dict(paragraphs=9),
         "txt10": dict(paragraphs=10), "txt17": dict(paragraphs=17), "txt18": dict(paragraphs=18),
         "md09": dict(paragraphs=9, markdown=True), "md10": dict(paragraphs=10, markdown=True),
         "form01": dict(paragraphs=1, attachments=("form",)), "form02": dict(paragraphs=2, attachments=("form",))}


@pytest.fixture(scope="module")
def laid_out(tmp_path_factory):
    from lzdocs.documents.pdf import to_pdf_many
    from lzdocs.workspace import SAMPLE, Workspace

    root = tmp_path_factory.mktemp("pages")
    ws, _ = Workspace.init(root / "ws", SAMPLE)
    paths = {name: render(ws, root / f"{name}.docx", **case) for name, case in CASES.items()}
    pdfs = to_pdf_many(list(paths.values()), root / "pdf", timeout=600)
    return {name: (paths[name], pdf) for name, pdf in zip(paths, pdfs)}


def _pdf_pages(pdf) -> list[str]:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [re.sub(r"\s+", "", page) for page in text.split("\f")[:-1]]


@pytest.mark.soffice
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="需要 pdftotext")
@pytest.mark.parametrize("name", list(CASES))
def test_every_length_around_a_page_boundary_prints_an_even_number_of_pages(laid_out, name):
    docx, pdf = laid_out[name]
    pages = _pdf_pages(pdf)
    assert len(pages) % 2 == 0, len(pages)
    assert pages[-1].endswith("2026年11月28日印发") and not re.search(r"—\d+—", pages[-1])
    numbered = [p for p in pages if re.search(r"—\d+—", p)]  # a table's cells may follow the footer in the text
    assert [re.search(r"—(\d+)—", p).group(1) for p in numbered] == [str(n) for n in range(1, len(numbered) + 1)]
    assert pages[len(numbered):-1] == [""] * (len(pages) - len(numbered) - 1)  # at most one blank page, unnumbered
    assert blank_page_before_colophon(docx) == (len(pages) - len(numbered) == 2)

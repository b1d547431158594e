"""Notices open in LibreOffice: one shared conversion to PDF, then pages, text and positions checked."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest
from lxml import etree

from lzdocs.demo.steps import NOTICE_TITLE, notice_body
from lzdocs.documents import notice as N
from lzdocs.store import Store
from lzdocs.workspace import SAMPLE, Workspace

pytestmark = [pytest.mark.soffice, pytest.mark.skipif(shutil.which("pdftotext") is None, reason="需要 pdftotext")]

PT_PER_MM = 72 / 25.4
DATE = dt.date(2026, 11, 28)
SHORT = "为做好廉政风险点排查工作，请各单位于11月16日前报送。\n"


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    from lzdocs.documents.pdf import to_pdf_many

    root = tmp_path_factory.mktemp("notice-pdf")
    ws, _ = Workspace.init(root / "ws", SAMPLE)
    (root / "short.txt").write_text(SHORT, encoding="utf-8")
    store = Store.for_workspace(ws)
    try:
        short = N.issue_notice(ws, store, N.prepare_notice(
            ws, title="关于开展廉政风险点排查工作的通知", body=root / "short.txt", attachments=("form",),
            cc="学校各位领导", date=DATE, today=DATE))
        plan = N.issue_notice(ws, store, N.prepare_notice(
            ws, title=NOTICE_TITLE, body=notice_body(2026), attachments=("form",), date=DATE, today=DATE))
    finally:
        store.close()
    made = to_pdf_many([short.path, plan.path], root / "pdf", timeout=240)
    return {"short": made[0], "plan": made[1], "numbers": (str(short.number), str(plan.number))}


def pages(pdf) -> list[str]:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def lines(pdf, page: int) -> list[tuple[float, float, str]]:
    """(yMin, yMax, text) of each text line on one page, in points from the top."""
    xml = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-bbox-layout", str(pdf), "-"],
                         capture_output=True, check=True).stdout
    root = etree.fromstring(xml, etree.XMLParser(recover=True))
    return [(float(line.get("yMin")), float(line.get("yMax")), "".join(w.text or "" for w in line.iter("{*}word")))
            for line in root.iter("{*}line")]


def test_short_notice_is_one_page_then_the_form_then_a_blank_page_and_the_colophon_page(pdfs):
    short = pages(pdfs["short"])
    assert len(short) == 4  # even: the 版记 is on the back of the last sheet
    first, form, blank, colophon = (squeeze(p) for p in short)
    assert blank == ""  # no page number on the blank page before the 版记 (GB/T 9704-2012 §7.5)
    assert first.startswith("中共内蒙古工业大学委员会文件" + pdfs["numbers"][0])
    assert "关于开展廉政风险点排查工作的通知" in first and "各部门、各单位：" in first
    assert "附件：岗位风险分析和防控措施表" in first and first.endswith("2026年11月28日—1—")
    assert form.startswith("附件岗位风险分析和防控措施表") and "风险点描述" in form and form.endswith("—2—")
    assert colophon == "抄送：学校各位领导。中共内蒙古工业大学委员会办公室2026年11月28日印发"  # no page number


def test_colophon_ends_on_the_bottom_edge_of_the_text_block(pdfs):
    *_, printed = lines(pdfs["short"], 4)
    assert "印发" in printed[2]
    bottom = (297 - 35) * PT_PER_MM
    assert bottom - 12 < printed[1] <= bottom + 1


def test_masthead_starts_35_mm_below_the_top_of_the_text_block(pdfs):
    top, _, text = lines(pdfs["short"], 1)[0]
    assert text == "中共内蒙古工业大学委员会文件"
    assert abs(top / PT_PER_MM - (37 + 35)) < 4


def test_long_notice_numbers_its_pages_and_leaves_the_colophon_page_blank(pdfs):
    plan = pages(pdfs["plan"])
    assert len(plan) >= 12 and len(plan) % 2 == 0
    numbered = [p for p in plan if re.search(r"—\s*\d+\s*—", p)]
    for number, page in enumerate(numbered, 1):
        assert squeeze(page).endswith(f"—{number}—"), number
    assert plan[:len(numbered)] == numbered  # the unnumbered pages (a blank one, the 版记) come last
    assert len(plan) - len(numbered) in (1, 2) and all(squeeze(p) == "" for p in plan[len(numbered):-1])
    assert not re.search(r"—\s*\d+\s*—", plan[-1])
    text = squeeze("".join(plan))
    assert pdfs["numbers"][1] in text and "〔2026〕" in text
    assert "关于印发《廉政风险防控机制建设工作实施方案》的通知" in text
    assert "内蒙古工业大学廉政风险防控机制建设工作实施方案" in text
    assert squeeze(numbered[-1]).startswith("附件岗位风险分析和防控措施表")
    for mark in ("#", "**", "---"):
        assert mark not in text


def test_a_full_page_of_body_text_is_22_lines_of_28_characters(pdfs):
    body = [(top, text) for top, _, text in lines(pdfs["plan"], 4) if not re.fullmatch(r"—\d+—", text)]
    assert len(body) == 22
    pitches = [b[0] - a[0] for a, b in zip(body, body[1:])]
    assert all(abs(p - 28.95) < 0.2 for p in pitches)
    # A closing mark may hang past the right edge (标点悬挂), as Word and WPS also allow.
    widths = [len(text[:-1] if text[-1] in "，。、；：！？”）》" else text) for _, text in body
              if re.fullmatch(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”]+", text)]
    assert max(widths) == 28 and widths.count(28) >= 5

"""The registers and the 公示表 open in LibreOffice: one shared headless conversion to PDF, then the text checked."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from register_samples import TODAY, YEAR, populate

from lzdocs.documents.registers import write_registers
from lzdocs.store import Store
from lzdocs.workspace import SAMPLE, Workspace

PT_PER_MM = 72 / 25.4

pytestmark = pytest.mark.soffice


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    from lzdocs.documents.pdf import to_pdf_many

    root = tmp_path_factory.mktemp("pdf")
    ws, _ = Workspace.init(root / "ws", SAMPLE)
    store = Store.for_workspace(ws)
    try:
        populate(store)
        result = write_registers(ws, store, YEAR, TODAY)
    finally:
        store.close()
    made = to_pdf_many(result.files, root / "pdf", timeout=240)
    return {source.name: pdf for source, pdf in zip(result.files, made)}


def pdf_text(path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("需要 pdftotext")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_every_register_converts(pdfs):
    assert sorted(pdfs) == sorted(["2026年廉政风险点汇总表.xlsx", "报送情况登记表.xlsx", "发文登记簿.xlsx",
                                   "预警处置台账.xlsx", "2026年廉政风险点公示表.docx"])
    assert all(p.stat().st_size > 1000 and p.read_bytes().startswith(b"%PDF") for p in pdfs.values())


def test_summary_pdf_shows_title_rows_levels_and_the_statistics_sheet(pdfs):
    text = pdf_text(pdfs["2026年廉政风险点汇总表.xlsx"])
    for expected in ("2026年廉政风险点汇总表", "挪用公款", "一级", "二级", "三级", "统计表", "合计", "历史版本",
                     "=HYPERLINK(", "+1+1", "-2+3", "@SUM(A1)"):  # shown as text, never computed
        assert expected in text.replace(" ", ""), expected


def test_submission_register_pdf_shows_the_states(pdfs):
    text = pdf_text(pdfs["报送情况登记表.xlsx"])
    for expected in ("报送情况登记表", "按时报送", "逾期报送", "未报送", "后勤管理处"):
        assert expected in text, expected


def test_letter_registers_pdf(pdfs):
    assert "内工大纪建〔2026〕1号" in pdf_text(pdfs["发文登记簿.xlsx"])
    assert "已逾期" in pdf_text(pdfs["预警处置台账.xlsx"])


def test_publicity_pdf_is_landscape_with_the_table(pdfs):
    path = pdfs["2026年廉政风险点公示表.docx"]
    text = pdf_text(path)
    assert "廉政风险点公示表" in text.replace(" ", "") and "挪用公款" in text and "防控措施" in text
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", path.read_bytes())
    assert boxes, "no page size in the PDF"
    sizes = {(round(float(w) / PT_PER_MM), round(float(h) / PT_PER_MM)) for w, h in boxes}
    assert sizes == {(297, 210)}  # A4 landscape, every page

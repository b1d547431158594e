"""The registers and the 公示表 open in LibreOffice: one shared headless conversion to PDF, then the text checked."""

from __future__ import annotations

import datetime as dt
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


def test_publicity_pdf_is_a4_landscape_on_every_page(pdfs):
    assert set(page_sizes_mm(pdfs["2026年廉政风险点公示表.docx"])) == {(297, 210)}  # A4 landscape, every page


def test_publicity_pdf_shows_the_table(pdfs):
    text = pdf_text(pdfs["2026年廉政风险点公示表.docx"])
    assert "廉政风险点公示表" in text.replace(" ", "") and "挪用公款" in text and "防控措施" in text


# --- printing: a long register, and 公示表 whose signature would fall on a page of its own -------------------------
LONG = 150  # risk points of one unit: several pages of 汇总
SWEEP = range(12, 30)  # 公示表 row counts around the end of the first page


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """A year with one long form (no superseded ones) and the 公示表 for each row count of SWEEP, in one soffice run."""
    from lzdocs.documents.pdf import to_pdf_many
    from lzdocs.documents.publicity import publicity_context, write_publicity
    from lzdocs.store.submissions import add_submission

    root = tmp_path_factory.mktemp("printed")
    ws, _ = Workspace.init(root / "ws", SAMPLE)
    store = Store.for_workspace(ws)
    rows = [{"seq": str(i), "post": f"岗位{i}", "duties": "负责本单位经费的审核、审批和监督管理工作",
             "risk": f"在第{i}项业务中利用职务便利违规操作、收受好处", "category": "业务流程", "level": i % 3 + 1,
             "measures": "严格执行集体决策和公开公示制度；关键环节双人负责、定期轮岗", "owner": "李四", "row": i + 3}
            for i in range(1, LONG + 1)]
    try:
        with store.begin() as conn:
            add_submission(conn, rows=rows, sha256="f" * 64, kind="risk", status="accepted", unit="组织部", year=YEAR,
                           filled_date=dt.date(2026, 11, 3), received_at=dt.datetime(2026, 11, 3, 9),
                           original_name="组织部.docx", source="inbox/组织部.docx",
                           stored_as="outbox/2026/收文/组织部/组织部-2026年廉政风险点排查表.docx")
        result = write_registers(ws, store, YEAR, TODAY)
    finally:
        store.close()
    context = {**publicity_context(ws, YEAR, TODAY), "phone": "0471-6575000", "email": "jiwei@example.edu.cn"}
    sweep = []
    for n in SWEEP:
        sweep.append(root / f"公示表{n:03d}.docx")
        write_publicity(ws.template("公示表.docx"), sweep[-1], context,
                        [{"unit": "计划财务处", "post": "出纳", "risk": f"风险{i}", "level": "二级", "measures": "措施"}
                         for i in range(n)])
    made = to_pdf_many([*result.files, *sweep], root / "pdf", timeout=400)
    return dict(zip([p.name for p in result.files], made)), dict(zip(SWEEP, made[len(result.files):]))


def pages_text(path) -> list[str]:
    """The text of each page, spaces removed (LibreOffice spaces CJK and digits apart)."""
    text = pdf_text(path)
    return [page.replace(" ", "") for page in text.split("\f")[:-1]]


def page_sizes_mm(path) -> list[tuple[int, int]]:
    import pikepdf

    with pikepdf.open(path) as pdf:
        return [(round(float(p.mediabox[2]) / PT_PER_MM), round(float(p.mediabox[3]) / PT_PER_MM)) for p in pdf.pages]


def test_a_long_register_prints_on_several_a4_landscape_pages(printed):
    sizes = page_sizes_mm(printed[0]["2026年廉政风险点汇总表.xlsx"])
    assert len(sizes) >= 4 and set(sizes) == {(297, 210)}


def test_a_long_register_prints_the_header_row_and_page_numbers_on_every_page(printed):
    path = printed[0]["2026年廉政风险点汇总表.xlsx"]
    pages = pages_text(path)
    assert len(pages) == len(page_sizes_mm(path))
    summary = [p for p in pages if "统计表" not in p]
    assert len(summary) >= 3 and all("风险点描述" in p and "防控措施" in p for p in summary)
    assert all(f"第{i}页共{len(pages)}页" in p for i, p in enumerate(pages, 1))
    assert sum(p.count("组织部") for p in summary) == LONG


def test_the_long_register_leaves_the_file_paths_out_and_prints_no_empty_history(printed):
    pages = pages_text(printed[0]["2026年廉政风险点汇总表.xlsx"])
    assert not any("来源文件" in p or "outbox/2026" in p for p in pages)
    assert not any("历史版本" in p for p in pages)  # nothing was superseded: no 历史 page
    status = pages_text(printed[0]["报送情况登记表.xlsx"])
    assert not any("当前文件" in p or "outbox/2026" in p for p in status)


def test_statistics_print_every_roster_unit_and_the_chart(printed):
    pages = pages_text(printed[0]["2026年廉政风险点汇总表.xlsx"])
    stats = "".join(p for p in pages if "统计表" in p)
    for unit in ("党政办公室", "图书馆", "组织部"):
        assert unit in stats
    assert stats.count("未报送") == 12 and "各等级风险点数" in stats  # 13 roster units, one reported


def test_registers_print_at_70_percent_or_more(printed):
    """The header (10.5 pt 黑体) as printed: a CJK character is 1 em, so its width tells the print scale."""
    for name, word in (("2026年廉政风险点汇总表.xlsx", "风险点描述"), ("报送情况登记表.xlsx", "最近退回原因"),
                       ("发文登记簿.xlsx", "主送单位"), ("预警处置台账.xlsx", "回复期限")):
        boxes = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(printed[0][name]), "-"],
                               capture_output=True, text=True, check=True).stdout
        found = re.search(rf'xMin="([\d.]+)"[^>]*xMax="([\d.]+)"[^>]*>{word}<', boxes)
        assert found, name
        scale = (float(found[2]) - float(found[1])) / (len(word) * 10.5)
        assert scale >= 0.70, f"{name}: {scale:.0%}"


def test_the_publicity_signature_never_stands_alone_on_the_last_page(printed):
    sweep = printed[1]
    crossed = 0
    for n, path in sweep.items():
        pages = pages_text(path)
        last = pages[-1]
        assert "内蒙古工业大学纪委办公室" in last and "2026年11月28日" in last, n
        assert f"风险{n - 1}" in last, f"{n} 行：最后一页只有落款"  # the last risk point goes with it
        if len(pages) > 1:
            crossed += 1
            assert "风险点描述" in last  # the header row repeated over it
    assert 0 < crossed < len(sweep)  # the sweep did run over the end of the first page

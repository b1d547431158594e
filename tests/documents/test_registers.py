"""The registers as a clerk opens them in Excel: every current risk point once, counts that add up, every
unit's state."""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from collections import Counter

import pytest
import time_machine
from openpyxl import load_workbook
from register_samples import CURRENT, SUPERSEDED, TODAY, YEAR, current_texts, populate

from lzdocs.documents.registers import register_paths, write_registers
from lzdocs.documents.status import submission_status

pytestmark = pytest.mark.both_backends  # the archive on SQLite and on PostgreSQL

LEVELS = {"一级": 1, "二级": 2, "三级": 3}


@pytest.fixture
def written(workspace, store):
    """A year of the archive and its registers, for a test that changes them."""
    populate(store)
    result = write_registers(workspace, store, YEAR, TODAY)
    return workspace, store, result


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """The same, written once for the tests that only read it."""
    from lzdocs.store import Store
    from lzdocs.workspace import SAMPLE, Workspace

    ws, _ = Workspace.init(tmp_path_factory.mktemp("registers") / "ws", SAMPLE)
    store = Store.for_workspace(ws)
    populate(store)
    yield ws, store, write_registers(ws, store, YEAR, TODAY)
    store.close()


def data_rows(ws_sheet, header_row: int) -> list[dict]:
    rows = list(ws_sheet.iter_rows(min_row=header_row, values_only=True))
    header = rows[0]
    return [dict(zip(header, r)) for r in rows[1:] if any(v is not None for v in r)]


def test_writes_the_five_files_of_the_year(shared):
    ws, _, result = shared
    paths = register_paths(ws, YEAR)
    assert result.files == [paths[k] for k in ("risks", "status", "documents", "warnings", "publicity")]
    assert all(p.is_file() for p in result.files) and not result.failed
    assert paths["risks"].relative_to(ws.root).as_posix() == "outbox/2026/登记簿/2026年廉政风险点汇总表.xlsx"
    assert paths["publicity"].relative_to(ws.root).as_posix() == "outbox/2026/公示/2026年廉政风险点公示表.docx"


def test_summary_has_every_current_risk_point_exactly_once_with_its_level(shared):
    ws, _, _ = shared
    book = load_workbook(register_paths(ws, YEAR)["risks"])
    # 变化: against the forms each replaced; no 案例分析: no cases; 质量: the quality review's hints
    assert book.sheetnames == ["汇总", "统计", "历史", "变化", "质量"]
    rows = data_rows(book["汇总"], 3)
    texts = Counter(r["风险点描述"] for r in rows)
    assert texts == Counter(current_texts().keys())
    for r in rows:
        unit, level = current_texts()[r["风险点描述"]]
        assert (r["单位"], LEVELS[r["风险等级"]]) == (unit, level)
    first = next(r for r in rows if r["风险点描述"] == "挪用公款")
    assert first["岗位名称"] == "出纳" and first["责任人"] == "张三" and first["序号"] == 1
    assert first["填表日期"].date().isoformat() == "2026-11-10"
    assert first["来源文件"] == "outbox/2026/收文/计划财务处/计划财务处-1.docx"


def test_summary_follows_the_roster_order_and_leaves_out_other_years(shared):
    ws, _, _ = shared
    rows = data_rows(load_workbook(register_paths(ws, YEAR)["risks"])["汇总"], 3)
    units = list(dict.fromkeys(r["单位"] for r in rows))
    assert units == [u for u in ws.roster().names if u in CURRENT] + ["网络与信息中心"]  # roster order, then others
    assert "二〇二五年的风险点" not in {r["风险点描述"] for r in rows}


def test_superseded_risk_points_are_only_in_history_with_their_replacement(shared):
    ws, _, _ = shared
    book = load_workbook(register_paths(ws, YEAR)["risks"])
    old = {r["risk"] for r in SUPERSEDED}
    assert not old & {r["风险点描述"] for r in data_rows(book["汇总"], 3)}
    history = data_rows(book["历史"], 3)
    assert {r["风险点描述"] for r in history} == old
    assert {r["被替换为"] for r in history} == {"outbox/2026/收文/基建处/基建处-3.docx"}
    assert {r["来源文件"] for r in history} == {"outbox/2026/收文/基建处/基建处-2.docx"}


def test_statistics_are_values_that_equal_the_summary_rows(shared):
    ws, _, _ = shared
    book = load_workbook(register_paths(ws, YEAR)["risks"])
    rows = data_rows(book["汇总"], 3)
    stats = list(book["统计"].iter_rows(min_row=4, values_only=True))
    by_unit = {r[0]: r[1:5] for r in stats if r[0] and r[0] not in ("合计", "风险等级") and r[0] not in LEVELS}
    expected = Counter((r["单位"], LEVELS[r["风险等级"]]) for r in rows)
    for unit in {r["单位"] for r in rows}:
        counts = [expected[(unit, level)] for level in (1, 2, 3)]
        assert list(by_unit[unit]) == [*counts, sum(counts)]
    total = next(r for r in stats if r[0] == "合计")
    level_totals = Counter(LEVELS[r["风险等级"]] for r in rows)
    assert list(total[1:5]) == [level_totals[1], level_totals[2], level_totals[3], len(rows)]
    block = {r[0]: r[1] for r in stats if r[0] in LEVELS}
    assert block == {name: level_totals[n] for name, n in LEVELS.items()}
    assert all(not isinstance(v, str) or not v.startswith("=") for r in stats for v in r)  # values, not formulas
    assert len(book["统计"]._charts) == 1


def test_submission_register_lists_every_roster_unit_with_its_state(shared):
    ws, _, _ = shared
    rows = {r["单位"]: r for r in data_rows(load_workbook(register_paths(ws, YEAR)["status"])["报送情况"], 3)}
    roster = ws.roster().names
    assert list(rows)[:len(roster)] == roster
    states = {unit: r["报送状态"] for unit, r in rows.items()}
    assert states["计划财务处"] == states["基建处"] == states["图书馆"] == "按时报送"
    assert states["教务处"] == "逾期报送"
    assert {u for u, s in states.items() if s == "未报送"} == set(roster) - set(CURRENT)
    assert rows["基建处"]["版本数"] == 2 and rows["基建处"]["风险点数"] == 3
    assert rows["基建处"]["当前文件"] == "outbox/2026/收文/基建处/基建处-3.docx"
    assert rows["图书馆"]["退回次数"] == 1 and rows["图书馆"]["最近退回时间"] is not None
    assert rows["图书馆"]["最近退回原因"] is None  # settled by the form accepted after it (REJECTION no longer shown)
    assert rows["后勤管理处"]["报送状态"] == "未报送" and rows["后勤管理处"]["最近退回原因"] == "没有找到风险点表格"
    assert rows["教务处"]["备注"] == "逾期 4 天"
    assert rows["网络与信息中心"]["备注"] == "不在单位名单中"
    assert rows["计划财务处"]["首次收取时间"].isoformat() == "2026-11-10T09:00:00"
    subtitle = load_workbook(register_paths(ws, YEAR)["status"])["报送情况"]["A2"].value
    assert "（按收到日期即表格到达之日判断；收取时间是收取入库之时）" in subtitle  # two dates a row shows, told apart


def test_status_states_are_disjoint_and_match_the_register(shared):
    ws, store, _ = shared
    status = submission_status(ws, store, YEAR, TODAY).as_dict()
    assert status["submitted"] == ["计划财务处", "基建处", "图书馆", "网络与信息中心"]
    assert status["late"] == ["教务处"]
    assert not set(status["submitted"]) & set(status["late"])
    assert set(status["missing"]) == set(ws.roster().names) - set(CURRENT)
    assert status["levels"] == {"1": 3, "2": 4, "3": 3}
    assert [(o["number"], o["days_overdue"]) for o in status["overdue"]] == [("内工大纪建〔2026〕1号", 3)]


def test_letters_fill_the_document_register_and_the_warning_ledger(shared):
    ws, _, _ = shared
    paths = register_paths(ws, YEAR)
    docs = data_rows(load_workbook(paths["documents"])["发文登记簿"], 2)
    assert [d["顺序号"] for d in docs] == [1, 2, 3, 4]
    assert docs[0]["文号"] == "内工大纪建〔2026〕1号" and docs[0]["文种"] == "纪检监察建议书"
    assert docs[0]["主送单位"] == "基建处" and docs[0]["份数"] == 1
    assert [d["文种"] for d in docs[1:]] == ["责令检查整改通知书", "催报通知", "通报"]  # a notice keeps its own 文种
    ledger = {w["文号"]: w for w in data_rows(load_workbook(paths["warnings"])["预警处置台账"], 3)}
    assert {n: w["状态"] for n, w in ledger.items()} == {
        "内工大纪建〔2026〕1号": "已逾期", "内工大纪改〔2026〕1号": "已回复", "内工大纪催〔2026〕1号": "未到期"}
    assert ledger["内工大纪改〔2026〕1号"]["备注"] == "逾期 1 天后回复"


def test_registers_without_letters_have_a_header_only(workspace, store):
    populate(store, letters=False)
    write_registers(workspace, store, YEAR, TODAY)
    paths = register_paths(workspace, YEAR)
    docs = load_workbook(paths["documents"])["发文登记簿"]
    assert [c.value for c in docs[2]] == ["顺序号", "成文日期", "文号", "标题", "主送单位", "文种", "份数", "状态",
                                          "备注", "文件"]
    assert data_rows(docs, 2) == []
    ledger = load_workbook(paths["warnings"])["预警处置台账"]
    assert [c.value for c in ledger[3]][:7] == ["文号", "单位", "文种", "发出日期", "回复期限", "回复日期", "状态"]
    assert data_rows(ledger, 3) == []


def test_sheets_are_set_up_as_an_office_would(shared):
    ws, _, _ = shared
    sheet = load_workbook(register_paths(ws, YEAR)["risks"])["汇总"]
    # the title is centred over the printed columns (to 案例, K); the filter takes in 来源文件 (L), the print does not
    assert sheet["A1"].value == "内蒙古工业大学2026年廉政风险点汇总表" and "A1:K1" in sheet.merged_cells
    assert sheet.freeze_panes == "A4"
    assert sheet.auto_filter.ref == f"A3:L{sheet.max_row}"
    assert sheet.print_title_rows == "$3:$3"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.page_setup.fitToWidth in (None, 1) and sheet.sheet_properties.pageSetUpPr.fitToPage  # 1: the default
    assert 20 <= sheet.column_dimensions["H"].width <= 36  # 防控措施: the blank form's 36, narrowed to fit the page
    body = sheet["H4"]
    assert body.alignment.wrap_text and body.font.name == "宋体" and body.border.left.style == "thin"


def test_level_cells_are_coloured_by_level(shared):
    ws, _, _ = shared
    sheet = load_workbook(register_paths(ws, YEAR)["risks"])["汇总"]
    fills = {row[6].value: row[6].fill.fgColor.rgb[-6:] for row in sheet.iter_rows(min_row=4)}  # ARGB: no alpha
    assert fills == {"一级": "FFC7CE", "二级": "FCD5B4", "三级": "FFF2CC"}


def test_rebuilding_is_idempotent_and_leaves_no_temporary_files(written):
    ws, store, first = written
    before = {p: _sheets_xml(p) for p in first.files if p.suffix == ".xlsx"}
    again = write_registers(ws, store, YEAR, TODAY)
    assert again.files == first.files
    assert {p: _sheets_xml(p) for p in before} == before
    leftovers = [p.name for p in ws.year_dir(YEAR).rglob("*") if p.name.startswith(".") or ".part" in p.name]
    assert leftovers == []


def _sheets_xml(path) -> dict:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")}


def test_a_register_open_in_excel_is_reported_and_the_others_are_written(written, monkeypatch):
    ws, store, _ = written
    import lzdocs.fsutil as writer  # where every output file is put in place

    locked = register_paths(ws, YEAR)["status"]
    real_replace = writer.os.replace

    def replace(src, dst):
        if str(dst) == str(locked):
            raise PermissionError(13, "Permission denied", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(writer.os, "replace", replace)
    result = write_registers(ws, store, YEAR, TODAY)
    assert result.failed == [locked]
    assert locked not in result.files and len(result.files) == 4
    assert any("报送情况登记表.xlsx：无法替换" in w for w in result.warnings)
    assert not [p for p in locked.parent.iterdir() if ".part" in p.name]


def test_a_year_without_forms_lists_every_unit_as_missing(workspace, store):
    result = write_registers(workspace, store, 2030, TODAY)
    assert not result.failed
    rows = data_rows(load_workbook(register_paths(workspace, 2030)["status"])["报送情况"], 3)
    assert {r["报送状态"] for r in rows} == {"未报送"} and len(rows) == len(workspace.roster().names)
    assert data_rows(load_workbook(register_paths(workspace, 2030)["risks"])["汇总"], 3) == []


@pytest.mark.parametrize("days", [-400, 0, 5 * 365], ids=["local-clock-behind", "same-clock", "local-clock-ahead"])
def test_temporary_files_of_a_killed_run_are_cleaned_up_whatever_the_local_clock(written, days):
    """Ages are read on the file system's clock: a share's server may be hours or years from this machine's."""
    ws, store, _ = written
    folder = register_paths(ws, YEAR)["risks"].parent
    stale, fresh = folder / ".报送情况登记表.0badc0de.part.xlsx", folder / ".报送情况登记表.1badc0de.part.xlsx"
    fresh.write_bytes(b"another run writing now")
    stale.write_bytes(b"half")
    written_now = fresh.stat().st_mtime_ns
    os.utime(stale, ns=(written_now - 11 * 60 * 10**9,) * 2)  # 11 minutes older, by the disk's own clock
    with time_machine.travel(dt.datetime.now().astimezone() + dt.timedelta(days=days)):
        write_registers(ws, store, YEAR, TODAY)
    assert not stale.exists() and fresh.exists()


def test_a_letter_rewrites_only_the_document_register_and_the_ledger(written):
    from lzdocs.documents.letters import KINDS, LetterOffice
    from lzdocs.documents.registers import LETTER_BOOKS

    ws, store, _ = written
    paths = register_paths(ws, YEAR)

    def identity(key):  # a file renamed into place is a new inode with a new mtime
        st = paths[key].stat()
        return paths[key].read_bytes(), st.st_ino, st.st_mtime_ns

    before = {key: identity(key) for key in paths}
    office = LetterOffice(ws, store)
    issued = office.issue(office.prepare(KINDS["suggestion"], "计财处", {
        "事由": "在2026年度廉政风险防控工作检查中", "问题": "采购程序不规范", "建议": "完善采购制度"}, TODAY))
    result = write_registers(ws, store, YEAR, TODAY, books=LETTER_BOOKS)
    assert result.files == [paths["documents"], paths["warnings"]] and not result.failed
    assert {key: identity(key) for key in ("risks", "status", "publicity")} == {
        key: before[key] for key in ("risks", "status", "publicity")}
    assert all(identity(key)[1:] != before[key][1:] for key in LETTER_BOOKS)
    docs = data_rows(load_workbook(paths["documents"])["发文登记簿"], 2)
    assert str(issued.number) == "内工大纪建〔2026〕2号"
    assert (docs[-1]["顺序号"], docs[-1]["文号"], docs[-1]["主送单位"]) == (5, "内工大纪建〔2026〕2号", "计划财务处")
    ledger = {w["文号"]: w for w in data_rows(load_workbook(paths["warnings"])["预警处置台账"], 3)}
    assert ledger["内工大纪建〔2026〕2号"]["状态"] == "未到期"
    assert ledger["内工大纪建〔2026〕2号"]["回复期限"].date() == dt.date(2026, 12, 28)


def test_unknown_register_names_are_refused(workspace, store):
    with pytest.raises(ValueError, match="汇总表"):
        write_registers(workspace, store, YEAR, TODAY, books=["汇总表"])


def test_the_collector_is_paused_while_the_books_are_written_and_resumed_after(written, monkeypatch):
    """Writing the books pauses the cyclic garbage collector and resumes it after, on failure too; a collector
    paused by the caller stays paused."""
    import gc

    from lzdocs.documents import registers

    ws, store, _ = written
    seen = []
    real = registers._write_books

    def spy(*args):
        seen.append(gc.isenabled())
        real(*args)

    monkeypatch.setattr(registers, "_write_books", spy)
    assert gc.isenabled()
    write_registers(ws, store, YEAR, TODAY)
    assert seen == [False] and gc.isenabled()

    def fails(*args):
        raise RuntimeError("broken")

    monkeypatch.setattr(registers, "_write_books", fails)
    with pytest.raises(RuntimeError):
        write_registers(ws, store, YEAR, TODAY)
    assert gc.isenabled()
    monkeypatch.setattr(registers, "_write_books", spy)
    gc.disable()
    try:
        write_registers(ws, store, YEAR, TODAY)
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert seen == [False, False]

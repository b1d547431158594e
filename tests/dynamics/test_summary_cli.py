"""``lzdocs summary``: three years of forms, letters, a review and cases; every number of the report is
checked against a count made here from the archive with plain SQL, on the text read back from the .docx."""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
import zipfile
from collections import Counter
from contextlib import closing, contextmanager

import docx
import pytest

from tests.conftest import SAMPLE_ROWS, SAMPLE_SCHOOL, run_cli, run_json

YEAR, TODAY = 2026, "2026-11-28"
BUILDING = [
    {"seq": "1", "post": "工程管理", "duties": "工程结算", "risk": "虚报工程量", "category": "岗位职责",
     "level": "一级", "measures": "结算审计，跟踪审计", "owner": "孙伟"},
    {"seq": "2", "post": "物资采购", "duties": "采购", "risk": "采购中收受回扣", "category": "外部环境",
     "level": "二级", "measures": "公开招标，集体定标", "owner": "周明"},
]
PERSONNEL = [
    {"seq": "1", "post": "招聘", "duties": "人员招聘", "risk": "招聘中暗箱操作", "category": "制度机制",
     "level": "二级", "measures": "招聘全程公开，纪委监督", "owner": "吴芳"},
    {"seq": "2", "post": "职称评审", "duties": "评审组织", "risk": "评审打招呼说情", "category": "思想道德",
     "level": "三级", "measures": "专家随机抽取，回避制度", "owner": "郑华"},
]
FINANCE_2026 = [  # against 2025: 出纳's measures, 会计's level, 处长 removed, 采购员 new
    {**SAMPLE_ROWS[0], "measures": "钱账分管，每日盘点，每月抽查"},
    {**SAMPLE_ROWS[1], "level": "一级"},
    {"seq": "3", "post": "采购员", "duties": "办公用品采购", "risk": "虚开发票套取资金", "category": "制度机制",
     "level": "二级", "measures": "发票查验，入库验收双人签字", "owner": "钱进"},
]
SCIENCE = [
    {"seq": "1", "post": "项目管理", "duties": "科研项目", "risk": "科研经费违规报销", "category": "岗位职责",
     "level": "一级", "measures": "经费报销经项目负责人和科技处双审", "owner": "冯涛"},
    {"seq": "2", "post": "成果管理", "duties": "成果登记", "risk": "成果奖励评审不公", "category": "制度机制",
     "level": "三级", "measures": "评审专家库随机抽取", "owner": "陈静"},
]
SUGGESTION = ["--set", "事由=在廉政风险防控工作检查中", "--set", "问题=采购程序不规范", "--set", "建议=完善采购制度"]
CASE = ["--post", "出纳岗", "--risk-text", "利用职务之便挪用公款", "--type", "违纪", "--handling", "党内警告",
        "--analysis", "钱账未分管", "--measures", "钱账分管"]


def form(root, name, unit, rows, filled, received):
    from lzdocs.documents.blankform import write_docx
    from lzdocs.forms.schema import risk_kind

    path = root.parent / "收到" / f"{name}.docx"
    path.parent.mkdir(exist_ok=True)
    write_docx(risk_kind(), path, unit=unit, rows=rows, date=dt.date.fromisoformat(filled))
    run_cli("-w", root, "ingest", path, "--received", received, check=0)


def review_form(root):
    from lzdocs.documents.blankform import write_xlsx
    from lzdocs.forms.schema import find_kind, load_kinds

    path = root.parent / "收到" / "落实.xlsx"
    write_xlsx(find_kind(load_kinds(), "落实情况"), path, unit="计划财务处", date=dt.date(2026, 11, 21), rows=[
        {"seq": "1", "post": "出纳", "risk": "利用职务便利挪用公款", "status": "已落实"},
        {"seq": "2", "post": "会计", "risk": "审核不严，违规报销", "status": "未落实"},
        {"seq": "3", "post": "采购员", "risk": "虚开发票套取资金", "status": "部分落实"}])
    run_cli("-w", root, "ingest", path, check=0)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("summary") / "工作区"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    for year in (2024, 2025):
        form(root, f"计财处{year}", "计划财务处", SAMPLE_ROWS, f"{year}-11-10", f"{year}-11-12")
        form(root, f"基建处{year}", "基建处", BUILDING, f"{year}-11-10", f"{year}-11-12")
    form(root, "人事处2025", "人事处", PERSONNEL, "2025-11-18", "2025-11-20")
    form(root, "计财处2026初稿", "计划财务处", SAMPLE_ROWS, "2026-11-09", "2026-11-10")  # superseded below
    form(root, "计财处2026", "计划财务处", FINANCE_2026, "2026-11-14", "2026-11-14")
    form(root, "基建处2026", "基建处", BUILDING, "2026-11-15", "2026-11-15")
    form(root, "人事处2026", "人事处", PERSONNEL, "2026-11-16", "2026-11-16")
    form(root, "科技处2026", "科学技术处", SCIENCE, "2026-11-19", "2026-11-20")  # late
    review_form(root)
    letters(root)
    run_cli("-w", root, "case", "add", "--unit", "计财处", *CASE, "--date", "2026-10-12", check=0)
    run_cli("-w", root, "case", "add", "--unit", "基建处", "--post", "司机", "--risk-text", "公车私用",
            "--type", "违规", "--handling", "通报批评", "--analysis", "用车登记流于形式", "--measures", "用车审批",
            "--date", "2026-11-02", check=0)
    run_cli("-w", root, "case", "add", "--unit", "人事处", *CASE, "--date", "2025-06-01", check=0)  # another year
    result = run_json("-w", root, "summary", "--year", str(YEAR), "--package")
    return {"root": root, "result": result}


def letters(root):
    def letter(unit, day, *extra):
        return run_json("-w", root, "letter", "suggestion", "--unit", unit, *SUGGESTION, "--date", day, *extra)

    letter("基建处", "2025-12-01")  # a 2025 number: not counted in 2026
    closed = letter("计财处", "2026-09-01")["number"]
    run_cli("-w", root, "reply", closed, "--date", "2026-09-20", check=0)
    run_cli("-w", root, "follow-up", closed, "--result", "已整改", "--by", "张某", "--date", "2026-10-10", "--close",
            check=0)
    letter("基建处", "2026-10-01")  # reply due 2026-10-31: overdue
    voided = letter("人事处", "2026-11-20")["number"]
    run_cli("-w", root, "void", voided, "--reason", "主送单位写错", check=0)
    run_cli("-w", root, "warn", "批评教育", "--unit", "科技处", "--set", "事由=在检查中发现报销不规范", "--date",
            "2026-11-25", check=0)


# --- the counts, made here from the archive -----------------------------------------------------------------

@contextmanager
def db(root):
    """A read of the archive, closed after (no WAL files left behind)."""
    with closing(sqlite3.connect(root / "lzdocs.db")) as con:
        yield con


CURRENT = ("FROM risks r JOIN submissions s ON s.id = r.submission_id WHERE s.status = 'accepted' "
           "AND s.superseded_by IS NULL AND r.kind = 'risk' AND r.year = ?")


def roster(root) -> list[str]:
    with open(root / "units.csv", encoding="utf-8-sig", newline="") as fh:
        return [row["单位"] for row in csv.DictReader(fh)]


def arrivals(root, year) -> dict[str, str]:
    with db(root) as con:
        return dict(con.execute("SELECT unit, MIN(arrived_on) FROM submissions WHERE status = 'accepted' "
                                "AND kind = 'risk' AND year = ? GROUP BY unit", (year,)))


def levels(root, year) -> Counter:
    with db(root) as con:
        return Counter(dict(con.execute(f"SELECT r.level, COUNT(*) {CURRENT} GROUP BY r.level", (year,))))


def docx_text(path) -> tuple[list[str], list[list[list[str]]]]:
    document = docx.Document(str(path))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    return [p.text for p in document.paragraphs if p.text.strip()], tables


@pytest.fixture(scope="module")
def report(archive):
    return docx_text(archive["root"] / archive["result"]["file"])


def test_units_and_submission(archive, report):
    root, (paras, tables) = archive["root"], report
    names = roster(root)
    first = arrivals(root, YEAR)
    on_time = [u for u in names if u in first and first[u] <= f"{YEAR}-11-16"]
    late = [u for u in names if u in first and first[u] > f"{YEAR}-11-16"]
    missing = [u for u in names if u not in first]
    assert (len(names), on_time, late) == (13, ["人事处", "计划财务处", "基建处"], ["科学技术处"])
    assert (f"列入名单的单位共{len(names)}个（截止日期2026年11月16日）。截至2026年11月28日，按时报送{len(on_time)}个，"
            f"逾期报送{len(late)}个（科学技术处），未报送{len(missing)}个（{'、'.join(missing)}）。") in paras
    assert tables[0] == [["报送情况", "单位数", "单位"], ["按时报送", "3", "、".join(on_time)],
                         ["逾期报送", "1", "科学技术处"], ["未报送", str(len(missing)), "、".join(missing)]]


def test_risk_points_by_level_category_and_unit(archive, report):
    root, (paras, tables) = archive["root"], report
    count = levels(root, YEAR)
    assert count == {1: 4, 2: 3, 3: 2}
    assert (f"各单位共排查出廉政风险点{count.total()}个，其中一级{count[1]}个、二级{count[2]}个、三级{count[3]}个。"
            in paras)
    with db(root) as con:
        per_unit = con.execute(f"SELECT r.unit, r.level, COUNT(*) {CURRENT} GROUP BY r.unit, r.level", (YEAR,))
        units: dict[str, Counter] = {}
        for unit, level, n in per_unit:
            units.setdefault(unit, Counter())[level] = n
        categories = con.execute(f"SELECT r.category, COUNT(*) AS n {CURRENT} GROUP BY r.category "
                                 "ORDER BY n DESC, r.category", (YEAR,)).fetchall()
    order = [u for u in roster(root) if u in units]
    assert tables[1] == [["单位", "一级", "二级", "三级", "合计"],
                         *([u, *(str(units[u][k]) for k in (1, 2, 3)), str(units[u].total())] for u in order),
                         ["合计", str(count[1]), str(count[2]), str(count[3]), str(count.total())]]
    assert tables[2] == [["风险类别", "风险点数"], *([c, str(n)] for c, n in categories)]
    assert "按风险类别分：" + "、".join(f"{c}{n}个" for c, n in categories) + "。" in paras


def test_changes_against_the_previous_year(archive, report):
    root, (paras, _) = archive["root"], report
    before, now = levels(root, YEAR - 1), levels(root, YEAR)
    with db(root) as con:  # the texts are either the same or unrelated, so comparing them exactly is the matching
        def points(year):
            rows = con.execute(f"SELECT r.unit, r.risk, r.level, r.measures {CURRENT}", (year,))
            return {(u, risk): (level, measures) for u, risk, level, measures in rows}
        old, new = points(YEAR - 1), points(YEAR)
        units_before = {u for u, _ in old}
        units_before_n = len(units_before)
    compared = {u for u, _ in new if u in units_before}
    added = [k for k in new if k[0] in compared and k not in old]
    removed = [k for k in old if k[0] in compared and k not in new]
    level = [k for k in new if k in old and new[k][0] != old[k][0]]
    measures = [k for k in new if k in old and new[k][1] != old[k][1]]
    changed = {k[0] for k in added + removed + level + measures}
    same = [u for u in roster(root) if u in compared - changed]
    assert (len(added), len(removed), len(level), len(measures), same) == (1, 1, 1, 1, ["人事处", "基建处"])
    assert (f"{YEAR - 1}年度共有风险点{before.total()}个（{units_before_n}个单位），{YEAR}年度{now.total()}个"
            f"（{len({u for u, _ in new})}个单位），增加{now.total() - before.total()}个。") in paras
    assert (f"与上一年度的表相比较的单位{len(compared)}个，其中{len(changed)}个单位作了调整：新增风险点{len(added)}个，"
            f"删除{len(removed)}个，等级变化{len(level)}个，防控措施变化{len(measures)}个；"
            f"{len(same)}个单位的表与上年度完全相同（{'、'.join(same)}）。") in paras


def test_reviews_and_their_results(archive, report):
    root, (paras, _) = archive["root"], report
    with db(root) as con:
        results = Counter(dict(con.execute("SELECT result, COUNT(*) FROM reviews WHERE strftime('%Y', reviewed) = ? "
                                           "GROUP BY result", (str(YEAR),))))
        not_done = [u for (u,) in con.execute("SELECT DISTINCT unit FROM reviews WHERE result = '未落实'")]
    assert results == {"已落实": 1, "部分落实": 1, "未落实": 1} and not_done == ["计划财务处"]
    assert (f"本年度收到防控措施落实情况复核{results.total()}条，其中已落实{results['已落实']}条、部分落实"
            f"{results['部分落实']}条、未落实{results['未落实']}条；未落实的涉及计划财务处。") in paras


def test_warnings_by_way_closed_and_overdue(archive, report):
    root, (paras, tables) = archive["root"], report
    with db(root) as con:
        rows = con.execute("SELECT w.kind, COUNT(*), SUM(w.closed IS NOT NULL) FROM warnings w JOIN documents d "
                           "ON d.id = w.document_id WHERE d.year = ? AND d.status != 'void' GROUP BY w.kind",
                           (YEAR,)).fetchall()
        late = con.execute("SELECT d.number, w.unit, julianday(?) - julianday(w.reply_due) FROM warnings w "
                           "JOIN documents d ON d.id = w.document_id WHERE d.year = ? AND d.status != 'void' "
                           "AND w.replied IS NULL AND w.reply_due < ?", (TODAY, YEAR, TODAY)).fetchall()
    kinds = {k: (n, c) for k, n, c in rows}
    assert kinds == {"suggestion": (2, 1), "criticism": (1, 0)}
    total, closed = sum(n for n, _ in kinds.values()), sum(c for _, c in kinds.values())
    assert (f"本年度共采取预警处置措施{total}件，其中批评教育{kinds['criticism'][0]}件、纪检监察建议书"
            f"{kinds['suggestion'][0]}件；已办结{closed}件。") in paras
    [(number, unit, days)] = late
    assert f"逾期未回复的1件：{unit}（{number}，逾期{int(days)}天）。" in paras
    assert (unit, int(days)) == ("基建处", 28)
    assert tables[3] == [["处置方式", "件数", "已办结"], ["批评教育", "1", "0"], ["纪检监察建议书", "2", "1"],
                         ["合计", str(total), str(closed)]]


def test_cases_of_the_year(archive, report):
    root, (paras, _) = archive["root"], report
    with db(root) as con:
        n, linked = con.execute("SELECT COUNT(*), COUNT(risk_id) FROM cases WHERE year = ?", (YEAR,)).fetchone()
        units = {u for (u,) in con.execute("SELECT unit FROM cases WHERE year = ?", (YEAR,))}
    assert (n, linked, units) == (2, 1, {"计划财务处", "基建处"})
    assert (f"本年度登记违纪违规案例{n}起，涉及计划财务处、基建处；其中{linked}起与已排查的风险点相对应，"
            f"{n - linked}起未能对应到已排查的风险点，应作为排查遗漏加以分析。") in paras


def test_the_report_has_its_title_charts_and_signature(archive, report):
    root, (paras, _) = archive["root"], report
    assert paras[0] == "内蒙古工业大学关于2026年度\n廉政风险防控工作情况的报告"  # two balanced lines
    assert paras[-2:] == ["中共内蒙古工业大学纪律检查委员会", "2026年11月28日"]
    assert [p for p in paras if p.startswith("图")] == ["图1　各单位风险点等级分布", "图2　历年风险点数"]
    headings = [p for p in paras if p[:2] in ("一、", "二、", "三、", "四、", "五、")]
    assert headings == ["一、风险点排查情况", "二、复核与落实情况", "三、预警处置情况", "四、违纪违规案例",
                        "五、表格质量检查"]
    with zipfile.ZipFile(root / archive["result"]["file"]) as z:
        images = [n for n in z.namelist() if n.startswith("word/media/")]
    assert len(images) == 2


def test_the_package_for_the_superior_body(archive):
    root, result = archive["root"], archive["result"]
    assert (result["file"], result["package"], result["archive"]) == (
        "outbox/2026/总结/2026年度廉政风险防控工作总结.docx", "outbox/2026/上报", "outbox/2026/上报.zip")
    names = ["2026年度廉政风险防控工作总结.docx", "2026年廉政风险点汇总表.xlsx", "2026年廉政风险点公示表.docx",
             "清单.txt"]
    assert result["contents"] == names
    assert sorted(p.name for p in (root / "outbox/2026/上报").iterdir()) == sorted(names)
    listing = (root / "outbox/2026/上报/清单.txt").read_text(encoding="utf-8-sig").splitlines()
    assert listing == ["内蒙古工业大学2026年度廉政风险防控工作上报材料清单", "",
                       "1. 2026年度廉政风险防控工作总结.docx（廉政风险防控工作总结）",
                       "2. 2026年廉政风险点汇总表.xlsx（廉政风险点汇总表）",
                       "3. 2026年廉政风险点公示表.docx（廉政风险点公示表）", "", "生成日期：2026-11-28"]
    with zipfile.ZipFile(root / "outbox/2026/上报.zip") as z:
        assert sorted(z.namelist()) == sorted(f"上报/{n}" for n in names)
        assert z.read("上报/2026年度廉政风险防控工作总结.docx") == (root / result["file"]).read_bytes()
        assert {i.date_time[:3] for i in z.infolist()} == {(2026, 11, 28)}  # the day worked on, not the clock's
        assert {i.external_attr >> 16 for i in z.infolist()} == {0o644}  # read by all once unpacked
    # the 公示期 of the 公示表 sent upstream is that of the day it is made, unless lzdocs.toml says when it began
    assert ("上报材料中公示表的公示期按今天（2026年11月28日）起算，因为还没有用 lzdocs publicity 发布过公示表，"
            "lzdocs.toml 的 [publicity] start 也没有写；公示如已进行，请用 lzdocs publicity --start 实际开始日期 发布"
            "（或在 lzdocs.toml 写明 start）后重新生成上报材料") in result["warnings"]


def test_a_rerun_keeps_the_earlier_summary_and_package(archive, tmp_path):
    import shutil

    root = tmp_path / "ws"
    shutil.copytree(archive["root"], root)
    first = root / archive["result"]["file"]
    before = first.read_bytes()
    config = root / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('start = ""', 'start = "2026-11-20"', 1),
                      encoding="utf-8")
    again = run_json("-w", root, "summary", "--year", str(YEAR), "--package")
    assert not [w for w in again["warnings"] if "公示期" in w]
    assert (again["file"], again["package"], again["archive"]) == (
        "outbox/2026/总结/2026年度廉政风险防控工作总结_01.docx", "outbox/2026/上报_01", "outbox/2026/上报_01.zip")
    assert first.read_bytes() == before
    assert sorted(p.name for p in (root / "outbox/2026/总结").iterdir()) == [
        "2026年度廉政风险防控工作总结.docx", "2026年度廉政风险防控工作总结_01.docx"]


def test_a_package_folder_moved_away_does_not_set_the_next_zip_apart_from_its_folder(archive, tmp_path):
    """The clerk sent 上报.zip and moved the 上报 folder elsewhere: the next package is 上报_01/ with 上报_01.zip,
    a folder and a .zip of one name — not 上报/ again beside a 上报_01.zip."""
    import shutil

    root = tmp_path / "ws"
    shutil.copytree(archive["root"], root)
    (root / "outbox/2026/上报").rename(tmp_path / "已报送")
    again = run_json("-w", root, "summary", "--year", str(YEAR), "--package")
    assert (again["package"], again["archive"]) == ("outbox/2026/上报_01", "outbox/2026/上报_01.zip")
    with zipfile.ZipFile(root / again["archive"]) as z:
        assert {n.split("/")[0] for n in z.namelist()} == {"上报_01"}
    assert sorted(p.name for p in (root / "outbox/2026").glob("上报*")) == ["上报.zip", "上报_01", "上报_01.zip"]


def _summaries_and_packages(root) -> list[str]:
    year = root / "outbox" / str(YEAR)
    return sorted(str(p.relative_to(year)) for p in [*(year / "总结").iterdir(), *year.glob("上报*")])


def test_a_summary_stopped_before_it_is_recorded_leaves_no_file_behind(archive, tmp_path, monkeypatch):
    """Ctrl-C as the files are being recorded: they were written under names reserved for them, and recorded
    nowhere — ``verify`` would call them foreign and ``archive`` offer them as the 总结. They go; the next run writes
    them again."""
    import shutil

    from lzdocs.integrity import manifest
    from tests.cli.test_ctrl_c_after_saved import ctrl_c_in

    root = tmp_path / "ws"
    shutil.copytree(archive["root"], root)
    before = _summaries_and_packages(root)
    calls = ctrl_c_in(monkeypatch, manifest, "written_entries")
    cut = run_cli("-w", root, "summary", "--year", str(YEAR), "--package")
    assert len(calls) == 1 and cut.returncode == 130, cut.stderr
    assert _summaries_and_packages(root) == before
    monkeypatch.undo()
    assert run_json("-w", root, "verify")["findings"] == []
    again = run_json("-w", root, "summary", "--year", str(YEAR), "--package")
    assert again["file"] == "outbox/2026/总结/2026年度廉政风险防控工作总结_01.docx"  # the first name kept
    assert run_json("-w", root, "verify")["findings"] == []


@pytest.mark.slow
@pytest.mark.postgres
def test_a_summary_cut_off_by_the_server_leaves_no_file_behind(archive, tmp_path, monkeypatch, postgres_server):
    """The server stops as the summary is to be recorded: exit 4, no 总结 left that the archive does not know (it
    used to leave one per try, which ``archive`` then named as the one to take)."""
    import shutil

    from lzdocs.integrity import manifest
    from tests.conftest import use_database

    root = tmp_path / "ws"
    shutil.copytree(archive["root"], root)
    url = postgres_server.new_schema()
    assert run_json("-w", root, "db", "copy", "--to", url)["ok"] is True
    use_database(root, url)
    before = _summaries_and_packages(root)
    written = manifest.written_entries

    def server_gone(*args, **kw):
        postgres_server.down()
        return written(*args, **kw)

    monkeypatch.setattr(manifest, "written_entries", server_gone)
    try:
        cut = run_cli("-w", root, "summary", "--year", str(YEAR), "--package")
    finally:
        postgres_server.up()
    assert cut.returncode == 4 and "无法连接数据库服务器" in cut.stderr, cut.stderr
    assert _summaries_and_packages(root) == before
    monkeypatch.undo()
    assert run_json("-w", root, "summary", "--year", str(YEAR))["file"].endswith("总结_01.docx")
    assert run_json("-w", root, "verify")["findings"] == []


def test_the_text_output_states_the_headline_numbers(archive, tmp_path):
    import shutil

    root = tmp_path / "ws"
    shutil.copytree(archive["root"], root)
    lines = run_cli("-w", root, "summary", "--year", str(YEAR), check=0).stdout.splitlines()
    assert lines == ["已生成 2026 年度工作总结：outbox/2026/总结/2026年度廉政风险防控工作总结_01.docx",
                     "  单位 13 个：按时报送 3、逾期报送 1、未报送 9；风险点 9 个；预警处置 3 件，已办结 1 件；"
                     "案例 2 起"]


class Flag:
    """A quality flag as ``Office.quality`` returns them (lzdocs/dynamics/quality.py)."""

    def __init__(self, unit, row, code, message):
        self.record = {"unit": unit, "row": row, "code": code, "message": message}

    def as_dict(self):
        return dict(self.record)


FLAGS = [Flag("计划财务处", 3, "generic_measures", "防控措施只有笼统的表述"),
         Flag("基建处", 2, "generic_measures", "防控措施只有笼统的表述"),
         Flag("计划财务处", 4, "generic_measures", "防控措施只有笼统的表述"),
         Flag("科学技术处", None, "possibly_missing", "科研经费属高风险业务，没有一级或二级风险点"),
         Flag("人事处", 2, "no_owner", "有风险但没有责任人")]


def test_quality_flags_are_counted_with_the_units_named(archive, tmp_path):
    import shutil

    from lzdocs import Office

    root = tmp_path / "ws"
    shutil.copytree(archive["root"], root)
    asked = []
    with Office(root, today=dt.date(2026, 11, 28)) as office:
        office.quality = lambda year, unit=None: asked.append(year) or FLAGS
        result = office.summary(YEAR)
    paras, _ = docx_text(result.file)
    start = paras.index("五、表格质量检查")
    assert asked == [YEAR]
    assert paras[start + 1:start + 5] == [
        "对各单位报送的表格进行了质量检查，共有提示5条。", "防控措施笼统3条，涉及计划财务处、基建处。",
        "可能遗漏风险点1条，涉及科学技术处。", "未落实责任人1条，涉及人事处。"]
    from lzdocs.documents import charts

    assert result.warnings == ([] if charts.cjk_font() else [charts.NO_FONT])  # a machine without a Chinese font


@pytest.mark.soffice
def test_the_pdf_has_the_text_and_both_charts(archive, tmp_path):
    import shutil
    import subprocess

    root = tmp_path / "ws"
    shutil.copytree(archive["root"], root)
    result = run_json("-w", root, "summary", "--year", str(YEAR), "--pdf")
    pdf = root / result["pdf"]
    assert result["pdf"] == "outbox/2026/总结/2026年度廉政风险防控工作总结_01.pdf"
    text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    assert "各单位共排查出廉政风险点9个，其中一级4个、二级3个、三级2个。" in flat
    assert "图1各单位风险点等级分布" in flat and "图2历年风险点数" in flat
    images = subprocess.run(["pdfimages", "-list", pdf], capture_output=True, text=True, check=True).stdout
    assert [line.split()[2] for line in images.splitlines()[2:]].count("image") == 2  # each with its alpha mask


def test_a_year_with_no_forms_yet_says_so(archive, tmp_path, workspace):
    import shutil

    from lzdocs import Office
    from lzdocs.errors import ConfigError

    root = tmp_path / "archived"  # (the workspace fixture is tmp_path / "ws")
    shutil.copytree(archive["root"], root)
    with Office(root, today=dt.date(2027, 3, 1)) as office:
        early = office.summary(2027)
        paras, tables = docx_text(early.file)
    assert "各单位共排查出廉政风险点0个，其中一级0个、二级0个、三级0个。" in paras
    assert "2026年度共有风险点9个（4个单位），2027年度0个（0个单位），减少9个。" in paras
    # before the deadline the units without a form are not yet behind, and the clerk is told the numbers are of today
    assert tables[0][1:] == [["按时报送", "0", ""], ["逾期报送", "0", ""], ["尚未报送", "13", "、".join(roster(root))]]
    assert any("尚未报送13个" in p for p in paras)
    assert early.warnings == ["2027 年度报送截止日期 2027-11-16 还没到，13 个单位尚未报送：这份总结是截至今天"
                              "（2027年3月1日）的情况，报送截止后请重新生成"]
    with Office(root, today=dt.date(2027, 11, 17)) as office:  # the deadline passed: 未报送, nothing to say
        late = office.summary(2027)
        _, tables = docx_text(late.file)
    assert tables[0][3] == ["未报送", "13", "、".join(roster(root))] and late.warnings == []
    with Office(root, today=dt.date(2026, 11, 28)) as office, pytest.raises(ConfigError) as slip:
        office.summary(2023)  # a year the archive knows nothing of: a slip, no 总结 (that archive would then close)
    assert str(slip.value).startswith("档案库中没有 2023 年的表格、文书或案例，没有为它生成总结；请检查年份")
    assert not (root / "outbox" / "2023").exists()
    with Office(workspace.root, today=dt.date(2026, 11, 28)) as office:  # the first year: nothing to compare with
        paras, _ = docx_text(office.summary(2026).file)
    assert "2026年度以前没有收取的表格，无法与上年度比较。" in paras


def test_charts_use_an_installed_chinese_font_or_say_there_is_none(monkeypatch):
    from matplotlib import font_manager

    from lzdocs.documents import charts

    font = charts.cjk_font()
    installed = {f.name for f in font_manager.fontManager.ttflist}
    assert font == next((name for name in charts.CJK_FONTS if name in installed), None)
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    warnings: list[str] = []
    import warnings as python_warnings

    with python_warnings.catch_warnings(record=True) as shown:  # not one "Glyph … missing" per character on screen
        python_warnings.simplefilter("always")
        png = charts.year_over_year([2025, 2026], {2025: {1: 2}, 2026: {1: 3, 2: 1}}, {1: "一级", 2: "二级", 3: "三级"},
                                    warnings)
    assert png.startswith(b"\x89PNG") and warnings == [charts.NO_FONT]
    assert not [w for w in shown if "Glyph" in str(w.message)]


def test_a_chinese_font_installed_after_matplotlibs_font_cache_was_made_is_found(monkeypatch):
    """matplotlib keeps the fonts it found on its first run; a Chinese font installed later (as the warning asks) is
    found among the system's font files all the same, instead of boxes in the 总结's charts."""
    from pathlib import Path

    from matplotlib import font_manager

    from lzdocs.documents import charts

    files = [Path(f).name.lower() for f in font_manager.findSystemFonts()]
    if not any(part in name for name in files for part in charts._CJK_FILES):
        pytest.skip("no Chinese font file on this machine (CI installs fonts-noto-cjk)")
    manager = font_manager.fontManager
    monkeypatch.setattr(manager, "ttflist", [f for f in manager.ttflist if f.name not in charts.CJK_FONTS])
    charts.cjk_font.cache_clear()
    try:
        assert charts.cjk_font() in charts.CJK_FONTS
    finally:
        charts.cjk_font.cache_clear()


def test_the_quality_section_counts_the_flags_of_office_quality(archive, report):
    """The section counts the flags of the quality review (Office.quality)."""
    from lzdocs import Office

    paras, _ = report
    with Office(archive["root"], today=dt.date(2026, 11, 28)) as office:
        flags = [f.as_dict() for f in office.quality(YEAR)]
    start = paras.index("五、表格质量检查")
    assert paras[start + 1] == f"对各单位报送的表格进行了质量检查，共有提示{len(flags)}条。"
    for code in dict.fromkeys(f["code"] for f in flags):
        units = "、".join(dict.fromkeys(f["unit"] for f in flags if f["code"] == code))
        assert any(p.endswith(f"{sum(f['code'] == code for f in flags)}条，涉及{units}。") for p in paras[start + 2:])


def test_the_overdue_letters_are_listed_longest_overdue_first():
    """The report names each letter with its days overdue: in that order, not in the order they were issued (71,
    71, 66, 33, 47, 30 read as a mistake)."""
    from types import SimpleNamespace

    from lzdocs.documents.summary import WarningTotals
    from lzdocs.documents.summary_doc import warning_part

    late = [("纪建〔2026〕1号", "人事处", 33), ("纪建〔2026〕2号", "图书馆", 71), ("纪改〔2026〕1号", "教务处", 47),
            ("纪建〔2026〕3号", "宣传部", 71)]
    blocks = warning_part(SimpleNamespace(warnings=WarningTotals(total=4, overdue_replies=late)))
    texts = ["".join(span.text for span in block.spans) for block in blocks]
    [said] = [text for text in texts if "逾期未回复的" in text]
    assert said == ("逾期未回复的4件：图书馆（纪建〔2026〕2号，逾期71天）、宣传部（纪建〔2026〕3号，逾期71天）、"
                    "教务处（纪改〔2026〕1号，逾期47天）、人事处（纪建〔2026〕1号，逾期33天）。")

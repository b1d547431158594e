"""``lzdocs quality`` on forms written for the purpose: generic vs concrete measures row by row, a copied form, a
form the same as last year's, a finance unit with only 三级 points, owners that are not names — hints at ingest,
in the 质量 sheet of the 汇总表 and in ``risks --json``, never a rejection."""

import datetime as dt

import pytest
from openpyxl import load_workbook

from tests.conftest import SAMPLE_SCHOOL, run_cli, run_json

SHEET = "outbox/2026/登记簿/2026年廉政风险点汇总表.xlsx"
MISSING_NOTE = "，风险点排查可能遗漏，请对照职责再排查"
GENERIC_NOTE = "等笼统表述，没有具体做法、频次、责任人或制度，建议写明怎么做、多久一次、由谁负责、依据什么制度"
NO_OWNER = "填写了风险点但没有填写责任人，请填写责任人姓名"
COPY_NOTE = "，请结合本单位岗位实际查找风险点，不要照抄其他单位"


def row(seq, post, risk, level, measures, owner="王丽"):
    return {"seq": str(seq), "post": post, "duties": "本岗位职责", "risk": risk, "category": "岗位职责",
            "level": level, "measures": measures, "owner": owner}


# 计划财务处: only 三级 points; measures generic or concrete row by row; owners missing or not a name.
FINANCE = [row(1, "出纳", "利用职务便利挪用公款", "三级", "加强管理，提高认识"),  # generic only
           row(2, "会计", "审核不严，违规报销", "三级", "报销双签，每日盘点", ""),  # concrete; no owner
           row(3, "处长", "违规审批大额资金支出", "三级", "加强监督，每月对账一次", "处长"),  # a phrase + a frequency
           row(4, "会计", "私设小金库", "三级", "严格执行《财务报销管理办法》", "王丽、赵强"),  # a named rule
           row(5, "科员", "泄露财务数据", "三级", "加强制度建设，严格要求", "全体人员"),  # 制度 only inside a phrase
           row(6, "科员", "收受报销单位好处费", "三级", "廉洁承诺，由科长负责每季度检查", "乌力吉·巴雅尔")]
# 国有资产管理处, received after 计划财务处: two risk texts copied from it (one with a full stop added).
ASSETS = [row(1, "资产管理员", "利用职务便利挪用公款。", "一级", "资产处置集体研究，结果公示", "李明"),
          row(2, "科长", "违规审批大额资金支出", "二级", "重大事项集体决策", "张伟"),
          row(3, "资产管理员", "虚报资产处置价格，低价处置国有资产", "二级", "评估后处置，每年盘点", "李明")]
# 图书馆: the same form in 2025 and 2026; not in a high-risk business.
LIBRARY = [row(1, "采编", "图书采购中收受回扣", "二级", "集中采购，三人以上询价", "周敏")]
# 基建处: high-risk, with an 二级 point and three points: nothing to say.
BUILDING = [row(1, "项目负责人", "插手工程招投标", "二级", "招标全程留痕", "孙强"),
            row(2, "现场代表", "虚报工程量", "三级", "工程量双人复核", "钱进"),
            row(3, "处长", "违规变更设计", "三级", "设计变更集体审批", "吴刚")]

EXPECTED = [
    {"unit": "计划财务处", "row": None, "code": "possibly_missing",
     "message": "本单位涉及财务管理等廉政风险较高的业务，但没有一级或二级风险点" + MISSING_NOTE},
    {"unit": "计划财务处", "row": 2, "code": "generic_measures",
     "message": "防控措施只有“加强管理、提高认识”" + GENERIC_NOTE},
    {"unit": "计划财务处", "row": 3, "code": "no_owner", "message": NO_OWNER},
    {"unit": "计划财务处", "row": 4, "code": "no_owner",
     "message": "责任人“处长”不是具体人员的姓名，请填写责任人姓名"},
    {"unit": "计划财务处", "row": 6, "code": "generic_measures",
     "message": "防控措施只有“加强制度建设、严格要求”" + GENERIC_NOTE},
    {"unit": "计划财务处", "row": 6, "code": "no_owner",
     "message": "责任人“全体人员”不是具体人员的姓名，请填写责任人姓名"},
    {"unit": "国有资产管理处", "row": 2, "code": "copied", "from_unit": "计划财务处",
     "message": "风险点描述与计划财务处的表第2行几乎相同（相似度 100）" + COPY_NOTE},
    {"unit": "国有资产管理处", "row": 3, "code": "copied", "from_unit": "计划财务处",
     "message": "风险点描述与计划财务处的表第4行几乎相同（相似度 100）" + COPY_NOTE},
    {"unit": "图书馆", "row": None, "code": "same_as_previous",
     "message": "与2025年报送的表完全相同，请确认本年度岗位、职责和风险是否确无变化"},
]


def ingest(root, folder, forms: dict, date: dt.date):
    from lzdocs.documents.blankform import write_docx
    from lzdocs.forms.schema import risk_kind

    folder.mkdir()
    for unit, rows in forms.items():
        write_docx(risk_kind(), folder / f"{unit}.docx", unit=unit, rows=rows, date=date)
    return run_cli("-w", root, "ingest", folder, check=0)  # exit 0: every form taken, hints or not


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """Four ingests, one form of 2025 and three runs of 2026, and what each printed; the tests only read them."""
    base = tmp_path_factory.mktemp("quality")
    root = base / "ws"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    ingest(root, base / "2025", {"图书馆": LIBRARY}, dt.date(2025, 11, 10))
    outputs = [ingest(root, base / name, forms, dt.date(2026, 11, 10)).stdout
               for name, forms in [("a", {"计划财务处": FINANCE, "基建处": BUILDING}),
                                   ("b", {"国有资产管理处": ASSETS}), ("c", {"图书馆": LIBRARY})]]
    return root, outputs


def test_flags_row_by_row_as_json(session):
    root, _ = session
    assert run_json("-w", root, "quality", "--year", "2026") == EXPECTED
    assert run_json("-w", root, "quality", "--year", "2026", "--unit", "资产处") == EXPECTED[6:8]
    assert run_json("-w", root, "quality", "--year", "2026", "--unit", "基建处") == []


def test_the_hints_are_the_feedback_at_ingest_and_never_reject(session):
    root, (first, second, third) = session
    assert "[已收取] " in first and "共 2 个文件：已收取 2 个。" in first
    assert ("    [提示] 第2行（序号1）：防控措施只有“加强管理、提高认识”" + GENERIC_NOTE) in first
    assert f"    [提示] 第3行（序号2）：{NO_OWNER}" in first
    assert "    [提示] 本单位涉及财务管理等廉政风险较高的业务，但没有一级或二级风险点" in first
    assert ("    [提示] 第2行（序号1）：风险点描述与计划财务处的表第2行几乎相同（相似度 100）" + COPY_NOTE) in second
    assert "    [提示] 与2025年报送的表完全相同" in third
    assert "退回" not in first + second + third
    taken = [r["unit"] for r in run_json("-w", root, "risks", "--year", "2026")]
    assert taken.count("计划财务处") == 6 and taken.count("国有资产管理处") == 3


def test_the_quality_sheet_of_the_summary(session):
    root, _ = session
    sheet = load_workbook(root / SHEET)["质量"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("内蒙古工业大学2026年风险点表格质量提示", None, None, None, None)
    assert rows[1][0] == ("3 个单位共 9 条提示：措施笼统 2 条、可能照抄 2 条、与上年相同 1 条、可能遗漏 1 条、"
                          "责任人不明 3 条；只作提示，不影响收取")
    assert rows[2] == ("单位", "行", "序号", "问题", "说明")
    assert [r[:4] for r in rows[3:]] == [
        ("计划财务处", "整表", None, "可能遗漏"), ("计划财务处", 2, "1", "措施笼统"),
        ("计划财务处", 3, "2", "责任人不明"), ("计划财务处", 4, "3", "责任人不明"),
        ("计划财务处", 6, "5", "措施笼统"), ("计划财务处", 6, "5", "责任人不明"),
        ("国有资产管理处", 2, "1", "可能照抄"), ("国有资产管理处", 3, "2", "可能照抄"),
        ("图书馆", "整表", None, "与上年相同")]
    assert [r[4] for r in rows[3:]] == [f["message"] for f in EXPECTED]


def test_risks_json_carries_each_points_flags(session):
    root, _ = session
    risks = {(r["unit"], r["seq"]): r["flags"] for r in run_json("-w", root, "risks", "--year", "2026")}
    assert risks[("计划财务处", "1")] == [EXPECTED[1]]
    assert risks[("计划财务处", "5")] == EXPECTED[4:6]
    assert risks[("计划财务处", "4")] == [] and risks[("计划财务处", "6")] == []
    assert risks[("国有资产管理处", "2")] == [EXPECTED[7]] and risks[("国有资产管理处", "3")] == []
    assert risks[("图书馆", "1")] == []  # a flag on the whole form is not a point's


def test_the_text_listing(session):
    root, _ = session
    out = run_cli("-w", root, "quality", "--year", "2026", check=0).stdout.splitlines()
    assert out[0] == ("计划财务处｜整表｜可能遗漏｜本单位涉及财务管理等廉政风险较高的业务，但没有一级或二级风险点"
                      + MISSING_NOTE)
    assert out[3] == "计划财务处｜第4行（序号3）｜责任人｜责任人“处长”不是具体人员的姓名，请填写责任人姓名"
    assert out[-1] == "共 9 条提示，涉及 3 个单位。"


def test_rules_and_areas_are_data_the_workspace_extends(tmp_path):
    root = tmp_path / "ws"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    (root / "质量规则.toml").write_text('[generic_measures]\nphrases = ["高度重视"]\n', encoding="utf-8")
    config = (root / "lzdocs.toml").read_text(encoding="utf-8")
    config = config.replace("min_points = 3 ", "min_points = 2 ").replace(
        "[quality_areas]\n", '[quality_areas]\n"后勤管理处" = "物资采购"\n"计划财务处" = "无"\n')
    (root / "lzdocs.toml").write_text(config, encoding="utf-8")
    roster = (root / "units.csv").read_text(encoding="utf-8-sig").splitlines()
    roster[0] += ",业务领域"
    roster = [line + (",校办企业" if line.startswith("图书馆") else "") for line in roster]
    (root / "units.csv").write_text("\n".join(roster) + "\n", encoding="utf-8-sig")
    logistics = [row(1, "采购员", "采购中收受回扣", "三级", "高度重视")]
    ingest(root, tmp_path / "a", {"计划财务处": FINANCE[:1], "后勤管理处": logistics, "图书馆": LIBRARY},
           dt.date(2026, 11, 10))
    found = run_json("-w", root, "quality")
    assert [(f["unit"], f["row"], f["code"]) for f in found] == [
        ("计划财务处", 2, "generic_measures"),  # 计划财务处 = "无": no longer a high-risk unit
        ("后勤管理处", None, "possibly_missing"), ("后勤管理处", 2, "generic_measures"),
        ("图书馆", None, "possibly_missing")]
    assert found[1]["message"] == ("本单位涉及物资采购等廉政风险较高的业务，但没有一级或二级风险点，"
                                   "只有 1 个风险点（少于 2 个）" + MISSING_NOTE)
    assert found[2]["message"] == "防控措施只有“高度重视”" + GENERIC_NOTE
    assert found[3]["message"] == ("本单位涉及校办企业等廉政风险较高的业务，但只有 1 个风险点（少于 2 个）"
                                   + MISSING_NOTE)


def test_a_broken_rules_file_stops_quality_but_never_a_form(tmp_path):
    root = tmp_path / "ws"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    (root / "质量规则.toml").write_text("[generic_measures\nphrases = [", encoding="utf-8")
    proc = ingest(root, tmp_path / "a", {"计划财务处": FINANCE}, dt.date(2026, 11, 10))
    out = proc.stdout
    said = "质量规则文件 质量规则.toml 第 1 行格式有误：节名的方括号没有配对（这一行是：[generic_measures）"
    assert f"2026年廉政风险点汇总表.xlsx：没有“质量”工作表：{said}" in proc.stdout + proc.stderr
    assert "[已收取] " in out and "[提示]" not in out  # taken all the same, without hints
    assert load_workbook(root / SHEET).sheetnames == ["汇总", "统计"]  # the 汇总表 without its 质量 sheet
    proc = run_cli("-w", root, "quality", check=2)
    assert said in proc.stderr and "Expected" not in proc.stderr  # the parser's words, in Chinese
    assert [r["flags"] for r in run_json("-w", root, "risks")] == [[]] * 6  # the points, without flags


def test_the_settings_are_checked(tmp_path):
    root = tmp_path / "ws"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    config = root / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("copy_threshold = 90", "copy_threshold = 150"),
                      encoding="utf-8")
    proc = run_cli("-w", root, "quality", check=2)
    assert "[quality] copy_threshold 的值“150”超出范围：应在 1 到 100 之间" in proc.stderr


def test_the_units_changes_are_worked_out_once_for_the_summary(session, tmp_path, monkeypatch):
    """The 变化 sheet and the 质量 sheet's 与上年相同 come from one comparison of each unit's forms; the review given
    it finds what it finds working them out itself."""
    from lzdocs.documents.registers import write_registers
    from lzdocs.dynamics import changes
    from lzdocs.dynamics.quality import Rules, year_flags
    from lzdocs.store import Store
    from lzdocs.workspace import Workspace
    from tests.conftest import copy_of

    (tmp_path / "ws").mkdir()
    ws = Workspace.open(copy_of(session[0], tmp_path / "ws"))
    store = Store.for_workspace(ws)
    try:
        roster, rules = ws.roster(), Rules.load(ws)
        with store.read() as conn:
            found = changes.year_changes(conn, 2026, rules.change_threshold, current=roster.current)
            alone = year_flags(conn, 2026, rules, unit_order=roster.names, current=roster.current)
            given = year_flags(conn, 2026, rules, unit_order=roster.names, current=roster.current, changes=found)
        assert given == alone and [f.code for f in alone].count("same_as_previous") == 1
        calls = []
        real = changes.year_changes
        monkeypatch.setattr(changes, "year_changes", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
        write_registers(ws, store, 2026, dt.date(2026, 11, 28))
        assert calls == [2026]
        sheet = load_workbook(ws.root / SHEET)["质量"]
        assert [r[4] for r in sheet.iter_rows(min_row=4, values_only=True)] == [f["message"] for f in EXPECTED]
    finally:
        store.close()


def test_the_review_given_the_summarys_rows_finds_what_it_finds_reading_them(session, monkeypatch):
    """The 汇总 gives the quality review the rows it reads; rows that are not exactly the current forms' (one
    missing, one of a superseded form, a form's rows apart) are set aside and read again: the same flags always."""
    from lzdocs.dynamics.quality import Rules, YearReview, year_flags
    from lzdocs.store import Store, history
    from lzdocs.store import submissions as subs
    from lzdocs.workspace import Workspace

    ws = Workspace.open(session[0])
    store = Store.for_workspace(ws)
    try:
        roster, rules = ws.roster(), Rules.load(ws)
        with store.read() as conn:
            expected = year_flags(conn, 2026, rules, unit_order=roster.names, current=roster.current)
            rows = list(subs.current_risks(conn, year=2026, unit_order=roster.names))
            last_year = history.rows_of(conn, [f.id for f in history.current_forms(conn, 2025)]).values()
            first = [r for r in rows if r["submission_id"] == rows[0]["submission_id"]]
            streams = {"whole": rows, "one missing": rows[:3] + rows[4:], "a form apart": rows[1:] + rows[:1],
                       "a stray form": [*rows, *(r for form in last_year for r in form)],
                       "a form missing": rows[len(first):], "a row twice": [rows[0], *rows[:3], *rows[4:]],
                       "out of order": [first[1], first[0], *rows[2:]]}
            reads = []
            real = YearReview.read
            monkeypatch.setattr(YearReview, "read", lambda self, conn: reads.append(1) or real(self, conn))
            for what, stream in streams.items():
                review = YearReview(conn, 2026, rules, current=roster.current)
                for row in stream:
                    review.add_row(row)
                assert review.flags(conn, unit_order=roster.names) == expected, what
                assert len(reads) == (what != "whole"), what  # read again unless given the current forms' rows
                reads.clear()
        assert [f.code for f in expected].count("copied") == 2 and len(first) > 2 and last_year
    finally:
        store.close()

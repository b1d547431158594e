"""``lzdocs changes`` over three years of forms: reworded points kept, removed and new points, changed levels."""

import datetime as dt

import pytest
from openpyxl import load_workbook

from tests.conftest import SAMPLE_SCHOOL, run_cli, run_json


def row(seq, post, risk, level, measures="钱账分管，每日盘点"):
    return {"seq": str(seq), "post": post, "duties": "本岗位职责", "risk": risk, "category": "岗位职责",
            "level": level, "measures": measures, "owner": "王丽"}


FORMS = {
    2024: {
        "计划财务处": [row(1, "出纳", "利用职务便利挪用公款", "一级"),
                   row(2, "会计", "审核不严，违规报销", "二级", "报销双签"),
                   row(3, "处长", "违规审批资金", "三级", "重大资金集体研究")],
        "基建处": [row(1, "项目负责人", "插手工程招投标", "一级", "招标全程留痕")],
    },
    2025: {
        "计划财务处": [row(1, "出纳", "利用职务之便挪用公款", "一级"),  # reworded, otherwise unchanged
                   row(2, "会计", "审核不严，违规报销", "一级", "报销双签"),  # level 二级 → 一级
                   row(3, "会计", "收受报销单位好处费", "二级", "廉洁承诺")],  # new; 处长's point removed
        "人事处": [row(1, "处长", "违规审批人事调动", "二级", "集体研究"),
                row(2, "副处长", "违规审批人事调动", "三级", "集体研究")],
        "国有资产管理处": [row(1, "资产管理员", "虚报资产处置价格", "二级", "评估后处置")],
    },
    2026: {
        "计划财务处": [row(1, "出纳", "利用职务之便挪用公款", "一级", "钱账分管，每日盘点，每月对账"),  # measures
                   row(2, "会计", "审核把关不严，违规报销", "一级", "报销双签"),  # reworded again
                   row(3, "会计", "收受报销单位好处费", "三级", "廉洁承诺"),  # level 二级 → 三级
                   row(4, "科员", "泄露财务数据", "三级", "数据分级授权")],  # a real new point
        "人事处": [row(1, "副处长", "违规审批人事调动", "三级", "集体研究")],  # the 处长's identical text removed
        "国有资产管理处": [row(1, "资产管理员", "虚报资产处置价格", "二级", "评估后处置。")],  # the same form
        "基建处": [row(1, "项目负责人", "插手工程招投标", "二级", "招标全程留痕")],  # against 2024: no 2025 form
        "教务处": [row(1, "教务员", "违规修改成绩", "二级", "成绩修改双人审核")],  # first form: not compared
    },
}
# Two forms of the same year: 图书馆's only form is compared with its earlier one; 计划财务处's earlier 2026 form
# (a draft replaced by the one above) is not what 2026 is compared with, since it has 2025.
EARLIER_2026 = {
    "图书馆": ([row(1, "采编", "图书采购收受回扣", "二级", "集中采购")], dt.date(2026, 11, 1)),
    "计划财务处": ([row(1, "出纳", "草稿中的风险点", "一级")], dt.date(2026, 11, 1)),
}
LATER_2026 = {"图书馆": [row(1, "采编", "图书采购中收受回扣", "二级", "集中采购")]}

EXPECTED = [
    {"unit": "人事处", "year": 2026, "previous_year": 2025, "same_as_previous": False, "new": [],
     "removed": ["违规审批人事调动"], "level_changed": [], "measures_changed": []},
    {"unit": "计划财务处", "year": 2026, "previous_year": 2025, "same_as_previous": False,
     "new": ["泄露财务数据"], "removed": [],
     "level_changed": [{"risk": "收受报销单位好处费", "from": 2, "to": 3}],
     "measures_changed": [{"risk": "利用职务之便挪用公款", "from": "钱账分管，每日盘点",
                           "to": "钱账分管，每日盘点，每月对账"}]},
    {"unit": "国有资产管理处", "year": 2026, "previous_year": 2025, "same_as_previous": True, "new": [], "removed": [],
     "level_changed": [], "measures_changed": []},
    {"unit": "基建处", "year": 2026, "previous_year": 2024, "same_as_previous": False, "new": [], "removed": [],
     "level_changed": [{"risk": "插手工程招投标", "from": 1, "to": 2}], "measures_changed": []},
    {"unit": "图书馆", "year": 2026, "previous_year": 2026, "same_as_previous": True, "new": [], "removed": [],
     "level_changed": [], "measures_changed": []},
]


def write_year(folder, forms: dict, date: dt.date, suffix: str = ".docx"):
    from lzdocs.documents.blankform import write_docx, write_xlsx
    from lzdocs.forms.schema import risk_kind

    writer = write_docx if suffix == ".docx" else write_xlsx
    for unit, rows in forms.items():
        writer(risk_kind(), folder / f"{unit}{suffix}", unit=unit, rows=rows, date=date)
    return folder


def ingest_years(root, tmp):
    """The three years' forms, each year's ingested by ``lzdocs ingest FOLDER`` in turn (copied, not moved)."""
    for year, forms in FORMS.items():
        run_cli("-w", root, "ingest", write_year(tmp / str(year), forms, dt.date(year, 11, 10)), check=0)
    earlier = tmp / "2026早些"
    earlier.mkdir()
    for unit, (rows, date) in EARLIER_2026.items():
        write_year(earlier, {unit: rows}, date, ".xlsx")
    run_cli("-w", root, "ingest", earlier, check=0)
    run_cli("-w", root, "ingest", write_year(tmp / "2026图书馆", LATER_2026, dt.date(2026, 11, 20)), check=0)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("changes")
    root = tmp / "工作区"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    ingest_years(root, tmp)
    return root


def test_changes_json_lists_each_unit_with_a_previous_form(archive):
    assert run_json("-w", archive, "changes", "--year", "2026") == EXPECTED


def test_year_2025_is_compared_with_2024(archive):
    assert run_json("-w", archive, "changes", "--year", "2025") == [
        {"unit": "计划财务处", "year": 2025, "previous_year": 2024, "same_as_previous": False,
         "new": ["收受报销单位好处费"], "removed": ["违规审批资金"],
         "level_changed": [{"risk": "审核不严，违规报销", "from": 2, "to": 1}], "measures_changed": []}]


def test_one_unit_by_its_alias(archive):
    assert run_json("-w", archive, "changes", "--year", "2026", "--unit", "计财处") == [EXPECTED[1]]
    assert run_json("-w", archive, "changes", "--year", "2026", "--unit", "教务处") == []


def test_text_output_names_every_change_and_flags_a_form_the_same_as_last_year(archive):
    out = run_cli("-w", archive, "changes", "--year", "2026", check=0).stdout.splitlines()
    assert out == [
        "2026 年 人事处（与2025年比较）：新增 0 个、删除 1 个、等级变化 0 个、防控措施变化 0 个",
        "  删除：［处长］违规审批人事调动（二级）",
        "2026 年 计划财务处（与2025年比较）：新增 1 个、删除 0 个、等级变化 1 个、防控措施变化 1 个",
        "  新增：［科员］泄露财务数据（三级）",
        "  等级变化：［会计］收受报销单位好处费：二级 → 三级",
        "  措施变化：［出纳］利用职务之便挪用公款：“钱账分管，每日盘点” → “钱账分管，每日盘点，每月对账”",
        "2026 年 国有资产管理处（与2025年比较）：与上年度完全相同",
        "2026 年 基建处（与2024年比较）：新增 0 个、删除 0 个、等级变化 1 个、防控措施变化 0 个",
        "  等级变化：［项目负责人］插手工程招投标：一级 → 二级",
        "2026 年 图书馆（与2026年此前版本比较）：与本年度此前报送的表完全相同",
        "共比较 5 个单位，其中 2 个与此前的表完全相同。",
    ]


def test_a_stricter_threshold_makes_a_rewording_a_new_point(archive, tmp_path):
    """At 95 the rewording 利用职务便利 → 利用职务之便 (90 alike) is no longer the same point."""
    config = archive / "lzdocs.toml"
    text = config.read_text(encoding="utf-8")
    try:
        config.write_text(text.replace("match_threshold = 75", "match_threshold = 95"), encoding="utf-8")
        found = run_json("-w", archive, "changes", "--year", "2025", "--unit", "计划财务处")
    finally:
        config.write_text(text, encoding="utf-8")
    assert found[0]["new"] == ["利用职务之便挪用公款", "收受报销单位好处费"]
    assert found[0]["removed"] == ["利用职务便利挪用公款", "违规审批资金"]
    assert found[0]["level_changed"] == [{"risk": "审核不严，违规报销", "from": 2, "to": 1}]


def test_a_threshold_out_of_range_is_refused(archive):
    config = archive / "lzdocs.toml"
    text = config.read_text(encoding="utf-8")
    try:
        config.write_text(text.replace("match_threshold = 75", "match_threshold = 150"), encoding="utf-8")
        proc = run_cli("-w", archive, "changes", check=2)
    finally:
        config.write_text(text, encoding="utf-8")
    assert "[changes] match_threshold 的值“150”超出范围：应在 1 到 100 之间" in proc.stderr


def test_the_summary_workbook_has_a_changes_sheet(archive):
    path = archive / "outbox/2026/登记簿/2026年廉政风险点汇总表.xlsx"
    sheet = load_workbook(path)["变化"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=3)]
    assert sheet["A1"].value == "内蒙古工业大学2026年廉政风险点变化情况"
    assert sheet["A2"].value == ("5 个单位与此前的表比较：新增 1 个、删除 1 个、等级变化 2 个、防控措施变化 1 个"
                                 "风险点；2 个单位与此前完全相同；风险点内容相似度达到 75 的视为同一风险点")
    assert rows == [
        ["单位", "比较对象", "变化", "岗位", "风险点", "原来", "现在"],
        ["人事处", "2025年", "删除", "处长", "违规审批人事调动", "二级", None],
        ["计划财务处", "2025年", "新增", "科员", "泄露财务数据", None, "三级"],
        ["计划财务处", "2025年", "等级变化", "会计", "收受报销单位好处费", "二级", "三级"],
        ["计划财务处", "2025年", "措施变化", "出纳", "利用职务之便挪用公款", "钱账分管，每日盘点",
         "钱账分管，每日盘点，每月对账"],
        ["国有资产管理处", "2025年", "与上年度完全相同", None, None, None, None],
        ["基建处", "2024年", "等级变化", "项目负责人", "插手工程招投标", "一级", "二级"],
        ["图书馆", "2026年此前版本", "与本年度此前报送的表完全相同", None, None, None, None],
    ]
    assert sheet["F4"].fill.start_color.rgb.endswith("FCD5B4")  # 二级 in its level colour


def test_a_first_year_has_nothing_to_compare_and_no_changes_sheet(tmp_path, make_form):
    root = tmp_path / "ws"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    run_cli("-w", root, "ingest", make_form(tmp_path / "计财处.docx"), check=0)
    assert run_json("-w", root, "changes") == []
    said = run_cli("-w", root, "changes", check=0).stdout
    assert said == "没有可比较的表：各单位在 2026 年以前没有报送过已收取的表。\n"
    # a year with no form at all says so (it said "所选单位…", no unit chosen)
    assert run_cli("-w", root, "changes", "--year", "2027", check=0).stdout == (
        "2027 年还没有已收取的《岗位风险分析和防控措施表》，没有可比较的。\n")
    assert "变化" not in load_workbook(root / "outbox/2026/登记簿/2026年廉政风险点汇总表.xlsx").sheetnames

"""Levels as tick boxes, in every layout clerks use: one ticked box is the level, anything else an error."""

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lzdocs.errors import RejectedFile
from lzdocs.forms.checks import check_form
from lzdocs.forms.layout import Table, find_form
from lzdocs.forms.reader import read_form
from lzdocs.forms.schema import load_kinds, risk_kind
from lzdocs.forms.values import TICKED, UNTICKED, parse_level
from lzdocs.ooxml.safety import Limits
from lzdocs.workspace import Roster, Unit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "forms"
TODAY = dt.date(2026, 11, 28)
ROSTER = Roster([Unit("图书馆"), Unit("保卫处"), Unit("基建处")])


def check(form):
    return check_form(form, ROSTER, received=TODAY, today=TODAY)


def fixture(name: str):
    return check(read_form(FIXTURES / name, load_kinds(), Limits()))


def test_every_one_cell_layout_made_by_libreoffice_stores_the_ticked_level():
    form = fixture("lo_ticks.docx")
    # 一级□　二级☑　三级□ | ☑三级 | 一级 ☐ 二级 ☐ 三级 ✔ | ■一级□二级□三级 | 一级（ ）二级（√）三级（ ） | 高○ 中● 低○
    assert [row["level"] for row in form.rows] == [2, 3, 3, 1, 2, 2]
    assert form.problems == []


def test_no_tick_and_two_ticks_are_errors_naming_the_row_and_the_cell():
    with pytest.raises(RejectedFile) as exc:
        fixture("lo_ticks_bad.docx")
    errors = [(p.row, p.column, p.value, p.message) for p in exc.value.problems if p.severity == "error"]
    assert errors == [
        (2, "风险等级", "一级□\u3000二级□\u3000三级□", "风险等级没有勾选，请在一级、二级、三级中勾选一个"),
        (3, "风险等级", "☑一级 ☑二级 □三级", "风险等级勾选了不止一个，请在一级、二级、三级中只勾选一个"),
    ]


def test_word_symbol_fonts_and_check_box_controls_are_the_boxes_they_show():
    form = fixture("word_symbols.docx")
    # Wingdings 2 symbols (£ □, R ☑); letters typed in Wingdings (þ ☑, ¨ □); check-box content controls (☐ ☒)
    assert [(row["post"], row["level"]) for row in form.rows] == [("招标采购", 2), ("合同管理", 1), ("工程结算", 3)]
    assert form.problems == []


def test_a_column_per_level_under_the_level_header_made_by_libreoffice():
    form = fixture("lo_tick_columns.xlsx")
    assert (form.unit, [row["row"] for row in form.rows]) == ("保卫处", [5, 6, 7])
    assert [(row["post"], row["level"], row["measures"]) for row in form.rows] == [
        ("消防管理", 2, "检查结果公示"), ("门卫", 3, "车辆出入登记"), ("治安管理", 1, "集体研究处理")]


def test_the_level_read_today_as_the_last_word_after_the_tick_is_the_ticked_one():
    form = find_form([table(HEADER, ["1", "出纳", "挪用公款", "一级□　二级☑　三级□", "双人复核"])], [risk_kind()])
    assert check(form).rows[0]["level"] == 2


@pytest.mark.parametrize("text,level", [("一级（）", 1), ("三级√", 3), ("一级（ ）二级（√）三级（ ）", 2),
                                        ("一级□　二级☑　三级□", 2), ("☑二级", 2), ("二级 ✔", 2)])
def test_empty_brackets_alone_are_an_aside_and_a_tick_after_the_word_counts(text, level):
    assert parse_level(text) == level


# --- generated: every level × every layout --------------------------------------------------------

HEADER = ["序号", "岗位名称", "风险点描述", "风险等级", "防控措施"]
WORDS = {"一级": ("一级", "二级", "三级"), "Ⅰ级": ("Ⅰ级", "Ⅱ级", "Ⅲ级"), "高": ("高", "中", "低"),
         "1级": ("1级", "2级", "3级"), "一级风险": ("一级风险", "二级风险", "三级风险")}
SPACES = st.sampled_from(["", " ", "\u3000", "  ", "\u3000\u3000"])


def table(*rows) -> Table:
    return Table([list(r) for r in rows], list(range(1, len(rows) + 1)), "第1个表格",
                 before=[["单位（公章）：图书馆　填表日期：2026年11月10日"]])


@st.composite
def one_cell(draw, level: int, ticks: int | None = None) -> str:
    """The level cell: a box before or after each word, spaces or none, ticked glyphs for the ticked levels."""
    words = WORDS[draw(st.sampled_from(sorted(WORDS)))]
    ticked = {level} if ticks is None else set(draw(st.lists(st.sampled_from([1, 2, 3]), min_size=ticks,
                                                             max_size=ticks, unique=True)))
    before = draw(st.booleans())
    if ticks is None and draw(st.booleans()):  # only the ticked word written: ☑二级, 二级 √
        shown = [level]
    else:
        shown = [1, 2, 3]
    inner, gap = draw(SPACES), draw(SPACES)
    parts = []
    for n in shown:
        box = draw(st.sampled_from(TICKED if n in ticked else UNTICKED))
        parts.append(f"{box}{inner}{words[n - 1]}" if before else f"{words[n - 1]}{inner}{box}")
    return gap.join(parts)


def columns_table(level: int, two_rows: bool, draw) -> Table:
    """风险等级 over 一级 | 二级 | 三级 (or those columns alone), the row ticked in one of them."""
    marks = [draw(st.sampled_from(("", *UNTICKED))) for _ in range(3)]
    marks[level - 1] = draw(st.sampled_from(TICKED))
    subs = list(WORDS[draw(st.sampled_from(["一级", "Ⅰ级", "高"]))])
    row = ["1", "出纳", "挪用公款", *marks, "双人复核"]
    if two_rows:
        upper = ["序号", "岗位名称", "风险点描述", "风险等级", "风险等级", "风险等级", "防控措施"]
        lower = ["序号", "岗位名称", "风险点描述", *subs, "防控措施"]
        return table(upper, lower, row)
    return table(["序号", "岗位名称", "风险点描述", *subs, "防控措施"], row)


@settings(max_examples=300, deadline=None, database=None)
@given(st.data(), st.sampled_from([1, 2, 3]), st.sampled_from(["cell", "columns", "columns under 风险等级"]))
def test_generated_every_level_in_every_layout_stores_the_ticked_level(data, level, layout):
    if layout == "cell":
        form = table(HEADER, ["1", "出纳", "挪用公款", data.draw(one_cell(level)), "双人复核"])
    else:
        form = columns_table(level, layout != "columns", data.draw)
    checked = check(find_form([form], [risk_kind()]))
    assert [row["level"] for row in checked.rows] == [level]


@settings(max_examples=150, deadline=None, database=None)
@given(st.data(), st.sampled_from([0, 2, 3]))
def test_generated_none_or_several_ticked_is_an_error_naming_the_row_and_the_cell(data, ticks):
    cell = data.draw(one_cell(1, ticks=ticks))
    with pytest.raises(RejectedFile) as exc:
        check(find_form([table(HEADER, ["1", "出纳", "挪用公款", cell, "双人复核"])], [risk_kind()]))
    [problem] = exc.value.problems
    assert (problem.row, problem.column, problem.value) == (2, "风险等级", cell)
    assert problem.message.startswith("风险等级没有勾选" if ticks == 0 else "风险等级勾选了不止一个")

"""Untrusted text stays text in every register: no formulas, no control characters, no silent truncation."""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile

import pytest
from openpyxl import load_workbook
from register_samples import INJECTIONS, TODAY, YEAR, add_letters, populate

from lzdocs.documents.registers import register_paths, write_registers
from lzdocs.documents.xlsx_writer import CELL_LIMIT, TRUNCATION_MARK, Column, StreamingBook, line_count, safe_cell_value
from lzdocs.store.submissions import add_submission


def sheet_xml(path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/sheet")}


@pytest.fixture
def hostile(workspace, store):
    """The sample year, plus letters and rejections whose every text field is an injection payload."""
    populate(store)
    with store.begin() as conn:
        for i, payload in enumerate(INJECTIONS, 1):
            add_submission(conn, rows=[], sha256=f"{100 + i:064x}", kind="risk", status="rejected", unit="宣传部",
                           year=YEAR, filled_date=None, received_at=dt.datetime(2026, 11, i, 8),
                           original_name=payload, source=payload, stored_as=None,
                           problems=json.dumps([{"severity": "error", "message": payload}]))
    result = write_registers(workspace, store, YEAR, TODAY)
    return workspace, result


def test_injection_payloads_come_back_as_the_strings_written(hostile):
    ws, _ = hostile
    sheet = load_workbook(register_paths(ws, YEAR)["risks"])["汇总"]
    row = next(r for r in sheet.iter_rows(min_row=4) if r[0].value == "图书馆")
    cells = {c.column_letter: c for c in row}
    assert (cells["C"].value, cells["E"].value, cells["H"].value, cells["I"].value) == (
        INJECTIONS[0], INJECTIONS[1], INJECTIONS[2], INJECTIONS[3])
    for letter in "CEHI":
        assert cells[letter].data_type == "s"
        assert cells[letter].quotePrefix  # and Excel keeps it text when someone edits the cell


def test_no_sheet_of_any_register_holds_a_formula(hostile):
    ws, result = hostile
    xlsx = [p for p in result.files if p.suffix == ".xlsx"]
    assert len(xlsx) == 4
    for path in xlsx:
        for name, xml in sheet_xml(path).items():
            assert "<f>" not in xml and "<f " not in xml, f"{path.name} {name}"
    risks = sheet_xml(register_paths(ws, YEAR)["risks"])["xl/worksheets/sheet1.xml"]
    for payload in ("=HYPERLINK(", "+1+1", "-2+3", "@SUM(A1)"):
        cell = re.search(rf'<c [^>]*>(?:(?!</c>).)*{re.escape(payload)}', risks)
        assert cell and 't="inlineStr"' in cell.group(0)


def test_rejection_reasons_and_file_names_stay_text_too(hostile):
    ws, _ = hostile
    rows = list(load_workbook(register_paths(ws, YEAR)["status"])["报送情况"].iter_rows(min_row=3, values_only=True))
    row = dict(zip(rows[0], next(r for r in rows if r[1] == "宣传部")))
    assert row["退回次数"] == 4 and row["最近退回原因"] == "@SUM(A1)"


def test_control_characters_are_removed_with_a_warning(workspace, store):
    with store.begin() as conn:
        add_submission(conn, rows=[{"post": "出纳\x07", "risk": "挪用\x00公款\x1b", "level": 1, "measures": "盘点"}],
                       sha256="a" * 64, kind="risk", status="accepted", unit="计划财务处", year=YEAR,
                       filled_date=dt.date(2026, 11, 1), received_at=dt.datetime(2026, 11, 1), original_name="a.docx",
                       source="a.docx", stored_as="a.docx")
    result = write_registers(workspace, store, YEAR, TODAY)
    sheet = load_workbook(register_paths(workspace, YEAR)["risks"])["汇总"]
    assert (sheet["C4"].value, sheet["E4"].value) == ("出纳", "挪用公款")
    assert "2026年廉政风险点汇总表.xlsx：《汇总》第4行“岗位名称”：含有不可见的控制字符，已删除" in result.warnings
    assert any(w.startswith("2026年廉政风险点公示表.docx：第1行（计划财务处）“风险点描述”") for w in result.warnings)


def test_text_over_the_cell_limit_is_cut_with_a_visible_marker_and_a_warning(workspace, store):
    long = "措施" * 20000  # 40,000 characters
    with store.begin() as conn:
        add_submission(conn, rows=[{"post": "出纳", "risk": "挪用公款", "level": 1, "measures": long}],
                       sha256="b" * 64, kind="risk", status="accepted", unit="计划财务处", year=YEAR,
                       filled_date=dt.date(2026, 11, 1), received_at=dt.datetime(2026, 11, 1), original_name="b.docx",
                       source="b.docx", stored_as="b.docx")
    result = write_registers(workspace, store, YEAR, TODAY)
    value = load_workbook(register_paths(workspace, YEAR)["risks"])["汇总"]["H4"].value
    assert len(value) == CELL_LIMIT and value.endswith(TRUNCATION_MARK) and value.startswith("措施措施")
    assert any("第4行“防控措施”：内容共 40000 字，超过 Excel 单元格 32767 字的上限，已截断并注明" in w
               for w in result.warnings)


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "=1+1"), ("@SUM(A1)", "@SUM(A1)"), ("a\r\nb", "a\nb"), ("a\x01b", "ab"), (5, 5), (None, None),
    (dt.date(2026, 1, 2), dt.date(2026, 1, 2)), (float("nan"), "nan"), ("x\ud800y", "xy"),
])
def test_safe_cell_value(value, expected):
    assert safe_cell_value(value)[0] == expected


def test_the_limit_counts_characters_outside_the_basic_plane_twice():
    text, problems = safe_cell_value("😀" * 20000)  # 40,000 UTF-16 code units
    assert len(text.encode("utf-16-le")) // 2 <= CELL_LIMIT and text.endswith(TRUNCATION_MARK) and problems


def test_row_heights_follow_the_wrapped_text(tmp_path):
    assert line_count("短", 10) == 1
    assert line_count("第一行\n第二行", 30) == 2
    assert line_count("措" * 60, 36) == 4  # Excel fits about 19 such characters in a column 36 wide
    with StreamingBook("t.xlsx", dt.date(2026, 11, 28)) as book:
        sheet = book.add_sheet("表", [Column("甲", 10), Column("乙", 36)], title="标题")
        sheet.append(["短", "短"])
        sheet.append(["短", "措" * 60])
        book.save(tmp_path / "t.xlsx")
    rows = load_workbook(tmp_path / "t.xlsx")["表"].row_dimensions
    assert rows[3].height is None and rows[4].height == 4 * 14.5 + 3


def test_text_width_is_display_width_in_a_chinese_font():
    """text_width measures text of ASCII and wide CJK characters from its UTF-8 length: every character it takes so
    is one column (ASCII) or two, as display_width says; anything else is measured by display_width itself."""
    import random

    from lzdocs.documents.xlsx_writer import _ASCII_OR_WIDE, text_width
    from lzdocs.textutil import display_width

    fast = [chr(c) for c in range(0x10000) if _ASCII_OR_WIDE.fullmatch(chr(c))]
    assert len(fast) > 20000
    for ch in fast:
        expected = (1, 1) if ch < "\x80" else (2, 3)  # columns, bytes in UTF-8
        assert (display_width(ch, ambiguous_wide=True), len(ch.encode())) == expected, hex(ord(ch))
    rng = random.Random(5)
    others = "éа·×Ⅻ😀ｶ\u0301\u200b"
    for _ in range(2000):
        text = "".join(rng.choice(fast + list(others) if rng.random() < 0.3 else fast)
                       for _ in range(rng.randint(0, 40)))
        assert text_width(text) == display_width(text, ambiguous_wide=True), text


def test_every_kind_of_value_in_one_row_comes_back_as_written(tmp_path):
    """append writes clean text, None, whole numbers and dates itself, and hands every other value to
    safe_cell_value: each comes back with its value, its type and its column's style, however the row mixes them."""
    from decimal import Decimal

    values = ["文本", "=1+1", "a & <b>", "坏\x01字", "", None, 7, True, 2.5, Decimal("1.25"), dt.date(2026, 1, 2),
              dt.datetime(2026, 1, 2, 8, 30), "措" * 60, "第一行\n第二行", "多出一列"]
    columns = [Column("文本"), Column("公式"), Column("符号"), Column("控制"), Column("空"), Column("无"),
               Column("整数", 8, "number"), Column("布尔", 8, "center"), Column("小数", 8, "percent"),
               Column("十进制", 8, "number"), Column("日期", 12, "date"), Column("时间", 16, "datetime"),
               Column("长", 36), Column("两行", 30)]
    with StreamingBook("t.xlsx", dt.date(2026, 11, 28)) as book:
        sheet = book.add_sheet("表", columns, title="标题")
        sheet.append(values)
        sheet.append(values, [None, None, "bad"])
        book.save(tmp_path / "t.xlsx")
    assert book.warnings == [f"t.xlsx：《表》第{r}行“控制”：含有不可见的控制字符，已删除" for r in (3, 4)]
    lines = line_count("措" * 60, sheet.layout.widths[12])  # the widest cell: narrowed to fit the page
    assert lines > 2
    table = load_workbook(tmp_path / "t.xlsx")["表"]
    expected = ["文本", "=1+1", "a & <b>", "坏字", None, None, 7, True, 2.5, 1.25, dt.datetime(2026, 1, 2),
                dt.datetime(2026, 1, 2, 8, 30), "措" * 60, "第一行\n第二行", "多出一列"]
    for r in (3, 4):
        cells = table[r]
        assert [c.value for c in cells] == expected
        assert [c.data_type for c in cells[:4]] == ["s"] * 4 and cells[7].data_type == "b"
        assert [c.quotePrefix for c in cells[:3]] == [False, True, False]
        assert [c.number_format for c in cells[6:12]] == ["0", "General", "0.0%", "0", "yyyy-mm-dd", "yyyy-mm-dd hh:mm"]
        assert cells[14].alignment.wrap_text  # past the last column: text
        assert table.row_dimensions[r].height == lines * 14.5 + 3
    assert table["C4"].fill.fgColor.rgb == "FFFFC7CE" and table["C3"].fill.fgColor.rgb != "FFFFC7CE"


def test_many_warnings_are_summarised_not_listed_one_by_one(tmp_path):
    with StreamingBook("t.xlsx", dt.date(2026, 11, 28)) as book:
        sheet = book.add_sheet("表", [Column("甲")], title="标题")
        for _ in range(80):
            sheet.append(["坏\x01字"])
        book.save(tmp_path / "t.xlsx")
    assert len(book.warnings) == 51 and book.warnings[-1] == "t.xlsx：另有 30 处同类问题未逐条列出"


def test_letters_ledger_has_no_formula_either(workspace, store):
    with store.begin() as conn:
        add_letters(conn)
    result = write_registers(workspace, store, YEAR, TODAY)
    assert all("<f>" not in xml for p in result.files if p.suffix == ".xlsx" for xml in sheet_xml(p).values())


def test_a_book_made_again_on_the_same_day_is_the_same_file(tmp_path):
    """The file properties say the book's day, not the wall clock's time (XlsxWriter's default): the same rows on
    the same day give the same bytes, on any day the computer's clock shows."""
    made = []
    for name in ("a.xlsx", "b.xlsx"):
        with StreamingBook(name, dt.date(2026, 11, 28)) as book:
            book.add_sheet("表", [Column("说明")], title="标题").append(["一行"])
            book.save(tmp_path / name)
        made.append(tmp_path / name)
    with zipfile.ZipFile(made[0]) as a, zipfile.ZipFile(made[1]) as b:
        core = a.read("docProps/core.xml").decode()
        assert "<dcterms:created xsi:type=\"dcterms:W3CDTF\">2026-11-28T00:00:00Z</dcterms:created>" in core
        assert {i.filename: a.read(i) for i in a.infolist()} == {i.filename: b.read(i) for i in b.infolist()}


def test_xlsxwriter_is_a_pinned_version_that_still_numbers_formats_as_the_streaming_rows_expect(tmp_path):
    """documents/xlsx_writer.py writes the data rows' XML itself and asks XlsxWriter for a format's number with
    its private ``Format._get_xf_index``: the versions it was tested with are pinned, and the numbers it gives
    are the ones the cells then carry in the saved workbook."""
    import importlib.metadata
    import inspect
    import tomllib
    from pathlib import Path

    from packaging.requirements import Requirement
    from xlsxwriter.format import Format

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    dependencies = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    pin = next(r for r in map(Requirement, dependencies) if r.name.lower() == "xlsxwriter")
    assert any(s.operator in ("<", "<=", "==", "~=") for s in pin.specifier), "XlsxWriter needs an upper bound"
    assert pin.specifier.contains(importlib.metadata.version("XlsxWriter"))
    assert list(inspect.signature(Format._get_xf_index).parameters) == ["self"]

    with StreamingBook("样式.xlsx", TODAY) as book:
        sheet = book.add_sheet("表", [Column("日期", 12, "date"), Column("数", 8, "number")], title="标题")
        sheet.append([TODAY, 3])
        book.save(tmp_path / "样式.xlsx")
    cells = load_workbook(tmp_path / "样式.xlsx")["表"]
    row = next(r for r in cells.iter_rows() if r[0].value is not None and r[1].value == 3)
    assert (row[0].value.date(), row[0].number_format, row[1].number_format) == (TODAY, "yyyy-mm-dd", "0")

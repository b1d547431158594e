"""``lzdocs summary`` of a school with more units than one chart can show on a page: the chart of levels per unit in
parts that each fit the 版心, on one scale; and the report's work grows with the units, not with their square."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import docx
import pytest

from lzdocs.documents import charts
from lzdocs.documents.summary_doc import CHART_HEIGHT_MM, CHART_WIDTH_MM
from tests.conftest import SAMPLE_ROWS, SAMPLE_SCHOOL, run_cli, run_json

UNITS = [f"第{i:02d}学院" for i in range(1, 46)]  # 45: three charts of 15
TAKEN = UNITS[:21]  # the forms of the archive made here: two charts, of 11 and 10
EMU_PER_MM = 36_000
LEVELS = {1: "一级", 2: "二级", 3: "三级"}


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    """The summary of a school of 21 units, written while counting the calls a quadratic step would multiply
    (``test_the_summarys_work_grows_with_the_units_not_their_square``)."""
    from docx.table import Table

    from lzdocs.forms.values import parse_level
    from lzdocs.store import Store
    from lzdocs.store import submissions as subs
    from lzdocs.workspace import Roster, Workspace

    root = tmp_path_factory.mktemp("many") / "工作区"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    (root / "units.csv").write_text("单位,别名\n" + "".join(f"{u},\n" for u in TAKEN), encoding="utf-8")
    store = Store.for_workspace(Workspace.open(root))
    try:  # each unit's form recorded as an ingest records it (the summary reads the archive, not the files)
        for i, unit in enumerate(TAKEN):
            rows = [{**row, "row": n, "level": parse_level(row["level"])}
                    for n, row in enumerate(SAMPLE_ROWS[: 1 + i % len(SAMPLE_ROWS)], 3)]
            with store.begin() as conn:
                subs.add_submission(conn, rows=rows, sha256=f"form-{i}", status="accepted", kind="risk", unit=unit,
                                    year=2026, filled_date=dt.date(2026, 11, 10), received_at=dt.datetime(
                                        2026, 11, 12, 9, i), original_name=f"{unit}.docx", source=f"{unit}.docx",
                                    arrived_on=dt.date(2026, 11, 12))
    finally:
        store.close()
    names, laid_out = [], []
    current = Roster.current
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Roster, "current", lambda self, recorded: names.append(recorded) or current(self, recorded))
        patch.setattr(Table, "_cells", property(lambda self: laid_out.append(self) or []))
        result = run_json("-w", root, "summary", "--year", "2026")
    return root / result["file"], names, laid_out


def test_the_chart_of_many_units_comes_in_parts_that_each_fit_the_page(school):
    path, _, _ = school
    paras = [p.text for p in docx.Document(str(path)).paragraphs]
    assert [p for p in paras if p.startswith("图")] == ["图1　各单位风险点等级分布", "图1　各单位风险点等级分布（续）"]
    with zipfile.ZipFile(path) as z:
        body = z.read("word/document.xml").decode("utf-8")
        images = [n for n in z.namelist() if n.startswith("word/media/")]
    extents = [(int(cx) / EMU_PER_MM, int(cy) / EMU_PER_MM)
               for cx, cy in re.findall(r'<wp:extent cx="(\d+)" cy="(\d+)"', body)]
    assert len(images) == len(extents) == 2
    assert all(w <= CHART_WIDTH_MM + 0.01 and h <= CHART_HEIGHT_MM + 0.01 for w, h in extents), extents
    assert all(h > 100 for _, h in extents)  # a dozen bars each, not a sliver


def test_the_parts_are_even_in_the_roster_order_and_on_one_scale(monkeypatch):
    drawn = []
    monkeypatch.setattr(charts, "levels_per_unit",
                        lambda by_unit, names, warnings, *, most=None: drawn.append((list(by_unit), most)) or b"")
    by_unit = {u: {1: i % 4, 3: 1} for i, u in enumerate(UNITS)}
    assert len(charts.levels_per_unit_parts(by_unit, LEVELS, [])) == 3
    assert [units for units, _ in drawn] == [UNITS[:15], UNITS[15:30], UNITS[30:]]
    assert {most for _, most in drawn} == {4}
    drawn.clear()
    charts.levels_per_unit_parts(dict(list(by_unit.items())[:20]), LEVELS, [])
    assert [len(units) for units, _ in drawn] == [20]  # as many as one chart holds: one chart
    drawn.clear()
    charts.levels_per_unit_parts(dict(list(by_unit.items())[:21]), LEVELS, [])
    assert [len(units) for units, _ in drawn] == [11, 10]
    assert charts.unit_parts([]) == [] and charts.levels_per_unit_parts(by_unit, LEVELS, [], only=3) == []


def test_the_summarys_work_grows_with_the_units_not_their_square(school):
    """Two ways a large roster made ``lzdocs summary`` take minutes (six of them for a thousand units): each unit's
    rows looked for among all rows, and each table cell found by laying out the whole table again."""
    _, names, laid_out = school
    rows = sum(1 + i % len(SAMPLE_ROWS) for i in range(len(TAKEN)))
    assert len(names) <= 4 * (rows + len(TAKEN)), len(names)
    assert laid_out == []

"""The 公示表: a landscape Word table of the current risk points, from an editable template, names only on request."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from register_samples import CURRENT, SUPERSEDED, TODAY, YEAR, populate

from lzdocs.documents.publicity import publicity_context, write_publicity
from lzdocs.documents.registers import register_paths, write_registers
from lzdocs.errors import TemplateError
from lzdocs.ooxml.package import rewrite_package
from lzdocs.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]


def table_rows(path) -> list[list[str]]:
    doc = Document(path)
    assert len(doc.tables) == 1
    return [[c.text for c in row.cells] for row in doc.tables[0].rows]


def set_option(ws, text: str) -> Workspace:
    config = ws.root / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("show_owner = false", text), encoding="utf-8")
    return Workspace.open(ws.root)


@pytest.fixture
def sample(workspace, store):
    populate(store)
    return workspace, store


def test_lists_every_current_risk_point_without_names_by_default(sample):
    ws, store = sample
    write_registers(ws, store, YEAR, TODAY)
    path = register_paths(ws, YEAR)["publicity"]
    rows = table_rows(path)
    assert rows[0] == ["单位", "岗位名称", "风险点描述", "风险等级", "防控措施"]
    expected = {(unit, r["post"], r["risk"], {1: "一级", 2: "二级", 3: "三级"}[r["level"]], r["measures"])
                for unit, items in CURRENT.items() for r in items}
    assert {tuple(r) for r in rows[1:]} == expected and len(rows) - 1 == len(expected)
    assert not {r["risk"] for r in SUPERSEDED} & {r[2] for r in rows}
    text = "\n".join(p.text for p in Document(path).paragraphs)
    assert "内蒙古工业大学2026年廉政风险点公示表" in text and "2026年11月28日" in text and "张三" not in text


def test_show_owner_adds_the_responsible_person(sample):
    ws, store = sample
    ws = set_option(ws, "show_owner = true")
    write_registers(ws, store, YEAR, TODAY)
    rows = table_rows(register_paths(ws, YEAR)["publicity"])
    assert rows[0] == ["单位", "岗位名称", "风险点描述", "风险等级", "防控措施", "责任人"]
    assert {r[5] for r in rows[1:]} == {"张三", "@SUM(A1)"}


def test_page_is_a4_landscape_with_the_header_row_repeated(sample):
    ws, store = sample
    write_registers(ws, store, YEAR, TODAY)
    doc = Document(register_paths(ws, YEAR)["publicity"])
    section = doc.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (297, 210)
    header = doc.tables[0].rows[0]._tr
    assert header.trPr.find(qn("w:tblHeader")) is not None


def test_every_run_has_an_east_asian_font(sample):
    ws, store = sample
    write_registers(ws, store, YEAR, TODAY)
    with zipfile.ZipFile(register_paths(ws, YEAR)["publicity"]) as z:
        from lxml import etree

        root = etree.fromstring(z.read("word/document.xml"))
    runs = [r for r in root.iter(qn("w:r")) if r.find(qn("w:t")) is not None and "".join(r.itertext()).strip()]
    assert len(runs) > 20
    for run in runs:
        fonts = run.find(qn("w:rPr") + "/" + qn("w:rFonts"))
        assert fonts is not None and fonts.get(qn("w:eastAsia")), "".join(run.itertext())


def test_text_is_written_as_is(workspace, tmp_path):
    rows = [{"unit": "R&D <x>", "post": "出纳", "risk": "第一行\n第二行", "level": "一级", "measures": 'a "b" & c'}]
    dest = tmp_path / "公示.docx"
    context = {**publicity_context(workspace, YEAR, TODAY), "school": "R&D <大学>", "title": "R&D <大学>公示"}
    warnings = write_publicity(workspace.template("公示表.docx"), dest, context, rows)
    assert warnings == []
    doc = Document(dest)
    assert doc.paragraphs[0].text == "R&D <大学>公示"
    cells = [c.text for c in doc.tables[0].rows[1].cells]
    assert cells == ["R&D <x>", "出纳", "第一行\n第二行", "一级", 'a "b" & c']


def test_a_workspace_template_overrides_the_packaged_one(sample):
    ws, store = sample
    packaged = resources.files("lzdocs") / "templates" / "公示表.docx"
    own = ws.templates / "公示表.docx"  # init put an editable copy here; the clerk edits it
    reworded = {"word/document.xml": lambda xml: xml.replace("予以公示".encode(), "在校内网站予以公示".encode())}
    rewrite_package(io.BytesIO(packaged.read_bytes()), own, reworded)
    write_registers(ws, store, YEAR, TODAY)
    text = "\n".join(p.text for p in Document(register_paths(ws, YEAR)["publicity"]).paragraphs)
    assert "在校内网站予以公示" in text


def test_a_template_without_a_row_loop_is_reported_and_the_workbooks_still_written(sample):
    ws, store = sample
    doc = Document()
    doc.add_paragraph("{{ title }}")
    doc.save(ws.templates / "公示表.docx")
    with pytest.raises(TemplateError):
        write_publicity(ws.templates / "公示表.docx", ws.root / "x.docx", publicity_context(ws, YEAR, TODAY), [])
    result = write_registers(ws, store, YEAR, TODAY)
    assert result.failed == [register_paths(ws, YEAR)["publicity"]]
    assert len(result.files) == 4 and any("表格行循环" in w for w in result.warnings)


def test_a_template_asking_for_an_unknown_variable_is_an_error(workspace, tmp_path):
    doc = Document()
    doc.add_paragraph("{{ 不存在的字段 }}")
    doc.save(tmp_path / "t.docx")
    with pytest.raises(TemplateError, match="不存在的字段"):
        write_publicity(tmp_path / "t.docx", tmp_path / "x.docx", publicity_context(workspace, YEAR, TODAY), [])
    assert not (tmp_path / "x.docx").exists()


def test_the_packaged_template_is_what_the_script_makes(tmp_path):
    subprocess.run([sys.executable, str(REPO / "tools" / "make_publicity_template.py"), str(tmp_path)], check=True,
                   capture_output=True)
    assert (tmp_path / "公示表.docx").read_bytes() == (REPO / "lzdocs" / "templates" / "公示表.docx").read_bytes()


def test_many_rows_stream_into_the_table(workspace, tmp_path):
    rows = ({"unit": f"单位{i % 40}", "post": "岗位", "risk": f"风险{i}", "level": "二级", "measures": "措施"}
            for i in range(3000))
    dest = tmp_path / "公示.docx"
    write_publicity(workspace.template("公示表.docx"), dest, publicity_context(workspace, YEAR, dt.date(2026, 1, 1)),
                    rows)
    table = Document(dest).tables[0]
    assert len(table.rows) == 3001 and table.rows[3000].cells[2].text == "风险2999"

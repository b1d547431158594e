"""The 公示表: a landscape Word table of the current risk points, from an editable template, names only on request."""

from __future__ import annotations

import datetime as dt
import io
import re
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
from lzdocs.store.submissions import add_submission
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


def test_the_table_written_beside_the_summary_is_the_one_written_alone(sample):
    """With the 汇总 the 公示表 takes its rows as the 汇总 reads them (one read of the archive); alone it reads them
    itself: the same document either way, with the same warnings, in the same place among the others."""
    ws, store = sample
    with store.begin() as conn:
        add_submission(conn, rows=[{"post": "出纳", "risk": "挪用\x00公款 & <票据>", "level": 1, "measures": "盘点"}],
                       sha256="c" * 64, kind="risk", status="accepted", unit="校医院", year=YEAR,
                       filled_date=dt.date(2026, 11, 1), received_at=dt.datetime(2026, 11, 1), original_name="c.docx",
                       source="c.docx", stored_as="c.docx")
    path = register_paths(ws, YEAR)["publicity"]
    both = write_registers(ws, store, YEAR, TODAY)
    with zipfile.ZipFile(path) as z:
        beside = {n: z.read(n) for n in z.namelist()}
    alone = write_registers(ws, store, YEAR, TODAY, books=["publicity"])
    with zipfile.ZipFile(path) as z:
        assert {n: z.read(n) for n in z.namelist()} == beside
    rows = table_rows(path)
    n = next(i for i, row in enumerate(rows) if row[0] == "校医院")  # the header is row 0
    said = [w for w in both.warnings if w.startswith(path.name)]
    assert said == alone.warnings == [f"{path.name}：第{n}行（校医院）“风险点描述”：含有不可见的控制字符，已删除"]
    assert both.warnings[-1] == said[-1] and path in both.files and path in alone.files
    assert rows[n][2] == "挪用公款 & <票据>"


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


# --- 公示期, 监督电话/邮箱, the closing lines kept with the table ------------------------------------------------
def body_text(path) -> str:
    return "\n".join(p.text for p in Document(path).paragraphs)


def configure(ws, **publicity) -> Workspace:
    """The workspace with ``[publicity]`` keys replaced as a clerk would type them (TOML values)."""
    config = ws.root / "lzdocs.toml"
    before, section = config.read_text(encoding="utf-8").split("[publicity]\n", 1)
    for key, value in publicity.items():
        section = re.sub(rf"(?m)^{key} = [^#\n]*", f"{key} = {value} ", section, count=1)
    config.write_text(f"{before}[publicity]\n{section}", encoding="utf-8")
    return Workspace.open(ws.root)


def test_the_publicity_period_runs_seven_days_from_the_date_of_the_table_by_default(sample):
    ws, store = sample
    write_registers(ws, store, YEAR, TODAY)
    text = body_text(register_paths(ws, YEAR)["publicity"])
    assert "予以公示，公示期为2026年11月28日至12月4日。公示期间" in text
    assert "监督电话" not in text and "电子邮箱" not in text  # not set: no empty line for them


def test_the_period_from_explicit_dates_or_a_number_of_days(sample):
    ws, store = sample
    write_registers(configure(ws, start='"2026-12-28"', days="10"), store, YEAR, TODAY)
    assert "公示期为2026年12月28日至2027年1月6日。" in body_text(register_paths(ws, YEAR)["publicity"])
    write_registers(configure(ws, start="2026-12-01", end='"2026/12/5"'), store, YEAR, TODAY)  # a TOML date too
    assert "公示期为2026年12月1日至12月5日。" in body_text(register_paths(ws, YEAR)["publicity"])


def test_a_period_that_ends_before_it_starts_is_reported_and_the_workbooks_still_written(sample):
    ws, store = sample
    result = write_registers(configure(ws, start='"2026-12-10"', end='"2026-12-01"'), store, YEAR, TODAY)
    assert result.failed == [register_paths(ws, YEAR)["publicity"]] and len(result.files) == 4
    assert any("公示期结束日期 2026-12-01 早于开始日期 2026-12-10" in w for w in result.warnings)


@pytest.mark.parametrize("value", ['"明天"', '"2026-13-01"', "5"])
def test_a_date_setting_that_is_not_a_date_is_refused_in_chinese(workspace, value):
    from lzdocs.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[publicity\] start 的值.*不是日期"):
        configure(workspace, start=value)


def test_the_supervision_phone_and_email_from_the_settings(sample):
    ws, store = sample
    write_registers(configure(ws, phone='"0471-6575000"', email='"jiwei@example.edu.cn"'), store, YEAR, TODAY)
    paragraphs = [p.text for p in Document(register_paths(ws, YEAR)["publicity"]).paragraphs]
    closing = paragraphs[paragraphs.index("监督电话：0471-6575000　　电子邮箱：jiwei@example.edu.cn"):]
    assert closing == ["监督电话：0471-6575000　　电子邮箱：jiwei@example.edu.cn", "", "内蒙古工业大学纪委办公室",
                       "2026年11月28日"]
    write_registers(configure(ws, phone='""'), store, YEAR, TODAY)
    assert "电子邮箱：jiwei@example.edu.cn" in [p.text for p in
                                             Document(register_paths(ws, YEAR)["publicity"]).paragraphs]


def test_the_last_row_and_the_closing_lines_keep_with_the_signature(sample):
    ws, store = sample
    write_registers(configure(ws, phone='"0471-6575000"'), store, YEAR, TODAY)
    doc = Document(register_paths(ws, YEAR)["publicity"])
    rows = doc.tables[0].rows
    kept = [all(p.paragraph_format.keep_with_next for c in row.cells for p in c.paragraphs) for row in rows[1:]]
    assert kept == [False] * (len(rows) - 2) + [True]  # only the last risk point goes with the signature
    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in rows)
    closing = doc.paragraphs[-4:]
    assert [p.text for p in closing][1:] == ["", "内蒙古工业大学纪委办公室", "2026年11月28日"]
    assert [p.paragraph_format.keep_with_next for p in closing] == [True, True, True, None]
    assert all(p.paragraph_format.keep_together for p in closing[:3])


def test_keep_with_next_goes_where_the_schema_wants_it():
    from lzdocs.documents.publicity import keep_with_next

    assert keep_with_next('<w:p><w:r/></w:p>') == '<w:p><w:pPr><w:keepNext/></w:pPr><w:r/></w:p>'
    assert keep_with_next('<w:p w:rsidR="1"><w:pPr/></w:p>') == '<w:p w:rsidR="1"><w:pPr><w:keepNext/></w:pPr></w:p>'
    assert keep_with_next('<w:p><w:pPr><w:pStyle w:val="a"/><w:jc w:val="left"/></w:pPr></w:p>') == (
        '<w:p><w:pPr><w:pStyle w:val="a"/><w:keepNext/><w:jc w:val="left"/></w:pPr></w:p>')
    already = '<w:p><w:pPr><w:keepNext/></w:pPr></w:p>'
    assert keep_with_next(already) == already

"""Letters: every kind renders and converts, fields are checked before a 文号 is taken, files and registers."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import zipfile

import docx
import pytest
import time_machine
from docx.shared import RGBColor
from lxml import etree
from sqlalchemy import select

from lzdocs.documents import letters as L
from lzdocs.documents.pdf import to_pdf_many
from lzdocs.errors import ConfigError, FieldError, TemplateError
from lzdocs.office import Office
from lzdocs.store import Store
from lzdocs.store.schema import documents, events, warnings
from lzdocs.store.submissions import add_submission
from lzdocs.workspace import SAMPLE, Workspace
from tests.conftest import needs_soffice

pytestmark = pytest.mark.both_backends  # the archive on SQLite and on PostgreSQL

DAY = dt.date(2026, 11, 28)
TRICKY = 'R&D <项目> "配套" & 100%'
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CJK = re.compile("[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")

SAMPLES = {
    "suggestion": ("计财处", {"事由": f"在2026年度检查中，{TRICKY}", "问题": "采购程序不规范\n2. 报销审核把关不严",
                            "建议": "完善采购制度\n加强报销审核", "抄送": "学校党委、党政办公室"}),
    "accountability": ("基建处", {"对象": "基建处处长", "事由": "在工程项目专项检查中", "问题": "工程变更未经审批",
                               "要求": "说明工程变更未经审批的原因"}),
    "talk": ("资产处",
             {"对象": "资产处副处长", "事由": "在资产清查中发现处置不规范", "谈话时间": "2026年12月1日上午9:00",
                      "谈话地点": "行政楼301会议室", "谈话人": "纪委副书记王某某"}),
    "rectify": ("后勤处", {"事由": "在复查中", "问题": "采购验收记录不全", "整改要求": "建立验收台账\n每月公开价格"}),
    "urge": ("图书馆", {}),
}
EXPECTED = {  # what the reader must find in each letter, besides the 文号 and the recipient
    "suggestion": ["纪检监察建议书", TRICKY, "\n1．采购程序不规范；\n", "\n2．报销审核把关不严。\n",
                   "\n2．加强报销审核。\n", "2026年12月28日", "学校党委，党政办公室。"],
    "accountability": ["问廉问责书", "基建处处长", "\n工程变更未经审批。\n", "\n说明工程变更未经审批的原因。\n",
                       "2026年12月13日"],
    "talk": ["谈话提醒通知书", "资产处副处长", "一、谈话时间：2026年12月1日（星期二）上午9时；",
             "二、谈话地点：行政楼301会议室；", "三、谈话人：纪委副书记王某某。"],
    "rectify": ["责令检查整改通知书", "\n采购验收记录不全。\n", "\n1．建立验收台账；\n", "\n2．每月公开价格。\n",
                "2026年12月28日"],
    "urge": ["催报通知", "《岗位风险分析和防控措施表》", "2026年11月16日", "2026年12月5日"],
}


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    """One letter of each kind, issued in one workspace."""
    ws, _ = Workspace.init(tmp_path_factory.mktemp("letters") / "ws", SAMPLE)
    store = Store.for_workspace(ws)
    office = L.LetterOffice(ws, store)
    letters = {key: office.issue(office.prepare(L.KINDS[key], unit, values, DAY))
               for key, (unit, values) in SAMPLES.items()}
    yield ws, store, letters
    store.close()


@pytest.fixture(scope="module")
def pdf_texts(issued, tmp_path_factory):
    """All five letters converted in one LibreOffice run; the text of each PDF."""
    _, _, letters = issued
    outdir = tmp_path_factory.mktemp("pdf")
    pdfs = to_pdf_many([item.path for item in letters.values()], outdir, timeout=180)
    return {key: subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                                check=True).stdout for key, pdf in zip(letters, pdfs)}


def document_text(path) -> str:
    """Every paragraph's text, those in tables (the 抄送 at the foot, the 送达回证) included."""
    body = docx.Document(path).element.body
    return "\n".join("".join(t.text or "" for t in p.iter(f"{W}t")) for p in body.iter(f"{W}p"))


@pytest.mark.parametrize("key", list(SAMPLES))
def test_every_kind_opens_in_python_docx_with_its_number_recipient_and_values(issued, key):
    ws, _, letters = issued
    item = letters[key]
    text = document_text(item.path)
    code = ws.settings.get("numbering", key)
    assert str(item.number) == f"{code}〔2026〕1号"
    assert item.path == ws.root / "outbox" / "2026" / L.KINDS[key].name / f"{item.number}-{item.unit}.docx"
    assert str(item.number) in text and f"{item.unit}：" in text
    for value in EXPECTED[key]:
        assert value in text, value
    assert "{{" not in text and "{%" not in text


@needs_soffice
@pytest.mark.parametrize("key", list(SAMPLES))
def test_every_kind_converts_to_pdf_with_its_number_recipient_and_values(issued, pdf_texts, key):
    _, _, letters = issued
    flat = re.sub(r"\s+", "", pdf_texts[key])
    for value in [str(letters[key].number), letters[key].unit, *EXPECTED[key]]:
        assert re.sub(r"\s+", "", value) in flat, value


def _effective_east_asia(run, paragraph, styles) -> str | None:
    """w:eastAsia of a run: its own rFonts, else its character style, paragraph style, Normal, docDefaults."""
    def from_rpr(rpr):
        fonts = rpr.find(f"{W}rFonts") if rpr is not None else None
        return fonts.get(f"{W}eastAsia") if fonts is not None else None

    found = from_rpr(run.find(f"{W}rPr"))
    style_ids = []
    rstyle = run.find(f"{W}rPr/{W}rStyle")
    if rstyle is not None:
        style_ids.append(rstyle.get(f"{W}val"))
    pstyle = paragraph.find(f"{W}pPr/{W}pStyle")
    style_ids.append(pstyle.get(f"{W}val") if pstyle is not None else "Normal")
    for style_id in style_ids:
        while found is None and style_id:
            style = styles.find(f"{W}style[@{W}styleId='{style_id}']")
            if style is None:
                break
            found = from_rpr(style.find(f"{W}rPr"))
            based = style.find(f"{W}basedOn")
            style_id = based.get(f"{W}val") if based is not None else None
    return found or from_rpr(styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr"))


@pytest.mark.parametrize("key", list(SAMPLES))
def test_every_run_with_chinese_text_has_an_east_asian_font(issued, key):
    _, _, letters = issued
    document = docx.Document(letters[key].path)
    styles = document.styles.element
    checked = 0
    parts = [document.element, *(s.first_page_header._element for s in document.sections),
             *(s.footer._element for s in document.sections), *(s.even_page_footer._element for s in document.sections)]
    for part in parts:
        for paragraph in part.iter(f"{W}p"):
            for run in paragraph.iter(f"{W}r"):
                text = "".join(t.text or "" for t in run.iter(f"{W}t"))
                if CJK.search(text):
                    checked += 1
                    assert _effective_east_asia(run, paragraph, styles), text
    assert checked >= 5


def test_title_is_2hao_xiaobiaosong_and_body_3hao_fangsong(issued):
    _, _, letters = issued
    document = docx.Document(letters["suggestion"].path)
    fonts = {p.text: (p.runs[0].font.size.pt, p.runs[0]._r.rPr.rFonts.get(f"{W}eastAsia"))
             for p in document.paragraphs if p.runs}
    mark = document.sections[0].first_page_header.paragraphs[0].runs[0]
    assert (mark.text, mark.font.size.pt, mark.font.color.rgb) == (
        "中共内蒙古工业大学纪律检查委员会", 24, RGBColor(255, 0, 0))
    assert fonts["纪检监察建议书"] == (22, "方正小标宋简体")
    assert fonts["计划财务处："] == (16, "仿宋_GB2312")
    assert fonts["1．采购程序不规范；"] == (16, "仿宋_GB2312")
    section = document.sections[0]
    assert (round(section.top_margin.mm), round(section.left_margin.mm), round(section.right_margin.mm),
            round(section.bottom_margin.mm), round(section.page_width.mm)) == (37, 28, 26, 35, 210)


def test_the_letters_are_in_the_registers_with_reply_deadlines(issued):
    _, store, letters = issued
    with store.read() as conn:
        rows = {r["kind"]: r for r in conn.execute(select(documents)).mappings()}
        due = {r["kind"]: r["reply_due"] for r in conn.execute(select(warnings)).mappings()}
    assert rows["suggestion"]["number"] == "内工大纪建〔2026〕1号"
    assert rows["suggestion"]["recipient"] == "计划财务处" and rows["suggestion"]["issued"] == DAY
    assert rows["suggestion"]["file"] == "outbox/2026/纪检监察建议书/内工大纪建〔2026〕1号-计划财务处.docx"
    assert len(rows["suggestion"]["sha256"]) == 64
    assert due == {"suggestion": dt.date(2026, 12, 28), "accountability": dt.date(2026, 12, 13),
                   "rectify": dt.date(2026, 12, 28), "talk": dt.date(2026, 12, 1)}  # a talk is due on its day


# ---- checks before a number is taken -------------------------------------------------------------------

@pytest.fixture
def office(workspace, store):
    return L.LetterOffice(workspace, store)


def numbers_taken(store) -> list[str]:
    with store.read() as conn:
        return [r["number"] for r in conn.execute(select(documents).order_by(documents.c.id)).mappings()]


def files_in(ws) -> list[str]:
    return sorted(p.name for p in (ws.root / "outbox").rglob("*") if p.is_file())


def test_a_missing_field_names_every_missing_field_and_consumes_nothing(office, workspace, store):
    with pytest.raises(FieldError) as caught:
        office.prepare(L.KINDS["talk"], "基建处", {"对象": "张某", "事由": "x"}, DAY)
    assert str(caught.value).startswith("谈话提醒通知书缺少必填字段：谈话时间、谈话地点、谈话人")
    assert "--set 谈话时间=" in str(caught.value)
    assert numbers_taken(store) == [] and files_in(workspace) == []


def test_a_template_that_fails_while_rendering_consumes_no_number_and_leaves_no_file(office, workspace, store):
    broken = docx.Document(workspace.template("纪检监察建议书.docx"))
    broken.add_paragraph("{{ 问题.第一条.内容 }}")  # StrictUndefined: fails only while rendering
    broken.save(workspace.templates / "纪检监察建议书.docx")
    letter = office.prepare(L.KINDS["suggestion"], "计财处", SAMPLES["suggestion"][1], DAY)
    with pytest.raises(TemplateError):
        office.issue(letter)
    assert numbers_taken(store) == [] and files_in(workspace) == []
    (workspace.templates / "纪检监察建议书.docx").unlink()
    good = L.LetterOffice(workspace, store)
    item = good.issue(good.prepare(L.KINDS["suggestion"], "计财处", SAMPLES["suggestion"][1], DAY))
    assert str(item.number) == "内工大纪建〔2026〕1号" and numbers_taken(store) == [str(item.number)]


def own_template(workspace, changes: dict[str, str], header: str = "") -> None:
    """The workspace's 纪检监察建议书 template as a clerk saves it from WPS: in each paragraph holding a key of
    ``changes`` that text made its value; ``header`` added to the page header."""
    document = docx.Document(workspace.template("纪检监察建议书.docx"))
    for old, new in changes.items():
        paragraph = next(p for p in document.paragraphs if old in p.text)
        text = paragraph.text.replace(old, new)
        for run in paragraph.runs[1:]:
            run.text = ""
        paragraph.runs[0].text = text
    if header:
        document.sections[0].header.add_paragraph(header)
    document.save(workspace.templates / "纪检监察建议书.docx")


def issue_with_the_packaged_template(workspace, store) -> str:
    """The number the next letter gets once the workspace's own template is gone."""
    (workspace.templates / "纪检监察建议书.docx").unlink()
    good = L.LetterOffice(workspace, store)
    return str(good.issue(good.prepare(L.KINDS["suggestion"], "计财处", SAMPLES["suggestion"][1], DAY)).number)


@pytest.mark.parametrize("broken, found", [
    ("{{ 事由 ", "没有结束符 }}"),  # compiled before: the 事由 and the text after it were dropped
    ("{ 事由 }}", "多余的结束符 }}"),  # compiled before: the letter printed “{ 事由 }}”
    ("{ { 事由 }}", "多余的结束符 }}"),
])
def test_a_workspace_template_with_a_broken_tag_is_refused_before_numbering(office, workspace, store, broken, found):
    own_template(workspace, {"{{ 事由 }}": broken})
    with pytest.raises(TemplateError) as caught:
        office.prepare(L.KINDS["suggestion"], "计财处", SAMPLES["suggestion"][1], DAY)
    assert f"正文第5段（“{broken}，发现你单位存在以下问题：”）" in str(caught.value) and found in str(caught.value)
    assert "lzdocs template check" in str(caught.value)
    assert numbers_taken(store) == [] and files_in(workspace) == []
    assert issue_with_the_packaged_template(workspace, store) == "内工大纪建〔2026〕1号"


@pytest.mark.parametrize("left_out, found", [
    ("{{ 文号 }}", "模板中没有 {{ 文号 }}，文号不会印在纪检监察建议书上；请在发文字号的位置写上 {{ 文号 }}"),
    ("{{ 事由 }}", "模板中没有 {{ 事由 }}，填写的“事由”不会出现在纪检监察建议书中"),
])
def test_a_workspace_template_without_the_number_or_a_required_field_is_refused_before_numbering(
        office, workspace, store, left_out, found):
    own_template(workspace, {left_out: ""})
    with pytest.raises(TemplateError) as caught:
        office.prepare(L.KINDS["suggestion"], "计财处", SAMPLES["suggestion"][1], DAY)
    assert str(caught.value).startswith(f"模板 纪检监察建议书.docx 不能用于生成纪检监察建议书：{found}")
    assert "lzdocs template check" in str(caught.value) and str(caught.value).endswith("文号没有占用")
    assert numbers_taken(store) == [] and files_in(workspace) == []
    assert issue_with_the_packaged_template(workspace, store) == "内工大纪建〔2026〕1号"


def test_a_template_printing_its_number_in_the_page_header_is_used(office, workspace):
    own_template(workspace, {"{{ 文号 }}": ""}, header="{{ 文号 }}")
    item = office.issue(office.prepare(L.KINDS["suggestion"], "计财处", SAMPLES["suggestion"][1], DAY))
    with zipfile.ZipFile(item.path) as package:
        headers = "".join(package.read(n).decode() for n in package.namelist() if n.startswith("word/header"))
    assert "内工大纪建〔2026〕1号" in headers and "内工大纪建〔2026〕1号" not in document_text(item.path)


def test_an_optional_field_the_template_does_not_print_is_refused_only_when_given(office, workspace, store):
    own_template(workspace, {"{%p if 抄送 %}": "", "抄送：{{ 抄送 }}": "", "{%p endif %}": ""})
    with pytest.raises(TemplateError) as caught:  # SAMPLES gives a 抄送
        office.prepare(L.KINDS["suggestion"], "计财处", SAMPLES["suggestion"][1], DAY)
    assert str(caught.value).startswith("模板 纪检监察建议书.docx 中没有 {{ 抄送 }}，"
                                        "填写的“抄送”不会出现在纪检监察建议书中")
    assert numbers_taken(store) == [] and files_in(workspace) == []
    values = {k: v for k, v in SAMPLES["suggestion"][1].items() if k != "抄送"}
    item = office.issue(office.prepare(L.KINDS["suggestion"], "计财处", values, DAY))
    assert str(item.number) == "内工大纪建〔2026〕1号" and "抄送" not in document_text(item.path)
    with Office(workspace, today=DAY) as clerk:  # what lzdocs template check says of it
        report, _ = clerk.check_template(workspace.templates / "纪检监察建议书.docx")
    assert report.errors == [] and [p.describe() for p in report.problems] == [
        "全文：模板中没有 {{ 抄送 }}，填写了“抄送”的纪检监察建议书会被拒绝生成（内容无处印出）；"
        "如要用它，请在模板中写上 {{ 抄送 }}"]


def test_a_template_asking_for_an_unknown_variable_is_refused_before_numbering(office, workspace, store):
    custom = docx.Document(workspace.template("纪检监察建议书.docx"))
    custom.add_paragraph("督办人：{{ 督办人 }}")
    custom.save(workspace.templates / "纪检监察建议书.docx")
    with pytest.raises(TemplateError, match="督办人"):
        office.prepare(L.KINDS["suggestion"], "计财处", SAMPLES["suggestion"][1], DAY)
    letter = office.prepare(L.KINDS["suggestion"], "计财处", {**SAMPLES["suggestion"][1], "督办人": "李老师"}, DAY)
    assert "督办人：李老师" in document_text(office.issue(letter).path)


@pytest.mark.parametrize("when, due", [("2026年12月1日上午9:00", dt.date(2026, 12, 1)),
                                       ("2026-12-08 09:30", dt.date(2026, 12, 8)),
                                       ("二〇二六年十二月八日上午九时", dt.date(2026, 12, 8)),
                                       ("下周一上午", None)])
def test_the_talk_is_due_on_the_day_its_time_names_however_the_date_is_written(office, when, due):
    values = {**SAMPLES["talk"][1], "谈话时间": when}
    assert office.prepare(L.KINDS["talk"], SAMPLES["talk"][0], values, DAY).reply_due == due


@pytest.mark.parametrize("kind, name, value", [("suggestion", "回复期限", "2025-12-28"),
                                               ("rectify", "整改期限", "2025年12月28日"),
                                               ("talk", "谈话时间", "2025-12-08 09:30")])
def test_a_deadline_or_a_talk_before_the_letter_is_refused_before_any_number(office, kind, name, value):
    """The old year typed just after New Year: a letter whose deadline is already past when it is written."""
    unit, values = SAMPLES[kind]
    with pytest.raises(FieldError, match=f"{name}.*早于成文日期") as refused:
        office.prepare(L.KINDS[kind], unit, {**values, name: value}, DAY)
    assert "年份是否写错" in refused.value.hint


def test_defaults_fill_deadlines_and_the_material_to_report(office):
    assert office.prepare(L.KINDS["suggestion"], "计财处", SAMPLES["suggestion"][1], DAY).reply_due == \
        dt.date(2026, 12, 28)
    urge = office.prepare(L.KINDS["urge"], "图书馆", {}, DAY)
    assert urge.context["应报材料"] == "岗位风险分析和防控措施表"
    assert (urge.context["原定期限"], urge.context["补报期限"]) == ("2026年11月16日", "2026年12月5日")
    assert urge.reply_due is None
    assert office.prepare(L.KINDS["urge"], "图书馆", {"应报材料": "《年度总结》"},
                          DAY).context["应报材料"] == "年度总结"
    given = office.prepare(L.KINDS["rectify"], "后勤处", {**SAMPLES["rectify"][1], "整改期限": "2027.1.15"}, DAY)
    assert given.reply_due == dt.date(2027, 1, 15) and given.context["整改期限"] == "2027年1月15日"


def test_list_fields_drop_the_numbering_the_clerk_typed(office):
    values = {**SAMPLES["suggestion"][1], "问题": "1. 第一条\n（二）第二条\n三、第三条\n\n4）1.5倍超标"}
    assert office.prepare(L.KINDS["suggestion"], "计财处", values, DAY).context["问题"] == [
        "第一条；", "第二条；", "第三条；", "1.5倍超标。"]


def test_control_characters_are_removed_with_a_warning(office):
    values = {**SAMPLES["suggestion"][1], "事由": "在检查\x07中\x0c"}
    letter = office.prepare(L.KINDS["suggestion"], "计财处", values, DAY)
    assert letter.context["事由"] == "在检查中"
    assert letter.warnings == ["“事由”中含有控制字符（不可见字符），已删除"]


def test_unknown_reserved_and_invalid_fields_are_refused(office):
    with pytest.raises(FieldError, match="没有字段“事有”"):
        office.prepare(L.KINDS["suggestion"], "计财处", {**SAMPLES["suggestion"][1], "事有": "x"}, DAY)
    with pytest.raises(FieldError, match="“文号”由 lzdocs 自动填写"):
        office.prepare(L.KINDS["suggestion"], "计财处", {**SAMPLES["suggestion"][1], "文号": "x"}, DAY)
    with pytest.raises(FieldError, match="“回复期限”的值“下周”不是日期"):
        office.prepare(L.KINDS["suggestion"], "计财处", {**SAMPLES["suggestion"][1], "回复期限": "下周"}, DAY)


def test_the_recipient_resolves_through_aliases_or_names_the_closest_units(office):
    assert office.prepare(L.KINDS["urge"], "财务处", {}, DAY).unit == "计划财务处"
    with pytest.raises(ConfigError, match="单位“基健处”不在单位名单中，最接近的是：基建处"):
        office.prepare(L.KINDS["urge"], "基健处", {}, DAY)


def test_kinds_are_found_by_short_or_chinese_name():
    assert L.find_kind("suggestion").name == "纪检监察建议书"
    assert L.find_kind("问廉问责书").key == "accountability"
    assert L.find_kind("建议书").key == "suggestion"
    with pytest.raises(ConfigError, match="不认识的文书种类"):
        L.find_kind("通报")


def test_numbers_run_per_code_and_year_and_files_are_never_overwritten(office, workspace):
    first = office.issue(office.prepare(L.KINDS["urge"], "图书馆", {}, DAY))
    folder = first.path.parent
    (folder / "内工大纪催〔2026〕1号-图书馆.docx").rename(folder / "内工大纪催〔2026〕1号-图书馆（原件）.docx")
    (folder / "内工大纪催〔2026〕1号-图书馆.docx").write_bytes(b"someone else's file")  # the name of one issued
    second = office.issue(office.prepare(L.KINDS["urge"], "图书馆", {}, DAY))
    assert second.path.name == "内工大纪催〔2026〕2号-图书馆.docx"
    (folder / "内工大纪催〔2026〕3号-图书馆.docx").write_bytes(b"someone else's file")  # the next one's
    # a file of a number the archive has not issued: an older lzdocs.db put back, or a file not lzdocs's — refused
    with pytest.raises(FieldError, match="催报通知文件夹中已有文号 内工大纪催〔2026〕3号 的文件"):
        office.issue(office.prepare(L.KINDS["urge"], "图书馆", {}, DAY))
    assert (folder / "内工大纪催〔2026〕3号-图书馆.docx").read_bytes() == b"someone else's file"
    next_year = office.issue(office.prepare(L.KINDS["urge"], "图书馆", {}, dt.date(2027, 1, 5)))
    assert (str(first.number), str(second.number), str(next_year.number)) == (
        "内工大纪催〔2026〕1号", "内工大纪催〔2026〕2号", "内工大纪催〔2027〕1号")
    assert (folder / "内工大纪催〔2026〕1号-图书馆.docx").read_bytes() == b"someone else's file"
    assert next_year.path.parent == workspace.root / "outbox" / "2027" / "催报通知"


def test_a_unit_name_never_becomes_a_path_outside_the_folder(tmp_path):
    ws, _ = Workspace.init(tmp_path / "ws", SAMPLE)
    (ws.root / "units.csv").unlink()  # no roster: the recipient is taken as written
    store = Store.for_workspace(ws)
    try:
        office = L.LetterOffice(ws, store)
        item = office.issue(office.prepare(L.KINDS["urge"], "../../危险/单位:CON", {}, DAY))
    finally:
        store.close()
    assert item.path.parent == ws.root / "outbox" / "2026" / "催报通知"
    assert item.path.name.startswith("内工大纪催〔2026〕1号-") and ".." not in item.path.name
    assert "../../危险/单位:CON：" in document_text(item.path)


# ---- batches, urging, replies -----------------------------------------------------------------------------

def test_a_batch_reports_each_row_and_a_bad_row_does_not_stop_the_others(office, tmp_path, store):
    batch = tmp_path / "批量.csv"
    batch.write_text("单位,事由,问题,建议,成文日期\n计财处,在检查中,问题一,建议一,\n不存在处,在检查中,问题,建议,\n"
                     ",,,,\n基建处,,问题,建议,2026-11-20\n资产处,在检查中,\"问题一\n问题二\",建议,2026-11-30\n",
                     encoding="utf-8-sig")
    header, rows = L.read_batch(batch)
    assert header == ["单位", "事由", "问题", "建议", "成文日期"] and [r for r, _ in rows] == [2, 3, 5, 6]
    results = L.run_batch(office, L.KINDS["suggestion"], rows, defaults={}, date=DAY)
    assert [(r.row, bool(r.issued)) for r in results] == [(2, True), (3, False), (5, False), (6, True)]
    assert "不在单位名单中" in results[1].error and "缺少必填字段：事由" in results[2].error
    assert [str(r.issued.number) for r in results if r.issued] == ["内工大纪建〔2026〕1号", "内工大纪建〔2026〕2号"]
    assert results[3].issued.path.name == "内工大纪建〔2026〕2号-国有资产管理处.docx"
    assert all(r.issued.path.is_file() for r in results if r.issued)
    assert not any(".part" in p.name for p in results[0].issued.path.parent.iterdir())
    assert numbers_taken(store) == ["内工大纪建〔2026〕1号", "内工大纪建〔2026〕2号"]


def test_urge_goes_to_roster_units_without_an_accepted_form(workspace, store):
    with store.begin() as conn:
        for unit, status in (("计划财务处", "accepted"), ("基建处", "rejected")):
            add_submission(conn, rows=[], sha256=unit, kind="risk", status=status, unit=unit, year=2026,
                           received_at=dt.datetime(2026, 11, 10, 9), original_name="表.docx", source="inbox")
    missing = L.units_to_urge(workspace, store, 2026)
    assert "计划财务处" not in missing and "基建处" in missing and len(missing) == 12


def test_a_dry_run_urge_names_the_year_and_the_units_and_issues_nothing(workspace, store):
    from lzdocs import Office

    with store.begin() as conn:
        add_submission(conn, rows=[], sha256="x", kind="risk", status="accepted", unit="计划财务处", year=2026,
                       received_at=dt.datetime(2026, 11, 10, 9), original_name="表.docx", source="inbox")
    with Office(workspace, today=dt.date(2026, 11, 28)) as office:
        plan = office.urge(dry_run=True)
        assert (plan.year, plan.rows) == (2026, [])
        assert plan.units == L.units_to_urge(workspace, store, 2026) and "计划财务处" not in plan.units
    assert numbers_taken(store) == [] and not (workspace.outbox / "2026" / "催报通知").exists()


def test_a_reply_is_recorded_with_an_audit_event(office, store):
    item = office.issue(office.prepare(L.KINDS["suggestion"], "计财处", SAMPLES["suggestion"][1], DAY))
    result = L.record_reply(store, "内工大纪建[2026]01号", dt.date(2026, 12, 30), dt.date(2027, 1, 4))
    assert result == {"number": str(item.number), "unit": "计划财务处", "title": "纪检监察建议书", "kind": "suggestion",
                      "replied": "2026-12-30", "changed": True, "previous": None, "reply_due": "2026-12-28",
                      "late": True}
    with store.read() as conn:
        assert conn.execute(select(warnings.c.replied)).scalar() == dt.date(2026, 12, 30)
        event = conn.execute(select(events).where(events.c.action == "reply")).mappings().one()
    assert event["subject"] == str(item.number) and "2026-12-30" in event["after"]


def test_a_reply_to_an_unknown_number_or_a_letter_that_expects_none_is_refused(office, store):
    with pytest.raises(FieldError, match="发文登记簿中没有文号“内工大纪建〔2026〕9号”"):
        L.record_reply(store, "内工大纪建〔2026〕9号", DAY, DAY)
    urge = office.issue(office.prepare(L.KINDS["urge"], "图书馆", {}, DAY))
    with pytest.raises(FieldError, match="不需要回复"):
        L.record_reply(store, str(urge.number), DAY, DAY)


def test_a_talk_is_in_the_ledger_from_its_issue_and_a_talk_held_is_recorded(office, store):
    talk = office.issue(office.prepare(L.KINDS["talk"], SAMPLES["talk"][0], SAMPLES["talk"][1], DAY))
    held_on = dt.date(2026, 12, 1)
    held = L.record_reply(store, str(talk.number), held_on, held_on)  # a talk is followed too
    assert (held["replied"], held["reply_due"], held["late"]) == ("2026-12-01", "2026-12-01", False)


def test_the_document_xml_is_well_formed_even_with_hostile_values(office):
    values = {**SAMPLES["suggestion"][1], "事由": "]]><w:p/><!-- & \u2028 '\"", "问题": "<script>&amp;</script>"}
    item = office.issue(office.prepare(L.KINDS["suggestion"], "计财处", values, DAY))
    etree.fromstring(zipfile.ZipFile(item.path).read("word/document.xml"))
    text = document_text(item.path)
    assert "]]><w:p/><!-- & \u2028 '\"" in text and "\n<script>&amp;</script>。\n" in text


@pytest.mark.parametrize("days", [-400, 0, 5 * 365], ids=["local-clock-behind", "same-clock", "local-clock-ahead"])
def test_a_letter_recorded_but_not_renamed_by_a_killed_run_is_put_in_place_next_time(office, workspace, store, days):
    first = office.issue(office.prepare(L.KINDS["urge"], "图书馆", {}, DAY))
    leftover = first.path.parent / f".{first.path.stem}.0123abcd.part.docx"
    first.path.rename(leftover)  # as if the process died between the commit and the rename
    stale = first.path.parent / ".内工大纪催〔2026〕9号-图书馆.89abcdef.part.docx"
    fresh = first.path.parent / ".内工大纪催〔2026〕9号-图书馆.fedcba98.part.docx"  # a render that died a moment ago
    stale.write_bytes(b"remains of a rolled-back render")
    fresh.write_bytes(b"a render in progress")
    written_now = fresh.stat().st_mtime_ns
    os.utime(stale, ns=(written_now - 11 * 60 * 10**9,) * 2)  # 11 minutes older, by the disk's own clock
    again = L.LetterOffice(workspace, store)
    with time_machine.travel(dt.datetime.now() + dt.timedelta(days=days)):  # the file server's clock is not ours
        second = again.issue(again.prepare(L.KINDS["urge"], "图书馆", {}, DAY))
    # Without a row, and with the write lock that every live render holds taken: leftovers, whatever their age.
    assert first.path.is_file() and not leftover.exists() and not stale.exists() and not fresh.exists()
    assert str(second.number) == "内工大纪催〔2026〕2号"

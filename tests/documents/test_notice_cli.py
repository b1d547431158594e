"""``lzdocs notice`` end to end: the real CLI numbers, files and registers notices; errors are Chinese."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from docx import Document
from docx.oxml.ns import qn

from lzdocs.documents import notice as N
from lzdocs.documents.numbering import DocumentNumber
from lzdocs.ooxml.fonts import SONGTI, add_text
from lzdocs.ooxml.package import rewrite_package
from lzdocs.store import Store
from lzdocs.store import documents as q
from lzdocs.workspace import Workspace
from tests.conftest import SAMPLE_SCHOOL, cli_env, run_cli


def _attachment(path):
    """A clerk's own attachment: a heading and a small table in 五号宋体."""
    doc = Document()
    add_text(doc.add_paragraph(), "各单位联系人名单", SONGTI, "小二")
    table = doc.add_table(rows=2, cols=2)
    table.style = doc.styles["Table Grid"]
    for cell, text in zip(table._cells, ("单位", "联系人", "计划财务处", "王丽")):
        add_text(cell.paragraphs[0], text, SONGTI, "五号")
    doc.save(path)
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    env = cli_env()
    run_cli("init", root / "ws", *SAMPLE_SCHOOL, env=env, check=0)
    ws = root / "ws"
    (ws / "正文.md").write_text("为做好排查工作，现通知如下。\n\n## 一、工作要求\n\n各单位按时报送。\n",
                              encoding="utf-8")
    _attachment(ws / "附件1-联系人名单.docx")
    common = ["-w", ws, "--body", ws / "正文.md", "--date", "2026-11-28", "--json"]
    first = run_cli("notice", "--title", "关于开展廉政风险点排查工作的通知", "--attachment",
                    ws / "附件1-联系人名单.docx",
                    "--attachment", "form", "--cc", "学校各位领导", *common, env=env, check=0)
    second = run_cli("notice", "--title", "关于2026年度廉政风险点排查情况的通报", "--kind", "通报", "--issuer",
                     "内工大纪发", "--style", "1999", "--keywords", "廉政 通报", "--printer", "内蒙古工业大学监察处",
                     *common, env=env, check=0)
    third = run_cli("notice", "--title", "关于报送廉政风险点的请示", "--kind", "请示", "--to", "自治区高校工委",
                    "--signer", "刘振洪", *common, env=env, check=0)
    errors = {
        "no_body": run_cli("notice", "-w", ws, "--title", "关于某事的通知", "--body", ws / "没有.txt", env=env,
                           check=2),
        "bad_attachment": run_cli("notice", "-w", ws, "--title", "关于某事的通知", "--body", ws / "正文.md",
                                  "--attachment", ws / "正文.md", env=env, check=2),
        "no_signer": run_cli("notice", "-w", ws, "--kind", "请示", "--title", "关于某事的请示", "--body",
                             ws / "正文.md", env=env, check=2),
    }
    help_text = run_cli("notice", "--help", env=env, check=0).stdout
    return {"ws": Workspace.open(ws), "out": [json.loads(p.stdout) for p in (first, second, third)],
            "errors": errors, "help": help_text}


def test_json_names_the_number_and_the_file_under_outbox_year_kind(runs):
    first, second, third = runs["out"]
    assert first == {"files": ["outbox/2026/通知/内工大党发〔2026〕1号-开展廉政风险点排查工作.docx"],
                     "number": "内工大党发〔2026〕1号", "warnings": [], "draft": False}
    assert second["number"] == "内工大纪发〔2026〕1号"  # its own 机关代字 counts from 1
    assert second["files"] == ["outbox/2026/通报/内工大纪发〔2026〕1号-2026年度廉政风险点排查情况.docx"]
    assert third["number"] == "内工大党发〔2026〕2号"
    for out in runs["out"]:
        assert (runs["ws"].root / out["files"][0]).is_file()
        number = DocumentNumber.parse(out["number"])
        assert number and str(number) == out["number"] and "第" not in out["number"]


def test_every_notice_is_in_the_register_and_none_expects_a_reply(runs):
    store = Store.for_workspace(runs["ws"])
    try:
        with store.read() as conn:
            rows = q.list_documents(conn, 2026)
            warnings = q.list_warnings(conn, 2026)
    finally:
        store.close()
    notices = [r for r in rows if r["kind"] == "notice"]
    assert [(r["number"], r["title"], r["recipient"]) for r in notices] == [
        ("内工大党发〔2026〕1号", "关于开展廉政风险点排查工作的通知", "各部门、各单位"),
        ("内工大纪发〔2026〕1号", "关于2026年度廉政风险点排查情况的通报", "各部门、各单位"),
        ("内工大党发〔2026〕2号", "关于报送廉政风险点的请示", "自治区高校工委")]
    assert all(r["issued"] == dt.date(2026, 11, 28) for r in notices)
    assert not [w for w in warnings if w["number"].startswith("内工大党发") or w["number"].startswith("内工大纪发")]


def test_attachments_keep_their_own_table_and_fonts_and_are_listed(runs):
    doc = Document(str(runs["ws"].root / runs["out"][0]["files"][0]))
    texts = [p.text for p in doc.paragraphs]
    assert "附件：1．联系人名单" in texts and "2．岗位风险分析和防控措施表" in texts
    assert "附件1" in texts and "附件2" in texts
    contact = next(t for t in doc.tables if t.cell(0, 0).text == "单位")
    run = contact.cell(1, 1).paragraphs[0].runs[0]
    assert run.text == "王丽" and run.font.size.pt == 10.5
    assert run._r.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"
    assert any("风险点描述" in t._tbl.xml for t in doc.tables)


def test_1999_style_from_the_command_line_has_keywords_printer_and_chinese_date(runs):
    doc = Document(str(runs["ws"].root / runs["out"][1]["files"][0]))
    cells = [c.text for t in doc.tables for c in t._cells]
    assert "主题词：廉政\u3000通报" in cells
    assert "内蒙古工业大学监察处\t2026年11月28日印发" in cells
    assert doc.paragraphs[0].text == "中共内蒙古工业大学纪律检查委员会文件"
    assert "二〇二六年十一月二十八日" in [p.text for p in doc.paragraphs]


def test_upward_document_puts_the_signer_beside_the_number(runs):
    doc = Document(str(runs["ws"].root / runs["out"][2]["files"][0]))
    assert doc.paragraphs[1].text == "\u3000内工大党发〔2026〕2号\t签发人：刘振洪"
    assert "自治区高校工委：" in [p.text for p in doc.paragraphs]


def test_errors_are_chinese_with_exit_code_2(runs):
    errors = runs["errors"]
    assert errors["no_body"].stderr.startswith("错误：找不到正文文件")
    assert "附件“正文.md”无法使用" in errors["bad_attachment"].stderr
    assert "上行文（请示）须标注签发人" in errors["no_signer"].stderr
    assert all(not e.stdout for e in errors.values())


def test_help_has_examples(runs):
    assert "示例" in runs["help"] and "--attachment" in runs["help"] and "--style" in runs["help"]


def test_a_failed_render_consumes_no_number_and_leaves_no_file(workspace, store, tmp_path):
    broken = tmp_path / "坏附件.docx"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("word/document.xml", "<not-xml")
    notice = N.prepare_notice(workspace, title="关于某事的通知", body=(), date=dt.date(2026, 3, 1),
                              today=dt.date(2026, 3, 1))
    bad = N.Notice(**{**notice.__dict__, "attachments": (N.Attachment("坏附件", path=broken),)})
    with pytest.raises(Exception):  # noqa: B017 - any render error; the test is about what it leaves behind
        N.issue_notice(workspace, store, bad)
    assert not list((workspace.outbox / "2026").rglob("*.docx"))
    good = N.issue_notice(workspace, store, notice)
    assert str(good.number) == "内工大党发〔2026〕1号"


def _demo_notices(workspace, said: list, report: dict) -> list:
    from lzdocs import Office
    from lzdocs.demo.steps import demo_notices

    with Office(workspace, today=dt.date(2026, 11, 28)) as office:
        demo_notices(office, said.append, report, {2026})
    return [next(workspace.outbox.rglob(f"{n['number']}-*.docx")) for n in report["notices"]]


def test_the_demo_regenerates_the_reference_notice_in_both_styles(workspace):
    report: dict = {}
    paths = _demo_notices(workspace, [], report)
    assert [n["number"] for n in report["notices"]] == ["内工大党发〔2026〕1号", "内工大党发〔2026〕2号"]
    old, new = (Document(str(p)) for p in paths)
    old_text = [p.text.replace("\n", "") for p in old.paragraphs]
    new_text = [p.text.replace("\n", "") for p in new.paragraphs]
    assert "二〇二六年十一月二十八日" in old_text and "2026年11月28日" in new_text
    assert old.paragraphs[1].text.endswith("签发人：刘振洪")
    assert "主题词：廉政\u3000方案\u3000通知" in [c.text for t in old.tables for c in t._cells]
    assert "主题词" not in "".join(c.text for t in new.tables for c in t._cells)
    assert "内蒙古工业大学党政办公室\t2026年11月28日印发" in [c.text for t in old.tables for c in t._cells]
    for text in (old_text, new_text):
        assert "附件：岗位风险分析和防控措施表" in text
        assert "内蒙古工业大学廉政风险防控机制建设工作实施方案" in text  # the plan, on its own pages
        assert "一、学校廉政风险防控机制建设的指导思想" in text
        assert text[0] == "中共内蒙古工业大学委员会文件"


def test_demo_step_reports_both_notices_and_leaves_the_body_to_try(workspace):
    said: list[str] = []
    report: dict = {}
    _demo_notices(workspace, said, report)
    assert [n["number"] for n in report["notices"]] == ["内工大党发〔2026〕1号", "内工大党发〔2026〕2号"]
    assert all((workspace.root / f).is_file() for f in report["files"])
    hint = next(line for line in said if "试一试" in line)  # the workspace outside the current folder: full paths
    assert f"lzdocs -w {workspace.root} notice" in hint
    assert f"--body {workspace.root / '示例正文-实施方案.md'} --attachment form" in hint
    sample = workspace.root / "示例正文-实施方案.md"
    assert "## 一、学校廉政风险防控机制建设的指导思想" in sample.read_text(encoding="utf-8")


def test_upward_document_needs_an_addressee(workspace):
    with pytest.raises(N.FieldError, match="须写明主送机关"):
        N.prepare_notice(workspace, title="关于某事的请示", body=(), kind="请示", signer="刘振洪",
                         today=dt.date(2026, 3, 1))


def test_an_attachment_word_cannot_open_is_refused_in_chinese(tmp_path):
    macro = tmp_path / "带宏.docx"
    Document().save(macro)
    macro_enabled = {"[Content_Types].xml": lambda xml: xml.replace(
        b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml")}
    rewrite_package(io.BytesIO(macro.read_bytes()), macro, macro_enabled)
    with pytest.raises(N.FieldError, match="附件“带宏.docx”无法打开") as err:
        N.resolve_attachment(str(macro))
    assert "另存为 .docx" in str(err.value)

"""The real command line for letters: letter (one, --data, --batch, --pdf), urge, reply, template check."""

from __future__ import annotations

import json

import docx
import pytest
from openpyxl import Workbook

from lzdocs.cli.letter_cmds import parse_sets, read_data
from tests.conftest import REPO, SAMPLE_SCHOOL, cli_env, run_cli, run_json

DATE = ["--date", "2026-11-28"]
SUGGESTION = ["--set", "事由=在检查中，R&D <项目> \"配套\" & 100%\x07", "--set", "问题=采购程序不规范",
              "--set", "问题=报销审核不严", "--set", "建议=完善采购制度"]


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """One workspace taken through every letter command once; the assertions below read the results."""
    tmp = tmp_path_factory.mktemp("letters-cli")
    root = tmp / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    w = ["-w", root]
    out = {"root": root}
    out["one"] = run_cli(*w, "letter", "suggestion", "--unit", "计财处", *SUGGESTION, *DATE, "--json")
    out["missing"] = run_cli(*w, "letter", "纪检监察建议书", "--unit", "计财处", "--set", "事由=x", *DATE)
    data = tmp / "谈话.json"
    data.write_text(json.dumps({"对象": "基建处处长", "事由": "在专项检查中", "谈话时间": "12月1日上午9:00",
                                "谈话地点": "纪委办公室", "谈话人": "纪委副书记"}, ensure_ascii=False),
                    encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:  # a PC without LibreOffice (test_letter_pdf_with_libreoffice has it)
        mp.setattr("lzdocs.documents.pdf.find_soffice", lambda *a, **k: None)
        out["talk"] = run_cli(*w, "letter", "talk", "--unit", "基建处", "--data", data, *DATE, "--pdf", "--json")
    batch = tmp / "整改.xlsx"
    wb = Workbook()
    sheet = wb.active
    sheet.append(["单位", "事由", "问题", "整改要求", "备注"])
    sheet.append(["后勤处", "在复查中", "验收记录不全", "建立台账", "x"])
    sheet.append(["不存在的处", "在复查中", "问题", "要求", ""])
    sheet.append(["图书馆", "在复查中", "1. 借阅登记不全\n2. 采购不公开", "完善制度", ""])
    wb.save(batch)
    out["batch"] = run_cli(*w, "letter", "rectify", "--batch", batch, *DATE, "--json")
    out["reply"] = run_cli(*w, "reply", "内工大纪建[2026]1号", "--date", "2026-12-20", "--json",
                           env=cli_env(LZDOCS_TODAY="2026-12-21"))
    out["reply_unknown"] = run_cli(*w, "reply", "内工大纪建〔2026〕99号")
    out["urge"] = run_cli(*w, "urge", "--year", "2026", *DATE, "--json")
    out["check_good"] = run_cli(*w, "template", "check", REPO / "lzdocs" / "templates" / "纪检监察建议书.docx")
    bad = tmp / "坏模板.docx"
    document = docx.Document()
    document.add_paragraph("{{ 事由 ")
    document.add_paragraph("{% for 条 in 问题 %}")
    document.save(bad)
    out["check_bad"] = run_cli(*w, "template", "check", bad, "--json")
    unnumbered = docx.Document(REPO / "lzdocs" / "templates" / "纪检监察建议书.docx")
    next(p for p in unnumbered.paragraphs if p.text == "{{ 文号 }}").runs[0].text = ""
    unnumbered.save(tmp / "我的建议书.docx")
    out["check_unnumbered"] = run_cli(*w, "template", "check", tmp / "我的建议书.docx", "--kind", "suggestion",
                                      "--json")
    unnumbered.sections[0].header.add_paragraph("{{ 文号 }}")  # printed in the page header instead
    unnumbered.save(tmp / "页眉文号.docx")
    out["check_header"] = run_cli(*w, "template", "check", tmp / "页眉文号.docx", "--kind", "suggestion")
    return out


def test_one_letter_prints_its_files_and_number(session):
    proc = session["one"]
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["number"] == "内工大纪建〔2026〕1号"
    assert result["files"] == ["outbox/2026/纪检监察建议书/内工大纪建〔2026〕1号-计划财务处.docx"]
    assert result["reply_due"] == "2026-12-28"
    assert result["warnings"] == ["“事由”中含有控制字符（不可见字符），已删除"]
    assert (session["root"] / result["files"][0]).is_file()


def test_the_register_workbooks_list_the_letters_and_the_reply(session):
    from openpyxl import load_workbook

    def cells(name):
        sheet = load_workbook(session["root"] / "outbox" / "2026" / "登记簿" / name, read_only=True).worksheets[0]
        return [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]

    assert "内工大纪建〔2026〕1号" in cells("发文登记簿.xlsx") and "内工大纪催〔2026〕13号" in cells("发文登记簿.xlsx")
    assert "内工大纪建〔2026〕1号" in cells("预警处置台账.xlsx")


def test_a_missing_field_is_a_chinese_error_with_exit_code_2(session):
    proc = session["missing"]
    assert proc.returncode == 2
    assert proc.stderr.startswith("错误：纪检监察建议书缺少必填字段：问题、建议；用 --set 问题=")
    assert proc.stdout == ""


def test_data_file_and_pdf_without_libreoffice(session):
    proc = session["talk"]
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    # 12月1日上午9:00, its year left out: the talk falls due that day of the letter's year (before: no deadline at all)
    assert result["number"] == "内工大纪谈〔2026〕1号" and result["reply_due"] == "2026-12-01"
    assert result["files"] == ["outbox/2026/谈话提醒通知书/内工大纪谈〔2026〕1号-基建处.docx"]
    assert any("未找到 LibreOffice" in w for w in result["warnings"])


@pytest.mark.soffice
def test_letter_pdf_with_libreoffice(tmp_path):
    root = tmp_path / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    result = run_json("-w", root, "letter", "urge", "--unit", "基建处", *DATE, "--pdf")
    assert result["files"] == ["outbox/2026/催报通知/内工大纪催〔2026〕1号-基建处.docx",
                               "outbox/2026/催报通知/内工大纪催〔2026〕1号-基建处.pdf"]
    assert (root / result["files"][1]).read_bytes().startswith(b"%PDF")
    assert all("由相近字体代替" in w for w in result["warnings"])  # only the fonts this computer lacks, if any


def test_batch_reports_every_row_and_exits_1_when_a_row_failed(session):
    proc = session["batch"]
    assert proc.returncode == 1
    rows = json.loads(proc.stdout)
    assert [(r["row"], r["status"], r["number"]) for r in rows] == [
        (2, "issued", "内工大纪改〔2026〕1号"), (3, "failed", None), (4, "issued", "内工大纪改〔2026〕2号")]
    assert "单位“不存在的处”不在单位名单中" in rows[1]["error"]
    assert rows[0]["files"] == ["outbox/2026/责令检查整改通知书/内工大纪改〔2026〕1号-后勤管理处.docx"]
    assert "“备注”列" not in proc.stderr  # 备注 is a known batch column, silently skipped


def test_reply_is_recorded_and_an_unknown_number_is_a_chinese_error(session):
    result = json.loads(session["reply"].stdout)
    assert result["number"] == "内工大纪建〔2026〕1号" and result["replied"] == "2026-12-20"
    assert result["late"] is False
    unknown = session["reply_unknown"]
    assert unknown.returncode == 2 and unknown.stderr.startswith("错误：发文登记簿中没有文号“内工大纪建〔2026〕99号”")


def test_urge_sends_one_notice_per_unit_without_a_form(session):
    rows = json.loads(session["urge"].stdout)
    assert len(rows) == 13 and all(r["status"] == "issued" for r in rows)
    assert rows[0]["number"] == "内工大纪催〔2026〕1号" and rows[0]["unit"] == "党政办公室"


def test_template_check_lists_variables_and_reports_errors_by_paragraph(session):
    good = session["check_good"]
    assert good.returncode == 0 and "未发现问题" in good.stdout and "事由" in good.stdout
    bad = session["check_bad"]
    assert bad.returncode == 1
    report = json.loads(bad.stdout)
    assert [(p["paragraph"], p["severity"]) for p in report["problems"]] == [(1, "error"), (2, "error")]


def test_template_check_refuses_a_letter_template_that_does_not_print_its_number(session):
    proc = session["check_unnumbered"]
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["kind"] == "suggestion" and "文号" not in report["variables"]
    assert [(p["severity"], p["part"], p["message"]) for p in report["problems"]] == [
        ("error", "全文", "模板中没有 {{ 文号 }}，文号不会印在纪检监察建议书上；请在发文字号的位置写上 {{ 文号 }}")]
    header = session["check_header"]
    assert header.returncode == 0 and "未发现问题" in header.stdout


def test_help_has_examples_and_the_fields_of_every_kind():
    text = run_cli("letter", "--help", check=0).stdout
    assert "示例" in text and "纪检监察建议书：事由、问题、建议" in text and "urge" in text


def test_set_repeats_become_lines_and_data_files_may_be_yaml(tmp_path):
    assert parse_sets(("问题=一", "问题=二\\n三", "事由=a=b")) == {"问题": "一\n二\n三", "事由": "a=b"}
    data = tmp_path / "建议.yaml"
    data.write_text("事由: 在检查中\n问题:\n  - 采购不规范\n  - 审核不严\n", encoding="utf-8")
    assert read_data(data) == {"事由": "在检查中", "问题": ["采购不规范", "审核不严"]}


def test_a_letter_dated_back_past_its_deadline_says_so_once_numbered(tmp_path):
    """Dated back (--date, or a batch's), a letter counts its 回复期限 from that day: in January, one dated
    2026-12-20 is due 2027-01-19, late on receipt. It is issued (a paper letter recorded later is dated so), with a
    提醒; one whose deadline is still ahead says nothing of it."""
    root = tmp_path / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    january = cli_env(LZDOCS_TODAY="2027-01-20")
    late = run_cli("-w", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION, "--date", "2026-12-20",
                   env=january, check=0)
    said = "“回复期限”2027年1月19日在今天（2027年1月20日）之前，单位收到时已经过了"
    assert "内工大纪建〔2026〕1号" in late.stdout and "期限：2027年1月19日" in late.stdout and said in late.stderr
    batch = tmp_path / "批量.csv"
    batch.write_text("单位,事由,问题,建议\n图书馆,在检查中,借阅登记不全,完善制度\n", encoding="utf-8")
    rows = json.loads(run_cli("-w", root, "letter", "suggestion", "--batch", batch, "--date", "2026-12-20",
                              "--json", env=january, check=0).stdout)
    assert any(said in w for w in rows[0]["warnings"])
    on_time = run_cli("-w", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION, "--date", "2027-01-05",
                      env=january, check=0)
    assert "单位收到时已经过了" not in on_time.stderr
    draft = run_cli("-w", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION, "--date", "2026-12-20",
                    "--draft", env=january, check=0)
    assert said in draft.stderr and "正式发文前请核对成文日期" in draft.stderr and "void" not in draft.stderr
    urged = json.loads(run_cli("-w", root, "urge", "--year", "2026", "--date", "2027-01-05", "--json", env=january,
                               check=0).stdout)  # a 催报 has no reply: its 补报期限 is the day (7 days on: 01-12)
    assert urged and all(any("“补报期限”2027年1月12日在今天（2027年1月20日）之前" in w for w in r["warnings"])
                         for r in urged)

"""The command line: init, form, ingest --json, risks --json, exit codes and help; the demo as a real process."""

import datetime as dt
import json

import pytest
from openpyxl import load_workbook

from tests.conftest import SAMPLE_ROWS, SAMPLE_SCHOOL, run_cli, run_json, run_process

INGEST_KEYS = {"file", "status", "unit", "year", "filled_date", "rows", "supersedes", "superseded_on_arrival",
               "superseded_by", "stored_as", "received", "problems", "kind"}
PROBLEM_KEYS = {"severity", "row", "seq", "column", "value", "message"}
RISK_KEYS = {"unit", "year", "seq", "post", "duties", "risk", "category", "level", "measures", "owner", "source_file",
             "filled_date", "occurred", "flags"}


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """One workspace taken through init → form → ingest, shared by the assertions below."""
    from lzdocs.documents.blankform import write_docx, write_xlsx
    from lzdocs.forms.schema import risk_kind

    root = tmp_path_factory.mktemp("cli") / "工作区"
    init = run_json("init", root, *SAMPLE_SCHOOL)
    forms = run_json("-w", root, "form", "--all", "--format", "xlsx")
    inbox = root / "inbox"
    write_docx(risk_kind(), inbox / "计财处.docx", unit="计财处", rows=SAMPLE_ROWS, date=dt.date(2026, 11, 10))
    write_xlsx(risk_kind(), inbox / "基建处.xlsx", unit="基建处", rows=SAMPLE_ROWS[:2], date=None)
    write_xlsx(risk_kind(), inbox / "错表.xlsx", unit="基建处", rows=[dict(SAMPLE_ROWS[0], measures="")])
    (inbox / "~$计财处.docx").write_bytes(b"lock")
    ingest = run_cli("-w", root, "ingest", "--json")
    return {"root": root, "init": init, "forms": forms, "ingest": ingest}


def test_init_reports_the_files_it_made(session):
    assert {"lzdocs.toml", "units.csv", "inbox"} <= set(session["init"]["files"])


def test_form_all_writes_one_protected_workbook_per_unit_with_dropdowns(session):
    files = session["forms"]["files"]
    assert len(files) == 13 and all(f.startswith("outbox/空白表/") for f in files)
    wb = load_workbook(session["root"] / files[0])
    sheet = wb.active
    assert sheet.protection.sheet is True and sheet["B2"].value == "党政办公室"
    assert any("一级,二级,三级" in dv.formula1 for dv in sheet.data_validations.dataValidation)


def test_ingest_json_is_one_object_per_file_with_the_contract_keys(session):
    proc = session["ingest"]
    assert proc.returncode == 1  # one file was rejected
    outcomes = {o["file"]: o for o in json.loads(proc.stdout)}
    assert all(set(o) == INGEST_KEYS for o in outcomes.values())
    ok = outcomes["inbox/计财处.docx"]
    assert (ok["status"], ok["unit"], ok["year"], ok["filled_date"], ok["rows"]) == (
        "accepted", "计划财务处", 2026, "2026-11-10", 3)
    assert ok["stored_as"] == "outbox/2026/收文/计划财务处/计财处.docx"
    undated = outcomes["inbox/基建处.xlsx"]
    assert undated["status"] == "accepted" and undated["problems"][0]["severity"] == "warning"
    bad = outcomes["inbox/错表.xlsx"]
    assert bad["status"] == "rejected" and set(bad["problems"][0]) == PROBLEM_KEYS
    assert bad["problems"][0]["row"] == 4 and bad["problems"][0]["column"] == "防控措施"
    assert outcomes["inbox/~$计财处.docx"]["status"] == "ignored"


def test_risks_json_lists_current_points_with_the_contract_keys(session):
    risks = run_json("-w", session["root"], "risks", "--unit", "财务处")
    assert len(risks) == 3 and all(set(r) == RISK_KEYS for r in risks)
    assert [r["level"] for r in risks] == [1, 2, 3]
    assert risks[0]["risk"] == SAMPLE_ROWS[0]["risk"] and risks[0]["source_file"].endswith("计财处.docx")


def test_risks_filter_by_level_and_category_as_the_clerk_writes_them(session):
    root = session["root"]
    first = run_json("-w", root, "risks", "--level", "一级")
    assert sorted((r["unit"], r["post"]) for r in first) == [("基建处", "出纳"), ("计划财务处", "出纳")]
    assert [r["post"] for r in run_json("-w", root, "risks", "--level", "高", "--unit", "计财处")] == ["出纳"]
    assert run_json("-w", root, "risks", "--level", "Ⅲ") == [r for r in run_json("-w", root, "risks")
                                                             if r["level"] == 3]
    duties = run_json("-w", root, "risks", "--category", " 岗位 职责类", "--unit", "计财处")
    assert [r["post"] for r in duties] == ["出纳", "处长"]
    both = run_json("-w", root, "risks", "--category", "制度机制", "--level", "2")
    assert sorted(r["unit"] for r in both) == ["基建处", "计划财务处"]


def test_risks_of_a_category_no_point_has_names_those_there_are(session):
    proc = run_cli("-w", session["root"], "risks", "--category", "业务流程")
    assert proc.returncode == 0 and "没有符合条件的风险点" in proc.stdout
    assert "没有风险类别为“业务流程”的风险点；现有的类别：制度机制、岗位职责" in proc.stderr


@pytest.mark.parametrize("level", ["五级", "0", "一二级", ""])
def test_a_level_that_is_none_of_the_three_is_refused_in_chinese(session, level):
    proc = run_cli("-w", session["root"], "risks", "--level", level)
    assert proc.returncode == 2 and proc.stdout == ""
    assert f"“--level”的值有误：“{level}”不是风险等级，请写一级、二级或三级" in proc.stderr
    assert "'" not in proc.stderr and "Invalid" not in proc.stderr


def test_human_output_is_chinese_and_errors_exit_2(session, tmp_path):
    proc = run_cli("-w", tmp_path, "risks")
    assert proc.returncode == 2 and "不是 lzdocs 工作区" in proc.stderr
    again = run_cli("-w", session["root"], "ingest")
    assert again.returncode == 0 and "没有待处理的表格" in again.stdout


def test_every_command_has_chinese_help_with_an_example():
    import click

    from lzdocs.cli import cli

    def leaves(group, prefix=()):
        ctx = click.Context(group)
        for name in group.list_commands(ctx):  # imports each command's module (the group is lazy)
            command = group.get_command(ctx, name)
            if isinstance(command, click.Group):
                yield from leaves(command, prefix + (name,))
            else:
                yield prefix + (name,), command

    found = []
    for path, command in leaves(cli):
        ctx = click.Context(command, info_name=" ".join(path))
        text = command.get_help(ctx)
        assert "示例" in text, f"lzdocs {' '.join(path)} --help has no example"
        found.append(" ".join(path))
    assert len(found) == 35 and "template check" in found and "case add" in found and "changes" in found
    assert "case void" in found
    assert "quality" in found and "serve" in found and "archive" in found and "user add" in found and "verify" in found
    assert "示例" in run_cli("ingest", "--help", check=0).stdout


def test_version_is_printed_in_chinese():
    from lzdocs import __version__

    assert run_cli("--version", check=0).stdout == f"lzdocs 版本 {__version__}\n"


@pytest.mark.slow
def test_demo_runs_end_to_end_and_says_what_it_did(tmp_path):
    proc = run_process("demo", tmp_path / "演示", check=0, timeout=600)
    assert "收取 11 份" in proc.stdout and "退回 2 份" in proc.stdout
    assert "无法识别的风险等级" in proc.stdout and "单位不在名单" in proc.stdout


def test_a_dry_run_says_what_a_correction_would_replace_in_the_future_tense(tmp_path, make_form):
    """``ingest --dry-run`` of a unit's corrected form says it *would* replace the form received (将替换…), and of
    one dated before it that it would be kept behind it (将直接存入历史记录) — a preview never says it has done so."""
    root = tmp_path / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    from lzdocs.workspace import Workspace
    from tests.ingest.invariant import assert_each_input_exactly_once

    first = make_form(root / "inbox" / "初报.docx", unit="计财处", date=dt.date(2026, 11, 10)).read_bytes()
    run_cli("-w", root, "ingest", check=0)
    later = [make_form(root / "inbox" / "更正.xlsx", unit="计财处", rows=SAMPLE_ROWS[:2], date=dt.date(2026, 11, 20)),
             make_form(root / "inbox" / "旧稿.xlsx", unit="计财处", rows=SAMPLE_ROWS[:1], date=dt.date(2026, 11, 1))]
    shown = run_cli("-w", root, "ingest", "--dry-run", check=0).stdout
    assert_each_input_exactly_once(Workspace.open(root), [first, *(p.read_bytes() for p in later)])
    kept = "outbox/2026/收文/计划财务处/初报.docx"
    assert f"[将收取] inbox/更正.xlsx —— 计划财务处，2026 年，2 个风险点（将替换此前报送的 {kept}）" in shown, shown
    assert f"（填表日期早于已收的 {kept}，将直接存入历史记录，登记簿仍以后者为准）" in shown, shown
    assert "（试运行，未做任何改动）" in shown and (root / "inbox" / "更正.xlsx").exists()

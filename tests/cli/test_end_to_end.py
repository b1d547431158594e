"""Every command once as a real ``lzdocs`` process, in the order an office uses them: the entry point, the imports
and real stdout/stderr that the in-process tests (click's CliRunner) do not go through."""

from __future__ import annotations

import json

import pytest

from lzdocs.documents.blankform import write_docx
from lzdocs.forms.schema import risk_kind
from tests.conftest import REPO, SAMPLE_ROWS, SAMPLE_SCHOOL, TODAY, run_process

pytestmark = pytest.mark.slow


def run(*args, check=0) -> dict | list:
    return json.loads(run_process(*args, "--json", check=check).stdout)


def test_every_command_runs_as_a_real_process(tmp_path):
    root = tmp_path / "工作 区"
    w = ["-w", root]
    assert "lzdocs.toml" in run("init", root, *SAMPLE_SCHOOL)["files"]
    assert run(*w, "form", "--unit", "计财处")["files"] == ["outbox/空白表/岗位风险分析和防控措施表-计划财务处.docx"]
    write_docx(risk_kind(), root / "inbox" / "计财处.docx", unit="计财处", rows=SAMPLE_ROWS, date=TODAY)
    [taken] = run(*w, "ingest")
    assert (taken["status"], taken["unit"], taken["rows"]) == ("accepted", "计划财务处", 3)
    assert [r["risk"] for r in run(*w, "risks")] == [r["risk"] for r in SAMPLE_ROWS]
    assert run(*w, "status")["late"] == ["计划财务处"]  # received on the test day, after the deadline 11-16
    assert len(run(*w, "register")["files"]) == 5
    letter = run(*w, "letter", "suggestion", "--unit", "计财处", "--set", "事由=在检查中", "--set", "问题=采购不规范",
                 "--set", "建议=完善制度")
    assert letter["number"] == "内工大纪建〔2026〕1号" and letter["reply_due"] == "2026-12-28"
    urged = run(*w, "urge")
    assert len(urged) == 12 and {u["status"] for u in urged} == {"issued"}
    assert run(*w, "reply", letter["number"], "--date", "2026-11-28")["late"] is False  # not a day in the future
    body = tmp_path / "正文.txt"
    body.write_text("一、工作要求\n请按时报送。\n", encoding="utf-8")
    notice = run(*w, "notice", "--title", "关于报送廉政风险点的通知", "--body", body)
    assert notice["number"] == "内工大党发〔2026〕1号"
    check = run_process(*w, "template", "check", REPO / "lzdocs" / "templates" / "纪检监察建议书.docx", check=0)
    assert "未发现问题" in check.stdout
    mistake = run_process(*w, "status", "--year", "abc")  # an error message through a real stderr
    assert mistake.returncode == 2 and mistake.stdout == ""
    assert mistake.stderr.endswith("错误：“--year”的值有误：“abc”不是年份，请写四位数字，如 2026\n")

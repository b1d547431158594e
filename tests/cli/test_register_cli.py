"""``lzdocs register`` and ``lzdocs status``: JSON for scripts, Chinese for people."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from tests.conftest import SAMPLE_ROWS, SAMPLE_SCHOOL, cli_env, run_cli, run_json
from tests.documents.register_samples import CURRENT, YEAR, populate

FILES = ["outbox/2026/登记簿/2026年廉政风险点汇总表.xlsx", "outbox/2026/登记簿/报送情况登记表.xlsx",
         "outbox/2026/登记簿/发文登记簿.xlsx", "outbox/2026/登记簿/预警处置台账.xlsx",
         "outbox/2026/公示/2026年廉政风险点公示表.docx"]


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """One workspace with the sample year in its archive; each command run once."""
    from lzdocs.store import Store
    from lzdocs.workspace import SAMPLE, Workspace

    root = tmp_path_factory.mktemp("cli") / "工作区"
    ws, _ = Workspace.init(root, SAMPLE)
    store = Store.for_workspace(ws)
    try:
        populate(store)
    finally:
        store.close()
    return {"root": root,
            "register": run_cli("-w", root, "register", "--json"),
            "status": run_json("status", "-w", root, "--year", YEAR),
            "human": run_cli("-w", root, "status", check=0),
            "register_human": run_cli("-w", root, "register", "--year", str(YEAR), check=0),
            "help": run_cli("status", "--help", check=0).stdout + run_cli("register", "--help", check=0).stdout}


def test_register_json_lists_the_files_relative_to_the_workspace(session):
    import json

    proc = session["register"]
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["year"] == YEAR and out["files"] == FILES and out["failed"] == []
    assert all((session["root"] / f).is_file() for f in FILES)
    assert out["warnings"] == [] and proc.stderr == ""


def test_register_human_output_names_the_files(session):
    out = session["register_human"].stdout
    assert out.startswith("已生成 2026 年登记簿和公示表：") and all(f in out for f in FILES)


def test_a_year_the_archive_does_not_know_is_refused_and_no_folder_made(session):
    """A slip of the year (2030 for 2026, 2016) makes no junk year beside the real ones; the years with records are
    named. The programme year and the next are written even before any form (their 报送情况登记表)."""
    for slip in ("2030", "2016"):
        refused = run_cli("-w", session["root"], "register", "--year", slip, check=2)
        assert refused.stderr.startswith(f"错误：档案库中没有 {slip} 年的表格、文书或案例，没有为它生成登记簿")
        assert f"有记录的年度：{YEAR - 1}、{YEAR}；" in refused.stderr
        assert not (session["root"] / "outbox" / slip).exists()
    ahead = run_cli("-w", session["root"], "register", "--year", str(YEAR + 1), check=0)
    assert f"已生成 {YEAR + 1} 年登记簿和公示表" in ahead.stdout


def test_status_json_has_the_lists_a_script_needs(session):
    status = session["status"]
    assert status["submitted"] == ["计划财务处", "基建处", "图书馆", "网络与信息中心"]
    assert status["late"] == ["教务处"]
    assert "后勤管理处" in status["missing"] and not set(status["missing"]) & set(CURRENT)
    assert status["levels"] == {"1": 3, "2": 4, "3": 3}
    overdue = status["overdue"]
    assert [set(o) >= {"number", "unit", "kind", "reply_due", "days_overdue"} for o in overdue] == [True]
    assert overdue[0]["number"] == "内工大纪建〔2026〕1号" and overdue[0]["reply_due"] == "2026-11-25"
    assert overdue[0]["days_overdue"] == 3  # on the tests' day (LZDOCS_TODAY=2026-11-28)
    assert status["watcher"] is None


def test_lzdocs_today_moves_the_day_every_count_is_made_on(session):
    later = run_json("status", "-w", session["root"], "--year", YEAR, env=cli_env(LZDOCS_TODAY="2026-12-01"))
    assert [(o["number"], o["days_overdue"]) for o in later["overdue"]] == [
        ("内工大纪建〔2026〕1号", 6), ("内工大纪催〔2026〕1号", 2)]  # the 催报通知 was due on 11-29
    wrong = run_cli("status", "-w", session["root"], env=cli_env(LZDOCS_TODAY="下周一"))
    assert wrong.returncode == 2 and wrong.stdout == ""
    assert wrong.stderr.startswith("错误：环境变量 LZDOCS_TODAY“下周一”不是日期")


def test_status_prints_a_chinese_table(session):
    out = session["human"].stdout
    assert "2026 年廉政风险点报送情况" in out and "截止日期：2026年11月16日" in out
    for text in ("计划财务处", "按时报送", "逾期报送", "未报送", "逾期报送：1 个（教务处）", "当前风险点：一级 3 个",
                 "内工大纪建〔2026〕1号"):
        assert text in out, text


def test_help_defines_the_states_and_gives_examples(session):
    text = session["help"]
    assert "互不重叠" in text and "截止日期" in text and "lzdocs status --year 2026 --json" in text
    assert "lzdocs register --year 2026 --json" in text


def test_ingest_rebuilds_the_registers_once(tmp_path):
    from lzdocs.documents.blankform import write_docx
    from lzdocs.forms.schema import risk_kind

    root = tmp_path / "ws"
    run_json("init", root, *SAMPLE_SCHOOL)
    write_docx(risk_kind(), root / "inbox" / "计财处.docx", unit="计财处", rows=SAMPLE_ROWS, date=dt.date(2026, 11, 10))
    run_cli("-w", root, "ingest", check=0)
    summary = load_workbook(root / FILES[0])["汇总"]
    assert [r[4] for r in summary.iter_rows(min_row=4, values_only=True)] == [r["risk"] for r in SAMPLE_ROWS]

"""Every mistake a clerk can make on the command line ends in a Chinese message and an exit code, never a traceback.

The cases (tests/cli/cli_error_cases.py) run in one module fixture: in this process, or as real ``lzdocs``
subprocesses where a process is the point (Ctrl-C, the watcher, permissions, a bug's exit code 3); each test reads one
result and checks the exit code, that no traceback or click English shows, and the Chinese words."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.cli.cli_error_cases import POSIX, SIGINT_FILES, collect, new_ws, run_all, sigint_job
from tests.conftest import cli_env

posix_only = pytest.mark.skipif(not POSIX, reason="只在 Linux/macOS 上模拟 Ctrl-C 和符号链接")


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    cases = collect(tmp_path_factory.mktemp("cli-errors"))
    out = run_all(cases)
    out["_tmp"] = cases.tmp
    return out


def clean(proc: subprocess.CompletedProcess, code: int, *words: str) -> str:
    """Exit code as expected, no traceback and no click English anywhere, and the Chinese words in stderr."""
    detail = f"exit {proc.returncode}\nstdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}"
    assert proc.returncode == code, detail
    for text in (proc.stdout, proc.stderr):
        assert "Traceback" not in text and "Error:" not in text and "Usage:" not in text, detail
    for word in words:
        assert word in proc.stderr, f"“{word}” missing\n{detail}"
    return proc.stderr


# --- workspace and settings ------------------------------------------------------------------------------
def test_no_workspace_says_how_to_make_one(results):
    clean(results["no_workspace"], 2, "不是 lzdocs 工作区", "lzdocs init", "-w")


def test_workspace_option_pointing_at_a_file(results):
    clean(results["ws_is_file"], 2, "是一个文件", "工作区文件夹")


def test_broken_toml_names_the_line(results):
    clean(results["toml_broken"], 2, "lzdocs.toml 第", "行格式有误", "garbage")


@pytest.mark.parametrize("name, words", [
    ("deadline_number", ("[submission] deadline", "不是日期", 'deadline = "11-16"')),
    ("interval_text", ("[watch] interval", "“abc”", "interval = 5")),
    ("max_file_negative", ("[limits] max_file_mb", "大于 0 的整数", "max_file_mb = 50")),
    ("show_owner_text", ("[publicity] show_owner", "true 或 false")),
    ("no_numbering", ("[numbering]", "suggestion")),
    ("section_is_value", ("watch", "[watch]")),
])
def test_wrong_setting_names_the_key_and_the_form_expected(results, name, words):
    clean(results[name], 2, *words)


def test_unknown_section_is_a_reminder_not_a_failure(results):
    err = clean(results["unknown_section"], 0, "提醒", "[watcht]", "已忽略", "watch")
    assert json.loads(results["unknown_section"].stdout)["year"] and "错误" not in err


@pytest.mark.parametrize("name", ["toml_gbk", "toml_utf16"])
def test_toml_saved_by_notepad_in_gbk_or_unicode_is_read(results, name):
    clean(results[name], 0)
    assert "units" in json.loads(results[name].stdout)


# --- the roster ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, words", [
    ("units_empty", ("名单", "是空的", "units.csv")),
    ("units_header_only", ("名单为空",)),
    ("units_duplicate", ("计划财务处", "出现了两次", "第 2 行和第 3 行")),
    ("units_shared_alias", ("“财务”同时指向两个单位", "第 2 行和第 3 行")),
    ("units_xlsx_encrypted", ("units.xlsx", "密码", "另存为")),
    ("units_xlsx_corrupt", ("units.xlsx", "无法读取", "另存为")),
])
def test_roster_mistakes_are_explained(results, name, words):
    clean(results[name], 2, *words)


@pytest.mark.parametrize("name", ["units_gbk", "units_bom_utf16"])
def test_roster_saved_as_gbk_or_unicode_text_resolves_aliases(results, name):
    clean(results[name], 0)
    assert "计划财务处" in json.loads(results[name].stdout)["files"][0]


# --- templates, inbox, database ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["template_broken", "template_is_xlsx"])
def test_broken_template_is_named_and_no_number_is_used(results, name):
    clean(results[name], 2, "纪检监察建议书.docx", "另存为 .docx")


def test_missing_inbox_and_inbox_that_is_a_file(results):
    clean(results["inbox_missing"], 2, "收件文件夹不存在", "[inbox] path")
    assert results["inbox_missing"].stdout == ""
    clean(results["inbox_is_file"], 2, "是一个文件，不是文件夹")


def test_database_from_a_newer_lzdocs(results):
    clean(results["db_newer"], 2, "档案库版本（99）", "请升级 lzdocs")


def test_database_url_that_is_not_one(results):
    clean(results["db_url_bad"], 2, "数据库地址“foo://bar”写得不对", "[database] url")


def test_unwritable_folder_is_named(results):
    if "outbox_readonly" not in results:
        pytest.skip("无法在此环境中模拟只读文件夹")
    clean(results["outbox_readonly"], 2, "没有权限", "空白表")
    clean(results["db_readonly"], 2, "档案库是只读的", "lzdocs.db")


# --- options ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, words", [
    ("date_month_13", ("--date", "“2026-13-01”不是日期", "2026-11-28")),
    ("date_words", ("“昨天”不是日期",)),
    ("date_far_future", ("年份不对",)),
    ("year_zero", ("--year", "不是有效的年度")),
    ("year_huge", ("99999 不是有效的年度",)),
    ("year_text", ("“abc”不是年份",)),
    ("unknown_command", ("没有“statuss”这个命令", "status", "lzdocs --help")),
    ("unknown_option", ("没有“--foo”这个选项",)),
    ("missing_argument", ("缺少参数", "种类")),
])
def test_usage_errors_are_in_chinese_with_exit_2(results, name, words):
    clean(results[name], 2, "错误：", *words)
    assert results[name].stdout == ""


# --- letters ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, words", [
    ("letter_kind", ("不认识的文书种类", "suggestion")),
    ("letter_unit", ("不在单位名单中", "units.csv")),
    ("letter_set_no_equals", ("应写成 字段=值",)),
    ("data_not_json", ("坏.json", "第 1 行", "JSON")),
    ("data_list", ("列表.yaml", "一个列表")),
    ("batch_no_unit_column", ("没有“单位”列",)),
    ("batch_formulas", ("公式", "计算结果", "保存一次")),
])
def test_letter_mistakes_are_explained(results, name, words):
    clean(results[name], 2, *words)


def test_letter_data_and_batch_in_gbk_are_read(results):
    clean(results["data_gbk"], 0)
    assert json.loads(results["data_gbk"].stdout)["number"] == "内工大纪建〔2026〕1号"
    clean(results["batch_gbk"], 0)
    assert [r["status"] for r in json.loads(results["batch_gbk"].stdout)] == ["issued"]


def test_batch_skips_empty_rows_and_reports_each_bad_row(results):
    clean(results["batch_empty_rows"], 1)
    rows = json.loads(results["batch_empty_rows"].stdout)
    assert [(r["row"], r["status"]) for r in rows] == [(3, "failed"), (4, "failed")]
    assert "缺少必填字段" in rows[0]["error"] and "收文单位" in rows[1]["error"]


def test_reply_twice_to_a_notice_and_with_a_bad_date(results):
    r = results["reply"]
    clean(r["first"], 0)
    clean(r["other"], 2, "已登记回复日期 2026年11月25日，未改动", "--correct")
    clean(r["again"], 0)
    assert json.loads(r["again"].stdout)["previous"] == "2026-11-25"
    clean(r["to_notice"], 2, "不需要回复")
    clean(r["bad_date"], 2, "“2026-02-30”不是日期")
    clean(r["unknown"], 2, "发文登记簿中没有文号")


# --- notices -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, words", [
    ("notice_empty_body", ("正文文件", "是空的")),
    ("notice_missing_body", ("找不到正文文件",)),
    ("notice_png_attachment", ("附件“图.png”无法使用", ".docx")),
])
def test_notice_mistakes_are_explained(results, name, words):
    clean(results[name], 2, *words)


def test_notice_body_in_gbk_with_a_long_title_is_issued(results):
    clean(results["notice_gbk_long_title"], 0)
    assert json.loads(results["notice_gbk_long_title"].stdout)["number"].endswith("1号")


# --- ingest and watch --------------------------------------------------------------------------------------
def test_ingest_path_that_does_not_exist_is_said_by_name_as_not_taken_not_as_returned(results):
    clean(results["ingest_missing_path"], 1)
    [item] = json.loads(results["ingest_missing_path"].stdout)
    assert item["status"] == "failed" and "找不到" in item["problems"][0]["message"]  # 未收取: no 退回 to anyone


@posix_only
def test_ingest_empty_folder_and_symlink_loops_say_so_without_traceback(results):
    clean(results["ingest_empty_folder"], 0)
    assert "指定的文件或文件夹里没有待处理的表格" in results["ingest_empty_folder"].stdout
    assert results["ingest_symlink_loop"].returncode in (0, 1)
    clean(results["ingest_symlink_loop"], results["ingest_symlink_loop"].returncode)


@posix_only
@pytest.mark.slow
def test_ctrl_c_during_ingest_loses_nothing(tmp_path):
    r = sigint_job(new_ws(tmp_path, "s1"), cli_env())
    said = clean(r["first"], 130, "已中断（Ctrl-C）：已处理的")
    assert 0 < r["left"] < SIGINT_FILES, "the interrupt should land mid-way"
    # the file under way was finished: the run reports each form it took, and how many it left in the inbox
    taken = r["first"].stdout.count("[已收取]")
    assert taken + r["left"] == SIGINT_FILES
    assert said.endswith(f"已处理的 {taken} 个文件都已保存，其余 {r['left']} 个留在收件文件夹，"
                         "再次运行 lzdocs ingest 会接着处理（见上）。\n"), said
    assert f"已中断，未处理 {r['left']} 个" in r["first"].stdout
    clean(r["second"], 0)
    assert r["stored"] == r["archived"] == SIGINT_FILES


@posix_only
def test_watch_waits_for_a_missing_inbox_and_stops_on_ctrl_c(results):
    err = clean(results["watch"], 0, "收件文件夹", "无法访问", "已停止")
    assert "不会当作被删除" in err


# --- bugs -------------------------------------------------------------------------------------------------
def test_a_bug_is_one_chinese_line_and_the_traceback_goes_to_error_log(results):
    proc = results["internal"]
    clean(proc, 3, "程序内部出错", "simulated bug", "error.log")
    assert proc.stdout == ""
    log = results["_tmp"] / "x1" / ".lzdocs" / "error.log"
    assert "Traceback" in log.read_text(encoding="utf-8") and "RuntimeError: simulated bug" in log.read_text("utf-8")


def test_a_reader_bug_rejects_the_file_with_one_line_and_logs_the_traceback(results):
    proc = results["reader_bug"]
    err = clean(proc, 1, "提醒：读取 计财处.xlsx 时出现意外错误（KeyError）", "error.log")
    assert len(err.strip().splitlines()) == 1
    assert "[退回] inbox/计财处.xlsx" in proc.stdout and "意外错误" in proc.stdout
    log = (results["_tmp"] / "x2" / ".lzdocs" / "error.log").read_text(encoding="utf-8")
    assert "KeyError: 'simulated reader bug'" in log


def test_json_runs_print_one_document_or_nothing(results):
    for name, proc in results.items():
        if not isinstance(proc, subprocess.CompletedProcess) or "--json" not in proc.args:
            continue
        if proc.returncode >= 2:  # usage/config error, bug, Ctrl-C: the message is on stderr, stdout stays empty
            assert proc.stdout == "", name
        else:
            json.loads(proc.stdout)  # exactly one document: json.loads refuses trailing text

"""Every mistake a clerk can make on the command line ends in a Chinese message and an exit code, never a traceback.

All cases run as real ``lzdocs`` subprocesses, side by side on a thread pool in one module fixture; each test
below reads one result and checks the exit code, that stderr has no traceback, and the key Chinese words."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from openpyxl import Workbook

from lzdocs.documents.blankform import write_xlsx
from lzdocs.forms.schema import risk_kind
from lzdocs.workspace import Workspace
from tests.conftest import SAMPLE_ROWS, cli_env

LETTER = ["letter", "suggestion", "--unit", "计财处", "--set", "事由=在检查中", "--set", "问题=采购不规范",
          "--set", "建议=完善制度", "--date", "2026-11-28"]
SIGINT_FILES = 200


def lzdocs(*args, prefix=(), cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, sys.executable, "-m", "lzdocs", *map(str, args)], cwd=cwd, env=env or cli_env(),
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


def unprivileged() -> list[str] | None:
    """A command prefix under which chmod is obeyed: none needed for a normal user; as root, drop the
    capabilities that bypass file permissions (setpriv); None when that is not possible here."""
    if os.name == "nt":
        return None
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        return None
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


def new_ws(root: Path, name: str, *, toml=None, units: bytes | None = None) -> Path:
    """A fresh workspace; ``toml`` edits lzdocs.toml text (a function) and ``units`` replaces units.csv."""
    ws, _ = Workspace.init(root / name)
    config = ws.root / "lzdocs.toml"
    if toml is not None:
        result = toml(config.read_text(encoding="utf-8"))
        if isinstance(result, bytes):
            config.write_bytes(result)
        else:
            config.write_text(result, encoding="utf-8")
    if units is not None:
        (ws.root / "units.csv").write_bytes(units)
    return ws.root


def replace(old: str, new: str):
    return lambda text: text.replace(old, new, 1)


def without_section(name: str):
    def edit(text: str) -> str:
        head, _, rest = text.partition(f"[{name}]")
        return head + rest[rest.index("\n["):]
    return edit


def encrypted_xlsx(path: Path) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = io.BytesIO()
    wb = Workbook()
    wb.active.append(["单位", "别名"])
    wb.active.append(["教务处", ""])
    wb.save(plain)
    plain.seek(0)
    with open(path, "wb") as out:
        OOXMLFile(plain).encrypt("123456", out)


def many_forms(folder: Path, count: int) -> None:
    """``count`` accepted forms with distinct bytes (one form, re-zipped with a different comment)."""
    src = write_xlsx(risk_kind(), folder / "src.xlsx", unit="计划财务处", rows=SAMPLE_ROWS, date=dt.date(2026, 11, 10))
    with zipfile.ZipFile(src) as z:
        parts = [(i, z.read(i.filename)) for i in z.infolist()]
    for n in range(count):
        with zipfile.ZipFile(folder / f"计财处-{n:03d}.xlsx", "w", zipfile.ZIP_DEFLATED) as out:
            for info, data in parts:
                out.writestr(info, data)
            out.comment = f"copy {n}".encode()
    src.unlink()


# --- jobs that need more than one command ---------------------------------------------------------------
def reply_job(root: Path) -> dict:
    w = ["-w", root]
    out = {"letter": lzdocs(*w, *LETTER, "--json")}
    body = root / "正文.txt"
    body.write_text("一、工作要求\n请按时报送。\n", encoding="utf-8")
    out["notice"] = lzdocs(*w, "notice", "--title", "关于报送的通知", "--body", body, "--date", "2026-11-28", "--json")
    number = json.loads(out["letter"].stdout)["number"]
    out["first"] = lzdocs(*w, "reply", number, "--date", "2026-12-01")
    out["again"] = lzdocs(*w, "reply", number, "--date", "2026-12-02", "--json")
    out["to_notice"] = lzdocs(*w, "reply", json.loads(out["notice"].stdout)["number"])
    out["bad_date"] = lzdocs(*w, "reply", number, "--date", "2026-02-30")
    out["unknown"] = lzdocs(*w, "reply", "内工大纪建〔2026〕99号")
    return out


def sigint_job(root: Path) -> dict:
    """Ctrl-C in the middle of a long ingest, then a second run: every file is counted exactly once."""
    many_forms(root / "inbox", SIGINT_FILES)
    proc = subprocess.Popen([sys.executable, "-m", "lzdocs", "-w", root, "ingest"], env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    archive = root / "outbox" / "2026" / "收文"
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline and not any(archive.rglob("*.xlsx")):
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    first = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    left = sum(1 for p in (root / "inbox").iterdir() if p.is_file())
    second = lzdocs("-w", root, "ingest", "--json")
    with sqlite3.connect(root / "lzdocs.db") as db:
        stored = db.execute("SELECT count(*) FROM submissions WHERE status = 'accepted'").fetchone()[0]
    return {"first": first, "left": left, "second": second, "stored": stored,
            "archived": sum(1 for _ in archive.rglob("*.xlsx"))}


def watch_job(root: Path) -> subprocess.CompletedProcess:
    """``lzdocs watch`` on a workspace whose inbox is gone: it waits (a share may come back), then Ctrl-C."""
    shutil.rmtree(root / "inbox")
    proc = subprocess.Popen([sys.executable, "-m", "lzdocs", "-w", root, "watch", "--polling", "--interval", "0.5"],
                            env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def internal_error_job(root: Path) -> subprocess.CompletedProcess:
    """A bug (here: a library function made to raise) — short Chinese message, the traceback in error.log."""
    code = ("import lzdocs.documents.status as s\n"
            "def boom(*a, **k):\n    raise RuntimeError('simulated bug')\n"
            "s.submission_status = boom\nimport lzdocs.cli.register_cmds as r\nr.submission_status = boom\n"
            "from lzdocs.cli import main\nmain()\n")
    return subprocess.run([sys.executable, "-c", code, "-w", str(root), "status", "--json"], env=cli_env(),
                          capture_output=True, text=True, encoding="utf-8", timeout=60)


def reader_bug_job(root: Path) -> subprocess.CompletedProcess:
    """A reader bug while ingesting: the file is returned with a reason, the clerk sees one line, not a traceback."""
    write_xlsx(risk_kind(), root / "inbox" / "计财处.xlsx", unit="计划财务处", rows=SAMPLE_ROWS,
               date=dt.date(2026, 11, 10))
    code = ("import lzdocs.forms.reader as p\n"
            "def boom(*a, **k):\n    raise KeyError('simulated reader bug')\n"
            "p.read_form = boom\nfrom lzdocs.cli import main\nmain()\n")
    return subprocess.run([sys.executable, "-c", code, "-w", str(root), "ingest"], env=cli_env(),
                          capture_output=True, text=True, encoding="utf-8", timeout=60)


# --- everything, once -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("cli-errors")
    files = tmp / "文件"
    files.mkdir()
    jobs: dict[str, tuple] = {}

    def case(name, *args, **kw):
        jobs[name] = (lzdocs, args, kw)

    base = new_ws(tmp, "工作 区 2026")  # a path with a space and Chinese
    w = ["-w", base]

    # workspace and lzdocs.toml
    case("no_workspace", "status", cwd=files)
    case("ws_is_file", "-w", base / "units.csv", "status")
    case("toml_broken", "-w", new_ws(tmp, "t1", toml=lambda t: t + "\ngarbage [[[\n"), "status")
    case("deadline_number", "-w", new_ws(tmp, "t2", toml=replace('deadline = "11-16"', "deadline = 5")), "status")
    case("interval_text", "-w", new_ws(tmp, "t3", toml=replace("interval = 5", 'interval = "abc"')), "status")
    case("max_file_negative", "-w", new_ws(tmp, "t4", toml=replace("max_file_mb = 50", "max_file_mb = -1")), "ingest")
    case("show_owner_text", "-w", new_ws(tmp, "t5", toml=replace("show_owner = false", 'show_owner = "也许"')),
         "register")
    case("unknown_section", "-w", new_ws(tmp, "t6", toml=lambda t: t + "\n[watcht]\ninterval = 3\n"), "status", "--json")
    case("no_numbering", "-w", new_ws(tmp, "t7", toml=without_section("numbering")), *LETTER)
    case("toml_gbk", "-w", new_ws(tmp, "t8", toml=lambda t: t.encode("gbk")), "status", "--json")
    case("toml_utf16", "-w", new_ws(tmp, "t9", toml=lambda t: t.encode("utf-16")), "status", "--json")
    case("section_is_value", "-w", new_ws(tmp, "t10", toml=lambda t: "watch = 5\n" + t.replace("[watch]", "[watch2]")),
         "status")

    # units.csv / units.xlsx
    case("units_empty", "-w", new_ws(tmp, "u1", units=b""), "form", "--all")
    case("units_header_only", "-w", new_ws(tmp, "u2", units="单位,别名\n".encode()), "urge")
    case("units_duplicate", "-w", new_ws(tmp, "u3", units="单位,别名\n计划财务处,计财处\n计划财务处,财务处\n".encode()),
         "form", "--all")
    case("units_shared_alias", "-w", new_ws(tmp, "u4", units="单位,别名\n计划财务处,财务\n资产处,财务\n".encode()),
         "form", "--unit", "财务")
    case("units_gbk", "-w", new_ws(tmp, "u5", units="单位,别名\n计划财务处,财务\n".encode("gbk")),
         "form", "--unit", "财务", "--json")
    case("units_bom_utf16", "-w", new_ws(tmp, "u6", units="\ufeff单位\t别名\n计划财务处\t计财处\n".encode("utf-16")),
         "form", "--unit", "计财处", "--json")
    enc = new_ws(tmp, "u7")
    (enc / "units.csv").unlink()
    encrypted_xlsx(enc / "units.xlsx")
    case("units_xlsx_encrypted", "-w", enc, "form", "--all")
    bad = new_ws(tmp, "u8")
    (bad / "units.csv").unlink()
    (bad / "units.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    case("units_xlsx_corrupt", "-w", bad, "form", "--all")

    # templates, inbox
    tpl = new_ws(tmp, "tp1")
    (tpl / "templates" / "纪检监察建议书.docx").write_bytes(b"broken")
    case("template_broken", "-w", tpl, *LETTER)
    tpl2 = new_ws(tmp, "tp2")
    wb = Workbook()
    wb.save(tpl2 / "templates" / "纪检监察建议书.docx")  # an .xlsx under a template's name
    case("template_is_xlsx", "-w", tpl2, *LETTER)
    nobox = new_ws(tmp, "i1")
    shutil.rmtree(nobox / "inbox")
    case("inbox_missing", "-w", nobox, "ingest", "--json")
    filebox = new_ws(tmp, "i2")
    shutil.rmtree(filebox / "inbox")
    (filebox / "inbox").write_text("x", encoding="utf-8")
    case("inbox_is_file", "-w", filebox, "ingest")

    # the archive database
    newer = new_ws(tmp, "d1")
    lzdocs_status = lzdocs("-w", newer, "status", "--json")  # creates lzdocs.db
    assert lzdocs_status.returncode == 0, lzdocs_status.stderr
    with sqlite3.connect(newer / "lzdocs.db") as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    case("db_newer", "-w", newer, "status")
    case("db_url_bad", "-w", new_ws(tmp, "d2", toml=replace('url = ""', 'url = "foo://bar"')), "status")

    # options
    case("date_month_13", *w, *LETTER[:-2], "--date", "2026-13-01")
    case("date_words", *w, *LETTER[:-2], "--date", "昨天")
    case("date_far_future", *w, *LETTER[:-2], "--date", "9999-12-31")
    case("year_zero", *w, "status", "--year", "0")
    case("year_huge", *w, "register", "--year", "99999")
    case("year_text", *w, "risks", "--year", "abc", "--json")
    case("unknown_command", *w, "statuss")
    case("unknown_option", *w, "status", "--foo")
    case("missing_argument", *w, "letter")

    # letter
    case("letter_kind", *w, "letter", "nosuch", "--unit", "计财处")
    case("letter_unit", *w, *LETTER[:2], "--unit", "不存在处", *LETTER[4:])
    case("letter_set_no_equals", *w, *LETTER[:4], "--set", "事由")
    (files / "坏.json").write_text("{事由: x", encoding="utf-8")
    case("data_not_json", *w, *LETTER[:4], "--data", files / "坏.json")
    (files / "列表.yaml").write_text("- 事由\n- 问题\n", encoding="utf-8")
    case("data_list", *w, *LETTER[:4], "--data", files / "列表.yaml")
    (files / "gbk.json").write_bytes(json.dumps({"事由": "在检查中", "问题": "甲", "建议": "乙"},
                                                ensure_ascii=False).encode("gbk"))
    case("data_gbk", "-w", new_ws(tmp, "l1"), *LETTER[:4], "--data", files / "gbk.json", "--json")
    (files / "无单位.csv").write_text("事由,问题\nx,y\n", encoding="utf-8")
    case("batch_no_unit_column", *w, "letter", "suggestion", "--batch", files / "无单位.csv")
    (files / "空行.csv").write_text("单位,事由,问题,建议\n,,,\n教务处,,,\n,x,y,z\n", encoding="utf-8")
    case("batch_empty_rows", "-w", new_ws(tmp, "l2"), "letter", "suggestion", "--batch", files / "空行.csv", "--json")
    (files / "gbk.csv").write_bytes("单位,事由,问题,建议\n教务处,检查中,采购乱,改进\n".encode("gbk"))
    case("batch_gbk", "-w", new_ws(tmp, "l3"), "letter", "suggestion", "--batch", files / "gbk.csv", "--json")
    wb = Workbook()
    wb.active.append(["单位", "事由", "问题", "建议"])
    wb.active.append(["教务处", "=1+1", '=A2&"x"', "改进"])
    wb.save(files / "公式.xlsx")
    case("batch_formulas", *w, "letter", "suggestion", "--batch", files / "公式.xlsx")

    # notice
    (files / "空.txt").write_text("", encoding="utf-8")
    (files / "gbk.txt").write_bytes("一、工作要求\n按时报送。\n".encode("gbk"))
    (files / "图.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    notice = ["notice", "--date", "2026-11-28", "--title"]
    case("notice_empty_body", *w, *notice, "关于报送的通知", "--body", files / "空.txt")
    case("notice_missing_body", *w, *notice, "关于报送的通知", "--body", files / "没有.txt")
    case("notice_png_attachment", *w, *notice, "关于报送的通知", "--body", files / "gbk.txt", "--attachment",
         files / "图.png")
    case("notice_gbk_long_title", "-w", new_ws(tmp, "n1"), *notice, "关于" + "廉政风险" * 50 + "的通知",
         "--body", files / "gbk.txt", "--json")

    # ingest
    (files / "空文件夹").mkdir()
    loop = files / "循环"
    loop.mkdir()
    (loop / "自己").symlink_to(loop, target_is_directory=True)
    (files / "甲.docx").symlink_to(files / "乙.docx")
    (files / "乙.docx").symlink_to(files / "甲.docx")
    case("ingest_missing_path", *w, "ingest", files / "没有这个.docx", "--json")
    case("ingest_empty_folder", *w, "ingest", files / "空文件夹")
    case("ingest_symlink_loop", *w, "ingest", loop, files / "甲.docx")

    # permissions (obeyed only without root's override; skipped where that cannot be arranged)
    prefix = unprivileged()
    if prefix is not None:
        ro_out = new_ws(tmp, "p1")
        (ro_out / "outbox" / "空白表").mkdir()
        (ro_out / "outbox" / "空白表").chmod(0o555)
        case("outbox_readonly", "-w", ro_out, "form", "--all", prefix=prefix)
        ro_db = new_ws(tmp, "p2")
        assert lzdocs("-w", ro_db, "status").returncode == 0
        for p in ro_db.glob("lzdocs.db*"):
            p.chmod(0o444)
        case("db_readonly", "-w", ro_db, *LETTER, prefix=prefix)

    jobs["reply"] = (reply_job, (new_ws(tmp, "r1"),), {})
    jobs["sigint"] = (sigint_job, (new_ws(tmp, "s1"),), {})
    jobs["watch"] = (watch_job, (new_ws(tmp, "w1"),), {})
    jobs["internal"] = (internal_error_job, (new_ws(tmp, "x1"),), {})
    jobs["reader_bug"] = (reader_bug_job, (new_ws(tmp, "x2"),), {})
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(fn, *args, **kw) for name, (fn, args, kw) in jobs.items()}
        out = {name: f.result() for name, f in futures.items()}
    out["_base"], out["_tmp"] = base, tmp
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
    clean(results["db_url_bad"], 2, "[database] url", "写得不对")


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
    clean(r["again"], 0)
    assert json.loads(r["again"].stdout)["previous"] == "2026-12-01"
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
def test_ingest_path_that_does_not_exist_is_rejected_by_name(results):
    clean(results["ingest_missing_path"], 1)
    [item] = json.loads(results["ingest_missing_path"].stdout)
    assert item["status"] == "rejected" and "找不到" in item["problems"][0]["message"]


def test_ingest_empty_folder_and_symlink_loops_say_so_without_traceback(results):
    clean(results["ingest_empty_folder"], 0)
    assert "指定的文件或文件夹里没有待处理的表格" in results["ingest_empty_folder"].stdout
    assert results["ingest_symlink_loop"].returncode in (0, 1)
    clean(results["ingest_symlink_loop"], results["ingest_symlink_loop"].returncode)


def test_ctrl_c_during_ingest_loses_nothing(results):
    r = results["sigint"]
    clean(r["first"], 130, "已中断", "不会丢失")
    assert 0 < r["left"] < SIGINT_FILES, "the interrupt should land mid-way"
    clean(r["second"], 0)
    assert r["stored"] == r["archived"] == SIGINT_FILES


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

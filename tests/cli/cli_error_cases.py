"""The mistakes of tests/cli/test_cli_errors.py: workspaces set up wrong on purpose and the lzdocs runs against them.

``collect(tmp)`` builds every scenario (one function per area); ``run_all`` runs the ones that need a real process
(Ctrl-C, the watcher, permissions, a patched bug) as subprocesses side by side, the others in this process meanwhile,
and returns the results by name."""

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

from openpyxl import Workbook

from lzdocs.documents.blankform import write_xlsx
from lzdocs.forms.schema import risk_kind
from lzdocs.workspace import SAMPLE, Workspace
from tests.conftest import SAMPLE_ROWS, cli_env, run_cli

LETTER = ["letter", "suggestion", "--unit", "计财处", "--set", "事由=在检查中", "--set", "问题=采购不规范",
          "--set", "建议=完善制度", "--date", "2026-11-28"]
SIGINT_FILES = 200
POSIX = os.name == "posix"


def lzdocs(*args, cwd=None) -> subprocess.CompletedProcess:
    """``lzdocs`` in this process (main thread only: CliRunner swaps sys.stdout)."""
    return run_cli(*args, cwd=cwd)


def lzdocs_process(*args, env: dict, prefix=()) -> subprocess.CompletedProcess:
    """``lzdocs`` as a real subprocess; ``env`` is made before the threads start (os.environ is not theirs to read)."""
    return subprocess.run([*prefix, sys.executable, "-m", "lzdocs", *map(str, args)], env=env,
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
    ws, _ = Workspace.init(root / name, SAMPLE)
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
    out = {"letter": lzdocs(*w, *LETTER[:-1], "2026-11-20", "--json")}
    body = root / "正文.txt"
    body.write_text("一、工作要求\n请按时报送。\n", encoding="utf-8")
    out["notice"] = lzdocs(*w, "notice", "--title", "关于报送的通知", "--body", body, "--date", "2026-11-28", "--json")
    number = json.loads(out["letter"].stdout)["number"]
    out["first"] = lzdocs(*w, "reply", number, "--date", "2026-11-25")
    out["other"] = lzdocs(*w, "reply", number, "--date", "2026-11-27")
    out["again"] = lzdocs(*w, "reply", number, "--date", "2026-11-27", "--correct", "--json")
    out["to_notice"] = lzdocs(*w, "reply", json.loads(out["notice"].stdout)["number"])
    out["bad_date"] = lzdocs(*w, "reply", number, "--date", "2026-02-30")
    out["unknown"] = lzdocs(*w, "reply", "内工大纪建〔2026〕99号")
    return out


def sigint_job(root: Path, env: dict) -> dict:
    """Ctrl-C in the middle of a long ingest, then a second run: every file is counted exactly once."""
    many_forms(root / "inbox", SIGINT_FILES)
    proc = subprocess.Popen([sys.executable, "-m", "lzdocs", "-w", root, "ingest"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    archive = root / "outbox" / "2026" / "收文"
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline and not any(archive.rglob("*.xlsx")):
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    first = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    left = sum(1 for p in (root / "inbox").iterdir() if p.is_file())
    second = lzdocs_process("-w", root, "ingest", "--json", env=env)
    with sqlite3.connect(root / "lzdocs.db") as db:
        stored = db.execute("SELECT count(*) FROM submissions WHERE status = 'accepted'").fetchone()[0]
    return {"first": first, "left": left, "second": second, "stored": stored,
            "archived": sum(1 for _ in archive.rglob("*.xlsx"))}


def watch_job(root: Path, env: dict) -> subprocess.CompletedProcess:
    """``lzdocs watch`` on a workspace whose inbox is gone: it waits (a share may come back), then Ctrl-C."""
    log = root.parent / f"{root.name}-watch.err"
    with open(log, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "lzdocs", "-w", root, "watch", "--polling", "--interval", "0.5"],
                                env=env, stdout=subprocess.PIPE, stderr=err, text=True, encoding="utf-8")
        deadline = time.monotonic() + 60  # once it says it is waiting for the inbox, however long the start took
        while proc.poll() is None and time.monotonic() < deadline and "无法访问" not in log.read_bytes().decode(
                "utf-8", "replace"):
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        stdout, _ = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, log.read_text(encoding="utf-8"))


def internal_error_job(root: Path, env: dict) -> subprocess.CompletedProcess:
    """A bug (here: a library function made to raise) — short Chinese message, the traceback in error.log."""
    code = ("import lzdocs.documents.status as s\n"
            "def boom(*a, **k):\n    raise RuntimeError('simulated bug')\n"
            "s.submission_status = boom\nimport lzdocs.cli.register_cmds as r\nr.submission_status = boom\n"
            "from lzdocs.cli import main\nmain()\n")
    return subprocess.run([sys.executable, "-c", code, "-w", str(root), "status", "--json"], env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=60)


def reader_bug_job(root: Path, env: dict) -> subprocess.CompletedProcess:
    """A reader bug while ingesting: the file is returned with a reason, the clerk sees one line, not a traceback."""
    code = ("import lzdocs.forms.reader as p\n"
            "def boom(*a, **k):\n    raise KeyError('simulated reader bug')\n"
            "p.read_form = boom\nfrom lzdocs.cli import main\nmain()\n")
    return subprocess.run([sys.executable, "-c", code, "-w", str(root), "ingest"], env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=60)


# --- the scenarios, by area ---------------------------------------------------------------------------------
class Cases:
    """Collects ``name → (function, args, kwargs)``: ``jobs`` run in this process, ``processes`` in subprocesses;
    ``base`` is a plain workspace under a path with a space and Chinese, ``files`` a folder for input files."""

    def __init__(self, tmp: Path):
        self.tmp, self.files = tmp, tmp / "文件"
        self.files.mkdir()
        self.base = new_ws(tmp, "工作 区 2026")
        self.w = ["-w", self.base]
        self.env = cli_env()
        self.jobs: dict[str, tuple] = {}
        self.processes: dict[str, tuple] = {}

    def run(self, name: str, *args, **kw) -> None:
        self.jobs[name] = (lzdocs, args, kw)

    def job(self, name: str, fn, *args) -> None:
        self.jobs[name] = (fn, args, {})

    def process(self, name: str, *args, prefix=()) -> None:
        self.processes[name] = (lzdocs_process, args, {"env": self.env, "prefix": prefix})

    def process_job(self, name: str, fn, root: Path) -> None:
        self.processes[name] = (fn, (root,), {"env": self.env})

    def ws(self, name: str, **kw) -> list:
        return ["-w", new_ws(self.tmp, name, **kw)]


def settings_cases(c: Cases) -> None:
    c.run("no_workspace", "status", cwd=c.files)
    c.run("ws_is_file", "-w", c.base / "units.csv", "status")
    c.run("toml_broken", *c.ws("t1", toml=lambda t: t + "\ngarbage [[[\n"), "status")
    c.run("deadline_number", *c.ws("t2", toml=replace('deadline = "11-16"', "deadline = 5")), "status")
    c.run("interval_text", *c.ws("t3", toml=replace("interval = 5", 'interval = "abc"')), "status")
    c.run("max_file_negative", *c.ws("t4", toml=replace("max_file_mb = 50", "max_file_mb = -1")), "ingest")
    c.run("show_owner_text", *c.ws("t5", toml=replace("show_owner = false", 'show_owner = "也许"')), "register")
    c.run("unknown_section", *c.ws("t6", toml=lambda t: t + "\n[watcht]\ninterval = 3\n"), "status", "--json")
    c.run("no_numbering", *c.ws("t7", toml=without_section("numbering")), *LETTER)
    c.run("toml_gbk", *c.ws("t8", toml=lambda t: t.encode("gbk")), "status", "--json")
    c.run("toml_utf16", *c.ws("t9", toml=lambda t: t.encode("utf-16")), "status", "--json")
    c.run("section_is_value", *c.ws("t10", toml=lambda t: "watch = 5\n" + t.replace("[watch]", "[watch2]")), "status")


def roster_cases(c: Cases) -> None:
    c.run("units_empty", *c.ws("u1", units=b""), "form", "--all")
    c.run("units_header_only", *c.ws("u2", units="单位,别名\n".encode()), "urge")
    c.run("units_duplicate", *c.ws("u3", units="单位,别名\n计划财务处,计财处\n计划财务处,财务处\n".encode()),
          "form", "--all")
    c.run("units_shared_alias", *c.ws("u4", units="单位,别名\n计划财务处,财务\n资产处,财务\n".encode()),
          "form", "--unit", "财务")
    c.run("units_gbk", *c.ws("u5", units="单位,别名\n计划财务处,财务\n".encode("gbk")), "form", "--unit", "财务",
          "--json")
    c.run("units_bom_utf16", *c.ws("u6", units="\ufeff单位\t别名\n计划财务处\t计财处\n".encode("utf-16")),
          "form", "--unit", "计财处", "--json")
    enc = new_ws(c.tmp, "u7")
    (enc / "units.csv").unlink()
    encrypted_xlsx(enc / "units.xlsx")
    c.run("units_xlsx_encrypted", "-w", enc, "form", "--all")
    bad = new_ws(c.tmp, "u8")
    (bad / "units.csv").unlink()
    (bad / "units.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    c.run("units_xlsx_corrupt", "-w", bad, "form", "--all")


def template_inbox_database_cases(c: Cases) -> None:
    tpl = new_ws(c.tmp, "tp1")
    (tpl / "templates" / "纪检监察建议书.docx").write_bytes(b"broken")
    c.run("template_broken", "-w", tpl, *LETTER)
    tpl2 = new_ws(c.tmp, "tp2")
    Workbook().save(tpl2 / "templates" / "纪检监察建议书.docx")  # an .xlsx under a template's name
    c.run("template_is_xlsx", "-w", tpl2, *LETTER)
    nobox = new_ws(c.tmp, "i1")
    shutil.rmtree(nobox / "inbox")
    c.run("inbox_missing", "-w", nobox, "ingest", "--json")
    filebox = new_ws(c.tmp, "i2")
    shutil.rmtree(filebox / "inbox")
    (filebox / "inbox").write_text("x", encoding="utf-8")
    c.run("inbox_is_file", "-w", filebox, "ingest")
    newer = new_ws(c.tmp, "d1")
    assert lzdocs("-w", newer, "status", "--json").returncode == 0  # creates lzdocs.db
    with sqlite3.connect(newer / "lzdocs.db") as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    c.run("db_newer", "-w", newer, "status")
    c.run("db_url_bad", *c.ws("d2", toml=replace('url = ""', 'url = "foo://bar"')), "status")


def option_cases(c: Cases) -> None:
    c.run("date_month_13", *c.w, *LETTER[:-2], "--date", "2026-13-01")
    c.run("date_words", *c.w, *LETTER[:-2], "--date", "昨天")
    c.run("date_far_future", *c.w, *LETTER[:-2], "--date", "9999-12-31")
    c.run("year_zero", *c.w, "status", "--year", "0")
    c.run("year_huge", *c.w, "register", "--year", "99999")
    c.run("year_text", *c.w, "risks", "--year", "abc", "--json")
    c.run("unknown_command", *c.w, "statuss")
    c.run("unknown_option", *c.w, "status", "--foo")
    c.run("missing_argument", *c.w, "letter")


def letter_cases(c: Cases) -> None:
    files, w = c.files, c.w
    c.run("letter_kind", *w, "letter", "nosuch", "--unit", "计财处")
    c.run("letter_unit", *w, *LETTER[:2], "--unit", "不存在处", *LETTER[4:])
    c.run("letter_set_no_equals", *w, *LETTER[:4], "--set", "事由")
    (files / "坏.json").write_text("{事由: x", encoding="utf-8")
    c.run("data_not_json", *w, *LETTER[:4], "--data", files / "坏.json")
    (files / "列表.yaml").write_text("- 事由\n- 问题\n", encoding="utf-8")
    c.run("data_list", *w, *LETTER[:4], "--data", files / "列表.yaml")
    data = {"事由": "在检查中", "问题": "甲", "建议": "乙"}
    (files / "gbk.json").write_bytes(json.dumps(data, ensure_ascii=False).encode("gbk"))
    c.run("data_gbk", *c.ws("l1"), *LETTER[:4], "--data", files / "gbk.json", "--json")
    (files / "无单位.csv").write_text("事由,问题\nx,y\n", encoding="utf-8")
    c.run("batch_no_unit_column", *w, "letter", "suggestion", "--batch", files / "无单位.csv")
    (files / "空行.csv").write_text("单位,事由,问题,建议\n,,,\n教务处,,,\n,x,y,z\n", encoding="utf-8")
    c.run("batch_empty_rows", *c.ws("l2"), "letter", "suggestion", "--batch", files / "空行.csv", "--json")
    (files / "gbk.csv").write_bytes("单位,事由,问题,建议\n教务处,检查中,采购乱,改进\n".encode("gbk"))
    c.run("batch_gbk", *c.ws("l3"), "letter", "suggestion", "--batch", files / "gbk.csv", "--json")
    wb = Workbook()
    wb.active.append(["单位", "事由", "问题", "建议"])
    wb.active.append(["教务处", "=1+1", '=A2&"x"', "改进"])
    wb.save(files / "公式.xlsx")
    c.run("batch_formulas", *w, "letter", "suggestion", "--batch", files / "公式.xlsx")
    c.job("reply", reply_job, new_ws(c.tmp, "r1"))


def notice_ingest_cases(c: Cases) -> None:
    files, w = c.files, c.w
    (files / "空.txt").write_text("", encoding="utf-8")
    (files / "gbk.txt").write_bytes("一、工作要求\n按时报送。\n".encode("gbk"))
    (files / "图.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    notice = ["notice", "--date", "2026-11-28", "--title", "关于报送的通知", "--body"]
    c.run("notice_empty_body", *w, *notice, files / "空.txt")
    c.run("notice_missing_body", *w, *notice, files / "没有.txt")
    c.run("notice_png_attachment", *w, *notice, files / "gbk.txt", "--attachment", files / "图.png")
    long_title = "关于" + "廉政风险" * 50 + "的通知"
    c.run("notice_gbk_long_title", *c.ws("n1"), *notice[:-2], long_title, "--body", files / "gbk.txt", "--json")
    (files / "空文件夹").mkdir()
    c.run("ingest_missing_path", *w, "ingest", files / "没有这个.docx", "--json")
    c.run("ingest_empty_folder", *w, "ingest", files / "空文件夹")
    if POSIX:  # symlinks need extra rights on Windows; SIGINT to a child is a POSIX thing
        loop = files / "循环"
        loop.mkdir()
        (loop / "自己").symlink_to(loop, target_is_directory=True)
        (files / "甲.docx").symlink_to(files / "乙.docx")
        (files / "乙.docx").symlink_to(files / "甲.docx")
        c.run("ingest_symlink_loop", *w, "ingest", loop, files / "甲.docx")
        shutil.rmtree((gone := new_ws(c.tmp, "w1")) / "inbox")
        c.process_job("watch", watch_job, gone)
    c.process_job("internal", internal_error_job, new_ws(c.tmp, "x1"))
    write_xlsx(risk_kind(), (buggy := new_ws(c.tmp, "x2")) / "inbox" / "计财处.xlsx", unit="计划财务处",
               rows=SAMPLE_ROWS, date=dt.date(2026, 11, 10))
    c.process_job("reader_bug", reader_bug_job, buggy)


def permission_cases(c: Cases) -> None:
    """chmod is obeyed only without root's override; nothing is added where that cannot be arranged."""
    prefix = unprivileged()
    if prefix is None:
        return
    ro_out = new_ws(c.tmp, "p1")
    (ro_out / "outbox" / "空白表").mkdir()
    (ro_out / "outbox" / "空白表").chmod(0o555)
    c.process("outbox_readonly", "-w", ro_out, "form", "--all", prefix=prefix)
    ro_db = new_ws(c.tmp, "p2")
    assert lzdocs("-w", ro_db, "status").returncode == 0
    for p in ro_db.glob("lzdocs.db*"):
        p.chmod(0o444)
    c.process("db_readonly", "-w", ro_db, *LETTER, prefix=prefix)


def collect(tmp: Path) -> Cases:
    c = Cases(tmp)
    for area in (settings_cases, roster_cases, template_inbox_database_cases, option_cases, letter_cases,
                 notice_ingest_cases, permission_cases):
        area(c)
    return c


def run_all(cases: Cases, workers: int = 3) -> dict:
    """The subprocesses side by side in threads; meanwhile the in-process runs one after another here."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(fn, *args, **kw) for name, (fn, args, kw) in cases.processes.items()}
        results = {name: fn(*args, **kw) for name, (fn, args, kw) in cases.jobs.items()}
        return results | {name: f.result() for name, f in futures.items()}

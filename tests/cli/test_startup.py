"""A quick start: ``lzdocs --help`` lists every command without importing one; a command loads only its own module."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import cli_env, run_cli

HEAVY = ("sqlalchemy", "openpyxl", "numpy", "docx", "docxtpl", "docxcompose", "lxml", "jinja2", "rich", "watchdog",
         "markdown_it", "filelock")

# Runs the CLI in a fresh interpreter, then lists on stderr every module it imported.
RUN_AND_LIST = """\
import sys
from lzdocs.cli import cli
try:
    cli.main(sys.argv[1:], prog_name="lzdocs")
except SystemExit:
    pass
sys.stderr.write("\\n".join(sorted(sys.modules)))
"""


def imported_by(*args) -> tuple[str, set[str]]:
    proc = subprocess.run([sys.executable, "-c", RUN_AND_LIST, *args], env=cli_env(), capture_output=True,
                          text=True, encoding="utf-8", timeout=120)
    return proc.stdout, set(proc.stderr.split())


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def test_help_lists_every_command_and_imports_none_of_them():
    text, modules = imported_by("--help")
    listed = [line.split()[0] for line in text.split("命令:")[1].splitlines() if line.strip()]
    assert listed == ["archive", "backup", "case", "changes", "db", "demo", "follow-up", "form", "ingest", "init",
                      "letter", "notice", "publicity", "quality", "register", "reply", "restore", "review", "risks",
                      "serve", "status", "summary", "template", "unit", "urge", "user", "verify", "void", "warn",
                      "watch"]
    assert "  letter     生成一份（或一批）带文号的纪检监察文书，并登记到发文登记簿和预警处置台账。" in text
    assert sorted(m for m in modules if m.endswith("_cmds")) == []
    assert heavy(modules) == []


def test_help_from_the_table_is_what_the_commands_themselves_say_and_no_command_loads_a_library_to_say_it():
    """Every command module loaded (as ``lzdocs <command> --help`` loads its own): the help is the table's, and
    none of them imports the archive, Word, Excel or template libraries just to describe itself."""
    from lzdocs.cli import COMMANDS

    load_all = ("import sys\nfrom lzdocs.cli import COMMANDS, cli\n"
                "for name in COMMANDS:\n    cli.load(name)\n"
                "try:\n    cli(prog_name='lzdocs')\nexcept SystemExit:\n    pass\n"
                "sys.stderr.write('\\n'.join(sorted(sys.modules)))\n")
    eager = subprocess.run([sys.executable, "-c", load_all, "--help"], env=cli_env(), capture_output=True, text=True,
                           encoding="utf-8", timeout=120)
    lazy = run_cli("--help", check=0)
    assert "demo       演示" in eager.stdout and lazy.stdout == eager.stdout
    assert len(COMMANDS) == 30
    assert heavy(set(eager.stderr.split())) == []


def test_each_table_entry_names_the_command_it_loads():
    import importlib

    import click

    from lzdocs.cli import COMMANDS, cli

    ctx = click.Context(cli)
    for name, (target, short) in COMMANDS.items():
        module, attribute = target.split(":")
        command = cli.get_command(ctx, name)
        assert getattr(importlib.import_module(f"lzdocs.cli.{module}"), attribute) is command, name
        assert command.name == name and command.get_short_help_str(200) == short


@pytest.mark.parametrize("command", ["init", "ingest", "letter", "register", "watch", "notice"])
def test_a_command_imports_only_its_own_module(command):
    text, modules = imported_by(command, "--help")
    assert "用法: lzdocs " + command in text
    assert sorted(m.removeprefix("lzdocs.cli.") for m in modules if m.endswith("_cmds")) == [
        {"init": "workspace_cmds", "ingest": "ingest_cmds", "letter": "letter_cmds", "register": "register_cmds",
         "watch": "watch_cmds", "notice": "notice_cmds"}[command]]


# Not for a letter: the form readers and what they load, the 汇总表's extra sheets and the 公示表 (a letter rewrites
# only the 发文登记簿 and 预警处置台账), and what xml.sax.saxutils would pull in.
NOT_FOR_A_LETTER = ("openpyxl", "numpy", "lzdocs.ingest", "lzdocs.forms.reader", "lzdocs.documents.changes_sheet",
                    "lzdocs.documents.quality_sheet", "lzdocs.documents.publicity", "lzdocs.dynamics.changes",
                    "lzdocs.dynamics.quality", "xml.sax", "urllib.request", "http.client")


def test_a_letter_loads_what_it_uses_and_nothing_for_the_other_registers(workspace):
    fields = ("--set", "事由=在检查中", "--set", "问题=采购程序不规范", "--set", "建议=完善采购制度")
    imported_by("-w", str(workspace.root), "letter", "suggestion", "--unit", "人事处", *fields)  # the archive made
    text, modules = imported_by("-w", str(workspace.root), "letter", "suggestion", "--unit", "计财处", *fields)
    number = "内工大纪建〔2026〕2号"
    assert f"纪检监察建议书 {number} → outbox/2026/纪检监察建议书/{number}-计划财务处.docx" in text
    assert {"sqlite3", "jinja2", "xlsxwriter", "lzdocs.documents.registers"} <= modules  # it did the work
    # …without SQLAlchemy, whose loading took longer than all the rest (its SQL is plain: lzdocs/store/sql.py), nor
    # docxtpl and python-docx (the template was prepared by the first letter and kept)
    assert sorted(m for m in modules if m.split(".")[0] in ("sqlalchemy", "alembic", "docxtpl", "docx")) == []
    assert sorted(m for m in modules if m in NOT_FOR_A_LETTER or m.split(".")[0] in NOT_FOR_A_LETTER) == []
    written = sorted(p.name for p in (workspace.root / "outbox" / "2026" / "登记簿").iterdir())
    assert written == ["发文登记簿.xlsx", "预警处置台账.xlsx"]


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_a_blank_form_loads_neither_the_archive_nor_the_other_formats_library(workspace, fmt):
    """A blank risk form needs no archive (only a 落实情况 form is pre-filled from it) and one office format."""
    text, modules = imported_by("-w", str(workspace.root), "form", "--unit", "计财处", "--format", fmt)
    assert f"已生成 outbox/空白表/岗位风险分析和防控措施表-计划财务处.{fmt}" in text
    assert ("docx" if fmt == "docx" else "openpyxl") in modules  # it did the work
    unused = ("sqlalchemy", "rapidfuzz", "lzdocs.dynamics", "lzdocs.store") + (
        ("openpyxl", "numpy") if fmt == "docx" else ())  # openpyxl itself loads numpy when it is installed
    assert sorted(m for m in modules if m.startswith(unused)) == []


def test_start_up_pauses_the_garbage_collector_only_until_the_command_is_loaded():
    watch_the_load = """\
import gc, sys
import lzdocs.cli as c
load = c.LazyGroup.load
def watched(self, name):
    sys.stderr.write(f"before: {gc.isenabled()}\\n")
    command = load(self, name)
    sys.stderr.write(f"after: {gc.isenabled()}, frozen: {gc.get_freeze_count() > 0}\\n")
    return command
c.LazyGroup.load = watched
sys.argv = ["lzdocs", "watch", "--help"]
c.main()
"""
    proc = subprocess.run([sys.executable, "-c", watch_the_load], env=cli_env(), capture_output=True, text=True,
                          encoding="utf-8", timeout=120)
    assert "用法: lzdocs watch" in proc.stdout
    assert proc.stderr.splitlines() == ["before: False", "after: True, frozen: True"]


CTRL_C_WHILE_LOADING = """\
import sys

class CtrlC:  # pressed while the command line's modules load
    def find_spec(self, name, path=None, target=None):
        if name == "lzdocs.cli":
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, CtrlC())
from lzdocs.__main__ import run
run()
"""


def test_ctrl_c_while_the_modules_load_is_said_in_chinese_not_as_a_traceback():
    proc = subprocess.run([sys.executable, "-c", CTRL_C_WHILE_LOADING, "status"], env=cli_env(), capture_output=True,
                          text=True, encoding="utf-8", timeout=120)
    assert proc.returncode == 130
    assert proc.stderr == "已中断（Ctrl-C）：命令还没有开始，没有做任何改动。\n"


def test_the_lzdocs_command_starts_where_ctrl_c_is_caught():
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="lzdocs")
    assert script.value == "lzdocs.__main__:run"


def run_as_module(tmp_path, main: str, *args) -> subprocess.CompletedProcess:
    """``main`` run as a package's ``__main__`` with ``python -m`` (as the tests and the Windows launcher run
    lzdocs), then ``args`` against a new workspace."""
    package = tmp_path / "as_module"
    package.mkdir()
    (package / "__main__.py").write_text(main, encoding="utf-8")
    root = tmp_path / "ws"
    run_cli("init", root, check=0)
    env = cli_env(PYTHONPATH=os.pathsep.join([str(tmp_path), cli_env()["PYTHONPATH"]]))
    return subprocess.run([sys.executable, "-m", "as_module", "-w", str(root), *args], env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


SWALLOWED_IN_EVAL = """\
from lzdocs.cli.common import Env

def close(self):  # Ctrl-C as the command closes, escaping code compiled from a string (as in a namedtuple)
    eval("(_ for _ in ()).throw(KeyboardInterrupt)")

Env.close = close
from lzdocs.__main__ import run
run()
"""


@pytest.mark.slow  # a real process killed or signalled (the quick loop leaves those out)
def test_a_command_stopped_by_ctrl_c_ends_with_exit_130_even_where_python_would_end_it_by_sigint(tmp_path):
    """Run as ``python -m`` (as the tests and the Windows launcher run it), CPython kills a process with SIGINT at
    exit (-2, not 130) once a Ctrl-C has escaped code compiled from a string — however well it was handled."""
    proc = run_as_module(tmp_path, SWALLOWED_IN_EVAL, "status")
    assert proc.returncode == 130, proc.stderr
    assert "已中断（Ctrl-C）" in proc.stderr


CTRL_C_AS_PYTHON_SHUTS_DOWN = """\
import os, signal, sys

class Late:  # destroyed as Python tears its modules down, after the command has finished
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)

sys.modules["late"] = type(sys)("late")
sys.modules["late"].x = Late()
from lzdocs.__main__ import run
run()
"""


@pytest.mark.slow  # a real process killed or signalled (the quick loop leaves those out)
def test_a_command_that_has_finished_keeps_its_exit_code_when_ctrl_c_comes_as_python_shuts_down(tmp_path):
    """Python puts its default handler back as it shuts down and then tears its modules down for a tenth of a
    second: a Ctrl-C then ended a finished command by SIGINT (-2, no message) — 30 of 394 runs of a Ctrl-C pass."""
    proc = run_as_module(tmp_path, CTRL_C_AS_PYTHON_SHUTS_DOWN, "status", "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("{") and proc.stderr == ""


def test_a_ctrl_c_that_python_wrapped_in_another_error_is_the_interruption(workspace, monkeypatch):
    """Python 3.11 wraps a Ctrl-C met while a class is made (a dataclass as a module loads) in a RuntimeError
    ("Error calling __set_name__"): it was said as a bug in lzdocs (exit 3)."""
    from lzdocs.documents import status

    def wrapped(*args, **kw):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise RuntimeError("Error calling __set_name__ on '_FieldMarker' instance") from exc

    monkeypatch.setattr(status, "status_from", wrapped)
    proc = run_cli("-w", workspace.root, "status", check=130)
    assert "已中断（Ctrl-C）" in proc.stderr

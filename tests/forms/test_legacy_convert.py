"""Old .doc/.xls through LibreOffice: real conversions once, and a fake soffice for failure, timeout, absence."""

import datetime as dt
import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from lzdocs.errors import RejectedFile
from lzdocs.forms import legacy
from lzdocs.forms.reader import read_form
from lzdocs.forms.schema import load_kinds
from lzdocs.ooxml.safety import Limits

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "forms"
KINDS = load_kinds()
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="假 soffice 用 shell 脚本")


@pytest.fixture(scope="module")
def converted():
    """The committed .doc and .xls read once through a real LibreOffice conversion."""
    if shutil.which("soffice") is None:
        pytest.skip("需要 LibreOffice (soffice)，本机未安装")
    return {name: read_form(FIXTURES / name, KINDS, Limits(), soffice_timeout=120)
            for name in ("lo_two_row_header.doc", "lo_merged.xls")}


@pytest.mark.soffice
def test_doc_is_converted_and_reads_like_the_docx(converted):
    old, new = converted["lo_two_row_header.doc"], read_form(FIXTURES / "lo_two_row_header.docx", KINDS, Limits())
    assert (old.unit, old.date_value) == ("计划财务处", dt.date(2011, 11, 10))
    assert [r.values for r in old.rows] == [r.values for r in new.rows]
    assert [r.number for r in old.rows] == [3, 4, 5, 6, 7]
    assert [p.message for p in old.problems] == ["旧格式 .doc 文件已自动转换为 .docx 读取；以后请另存为 .docx 报送"]


@pytest.mark.soffice
def test_xls_is_converted_and_reads_like_the_xlsx(converted):
    old, new = converted["lo_merged.xls"], read_form(FIXTURES / "lo_merged.xlsx", KINDS, Limits())
    assert (old.unit, old.date_value) == ("科学技术处", dt.date(2011, 11, 10))
    assert [r.values for r in old.rows] == [r.values for r in new.rows]
    assert [r.values["post"] for r in old.rows] == ["项目管理", "项目管理", "成果管理"]
    assert old.problems[0].severity == "warning" and ".xls" in old.problems[0].message


def test_no_soffice_is_found_when_path_and_folders_are_empty():
    assert legacy.find_soffice(path_env="", folders=[]) is None


def test_soffice_is_found_in_an_install_folder(tmp_path):
    exe = fake_soffice(tmp_path, "exit 0")
    assert legacy.find_soffice(path_env="", folders=[tmp_path]) == str(exe)


def test_without_libreoffice_an_old_file_is_rejected_with_a_save_as_hint(monkeypatch):
    monkeypatch.setattr(legacy, "find_soffice", lambda *a, **k: None)
    with pytest.raises(RejectedFile) as exc:
        read_form(FIXTURES / "lo_merged.xls", KINDS, Limits())
    message = exc.value.problems[0].message
    assert "旧格式 .xls" in message and "没有安装 LibreOffice" in message and "另存为" in message and ".xlsx" in message


FIND_OUTDIR = 'for a; do case "$a" in --outdir) next=1;; *) [ "$next" = 1 ] && out="$a"; next=0;; esac; done'


def fake_soffice(folder: Path, body: str) -> Path:
    exe = folder / "soffice"
    exe.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    exe.chmod(0o755)
    return exe


def sleeper(pidfile: Path) -> str:
    """A fake soffice whose child sleeps a minute, its pid written whole to ``pidfile`` — renamed into place, as the
    tests read it as soon as it exists (written in place, it was once read empty)."""
    return f"sleep 60 &\necho $! > {pidfile}.tmp && mv {pidfile}.tmp {pidfile}\nwait"


@posix_only
def test_conversion_that_hangs_is_killed_with_its_children_and_rejected(tmp_path):
    pidfile = tmp_path / "child.pid"
    exe = fake_soffice(tmp_path, sleeper(pidfile))
    started = time.monotonic()
    with pytest.raises(RejectedFile) as exc:
        legacy.convert(FIXTURES / "lo_two_row_header.doc", "docx", timeout=1, soffice=str(exe), outdir=tmp_path)
    assert time.monotonic() - started < 10
    assert "转换超时" in exc.value.problems[0].message
    assert not running(int(pidfile.read_text()))


@posix_only
def test_ctrl_c_while_libreoffice_converts_stops_it_with_its_children(tmp_path):
    """LibreOffice runs in a session of its own (so that a timeout can kill all of it), which a terminal's Ctrl-C
    does not reach: without being stopped it went on converting into a temporary folder lzdocs had removed."""
    import signal
    import threading

    pidfile = tmp_path / "child.pid"
    exe = fake_soffice(tmp_path, sleeper(pidfile))
    over = threading.Event()

    def press_ctrl_c():  # once the conversion has started its child; never after the test
        while not pidfile.exists():
            if over.wait(0.02):
                return
        os.kill(os.getpid(), signal.SIGINT)

    started = time.monotonic()
    presser = threading.Thread(target=press_ctrl_c, daemon=True)
    presser.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            legacy.convert(FIXTURES / "lo_two_row_header.doc", "docx", timeout=60, soffice=str(exe), outdir=tmp_path)
    finally:
        over.set()
        presser.join()
    assert time.monotonic() - started < 30
    assert not running(int(pidfile.read_text()))


@posix_only
def test_ctrl_c_as_libreoffice_starts_waits_for_it_and_stops_it(tmp_path, monkeypatch):
    """Pressed inside Popen, after the process began: without the wait, there was no process object to stop."""
    import signal
    import subprocess

    from lzdocs import soffice

    pidfile = tmp_path / "child.pid"
    exe = fake_soffice(tmp_path, sleeper(pidfile))

    class StartThenCtrlC(subprocess.Popen):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            deadline = time.monotonic() + 30
            while not pidfile.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(soffice.subprocess, "Popen", StartThenCtrlC)
    with pytest.raises(KeyboardInterrupt):
        legacy.convert(FIXTURES / "lo_two_row_header.doc", "docx", timeout=60, soffice=str(exe), outdir=tmp_path)
    assert not running(int(pidfile.read_text()))


def running(pid: int) -> bool:
    """Alive and not a zombie waiting for a parent that is gone."""
    time.sleep(0.2)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


@posix_only
@pytest.mark.parametrize("body, words", [("exit 3", "转换失败"), ("exit 0", "无法转换")])
def test_failed_or_empty_conversion_is_rejected(tmp_path, body, words):
    exe = fake_soffice(tmp_path, body)
    with pytest.raises(RejectedFile) as exc:
        legacy.convert(FIXTURES / "lo_merged.xls", "xlsx", timeout=30, soffice=str(exe), outdir=tmp_path)
    assert words in exc.value.problems[0].message and "另存为 .xlsx" in exc.value.problems[0].message


@posix_only
def test_each_conversion_gets_its_own_profile_and_leaves_no_temp_files(tmp_path, monkeypatch):
    """Not even LibreOffice's own: its temporary folder is inside the conversion's, removed with it."""
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    log = tmp_path / "args.txt"
    exe = fake_soffice(tmp_path, f'echo "$@" >> {log}\n{FIND_OUTDIR}\nmkdir -p "$out" && echo x > "$out/input.docx"\n'
                                 'mkdir -p "${TMPDIR:-/tmp}/lu1234.tmp"')  # LibreOffice's own, left when it is killed
    for _ in range(2):
        result = legacy.convert(FIXTURES / "lo_two_row_header.doc", "docx", soffice=str(exe), outdir=tmp_path / "out")
        assert result == tmp_path / "out" / "lo_two_row_header.docx" and result.read_text() == "x\n"
    profiles = [part for line in log.read_text().splitlines() for part in line.split() if "UserInstallation" in part]
    assert len(profiles) == 2 and profiles[0] != profiles[1]
    assert list((tmp_path / "tmp").iterdir()) == []

"""``lzdocs serve`` is stopped, not interrupted: Ctrl-C (the way its help and its first line say to stop it) or a
SIGTERM (a service manager, ``kill``) shuts the page down, says so, and ends with exit 0 — as ``lzdocs watch`` does —
whether the signal comes while the page is served or while it is still being set up (lzdocs/web/__init__.py
``serve``)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import cli_env

pytestmark = pytest.mark.slow  # a real process, for its signals
STOPPED = "工作情况网页已停止"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(root, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "lzdocs", "-w", str(root), "serve", "--port", str(port)],
                            env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8")
    assert "按 Ctrl-C 停止" in proc.stderr.readline()  # said before the page is set up
    return proc


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
            return page.status == 200
    except OSError:
        return False


def ended(proc: subprocess.Popen) -> tuple[int, str]:
    try:
        _, rest = proc.communicate(timeout=30)
    finally:
        proc.kill()
    return proc.returncode, rest


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_served_page_stops_on_its_signal_and_says_so(workspace, sent):
    port = free_port()
    proc = start(workspace.root, port)
    deadline = time.monotonic() + 30
    while not answers(port):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.1)
    proc.send_signal(sent)
    code, said = ended(proc)
    assert (code, said.strip()) == (0, STOPPED)
    assert not answers(port)


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_while_the_page_is_set_up_stops_it_before_it_is_served(workspace, sent):
    port = free_port()
    proc = start(workspace.root, port)
    proc.send_signal(sent)  # as the first line is read: the web modules are still loading
    code, said = ended(proc)
    assert (code, said.strip()) == (0, STOPPED)
    assert "中断" not in said and "Traceback" not in said

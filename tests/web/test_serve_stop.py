"""``lzdocs serve`` is stopped, not interrupted: Ctrl-C (the way its help and its first line say to stop it) or a
SIGTERM (a service manager, ``kill``) shuts the page down, says so, and ends with exit 0 — as ``lzdocs watch`` does —
whether the signal comes while the page is served or while it is still being set up (lzdocs/web/__init__.py
``serve``)."""

from __future__ import annotations

import select
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


@pytest.fixture
def start():
    """start(root, port): ``lzdocs serve`` in a process, its first line read; killed at the end of the test."""
    started: list[subprocess.Popen] = []
    yield lambda root, port: started.append(_serving(root, port)) or started[-1]
    for proc in started:
        proc.kill()
        proc.communicate()


def _serving(root, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "lzdocs", "-w", str(root), "serve", "--port", str(port)],
                            env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8")
    ready, _, _ = select.select([proc.stderr], [], [], 60)  # (nothing read from it yet: no text buffered)
    if not ready:
        proc.kill()
        pytest.fail(f"lzdocs serve said nothing in 60 s: {proc.communicate()}")
    assert "按 Ctrl-C 停止" in proc.stderr.readline()  # said as the signals are its own, before the page is set up
    return proc


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
            return page.status == 200
    except OSError:
        return False


def served(proc: subprocess.Popen, port: int) -> None:
    """Until the page answers (30 s at most)."""
    deadline = time.monotonic() + 30
    while not answers(port):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.1)


def ended(proc: subprocess.Popen) -> tuple[int, str]:
    _, rest = proc.communicate(timeout=30)
    return proc.returncode, rest


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_served_page_stops_on_its_signal_and_says_so(workspace, start, sent):
    port = free_port()
    proc = start(workspace.root, port)
    served(proc, port)
    proc.send_signal(sent)
    code, said = ended(proc)
    assert (code, said.strip()) == (0, STOPPED)
    assert not answers(port)


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_while_the_page_is_set_up_stops_it_before_it_is_served(workspace, start, sent):
    port = free_port()
    proc = start(workspace.root, port)
    proc.send_signal(sent)  # as the first line is read: the web modules are still loading
    code, said = ended(proc)
    assert (code, said.strip()) == (0, STOPPED)
    assert "中断" not in said and "Traceback" not in said


def test_two_quick_presses_stop_it_without_a_traceback(workspace, start):
    """A second Ctrl-C as the page shuts down makes uvicorn end at once; with no lifespan task to cancel, it says
    nothing in English on the way."""
    port = free_port()
    proc = start(workspace.root, port)
    served(proc, port)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    code, said = ended(proc)
    assert (code, said.strip()) == (0, STOPPED)


def test_a_busy_port_is_said_before_anything_else_with_a_free_one_to_try(workspace):
    """The page is announced only once it can be served; the port suggested instead is one that is free."""
    from tests.conftest import run_cli

    with socket.socket() as busy, socket.socket() as next_one:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        try:  # the port after it taken too, where it can be: the suggestion must skip it
            next_one.bind(("127.0.0.1", port + 1))
            next_one.listen()
        except OSError:
            pass
        refused = run_cli("-w", workspace.root, "serve", "--port", port, check=2)
        suggested = int(refused.stderr.split("--port ")[-1].split()[0])
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", suggested))  # free indeed
    assert refused.stderr.startswith(f"错误：端口 {port} 已被占用")
    assert "工作情况网页：" not in refused.stderr and suggested not in (port, port + 1)

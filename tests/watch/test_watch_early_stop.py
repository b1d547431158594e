"""``lzdocs watch`` stopped as it starts: the signals are the watcher's from the moment ``Office.watch`` begins, so a
Ctrl-C or a SIGTERM (a service manager stopping a watcher it has just started) while the watcher is still being set
up stops it as any stop does — "已停止", exit 0 — not as an interrupted command (exit 130) or a silent death by
SIGTERM. The moment is found, not guessed: as soon as the watcher has taken its inbox (its pid file is there), while
its log, its worker and its scanner are still being made."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import cli_env

pytestmark = pytest.mark.slow  # a real process, for its signals


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_as_the_watcher_is_set_up_stops_it_as_a_stop(workspace, sent):
    proc = subprocess.Popen([sys.executable, "-m", "lzdocs", "-w", str(workspace.root), "watch"], env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    try:
        deadline = time.monotonic() + 60
        while not list(workspace.state.glob("*.pid")):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.001)
        proc.send_signal(sent)
        _, said = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, said
    assert said.strip().splitlines()[-1].endswith("已停止。本次共收取 0 份，退回 0 份，重复 0 份")
    assert "中断" not in said and "Traceback" not in said

"""Watchers on a PostgreSQL archive: a server restart in the middle of a burst, a watcher killed with
SIGKILL, several watchers on their own inboxes writing one archive — nothing lost, nothing counted twice, and the
watcher waits for the database in Chinese."""

from __future__ import annotations

import signal
import sys
import time

import pytest

from lzdocs.workspace import Workspace
from tests.cli.test_watch_cli import (
    Watch,
    _workspace,
    archived,
    assert_each_original_once,
    candidates_left,
    drop,
    make_forms,
    submissions_per_file,
    wait_for,
)
from tests.conftest import run_json, use_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres,
              pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL, pg_ctl")]
ARGS = ("--stable", "1", "--interval", "1")


def test_a_server_restart_mid_burst_and_a_sigkill_lose_nothing_and_count_nothing_twice(tmp_path, postgres_server):
    ws = _workspace(tmp_path / "ws", units=300, incomplete_timeout=2)
    use_database(ws.root, postgres_server.new_schema())
    ws = Workspace.open(ws.root)
    forms = make_forms(tmp_path / "staging", 40, start=200)
    later = make_forms(tmp_path / "later", 20, start=240)

    watch = Watch(ws, *ARGS, tmp=tmp_path)
    drop(tmp_path / "staging", ws.inbox)
    wait_for(lambda: len(archived(ws)) >= 5, 60, "the burst to be under way", step=0.005)
    # The server goes down, wherever the ingest was, and stays down until the watcher has met the outage: a
    # restart quicker than the watcher's next use of the archive would go unnoticed (its pool reconnects). More
    # forms arrive during the outage, so the watcher meets it even if the first ones were all taken before it.
    postgres_server.down()
    try:
        drop(tmp_path / "later", ws.inbox)
        wait_for(lambda: "暂停收取，等待数据库恢复" in watch.stderr, 60,
                 lambda: f"the watcher to find the database gone; it said:\n{watch.stderr}")
    finally:
        postgres_server.up()
    forms |= later
    wait_for(lambda: "数据库已恢复" in watch.stderr, 60, "the watcher to find the database again")
    assert "无法连接数据库服务器" in watch.stderr
    assert "档案库出错" not in watch.stderr  # the outage was waited for, no file set aside as if it were a fault
    done = len(archived(ws))
    wait_for(lambda: len(archived(ws)) >= done + 5, 60, "the burst to go on", step=0.005)
    watch.proc.send_signal(signal.SIGKILL)
    watch.proc.wait(10)
    watch.err.close()
    assert len(archived(ws)) < len(forms)

    again = Watch(ws, *ARGS, tmp=tmp_path)
    try:
        wait_for(lambda: len(archived(ws)) == len(forms) and not candidates_left(ws), 180,
                 lambda: f"the rest after restart: {len(archived(ws))} of {len(forms)} archived, left "
                         f"{candidates_left(ws)}; the second watcher said:\n{again.stderr[-4000:]}")
    finally:
        assert again.stop() == 0
    assert "Traceback" not in watch.stderr + again.stderr
    assert_each_original_once(ws, forms)
    assert set(submissions_per_file(ws).values()) == {1}
    assert len(run_json("-w", ws.root, "risks")) == sum(f["rows"] for f in forms.values() if f["status"] == "accepted")


def test_a_watcher_started_before_its_database_server_waits_for_it_then_takes_the_forms(tmp_path, postgres_server):
    """A campus after a power cut: the PC and its watcher are up before the database server. The watcher waits
    (it used to end with exit code 2, which a service manager takes for a wrong setting and does not restart),
    takes nothing meanwhile, and takes the forms once the server answers."""
    ws = _workspace(tmp_path / "ws", units=300, incomplete_timeout=2)
    use_database(ws.root, postgres_server.new_schema())
    ws = Workspace.open(ws.root)
    run_json("-w", ws.root, "status")  # the archive made while the server runs
    forms = make_forms(tmp_path / "staging", 6, start=260)
    postgres_server.down()
    try:
        watch = Watch(ws, *ARGS, tmp=tmp_path, started="暂停收取，等待数据库恢复")
        drop(tmp_path / "staging", ws.inbox)
        time.sleep(2)
        assert watch.proc.poll() is None
        assert not archived(ws) and "开始监视" not in watch.stderr
    finally:
        postgres_server.up()
    try:
        wait_for(lambda: len(archived(ws)) == len(forms), 60,
                 lambda: f"the forms to be taken; it said:\n{watch.stderr}")
    finally:
        assert watch.stop() == 0
    assert "数据库已恢复" in watch.stderr and "Traceback" not in watch.stderr
    assert_each_original_once(ws, forms)


def test_a_watcher_waiting_for_its_database_server_stops_at_once_when_asked(tmp_path, postgres_server):
    ws = _workspace(tmp_path / "ws", units=10, incomplete_timeout=2)
    use_database(ws.root, postgres_server.new_schema())
    run_json("-w", ws.root, "status")
    postgres_server.down()
    try:
        watch = Watch(ws, *ARGS, tmp=tmp_path, started="暂停收取，等待数据库恢复")
        started = time.monotonic()
        assert watch.stop(timeout=10) == 0
        assert time.monotonic() - started < 5
    finally:
        postgres_server.up()
    assert "已停止" in watch.stderr and "Traceback" not in watch.stderr

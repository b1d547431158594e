"""``Office.watch``: the watcher as a library call — what ``lzdocs watch`` runs, stoppable from a script."""

import datetime as dt
import json
import threading
import time

import pytest

from lzdocs import Office
from lzdocs.errors import ConfigError
from lzdocs.watch import AlreadyWatching, WatchLock
from tests.ingest.invariant import assert_each_input_exactly_once

TODAY = dt.date(2026, 11, 28)


def watch_in_thread(office: Office, **kw):
    """Start ``office.watch`` on a thread; returns (thread, stop, errors) once the watcher has started."""
    handed, errors = [], []

    def run():
        try:
            office.watch(mode="polling", interval=0.1, stable=0.2, console=False, started=handed.append, **kw)
        except BaseException as exc:  # shown by the test
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not handed and not errors and time.monotonic() < deadline:
        time.sleep(0.02)
    assert handed or errors, "the watcher did not start"
    return thread, (handed[0] if handed else None), errors


def wait_for(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_form_dropped_in_is_taken_and_the_registers_follow_until_the_script_stops_it(workspace, make_form):
    with Office(workspace, today=TODAY) as office:
        thread, stop, errors = watch_in_thread(office)
        assert not errors
        pid = json.loads(next(workspace.state.glob("watch*.pid")).read_text(encoding="utf-8"))
        assert pid["since"].startswith("2026-11-28T")  # the office's day, not the machine's
        assert office.watcher_state()["mode"] == "polling"

        dropped = make_form(workspace.inbox / "计财处.docx", unit="计划财务处").read_bytes()
        summary = workspace.outbox / "2026" / "登记簿" / "2026年廉政风险点汇总表.xlsx"
        wait_for(lambda: summary.is_file())
        stop()
        thread.join(30)
        assert not thread.is_alive() and not errors

        assert {r["unit"] for r in office.risks(year=2026)} == {"计划财务处"}
        assert not (workspace.inbox / "计财处.docx").exists()
        assert_each_input_exactly_once(workspace, [dropped])
        [unit] = [u for u in office.status(2026).units if u.unit == "计划财务处"]
        assert unit.arrived == TODAY  # dated by the office's clock, as ingest() dates what it takes
        assert office.watcher_state() is None and not list(workspace.state.glob("watch*.pid"))
        assert "收取" in (workspace.state / "watch.log").read_text(encoding="utf-8")


def test_a_second_watcher_on_the_same_inbox_is_refused_in_chinese(workspace):
    with (WatchLock(workspace, mode="polling"), Office(workspace, today=TODAY) as office,
          pytest.raises(AlreadyWatching, match="已有 lzdocs watch 在运行")):
        office.watch(mode="polling", console=False)


def test_a_bad_setting_is_refused_before_anything_starts(workspace):
    with Office(workspace, today=TODAY) as office:
        with pytest.raises(ConfigError, match="轮询间隔"):
            office.watch(mode="polling", interval=-1, console=False)
        assert office.watcher_state() is None

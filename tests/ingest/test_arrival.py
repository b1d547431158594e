"""The day a form arrived, when the file server's clock, this machine's clock and the pinned today all disagree.

A file's mtime is stamped by the clock of the file system it was written on (a share's: the file server's). It
tells how long ago the file was written only when read against that same clock; the arrival day is then counted
back from today. Here the file server's clock is moved by replacing the probe that reads it
(``lzdocs.fsutil.file_system_now``) and dating the files by the moved clock, as that server would."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from lzdocs import fsutil
from lzdocs.ingest import Ingest

TODAY = dt.date(2026, 11, 28)
DAY = 86_400


@pytest.fixture(autouse=True)
def on_the_pinned_day():
    """This machine's calendar on the pinned day (the file server's clock apart): a file's age is counted back from
    the real time, which here is the pinned day's (lzdocs.clock.Clock.present). Tests that mean another real time
    travel again inside."""
    import time_machine

    with time_machine.travel(dt.datetime(2026, 11, 28, 10, 0).astimezone(), tick=True):
        yield


@pytest.fixture
def server(monkeypatch):
    """``server(days)``: the inbox's file server runs ``days`` away from this machine (negative: behind);
    returns a function dating a file as written ``ago`` days before that server's now."""
    def move(days: float):
        real = fsutil.file_system_now
        monkeypatch.setattr(fsutil, "file_system_now", lambda folder: real(folder) + days * DAY)

        def written(path, ago: float = 0):
            when = real(path.parent) + (days - ago) * DAY
            os.utime(path, (when, when))
            return path
        return written
    return move


def received(workspace, store, today=TODAY) -> list[tuple[str, str]]:
    return [(o.status, o.received.isoformat()) for o in Ingest(workspace, store, today=today).run_inbox()]


@pytest.mark.parametrize("skew", [-336, -0.5, 0, 0.5, 1500])
def test_a_form_just_written_arrived_today_however_far_off_the_servers_clock_is(workspace, store, make_form, server,
                                                                                 skew):
    written = server(skew)
    written(make_form(workspace.inbox / "计财处.docx"))
    assert received(workspace, store) == [("accepted", "2026-11-28")]


@pytest.mark.parametrize("skew", [-200, 0, 40])
def test_a_form_written_twelve_days_ago_by_the_servers_clock_arrived_twelve_days_before_today(
        workspace, store, make_form, server, skew):
    written = server(skew)
    written(make_form(workspace.inbox / "计财处.docx"), ago=12)
    assert received(workspace, store) == [("accepted", "2026-11-16")]


@pytest.mark.parametrize("today", [dt.date(2026, 1, 1), dt.date(2031, 1, 2), dt.date(2035, 12, 31)])
def test_a_fresh_file_arrived_on_the_pinned_day_whatever_this_machines_calendar_says(workspace, store, make_form,
                                                                                     today):
    """LZDOCS_TODAY or a test's pinned day far from the real date: a file written now arrived that day."""
    make_form(workspace.inbox / "计财处.docx", date=today - dt.timedelta(days=1))
    assert received(workspace, store, today) == [("accepted", today.isoformat())]


def test_a_clerk_working_as_of_an_earlier_day_keeps_each_files_own_date(workspace, store, make_form, server):
    """LZDOCS_TODAY=2026-11-25 on 2026-12-04 (paperwork done as of an earlier day): a form written on 11-20 by the
    file server's calendar arrived on 11-20, not nine days earlier; one written after the pinned day, on it."""
    import time_machine

    written = server(0)
    with time_machine.travel(dt.datetime(2026, 12, 4, 10, 0).astimezone(), tick=True):
        written(make_form(workspace.inbox / "计财处.docx"), ago=14)
        written(make_form(workspace.inbox / "基建处.docx", unit="基建处"), ago=2)
        got = sorted(received(workspace, store, dt.date(2026, 11, 25)))
    assert got == [("accepted", "2026-11-20"), ("accepted", "2026-11-25")]


def test_a_day_pinned_ahead_of_this_machines_calendar_dates_files_from_it(workspace, store, make_form, server):
    """A machine whose calendar is behind (2026-11-20) and a pinned today of 11-28: that day is the present, and a
    file written twelve days ago arrived on 11-16."""
    import time_machine

    written = server(0)
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0).astimezone(), tick=True):
        written(make_form(workspace.inbox / "计财处.docx"), ago=12)
        assert received(workspace, store) == [("accepted", "2026-11-16")]


def test_a_date_after_the_servers_own_now_says_nothing(workspace, store, make_form, server):
    written = server(-30)
    written(make_form(workspace.inbox / "计财处.docx"), ago=-3)  # three days ahead of the clock that dated it
    assert received(workspace, store) == [("accepted", "2026-11-28")]


def test_where_the_servers_clock_cannot_be_read_the_file_date_says_nothing(workspace, store, make_form,
                                                                           monkeypatch):
    monkeypatch.setattr(fsutil, "file_system_now", lambda folder: None)  # no file can be made there
    path = make_form(workspace.inbox / "计财处.docx")
    old = path.stat().st_mtime - 20 * DAY
    os.utime(path, (old, old))
    assert received(workspace, store) == [("accepted", "2026-11-28")]


def test_the_clock_is_read_once_per_folder_in_a_run(workspace, store, make_form, monkeypatch):
    reads = []
    real = fsutil.file_system_now
    monkeypatch.setattr(fsutil, "file_system_now", lambda folder: reads.append(folder) or real(folder))
    for unit, name in (("计划财务处", "计财处.docx"), ("基建处", "基建处.xlsx"), ("党政办公室", "党办.docx")):
        make_form(workspace.inbox / name, unit=unit)
    assert [s for s, _ in received(workspace, store)] == ["accepted"] * 3
    assert reads == [workspace.inbox]


def test_a_named_file_is_dated_by_the_clock_of_its_own_folder(workspace, store, make_form, tmp_path, server):
    """``lzdocs ingest 邮件附件/…``: the copy keeps the file's mtime, which its own folder's clock reads."""
    written = server(-90)
    mailed = written(make_form(tmp_path / "邮件附件" / "基建处.docx", unit="基建处"), ago=5)
    [outcome] = Ingest(workspace, store, today=TODAY).run_paths([mailed])
    assert (outcome.status, outcome.received) == ("accepted", dt.date(2026, 11, 23))


def test_a_form_written_just_before_midnight_and_taken_just_after_arrived_on_the_pinned_day(workspace, store,
                                                                                          make_form, server):
    """With a pinned day the real clock still passes midnight; a file written three seconds before it was written
    on the pinned day, not the day before (the time of day once went back to 00:00 while the day stayed put)."""
    import time_machine

    written = server(0)
    with time_machine.travel(dt.datetime(2030, 3, 4, 23, 59, 58).astimezone(), tick=False) as traveller:
        ingest = Ingest(workspace, store, today=TODAY)
        written(make_form(workspace.inbox / "计财处.docx"), ago=3 / DAY)
        traveller.shift(dt.timedelta(seconds=3))  # the real clock: 00:00:01 of the next day
        [outcome] = ingest.run_inbox()
    assert (outcome.status, outcome.received) == ("accepted", TODAY)


def test_a_form_taken_by_a_watcher_on_the_calendar_just_after_midnight_arrived_the_day_before(workspace, store,
                                                                                              make_form, server):
    """Without a pinned day the watcher's day moves at midnight: a file written three seconds before it arrived on
    the day it was written, counted back from now (not from the new day's own date)."""
    import time_machine

    written = server(0)
    with time_machine.travel(dt.datetime(2026, 11, 28, 23, 59, 58).astimezone(), tick=False) as traveller:
        ingest = Ingest(workspace, store)
        written(make_form(workspace.inbox / "计财处.docx"), ago=3 / DAY)
        traveller.shift(dt.timedelta(seconds=3))
        [outcome] = ingest.run_inbox()
    assert (outcome.status, outcome.received) == ("accepted", dt.date(2026, 11, 28))


@pytest.mark.skipif(os.name != "posix", reason="SIGINT raised in this process")
def test_ctrl_c_while_the_clock_is_read_leaves_no_probe_in_the_inbox(tmp_path, monkeypatch):
    """The clock is read by making a file in the (shared) inbox; Ctrl-C waits until it is gone again."""
    import signal
    import tempfile

    real = tempfile.mkstemp

    def mkstemp(*args, **kw):
        made = real(*args, **kw)
        signal.raise_signal(signal.SIGINT)  # the moment the probe exists
        return made

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    with pytest.raises(KeyboardInterrupt):
        fsutil.file_system_now(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_probe_left_by_a_killed_process_is_removed_at_the_next_reading(tmp_path):
    left, fresh = tmp_path / ".lzdocs-clock-abcd1234.tmp", tmp_path / ".lzdocs-clock-efgh5678.tmp"
    left.touch()
    fresh.touch()
    hour_ago = left.stat().st_mtime - 3600
    os.utime(left, (hour_ago, hour_ago))
    assert fsutil.file_system_now(tmp_path) is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == [fresh.name]  # another process's, being read this moment

"""The ingest worker: one file at a time, registers once per burst, failed takes recovered, a clean stop."""

import time
from pathlib import Path

from lzdocs.ingest import Outcome
from lzdocs.watch.scanner import stat_sig
from lzdocs.watch.worker import CHANGED, FAILED, GONE, TAKEN, IngestWorker, Job


class FakeIngest:
    """Stands in for ``Ingest``: 'takes' a file by deleting it; counts instances and recoveries."""

    made = 0
    recovered: list = []
    slow = 0.0
    fail_names: set = set()

    def __init__(self, ws, store, **_dates):
        type(self).made += 1
        self.touched_years = set()

    def changed_registers(self):
        return dict.fromkeys(self.touched_years)

    def bind_inbox(self, dry_run=False):
        pass

    def recover(self, origin=None):
        type(self).recovered.append(origin)
        return 0

    def take_inbox_file(self, path: Path, seen=None):
        if path.name in self.fail_names:
            raise OSError(5, "Input/output error")
        time.sleep(self.slow)
        path.unlink()
        self.touched_years.add(2026)
        return Outcome(f"inbox/{path.name}", "accepted", "计划财务处", 2026, rows=3, stored_as="outbox/x")


class FakeStore:
    def close(self):
        pass


def _worker(tmp_path, bursts, **kw):
    FakeIngest.made, FakeIngest.recovered, FakeIngest.slow, FakeIngest.fail_names = 0, [], 0.0, set()
    w = IngestWorker(None, FakeStore, ingest_class=FakeIngest,
                     on_burst_end=lambda store, changes: bursts.append(set(changes)) or ["x"], **kw)
    results = []
    w.report = results.append
    w.start()
    assert w.ready.wait(5) and w.start_error is None
    return w, results


def _job(path: Path) -> Job:
    return Job(str(path), stat_sig(str(path)))


def _files(tmp_path, n):
    out = []
    for i in range(n):
        p = tmp_path / f"f{i}.docx"
        p.write_bytes(b"x" * (i + 1))
        out.append(p)
    return out


def test_registers_are_rebuilt_once_after_a_burst_has_been_quiet(tmp_path):
    bursts = []
    w, results = _worker(tmp_path, bursts, quiet=0.3)
    for p in _files(tmp_path, 20):
        w.submit(_job(p))
    deadline = time.monotonic() + 5
    while not bursts and time.monotonic() < deadline:
        time.sleep(0.05)
    assert bursts == [{2026}]
    assert [r.kind for r in results] == [TAKEN] * 20
    assert FakeIngest.made == 2  # one for the start-up recovery, one for the burst
    w.stop()
    w.join(5)
    assert bursts == [{2026}]


def test_a_file_changed_or_gone_since_it_was_judged_stable_is_not_taken(tmp_path):
    bursts = []
    w, results = _worker(tmp_path, bursts)
    changed, gone = _files(tmp_path, 2)
    jobs = [_job(changed), _job(gone)]
    changed.write_bytes(b"longer now")
    gone.unlink()
    for job in jobs:
        w.submit(job)
    w.stop()
    time.sleep(0)  # the stop may win the race with the jobs: then nothing is taken, which is also fine
    w.join(5)
    assert all(r.kind in (CHANGED, GONE) for r in results)
    assert changed.exists()


def test_a_take_that_fails_is_reported_and_its_claim_recovered_later(tmp_path):
    bursts = []
    w, results = _worker(tmp_path, bursts, claim_retry=0.1)
    [p] = _files(tmp_path, 1)
    FakeIngest.fail_names = {p.name}
    w.submit(_job(p))
    deadline = time.monotonic() + 10
    while len(FakeIngest.recovered) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    w.stop()
    w.join(5)
    assert [r.kind for r in results] == [FAILED]
    assert FakeIngest.recovered == [None, p]  # start-up recovery of everything, then only that file's claim


def test_stop_finishes_the_file_in_hand_and_leaves_the_queue(tmp_path):
    bursts = []
    w, results = _worker(tmp_path, bursts, quiet=30)
    FakeIngest.slow = 0.5
    files = _files(tmp_path, 5)
    for p in files:
        w.submit(_job(p))
    time.sleep(0.2)
    t0 = time.monotonic()
    w.stop()
    w.join(5)
    assert time.monotonic() - t0 < 1.0
    assert [r.kind for r in results] == [TAKEN]
    assert sum(p.exists() for p in files) == 4
    assert bursts == [{2026}]  # the registers still reflect what was taken


def test_start_up_errors_reach_the_main_thread(tmp_path):
    def broken():
        raise RuntimeError("数据库打不开")

    w = IngestWorker(None, broken, ingest_class=FakeIngest)
    w.start()
    assert w.ready.wait(5)
    assert isinstance(w.start_error, RuntimeError)


def test_a_watcher_whose_worker_dies_stops_with_exit_code_1(tmp_path):
    import pytest

    from lzdocs.watch.service import POLLING, Watcher, WatcherFailed, WatchOptions

    class Dying(IngestWorker):
        def _loop(self):
            raise RuntimeError("a bug")

    worker = Dying(None, FakeStore, ingest_class=FakeIngest)
    watcher = Watcher(tmp_path, WatchOptions(POLLING, interval=0.1, stable=0.1), worker)
    with pytest.raises(WatcherFailed) as info:
        watcher.run()
    assert info.value.exit_code == 1 and "收取线程意外退出" in str(info.value)


def test_claims_an_outage_left_behind_are_recovered_when_the_share_returns(tmp_path):
    bursts = []
    w, _ = _worker(tmp_path, bursts)
    assert FakeIngest.recovered == [None]  # at start
    w.request_recovery()  # the watcher says the inbox answers again
    deadline = time.monotonic() + 5
    while len(FakeIngest.recovered) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    w.stop()
    w.join(5)
    assert FakeIngest.recovered == [None, None]


def test_a_burst_that_only_returned_a_form_rewrites_the_status_register(workspace, make_form):
    """The real Ingest: a form returned to a roster unit changes the year's 报送情况登记表 (退回次数, 最近退回原因), so
    its burst asks for that register alone; a file of no known unit asks for none."""
    import datetime as dt

    from lzdocs.clock import Clock
    from lzdocs.store import Store
    from tests.conftest import SAMPLE_ROWS
    from tests.ingest.invariant import assert_each_input_exactly_once

    def until(done):
        deadline = time.monotonic() + 10
        while not done() and time.monotonic() < deadline:
            time.sleep(0.05)

    from lzdocs import Office

    with Office(workspace.root, today=dt.date(2026, 11, 20)) as office:
        office.registers(2026)  # the year's registers, which a returned form then changes
    returned = make_form(workspace.inbox / "计财处.docx", rows=[dict(SAMPLE_ROWS[0], level="五级")])
    unknown = workspace.inbox / "不是表格.docx"
    unknown.write_bytes(b"not a document")
    inputs = [returned.read_bytes(), unknown.read_bytes()]
    bursts, results = [], []
    w = IngestWorker(workspace, lambda: Store.for_workspace(workspace), quiet=0.2,
                     dates=Clock.fixed(dt.date(2026, 11, 20)),
                     on_burst_end=lambda store, changes: bursts.append(changes) or [])
    w.report = results.append
    w.start()
    assert w.ready.wait(10) and w.start_error is None
    w.submit(_job(unknown))
    until(lambda: results)
    time.sleep(0.5)  # past the quiet time: that burst is over
    w.submit(_job(returned))
    until(lambda: bursts)
    w.stop()
    w.join(10)
    assert [r.kind for r in results] == [TAKEN, TAKEN]
    assert bursts == [{2026: ("status",)}]
    assert_each_input_exactly_once(workspace, inputs)


class Calendar:
    """The watcher's calendar, moved by the test."""

    def __init__(self, day):
        self.day = day

    def today(self):
        return self.day

    def now(self):
        import datetime as dt

        return dt.datetime.combine(self.day, dt.time(9))

    present = now  # what a file's age counts back from (lzdocs.clock.Clock.present)


def test_a_new_day_brings_the_registers_to_it_once_and_a_clock_set_back_does_not(tmp_path):
    """Nothing else rewrites the registers on a quiet day: the 预警处置台账 would go on saying 未到期."""
    import datetime as dt

    days, calendar = [], Calendar(dt.date(2026, 11, 30))
    FakeIngest.made, FakeIngest.recovered = 0, []
    w = IngestWorker(None, FakeStore, ingest_class=FakeIngest, dates=calendar, quiet=0.1,
                     on_new_day=lambda store, day: days.append(day) or ["x"])
    w.start()
    assert w.ready.wait(5) and w.start_error is None

    def wake_and_wait(expected):
        w.submit(_job(tmp_path / "absent.docx"))  # a job wakes the loop at once (the file is gone: nothing taken)
        deadline = time.monotonic() + 5
        while days != expected and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)

    wake_and_wait([])
    assert days == []  # the day it started on: nothing
    calendar.day = dt.date(2026, 12, 1)
    wake_and_wait([dt.date(2026, 12, 1)])
    wake_and_wait([dt.date(2026, 12, 1)])
    assert days == [dt.date(2026, 12, 1)]  # once a day
    calendar.day = dt.date(2026, 11, 29)  # set back: not a new day
    wake_and_wait([dt.date(2026, 12, 1)])
    calendar.day = dt.date(2026, 12, 2)
    wake_and_wait([dt.date(2026, 12, 1), dt.date(2026, 12, 2)])
    w.stop()
    w.join(5)
    assert days == [dt.date(2026, 12, 1), dt.date(2026, 12, 2)]

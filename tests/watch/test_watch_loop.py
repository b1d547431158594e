"""The main loop turn by turn, on a hand-driven clock: what it hands to the worker, and when."""

import io
import logging
import os
import zipfile
from pathlib import Path

import pytest

from lzdocs.watch.service import NATIVE, POLLING, Watcher, WatchOptions
from lzdocs.watch.worker import FAILED, TAKEN, Result


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


class FakeWorker:
    """Records what the loop hands over; the test plays the worker's part by reporting results."""

    def __init__(self):
        self.jobs = []
        self.report = None

    def submit(self, job):
        self.jobs.append(job)

    def request_recovery(self):
        self.recoveries = getattr(self, "recoveries", 0) + 1

    def is_alive(self):
        return True

    def finish_current(self):
        pass

    @property
    def names(self):
        return [Path(j.path).name for j in self.jobs]


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>" * 50)
    return buf.getvalue()


@pytest.fixture
def rig(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    clock, worker = Clock(), FakeWorker()

    def make(mode=POLLING, **kw):
        opts = WatchOptions(mode, interval=1, stable=2, **kw)
        return Watcher(inbox, opts, worker, clock=clock)

    return inbox, clock, worker, make


def _turns(watcher, clock, seconds, step=0.5):
    end = clock.t + seconds
    while clock.t < end:
        watcher.step()
        clock.t += step


def test_a_file_found_at_startup_is_handed_over_only_after_the_window(rig):
    inbox, clock, worker, make = rig
    (inbox / "a.docx").write_bytes(_docx())
    w = make()
    _turns(w, clock, 1.5)
    assert worker.jobs == []
    _turns(w, clock, 1.0)
    assert worker.names == ["a.docx"]
    _turns(w, clock, 5)
    assert worker.names == ["a.docx"]  # queued once, never again while the worker holds it


def test_a_file_still_growing_is_left_alone(rig):
    inbox, clock, worker, make = rig
    data = _docx()
    path = inbox / "a.docx"
    w = make()
    with open(path, "wb") as fh:
        for i in range(8):
            fh.write(data[i * len(data) // 8:(i + 1) * len(data) // 8])
            fh.flush()
            os.utime(path, ns=(0, 10**9 * i))  # mtime moves as a writer's would (any value: it is only compared)
            _turns(w, clock, 1.0)
    assert worker.jobs == []
    _turns(w, clock, 2.5)
    assert worker.names == ["a.docx"]
    assert worker.jobs[0].sig[0] == len(data)


def test_a_folder_moved_in_with_files_inside_is_processed(rig, tmp_path):
    inbox, clock, worker, make = rig
    outside = tmp_path / "计财处报送"
    (outside / "附件").mkdir(parents=True)
    (outside / "表一.docx").write_bytes(_docx())
    (outside / "附件" / "表二.xlsx").write_bytes(_docx())
    w = make()
    _turns(w, clock, 1)
    outside.rename(inbox / outside.name)
    _turns(w, clock, 4)
    assert sorted(worker.names) == ["表一.docx", "表二.xlsx"]


def test_an_inbox_that_disappears_is_an_outage_and_its_files_are_not_forgotten(rig, tmp_path, caplog):
    inbox, clock, worker, make = rig
    (inbox / "a.docx").write_bytes(_docx())
    w = make()
    w.step()
    assert len(w.tracker) == 1
    inbox.rename(tmp_path / "away")
    with caplog.at_level("WARNING", logger="lzdocs.watch"):
        _turns(w, clock, 40)
    assert w.outage.active
    assert len(w.tracker) == 1 and worker.jobs == []
    assert "收件文件夹无法访问" in caplog.text and "不会当作被删除" in caplog.text
    retries = [r for r in caplog.records if "仍无法访问" in r.getMessage()]
    assert 3 <= len(retries) <= 8  # backing off 1 → 30 s, not a retry every turn
    (tmp_path / "away").rename(inbox)
    (inbox / "b.docx").write_bytes(_docx())
    _turns(w, clock, 35)
    assert not w.outage.active
    assert sorted(worker.names) == ["a.docx", "b.docx"]


def test_a_truncated_zip_is_held_then_handed_over_to_be_rejected(rig):
    inbox, clock, worker, make = rig
    (inbox / "cut.docx").write_bytes(_docx()[:-30])
    w = make(incomplete_timeout=10)
    _turns(w, clock, 6)
    assert worker.jobs == []
    _turns(w, clock, 10)
    assert worker.names == ["cut.docx"]


def test_a_failed_take_is_retried_later_and_a_taken_file_is_forgotten(rig):
    inbox, clock, worker, make = rig
    (inbox / "locked.docx").write_bytes(_docx())
    (inbox / "ok.docx").write_bytes(_docx())
    w = make()
    _turns(w, clock, 3)
    assert sorted(worker.names) == ["locked.docx", "ok.docx"]
    jobs = {Path(j.path).name: j for j in worker.jobs}
    worker.jobs.clear()
    (inbox / "ok.docx").unlink()  # the worker moved it away
    w._report(Result(jobs["ok.docx"].path, TAKEN))
    w._report(Result(jobs["locked.docx"].path, FAILED))
    _turns(w, clock, 20)
    assert worker.jobs == [] and str(inbox / "ok.docx") not in w.tracker
    _turns(w, clock, 15)
    assert worker.names == ["locked.docx"]


def test_native_mode_hands_over_on_events_without_waiting_for_a_listing(rig):
    inbox, clock, worker, make = rig
    w = make(NATIVE)
    w.step()  # starts the observer and lists the (empty) tree
    try:
        (inbox / "a.docx").write_bytes(_docx())
        assert w.wake.wait(5), "no event from the native observer"
        _turns(w, clock, 2.5, step=0.25)
        assert worker.names == ["a.docx"]
        assert w.next_scan > clock.t + 50  # the safety-net listing is a minute away
    finally:
        w.native.stop()


def test_native_mode_restarts_its_observer_when_the_inbox_folder_is_replaced(rig, tmp_path, caplog):
    inbox, clock, worker, make = rig
    w = make(NATIVE)
    w.step()
    first = w.native.observer
    try:
        inbox.rename(tmp_path / "old-inbox")  # e.g. a share remounted: a new folder under the same name
        _turns(w, clock, 3)
        assert w.outage.active
        inbox.mkdir()
        with caplog.at_level("INFO", logger="lzdocs.watch"):
            _turns(w, clock, 3)
        assert w.native.observer is not first and "已重新启动文件事件监视" in caplog.text
        assert "已恢复访问" in caplog.text
        w.wake.clear()
        (inbox / "b.docx").write_bytes(_docx())
        assert w.wake.wait(5), "the new observer sends no events"
        _turns(w, clock, 2.5, step=0.25)
        assert worker.names == ["b.docx"]
    finally:
        w.native.stop()
        first.stop()


def test_polling_notices_a_file_added_to_the_inbox_folder_long_before_the_next_listing(rig):
    inbox, clock, worker, make = rig
    w = Watcher(inbox, WatchOptions(POLLING, interval=60, stable=2), worker, clock=clock)
    _turns(w, clock, 1)
    (inbox / "a.docx").write_bytes(_docx())
    os.utime(inbox, ns=(0, 123))  # the folder's mtime moved (as creating a file does), whatever the clocks say
    _turns(w, clock, 3)
    assert worker.names == ["a.docx"]
    assert w.next_scan > clock.t + 50


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="symlinks and FIFOs as POSIX makes them")
def test_links_and_fifos_in_the_inbox_are_said_once_in_the_log_and_never_handed_over(rig, caplog, tmp_path):
    inbox, clock, worker, make = rig
    secret = tmp_path / "secret.docx"
    secret.write_bytes(_docx())
    (inbox / "计财处.docx").symlink_to(secret)
    os.mkfifo(inbox / "管道.docx")
    watcher = make()
    with caplog.at_level(logging.WARNING, logger="lzdocs.watch"):
        _turns(watcher, clock, 10)
    said = sorted(r.getMessage() for r in caplog.records if r.name == "lzdocs.watch")
    assert said == sorted(["计财处.docx：已忽略：符号链接，不会读取", "管道.docx：已忽略：管道文件（FIFO），不会读取"])
    assert worker.jobs == []

"""Readers started as an ingest begins (``EarlyReaders``, lzdocs/forms/ahead.py): ``Office.ingest`` starts them while
it loads its modules and finds its files; the run takes them, or they are ended — whatever becomes of the run, none
is left behind, and a form is never lost or taken twice for them."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys

import pytest

from lzdocs import Office
from lzdocs.forms import ahead
from lzdocs.ingest import Ingest
from tests.conftest import use_readers
from tests.ingest.invariant import assert_each_input_exactly_once
from tests.ingest.test_read_ahead import UNITS
from tests.ingest.test_read_ahead_workers import _forms

TODAY = dt.date(2026, 11, 28)
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


@pytest.fixture
def started(monkeypatch) -> list[ahead._Worker]:
    """Every reader an ``EarlyReaders`` started, in order."""
    workers: list[ahead._Worker] = []
    start = ahead.EarlyReaders.__init__

    def spied(self, count):
        start(self, count)
        workers.extend(self.workers)

    monkeypatch.setattr(ahead.EarlyReaders, "__init__", spied)
    return workers


def _ingest(ws, **kw):
    with Office(ws.root, today=TODAY) as office:
        return office.ingest(**kw)


def test_the_readers_started_as_the_ingest_begins_are_the_ones_that_read(workspace, make_form, started,
                                                                         monkeypatch):
    ws = use_readers(workspace.root, 1)
    given = _forms(ws, make_form, 24)
    reading = []
    init = ahead.ReadAhead.__init__

    def spied(self, *args, **kw):
        init(self, *args, **kw)
        reading.extend(self.workers)

    monkeypatch.setattr(ahead.ReadAhead, "__init__", spied)
    report = _ingest(ws)
    assert [o.status for o in report.outcomes] == ["accepted"] * 24
    assert len(started) == 1 and reading == started  # the run started none of its own
    assert not started[0].process.is_alive()  # kept as the registers' helper, then ended with the ingest
    assert_each_input_exactly_once(ws, given)


def test_readers_started_for_an_inbox_of_too_few_forms_are_ended_before_the_first_is_taken(workspace, make_form,
                                                                                          started, monkeypatch):
    """Eight unit folders in the inbox, two forms in all: too few for readers — the one started for the eight
    entries is ended as soon as the run has found its files, not kept waiting until the run is over."""
    ws = use_readers(workspace.root, 1)
    given = _forms(ws, make_form, 2)
    for unit in UNITS:
        (ws.inbox / unit).mkdir()
        (ws.inbox / unit / "~$锁定.docx").write_bytes(b"\0" * 162)  # a lock file: no form
        given.append(b"\0" * 162)  # left where it is
    alive_when_taken = []
    take = Ingest.take_inbox_file

    def spied(self, path, *args, **kw):
        alive_when_taken.append(started[0].process.is_alive())
        return take(self, path, *args, **kw)

    monkeypatch.setattr(Ingest, "take_inbox_file", spied)
    report = _ingest(ws)
    assert sorted(o.status for o in report.outcomes if o.status != "ignored") == ["accepted"] * 2
    assert len(started) == 1 and alive_when_taken == [False, False]
    assert_each_input_exactly_once(ws, given)


@pytest.mark.parametrize("litter", [["退回"], ["Thumbs.db", "desktop.ini", "~$表.docx", ".DS_Store", "临时.tmp"]])
def test_what_the_run_ignores_is_not_counted_for_readers(workspace, make_form, started, litter):
    """Seven forms beside 退回/ (every inbox has one) or beside lock files and litter: fewer than eight files the
    run takes, so no reader is started for them."""
    ws = use_readers(workspace.root, 1)
    given = _forms(ws, make_form, 7)
    for name in litter:
        if name == "退回":
            (ws.inbox / name).mkdir(exist_ok=True)
        else:
            (ws.inbox / name).write_bytes(b"litter")
            given.append(b"litter")
    report = _ingest(ws)
    assert sorted(o.status for o in report.outcomes if o.status != "ignored") == ["accepted"] * 7
    assert started == []
    assert_each_input_exactly_once(ws, given)


@pytest.mark.parametrize("early", [1, 3])
def test_every_worker_is_told_what_to_read_with(workspace, make_form, tmp_path, early):
    """Three workers, of them ``early`` started before the run, the others by it: each one reads."""
    from lzdocs.forms.schema import load_kinds
    from lzdocs.ooxml.safety import Limits

    path = make_form(tmp_path / "in" / "a.docx")
    folder = tmp_path / "private"
    folder.mkdir()
    ready = ahead.EarlyReaders(early) if early else None
    reading = ahead.ReadAhead(3, load_kinds(workspace.root / "forms"), Limits(), 60, folder, started=ready)
    try:
        assert len(reading.workers) == 3
        answers = [w.ask((str(path), False, ".docx"), 100) for w in reading.workers]
        results = [a.result() for a in answers]
        assert all(r is not None and r[1][0] == "form" for r in results)
        for r in results:
            ahead.Ahead({}, r).discard()
    finally:
        reading.close()
        if ready is not None:
            ready.close()


@pytest.mark.parametrize("readers, forms", [(None, 5), (0, 24)])
def test_no_reader_is_started_for_a_few_forms_or_when_lzdocs_toml_says_none(workspace, make_form, started,
                                                                            readers, forms):
    ws = workspace if readers is None else use_readers(workspace.root, readers)
    given = _forms(ws, make_form, forms)
    report = _ingest(ws)
    assert [o.status for o in report.outcomes] == ["accepted"] * forms
    assert started == []
    assert_each_input_exactly_once(ws, given)


def test_none_is_started_for_a_dry_run_or_for_files_named(workspace, make_form, started, tmp_path):
    ws = use_readers(workspace.root, 1)
    given = _forms(ws, make_form, 12)
    assert {o.status for o in _ingest(ws, dry_run=True).outcomes} == {"accepted"}
    assert_each_input_exactly_once(ws, given)  # all still in the inbox
    elsewhere = tmp_path / "收到的表格"
    elsewhere.mkdir()
    moved = sorted(ws.inbox.glob("0[0-9].*"))
    for path in moved:
        path.rename(elsewhere / path.name)
    assert {o.status for o in _ingest(ws, paths=[elsewhere]).outcomes} == {"accepted"}
    assert started == []
    assert_each_input_exactly_once(ws, given)  # ten copied into the archive, two still in the inbox
    assert len(moved) == 10 and sorted(p.read_bytes() for p in elsewhere.iterdir()) == sorted(
        given[i] for i in range(10))  # the named files stay where they are, as they were


@pytest.mark.slow  # a real process killed or signalled (the quick loop leaves those out)
def test_an_early_reader_killed_before_the_run_takes_it_costs_only_time(workspace, make_form, started,
                                                                       monkeypatch):
    ws = use_readers(workspace.root, 1)
    given = _forms(ws, make_form, 24)
    run = Ingest.run_inbox

    def kill_it_first(self, **kw):
        os.kill(started[0].process.pid, signal.SIGKILL)
        started[0].process.join(10)
        return run(self, **kw)

    monkeypatch.setattr(Ingest, "run_inbox", kill_it_first)
    report = _ingest(ws)
    assert [o.status for o in report.outcomes] == ["accepted"] * 24
    assert started[0].process.exitcode == -signal.SIGKILL
    assert_each_input_exactly_once(ws, given)


@pytest.mark.parametrize("failure", [RuntimeError("出错了"), KeyboardInterrupt()])
def test_a_run_that_fails_before_it_takes_them_ends_the_early_readers(workspace, make_form, started, monkeypatch,
                                                                      failure):
    ws = use_readers(workspace.root, 1)
    given = _forms(ws, make_form, 12)

    def fails(self, **kw):
        raise failure

    monkeypatch.setattr(Ingest, "recover", fails)
    with pytest.raises(type(failure)):
        _ingest(ws)
    assert len(started) == 1 and not started[0].process.is_alive()
    assert_each_input_exactly_once(ws, given)  # all still waiting in the inbox

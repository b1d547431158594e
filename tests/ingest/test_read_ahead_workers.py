"""The reader processes behind the read-ahead (lzdocs/forms/ahead.py): each served over a pipe by the ingest itself.
A worker that dies, one held up, and a Ctrl-C: nothing lost, nothing read twice into the archive, no copy of a form
left behind, and the ingest never waits on a worker that is gone."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from lzdocs.forms import ahead
from lzdocs.ingest import Ingest
from lzdocs.workspace import SAMPLE, Workspace
from tests.conftest import SAMPLE_ROWS, cli_env, use_readers
from tests.ingest.invariant import assert_each_input_exactly_once, kept, sha
from tests.ingest.test_read_ahead import UNITS

TODAY = dt.date(2026, 11, 28)
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL/SIGSTOP")


def _forms(ws: Workspace, make_form, n: int = 24) -> list[bytes]:
    return [make_form(ws.inbox / f"{i:02d}{'.docx' if i % 2 else '.xlsx'}", unit=UNITS[i % 8],
                      date=dt.date(2026, 11, 1 + i // 8)).read_bytes() for i in range(n)]


def _summary(outcomes) -> list[tuple]:
    return sorted((o.file, o.status, o.unit, o.year, o.rows, o.stored_as) for o in outcomes)


def _alone(tmp_path, make_form, n: int = 24) -> list[tuple]:
    """The outcomes of the same forms read by the ingest alone."""
    ws = use_readers(Workspace.init(tmp_path / "alone", SAMPLE)[0].root, 0)
    _forms(ws, make_form, n)
    from lzdocs.store import Store

    store = Store.for_workspace(ws)
    try:
        return _summary(Ingest(ws, store, today=TODAY).run_inbox())
    finally:
        store.close()


def _one_worker(workspace: Workspace, store, make_form) -> tuple[Workspace, list[bytes], Ingest]:
    """The workspace set to one reader process, its inbox of forms (their bytes) and an ingest of it."""
    ws = use_readers(workspace.root, 1)
    given = _forms(ws, make_form)
    return ws, given, Ingest(ws, store, today=TODAY)


def _worker_up(job: Ingest):
    """(the worker process, the run's private folder), once the worker has answered a first time."""
    next(iter(job._ahead.pending.values())).result()
    [worker] = job._ahead.workers
    return worker.process, job._private_folder()


@pytest.mark.slow  # a real process killed or signalled (the quick loop leaves those out)
def test_a_worker_that_dies_mid_run_costs_only_time(tmp_path, workspace, store, make_form):
    """SIGKILL of the reader process after its first answer: the ingest reads the rest itself — the same outcomes
    as a run without workers, each form once in the archive, and the dead worker's copies gone with the run."""
    ws, given, job = _one_worker(workspace, store, make_form)
    seen = {}

    def kill_the_worker(i, n, name):
        if i == 1:
            process, seen["private"] = _worker_up(job)
            seen["process"] = process
            os.kill(process.pid, signal.SIGKILL)
            process.join(10)

    job.progress = kill_the_worker
    outcomes = job.run_inbox()
    assert seen["process"].exitcode == -signal.SIGKILL
    assert _summary(outcomes) == _alone(tmp_path, make_form)
    assert all(o.status == "accepted" for o in outcomes)
    assert_each_input_exactly_once(ws, given)
    assert not seen["private"].exists()


@pytest.mark.slow  # a real process killed or signalled (the quick loop leaves those out)
def test_while_a_worker_is_held_up_the_ingest_reads_the_next_forms_itself(tmp_path, workspace, store, make_form,
                                                                          monkeypatch):
    """The worker stopped (SIGSTOP) for a while, as one converting an old .doc is: the ingest does not sit idle — it
    reads the next forms no worker has been given, as a worker would, never more than ``READ_HERE_AHEAD`` of them
    at a time — and takes them all as a run without workers does once the worker goes on."""
    monkeypatch.setattr(ahead, "READ_HERE_AHEAD", 4)
    ws, given, job = _one_worker(workspace, store, make_form)
    held, most, private = [], [0], []
    read_next = ahead.ReadAhead._read_next

    def counted(self):
        done = read_next(self)
        most[0] = max(most[0], len(self.read_here))
        return done

    monkeypatch.setattr(ahead.ReadAhead, "_read_next", counted)

    def hold_the_worker(i, n, name):
        if i == 2:
            process, folder = _worker_up(job)
            private.append(folder)
            os.kill(process.pid, signal.SIGSTOP)
            timer = threading.Timer(1.5, os.kill, (process.pid, signal.SIGCONT))
            timer.start()
            held.append(timer)

    job.progress = hold_the_worker
    try:
        outcomes = job.run_inbox()
    finally:
        for timer in held:
            timer.join()
    assert most[0] == 4  # read here while the worker was stopped, and no further ahead than allowed
    assert _summary(outcomes) == _alone(tmp_path, make_form)
    assert_each_input_exactly_once(ws, given)
    assert not private[0].exists()


def test_ctrl_c_ends_the_workers_at_once_and_loses_nothing(workspace, store, make_form):
    """Ctrl-C while forms are read ahead: the workers are ended at once (a long conversion is not waited for), their
    copies go with the run's private folder, and every form is in the archive or still in the inbox."""
    ws, given, job = _one_worker(workspace, store, make_form)
    seen = {}

    def interrupt(i, n, name):
        if i == 1:
            seen["process"], seen["private"] = _worker_up(job)
        if i == 6:
            raise KeyboardInterrupt

    job.progress = interrupt
    outcomes = job.run_inbox()  # stopped: the five forms taken before it are said, the others left in the inbox
    assert len(outcomes) == 5 and job.interrupted == len(given) - 5
    seen["process"].join(10)
    assert not seen["process"].is_alive()
    assert_each_input_exactly_once(ws, given)
    assert not seen["private"].exists()


def _run_with_the_worker_stopped(ws: Workspace, store, folder: Path, monkeypatch) -> tuple[list, str | None]:
    """(the outcomes of an ingest of ``folder`` whose worker is stopped (SIGSTOP) as it starts and let go on only
    once the ingest has come to the last file; None, or how long the ingest waited for it)."""
    workers = []
    start = ahead._Worker.__init__

    def slow_to_start(self, *args):
        start(self, *args)
        os.kill(self.process.pid, signal.SIGSTOP)
        workers.append(self.process)

    monkeypatch.setattr(ahead._Worker, "__init__", slow_to_start)
    job = Ingest(ws, store, today=TODAY)
    job.progress = lambda i, n, name: i == n and os.kill(workers[0].pid, signal.SIGCONT)
    outcomes = []
    run = threading.Thread(target=lambda: outcomes.extend(job.run_paths([folder])), daemon=True)
    run.start()
    run.join(30)
    stuck = None
    if run.is_alive():  # the worker let go: the ingest still waits (on a large answer, forever), until it is killed
        os.kill(workers[0].pid, signal.SIGCONT)
        run.join(10)
        stuck = "for ever" if run.is_alive() else "until the worker started"
        os.kill(workers[0].pid, signal.SIGKILL)
        run.join(30)
    return outcomes, stuck


@pytest.mark.slow  # a real process killed or signalled (the quick loop leaves those out)
def test_a_worker_slow_to_start_is_never_waited_for(tmp_path, workspace, store, make_form, monkeypatch):
    """The files the ingest takes on its own while its worker starts (held here by SIGSTOP, as a slow machine holds
    it) are not queued in the worker's pipe, a request each: a folder taken again, whose forms the ingest settles in
    a moment as copies it has, filled the pipe — the ingest then waited, writing to a worker that had not started,
    and once it had, that worker waited too, writing what it read of a large form to an ingest that was not reading:
    neither ever went on. Here the worker goes on only once the ingest has come to the last file."""
    ws = use_readers(workspace.root, 1)
    folder = tmp_path / "报送"
    rows = [dict(SAMPLE_ROWS[i % 3], seq=str(i + 1), measures="钱账分管，每日盘点，" * 10) for i in range(600)]
    given = [make_form(folder / "000.xlsx").read_bytes(),
             make_form(folder / "001.xlsx", unit="图书馆", rows=rows).read_bytes()]  # its answer: ~0.5 MB
    for i in range(2, 400):
        (folder / f"{i:03d}.xlsx").write_bytes(given[0])
        given.append(given[0])
    for i in range(400):
        os.utime(folder / f"{i:03d}.xlsx", (1e9 + i, 1e9 + i))  # taken in this order
    outcomes, stuck = _run_with_the_worker_stopped(ws, store, folder, monkeypatch)
    assert not stuck, f"the ingest waited for its worker {stuck}"
    assert sorted(o.status for o in outcomes) == ["accepted"] * 2 + ["duplicate"] * 398
    assert kept(ws) == {sha(given[0]): 1, sha(given[1]): 1}  # the folder's files stay where they are, as they were
    assert sorted(p.read_bytes() for p in folder.iterdir()) == sorted(given)


OLD_DOC = Path(__file__).parents[1] / "fixtures" / "forms" / "lo_two_row_header.doc"


def _slow_libreoffice(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A LibreOffice that converts for a long time in a worker (at once it fails in the ingest itself), each one
    started writing its pid in the first folder returned; the system's temporary folder (the conversion's) is the
    second. Both set in the environment, which the workers inherit."""
    folders = [tmp_path / name for name in ("soffice", "pids", "tmp")]
    for folder in folders:
        folder.mkdir()
    fake = folders[0] / "soffice"
    fake.write_text(f'#!/bin/sh\n[ "$PPID" = "{os.getpid()}" ] && exit 1\necho > {folders[1]}/$$\nexec sleep 60\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folders[0]}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("TMPDIR", str(folders[2]))
    return folders[1], folders[2]


def _running(pids: Path) -> list[int]:
    """The LibreOffices started still running (each killed, so that none outlives the test)."""
    running = []
    for pid in (int(p.name) for p in pids.iterdir()):
        try:
            os.kill(pid, signal.SIGKILL)
            running.append(pid)
        except ProcessLookupError:
            pass
    return running


def _an_old_doc_first(tmp_path, make_form) -> tuple[Path, list[bytes]]:
    """A folder outside the inbox: an old .doc, taken first (the ingest reads it itself while its worker starts, and
    the worker is asked for it all the same), then twelve forms; the folder and the forms' bytes."""
    folder = tmp_path / "报送"
    given = [make_form(folder / f"{i:02d}.docx", unit=UNITS[i % 8], date=dt.date(2026, 11, 1 + i)).read_bytes()
             for i in range(12)]
    (folder / "00a.doc").write_bytes(OLD_DOC.read_bytes())
    for i, name in enumerate(["00a.doc"] + [f"{i:02d}.docx" for i in range(12)]):
        os.utime(folder / name, (1e9 + i, 1e9 + i))
    return folder, given


def _until_converting(pids: Path) -> None:
    """Until a LibreOffice has started (``_slow_libreoffice``), 30 s at most."""
    deadline = time.monotonic() + 30
    while not list(pids.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)


def _in_order(ws: Workspace, names: list[str]) -> None:
    for i, name in enumerate(names):
        os.utime(ws.inbox / name, (1e9 + i, 1e9 + i))


@pytest.mark.slow  # a real process killed or signalled (the quick loop leaves those out)
def test_ctrl_c_while_a_worker_converts_an_old_doc_ends_its_libreoffice(tmp_path, workspace, store, make_form,
                                                                        monkeypatch):
    """Ctrl-C while a worker converts an old .doc: LibreOffice (in a session of its own, which Ctrl-C does not reach)
    ends with the worker, as it does with the ingest's own conversion — not left running, with no time-out any more,
    beside the conversion's folders and the copy of the form in them."""
    pids, system_tmp = _slow_libreoffice(tmp_path, monkeypatch)
    ws = use_readers(workspace.root, 1)
    given = _forms(ws, make_form, 12) + [OLD_DOC.read_bytes()]
    (ws.inbox / "01a.doc").write_bytes(given[-1])
    _in_order(ws, sorted(p.name for p in ws.inbox.iterdir() if p.is_file()))  # 00, 01, 01a.doc, 02 …
    job = Ingest(ws, store, today=TODAY)
    private = []

    def interrupt(i, n, name):
        if i == 1:
            next(iter(job._ahead.pending.values())).result()
            private.append(job._private_folder())
        if i == 2:
            _until_converting(pids)  # the worker converts 01a.doc
            raise KeyboardInterrupt

    job.progress = interrupt
    assert [o.status for o in job.run_inbox()] == ["accepted"] and job.interrupted == len(given) - 1
    assert list(pids.iterdir())
    assert _running(pids) == []
    assert list(system_tmp.iterdir()) == []
    assert_each_input_exactly_once(ws, given)
    assert not private[0].exists()


@pytest.mark.slow  # a real process killed or signalled (the quick loop leaves those out)
def test_ctrl_c_while_the_run_waits_for_its_worker_at_the_end_ends_it(tmp_path, workspace, store, make_form,
                                                                      monkeypatch):
    """The files all taken, the ingest waits for its worker to answer what it was asked — here an old .doc of a
    folder outside the inbox, which the ingest read itself while the worker started, and the worker converts all the
    same (on Windows, where a worker is not ended while it reads: ``ENDS_CLEANLY``). A Ctrl-C then ends the worker at
    once, as any Ctrl-C does: not left reading on, its LibreOffice with it, after the ingest has gone."""
    monkeypatch.setattr(ahead, "ENDS_CLEANLY", False)
    pids, system_tmp = _slow_libreoffice(tmp_path, monkeypatch)
    ws = use_readers(workspace.root, 1)
    folder, given = _an_old_doc_first(tmp_path, make_form)
    job = Ingest(ws, store, today=TODAY)
    seen, closing = {}, []
    receive, close = ahead._Worker.receive, ahead.ReadAhead.close

    def interrupted(self, wait):
        if wait and closing and self.asked:  # Ctrl-C while the ingest waits for an answer
            raise KeyboardInterrupt
        return receive(self, wait)

    def closed(self, **kw):
        [worker] = self.workers
        seen["process"], seen["private"] = worker.process, job._private_folder()
        _until_converting(pids)  # the worker converts 00a.doc
        closing.append(True)
        return close(self, **kw)

    monkeypatch.setattr(ahead._Worker, "receive", interrupted)
    monkeypatch.setattr(ahead.ReadAhead, "close", closed)
    with pytest.raises(KeyboardInterrupt):
        job.run_paths([folder])
    alive = seen["process"].is_alive()
    seen["process"].kill()
    assert not alive
    assert list(pids.iterdir()) and _running(pids) == []
    assert list(system_tmp.iterdir()) == []
    assert kept(ws) == {sha(data): 1 for data in given}  # the .doc returned to no one: it stays where it is
    assert len(list(folder.iterdir())) == 13
    assert not seen["private"].exists()


def test_at_the_end_a_worker_reading_what_nobody_takes_is_not_waited_for(tmp_path, workspace, store, make_form,
                                                                         monkeypatch):
    """The files all taken, the worker still converts an old .doc the ingest read itself while the worker started:
    nobody will take that answer, so the run does not wait for it (up to the conversion's time-out) — the worker is
    ended at once, its LibreOffice with it, and the run's outcomes are those of a run without workers."""
    pids, system_tmp = _slow_libreoffice(tmp_path, monkeypatch)
    ws = use_readers(workspace.root, 1)
    folder, given = _an_old_doc_first(tmp_path, make_form)
    job = Ingest(ws, store, today=TODAY)
    seen = {}
    close = ahead.ReadAhead.close

    def closed(self, **kw):
        [worker] = self.workers
        seen["process"] = worker.process
        _until_converting(pids)  # the worker converts 00a.doc
        started = time.monotonic()
        close(self, **kw)
        seen["closing"] = time.monotonic() - started

    monkeypatch.setattr(ahead.ReadAhead, "close", closed)
    outcomes = job.run_paths([folder])
    assert list(pids.iterdir()), "the worker never converted the .doc: the test tested nothing"
    assert seen["closing"] < 15  # the fake LibreOffice would convert for 60 s
    assert not seen["process"].is_alive()
    assert _running(pids) == []
    assert list(system_tmp.iterdir()) == []
    assert sorted(o.status for o in outcomes) == ["accepted"] * 12 + ["rejected"]  # the .doc: its conversion failed
    assert kept(ws) == {sha(data): 1 for data in given}


@pytest.mark.parametrize("started", [0, 1])
def test_a_worker_that_cannot_be_started_leaves_the_reading_to_the_others(tmp_path, workspace, store, make_form,
                                                                          monkeypatch, caplog, started):
    """No process to be had (a limit on processes, no memory) for the second of two workers, or for the first: the
    ingest says so and reads with the worker it has, or alone — with the outcomes of a run without workers."""
    import multiprocessing.process

    ws = use_readers(workspace.root, 2)
    given = _forms(ws, make_form)
    start, processes = multiprocessing.process.BaseProcess.start, []

    def refused(self):
        if len(processes) == started:
            raise OSError(11, "Resource temporarily unavailable")
        start(self)
        processes.append(self)

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refused)
    with caplog.at_level("WARNING"):
        outcomes = Ingest(ws, store, today=TODAY).run_inbox()
    assert "未能启动读取进程" in caplog.text
    assert len(processes) == started and not any(p.is_alive() for p in processes)
    assert _summary(outcomes) == _alone(tmp_path, make_form)
    assert_each_input_exactly_once(ws, given)


_KILLED_INGEST = """
import sys, time
from pathlib import Path
from lzdocs.forms import ahead
from lzdocs.forms.schema import load_kinds
from lzdocs.ooxml.safety import Limits

if __name__ == "__main__":
    forms, folder, *files = (Path(a) for a in sys.argv[1:])
    reading = ahead.ReadAhead(1, load_kinds(forms), Limits(), 60, folder)
    reading.want([(path, False, path.suffix) for path in files])
    print(reading.workers[0].process.pid, flush=True)
    if files[0].suffix != ".doc":  # forms: read, and the worker idle again
        for path in files:
            reading.pending[path].result()
        print("read", flush=True)
    time.sleep(120)
"""


def _killed_ingest(tmp_path, workspace, files: list[Path]):
    """An ingest (a script) reading ``files`` ahead with one worker: the process, whose stderr the worker shares, and
    the worker's pid."""
    import subprocess

    folder = tmp_path / "private"
    folder.mkdir(exist_ok=True)
    script = tmp_path / "killed_ingest.py"
    script.write_text(_KILLED_INGEST)
    env = cli_env()  # (its PYTHONPATH keeps tests/faketime: time.sleep under a moved clock)
    ingest = subprocess.Popen([sys.executable, str(script), str(workspace.root / "forms"), str(folder),
                               *map(str, files)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    return ingest, int(ingest.stdout.readline())


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_worker_of_a_killed_ingest_ends_its_libreoffice(tmp_path, workspace, monkeypatch):
    """An ingest killed (SIGKILL) while its worker converts an old .doc: the worker ends as a Ctrl-C would end it —
    its LibreOffice (in a session of its own, which nothing else would end) stopped, the conversion's folders removed
    — within seconds, not when the conversion times out."""
    pids, system_tmp = _slow_libreoffice(tmp_path, monkeypatch)
    doc = tmp_path / "old.doc"
    doc.write_bytes(OLD_DOC.read_bytes())
    ingest, worker = _killed_ingest(tmp_path, workspace, [doc])
    try:
        _until_converting(pids)
        assert list(pids.iterdir()), "the worker never started LibreOffice"
        time.sleep(0.3)
    finally:
        ingest.kill()
        ingest.communicate()
    deadline = time.monotonic() + 15  # the fake LibreOffice would convert for 60 s
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)
    assert _running(pids) == []
    assert list(system_tmp.iterdir()) == []


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_idle_worker_of_a_killed_ingest_ends_quietly(tmp_path, workspace, make_form):
    """An ingest killed while its worker waits for the next file: the worker ends at once, and says nothing on the
    terminal it shares with the ingest (a SIGTERM sent into its shutting down printed "Exception ignored …
    SystemExit" there, which a clerk would take for a crash). Three times: the worker's end and its SIGTERM race."""
    files = [make_form(tmp_path / "forms-in" / f"{i}.docx", unit=UNITS[i]) for i in range(3)]
    for _ in range(3):
        ingest, worker = _killed_ingest(tmp_path, workspace, files)
        try:
            assert ingest.stdout.readline().strip() == "read"
        finally:
            ingest.kill()
        _, stderr = ingest.communicate(timeout=30)  # until the worker, which shares that stderr, has ended
        assert stderr == ""
        assert not _alive(worker)


def test_a_sigterm_as_libreoffice_starts_ends_it(tmp_path, monkeypatch):
    """A worker ended (SIGTERM) just as it starts LibreOffice — the process made, ``Popen`` not yet returned: the
    worker's end waits until the conversion knows its process, and stops it, as a Ctrl-C there does; LibreOffice, in
    a session of its own, would otherwise run on with no time-out at all."""
    import subprocess

    from lzdocs.forms import legacy

    pids = tmp_path / "pids"
    pids.mkdir()
    fake = tmp_path / "soffice"
    fake.write_text(f"#!/bin/sh\necho > {pids}/$$\nexec sleep 60\n")
    fake.chmod(0o755)
    execute = subprocess.Popen._execute_child

    def ended_as_it_starts(self, *args, **kwargs):
        execute(self, *args, **kwargs)
        deadline = time.monotonic() + 10
        while not list(pids.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGTERM)  # the ingest ends the worker (``_Worker.close``)

    monkeypatch.setattr(subprocess.Popen, "_execute_child", ended_as_it_starts)
    previous = signal.signal(signal.SIGTERM, ahead._ended)  # as in a worker (``_start_worker``)
    try:
        with pytest.raises(SystemExit):
            legacy.convert(OLD_DOC, "docx", 60, soffice=str(fake), outdir=tmp_path / "out")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert list(pids.iterdir())
    assert _running(pids) == []


def _flawed_rows(i: int) -> list[dict]:
    """Rows with what the row checks find: a 岗位 left blank under a filled one, a repeated risk, a 风险类别 not among
    its choices — and, every third form, a level not read and a missing 风险点描述 (errors: the form is returned)."""
    rows = [dict(SAMPLE_ROWS[0], seq="1"), dict(SAMPLE_ROWS[1], seq="2", post=""),
            dict(SAMPLE_ROWS[2], seq="3"), dict(SAMPLE_ROWS[0], seq="4", post="出纳"),
            dict(SAMPLE_ROWS[1], seq="5", category="其他方面")]
    if i % 3 == 0:
        rows += [dict(SAMPLE_ROWS[2], seq="6", level="很高"), dict(SAMPLE_ROWS[2], seq="7", risk="")]
    return rows


@pytest.mark.parametrize("same_as_above", [True, False])
def test_rows_checked_by_a_worker_are_checked_as_the_ingest_checks_them(tmp_path, make_form, same_as_above):
    """The worker checks each form's rows as it reads them (``check_rows``): every problem found — its text, row,
    column and order — and every outcome are those of the ingest reading alone, with either ``[forms]
    same_as_above``."""
    results = []
    for readers in (1, 0):
        root = Workspace.init(tmp_path / f"readers{readers}", SAMPLE)[0].root
        config = root / "lzdocs.toml"
        text = config.read_text(encoding="utf-8")
        assert "\nsame_as_above = true " in text
        setting = f"\nsame_as_above = {str(same_as_above).lower()} "
        config.write_text(text.replace("\nsame_as_above = true ", setting, 1), encoding="utf-8")
        ws = use_readers(root, readers)
        given = [make_form(ws.inbox / f"{i:02d}{'.docx' if i % 2 else '.xlsx'}", unit=UNITS[i % 8],
                           rows=_flawed_rows(i), date=dt.date(2026, 11, 1 + i // 8)).read_bytes() for i in range(16)]
        from lzdocs.store import Store

        store = Store.for_workspace(ws)
        try:
            job = Ingest(ws, store, today=TODAY)
            if readers:  # the worker's answers waited for from the start
                job.progress = lambda i, n, name, job=job: i == 1 and _worker_up(job)
            outcomes = job.run_inbox()
        finally:
            store.close()
        assert_each_input_exactly_once(ws, given)
        results.append(sorted((o.file, o.status, o.unit, o.rows, [p.as_dict() for p in o.problems])
                              for o in outcomes))
        if readers:
            assert job.read_ahead > 0  # forms read, and their rows checked, by the worker
    assert results[0] == results[1]
    messages = [p["message"] for _, _, _, _, problems in results[1] for p in problems]
    assert any("岗位" in m for m in messages) and any("风险等级" in m for m in messages)
    statuses = {status for _, status, _, _, _ in results[1]}
    assert statuses == ({"accepted", "rejected"} if same_as_above else {"rejected"})


def test_a_form_kind_saved_as_the_run_starts_changes_nothing_of_the_run(tmp_path, make_form):
    """forms/risk.toml saved after the ingest loaded its kinds — the clerk edits it while ``lzdocs ingest`` walks a
    large inbox, before its worker has started: the worker reads and checks with the ingest's kinds, not with the
    file as it is now, so the run's outcomes are those of the ingest reading alone."""
    packaged = Path(ahead.__file__).parent / "kinds" / "risk.toml"
    results = []
    for readers in (1, 0):
        ws = use_readers(Workspace.init(tmp_path / f"readers{readers}", SAMPLE)[0].root, readers)
        rows = [dict(SAMPLE_ROWS[0], seq="1"), dict(SAMPLE_ROWS[1], seq="2", post=""), dict(SAMPLE_ROWS[2], seq="3")]
        given = [make_form(ws.inbox / f"{i:02d}.xlsx", unit=UNITS[i % 8], rows=rows,
                           date=dt.date(2026, 11, 1 + i // 8)).read_bytes() for i in range(16)]
        from lzdocs.store import Store

        store = Store.for_workspace(ws)
        try:
            job = Ingest(ws, store, today=TODAY)  # its kinds loaded now; then every 岗位 made required
            (ws.root / "forms").mkdir(exist_ok=True)
            (ws.root / "forms" / "risk.toml").write_text(packaged.read_text(encoding="utf-8").replace(
                "same_as_above = true", "same_as_above = false"), encoding="utf-8")
            if readers:
                job.progress = lambda i, n, name, job=job: i == 1 and _worker_up(job)
            outcomes = job.run_inbox()
        finally:
            store.close()
        assert_each_input_exactly_once(ws, given)
        results.append(sorted((o.file, o.status, [p.message for p in o.problems]) for o in outcomes))
        if readers:
            assert job.read_ahead > 0
    assert results[0] == results[1]
    assert {status for _, status, _ in results[1]} == {"accepted"}  # a blank 岗位: the post above, as loaded


def test_once_a_worker_stops_answering_a_sigterm_no_longer_reaches_it():
    """The worker's end, whichever way it comes — the ingest gone (its pipe closed) or ended (SIGTERM, ``_ended``) —
    is final: a SIGTERM after it (the ingest killed: ``_end_with``) is ignored, not raised into the interpreter's
    own shutting down or into the clean-up of a conversion."""
    import multiprocessing

    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        ours, theirs = multiprocessing.Pipe()
        theirs.close()  # the ingest gone
        ahead._serve(ours)
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
        signal.signal(signal.SIGTERM, ahead._ended)
        with pytest.raises(SystemExit):
            ahead._ended(signal.SIGTERM, None)
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def test_the_requests_waiting_in_a_workers_pipe_never_fill_it(workspace, store, make_form, monkeypatch):
    """Files with long paths (a folder and a name of some 80 characters each, 240 bytes in UTF-8): the requests a
    worker has not answered stay within ``PIPE_ROOM`` bytes — a pipe holds 8 KiB on Windows and macOS — so the ingest
    never waits to write one to a worker that waits in turn to write it an answer; the worker is given fewer files at
    a time instead."""
    ws = use_readers(workspace.root, 1)
    folder = ws.inbox / ("各单位报送的岗位风险分析和防控措施表" * 5)[:80]
    given = [make_form(folder / f"{i:02d}{'岗位风险分析和防控措施表' * 6}{'.docx' if i % 2 else '.xlsx'}",
                       unit=UNITS[i % 8]).read_bytes() for i in range(40)]
    job = Ingest(ws, store, today=TODAY)
    most = {"bytes": 0, "asked": 0}
    ask = ahead._Worker.ask

    def measured(self, request, size):
        answer = ask(self, request, size)
        most["bytes"] = max(most["bytes"], self.asked_bytes)
        most["asked"] = max(most["asked"], len(self.asked))
        return answer

    monkeypatch.setattr(ahead._Worker, "ask", measured)
    job.progress = lambda i, n, name: i == 1 and _worker_up(job)
    outcomes = job.run_inbox()
    assert ahead.PIPE_ROOM - 1000 < most["bytes"] <= ahead.PIPE_ROOM
    assert most["asked"] < ahead.WINDOW_PER_WORKER  # the bound in bytes, not in files, held the worker back
    assert job.read_ahead > 0
    assert sorted({o.status for o in outcomes}) == ["accepted", "duplicate"]  # (a unit's forms are the same)
    assert_each_input_exactly_once(ws, given)


class _SmallPipe:
    """One end of a duplex connection made of two one-way pipes."""

    def __init__(self, reading, writing):
        self.reading, self.writing = reading, writing

    def send(self, obj):
        self.writing.send(obj)

    def recv(self):
        return self.reading.recv()

    def poll(self, timeout=0.0):
        return self.reading.poll(timeout)

    def close(self):
        self.reading.close()
        self.writing.close()


def _small_pipe(context=None, duplex=True):
    """A connection whose pipes hold 8 KiB each, as Windows' named pipes and macOS' socket pairs do (Linux: 64 KiB)."""
    import fcntl
    import multiprocessing.connection

    ours_in, theirs_out = multiprocessing.connection.Pipe(duplex=False)
    theirs_in, ours_out = multiprocessing.connection.Pipe(duplex=False)
    for end in (theirs_out, ours_out):
        fcntl.fcntl(end.fileno(), 1031, 8192)  # F_SETPIPE_SZ
    return _SmallPipe(ours_in, ours_out), _SmallPipe(theirs_in, theirs_out)


@pytest.mark.slow  # a real process killed or signalled (the quick loop leaves those out)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="F_SETPIPE_SZ")
def test_what_a_worker_is_told_to_read_with_leaves_its_small_pipe_room_for_the_requests(tmp_path, workspace, store,
                                                                                     make_form, monkeypatch):
    """On pipes of 8 KiB, a worker that has not started (stopped) and a workspace of five form kinds (their
    definitions some 8 KB pickled): what the worker is told to read with (a file's name, ``configure``) and the
    requests waiting for it still fit, so the run never waits for it — it reads the forms itself."""
    import multiprocessing.context

    import lzdocs

    text = (Path(lzdocs.__file__).parent / "forms" / "kinds" / "risk_check.toml").read_text(encoding="utf-8")
    for n in range(3):  # a workspace's own kinds, as README invites
        (workspace.root / "forms" / f"整改{n}.toml").write_text(
            text.replace('key = "check"', f'key = "rectify{n}"').replace("防控措施落实情况检查表", f"整改情况表{n}")
            .replace('"落实情况"', f'"整改情况{n}"'), encoding="utf-8")
    monkeypatch.setattr(multiprocessing.context.BaseContext, "Pipe", lambda self, duplex=True: _small_pipe())
    ws = use_readers(workspace.root, 1)
    folder = tmp_path / ("报送的表格文件夹" * 10) / ("计划财务处送来的" * 10)  # long paths: large requests
    given = [make_form(folder / "000.xlsx").read_bytes()]
    for i in range(1, 40):
        (folder / f"{i:03d}.xlsx").write_bytes(given[0])
    outcomes, stuck = _run_with_the_worker_stopped(ws, store, folder, monkeypatch)
    assert not stuck, f"the run waited for a worker that had not started {stuck}"
    assert [o.status for o in outcomes] == ["accepted"] + ["duplicate"] * 39
    assert kept(ws) == {sha(given[0]): 1}  # the folder's files stay where they are, as they were
    assert [p.read_bytes() for p in sorted(folder.iterdir())] == given * 40


@pytest.mark.slow  # a real process signalled
@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="Windows: a worker gets no Ctrl-C of the console")
def test_a_ctrl_c_as_a_worker_starts_neither_kills_it_nor_prints_a_traceback(capfd):
    """A terminal's Ctrl-C goes to every process of the command, a worker still loading its modules too: it used to
    die there with an English traceback beside the ingest's Chinese message."""
    worker = ahead._Worker()
    try:
        os.kill(worker.process.pid, signal.SIGINT)  # at once: the new process is still starting Python
        worker.process.join(1.5)
        assert worker.process.is_alive()
    finally:
        worker.close(stop=True)
    assert "Traceback" not in capfd.readouterr().err
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == set()  # this thread's mask as it was

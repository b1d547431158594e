"""Forms read ahead in worker processes (lzdocs/forms/ahead.py): the same outcomes and records as forms read one by
one, and a file changed after a worker read it is read again — what is kept is what was read."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from lzdocs.forms import ahead
from lzdocs.ingest import Ingest
from lzdocs.store import Store
from lzdocs.store import submissions as subs
from lzdocs.workspace import SAMPLE, Workspace
from tests.conftest import SAMPLE_ROWS, use_readers
from tests.ingest.invariant import assert_each_input_exactly_once, kept, sha

TODAY = dt.date(2026, 11, 28)
NOW = dt.datetime(2026, 11, 28, 11, 41, 59)  # both runs receive at this time: a duplicate's warning names it
UNITS = ["计划财务处", "人事处", "教务处", "科学技术处", "国有资产管理处", "后勤管理处", "招生就业处", "图书馆"]


def _inbox(ws: Workspace, make_form, outside) -> dict[str, bytes]:
    """Eight forms of eight units (.docx and .xlsx), one that is returned, the same bytes twice, and a link to a form
    outside the inbox (never read through): what each inbox file holds, by name."""
    for i, unit in enumerate(UNITS):
        make_form(ws.inbox / f"{i:02d}-{unit}{'.docx' if i % 2 else '.xlsx'}", unit=unit,
                  rows=[dict(row, risk=f"{unit}{row['risk']}") for row in SAMPLE_ROWS])
    make_form(ws.inbox / "20-坏表.xlsx", unit="人事处", rows=[dict(SAMPLE_ROWS[0], level="很高")])
    (ws.inbox / "21-又一份.xlsx").write_bytes((ws.inbox / "00-计划财务处.xlsx").read_bytes())
    os.symlink(make_form(outside / "外面.docx", unit="图书馆"), ws.inbox / "22-链接.docx")
    return {p.name: p.read_bytes() for p in ws.inbox.iterdir() if p.is_file() and not p.is_symlink()}


def _run(ws: Workspace, readers: int) -> tuple[list, list, Ingest]:
    ws = use_readers(ws.root, readers)
    store = Store.for_workspace(ws)
    try:
        job = Ingest(ws, store, today=TODAY, now=lambda: NOW)
        job.ahead_of_the_ingest = []  # before each file is taken: (files in the workers' hands, files given out or
        # read by the ingest itself beyond it)

        def progress(i, n, name):
            if job._ahead:
                if i == 1:
                    _worker_up(job)
                job.ahead_of_the_ingest.append((len(job._ahead.pending), job._ahead.next - (i - 1)))

        job.progress = progress
        outcomes = job.run_inbox()
        with store.read() as conn:
            rows = [(r["unit"], r["seq"], r["post"], r["risk"], r["level"], r["measures"])
                    for r in subs.current_risks(conn)]
    finally:
        store.close()
    seen = sorted((o.file, o.status, o.unit, o.year, o.rows, o.stored_as, [p.message for p in o.problems])
                  for o in outcomes)
    return seen, rows, job


def _worker_up(job: Ingest) -> None:
    """Wait for the first form a worker reads: until then the ingest reads on its own rather than wait."""
    next(iter(job._ahead.pending.values())).result()


def test_forms_read_ahead_are_taken_exactly_as_forms_read_one_by_one(tmp_path, make_form):
    (tmp_path / "outside").mkdir()
    spaces = [Workspace.init(tmp_path / name, SAMPLE)[0] for name in ("ahead", "alone")]
    given = [_inbox(ws, make_form, tmp_path / "outside") for ws in spaces]
    (seen, rows, job), (seen_alone, rows_alone, job_alone) = _run(spaces[0], 1), _run(spaces[1], 0)
    assert job.read_ahead == 9 and job_alone.read_ahead == 0  # the forms and the bad one; not the duplicate, the link
    in_hand, beyond = zip(*job.ahead_of_the_ingest)  # never the whole inbox read ahead into memory
    assert max(in_hand) == ahead.WINDOW_PER_WORKER and max(beyond) <= ahead.WINDOW_PER_WORKER + ahead.READ_HERE_AHEAD
    assert seen == seen_alone and rows == rows_alone
    statuses = {source: status for source, status, *_ in seen}
    assert statuses["inbox/20-坏表.xlsx"] == "rejected" and statuses["inbox/21-又一份.xlsx"] == "duplicate"
    assert statuses["inbox/22-链接.docx"] == "ignored" and os.path.islink(spaces[0].inbox / "22-链接.docx")
    assert len(rows) == len(UNITS) * len(SAMPLE_ROWS)
    for ws, files in zip(spaces, given):  # each input's bytes exactly once: archived, returned or still waiting
        assert kept(ws) == {sha(data): 1 for data in files.values()} | {sha(given[0]["00-计划财务处.xlsx"]): 2}


def test_a_file_rewritten_after_a_worker_read_it_is_read_again_and_kept_as_read(workspace, store, make_form):
    workspace = use_readers(workspace.root, 1)
    others = [make_form(workspace.inbox / f"{i:02d}.docx", unit=unit).read_bytes() for i, unit in enumerate(UNITS)][1:]
    replaced = workspace.inbox / "00.docx"
    job = Ingest(workspace, store, today=TODAY)
    rewritten = {}

    def rewrite_the_first_once_read(i, n, name):
        if i == 1:
            future = job._ahead.pending[replaced]  # the worker has read the first file: now it changes
            assert future.result()[0] == sha(replaced.read_bytes())
            rewritten["bytes"] = make_form(replaced, unit="图书馆", date=dt.date(2026, 11, 12)).read_bytes()
            rewritten["private"] = job._private_folder()

    job.progress = rewrite_the_first_once_read
    # the inbox taken as run_inbox takes it, without the run's own check that it only moved bytes: here a writer
    # changes them; the invariant is stated below, with the bytes as last written
    outcomes = {o.file: o for o in job.run_paths([workspace.inbox])}
    first = outcomes["inbox/00.docx"]
    assert (first.status, first.unit, first.filled_date) == ("accepted", "图书馆", dt.date(2026, 11, 12))
    assert job.read_ahead == len(UNITS) - 1  # the others were read by the worker
    assert (workspace.root / first.stored_as).read_bytes() == rewritten["bytes"]
    with store.read() as conn:
        [row] = [r for r in subs.submissions_for_year(conn, 2026) if r["stored_as"] == first.stored_as]
    assert row["sha256"] == sha(rewritten["bytes"])
    assert not rewritten["private"].exists()  # the run's copies, with the worker's of the bytes it read, are gone
    assert_each_input_exactly_once(workspace, [rewritten["bytes"], *others])


@pytest.mark.parametrize(("files", "setting", "cores", "workers"), [
    (7, None, 8, 0),  # a few files: read here, no worker started
    (8, None, 2, 1), (1000, None, 2, 1), (1000, None, 16, 4), (1000, None, 1, 0),  # the cores but one, at most four
    (1000, 0, 16, 0), (1000, 6, 2, 6),  # [limits] readers says
])
def test_how_many_workers_read_ahead(monkeypatch, files, setting, cores, workers):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert ahead.workers_for(files, setting) == workers


def test_the_forms_are_never_read_ahead_for_a_script_that_would_run_again_in_each_worker(tmp_path, monkeypatch):
    """A spawned worker imports the program's main module: a script that calls ``Office.ingest()`` outside
    ``if __name__ == "__main__":`` would take the inbox again in every worker, and a guard elsewhere in it says
    nothing. ``python -m lzdocs``, the lzdocs command and ``python -c`` are safe; a script only when
    ``[limits] readers`` is set (README: it must guard its main)."""
    import sys
    import types

    monkeypatch.setattr(os, "cpu_count", lambda: 3)

    def main(name=None, path=None, setting=None):
        module = types.ModuleType("__main__")
        if path:
            (tmp_path / path).write_text("if __name__ == '__main__':\n    main()\n", encoding="utf-8")
            module.__file__ = str(tmp_path / path)
        module.__spec__ = types.SimpleNamespace(name=name) if name else None
        monkeypatch.setitem(sys.modules, "__main__", module)
        return ahead.workers_for(100, setting)

    assert main("lzdocs.__main__") == 2 and main("__main__") == 2 and main() == 2  # -m lzdocs; its launcher; -c
    assert main(path="guarded.py") == 0 and main("script", path="script.py") == 0  # python script.py; -m script
    assert main(path="guarded.py", setting=1) == 1  # said in lzdocs.toml: trusted

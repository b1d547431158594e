"""Findings of an adversarial review of the worker's copy kept as the original (lzdocs/forms/ahead.py,
``Ingest._keep``, the run's private folder in .lzdocs/tmp): each failed before its fix."""

from __future__ import annotations

import datetime as dt
import os

from lzdocs.ingest import Ingest, pipeline
from lzdocs.workspace import Workspace
from tests.ingest.invariant import assert_each_input_exactly_once

TODAY = dt.date(2026, 11, 28)
UNITS = ["计划财务处", "人事处", "教务处", "科学技术处", "国有资产管理处", "后勤管理处", "招生就业处", "图书馆"]


def _with_one_reader(ws: Workspace) -> Workspace:
    config = ws.root / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("[limits]\n", "[limits]\nreaders = 1\n", 1),
                      encoding="utf-8")
    return Workspace.open(ws.root)


def _forms(ws: Workspace, make_form) -> dict[str, bytes]:
    return {f"{i:02d}.docx": make_form(ws.inbox / f"{i:02d}.docx", unit=unit).read_bytes()
            for i, unit in enumerate(UNITS)}


def _worker_up(job: Ingest):
    """Until a worker has returned a result the ingest reads on its own: the first one waited for."""
    def progress(i, n, name):
        if i == 1 and job._ahead:
            next(iter(job._ahead.pending.values())).result()
    return progress


def test_a_form_read_ahead_and_rewritten_after_it_was_claimed_is_not_let_go_with_its_new_bytes(
        workspace, store, make_form, monkeypatch):
    """A program holding the file open saves again after the claim — after the ingest hashed it, while it checks
    it: the worker's copy (the bytes read) must not be kept while the claimed file, with the bytes last written,
    is let go (deleted). As without a worker, it goes back to the inbox, as it now is."""
    ws = _with_one_reader(workspace)
    given = _forms(ws, make_form)
    real = pipeline.check_form
    saved = {}

    def checked_then_saved_again(raw, *args, **kw):
        if not saved:
            [claimed] = (ws.work / "claims").glob("*/03.docx") if raw.unit == UNITS[3] else [None]
            if claimed is not None:
                with open(claimed, "r+b") as fh:  # through a handle opened before it was taken
                    fh.seek(0, os.SEEK_END)
                    fh.write(b"\0" * 16)
                saved["bytes"] = given["03.docx"] + b"\0" * 16
        return real(raw, *args, **kw)

    monkeypatch.setattr(pipeline, "check_form", checked_then_saved_again)
    job = Ingest(ws, store, today=TODAY)
    job.progress = _worker_up(job)
    # the inbox taken as run_inbox takes it, without the run's own check that it only moved bytes: here a writer
    # changes them; the invariant is stated below, with the bytes as last written
    outcomes = {o.file: o for o in job.run_paths([ws.inbox])}
    assert saved and job.read_ahead >= 4
    out = outcomes["inbox/03.docx"]
    assert out.status == "failed" and "又被改写" in out.problems[0].message
    assert (ws.inbox / "03.docx").read_bytes() == saved["bytes"]
    assert_each_input_exactly_once(ws, [saved["bytes"], *(v for k, v in given.items() if k != "03.docx")])

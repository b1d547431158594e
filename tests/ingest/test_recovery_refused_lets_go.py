"""A claim that recovery cannot finish (its record committed, the name reserved for its copy holding a file someone
put there: lzdocs/ingest/pipeline.py ``_keep_as_recorded``) stays, with its original — and its lock is let go.
Held by the process that refused it, the claim looks live to every other process (another ingest leaves it alone,
``lzdocs verify`` takes its names for an ingest in flight), and to that process itself when it tries again — a
watcher, or ``lzdocs serve`` — which then never finishes it, even once the name is cleared."""

from __future__ import annotations

import pytest

from lzdocs import Office
from lzdocs.fsutil import HeldLock
from tests.conftest import TODAY, cli_env, run_process

pytestmark = pytest.mark.slow  # a real process killed after its commit


def test_a_claim_recovery_refused_is_let_go_and_finished_once_its_name_is_cleared(workspace, make_form):
    original = make_form(workspace.inbox / "计财处.docx").read_bytes()
    killed = run_process("-w", workspace.root, "ingest", env=cli_env(LZDOCS_CRASH_AT="after-commit:1"))
    assert killed.returncode == -9, killed.stderr
    [folder] = [p for p in (workspace.work / "claims").iterdir() if (p / "计财处.docx").is_file()]
    for part in workspace.outbox.rglob(".*.part"):
        part.unlink()  # the copy lost with the intent's latest version, to the power cut
    (folder / "intent.json").unlink()
    [placed] = [p for p in (workspace.outbox / "2026" / "收文").rglob("*") if p.is_file()]
    placed.write_bytes(b"the clerk's own file")
    with Office(workspace, today=TODAY) as office:
        office.ingest()  # refused: the claim stays
        assert (folder / "计财处.docx").read_bytes() == original
        lock = HeldLock.take(folder / ".lock")
        assert lock is not None, "the refused claim's lock is still held by this process"
        lock.release()
        placed.unlink()  # the clerk moves the file away
        office.ingest()  # the same process tries again
    assert placed.read_bytes() == original
    assert not folder.exists()

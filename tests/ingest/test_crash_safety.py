"""SIGKILL at every step of ingest, then a rerun: every file archived once with its rows, or returned — none lost."""

import hashlib
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from lzdocs.ingest import claims as cl
from lzdocs.store import Store
from lzdocs.store.schema import risks, submissions
from tests.conftest import SAMPLE_ROWS, cli_env, run_cli, run_process
from tests.ingest.invariant import litter

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

STEPS = ["claimed", "after-marker", "after-reserve", "before-copy", "after-copy", "after-commit", "after-rename"]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.slow
@pytest.mark.parametrize("step", [f"{s}:{n}" for s in STEPS for n in (1, 3)])
def test_killed_ingest_loses_nothing_and_counts_nothing_twice(workspace, make_form, step):
    good = {f"unit{i}.docx" if i % 2 else f"unit{i}.xlsx": unit for i, unit in
            enumerate(["计划财务处", "基建处", "教务处", "图书馆"])}
    originals = {}
    for name, unit in good.items():
        originals[name] = make_form(workspace.inbox / name, unit=unit).read_bytes()
    originals["bad.docx"] = make_form(workspace.inbox / "bad.docx",
                                      rows=[dict(SAMPLE_ROWS[0], level="很高")]).read_bytes()

    killed = run_process("-w", workspace.root, "ingest", env=cli_env(LZDOCS_CRASH_AT=step))
    assert killed.returncode == -9, killed.stderr
    rerun = run_cli("-w", workspace.root, "ingest")  # recovery needs no process of its own
    # 1: the bad file is rejected by this run; 0: the killed run had recorded it (the run's records are committed
    # together, Store.batch) and this one only finished what it left
    assert rerun.returncode in (0, 1), rerun.stderr

    store = Store.for_workspace(workspace)
    with store.read() as conn:
        subs = conn.execute(select(submissions)).mappings().all()
        rows = conn.execute(select(risks)).mappings().all()
    store.close()
    by_sha = {}
    for s in subs:
        by_sha.setdefault(s["sha256"], []).append(s)
    for name, data in originals.items():
        decided = by_sha[_sha(data)]
        assert len(decided) == 1, f"{name} recorded {len(decided)} times"
        kept = workspace.root / decided[0]["stored_as"]
        assert kept.read_bytes() == data
        expected = "rejected" if name == "bad.docx" else "accepted"
        assert decided[0]["status"] == expected
    assert len(rows) == 3 * len(good)
    assert (workspace.rejected / "bad.docx.错误说明.txt").is_file()
    leftover = [p for p in workspace.inbox.rglob("*") if p.is_file() and "退回" not in p.parts
                and p != workspace.work / cl.OWNER]  # the record of whose inbox it is aside
    assert leftover == []
    archived = [p for p in workspace.outbox.rglob("*") if p.is_file()]
    assert sorted(p.name for p in archived if "收文" in p.parts) == sorted(good)
    assert litter(workspace) == []  # no reserved name, copy, marker
    assert json.loads(run_cli("-w", workspace.root, "verify", "--json", check=0).stdout)["findings"] == []


@pytest.mark.slow  # a real process holds the claim
def test_a_claim_held_by_a_live_process_is_left_to_it(workspace, make_form):
    """A watcher's file in flight is not undone by an `lzdocs ingest` run beside it; once it dies, it is."""
    make_form(workspace.inbox / "在处理.docx")
    claim = cl.claim_by_rename(workspace.work / "claims", workspace.inbox / "在处理.docx", "inbox/在处理.docx")
    beside = run_process("-w", workspace.root, "ingest", "--json", check=0)
    assert json.loads(beside.stdout) == [] and claim.file.is_file()
    claim.let_go()  # as if its process had died
    after = run_process("-w", workspace.root, "ingest", "--json", check=0)
    [out] = json.loads(after.stdout)
    assert out["status"] == "accepted" and out["file"] == "inbox/在处理.docx"
    assert not Path(claim.folder).exists()


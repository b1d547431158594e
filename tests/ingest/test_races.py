"""Several ingests at once on one inbox: while a helper process holds the database's
write lock, each ingest has chosen its names and made its copies when they all commit together.

Invariant: every input's bytes (by SHA-256) exactly once in the archive, in 退回/, or still in the inbox."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
import time

import pytest
from sqlalchemy import select

from lzdocs import Office
from lzdocs.store import Store
from lzdocs.store.schema import risks, submissions
from tests.conftest import SAMPLE_ROWS, TODAY
from tests.ingest.invariant import archive_held, assert_each_input_exactly_once, lzdocs

pytestmark = [pytest.mark.slow, pytest.mark.both_backends,
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX process handling")]


def _in_flight(ws) -> int:
    """Copies made and waiting for the commit (``.<token>.part`` beside their reserved names)."""
    return sum(1 for p in list(ws.outbox.rglob("*.part")) + list(ws.rejected.glob("*.part")))


def _run_while_held(ws, n: int, *, until_in_flight: int, timeout: float = 15.0):
    """Start ``n`` ingests while the database is held; let go once ``until_in_flight`` copies wait (or after
    ``timeout``). Returns the finished processes."""
    with Office(ws, today=TODAY) as office:  # the archive exists (its school recorded) before the helper locks it
        assert office.store
    with archive_held(ws) as held:
        procs = []
        for _ in range(n):
            procs.append(lzdocs("-w", ws.root, "ingest", "--json"))
            time.sleep(0.2)
        deadline = time.monotonic() + timeout
        while _in_flight(ws) < until_in_flight and time.monotonic() < deadline:
            time.sleep(0.05)
        held.release()
        for proc in procs:
            proc.wait(60)
    return procs


def _decisions(ws) -> list[dict]:
    store = Store.for_workspace(ws)
    with store.read() as conn:
        rows = [dict(r) for r in conn.execute(select(submissions)).mappings()]
    store.close()
    return rows


def test_two_files_with_one_name_taken_at_once_are_both_kept(workspace, make_form):
    """Item 1: inbox/a/计财处.docx and inbox/b/计财处.docx, two processes, the database busy: two archived files."""
    a = make_form(workspace.inbox / "a" / "计财处.docx", rows=SAMPLE_ROWS[:1]).read_bytes()
    b = make_form(workspace.inbox / "b" / "计财处.docx", rows=SAMPLE_ROWS[:2], date=dt.date(2026, 11, 12)).read_bytes()
    procs = _run_while_held(workspace, 2, until_in_flight=2)
    assert [p.returncode for p in procs] == [0, 0], [p.stderr.read() for p in procs]
    assert_each_input_exactly_once(workspace, [a, b])
    folder = workspace.outbox / "2026" / "收文" / "计划财务处"
    assert sorted(p.name for p in folder.iterdir()) == ["计财处.docx", "计财处_01.docx"]
    stored = sorted(d["stored_as"] for d in _decisions(workspace))
    assert stored == ["outbox/2026/收文/计划财务处/计财处.docx", "outbox/2026/收文/计划财务处/计财处_01.docx"]


def test_two_identical_files_at_once_are_one_form_and_one_duplicate(workspace, make_form):
    """Item 6: the same bytes under two names, two processes: accepted once, the other kept as 重复报送."""
    data = make_form(workspace.inbox / "a" / "计财处.docx").read_bytes()
    (workspace.inbox / "b").mkdir()
    (workspace.inbox / "b" / "计财处副本.docx").write_bytes(data)
    procs = _run_while_held(workspace, 2, until_in_flight=2)
    assert [p.returncode for p in procs] == [0, 0], [p.stderr.read() for p in procs]
    outcomes = [o for p in procs for o in json.loads(p.stdout.read())]
    assert sorted(o["status"] for o in outcomes) == ["accepted", "duplicate"]
    assert sorted(d["status"] for d in _decisions(workspace)) == ["accepted", "duplicate"]
    store = Store.for_workspace(workspace)
    with store.read() as conn:
        assert len(conn.execute(select(risks)).all()) == len(SAMPLE_ROWS)
    store.close()
    [duplicate] = [o for o in outcomes if o["status"] == "duplicate"]
    assert duplicate["stored_as"].startswith("outbox/2026/收文/计划财务处/重复报送/")
    assert "内容完全相同" in duplicate["problems"][0]["message"]
    assert_each_input_exactly_once(workspace, [data, data])


def test_several_ingests_on_one_inbox_with_repeated_names_lose_nothing(workspace, make_form):
    """Items 1 and 7: three processes, 12 files under 4 names in 3 subfolders (half of them rejected, so
    returned files collide in 退回/ too). Every process ends normally; each returned file has its own 错误说明."""
    inputs, bad = [], {}
    for folder in ("甲", "乙", "丙"):
        for i, name in enumerate(["计财处", "基建处", "表", "风险表"]):
            rows = [dict(SAMPLE_ROWS[0], owner=f"{folder}{i}")]
            if i % 2:
                rows = [dict(rows[0], level=f"很高{folder}{i}")]
            path = make_form(workspace.inbox / folder / f"{name}.xlsx", rows=rows,
                             date=dt.date(2026, 11, 1) + dt.timedelta(days=len(inputs)))
            inputs.append(path.read_bytes())
            if i % 2:
                bad[f"很高{folder}{i}"] = path.read_bytes()
    procs = _run_while_held(workspace, 3, until_in_flight=3)
    errors = [p.stderr.read() for p in procs]
    assert all(p.returncode in (0, 1) for p in procs) and any(p.returncode == 1 for p in procs), errors
    assert not any("错误：" in e or "Traceback" in e for e in errors), errors
    assert_each_input_exactly_once(workspace, inputs)
    decided = _decisions(workspace)
    assert sorted(d["status"] for d in decided) == ["accepted"] * 6 + ["rejected"] * 6
    assert len({d["stored_as"] for d in decided}) == 12
    for d in decided:
        kept = (workspace.root / d["stored_as"]).read_bytes()
        assert hashlib.sha256(kept).hexdigest() == d["sha256"]
        if d["status"] == "rejected":
            note = (workspace.root / f"{d['stored_as']}.错误说明.txt").read_text(encoding="utf-8-sig")
            level = next(k for k, v in bad.items() if v == kept)
            assert level in note  # its own explanation, not another file's

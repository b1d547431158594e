"""A claim may reserve names twice: in 收文/ first, then — its commit refused (the same bytes accepted by another
process a moment before, its year handed over meanwhile) — those given up and names reserved in 重复报送/ or 退回/.
A power cut after the second commit may leave its intent as it was after the first reservation (the intent is not
fsynced). Recovery keeps the copy where the record says, and the 错误说明 of a returned file beside it — never
beside a name the claim gave up, which may be another claim's by now.

Invariant: every input's bytes (by SHA-256) exactly once in the archive, in 退回/, or still in the inbox."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SAMPLE_ROWS, cli_env, run_process
from tests.ingest.invariant import assert_each_input_exactly_once

pytestmark = pytest.mark.slow  # a real process killed after its commit


def test_a_returned_file_whose_intent_names_a_reservation_given_up_is_kept_in_its_recorded_place(workspace,
                                                                                                   make_form):
    bad = make_form(workspace.inbox / "错表.docx", rows=[dict(SAMPLE_ROWS[0], level="很高")]).read_bytes()
    killed = run_process("-w", workspace.root, "ingest", env=cli_env(LZDOCS_CRASH_AT="after-commit:1"))
    assert killed.returncode == -9, killed.stderr
    [folder] = [p for p in (workspace.work / "claims").iterdir() if (p / "intent.json").is_file()]
    intent = folder / "intent.json"
    data = json.loads(intent.read_text(encoding="utf-8"))
    assert "退回" in data["dest"]
    given_up = workspace.outbox / "2026" / "收文" / "计划财务处" / "错表.docx"  # reserved first, then given up
    given_up.parent.mkdir(parents=True)
    intent.write_text(json.dumps(dict(data, dest=str(given_up), reserved=[str(given_up)],
                                      partial=str(given_up.parent / f".{data['token']}.part"))), encoding="utf-8")
    rerun = run_process("-w", workspace.root, "ingest", "--json")
    assert rerun.returncode == 0, rerun.stderr
    assert_each_input_exactly_once(workspace, [bad])
    returned = workspace.root / data["dest"]
    note = returned.with_name(returned.name + ".错误说明.txt")
    assert returned.read_bytes() == bad and note.stat().st_size > 0
    assert list(given_up.parent.iterdir()) == []  # nothing written beside the name given up

"""Recovery of a committed claim (killed after its commit, its intent kept or lost to a power cut) whose copy is
still beside its name (``.{token}.part``) while a file someone put there holds the name reserved: the copy is not
renamed over that file. The claim stays, with its original, and the error says where (as when the copy is lost)."""

from __future__ import annotations

import pytest

from tests.conftest import cli_env, run_process

pytestmark = pytest.mark.slow  # a real process killed after its commit


@pytest.mark.parametrize("intent", ["kept", "gone"])
def test_a_copy_beside_its_name_is_not_renamed_over_a_file_put_at_that_name(workspace, make_form, intent):
    make_form(workspace.inbox / "计财处.docx")
    killed = run_process("-w", workspace.root, "ingest", env=cli_env(LZDOCS_CRASH_AT="after-commit:1"))
    assert killed.returncode == -9, killed.stderr
    [folder] = [p for p in (workspace.work / "claims").iterdir() if (p / "计财处.docx").is_file()]
    if intent == "gone":
        for spare in [folder / "intent.json", *folder.glob(".intent.json*")]:
            spare.unlink()
    [placed] = [p for p in (workspace.outbox / "2026" / "收文").rglob("*")
                if p.is_file() and not p.name.startswith(".")]
    assert placed.stat().st_size == 0 and len(list(placed.parent.glob(".*.part"))) == 1
    placed.write_bytes(b"the clerk's own file")
    rerun = run_process("-w", workspace.root, "ingest")
    assert "原件仍保留在" in rerun.stderr, rerun.stderr
    assert "请把该位置上的文件移到别处保存（不要删除）" in rerun.stderr  # never told to copy over it
    assert placed.read_bytes() == b"the clerk's own file"
    assert (folder / "计财处.docx").stat().st_size > 0  # the original, still in its claim

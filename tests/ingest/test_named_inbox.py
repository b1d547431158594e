"""``lzdocs ingest PATH`` where PATH is the inbox, a folder in it or a file waiting in it: taken as the inbox takes its
files (moved), not copied — a copy left the file to be taken again by the next run or the watcher, reported 重复.
Anywhere else, and in 退回/, a named file is only copied."""

from __future__ import annotations

import pytest

from lzdocs import Office
from tests.conftest import TODAY, run_cli, run_json
from tests.ingest.invariant import assert_each_input_exactly_once, kept, sha


def _statuses(outcomes) -> list[str]:
    return [o["status"] for o in outcomes]


def test_the_inbox_named_is_taken_as_the_inbox(workspace, make_form):
    root = workspace.root
    forms = [make_form(workspace.inbox / "计财处.docx").read_bytes(),
             make_form(workspace.inbox / "二级单位" / "基建处.xlsx", unit="基建处").read_bytes()]
    preview = run_json("-w", root, "ingest", workspace.inbox, "--dry-run")
    assert _statuses(preview) == ["accepted", "accepted"] and (workspace.inbox / "计财处.docx").is_file()
    assert _statuses(run_json("-w", root, "ingest", workspace.inbox)) == ["accepted", "accepted"]
    assert list(workspace.inbox.rglob("*.docx")) == list(workspace.inbox.rglob("*.xlsx")) == []
    assert "没有待处理的表格" in run_cli("-w", root, "ingest", check=0).stdout  # nothing left to take again
    assert_each_input_exactly_once(workspace, forms)


def test_a_file_or_folder_in_the_inbox_named_is_moved_one_elsewhere_copied(workspace, make_form, tmp_path):
    root = workspace.root
    waiting = make_form(workspace.inbox / "计财处.docx").read_bytes()
    in_folder = make_form(workspace.inbox / "补交" / "图书馆.docx", unit="图书馆").read_bytes()
    outside = make_form(tmp_path / "邮件附件" / "基建处.docx", unit="基建处")
    out = run_json("-w", root, "ingest", workspace.inbox / "计财处.docx", workspace.inbox / "补交", outside)
    assert _statuses(out) == ["accepted"] * 3
    assert sorted(p.name for p in workspace.inbox.rglob("*.docx")) == []
    assert outside.is_file()  # the clerk's own file: copied, never moved
    assert kept(workspace)[sha(outside.read_bytes())] == 1
    assert_each_input_exactly_once(workspace, [waiting, in_folder, outside.read_bytes()])


def test_a_returned_file_named_is_copied_and_stays_in_its_folder(workspace, make_form):
    """退回/ is the inbox's own folder: a returned file named again (fixed by hand) is read from a copy."""
    root = workspace.root
    bad = make_form(workspace.inbox / "计财处.docx", rows=[])
    data = bad.read_bytes()
    assert _statuses(run_json("-w", root, "ingest", check=1)) == ["rejected"]
    [returned] = [p for p in (workspace.inbox / "退回").iterdir() if p.suffix == ".docx"]
    assert _statuses(run_json("-w", root, "ingest", returned, check=1)) == ["rejected"]
    assert returned.read_bytes() == data


@pytest.mark.slow  # a real process killed or signalled (the quick loop leaves those out)
def test_a_file_named_by_a_relative_path_goes_back_to_its_folder_after_a_crash(workspace, make_form):
    """Killed once claimed: the next run, from another folder, puts it back where it was and takes it."""
    from tests.conftest import cli_env, run_process

    data = make_form(workspace.inbox / "补交" / "计财处.docx").read_bytes()
    run_process("-w", workspace.root, "ingest", "inbox/补交/计财处.docx", cwd=workspace.root,
                env=cli_env(LZDOCS_CRASH_AT="claimed"))
    assert not (workspace.inbox / "补交" / "计财处.docx").exists()  # in its claim
    with Office(workspace, today=TODAY) as office:
        assert office.ingest(registers=False).outcomes[0].file.endswith("补交/计财处.docx")
    assert_each_input_exactly_once(workspace, [data])


def test_a_file_another_process_took_first_is_said_so(workspace, make_form, monkeypatch):
    from lzdocs.ingest import claims as cl

    make_form(workspace.inbox / "计财处.docx")
    monkeypatch.setattr(cl, "claim_by_rename", lambda *a, **kw: None)  # the watcher renamed it a moment before
    [outcome] = run_json("-w", workspace.root, "ingest", workspace.inbox / "计财处.docx")
    assert outcome["status"] == "ignored" and "另一个收取程序" in outcome["problems"][0]["message"]

"""Several watchers on one workspace: one per campus share, each with its own inbox, 退回/ and claims,
all writing one archive — and letters numbered by other processes meanwhile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from lzdocs.watch import AlreadyWatching, WatchLock, watchers
from lzdocs.workspace import Workspace
from tests.cli.test_watch_cli import Watch, _workspace, make_forms, submissions_per_file, wait_for
from tests.conftest import REPO, TODAY, cli_env, run_cli, run_json, run_process, use_database
from tests.ingest.invariant import assert_each_input_exactly_once
from tests.startline import StartLine

ARGS = ("--stable", "1", "--interval", "1")
SUMMARY = Path("outbox/2026/登记簿/2026年廉政风险点汇总表.xlsx")

LETTERS = """
import datetime as dt, json, sys
from tests.startline import at_start_line
from lzdocs.documents import letters as L
from lzdocs.store import Store
from lzdocs.workspace import Workspace

ws = Workspace.open(sys.argv[1])
store = Store.for_workspace(ws)
office = L.LetterOffice(ws, store)
letter = office.prepare(L.KINDS["urge"], sys.argv[2], {}, dt.date(2026, 11, 28))
at_start_line(*sys.argv[3:5])  # every process starts allocating at the same instant
print(json.dumps([office.issue(letter).number.seq for _ in range(50)]))
"""


# --- the choice of inbox (in process) ---------------------------------------------------------------
def test_an_inbox_inside_the_archive_folders_or_the_workspace_itself_is_refused(tmp_path):
    ws = _workspace(tmp_path / "ws")
    proc = run_cli("-w", ws.root, "watch", "--inbox", ws.root / "outbox" / "收表", check=2)
    assert "--inbox 指向的" in proc.stderr and "在工作区的发文和归档文件夹 outbox里，不能用作收件文件夹" in proc.stderr
    proc = run_cli("-w", ws.root, "ingest", "--inbox", ws.root, check=2)
    assert f"--inbox 指向的“{ws.root}”就是工作区文件夹" in proc.stderr


def test_ingest_with_its_own_inbox_returns_bad_forms_into_that_inbox(tmp_path):
    ws = _workspace(tmp_path / "ws", units=10)
    campus = tmp_path / "校区B" / "收表"
    forms = make_forms(campus, 4)  # 报送003 names a unit not on the roster
    out = run_json("-w", ws.root, "ingest", "--inbox", campus, check=1)
    assert sorted((o["file"], o["status"]) for o in out) == [  # outside the workspace: shown in full
        (f"{campus}/报送000.xlsx", "accepted"), (f"{campus}/报送001.docx", "accepted"),
        (f"{campus}/报送002.xlsx", "accepted"), (f"{campus}/报送003.docx", "rejected")]
    assert (campus / "退回" / "报送003.docx").read_bytes() == forms["报送003.docx"]["data"]
    assert (campus / "退回" / "报送003.docx.错误说明.txt").is_file()
    assert sorted(p.name for p in campus.iterdir()) == [".lzdocs", "退回"]
    assert list((ws.inbox / "退回").iterdir()) == []  # the workspace's own inbox is not touched
    assert (ws.root / "outbox/2026/收文/测试单位001/报送001.docx").read_bytes() == forms["报送001.docx"]["data"]


def test_an_inbox_given_on_the_command_line_is_taken_as_written(tmp_path):
    ws = _workspace(tmp_path / "ws", units=10)
    share = tmp_path / "D$HOME" / "收表"  # an administrative share's "$" is part of the name, not a variable
    proc = run_cli("-w", ws.root, "ingest", "--inbox", share, check=2)
    assert f"收件文件夹不存在：{share}" in proc.stderr and "请检查 --inbox，或网络共享是否已连接" in proc.stderr
    make_forms(share, 1, start=1)
    assert [o["status"] for o in run_json("-w", ws.root, "ingest", "--inbox", share)] == ["accepted"]


def test_one_lock_per_inbox_and_every_watcher_listed(tmp_path):
    ws = _workspace(tmp_path / "ws")
    campus_b, campus_c = tmp_path / "B" / "收表", tmp_path / "C" / "收表"
    with WatchLock(ws, mode="polling"), WatchLock(ws.with_inbox(campus_b), mode="polling"):
        with pytest.raises(AlreadyWatching) as refused:
            WatchLock(ws.with_inbox(campus_b), wait=0.1).__enter__()
        with pytest.raises(AlreadyWatching):  # the workspace's inbox spelt as --inbox is the same inbox
            WatchLock(ws.with_inbox(ws.root / "inbox"), wait=0.1).__enter__()
        with WatchLock(ws.with_inbox(campus_c)):
            assert sorted(w["inbox"] for w in watchers(ws)) == sorted(map(str, (ws.inbox, campus_b, campus_c)))
            shown = run_cli("-w", ws.root, "status", check=0).stdout
            assert f"自动收取（lzdocs watch）：运行中（3 个，收件文件夹：{ws.inbox}、" in shown
            assert str(campus_b) in shown and str(campus_c) in shown
        assert {w["pid"] for w in watchers(ws)} == {os.getpid()}
        assert len(watchers(ws)) == 2
    assert f"收件文件夹“{campus_b}”已有 lzdocs watch 在运行" in str(refused.value)
    assert watchers(ws) == []


# --- three watchers, four letter writers (real processes) ------------------------------------------------
@pytest.mark.slow
@pytest.mark.both_backends
@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_three_watchers_on_three_inboxes_and_four_letter_writers_share_one_archive(tmp_path, backend, request):
    ws = _workspace(tmp_path / "ws", units=300, incomplete_timeout=2)
    if backend == "postgresql":
        use_database(ws.root, request.getfixturevalue("postgres_server").new_schema())
        ws = Workspace.open(ws.root)
    inboxes = (ws.inbox, tmp_path / "校区B" / "收表", tmp_path / "校区C" / "收表")
    for inbox in inboxes[1:]:
        inbox.mkdir(parents=True)
    forms = {inbox: make_forms(tmp_path / f"staging{n}", 40, start=100 * n) for n, inbox in enumerate(inboxes)}

    running = [Watch(ws, *ARGS, tmp=tmp_path)] + [Watch(ws, *ARGS, "--inbox", inbox, tmp=tmp_path)
                                                 for inbox in inboxes[1:]]
    try:
        second = run_process("-w", ws.root, "watch", "--inbox", inboxes[1], *ARGS, timeout=60)
        status = run_json("-w", ws.root, "status")
        line = StartLine(tmp_path / "start", 4)
        letters = [subprocess.Popen([sys.executable, "-c", LETTERS, str(ws.root), "测试单位001", *line.args(i)],
                                    env=cli_env(), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True) for i in range(4)]
        line.go()
        for n, inbox in enumerate(inboxes):
            for path in sorted((tmp_path / f"staging{n}").iterdir()):
                path.rename(inbox / path.name)
        outputs = [p.communicate(timeout=300) for p in letters]
        wait_for(lambda: _all_settled(ws, forms), 300, "every form to be archived or returned", step=0.2)
        _wait_for_last_registers(ws, running)
    finally:
        codes = [w.stop() for w in running]
    assert codes == [0, 0, 0]

    assert second.returncode == 2
    assert f"收件文件夹“{inboxes[1]}”已有 lzdocs watch 在运行（进程 {running[1].proc.pid}" in second.stderr
    assert sorted(Path(w["inbox"]).resolve() for w in status["watchers"]) == sorted(i.resolve() for i in inboxes)
    assert {w["pid"] for w in status["watchers"]} == {w.proc.pid for w in running}
    assert status["watcher"]["running"] is True and status["watcher"]["pid"] == running[0].proc.pid

    assert all(p.returncode == 0 for p in letters), [err for _, err in outputs]
    numbers = [json.loads(out) for out, _ in outputs]
    assert all(len(seen) == 50 and seen == sorted(seen) for seen in numbers)
    assert sorted(sum(numbers, [])) == list(range(1, 201))
    issued = sorted(p.name for p in (ws.root / "outbox/2026/催报通知").iterdir())
    assert len(issued) == 200 and "内工大纪催〔2026〕200号-测试单位001.docx" in issued

    every = [form["data"] for made in forms.values() for form in made.values()]
    assert_each_input_exactly_once(ws, every, inboxes)
    for inbox, made in forms.items():  # each bad form in its own inbox's 退回/, with its explanation
        returned = sorted(name for name, form in made.items() if form["status"] == "rejected")
        assert sorted(p.name for p in (inbox / "退回").iterdir() if p.suffix != ".txt") == returned
        assert all((inbox / "退回" / f"{name}.错误说明.txt").is_file() for name in returned)
    assert Counter(submissions_per_file(ws).values()) == Counter({1: len(every)})
    risks = run_json("-w", ws.root, "risks")
    assert len(risks) == sum(form["rows"] for made in forms.values() for form in made.values())
    assert Counter(r["risk"] for r in _summary_rows(ws)) == Counter(r["risk"] for r in risks)


def _all_settled(ws, forms: dict[Path, dict]) -> bool:
    received = [p for p in (ws.root / "outbox").glob("*/收文/**/*") if p.is_file()]
    returned = [p for inbox in forms for p in (inbox / "退回").glob("*") if p.is_file() and p.suffix != ".txt"]
    waiting = [p for inbox in forms for p in inbox.iterdir() if p.is_file()]
    return not waiting and len(received) + len(returned) == sum(len(made) for made in forms.values())


def _wait_for_last_registers(ws: Workspace, running: list[Watch]) -> None:
    """Each watcher has rebuilt the registers after its burst, and no form taken is waiting for a rebuild any more
    (store/pending.py: a rebuild clears the marks of the forms it read, after it has put its files in place, and the
    rebuilds take turns under the registers' lock): the 汇总表 on disk is the whole archive's."""
    from lzdocs.store import Store, pending

    said = "已更新 2026 年登记簿"
    wait_for(lambda: all(said in w.stderr for w in running), 120, "each watcher's registers")
    store = Store.for_workspace(ws)
    try:
        def caught_up() -> bool:
            with store.read() as conn:
                return not pending.waiting(conn)

        wait_for(caught_up, 120, "the registers to catch up with the archive", step=0.2)
    finally:
        store.close()


def _summary_rows(ws) -> list[dict]:
    from openpyxl import load_workbook

    rows = list(load_workbook(ws.root / SUMMARY, read_only=True)["汇总"].iter_rows(min_row=3, values_only=True))
    return [{"risk": dict(zip(rows[0], r))["风险点描述"]} for r in rows[1:] if any(v is not None for v in r)]


def test_registers_are_rebuilt_by_one_process_at_a_time(tmp_path, monkeypatch):
    """Several watchers and letter writers rebuild the same registers: a rebuild waits for the one under way (which
    may have read the archive before this process's last commit), so the last file written has read everything."""
    from filelock import FileLock

    from lzdocs.documents import registers
    from lzdocs.errors import LzdocsError
    from lzdocs.office import Office

    ws = _workspace(tmp_path / "ws")
    monkeypatch.setattr(registers, "WRITER_WAIT", 0.2)
    office = Office(ws, today=TODAY)
    try:
        with FileLock(ws.state / "registers.lock"):  # another process in the middle of its rebuild
            waited = office.rebuild_registers([2026])
            with pytest.raises(LzdocsError, match="另一个程序一直在更新登记簿"):  # lzdocs register waits for it too
                office.registers(2026)
            assert not (ws.root / SUMMARY).exists()
        done = office.rebuild_registers([2026])
    finally:
        office.close()
    assert waited.files == [] and waited.warnings == [
        "2026 年登记簿没有更新（另一个程序一直在更新登记簿）；可稍后运行 lzdocs register"]
    assert (ws.root / SUMMARY).is_file() and done.warnings == []

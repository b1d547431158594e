"""The real ``lzdocs watch`` as a subprocess: slow writers, bursts, SIGKILL, a vanishing inbox, lock files."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from lzdocs.ingest.claims import OWNER
from tests.conftest import SAMPLE_ROWS, cli_env, run_json, run_process

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM/SIGKILL")]

IGNORED = {"~$x.docx": b"lock of Word", ".~lock.x.docx#": b"lock of LibreOffice", "x.tmp": b"temp of WPS"}


# --- helpers ------------------------------------------------------------------------------------------
def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _workspace(root: Path, units: int = 0, incomplete_timeout: int | None = None):
    from lzdocs.workspace import SAMPLE, Workspace

    ws, _ = Workspace.init(root, SAMPLE)
    if units:
        rows = "".join(f"测试单位{i:03d},,,\n" for i in range(units))
        (root / "units.csv").write_text("\ufeff单位,别名,负责人,分管领导\n" + rows, encoding="utf-8")
    if incomplete_timeout is not None:
        config = root / "lzdocs.toml"
        text = re.sub(r"(?m)^incomplete_timeout\s*=.*$", "", config.read_text(encoding="utf-8"))
        config.write_text(text.replace("[watch]\n", f"[watch]\nincomplete_timeout = {incomplete_timeout}\n", 1),
                          encoding="utf-8")
    return ws


_started: list[subprocess.Popen] = []


@pytest.fixture(autouse=True, scope="module")
def _no_watcher_outlives_the_tests():
    yield
    for proc in _started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


class Watch:
    """One ``lzdocs watch`` process; its stderr goes to a file so a busy log never blocks it."""

    def __init__(self, ws, *args, tmp: Path, env=None, started: str = "开始监视"):
        self.ws = ws
        self.err_path = tmp / f"watch-{time.monotonic_ns()}.err"
        self.err = open(self.err_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-m", "lzdocs", "-w", str(ws.root), "watch", *args],
                                     stdout=subprocess.DEVNULL, stderr=self.err, env=env or cli_env())
        _started.append(self.proc)
        wait_for(lambda: started in self.stderr or self.proc.poll() is not None, 30, "watcher start")
        assert self.proc.poll() is None, self.stderr

    @property
    def stderr(self) -> str:
        return self.err_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout=30) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self.err.close()
        return code

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)
        self.err.close()


def wait_for(condition, timeout: float, what: str | Callable[[], str], step: float = 0.05) -> None:
    """``what``: the thing waited for, or a function that says it with what was seen at the time out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what if isinstance(what, str) else what()}")


def archived(ws) -> list[Path]:
    """Every original that reached a final place: outbox/<year>/收文/… or inbox/退回/."""
    received = [p for p in ws.outbox.glob("*/收文/**/*") if p.is_file() and not p.name.startswith(".")]
    returned = [p for p in ws.rejected.iterdir() if p.is_file() and not p.name.endswith(".错误说明.txt")] \
        if ws.rejected.is_dir() else []
    return received + returned


def candidates_left(ws) -> list[Path]:
    """Files still in the inbox (its 退回/, the lock and temporary files, and the record of whose inbox it is aside).
    Listed while a watcher works: a claim folder it removes mid-listing (pathlib's rglob then raises) is looked at
    again."""
    for _ in range(50):
        try:
            return [p for p in ws.inbox.rglob("*") if p.is_file() and "退回" not in p.parts and p.name not in IGNORED
                    and p != ws.work / OWNER]
        except FileNotFoundError:
            continue
    raise AssertionError("the inbox kept changing under every listing")


_MADE: dict[int, tuple[str, dict]] = {}  # index → (name, made): the burst tests share their forms


def make_forms(folder: Path, n: int, *, start: int = 0) -> dict[str, dict]:
    """``n`` forms, .docx and .xlsx mixed, about one in eight bad; name → {data, status, rows}.

    Each form is written once per test run with the product's own writer, then its bytes are reused.
    """
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for i in range(start, start + n):
        if i not in _MADE:
            _MADE[i] = _make_form(folder, i)
        name, form = _MADE[i]
        (folder / name).write_bytes(form["data"])
        made[name] = form
    return made


def _make_form(folder: Path, i: int) -> tuple[str, dict]:
    from lzdocs.documents.blankform import write_docx, write_xlsx
    from lzdocs.forms.schema import risk_kind

    suffix = ".docx" if i % 2 else ".xlsx"
    name, unit = f"报送{i:03d}{suffix}", f"测试单位{i:03d}"
    rows = [dict(r, risk=f"{r['risk']}（{i}）") for r in SAMPLE_ROWS[: 1 + i % 3]]
    status = "accepted"
    if i % 20 == 3:
        unit, status = f"不在名单的单位{i}", "rejected"
    elif i % 20 == 7:
        rows, status = [dict(rows[0], level="很高")], "rejected"
    path = folder / name
    writer = write_docx if suffix == ".docx" else write_xlsx
    writer(risk_kind(), path, unit=unit, rows=rows, date=dt.date(2026, 11, 1 + i % 28))
    if i % 50 == 11:
        path.write_bytes(f"不是表格 {i}".encode())
        status = "rejected"
    elif i % 100 == 13:
        path.write_bytes(path.read_bytes()[:-40])  # a copy that broke off: held, then returned
        status = "rejected"
    return name, {"data": path.read_bytes(), "status": status, "rows": len(rows) if status == "accepted" else 0}


def drop(staging: Path, inbox: Path) -> None:
    """Everything at once: renames within one file system, as a file server's client would land them."""
    for path in sorted(staging.iterdir()):
        os.rename(path, inbox / path.name)


def assert_each_original_once(ws, forms: dict[str, dict]) -> None:
    """Every original's bytes sit in exactly one final place, matching its expected fate; nothing else is there."""
    kept = Counter(_sha(p.read_bytes()) for p in archived(ws))
    expected = Counter(_sha(f["data"]) for f in forms.values())
    assert kept == expected
    for name, form in forms.items():
        place = ws.rejected / name
        if form["status"] == "rejected":
            assert place.read_bytes() == form["data"], name
            assert (ws.rejected / f"{name}.错误说明.txt").is_file(), name
        else:
            assert not place.exists(), name
    assert candidates_left(ws) == []
    claims = ws.inbox / ".lzdocs" / "claims"
    assert not claims.exists() or list(claims.iterdir()) == []


def submissions_per_file(ws) -> Counter:
    from sqlalchemy import select

    from lzdocs.store import Store
    from lzdocs.store.schema import submissions

    store = Store.for_workspace(ws)
    try:
        with store.read() as conn:
            return Counter(r.sha256 for r in conn.execute(select(submissions.c.sha256)))
    finally:
        store.close()


# --- the behaviours ---------------------------------------------------------------------------------
def test_a_slowly_written_file_is_taken_once_after_its_last_write_and_whole(tmp_path):
    ws = _workspace(tmp_path / "ws", units=200)
    src = make_forms(tmp_path / "src", 1, start=1)["报送001.docx"]["data"]
    watch = Watch(ws, "--stable", "4", "--interval", "1", tmp=tmp_path)
    target = ws.inbox / "计财处.docx"
    try:
        with open(target, "wb") as fh:
            for i in range(3):
                fh.write(src[i * len(src) // 3:(i + 1) * len(src) // 3])
                fh.flush()
                if i < 2:
                    time.sleep(3)
                    assert target.exists(), "taken while still being written"
        last_write = time.monotonic()
        wait_for(lambda: archived(ws), 15, "the file to be archived")
        taken_after = time.monotonic() - last_write
    finally:
        assert watch.stop() == 0
    [kept] = archived(ws)
    assert kept.relative_to(ws.root).as_posix() == "outbox/2026/收文/测试单位001/计财处.docx"
    assert kept.read_bytes() == src
    assert taken_after >= 3.5  # the stability window (4 s) ran from the last write, less polling slack
    assert list(submissions_per_file(ws).values()) == [1]
    assert len(run_json("-w", ws.root, "risks")) == 2
    assert watch.stderr.count("收取：") == 1


@pytest.fixture(scope="module")
def burst(tmp_path_factory):
    """200 forms dropped at once on a running watcher, with lock and temp files lying in the inbox."""
    tmp = tmp_path_factory.mktemp("burst")
    ws = _workspace(tmp / "ws", units=200, incomplete_timeout=3)
    forms = make_forms(tmp / "staging", 200)
    for name, data in IGNORED.items():
        (ws.inbox / name).write_bytes(data)
    before = {name: os.stat(ws.inbox / name).st_mtime_ns for name in IGNORED}
    watch = Watch(ws, "--stable", "1", "--interval", "1", tmp=tmp)
    second = run_process("-w", ws.root, "watch", timeout=60)
    from lzdocs.watch import watcher_state

    state = watcher_state(ws)
    drop(tmp / "staging", ws.inbox)
    try:
        wait_for(lambda: len(archived(ws)) == len(forms), 90, "all 200 files to be accounted for", step=0.2)
        registers = ws.year_dir(2026) / "登记簿" / "2026年廉政风险点汇总表.xlsx"
        wait_for(lambda: "已更新 2026 年登记簿" in watch.stderr, 20, "the registers")
    finally:
        code = watch.stop()
    return {"ws": ws, "forms": forms, "watch": watch, "code": code, "second": second, "state": state,
            "ignored_mtimes": before, "registers": registers}


def test_a_burst_of_200_files_is_all_accounted_for_once(burst):
    assert_each_original_once(burst["ws"], burst["forms"])
    assert set(submissions_per_file(burst["ws"]).values()) == {1}


def test_a_burst_gives_the_right_rows(burst):
    risks = run_json("-w", burst["ws"].root, "risks")
    assert len(risks) == sum(f["rows"] for f in burst["forms"].values())
    units = {r["unit"] for r in risks}
    assert len(units) == sum(f["status"] == "accepted" for f in burst["forms"].values())


def test_registers_are_rebuilt_after_the_burst_not_per_file(burst):
    assert burst["registers"].is_file()
    rebuilt = burst["watch"].stderr.count("已更新 2026 年登记簿")
    assert 1 <= rebuilt <= 4  # once per quiet spell (plus at most a few long-burst checkpoints), not 200 times


def test_lock_and_temp_files_are_never_moved_or_read(burst):
    ws = burst["ws"]
    for name, data in IGNORED.items():
        path = ws.inbox / name
        assert path.read_bytes() == data
        assert os.stat(path).st_mtime_ns == burst["ignored_mtimes"][name]
    assert not any(name in burst["watch"].stderr for name in IGNORED)


def test_a_second_watcher_on_the_same_workspace_refuses_to_start(burst):
    second = burst["second"]
    assert second.returncode == 2
    assert "已有 lzdocs watch 在运行" in second.stderr
    assert str(burst["watch"].proc.pid) in second.stderr
    assert burst["state"]["pid"] == burst["watch"].proc.pid and burst["state"]["since"]


def test_sigterm_ends_the_watcher_cleanly(burst):
    from lzdocs.watch import watcher_state

    assert burst["code"] == 0
    assert "已停止" in burst["watch"].stderr
    assert watcher_state(burst["ws"]) is None
    log = (burst["ws"].root / ".lzdocs" / "watch.log").read_text(encoding="utf-8")
    assert "收取：inbox/报送001.docx → 测试单位001" in log and "退回：inbox/报送003.docx" in log


def test_sigterm_and_sigkill_in_the_middle_of_a_burst_then_a_restart_lose_nothing_and_count_nothing_twice(tmp_path):
    ws = _workspace(tmp_path / "ws", units=200, incomplete_timeout=2)
    forms = make_forms(tmp_path / "staging", 120, start=50)
    claims = ws.inbox / ".lzdocs" / "claims"
    args = ("--stable", "1", "--interval", "1")

    watch = Watch(ws, *args, tmp=tmp_path)
    drop(tmp_path / "staging", ws.inbox)
    wait_for(lambda: len(archived(ws)) >= 5, 30, "the burst to be under way", step=0.005)
    t0 = time.monotonic()
    assert watch.stop() == 0  # SIGTERM: the file in hand is finished, the rest stays in the inbox
    assert time.monotonic() - t0 < 10
    assert not claims.exists() or list(claims.iterdir()) == []
    assert len(archived(ws)) + len(candidates_left(ws)) == len(forms)
    assert len(archived(ws)) < len(forms)

    # SIGKILL at the worst moment: the 15th file copied to its archive place but not yet recorded.
    crashing = Watch(ws, *args, tmp=tmp_path, env=cli_env(LZDOCS_CRASH_AT="after-copy:15"))
    assert crashing.proc.wait(30) == -signal.SIGKILL
    crashing.err.close()
    assert list(claims.iterdir())  # left half-way

    # SIGKILL from outside, wherever it lands.
    watch = Watch(ws, *args, tmp=tmp_path)
    done = len(archived(ws))
    wait_for(lambda: len(archived(ws)) >= done + 5, 30, "the burst to go on", step=0.005)
    watch.kill()
    assert len(archived(ws)) < len(forms)

    again = Watch(ws, *args, tmp=tmp_path)
    try:
        wait_for(lambda: len(archived(ws)) == len(forms) and not candidates_left(ws), 120, "the rest after restart")
    finally:
        assert again.stop() == 0
    assert_each_original_once(ws, forms)
    assert set(submissions_per_file(ws).values()) == {1}
    assert len(run_json("-w", ws.root, "risks")) == sum(f["rows"] for f in forms.values())


def _write_from_another_process(path: Path, data: bytes) -> None:
    code = "import sys; open(sys.argv[1], 'wb').write(sys.stdin.buffer.read())"
    subprocess.run([sys.executable, "-c", code, str(path)], input=data, check=True, timeout=30)


def test_polling_finds_files_from_other_processes_and_survives_the_inbox_vanishing(tmp_path):
    ws = _workspace(tmp_path / "ws", units=200)
    forms = make_forms(tmp_path / "src", 3, start=20)
    names = sorted(forms)
    watch = Watch(ws, "--polling", "--interval", "1", "--stable", "1", tmp=tmp_path)
    try:
        assert "轮询" in watch.stderr
        _write_from_another_process(ws.inbox / names[0], forms[names[0]]["data"])
        wait_for(lambda: len(archived(ws)) == 1, 15, "the first file")

        away = tmp_path / "inbox-away"
        ws.inbox.rename(away)
        wait_for(lambda: "收件文件夹无法访问" in watch.stderr, 10, "the outage to be noticed")
        _write_from_another_process(away / names[1], forms[names[1]]["data"])  # arrives during the outage
        time.sleep(2)
        assert watch.proc.poll() is None
        assert not ws.inbox.exists()  # nothing recreated the missing inbox behind the share's back
        away.rename(ws.inbox)
        wait_for(lambda: "已恢复访问" in watch.stderr, 40, "the inbox to come back")
        _write_from_another_process(ws.inbox / names[2], forms[names[2]]["data"])
        wait_for(lambda: len(archived(ws)) == 3, 20, "the files after the outage")
    finally:
        assert watch.stop() == 0
    assert_each_original_once(ws, forms)

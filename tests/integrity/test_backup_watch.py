"""A backup taken while the watcher takes a burst of forms: it holds every form committed before it began."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_ROWS, SAMPLE_SCHOOL, cli_env, run_json, run_process

FORMS = 100


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def submissions(root: Path) -> list[tuple]:
    with sqlite3.connect(root / "lzdocs.db", timeout=60) as conn:
        return conn.execute("SELECT id, status, stored_as, sha256 FROM submissions ORDER BY id").fetchall()


def wait_for(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.1)


@pytest.mark.slow
def test_a_backup_while_the_watcher_takes_100_forms_restores_every_form_committed_before_it(tmp_path, make_form):
    root = tmp_path / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    units = [line.split(",")[0] for line in (root / "units.csv").read_text(encoding="utf-8-sig").splitlines()[1:]]
    staged = tmp_path / "待放入"
    staged.mkdir()
    for i in range(FORMS):  # each form its own bytes: one 责任人 differs
        make_form(staged / f"{i:03d}-{units[i % len(units)]}.docx", unit=units[i % len(units)],
                  rows=[dict(SAMPLE_ROWS[0], owner=f"责任人{i:03d}"), SAMPLE_ROWS[1]])
    log = tmp_path / "watch.err"
    with open(log, "wb") as sink:
        watcher = subprocess.Popen([sys.executable, "-m", "lzdocs", "-w", str(root), "watch", "--polling",
                                    "--interval", "0.2", "--stable", "0.2"], stdout=subprocess.DEVNULL,
                                   stderr=sink, env=cli_env())
        try:
            wait_for(lambda: "开始监视" in log.read_text(encoding="utf-8"), 60, "the watcher to start")
            staged_forms = sorted(staged.iterdir())
            for path in staged_forms[:10]:
                os.rename(path, root / "inbox" / path.name)
            wait_for(lambda: len(submissions(root)) >= 10, 120, "ten forms committed")
            before = submissions(root)  # committed before the backup begins
            argv = [sys.executable, "-m", "lzdocs", "-w", str(root), "backup", str(tmp_path / "备份"), "--json"]
            running = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env())
            # The rest arrive once the backup has begun (its snapshot folder made), and are taken while it copies:
            # on a loaded machine the watcher could otherwise take all of them before the backup started at all.
            wait_for(lambda: running.poll() is not None or any((tmp_path / "备份").glob(".*.partial")), 60,
                     "the backup to begin")
            for path in staged_forms[10:]:
                os.rename(path, root / "inbox" / path.name)
            wait_for(lambda: len(submissions(root)) == FORMS, 300, "every form taken")
            out, err = running.communicate(timeout=300)
            backup = subprocess.CompletedProcess(running.args, running.returncode, out.decode(), err.decode())
        finally:
            watcher.send_signal(signal.SIGTERM)
            watcher.wait(60)
    result = json.loads(backup.stdout)
    assert 10 <= len(before) < FORMS and result["findings"] == []
    restored = tmp_path / "恢复"
    run_process("restore", tmp_path / "备份", restored, check=0)

    after = submissions(restored)
    assert set(before) <= set(after) and len(after) < FORMS  # every form committed before it, not those after
    assert {status for _, status, _, _ in after} == {"accepted"}
    for _, _, stored_as, digest in after:
        assert sha(restored / stored_as) == digest  # a form recorded in the snapshot is there whole
    kept = {p.relative_to(restored).as_posix() for p in (restored / "outbox").rglob("收文/**/*") if p.is_file()}
    assert kept == {stored_as for _, _, stored_as, _ in after}  # and nothing the snapshot does not record
    manifest = json.loads((Path(result["snapshot"]) / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        assert sha(Path(result["snapshot"]) / entry["path"]) == entry["sha256"], entry["path"]
        if entry["path"] != "lzdocs.db":
            assert sha(restored / entry["path"]) == entry["sha256"], entry["path"]
    verified = json.loads(run_process("-w", restored, "verify", "--json", check=0).stdout)
    assert verified["ok"] is True and verified["findings"] == []  # the restored archive verifies

"""The archive database under the watcher: a deleted or replaced
lzdocs.db is never written into — the watcher stops with exit 1 and a Chinese reason; a locked one is logged
in Chinese, without a traceback, and the file is tried again.

Invariant: every input's bytes (by SHA-256) exactly once in the archive, in 退回/, or still in the inbox."""

from __future__ import annotations

import logging
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from lzdocs.ingest import Outcome
from lzdocs.ingest.claims import OWNER
from lzdocs.store import Store
from lzdocs.store.db import DatabaseReplaced, database_error
from lzdocs.watch.scanner import stat_sig
from lzdocs.watch.worker import FAILED, IngestWorker, Job
from tests.conftest import cli_env, run_cli
from tests.ingest.invariant import assert_each_input_exactly_once


def test_a_store_whose_file_was_deleted_refuses_to_write(workspace, store):
    with store.begin() as conn:
        store.log(conn, "test")
    for path in workspace.root.glob("lzdocs.db*"):
        path.unlink()
    with pytest.raises(DatabaseReplaced) as caught, store.begin() as conn:
        store.log(conn, "lost")
    assert str(caught.value).startswith(f"档案库文件 {workspace.root / 'lzdocs.db'} 在运行中已被删除")
    assert caught.value.exit_code == 1


def test_a_store_whose_file_was_replaced_refuses_to_write(workspace, store, tmp_path):
    other = Store(f"sqlite:///{(tmp_path / 'other.db').as_posix()}")
    other.close()
    shutil.move(tmp_path / "other.db", workspace.root / "lzdocs.db")
    with pytest.raises(DatabaseReplaced, match="已被替换成另一个文件"), store.begin():
        pass


class LockedIngest:
    """Stands in for ``Ingest``: the database stays locked past SQLite's busy timeout."""

    def __init__(self, ws, store, **_dates):
        self.touched_years = set()

    def changed_registers(self):
        return dict.fromkeys(self.touched_years)

    def bind_inbox(self, dry_run=False):
        pass

    def recover(self, origin=None):
        return 0

    def take_inbox_file(self, path: Path, seen=None) -> Outcome:
        exc = OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
        raise database_error("sqlite:////srv/纪委/lzdocs.db", exc)


def test_a_locked_database_is_logged_in_chinese_without_a_traceback(tmp_path, caplog):
    path = tmp_path / "计财处.docx"
    path.write_bytes(b"form")
    worker = IngestWorker(None, lambda: type("S", (), {"close": lambda self: None})(), ingest_class=LockedIngest)
    results = []
    worker.report = results.append
    with caplog.at_level(logging.INFO, logger="lzdocs.watch"):
        worker.start()
        assert worker.ready.wait(5)
        worker.submit(Job(str(path), stat_sig(str(path))))
        deadline = time.monotonic() + 5
        while not results and time.monotonic() < deadline:
            time.sleep(0.02)
        worker.stop()
        worker.join(5)
    assert [r.kind for r in results] == [FAILED] and path.read_bytes() == b"form"
    [line] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert line == ("收取 计财处.docx 时出错：档案库正被另一个程序占用，等了一分钟仍未释放：/srv/纪委/lzdocs.db；"
                    "请稍后重试；如有卡住的 lzdocs，请先结束它。文件未丢失，稍后重试")
    assert not any(r.exc_info for r in caplog.records) and "Traceback" not in line


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="an open file cannot be deleted on Windows")
def test_the_watcher_stops_when_its_database_is_deleted_and_writes_nothing_into_it(workspace, make_form, tmp_path):
    Store.for_workspace(workspace).close()
    err = tmp_path / "watch.err"
    with open(err, "wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "lzdocs", "-w", str(workspace.root), "watch", "--polling",
                                 "--interval", "0.3", "--stable", "0.3"], stdout=subprocess.DEVNULL, stderr=sink,
                                env=cli_env())
        try:
            deadline = time.monotonic() + 30
            while "开始监视" not in err.read_text(encoding="utf-8") and time.monotonic() < deadline:
                time.sleep(0.1)
            for path in workspace.root.glob("lzdocs.db*"):
                path.unlink()
            data = make_form(workspace.inbox / "计财处.docx").read_bytes()
            code = proc.wait(20)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
    log = err.read_text(encoding="utf-8")
    assert code == 1, log
    assert "在运行中已被删除，为免写入已删除的文件，已停止写入" in log and "收取：" not in log
    assert "Traceback" not in log
    refused = run_cli("-w", workspace.root, "ingest", "--json")  # a new, empty archive: not the inbox's
    assert refused.returncode == 2 and "记着的是本工作区以前的档案库" in refused.stderr
    (workspace.work / OWNER).unlink()  # the clerk retires the deleted archive, as the message says
    rerun = run_cli("-w", workspace.root, "ingest", "--json")  # the form is taken from the old archive's claim
    assert rerun.returncode == 0, rerun.stderr
    assert '"status": "accepted"' in rerun.stdout
    assert_each_input_exactly_once(workspace, [data])

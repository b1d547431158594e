"""A backup killed part-way leaves its half-written folder (DEST/.<time>.partial/); the next backup to the same
place removes it — unless a backup still writing holds its lock. Real processes: the lock is the system's, let go
when its holder dies."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from lzdocs import Office
from lzdocs.integrity import backup
from tests.conftest import REPO, TODAY, cli_env, run_json

BEGIN = """\
import datetime as dt, os, signal, sys
from pathlib import Path
from lzdocs.integrity import backup
name, work, writing = backup._begin(Path(sys.argv[1]), dt.datetime(2026, 11, 20, 9, 0))
(work / "lzdocs.db").write_bytes(b"half a database")
print(work, flush=True)
if sys.argv[2] == "killed":
    os.kill(os.getpid(), signal.SIGKILL)
sys.stdin.readline()  # holds the lock until the test lets go (not a sleep: a moved clock may cut it short)
"""


def _begun(dest, how: str) -> tuple[subprocess.Popen, str]:
    """A process that began a snapshot in ``dest`` (its folder and lock) and then died (``killed``) or goes on."""
    proc = subprocess.Popen([sys.executable, "-c", BEGIN, str(dest), how], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=cli_env(PYTHONPATH=str(REPO)))
    return proc, proc.stdout.readline().strip()


@pytest.fixture
def dest(workspace, make_form, tmp_path):
    """A workspace with a form taken, and the backup folder (empty)."""
    make_form(workspace.inbox / "计财处.docx")
    run_json("-w", workspace.root, "ingest")
    folder = tmp_path / "备份"
    folder.mkdir()
    return folder


@pytest.mark.slow  # a real process killed or signalled (the quick loop leaves those out)
def test_a_killed_backups_folder_is_cleared_by_the_next_one(workspace, dest, tmp_path):
    killed, left = _begun(dest, "killed")
    killed.wait(30)
    assert killed.returncode == -9 and (dest / left.rsplit("/", 1)[1]).is_dir()
    with Office(workspace, today=TODAY) as office:
        result = office.backup(dest)
    assert sorted(p.name for p in dest.iterdir()) == [result.snapshot.name]  # no half folder, no lock left
    assert run_json("restore", dest, tmp_path / "恢复")["snapshot"] == str(result.snapshot)


@pytest.mark.slow  # a real process killed or signalled (the quick loop leaves those out)
def test_a_backup_still_writing_keeps_its_folder(workspace, dest):
    """Another clerk's backup to the same place, slow on a share: its folder is its own."""
    writing, folder = _begun(dest, "writing")
    try:
        with Office(workspace, today=TODAY) as office:
            result = office.backup(dest)
        assert (dest / folder.rsplit("/", 1)[1] / "lzdocs.db").read_bytes() == b"half a database"
        assert result.snapshot.name > folder.rsplit("/", 1)[1].removeprefix(".").removesuffix(backup.PARTIAL)
    finally:
        writing.kill()
        writing.wait(30)
    assert backup.clear_interrupted(dest) == [dest / folder.rsplit("/", 1)[1]]  # its holder gone: cleared now


def test_a_folder_without_a_lock_is_left_as_it_is(tmp_path):
    """A version before locks, or another program's: not known to be a dead backup's."""
    (tmp_path / f".20261120-090000{backup.PARTIAL}").mkdir()
    assert backup.clear_interrupted(tmp_path) == []
    assert (tmp_path / f".20261120-090000{backup.PARTIAL}").is_dir()
    assert backup._new_name(tmp_path, dt.datetime(2026, 11, 20, 9, 0)) == "20261120-090000-02"

"""The invariant of ingest as the tests check it: every input's bytes exactly once in the archive, in 退回/, or
still in the inbox — counted by SHA-256, so two inputs with the same bytes must be found twice."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from tests.conftest import cli_env


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def kept(ws, inboxes: tuple[Path, ...] = ()) -> Counter:
    """SHA-256 → how many copies: under outbox/<year>/收文 (重复报送 included), in 退回/, left in the inbox (in each
    of ``inboxes`` when several watchers feed the archive, else the workspace's own)."""
    found: Counter = Counter()
    for path in _files(ws.outbox):
        if "收文" in path.relative_to(ws.outbox).parts:
            found[sha(path.read_bytes())] += 1
    for inbox in inboxes or (ws.inbox,):
        for path in _files(inbox):
            if ".lzdocs" not in path.relative_to(inbox).parts and not path.name.endswith(".错误说明.txt"):
                found[sha(path.read_bytes())] += 1
    return found


def _files(root: Path) -> list[Path]:
    out = []
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                out.append(path)
    return out


def assert_each_input_exactly_once(ws, inputs: list[bytes], inboxes: tuple[Path, ...] = ()) -> None:
    """The invariant, plus: no name left reserved (an empty file), no copy in flight, no claim left over (in each
    of ``inboxes``, else in the workspace's inbox)."""
    inboxes = inboxes or (ws.inbox,)
    found, wanted = kept(ws, inboxes), Counter(sha(d) for d in inputs)
    assert found == wanted, _explain(ws, found, wanted)
    litter = [p for p in _files(ws.outbox) + [f for inbox in inboxes for f in _files(inbox)]
              if p.name.endswith(".part") or (p.stat().st_size == 0 and p.name != ".gitkeep")]
    assert litter == []
    for inbox in inboxes:
        claims = inbox / ".lzdocs" / "claims"
        assert not claims.exists() or list(claims.iterdir()) == []


def _explain(ws, found: Counter, wanted: Counter) -> str:
    """Which inputs are missing or found too often, and every file of the workspace with its size and hash."""
    lines = [f"missing: {dict(wanted - found)}", f"extra: {dict(found - wanted)}"]
    for path in sorted(_files(ws.root)):
        if ".lzdocs" in path.relative_to(ws.root).parts and "claims" not in path.parts:
            continue
        lines.append(f"  {path.relative_to(ws.root)} {path.stat().st_size} {sha(path.read_bytes())[:12]}")
    return "\n".join(lines)


def lzdocs(*args, env=None) -> subprocess.Popen:
    """``python -m lzdocs …`` started in the background (output captured, text)."""
    return subprocess.Popen([sys.executable, "-m", "lzdocs", *map(str, args)], env=env or cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")


class DatabaseHeld:
    """A helper process holding the SQLite write lock (BEGIN IMMEDIATE) until ``release()``: ingests pile up
    at their commit, each with its name chosen and its copy made — the moment the races of
    tests/ingest/test_races.py need."""

    CODE = ("import sqlite3, sys\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE')\n"
            "print('locked', flush=True)\n"
            "sys.stdin.readline()\n"
            "c.execute('COMMIT')\n")

    def __init__(self, db: Path):
        self.proc = subprocess.Popen([sys.executable, "-c", self.CODE, str(db)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "locked"

    def release(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("go\n")
            self.proc.stdin.flush()
            self.proc.wait(10)

    def __enter__(self) -> DatabaseHeld:
        return self

    def __exit__(self, *exc) -> None:
        self.release()
        if self.proc.poll() is None:
            self.proc.kill()


class ServerHeld:
    """``DatabaseHeld`` on PostgreSQL: a helper process holds the archive's writer lock (the advisory lock every
    write transaction takes, as a session lock) until ``release()``."""

    CODE = ("import sys, psycopg\n"
            "c = psycopg.connect(sys.argv[1], autocommit=True)\n"
            "c.execute(\"SELECT pg_advisory_lock(hashtext('lzdocs:' || current_schema()))\")\n"
            "print('locked', flush=True)\n"
            "sys.stdin.readline()\n"
            "c.execute(\"SELECT pg_advisory_unlock(hashtext('lzdocs:' || current_schema()))\")\n")

    def __init__(self, url: str):
        from sqlalchemy.engine import make_url

        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.proc = subprocess.Popen([sys.executable, "-c", self.CODE, dsn], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "locked"

    release = DatabaseHeld.release
    __enter__ = DatabaseHeld.__enter__
    __exit__ = DatabaseHeld.__exit__


def archive_held(ws):
    """The archive's write lock held by a helper process, on either backend."""
    url = ws.db_url
    return DatabaseHeld(ws.root / "lzdocs.db") if url.startswith("sqlite") else ServerHeld(url)


def litter(ws) -> list[Path]:
    """What a run must never leave in the workspace: an empty file (a reserved name), a copy in flight (.part) or a
    marker (.reserve) — its two lock files aside."""
    return [p for p in ws.root.rglob("*") if p.is_file() and p.name not in ("watch.lock", "registers.lock")
            and (p.stat().st_size == 0 or p.suffix in (".part", ".reserve"))]

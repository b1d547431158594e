"""A throwaway PostgreSQL server for the tests: ``initdb`` and ``pg_ctl`` from the machine's PostgreSQL binaries
into a temporary folder, a Unix socket there, stopped at the end of the session. Each workspace gets its own
schema (``search_path`` in its URL), so tests never see each other's rows.

Where no PostgreSQL binaries are installed, ``find_bindir`` returns None and the tests that need a server skip
with that reason (``.ci/run`` installs Debian's ``postgresql`` when missing)."""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

MISSING = "需要 PostgreSQL（initdb、pg_ctl），本机未安装：apt-get install postgresql"


def find_bindir() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: on PATH, from ``pg_config``, or Debian's /usr/lib/postgresql/N/bin."""
    for name in ("initdb", "pg_ctl"):
        found = shutil.which(name)
        if found and Path(found).resolve().parent.joinpath("pg_ctl").exists():
            return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(candidates[-1]).parent if candidates else None


class ThrowawayPostgres:
    """One server in ``folder`` (data and socket), run as the ``postgres`` user when the tests run as root
    (initdb refuses root)."""

    def __init__(self, folder: Path, bindir: Path):
        self.folder, self.bindir = folder, bindir
        self.data, self.socket = folder / "data", folder / "sock"
        self._schemas = itertools.count(1)
        self._user = _run_as() if os.geteuid() == 0 else None

    def start(self) -> ThrowawayPostgres:
        for path in (self.folder, self.socket):
            path.mkdir(parents=True, exist_ok=True)
            if self._user:
                shutil.chown(path, self._user.pw_uid, self._user.pw_gid)
        self._run("initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8",
                  "--no-sync")
        self.up()
        return self

    def stop(self) -> None:
        self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", check=False)

    def down(self) -> None:
        """``pg_ctl stop`` (fast shutdown): every open connection is cut and none is accepted until :meth:`up`,
        as while a server is restarted."""
        self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def up(self) -> None:
        """The server (again) accepting connections on its socket."""
        options = f"-k {self.socket} -c listen_addresses='' -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", self.data, "-o", options, "-l", self.folder / "server.log", "-w", "start")

    def url(self, schema: str | None = None, database: str = "postgres") -> str:
        """A SQLAlchemy URL for ``database`` (``schema``: the ``search_path`` of its connections)."""
        url = f"postgresql+psycopg://postgres@/{database}?host={quote(str(self.socket))}"
        return url + (f"&options={quote(f'-csearch_path={schema}')}" if schema else "")

    def new_schema(self, database: str = "postgres") -> str:
        """A fresh schema; the URL that keeps a workspace's tables in it."""
        name = f"ws{os.getpid()}_{next(self._schemas)}"
        self.psql(f"CREATE SCHEMA {name}", database)
        return self.url(name, database)

    def new_database(self) -> str:
        """A fresh database (for tests that look at every schema of one, as a roll-up does)."""
        name = f"db{os.getpid()}_{next(self._schemas)}"
        self.psql(f"CREATE DATABASE {name}")
        return name

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = self._run("psql", "-h", self.socket, "-U", "postgres", "-d", database, "-Atqc", sql, check=False)
        if done.returncode:  # what the server said, not only the command (see server.log for the rest)
            raise RuntimeError(f"psql {sql!r} failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout

    def _run(self, tool: str, *args, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / tool), *map(str, args)]
        user = self._user
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120,
                              user=user.pw_uid if user else None, group=user.pw_gid if user else None,
                              cwd=self.folder, env=_without_faketime(os.environ))


def _without_faketime(env) -> dict[str, str]:
    """The environment for PostgreSQL's programs: without libfaketime (a moved clock, ``.ci/run``). Run as the
    postgres account they cannot open the shared memory the tests' own processes made ("sem_open failed …
    Permission denied", and psql fails); and the server's clock is not the one under test, as lzdocs records the
    times of its own clock."""
    kept = {k: v for k, v in env.items() if not k.startswith("FAKETIME")}
    preload = [lib for lib in re.split(r"[\s:]+", kept.pop("LD_PRELOAD", "")) if lib and "faketime" not in lib]
    return {**kept, **({"LD_PRELOAD": " ".join(preload)} if preload else {})}


def _run_as() -> pwd.struct_passwd:
    """The account a server started by root runs as: Debian's ``postgres`` (or ``nobody``)."""
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("no postgres or nobody account to run PostgreSQL as")

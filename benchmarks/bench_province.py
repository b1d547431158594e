"""A province on one PostgreSQL server: many schools' forms ingested by 4 processes at once into one
database (a schema per school), against the same forms into SQLite (a file per school) by one process; then the
高校工委's roll-up, ``register --all-schools``. Every form must be archived exactly once.

    python benchmarks/bench_province.py [--schools 50] [--units 80] [--rows 20] [--workers 4]

A school is one workspace (its roster, its archive folders, its schema), so each process takes the inboxes of
its share of the schools in turn with the real ``lzdocs ingest`` (as a watcher per school would, without
waiting for files to hold still). Needs PostgreSQL's binaries (initdb, pg_ctl): the throwaway server of the tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lzdocs.documents.blankform import write_docx, write_xlsx  # noqa: E402
from lzdocs.forms.schema import risk_kind  # noqa: E402
from lzdocs.organisation import Organisation  # noqa: E402
from lzdocs.workspace import Workspace  # noqa: E402
from tests.conftest import use_database  # noqa: E402
from tests.pgserver import MISSING, ThrowawayPostgres, find_bindir  # noqa: E402

LEVELS = ["一级", "二级", "三级"]


def make_forms(staging: Path, schools: int, units: int, rows: int) -> dict[int, list[Path]]:
    """Every school's forms (half .docx, half .xlsx), each with its own text: no two files alike."""
    kind, made = risk_kind(), {}
    for s in range(schools):
        folder = staging / f"校{s:02d}"
        folder.mkdir(parents=True)
        made[s] = []
        for u in range(units):
            unit = f"单位{u:03d}"
            data = [{"seq": str(i), "post": f"岗位{i % 7}", "duties": f"{unit}职责{i}",
                     "risk": f"校{s:02d}{unit}的第{i}个风险点：违规操作、收受好处", "category": "业务流程",
                     "level": LEVELS[i % 3], "measures": f"措施{i}：制度约束、集体决策、公开公示",
                     "owner": f"责任人{i}"}
                    for i in range(1, rows + 1)]
            writer, suffix = (write_docx, ".docx") if u % 2 == 0 else (write_xlsx, ".xlsx")
            made[s].append(writer(kind, folder / f"{unit}{suffix}", unit=unit, rows=data, date=dt.date(2026, 11, 10)))
    return made


def school_workspaces(root: Path, forms: dict[int, list[Path]], units: int, urls: dict[int, str] | None) -> list[Path]:
    roots = []
    roster = "\ufeff单位,别名,负责人,分管领导\n" + "".join(f"单位{u:03d},,,\n" for u in range(units))
    for s, paths in forms.items():
        ws, _ = Workspace.init(root / f"校{s:02d}", Organisation.derive(f"第{s:02d}学院", f"{s:02d}院"))
        (ws.root / "units.csv").write_text(roster, encoding="utf-8")
        if urls:
            use_database(ws.root, urls[s])
        for path in paths:
            shutil.copy2(path, ws.inbox / path.name)
        roots.append(ws.root)
    return roots


def ingest(root: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "LZDOCS_TODAY": "2026-11-28"}
    proc = subprocess.run([sys.executable, "-m", "lzdocs", "-w", str(root), "ingest"], env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=3600)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"ingest {root} failed: {proc.stderr[-2000:]}")


def run(roots: list[Path], workers: int) -> float:
    """Seconds to ingest every school, ``workers`` processes at a time (each takes its share of schools in turn)."""
    shares = [roots[w::workers] for w in range(workers)]
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda share: [ingest(r) for r in share], shares))
    return time.perf_counter() - started


def check_once(roots: list[Path], forms: dict[int, list[Path]]) -> None:
    """Every form of every school archived exactly once (its bytes under 收文, one submission each)."""
    import hashlib

    from sqlalchemy import func, select

    from lzdocs.store import Store
    from lzdocs.store.schema import submissions

    for (s, paths), root in zip(forms.items(), roots, strict=True):
        want = sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in paths)
        kept = sorted(hashlib.sha256(p.read_bytes()).hexdigest()
                      for p in (root / "outbox" / "2026" / "收文").rglob("*") if p.is_file())
        store = Store.for_workspace(Workspace.open(root))
        with store.read() as conn:
            recorded = sorted(r[0] for r in conn.execute(select(submissions.c.sha256)
                                                         .where(submissions.c.status == "accepted")))
            assert conn.execute(select(func.count()).select_from(submissions)).scalar() == len(paths), root
        store.close()
        assert kept == want == recorded, f"school {s}: not every form exactly once"
        assert not any(p.is_file() for p in (root / "inbox").glob("*")), f"school {s}: forms left in the inbox"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=50)
    parser.add_argument("--units", type=int, default=80)
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit(MISSING)
    total = args.schools * args.units
    with tempfile.TemporaryDirectory(prefix="lzdocs-province-") as tmp:
        tmp = Path(tmp)
        tmp.chmod(0o755)
        server = ThrowawayPostgres(tmp / "pg", bindir).start()
        try:
            t0 = time.perf_counter()
            forms = make_forms(tmp / "forms", args.schools, args.units, args.rows)
            print(f"{total} forms ({args.schools} schools × {args.units} units × {args.rows} points) made in "
                  f"{time.perf_counter() - t0:.0f} s")
            database = "province"
            server.psql(f"CREATE DATABASE {database}")
            urls = {s: _schema_url(server, database, s) for s in forms}
            pg_roots = school_workspaces(tmp / "pg-schools", forms, args.units, urls)
            sqlite_roots = school_workspaces(tmp / "sqlite-schools", forms, args.units, None)

            pg = run(pg_roots, args.workers)
            check_once(pg_roots, forms)
            print(f"PostgreSQL, {args.workers} processes: {pg:.1f} s, {total / pg:.1f} forms/s — each form once")
            lite = run(sqlite_roots, 1)
            check_once(sqlite_roots, forms)
            print(f"SQLite, 1 process:        {lite:.1f} s, {total / lite:.1f} forms/s — each form once")
            print(f"PostgreSQL with {args.workers} processes / SQLite with one: {lite / pg:.2f}× the throughput")

            t0 = time.perf_counter()
            env = {**os.environ, "PYTHONPATH": str(REPO), "LZDOCS_TODAY": "2026-11-28"}
            subprocess.run([sys.executable, "-m", "lzdocs", "-w", str(pg_roots[0]), "register", "--all-schools"],
                           env=env, check=True, capture_output=True, timeout=3600)
            print(f"register --all-schools ({args.schools} schools, {total * args.rows} points): "
                  f"{time.perf_counter() - t0:.1f} s")
        finally:
            server.stop()


def _schema_url(server: ThrowawayPostgres, database: str, school: int) -> str:
    name = f"school{school:02d}"
    server.psql(f"CREATE SCHEMA {name}", database)
    return server.url(name, database)


if __name__ == "__main__":
    main()

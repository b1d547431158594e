"""The 风险点 page of ``lzdocs serve`` over a large archive, against the bare SQL that fetches the same rows.

    python benchmarks/bench_serve.py [N] [--requests 20] [--keep DIR]   # default N = 100000; target: ≤ 5×

The archive is filled as benchmarks/bench_register.py fills it (60 units, N current risk points of 2026 and 1,000
superseded). Each round, side by side: one request of the page through the application (Starlette's TestClient:
routing, the gate, a read view of the archive, the count, the 50 rows, the filter lists, the Jinja2 template and
the security headers), and the bare SQL of the same 50 rows and the count on a plain sqlite3 connection. Medians
of the rounds are compared; the first page, a filtered one (a unit and a level) and a search are measured.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_register import TODAY, fill  # noqa: E402

TARGET = 5.0
CURRENT = ("FROM risks JOIN submissions ON submissions.id = risks.submission_id "
           "WHERE submissions.status = 'accepted' AND submissions.superseded_by IS NULL AND risks.kind = 'risk' "
           "AND risks.year = 2026")
PAGE = ("SELECT risks.id, risks.unit, risks.year, risks.seq, risks.post, risks.risk, risks.category, risks.level, "
        "risks.measures, risks.owner, submissions.stored_as {current}{where} "
        "ORDER BY risks.year DESC, {by_roster}, risks.unit, risks.submission_id, risks.id LIMIT 50 OFFSET 0")
CASES = {  # name → (query string of the page, extra SQL condition, its parameters)
    "first page": ({}, "", ()),
    "unit + level": ({"unit": "单位007", "level": "2"}, " AND risks.unit = ? AND risks.level = ?", ("单位007", 2)),
    "search": ({"q": "第1234项"}, " AND (risks.post LIKE ? ESCAPE '\\' OR risks.risk LIKE ? ESCAPE '\\' OR "
               "risks.duties LIKE ? ESCAPE '\\' OR risks.measures LIKE ? ESCAPE '\\' OR risks.owner LIKE ? "
               "ESCAPE '\\')", ("%第1234项%",) * 5),
}


def bare(conn: sqlite3.Connection, roster: list[str], where: str, params: tuple) -> tuple[list, int]:
    """The 50 rows and the count, as a hand-written query would get them."""
    by_roster = "CASE risks.unit " + " ".join(f"WHEN ? THEN {i}" for i in range(len(roster))) + \
        f" ELSE {len(roster)} END"
    total = conn.execute(f"SELECT count(*) {CURRENT}{where}", params).fetchone()[0]
    rows = conn.execute(PAGE.format(current=CURRENT, where=where, by_roster=by_roster),
                        (*params, *roster)).fetchall()
    return rows, total


def measure(root: Path, rounds: int) -> dict[str, tuple[float, float, int]]:
    from lzdocs.office import Office
    from lzdocs.web import build

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*httpx.*")
        from starlette.testclient import TestClient

    out = {}
    with Office(root, today=TODAY) as office:
        client = TestClient(build(office, "127.0.0.1"), base_url="http://127.0.0.1:8800")
        roster = office.roster().names
        conn = sqlite3.connect(root / "lzdocs.db")
        for name, (query, where, params) in CASES.items():
            page_times, sql_times = [], []
            for i in range(rounds + 2):  # two rounds to warm up, not counted
                started = time.perf_counter()
                response = client.get("/risks", params=query)
                page_seconds = time.perf_counter() - started
                started = time.perf_counter()
                rows, total = bare(conn, roster, where, params)
                sql_seconds = time.perf_counter() - started
                assert response.status_code == 200 and f'id="total">{total}</b>' in response.text, name
                assert all(str(r[5]) in response.text for r in rows[:3]), name
                if i >= 2:
                    page_times.append(page_seconds)
                    sql_times.append(sql_seconds)
            out[name] = (statistics.median(page_times), statistics.median(sql_times), total)
        conn.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20, help="rounds measured (medians)")
    parser.add_argument("--keep", type=Path, help="make the archive here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lzdocs-bench-") as tmp:
        root = (args.keep or Path(tmp)) / "ws"
        started = time.perf_counter()
        if not (root / "lzdocs.db").exists():
            fill(root, args.n)
        print(f"archive with {args.n:,} risk points ready in {time.perf_counter() - started:.1f} s")
        results = measure(root, args.requests)
    worst = 0.0
    for name, (page, sql, total) in results.items():
        ratio = page / sql
        worst = max(worst, ratio)
        print(f"  {name:13} {total:>7,} match: page {page * 1000:7.1f} ms, bare SQL {sql * 1000:7.1f} ms, "
              f"ratio {ratio:.2f}×")
    print(f"worst ratio {worst:.2f}× (median of {args.requests} requests each); target ≤ {TARGET:.0f}×")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())

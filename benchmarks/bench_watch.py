"""``lzdocs watch``: latency from a file's last write to its rows in the archive, and the idle cost of polling.

    python benchmarks/bench_watch.py latency [--drops 100] [--stable 5] [--interval 5] [--modes native,polling]
    python benchmarks/bench_watch.py idle [--files 10000] [--interval 10] [--seconds 60]
    python benchmarks/bench_watch.py            # both, with the defaults above

latency: the real ``lzdocs watch`` in a subprocess; forms are written into the inbox at random gaps
(0.2–1.0 s, like clerks saving one after another) and the archive is read every 20 ms with the same query
as ``lzdocs risks --json`` (checked against the real command at the end). Target: p95 ≤ stable + 1 s in
native mode; polling adds up to one interval of discovery delay.
idle: the watcher's own loop (scanner + tracker) polling a tree of N files that stay in the inbox, in this
process; CPU = process time over the window. watchdog's PollingObserver on the same tree for comparison.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lzdocs.documents.blankform import write_docx, write_xlsx  # noqa: E402
from lzdocs.forms.schema import risk_kind  # noqa: E402
from lzdocs.workspace import SAMPLE, Workspace  # noqa: E402

ROWS = [{"seq": "1", "post": "出纳", "duties": "现金收付", "risk": "挪用公款", "category": "岗位职责", "level": "一级",
         "measures": "钱账分管", "owner": "王丽"},
        {"seq": "2", "post": "会计", "duties": "报销审核", "risk": "违规报销", "category": "制度机制", "level": "二级",
         "measures": "双签", "owner": "赵强"}]


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8"}


def _forms(n: int, folder: Path) -> list[tuple[str, str, bytes]]:
    """(file name, unit, bytes) for n distinct units, Word and Excel alternating."""
    kind, out = risk_kind(), []
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        unit = f"单位{i:04d}"
        writer, suffix = (write_docx, ".docx") if i % 2 else (write_xlsx, ".xlsx")
        path = writer(kind, folder / f"{unit}{suffix}", unit=unit, rows=ROWS, date=dt.date(2026, 11, 10))
        out.append((path.name, unit, path.read_bytes()))
    return out


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def latency(mode: str, drops: int, stable: float, interval: float, base: Path) -> dict:
    from lzdocs.store import Store
    from lzdocs.store import submissions as subs

    ws, _ = Workspace.init(base / f"ws-{mode}-{interval:g}", SAMPLE)
    (ws.root / "units.csv").write_text("单位\n" + "".join(f"单位{i:04d}\n" for i in range(drops)), encoding="utf-8")
    forms = _forms(drops, base / f"forms-{mode}-{interval:g}")
    err = open(base / f"watch-{mode}-{interval:g}.log", "wb")  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen([sys.executable, "-m", "lzdocs", "-w", str(ws.root), "watch", f"--{mode}",
                             "--stable", str(stable), "--interval", str(interval)],
                            stdout=subprocess.DEVNULL, stderr=err, env=_env())
    store = Store.for_workspace(ws)
    written: dict[str, float] = {}
    seen: dict[str, float] = {}
    try:
        time.sleep(3)  # let it start
        rng = random.Random(6)
        next_drop, i = time.monotonic(), 0
        deadline = None
        while len(seen) < drops:
            now = time.monotonic()
            if i < drops and now >= next_drop:
                name, unit, data = forms[i]
                with open(ws.inbox / name, "wb") as fh:
                    fh.write(data)
                written[unit] = time.monotonic()  # the last write: closed
                i += 1
                next_drop = now + rng.uniform(0.2, 1.0)
                deadline = time.monotonic() + stable + interval + 30
            with store.read() as conn:
                units = {r["unit"] for r in subs.current_risks(conn)}
            t = time.monotonic()
            for unit in units - seen.keys():
                seen[unit] = t
            if deadline and t > deadline:
                raise SystemExit(f"{mode}: only {len(seen)} of {drops} arrived")
            time.sleep(0.02)
    finally:
        store.close()
        proc.terminate()
        proc.wait(60)
        err.close()
    risks = json.loads(subprocess.run([sys.executable, "-m", "lzdocs", "-w", str(ws.root), "risks", "--json"],
                                      capture_output=True, env=_env(), check=True).stdout)
    assert len(risks) == drops * len(ROWS), len(risks)
    lat = [seen[u] - written[u] for u in written]
    return {"mode": mode, "stable": stable, "interval": interval, "drops": drops,
            "p50": round(_percentile(lat, 0.5), 2), "p95": round(_percentile(lat, 0.95), 2),
            "max": round(max(lat), 2), "min": round(min(lat), 2), "mean": round(statistics.mean(lat), 2)}


def _tree(root: Path, n: int) -> None:
    """n small files in 100 folders (a share collected over a year), none of them takeable."""
    for i in range(n):
        folder = root / f"部门{i % 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"文件{i:05d}.docx").write_bytes(b"x" * (i % 97 + 1))


class _NeverTakes:
    """A worker that reports every file as not takeable, so all of them stay in the inbox, tracked."""

    report = None

    def is_alive(self):
        return True

    def finish_current(self):
        pass

    def submit(self, job):
        from lzdocs.watch.worker import FAILED, Result

        self.report(Result(job.path, FAILED))


def _cpu_over(seconds: float, body) -> float:
    t0, c0 = time.monotonic(), time.process_time()
    body(seconds)
    return (time.process_time() - c0) / (time.monotonic() - t0)


def idle(files: int, interval: float, seconds: float, base: Path) -> dict:
    from lzdocs.watch.scanner import scan
    from lzdocs.watch.service import POLLING, Watcher, WatchOptions
    from lzdocs.watch.tracker import DEFERRED

    root = base / "tree"
    _tree(root, files)
    t0 = time.perf_counter()
    listing = scan(root)
    one_scan = time.perf_counter() - t0
    assert len(listing.files) == files

    w = Watcher(root, WatchOptions(POLLING, interval=interval, stable=1), _NeverTakes())
    w.tracker.retry_first = w.tracker.retry_max = 24 * 3600  # nothing retried inside the window

    def loop(s):  # Watcher.run() without the ingest worker: the same step() and sleep
        end = time.monotonic() + s
        while time.monotonic() < end:
            w.step()
            w._sleep()

    t0 = time.perf_counter()
    while sum(e.state == DEFERRED for e in w.tracker.entries.values()) < files:
        loop(0.5)
    first_pass = time.perf_counter() - t0
    ours = _cpu_over(seconds, loop)

    from watchdog.events import FileSystemEventHandler
    from watchdog.observers.polling import PollingObserver

    def watchdog_poll(s):
        obs = PollingObserver(timeout=interval)
        obs.schedule(FileSystemEventHandler(), str(root), recursive=True)
        obs.start()
        time.sleep(s)
        obs.stop()
        obs.join()

    theirs = _cpu_over(seconds, watchdog_poll)
    return {"files": files, "interval": interval, "window_s": seconds, "one_scan_ms": round(one_scan * 1000, 1),
            "first_pass_s": round(first_pass, 1),
            "cpu_share_lzdocs": round(ours, 4), "cpu_share_watchdog_polling_observer": round(theirs, 4)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", nargs="?", choices=["latency", "idle", "all"], default="all")
    ap.add_argument("--drops", type=int, default=100)
    ap.add_argument("--stable", type=float, default=5)
    ap.add_argument("--interval", type=float, default=None)
    ap.add_argument("--modes", default="native,polling")
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    try:
        if args.what in ("latency", "all"):
            for mode in args.modes.split(","):
                print(json.dumps(latency(mode, args.drops, args.stable, args.interval or 5, base), ensure_ascii=False),
                      flush=True)
        if args.what in ("idle", "all"):
            print(json.dumps(idle(args.files, args.interval or 10, args.seconds, base), ensure_ascii=False), flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

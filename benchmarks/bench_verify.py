"""``lzdocs verify`` against its floor (reading and hashing the same files with hashlib), measured in one run.

    python benchmarks/bench_verify.py [N]        # default N = 10000 files; target: under a minute, ratio ≈ 1

The archive: N files of 8–64 KB (the sizes of forms, letters and registers) in outbox/2026/收文/<unit>/ and
inbox/退回/, each recorded in the manifest, and N events in the chain. The verify is the real command in a
subprocess, end to end (start-up, the chain, every file's size and SHA-256, the walk for strays, SQLite's
integrity check). The floor reads and hashes the same files in this process, before and after the verify; the
faster of the two counts (both then read from the page cache, as the verify does).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lzdocs.store import Store, files  # noqa: E402
from lzdocs.workspace import SAMPLE, Workspace  # noqa: E402

RECORDED = dt.datetime(2026, 11, 28, 9, 0)


def build(root: Path, n: int) -> list[Path]:
    """A workspace whose archive holds ``n`` recorded files and ``n`` chained events."""
    ws, _ = Workspace.init(root, SAMPLE)
    rng = random.Random(16)
    paths, entries = [], []
    # The archive made first, as a workspace's is: files in 收文/ with no archive are a lost one (store/kept.py).
    with Store.for_workspace(ws) as store:
        for i in range(n):
            folder = ws.rejected if i % 50 == 0 else ws.year_dir(2026) / "收文" / f"单位{i // 20:04d}"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"表{i:05d}.docx"
            data = rng.randbytes(rng.randint(8 << 10, 64 << 10))
            path.write_bytes(data)
            paths.append(path)
            entries.append(dict(path=ws.relative(path), sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                                role="original", recorded_at=RECORDED))
        with store.begin() as conn:
            files.record_many(conn, entries)
            for i in range(n):
                store.log(conn, "accepted", f"表{i:05d}.docx", after={"submission": i + 1})
    return paths


def floor(paths: list[Path]) -> float:
    """Seconds to read and hash every file: what any check of the files must do."""
    started = time.perf_counter()
    for path in paths:
        with open(path, "rb") as fh:
            hashlib.file_digest(fh, "sha256")
    return time.perf_counter() - started


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    with tempfile.TemporaryDirectory(prefix="lzdocs-bench-verify-") as tmp:
        root = Path(tmp) / "ws"
        print(f"生成 {n} 个归档文件和 {n} 个事件…", flush=True)
        paths = build(root, n)
        total = sum(p.stat().st_size for p in paths)
        first = floor(paths)
        env = {**os.environ, "PYTHONPATH": str(REPO), "LZDOCS_TODAY": "2026-11-28"}
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "lzdocs", "-w", str(root), "verify", "--json"], env=env,
                              capture_output=True, text=True, encoding="utf-8")
        verify_s = time.perf_counter() - started
        floor_s = min(first, floor(paths))
        report = json.loads(proc.stdout)
        if proc.returncode != 0 or report["checked"]["files"] != n:
            raise SystemExit(f"verify failed (exit {proc.returncode}): {proc.stdout[-1500:]} {proc.stderr[-1500:]}")
    print(f"{n} files, {total / (1 << 20):.0f} MB, {report['checked']['events']} events")
    print(f"{'floor (read + SHA-256 of every file, hashlib)':52}: {floor_s:6.2f} s")
    print(f"{'lzdocs verify (subprocess, end to end)':52}: {verify_s:6.2f} s  "
          f"(in verify itself: {report['seconds']:.2f} s)")
    print(f"ratio verify/floor: {verify_s / floor_s:.2f}  (target: under a minute)")


if __name__ == "__main__":
    main()

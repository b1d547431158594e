"""Register rebuild for a very large year: time and peak memory of ``write_registers`` on N risk points.

    python benchmarks/bench_register.py [N] [--keep DIR]     # default N = 100000; target: ≤ 15 s, ≤ 300 MB peak RSS

The archive is filled first, in a child process, through the store layer (``add_submission``: 60 units, one
superseded form so that 历史 has rows, real-looking Chinese text); the parent process then runs the writer
alone, so its peak RSS (``resource.getrusage``) is the writer's. All five files are written: the 汇总表 with its
统计 and 历史 sheets, 报送情况登记表, 发文登记簿, 预警处置台账 and the 公示表 (.docx).
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

UNITS = 60
TODAY = dt.date(2026, 11, 28)


def fill(root: Path, n: int) -> None:
    """A workspace whose archive holds ``n`` current risk points for 2026 (plus 1,000 superseded ones)."""
    from lzdocs.store import Store
    from lzdocs.store.submissions import add_submission
    from lzdocs.workspace import SAMPLE, Workspace

    ws, _ = Workspace.init(root, SAMPLE)
    units = [f"单位{i:03d}" for i in range(UNITS)]
    (root / "units.csv").write_text("单位,别名\n" + "".join(f"{u},\n" for u in units), encoding="utf-8")
    store = Store.for_workspace(ws)
    per_unit = -(-n // UNITS)
    with store.begin() as conn:
        sub = 0
        for u, unit in enumerate(units):
            count = min(per_unit, n - u * per_unit)
            versions = [(1000, dt.datetime(2026, 11, 1, 9)), (count, dt.datetime(2026, 11, 10, 9))] if u == 0 else \
                [(count, dt.datetime(2026, 11, 5 + u % 20, 9))]
            for rows, received in versions:
                sub += 1
                add_submission(conn, rows=[_row(unit, i) for i in range(1, rows + 1)], sha256=f"{sub:064x}",
                               kind="risk", status="accepted", unit=unit, year=2026, filled_date=received.date(),
                               received_at=received, original_name=f"{unit}.docx", source=f"inbox/{unit}.docx",
                               stored_as=f"outbox/2026/收文/{unit}/{unit}-{sub}.docx")
    store.close()


def _row(unit: str, i: int) -> dict:
    return {"seq": str(i), "post": f"岗位{i % 17}", "duties": f"负责{unit}第{i}项业务的审核、审批和监督管理",
            "risk": f"在第{i}项业务中利用职务便利违规操作、收受好处，造成国有资产流失",
            "category": "业务流程", "level": i % 3 + 1, "owner": f"责任人{i % 50}", "row": i + 3,
            "measures": "严格执行集体决策和公开公示制度；关键环节双人负责、定期轮岗；纪检部门全过程监督"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="write the workspace here and keep it (to look at the files)")
    parser.add_argument("--fill-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill_only:
        fill(args.fill_only, args.n)
        return 0
    with tempfile.TemporaryDirectory(prefix="lzdocs-bench-") as tmp:
        root = (args.keep or Path(tmp)) / "ws"
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, str(args.n), "--fill-only", str(root)], check=True)
        print(f"archive filled with {args.n:,} risk points in {time.perf_counter() - started:.1f} s")
        return run_writer(root)


def run_writer(root: Path) -> int:
    import resource

    from lzdocs.documents.registers import write_registers
    from lzdocs.store import Store
    from lzdocs.workspace import Workspace

    ws = Workspace.open(root)
    store = Store.for_workspace(ws)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    result = write_registers(ws, store, 2026, TODAY)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    store.close()
    for path in result.files:
        print(f"  {ws.relative(path)}  {path.stat().st_size / 2**20:.1f} MB")
    print(f"write_registers: {seconds:.1f} s, peak RSS {peak:.0f} MB (after imports {baseline:.0f} MB); "
          f"target ≤ 15 s, ≤ 300 MB")
    return 0 if seconds <= 15 and peak <= 300 and not result.failed else 1


if __name__ == "__main__":
    raise SystemExit(main())

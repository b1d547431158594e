"""A large school, and a busy week: work that must grow with the forms and units, not with their square.

    python benchmarks/bench_scale.py [N]   # default N = 1000 units

Two workspaces, each ingested by the real command in a subprocess:
- N units, one form each (the forms of ``bench_ingest.make_forms``), then ``lzdocs summary`` (the year's report:
  its tables list every unit, its chart of levels per unit comes in parts of at most 20 units);
- N / 2 units that each send a form and then a corrected one (N forms in one run: every second form supersedes the
  one before, which the quality review's copy index must follow without starting over).
Each time is printed beside the N-distinct-units ingest, the linear reference: a quadratic step shows as a ratio
that grows with N (before the fixes of 2026-12-06, at N = 1000: the summary 363 s, the corrected forms 46 s).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_ingest import LEVELS, make_forms, new_workspace  # noqa: E402

from lzdocs.documents.blankform import write_docx  # noqa: E402
from lzdocs.forms.schema import risk_kind  # noqa: E402
from lzdocs.workspace import Workspace  # noqa: E402

TODAY = "2026-12-06"


def corrected_forms(folder: Path, units: int) -> list[Path]:
    """Each unit's form, then its corrected form (another wording of every point, filled three days later)."""
    kind, paths = risk_kind(), []
    for i in range(units):
        unit = f"单位{i:04d}"
        for version, day in ((1, 9), (2, 12)):
            rows = [{"seq": str(k), "post": f"岗位{k % 7}", "duties": f"{unit}职责{k}",
                     "risk": f"{unit}的第{k}个风险点（第{version}稿）：违规操作、收受好处", "category": "业务流程",
                     "level": LEVELS[k % 3], "measures": f"措施{k}：制度约束、集体决策", "owner": f"责任人{k}"}
                    for k in range(1, 21)]
            paths.append(write_docx(kind, folder / f"{unit}_{version}.docx", unit=unit, rows=rows,
                                    date=dt.date(2026, 11, day)))
    return paths


def run(ws: Workspace, *args: str) -> float:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "lzdocs", "-w", str(ws.root), *args], capture_output=True,
                          text=True, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "LZDOCS_TODAY": TODAY})
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        print(proc.stderr[-2000:])
        raise SystemExit(f"lzdocs {' '.join(args)} failed")
    return elapsed


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"生成 {n} 个单位的表格，和 {n // 2} 个单位各报两稿的表格…", flush=True)
        (tmp / "one").mkdir()
        (tmp / "two").mkdir()
        distinct, corrected = make_forms(tmp / "one", n), corrected_forms(tmp / "two", n // 2)
        ws = new_workspace(tmp / "ws", n)
        for p in distinct:
            shutil.copy2(p, ws.inbox / p.name)
        os.sync()
        ingest = run(ws, "ingest", "--json")
        summary = run(ws, "summary", "--json")
        again = new_workspace(tmp / "ws2", n // 2)
        for p in corrected:
            shutil.copy2(p, again.inbox / p.name)
        os.sync()
        twice = run(again, "ingest", "--json")
    print(f"收表 {n} 个单位各 1 份                 : {ingest:6.2f} s")
    print(f"年度总结（{n} 个单位）                 : {summary:6.2f} s  （收表的 {summary / ingest:.2f} 倍）")
    print(f"收表 {n // 2} 个单位各 2 稿（{n} 份，后稿取代前稿）: {twice:6.2f} s  （收表的 {twice / ingest:.2f} 倍）")


if __name__ == "__main__":
    main()

"""Ingest throughput against the floor (open each zip, parse its XML parts with lxml), measured in one run.

    python benchmarks/bench_ingest.py [N]        # default N = 1000; target: ingest ≤ 5 × floor
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lzdocs.documents.blankform import write_docx, write_xlsx  # noqa: E402
from lzdocs.forms.schema import risk_kind  # noqa: E402
from lzdocs.workspace import Workspace  # noqa: E402

LEVELS = ["一级", "二级", "三级"]


def make_forms(folder: Path, n: int) -> list[Path]:
    kind = risk_kind()
    template_rows = lambda u: [  # noqa: E731
        {"seq": str(i), "post": f"岗位{i % 7}", "duties": f"{u}职责{i}", "risk": f"{u}的第{i}个风险点：违规操作、收受好处",
         "category": "业务流程", "level": LEVELS[i % 3], "measures": f"措施{i}：制度约束、集体决策、公开公示",
         "owner": f"责任人{i}"} for i in range(1, 21)]
    paths = []
    for i in range(n):
        unit = f"单位{i:04d}"
        writer, suffix = (write_docx, ".docx") if i % 2 == 0 else (write_xlsx, ".xlsx")
        paths.append(writer(kind, folder / f"{unit}{suffix}", unit=unit, rows=template_rows(unit),
                            date=dt.date(2026, 11, 10)))
    return paths


def floor(paths: list[Path]) -> float:
    """Seconds to open every zip and parse every XML part — the least any reader must do."""
    started = time.perf_counter()
    for path in paths:
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                if name.endswith((".xml", ".rels")):
                    etree.fromstring(zf.read(name))
    return time.perf_counter() - started


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        ws, _ = Workspace.init(Path(tmp) / "ws")
        (ws.root / "units.csv").write_text("单位,别名\n" + "".join(f"单位{i:04d},\n" for i in range(n)), encoding="utf-8")
        source = Path(tmp) / "forms"
        source.mkdir()
        print(f"生成 {n} 份表格（一半 .docx、一半 .xlsx，每份 20 行）…", flush=True)
        paths = make_forms(source, n)
        floor_s = min(floor(paths) for _ in range(3))
        for p in paths:
            shutil.copy2(p, ws.inbox / p.name)
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "lzdocs", "-w", str(ws.root), "ingest", "--json"],
                              capture_output=True, text=True, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
        ingest_s = time.perf_counter() - started
        if proc.returncode != 0:
            print(proc.stderr[-2000:], proc.stdout[-1500:])
            raise SystemExit("ingest failed")
    print(f"floor  (zip + lxml of every part): {floor_s:6.2f} s  {n / floor_s:7.1f} forms/s  "
          f"{floor_s / n * 1000:5.2f} ms/form")
    print(f"ingest (lzdocs ingest, end to end): {ingest_s:6.2f} s  {n / ingest_s:7.1f} forms/s  "
          f"{ingest_s / n * 1000:5.2f} ms/form")
    print(f"ratio ingest/floor: {ingest_s / floor_s:.2f}  (target ≤ 5)")


if __name__ == "__main__":
    main()

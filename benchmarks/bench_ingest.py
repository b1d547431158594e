"""Ingest throughput against the durable floor (what any safe ingest of a form must do), measured in one run.

    python benchmarks/bench_ingest.py [N] [--repeat R]   # default N = 1000, R = 3; target: ingest ≤ 3 × floor

The floor, per file: parse with lxml only the XML parts that hold data (word/document.xml of a .docx;
xl/workbook.xml, the sheets and xl/sharedStrings.xml of an .xlsx), copy the file into the archive folder
and fsync it, commit one SQLite transaction (WAL, synchronous=FULL, sqlite3 directly: one INSERT for the
submission, executemany for its rows), rename the copy into place. The ingest is the real command in a
subprocess, end to end: start-up, claiming, reading and checking, the archive, moving, and the registers
rebuilt once, into a new workspace each time. Floor and ingest run in turn, R times each (the floor once more at
the end); the fastest of each counts, as ``timeit`` counts: this machine's neighbours only ever add time.

The package is byte-compiled first (``compileall``) and the ingest runs without PYTHONDONTWRITEBYTECODE, as after a
user's ``pip install``: a test environment that sets that variable would otherwise recompile every lzdocs module in
each command.
"""

from __future__ import annotations

import compileall
import datetime as dt
import os
import re
import shutil
import sqlite3
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
from lzdocs.workspace import SAMPLE, Workspace  # noqa: E402

LEVELS = ["一级", "二级", "三级"]


def make_forms(folder: Path, n: int) -> list[Path]:
    kind = risk_kind()
    template_rows = lambda u: [
        {"seq": str(i), "post": f"岗位{i % 7}", "duties": f"{u}职责{i}",
         "risk": f"{u}的第{i}个风险点：违规操作、收受好处",
         "category": "业务流程", "level": LEVELS[i % 3], "measures": f"措施{i}：制度约束、集体决策、公开公示",
         "owner": f"责任人{i}"} for i in range(1, 21)]
    paths = []
    for i in range(n):
        unit = f"单位{i:04d}"
        writer, suffix = (write_docx, ".docx") if i % 2 == 0 else (write_xlsx, ".xlsx")
        paths.append(writer(kind, folder / f"{unit}{suffix}", unit=unit, rows=template_rows(unit),
                            date=dt.date(2026, 11, 10)))
    return paths


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
X = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
DATA_PARTS = re.compile(r"word/document\.xml|xl/workbook\.xml|xl/sharedStrings\.xml|xl/worksheets/[^/]+\.xml")
FLOOR_SCHEMA = """
CREATE TABLE submissions (id INTEGER PRIMARY KEY, name TEXT NOT NULL, stored_as TEXT NOT NULL, received_at TEXT);
CREATE TABLE risks (id INTEGER PRIMARY KEY, submission_id INTEGER NOT NULL REFERENCES submissions(id),
                    row INTEGER, cells TEXT);
"""


def data_rows(path: Path) -> list[str]:
    """The rows of the form's table, parsed from the data parts only (cells joined; enough to store them)."""
    rows = []
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if not DATA_PARTS.fullmatch(name):
                continue
            root = etree.fromstring(zf.read(name))
            tag = W + "tr" if name.startswith("word/") else X + "row"
            rows += ["\t".join(t.text or "" for t in tr.iter(W + "t", X + "v", X + "t")) for tr in root.iter(tag)]
    return rows


def floor(paths: list[Path], work: Path) -> float:
    """Seconds to store every file durably with its rows: the least a safe ingest must do."""
    dest = work / "archive"
    dest.mkdir(parents=True)
    db = sqlite3.connect(work / "floor.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(FLOOR_SCHEMA)
    started = time.perf_counter()
    for path in paths:
        rows = data_rows(path)
        part = dest / f".{path.name}.part"
        with open(path, "rb") as src, open(part, "wb") as out:
            shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
        db.execute("BEGIN IMMEDIATE")
        sid = db.execute("INSERT INTO submissions (name, stored_as, received_at) VALUES (?, ?, datetime('now'))",
                         (path.name, f"archive/{path.name}")).lastrowid
        db.executemany("INSERT INTO risks (submission_id, row, cells) VALUES (?, ?, ?)",
                       [(sid, i, cells) for i, cells in enumerate(rows, 1)])
        db.execute("COMMIT")
        os.replace(part, dest / path.name)
    elapsed = time.perf_counter() - started
    db.close()
    shutil.rmtree(work)
    return elapsed


def new_workspace(where: Path, n: int) -> Workspace:
    """A new workspace whose roster is the n units of ``make_forms`` (单位0000 …)."""
    ws, _ = Workspace.init(where, SAMPLE)
    (ws.root / "units.csv").write_text("单位,别名\n" + "".join(f"单位{i:04d},\n" for i in range(n)), encoding="utf-8")
    return ws


def ingest(paths: list[Path], where: Path, n: int) -> float:
    """Seconds of ``lzdocs ingest`` of every file, from a new workspace's inbox."""
    ws = new_workspace(where, n)
    for p in paths:
        shutil.copy2(p, ws.inbox / p.name)
    os.sync()  # the copies' writing is not the ingest's
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "lzdocs", "-w", str(ws.root), "ingest", "--json"],
                          capture_output=True, text=True, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        print(proc.stderr[-2000:], proc.stdout[-1500:])
        raise SystemExit("ingest failed")
    shutil.rmtree(where)
    return elapsed


def arguments(n: int, repeat: int) -> tuple[int, int]:
    """``[N] [--repeat R]`` from the command line: forms, and runs of each side (``n``, ``repeat`` unless given)."""
    args = sys.argv[1:]
    if "--repeat" in args:
        at = args.index("--repeat")
        repeat = int(args[at + 1])
        del args[at:at + 2]
    return (int(args[0]) if args else n), repeat


def main() -> None:
    n, repeat = arguments(1000, 3)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "forms"
        source.mkdir()
        print(f"生成 {n} 份表格（一半 .docx、一半 .xlsx，每份 20 行）…", flush=True)
        paths = make_forms(source, n)
        compileall.compile_dir(REPO / "lzdocs", quiet=1)
        floors, ingests = [], []
        for i in range(repeat):
            floors.append(floor(paths, Path(tmp) / f"floor{i}"))
            ingests.append(ingest(paths, Path(tmp) / f"ws{i}", n))
            print(f"  第 {i + 1} 轮：floor {floors[-1]:.2f} s，ingest {ingests[-1]:.2f} s", flush=True)
        floors.append(floor(paths, Path(tmp) / "floor-last"))
    floor_s, ingest_s = min(floors), min(ingests)
    for label, seconds in (("floor  (data parts, copy + fsync, one SQLite commit, rename)", floor_s),
                           ("ingest (lzdocs ingest, end to end)", ingest_s)):
        print(f"{label:62}: {seconds:6.2f} s  {n / seconds:7.1f} forms/s  {seconds / n * 1000:5.2f} ms/form")
    print(f"ratio ingest/floor: {ingest_s / floor_s:.2f}  (target ≤ 3; fastest of {repeat} runs each)")


if __name__ == "__main__":
    main()

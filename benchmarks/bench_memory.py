"""Peak memory and time of `lzdocs ingest` on hostile and oversized workbooks, against the floor of importing the CLI.

    python benchmarks/bench_memory.py            # all files; target: every peak < 300 MB
    python benchmarks/bench_memory.py sparse     # only the files whose name contains "sparse"

Each file is ingested by `python -m lzdocs -w WS ingest FILE --json` in its own child process; the peak is that
child's maximum resident set size (``os.wait4`` in a small launcher), the floor the same for
`python -c "import lzdocs.cli"`.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lzdocs.documents.blankform import write_xlsx  # noqa: E402
from lzdocs.forms.schema import risk_kind  # noqa: E402

TARGET_MB = 300
SHEET = "xl/worksheets/sheet1.xml"
SAMPLE = [{"seq": str(i), "post": f"岗位{i}", "duties": f"职责{i}", "risk": f"第{i}个风险点：违规操作",
           "category": "岗位职责", "level": "二级", "measures": f"措施{i}：集体决策", "owner": f"责任人{i}"}
          for i in range(1, 21)]


def normal_form(path: Path) -> Path:
    """A filled form of 20 rows, as `lzdocs form` writes it."""
    import datetime as dt

    return write_xlsx(risk_kind(), path, unit="计划财务处", rows=SAMPLE, date=dt.date(2026, 11, 10))


def _with_rows(path: Path, rows, tail: bytes = b"", parts: dict[str, bytes] | None = None) -> Path:
    """A filled form whose sheet gets ``rows`` (an iterable of XML byte chunks) after its own rows, and ``parts``."""
    src = normal_form(path.with_name(f"src-{path.name}"))
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename != SHEET:
                zout.writestr(item.filename, zin.read(item.filename))
        for name, data in (parts or {}).items():
            zout.writestr(name, data)
        head, rest = zin.read(SHEET).split(b"</sheetData>", 1)
        with zout.open(SHEET, "w", force_zip64=True) as fh:
            fh.write(head)
            for chunk in rows:
                fh.write(chunk)
            fh.write(b"</sheetData>" + tail + rest)
    src.unlink()
    return path


def sparse_million_rows(path: Path, rows: int = 1_000_000) -> Path:
    """About 20 MB (90 MB unpacked): a form, then a million rows with one number each, and a cell in column GQ."""
    rng = random.Random(4711)

    def chunks():
        batch = []
        for r in range(40, rows):
            batch.append(b'<row r="%d" spans="1:199"><c r="B%d" s="6"><v>%d.%d</v></c></row>'
                         % (r, r, rng.randrange(10**9), rng.randrange(10**18)))
            if len(batch) == 10_000:
                yield b"".join(batch)
                batch = []
        yield b"".join(batch)
        yield b'<row r="%d"><c r="GQ%d" t="inlineStr"><is><t>x</t></is></c></row>' % (rows, rows)

    return _with_rows(path, chunks())


def sparse_empty_rows(path: Path, rows: int = 1_000_000) -> Path:
    """About 7 MB (70 MB unpacked): a form, then a million rows of formatted but empty cells out to column GQ."""
    def chunks():
        for start in range(40, rows + 1, 10_000):
            yield b"".join(b'<row r="%d" spans="1:199"><c r="B%d" s="6"/><c r="GQ%d" s="6"/></row>' % (r, r, r)
                           for r in range(start, min(start + 10_000, rows + 1)))

    return _with_rows(path, chunks())


def full_sheet(path: Path, rows: int = 10_000, columns: int = 50) -> Path:
    """The most the default limits admit on one sheet: every cell of rows × columns holds a different number."""
    letters = [_letters(c) for c in range(columns)]

    def chunks():
        for r in range(40, rows + 1):
            yield (b'<row r="%d">' % r + b"".join(b'<c r="%s%d"><v>%d</v></c>' % (col, r, r * 100 + c)
                                                  for c, col in enumerate(letters)) + b"</row>")

    return _with_rows(path, chunks())


def full_strings(path: Path, rows: int = 10_000, columns: int = 50) -> Path:
    """As full_sheet, but each cell a different shared string of about 20 characters (near the 10-million limit)."""
    letters = [_letters(c) for c in range(columns)]
    first = 40
    count = (rows - first + 1) * columns

    def chunks():
        for r in range(first, rows + 1):
            base = (r - first) * columns
            yield (b'<row r="%d">' % r + b"".join(b'<c r="%s%d" t="s"><v>%d</v></c>' % (col, r, base + c)
                                                  for c, col in enumerate(letters)) + b"</row>")

    sst = (f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{count}">'
           + "".join(f"<si><t>第{i}个风险点的描述和防控措施</t></si>" for i in range(count)) + "</sst>").encode()
    return _with_rows(path, chunks(), parts={"xl/sharedStrings.xml": sst})


def two_full_sheets(path: Path) -> Path:
    """Two sheets as full_sheet: together the most the workbook budget (1,000,000 cells) admits."""
    full_sheet(path)
    ns_r = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    parts["xl/worksheets/sheet2.xml"] = parts[SHEET]
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        b"</sheets>", b'<sheet xmlns:r="%s" name="copy" sheetId="99" r:id="rId99"/></sheets>' % ns_r.encode())
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rId99" Type="%s/worksheet" Target="worksheets/sheet2.xml"/>'
        b"</Relationships>" % ns_r.encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def _letters(col: int) -> bytes:
    out = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        out = chr(65 + rest) + out
    return out.encode()


def worksheet_bomb(path: Path, size: int = 1100 * 2**20) -> Path:
    """About 1 MB on disk, a worksheet of 1.1 GB inflated (as tests/ingest/test_hostile.py builds it)."""
    row = b'<row r="9"><c r="A9" t="inlineStr"><is><t>' + b"A" * 4000 + b"</t></is></c></row>"
    chunk = row * 256
    return _with_rows(path, (chunk for _ in range(size // len(chunk) + 1)))


@dataclass
class Run:
    name: str
    size_mb: float
    unpacked_mb: float
    peak_mb: float
    seconds: float
    status: str
    message: str


# A child's peak RSS on Linux starts at its parent's peak (the parent's memory counts until exec), so every
# measured command is started by this small launcher instead of by the benchmark, which holds big files.
_LAUNCHER = """
import os, subprocess, sys, time
started = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
sys.stderr.write(f"{usage.ru_maxrss} {time.perf_counter() - started} {os.waitstatus_to_exitcode(status)}")
"""


def peak_of(args: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float, int, str]:
    """(peak RSS in MB, seconds, exit code, stdout) of one command, run by a small launcher process."""
    env = env or {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-c", _LAUNCHER, *args], capture_output=True, cwd=cwd, env=env,
                          timeout=600)
    peak_kb, seconds, code = proc.stderr.decode().split()
    return int(peak_kb) / 1024, float(seconds), int(code), proc.stdout.decode("utf-8", "replace")


def ingest(path: Path, workdir: Path) -> Run:
    from lzdocs.workspace import SAMPLE, Workspace

    ws, _ = Workspace.init(workdir / f"ws-{path.stem}", SAMPLE)
    peak, seconds, code, stdout = peak_of(
        [sys.executable, "-m", "lzdocs", "-w", str(ws.root), "ingest", str(path), "--json"], workdir)
    try:
        [result] = json.loads(stdout)
        status = result["status"]
        message = next((p["message"] for p in result.get("problems", []) if p.get("severity") == "error"), "")
    except (ValueError, KeyError):
        status, message = f"exit {code}", stdout[-300:]
    with zipfile.ZipFile(path) as zf:
        unpacked = sum(i.file_size for i in zf.infolist())
    return Run(path.stem, path.stat().st_size / 2**20, unpacked / 2**20, peak, seconds, status, message)


FILES = {
    "normal-20-rows": normal_form,
    "sparse-million-rows-values": sparse_million_rows,
    "sparse-million-rows-empty": sparse_empty_rows,
    "full-sheet-10000x50": full_sheet,
    "full-sheet-shared-strings": full_strings,
    "two-full-sheets": two_full_sheets,
    "worksheet-bomb-1GB": worksheet_bomb,
}


def main() -> None:
    wanted = sys.argv[1] if len(sys.argv) > 1 else ""
    with tempfile.TemporaryDirectory(prefix="lzdocs-bench-memory-") as tmp:
        work = Path(tmp)
        floor, floor_s, _, _ = peak_of([sys.executable, "-c", "import lzdocs.cli"], work)
        print(f"floor: python -c 'import lzdocs.cli'  {floor:6.0f} MB  {floor_s:5.2f} s")
        print(f"{'file':28} {'MB':>6} {'unpacked':>9} {'peak MB':>8} {'s':>6}  result")
        worst = 0.0
        for name, build in FILES.items():
            if wanted not in name:
                continue
            run = ingest(build(work / f"{name}.xlsx"), work)
            worst = max(worst, run.peak_mb)
            print(f"{run.name:28} {run.size_mb:6.1f} {run.unpacked_mb:9.0f} {run.peak_mb:8.0f} {run.seconds:6.1f}  "
                  f"{run.status} {run.message[:90]}", flush=True)
    verdict = "OK" if worst < TARGET_MB else "OVER"
    print(f"worst peak {worst:.0f} MB, target < {TARGET_MB} MB: {verdict}")
    if worst >= TARGET_MB:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

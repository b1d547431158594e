"""Reading forms: the CPU time of lzdocs's reader against parsing the same files' data parts only, in one process.

    python benchmarks/bench_read.py [N] [--repeat R]   # default N = 500 forms (half .docx, half .xlsx), R = 5

The ingest's wall time on a shared two-core machine moves by a second or two from one run to the next
(``bench_ingest.py``); the reading, which an ingest's reader process does for every form, can be measured to a few
per cent: CPU time, in this process, the same files, the two taken in turn R times and the fastest of each counted.

- floor: ``bench_ingest.data_rows`` — the data parts (document.xml; workbook, sheets, sharedStrings) parsed by lxml
  and the text of every table row joined, as the ingest's floor does;
- read: ``read_form`` — the package opened safely, the form found (header, columns, rows, unit, date) — then
  ``check_rows``, the rows checked as the reader process checks them. No copy, no database.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_ingest import arguments, data_rows, make_forms  # noqa: E402

from lzdocs.forms.checks import check_rows  # noqa: E402
from lzdocs.forms.reader import read_form  # noqa: E402
from lzdocs.forms.schema import load_kinds  # noqa: E402
from lzdocs.ooxml.safety import Limits  # noqa: E402


def cpu(work, paths: list[Path]) -> float:
    started = time.process_time()
    for path in paths:
        work(path)
    return time.process_time() - started


def main() -> None:
    n, repeat = arguments(500, 5)
    kinds, limits = load_kinds(), Limits()

    def read(path: Path) -> None:
        form = read_form(path, kinds, limits)
        check_rows(form)

    with tempfile.TemporaryDirectory() as tmp:
        print(f"生成 {n} 份表格（一半 .docx、一半 .xlsx，每份 20 行）…", flush=True)
        paths = make_forms(Path(tmp), n)
        read(paths[0]), data_rows(paths[0])  # modules loaded, caches warm
        floors, reads = [], []
        for _ in range(repeat):
            floors.append(cpu(data_rows, paths))
            reads.append(cpu(read, paths))
    floor_s, read_s = min(floors), min(reads)
    print(f"floor (data parts parsed, rows joined) : {floor_s / n * 1000:5.2f} ms/form CPU")
    print(f"read  (read_form and check_rows)       : {read_s / n * 1000:5.2f} ms/form CPU")
    print(f"ratio read/floor: {read_s / floor_s:.2f}  (fastest of {repeat} runs each; no target: a measure to follow)")


if __name__ == "__main__":
    main()

"""Start-up cost: ``lzdocs --help`` against ``python -c pass``, one letter against a one-shot docxtpl script.

    python benchmarks/bench_startup.py [--runs 20] [--importtime]

Every measurement is a new process, timed from the parent (wall time, median of ``--runs``). The pairs
run alternately in one loop, so a loaded machine slows both sides alike and the ratios stay meaningful. The ratios
of the children's CPU time (user + system, from ``resource``) are printed too: on a machine shared with other work
they leave out the time a process waits for a CPU, and vary less from run to run.

(a) ``python -m lzdocs --help`` against ``python -c pass`` (the same interpreter). Target: ≤ 4×.
(b) one letter end to end — ``python -m lzdocs letter suggestion --unit 计财处 --set …`` in a workspace made
    once (文号 from the archive, the letter written and fsynced, 发文登记簿 and 预警处置台账 rewritten) —
    against a one-shot script that imports docxtpl, loads the packaged template 纪检监察建议书.docx,
    renders the same context and saves the file. Target: ≤ 2×.
    Where the time goes (each a process of its own in the same loop):
    ``python -c "import click, jinja2, lxml.etree, sqlite3, xlsxwriter"`` — the libraries a letter loads (the
    CLI, the template — prepared once and kept in the workspace, so docxtpl and python-docx are not loaded after the
    first letter, which the warm-up run issues — the archive, the registers), the least any letter can cost as
    built; the same with the garbage
    collector paused while importing, as ``lzdocs`` starts (lzdocs/cli/__init__.py: ``main``), so that the rest,
    the letter minus that, is lzdocs' own work (its modules, the template, the archive, the registers); and
    ``python -c "import sqlalchemy"`` minus ``python -c pass``: what a letter would pay more if it loaded the
    archive's query library — it does not: on a SQLite archive its few statements are plain SQL run by ``sqlite3``
    (lzdocs/store/sql.py).
Like a user's pip-installed package, lzdocs runs from compiled ``.pyc`` files: the benchmark first runs
``python -m compileall -q lzdocs`` and starts every subprocess (both sides of each pair alike) without
``PYTHONDONTWRITEBYTECODE``, so no side recompiles its sources on each run.
``--importtime`` also lists the heaviest imports of ``lzdocs --help`` and of the letter
(``python -X importtime``), to see what a command still loads that it does not use.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

try:
    import resource
except ImportError:  # Windows: wall time only
    resource = None

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lzdocs.documents import letters as L  # noqa: E402
from lzdocs.store import Store  # noqa: E402
from lzdocs.workspace import SAMPLE, Workspace  # noqa: E402

DATE = dt.date(2026, 11, 28)
UNIT = "计财处"
SETS = {"事由": "在2026年度廉政风险防控工作检查中", "问题": "采购程序不规范，未按规定公开招标",
        "建议": "完善采购制度，严格执行招标规定"}
TEMPLATE = ROOT / "lzdocs" / "templates" / "纪检监察建议书.docx"

LIBRARIES = "import click, jinja2, lxml.etree, sqlite3, xlsxwriter"
ONE_SHOT = """\
import json, sys
import jinja2
from docxtpl import DocxTemplate
context = json.loads(open(sys.argv[1], encoding="utf-8").read())
doc = DocxTemplate(sys.argv[2])
doc.render(context, jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined))
doc.save(sys.argv[3])
"""


def children_cpu() -> float:
    """User + system CPU seconds of the child processes waited for so far (0 where ``resource`` is missing)."""
    if resource is None:
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], env: dict, cwd: Path | None = None) -> tuple[float, float]:
    """Wall time and CPU time (s) of one run of ``argv``."""
    cpu, start = children_cpu(), time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv[:4])}… failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-2000:]}")
    return elapsed, children_cpu() - cpu


def alternate(commands: dict[str, tuple[list[str] | Callable[[], list[str]], dict]],
              runs: int) -> tuple[dict[str, float], dict[str, float]]:
    """Median wall time and median CPU time (s) of each command, the commands taking turns run after run."""
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (argv, env) in commands.items():
            wall, cpu = timed(argv() if callable(argv) else argv, env)
            walls[name].append(wall)
            cpus[name].append(cpu)
    return ({name: statistics.median(v) for name, v in walls.items()},
            {name: statistics.median(v) for name, v in cpus.items()})


def letter_context(ws: Workspace) -> dict:
    """What the letter command renders: the checked fields plus a 文号 (the same for every one-shot run)."""
    kind = L.KINDS["suggestion"]
    with Store(f"sqlite:///{ws.state / 'bench-unused.db'}") as store:
        letter = L.LetterOffice(ws, store).prepare(kind, UNIT, dict(SETS), DATE)
    return {**letter.context, "文号": "内工大纪建〔2026〕1号"}


def heaviest_imports(argv: list[str], env: dict, top: int = 12) -> list[tuple[float, str]]:
    """The slowest top-level imports (cumulative ms) of a command, from ``python -X importtime``."""
    proc = subprocess.run([sys.executable, "-X", "importtime", *argv], env=env, capture_output=True, text=True)
    found = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if not cumulative.strip().isdigit():
            continue
        depth = (len(name) - len(name.lstrip())) // 2
        if depth <= 1:  # the imports lzdocs itself triggers, not what they pull in
            found.append((int(cumulative) / 1000, name.strip()))
    return sorted(found, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--importtime", action="store_true", help="also list the heaviest imports")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    env.pop("LZDOCS_WORKSPACE", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: .pyc files, written once and reused
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "lzdocs")], env=env, check=True)
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="lzdocs-bench-") as tmp:
        tmp = Path(tmp)
        ws, _ = Workspace.init(tmp / "ws", SAMPLE)
        context_file = tmp / "context.json"
        context_file.write_text(json.dumps(letter_context(ws), ensure_ascii=False), encoding="utf-8")
        script = tmp / "one_shot.py"
        script.write_text(ONE_SHOT, encoding="utf-8")
        sets = [a for k, v in SETS.items() for a in ("--set", f"{k}={v}")]
        letter = [py, "-m", "lzdocs", "-w", str(ws.root), "letter", "suggestion", "--unit", UNIT, *sets,
                  "--date", DATE.isoformat()]
        outputs = iter(range(10**6))
        one_shot = lambda: [py, str(script), str(context_file), str(TEMPLATE), str(tmp / f"one-{next(outputs)}.docx")]
        timed(letter, env), timed(one_shot(), env)  # warm the disk cache and the .pyc files once
        started = time.perf_counter()
        medians, cpu_medians = alternate({"pass": ([py, "-c", "pass"], env),
                             "help": ([py, "-m", "lzdocs", "--help"], env),
                             "one_shot": (one_shot, env),
                             "letter": (letter, env),
                             "libraries": ([py, "-c", LIBRARIES], env),
                             "libraries_paused": ([py, "-c", f"import gc; gc.disable(); {LIBRARIES}"], env),
                             "sqlalchemy": ([py, "-c", "import sqlalchemy"], env)},
                            args.runs)
        wall = time.perf_counter() - started
        letters = len(list((ws.root / "outbox" / str(DATE.year) / "纪检监察建议书").glob("*.docx")))
        heavy = {"lzdocs --help": heaviest_imports(["-m", "lzdocs", "--help"], env),
                 "lzdocs letter": heaviest_imports(letter[1:], env)} if args.importtime else {}
    ms = {k: v * 1000 for k, v in medians.items()}
    cpu = {k: v * 1000 for k, v in cpu_medians.items()}
    print(f"start-up: median of {args.runs} alternating runs each (python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, {wall:.0f} s in all; {letters} letters issued)")
    print(f"python -c pass                : {ms['pass']:7.1f} ms")
    print(f"python -m lzdocs --help       : {ms['help']:7.1f} ms   ratio {ms['help'] / ms['pass']:5.2f}  (target ≤ 4)"
          f"   CPU time ratio {cpu['help'] / cpu['pass']:5.2f}")
    print(f"one-shot docxtpl script       : {ms['one_shot']:7.1f} ms")
    print(f"python -m lzdocs letter …     : {ms['letter']:7.1f} ms   ratio {ms['letter'] / ms['one_shot']:5.2f}  "
          f"(target ≤ 2)   CPU time ratio {cpu['letter'] / cpu['one_shot']:5.2f}")
    report_the_gap(ms, cpu)
    for title, rows in heavy.items():
        print(f"\nheaviest imports of {title} (cumulative ms, python -X importtime):")
        for cost, name in rows:
            print(f"  {cost:7.1f}  {name}")


def report_the_gap(ms: dict[str, float], cpu: dict[str, float]) -> None:
    """Where a letter's time goes beside the one-shot script: its libraries' import, lzdocs' own, and SQLAlchemy's
    that it no longer pays; each as wall time and as CPU time (the steadier of the two on a shared machine)."""
    def line(label: str, key: str | None, value: dict[str, float], note: str) -> None:
        wall, used = (ms[key], cpu[key]) if key else (value["wall"], value["cpu"])
        print(f"  {label:<26}: {wall:7.1f} ms = {wall / ms['one_shot']:4.2f}×   CPU {used:7.1f} ms = "
              f"{used / cpu['one_shot']:4.2f}×   {note}")

    minus = {name: {"wall": ms[a] - ms[b], "cpu": cpu[a] - cpu[b]}
             for name, (a, b) in {"alchemy": ("sqlalchemy", "pass"), "own": ("letter", "libraries_paused")}.items()}
    print("where the letter's time goes (× the one-shot script):")
    line("its libraries alone", "libraries", {}, f"(python -c \"{LIBRARIES}\")")
    line("  collector paused", "libraries_paused", {}, "(the same, imported as lzdocs starts: the least a letter "
         "can cost as built)")
    line("lzdocs' own work", None, minus["own"], "(the letter minus its libraries, collector paused: modules, "
         "template, archive, registers)")
    line("not loaded: sqlalchemy", None, minus["alchemy"], "(python -c \"import sqlalchemy\" minus python -c pass: "
         "what the letter would cost more if it loaded it)")

if __name__ == "__main__":
    main()

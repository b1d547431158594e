"""``lzdocs demo``: a workspace with realistic sample forms, run end to end through ``Office``, reporting what it made.

All demo-only code lives in this package: the sample forms (``forms``, ``samples``), the steps after ingest
(``steps``: letters, notices, registers), and a short-lived watcher (``watch``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from lzdocs import interrupts
from lzdocs.clock import Clock
from lzdocs.demo.forms import Timeline, write_sample_forms
from lzdocs.demo.steps import STEPS, Echo, shown
from lzdocs.errors import ConfigError
from lzdocs.office import Office
from lzdocs.workspace import CONFIG_NAME, SAMPLE, Workspace

__all__ = ["DEFAULT_NAME", "demo_folder", "run_demo"]

DEFAULT_NAME = "lzdocs-演示"


def demo_folder(directory: Path | None, *, force: bool = False, here: Path | None = None) -> Path:
    """Where the demo goes: a new folder each run (lzdocs-演示, lzdocs-演示-2 …) when none is named; a named folder
    that already holds files only with ``force`` (the demo then runs in it again)."""
    if directory is None:
        base = here or Path.cwd()
        n = 1
        while (base / (DEFAULT_NAME if n == 1 else f"{DEFAULT_NAME}-{n}")).exists():
            n += 1
        return base / (DEFAULT_NAME if n == 1 else f"{DEFAULT_NAME}-{n}")
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())) and not force:
        what = "演示工作区" if (directory / CONFIG_NAME).is_file() else "文件夹"
        raise ConfigError(f"“{directory}”已是一个有内容的{what}，演示不会写入已有的文件夹",
                          hint="不写文件夹名即新建一个演示文件夹；确要在其中重新演示请加 --force")
    return directory


def run_demo(directory: Path, *, echo: Echo, today: dt.date) -> dict:
    """Make (or reuse) the demo workspace (the sample school's), receive two batches of forms on their days, then
    run every step."""
    ws, created = Workspace.init(directory, SAMPLE)
    timeline = Timeline.ending(today)
    if ws.root / "lzdocs.toml" in created:  # a new demo: its deadline falls inside the simulated weeks
        config = ws.root / "lzdocs.toml"
        config.write_text(config.read_text(encoding="utf-8").replace(
            'deadline = "11-16"', f'deadline = "{timeline.deadline.isoformat()}"'), encoding="utf-8")
        ws = Workspace.open(ws.root)
    with Office(ws, today=today) as office:  # a folder whose archive is lost: refused before a form is dropped
        assert office.store is not None
    echo(f"演示工作区：{ws.root}")
    echo(f"模拟报送：截止日期 {timeline.deadline:%Y-%m-%d}；"
         f"{timeline.received[0]:%m-%d} 收到第一批 10 份，{timeline.received[1]:%m-%d} 收到迟交和修改后的 3 份。")
    outcomes, years = [], set()
    for batch, received in enumerate(timeline.received, 1):
        write_sample_forms(ws.inbox, timeline, batch, ws.school)  # dropped in the inbox on the simulated day, taken
        with Office(ws, clock=Clock(received.date(), lambda received=received: received)) as on_that_day:
            report = on_that_day.ingest(registers=False)  # written once, by the last step
        outcomes += report.outcomes
        years |= report.years
        if report.interrupted is not None:  # Ctrl-C: what was taken is shown, and no step follows
            break
    report_json: dict = {"workspace": str(ws.root), "ingest": [o.as_dict() for o in outcomes], "files": []}
    _print_ingest(echo, outcomes, ws)
    cut_short = "演示没有做完"
    interrupts.reporting(cut_short)  # a Ctrl-C from here lets the step under way finish, then the demo reports
    with Office(ws, today=today) as office:
        for step in STEPS:
            if interrupts.pressed():
                break
            try:
                step(office, echo, report_json, years)
            except KeyboardInterrupt:  # pressed three times, or a wait it ended (interrupts.stop_waiting)
                if not interrupts.pressed():
                    raise
                break
    interrupts.reporting(cut_short)  # its words, not those of the last letter it issued
    return report_json


def _print_ingest(echo: Echo, outcomes, ws: Workspace) -> None:
    accepted = [o for o in outcomes if o.status == "accepted"]
    rejected = [o for o in outcomes if o.status == "rejected"]
    echo(f"\n收取 {len(accepted)} 份：")
    for o in accepted:
        extra = f"，替换 {o.supersedes}" if o.supersedes else ""
        echo(f"  ✓ {o.file} → {o.unit}，{o.rows} 个风险点{extra}")
    echo(f"退回 {len(rejected)} 份（已移到 {shown(ws, ws.rejected)}，旁边有错误说明）：")
    for o in rejected:
        echo(f"  ✗ {o.file}")
        for p in o.errors:
            echo(f"      {p.describe()}")

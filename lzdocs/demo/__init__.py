"""``lzdocs demo``: a workspace with realistic sample forms, run end to end through ``Office``, reporting what it made.

All demo-only code lives in this package: the sample forms (``forms``, ``samples``), the steps after ingest
(``steps``: letters, notices, registers), and a short-lived watcher (``watch``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from lzdocs.clock import Clock
from lzdocs.demo.forms import Timeline, write_sample_forms
from lzdocs.demo.steps import STEPS, Echo
from lzdocs.office import Office
from lzdocs.workspace import Workspace

__all__ = ["run_demo"]


def run_demo(directory: Path, *, echo: Echo, today: dt.date) -> dict:
    """Make (or reuse) the demo workspace, receive two batches of forms on their days, then run every step."""
    ws, created = Workspace.init(directory)
    timeline = Timeline.ending(today)
    if ws.root / "lzdocs.toml" in created:  # a new demo: its deadline falls inside the simulated weeks
        config = ws.root / "lzdocs.toml"
        config.write_text(config.read_text(encoding="utf-8").replace(
            'deadline = "11-16"', f'deadline = "{timeline.deadline.isoformat()}"'), encoding="utf-8")
        ws = Workspace.open(ws.root)
    echo(f"演示工作区：{ws.root}")
    echo(f"模拟报送：截止日期 {timeline.deadline:%Y-%m-%d}；"
         f"{timeline.received[0]:%m-%d} 收到第一批 10 份，{timeline.received[1]:%m-%d} 收到迟交和修改后的 3 份。")
    outcomes, years = [], set()
    for batch, received in enumerate(timeline.received, 1):
        write_sample_forms(ws.inbox, timeline, batch)
        with Office(ws, clock=Clock(received.date(), lambda received=received: received)) as on_that_day:
            report = on_that_day.ingest(registers=False)  # written once, by the last step
        outcomes += report.outcomes
        years |= report.years
    report_json: dict = {"workspace": str(ws.root), "ingest": [o.as_dict() for o in outcomes], "files": []}
    _print_ingest(echo, outcomes)
    with Office(ws, today=today) as office:
        for step in STEPS:
            step(office, echo, report_json, years)
    return report_json


def _print_ingest(echo: Echo, outcomes) -> None:
    accepted = [o for o in outcomes if o.status == "accepted"]
    rejected = [o for o in outcomes if o.status == "rejected"]
    echo(f"\n收取 {len(accepted)} 份：")
    for o in accepted:
        extra = f"，替换 {o.supersedes}" if o.supersedes else ""
        echo(f"  ✓ {o.file} → {o.unit}，{o.rows} 个风险点{extra}")
    echo(f"退回 {len(rejected)} 份（已移到 inbox/退回/，旁边有错误说明）：")
    for o in rejected:
        echo(f"  ✗ {o.file}")
        for p in o.errors:
            echo(f"      {p.describe()}")

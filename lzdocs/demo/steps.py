"""The demo's steps after ingest, each ``step(office, echo, report, years)``: letters, notices, a watcher, registers."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from lzdocs.demo.watch import demo_watch
from lzdocs.office import Office
from lzdocs.textutil import chinese_date

if TYPE_CHECKING:
    from lzdocs.workspace import Workspace

Echo = Callable[[str], None]


def shown(ws: Workspace, path) -> str:
    """A path as the user can type it from where they stand (relative to the current folder when below it): the
    demo's hints work when copied."""
    path = ws.root / path if not Path(path).is_absolute() else Path(path)
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd().resolve()) else str(path)
    except (OSError, ValueError):  # another drive on Windows
        return str(path)

LETTERS = {
    "suggestion": ("计划财务处", {"事由": "在本年度廉政风险防控工作检查中",
                                 "问题": "部分采购项目未按规定公开招标\n报销审核把关不严",
                                 "建议": "完善采购管理制度，严格执行招标程序\n落实报销“双签”制度",
                                 "抄送": "学校党委、党政办公室"}),
    "accountability": ("基建处", {"对象": "基建处负责人", "事由": "在工程项目专项检查中",
                                 "问题": "工程变更签证未履行审批程序", "要求": "说明工程变更未经审批的原因及责任人"}),
    "talk": ("国有资产管理处", {"对象": "国有资产管理处负责人", "事由": "在固定资产清查中发现资产处置不规范",
                               "谈话时间": "{date}上午9:00", "谈话地点": "纪委办公室", "谈话人": "纪委副书记"}),
    "rectify": ("后勤管理处", {"事由": "在廉政风险点排查复查中", "问题": "食堂物资采购验收记录不全",
                               "整改要求": "建立采购验收台账\n每月公开采购价格"}),
}

NOTICE_TITLE = "关于印发《廉政风险防控机制建设工作实施方案》的通知"
NOTICE_PRINTER = "内蒙古工业大学党政办公室"  # 印发机关 of the 2011 original


def demo_letters(office: Office, echo: Echo, report: dict, years: set[int]) -> None:
    """One letter of each kind, then a 催报通知 to every unit the demo left without a form (registers come last)."""
    from lzdocs.documents.letters import KINDS, units_to_urge, urge_values

    letters, today = office.letters, office.today
    year = max(years) if years else today.year
    echo("\n纪检监察文书（已登记到发文登记簿、预警处置台账）：")
    issued = []
    for key, (unit, values) in LETTERS.items():
        values = {k: v.format(date=chinese_date(today + dt.timedelta(days=3))) for k, v in values.items()}
        issued.append(letters.issue(letters.prepare(KINDS[key], unit, values, today)))
    deadline = office.ws.settings.deadline(year)
    # As lzdocs urge writes them: with the 报送年度 (the 发文登记簿's 备注 “2026年度”, by which a later urge knows who
    # was sent one), and a 提醒 rather than a 催报 on a day before the deadline.
    values = urge_values(office.ws, year, today, {}, reminder=bool(deadline and today <= deadline))
    for unit in units_to_urge(office.ws, office.store, year):
        issued.append(letters.issue(letters.prepare(KINDS["urge"], unit, values, today)))
    for item in issued:
        echo(f"  {item.kind.name} {item.number} → {shown(office.ws, item.path)}")
    report.setdefault("files", []).extend(office.ws.relative(i.path) for i in issued)
    report["letters"] = [letters.as_dict(i) for i in issued]


def notice_text(year: int) -> str:
    """The reference notice's text and the plan it issues (``实施方案.md`` here), with this year's dates."""
    text = (resources.files("lzdocs.demo") / "实施方案.md").read_text(encoding="utf-8")
    return text.replace("2011年11月", f"{year}年11月")  # the plan's deadlines; 〔2011〕10号 stays as cited


def notice_body(year: int) -> tuple:
    from lzdocs.documents.markdown_body import parse_body

    return tuple(parse_body(notice_text(year), markdown=True))


def demo_notices(office: Office, echo: Echo, report: dict, years: set[int]) -> None:
    """The reference notice (内工大党发〔2011〕18号) regenerated, 1999 style as in 2011 and 2012 style; the body is
    also left in the workspace to try the command."""
    from lzdocs.documents.notice import FORM

    today = office.today
    common = dict(body=notice_body(today.year), attachments=(FORM,), date=today, printer=NOTICE_PRINTER)
    made = [office.notice(NOTICE_TITLE, style="1999", signer="刘振洪", keywords="廉政 方案 通知", **common),
            office.notice(NOTICE_TITLE, style="2012", **common)]
    sample = office.ws.root / "示例正文-实施方案.md"
    if not sample.exists():
        sample.write_text(notice_text(today.year), encoding="utf-8")
    echo("\n红头公文（GB/T 9704，附空白表，已登记到发文登记簿）：")
    for item, style in zip(made, ("1999 年版式，同 2011 年原件", "2012 年版式")):
        echo(f"  {item.number}（{style}）→ {shown(office.ws, item.path)}")
    echo(f"  试一试：lzdocs -w {_quoted(shown(office.ws, office.ws.root))} notice --title \"{NOTICE_TITLE}\" "
         f"--body {_quoted(shown(office.ws, sample))} --attachment form")
    report.setdefault("files", []).extend(office.ws.relative(p) for item in made for p in item.files)
    report["notices"] = [{"number": str(item.number), "style": style,
                          "files": [office.ws.relative(p) for p in item.files]}
                         for item, style in zip(made, ("1999", "2012"))]


def demo_registers(office: Office, echo: Echo, report: dict, years: set[int]) -> None:
    """The registers of the years the demo touched, and the state of the submissions."""
    from lzdocs.documents.status import LATE, MISSING, SUBMITTED

    for year in sorted(years) or [office.today.year]:
        result = office.registers(year)
        status = office.status(year)
        echo(f"\n{year} 年登记簿和公示表：")
        for path in result.files:
            echo(f"  {shown(office.ws, path)}")
        for warning in result.warnings:
            echo(f"  提醒：{warning}")
        echo(f"  报送情况：按时报送 {len(status.names(SUBMITTED))} 个，逾期报送 {len(status.names(LATE))} 个，"
             f"未报送 {len(status.names(MISSING))} 个；逾期未回复的文书 {len(status.overdue)} 件")
        report.setdefault("files", []).extend(office.ws.relative(p) for p in result.files)
        report.setdefault("status", {})[str(year)] = status.as_dict()


def demo_publicity(office: Office, echo: Echo, report: dict, years: set[int]) -> None:
    """The 公示表 posted, as the office posts it once the forms are in (``lzdocs publicity``): kept under its 公示期."""
    from lzdocs.documents.publicity import period_text

    year = office.programme_year()
    posted = office.publicity(year)
    echo(f"\n发布 {year} 年公示表（公示期 {period_text(posted.start, posted.end)}，{posted.units} 个单位、"
         f"{posted.points} 个风险点），留档：")
    echo(f"  {shown(office.ws, posted.file)}")
    for warning in posted.warnings:
        echo(f"  提醒：{warning}")
    report.setdefault("files", []).append(office.ws.relative(posted.file))
    report["publicity"] = posted.as_dict(office.ws.relative)


def _quoted(text: str) -> str:
    return f'"{text}"' if any(c in text for c in " （）()&") else text


STEPS: list[Callable[[Office, Echo, dict, set[int]], None]] = [
    demo_letters, demo_notices, demo_watch, demo_publicity, demo_registers]  # registers last: they list the letters

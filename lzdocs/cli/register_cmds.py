"""``lzdocs register`` and ``lzdocs status``: the year's registers, and who submitted, who is late, what is overdue."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import click

from lzdocs.cli import cli
from lzdocs.cli.common import (
    YEAR,
    YEAR_HELP,
    Env,
    ExitStatus,
    command,
    json_option,
    parse_date_option,
    pass_env,
)
from lzdocs.forms.values import LEVEL_NAMES
from lzdocs.textutil import chinese_date

if TYPE_CHECKING:
    from rich.table import Table

    from lzdocs.documents.status import SubmissionStatus



@command(cli, "register")
@click.option("--year", type=YEAR, help=YEAR_HELP)
@click.option("--all-schools", is_flag=True,
              help="改为生成同一数据库中各校的汇总表（高校工委用：学校 × 单位 × 风险等级）")
@json_option
@pass_env
def register_command(env: Env, year: int | None, all_schools: bool) -> None:
    """重新生成某年度的登记簿和公示表（全部由档案库数据重建，可反复运行）。

    \b
    生成在 outbox/<年度>/ 下：
      登记簿/<年度>年廉政风险点汇总表.xlsx   工作表：汇总、统计（含图表）、历史
      登记簿/报送情况登记表.xlsx             名单中每个单位：按时报送/逾期报送/未报送
      登记簿/发文登记簿.xlsx、预警处置台账.xlsx
      公示/<年度>年廉政风险点公示表.docx      lzdocs.toml 中 [publicity] show_owner 决定是否列出责任人
    示例：
      lzdocs register
      lzdocs register --year 2026 --json
      lzdocs register --all-schools        各校共用一个 PostgreSQL 数据库（每校一个 schema）时：
                                           登记簿/<年度>年各校廉政风险点汇总表.xlsx（工作表：各校、各单位）
    退出码：0 全部生成；1 有文件未能更新（例如正在 Excel/WPS 中打开）；2 用法或设置错误。
    """
    ws = env.workspace()
    office = env.office()
    year = year or office.programme_year()
    if all_schools:
        path, schools = office.schools_register(year)
        if env.json:
            env.emit({"year": year, "files": [ws.relative(path)], "schools": [_school_json(c) for c in schools]})
        else:
            env.echo(f"已生成 {year} 年各校汇总表（{len(schools)} 所学校）：{ws.relative(path)}")
            _note_copies(env, schools)
        return
    result = office.registers(year)
    for warning in result.warnings:
        env.note(f"提醒：{warning}")
    if env.json:
        env.emit({"year": year, "files": [ws.relative(p) for p in result.files], "warnings": result.warnings,
                  "failed": [ws.relative(p) for p in result.failed]})
    else:
        env.echo(f"已生成 {year} 年登记簿和公示表：")
        for path in result.files:
            env.echo(f"  {ws.relative(path)}")
        for path in result.failed:
            env.echo(f"  未能更新：{ws.relative(path)}")
    if result.failed:
        raise SystemExit(ExitStatus.SOME_REJECTED)


@command(cli, "publicity")
@click.option("--year", type=YEAR, help=YEAR_HELP)
@click.option("--start", "start", metavar="日期", help="公示期第一天，如 2026-12-01（默认：lzdocs.toml 的 [publicity] "
              "start，未写则为今天）")
@click.option("--days", type=click.IntRange(1, 365), metavar="天数",
              help="公示期天数，含首尾两天（默认：lzdocs.toml 的 [publicity] days，7 天）")
@json_option
@pass_env
def publicity_command(env: Env, year: int | None, start: str | None, days: int | None) -> None:
    """发布公示表：按档案库现有的风险点生成一份注明公示期的公示表，另存留档，以后不再改动。

    \b
    公示/ 下的公示表是登记簿，每收到一份表都会按档案库重新生成。张贴或在网上
    公示时运行本命令，生成的是这次公示的留档件：
      公示/已发布/<年度>年廉政风险点公示表（公示期2026年12月1日至12月7日）.docx
    它记入档案清单（lzdocs verify 核对其 SHA-256），以后不再改动；再次发布另存一份，
    不会覆盖。此后重新生成的公示表沿用这次的公示期（lzdocs.toml 写了 start/end 的除外），
    lzdocs summary --package 的上报材料也放这份已发布的公示表。
    示例：
      lzdocs publicity
      lzdocs publicity --start 2026-12-01 --days 5
      lzdocs publicity --year 2026 --json
    退出码：0 已发布；2 用法或设置错误（如该年度还没有收取任何表格、已归档）。
    """
    office = env.office()
    posted = office.publicity(year, start=parse_date_option(start, office.today, "--start"), days=days)
    for warning in posted.warnings:
        env.note(f"提醒：{warning}")
    ws = office.ws
    if env.json:
        env.emit(posted.as_dict(ws.relative))
        return
    from lzdocs.documents.publicity import period_text

    env.echo(f"已发布 {posted.year} 年公示表：{ws.relative(posted.file)}")
    env.echo(f"  公示期：{period_text(posted.start, posted.end)}（{(posted.end - posted.start).days + 1} 天）；"
             f"{posted.units} 个单位、{posted.points} 个风险点")
    for path in posted.registers:
        env.echo(f"  随收表更新的公示表已重新生成：{ws.relative(path)}")


def _school_json(counts) -> dict:
    total = counts.totals
    return {"school": counts.school, "short": counts.short, "codes": counts.codes, "units": len(counts.units),
            "levels": {str(k): total[k] for k in (1, 2, 3)}, "risks": sum(total.values()),
            "by_unit": {unit: {str(k): c[k] for k in (1, 2, 3)} for unit, c in sorted(counts.units.items())},
            "schema": counts.schema, "copies": counts.copies, "diverged": counts.diverged}


def _note_copies(env: Env, schools) -> None:
    """Schemas with another copy of a school's archive (``db copy`` to the same database), counted once: which one
    was counted, and what to do with the others."""
    for counts in schools:
        settled = [name for name in counts.copies if name not in counts.diverged]
        if settled:
            env.note(f"提醒：schema {'、'.join(settled)} 里是{counts.school}档案库的另一份副本"
                     f"（lzdocs db copy 复制的），没有重复计入，汇总按记录最新的 schema {counts.schema} 统计；"
                     "确认各台电脑的 [database] url 都不再用它后，可请数据库管理员删除这个 schema")
        if counts.diverged:
            env.note(f"提醒：{counts.school}档案库有两份副本在复制之后都记录了新内容：schema {counts.schema} 和 "
                     f"{'、'.join(counts.diverged)}，汇总只按 schema {counts.schema} 统计；"
                     "请该校确认 lzdocs.toml 中 [database] url 用的是哪一份，把另一份里多出的记录补进来后再删除它")


@command(cli, "status")
@click.option("--year", type=YEAR, help=YEAR_HELP)
@click.option("--all-schools", is_flag=True, help="改为列出同一数据库中各校的报送单位数和各等级风险点数")
@json_option
@pass_env
def status_command(env: Env, year: int | None, all_schools: bool) -> None:
    """查看报送情况：哪些单位按时报送、逾期报送、未报送，各等级风险点数，哪些文书逾期未回复。

    \b
    按时报送：单位已有被收取的表格，且第一份被收取的表格在截止日期当天或之前收到；
    逾期报送：第一份被收取的表格在截止日期之后收到；
    未报送：  名单中的单位还没有被收取的表格（被退回的不算）。
    三者互不重叠：一个单位只属于其中一类。截止日期见 lzdocs.toml 的 [submission] deadline。
    示例：
      lzdocs status
      lzdocs status --year 2026 --json
    """
    office = env.office()
    if all_schools:
        schools = office.schools(year)
        if env.json:
            env.emit({"year": year or office.programme_year(), "schools": [_school_json(c) for c in schools]})
            return
        for counts in schools:
            total = counts.totals
            env.echo(f"{counts.school}：报送单位 {len(counts.units)} 个，风险点 {sum(total.values())} 个（一级 "
                     f"{total[1]}、二级 {total[2]}、三级 {total[3]}）")
        _note_copies(env, schools)
        return
    report = office.status_report(year)
    status = report.status
    if env.json:
        env.emit({**status.as_dict(), "units": [_unit_json(u) for u in status.units], "watcher": report.watcher,
                  "watchers": report.watchers, "reviews": report.reviews,
                  "publicity": [p.as_dict() for p in report.postings]})
        return
    env.echo(render_status(status, report.watcher, width=max(100, shutil.get_terminal_size((120, 24)).columns),
                           reviews=report.reviews, watchers=report.watchers, postings=report.postings), nl=False)


def _unit_json(u) -> dict:
    return {"unit": u.unit, "recorded_as": u.recorded_as or u.unit, "state": u.state, "on_roster": u.on_roster,
            "first_received": u.first_received,
            "arrived": u.arrived.isoformat() if u.arrived else None,
            "file": u.file, "versions": u.versions, "risks": u.risks, "rejections": u.rejections,
            "last_rejection": u.last_rejection or None}


def render_status(status: SubmissionStatus, watcher: dict | None = None, width: int = 110, *,
                  reviews: dict | None = None, watchers: list[dict] | None = None, postings: list | None = None) -> str:
    """The human report: a table of units, the counts, overdue letters, the 公示表 posted — as text for stdout."""
    from rich.console import Console

    from lzdocs.documents.status import LATE, MISSING, STATE_NAMES, SUBMITTED

    console = Console(width=width, color_system=None, highlight=False, soft_wrap=True)
    deadline = chinese_date(status.deadline) if status.deadline else "未设置"
    with console.capture() as capture:
        console.print(f"{status.year} 年廉政风险点报送情况（截止日期：{deadline}；"
                      f"统计日期：{chinese_date(status.today)}）")
        console.print(_units_table(status))
        for state in (SUBMITTED, LATE, MISSING):
            names = status.names(state)
            console.print(f"{STATE_NAMES[state]}：{len(names)} 个" + (f"（{'、'.join(names)}）" if names and
                                                                        state != SUBMITTED else ""))
        levels = "，".join(f"{LEVEL_NAMES[k]} {status.levels.get(k, 0)} 个" for k in LEVEL_NAMES)
        console.print(f"当前风险点：{levels}，合计 {sum(status.levels.values())} 个")
        if postings:
            last = postings[-1]
            more = f"（共发布 {len(postings)} 次）" if len(postings) > 1 else ""
            console.print(f"公示表：{last.at:%Y-%m-%d} 发布{more}，公示期 {last.start:%Y-%m-%d} 至 "
                          f"{last.end:%Y-%m-%d}，{last.units} 个单位、{last.points} 个风险点（{last.file}）")
        if reviews is not None:
            console.print(f"风险点复核：已逾期 {reviews['overdue']} 个，{reviews['due_within_days']} 天内到期 "
                          f"{reviews['due']} 个，防控措施未落实 {reviews['not_done']} 个（详见 lzdocs review）")
        if status.overdue:
            console.print(_overdue_table(status))
        else:
            console.print("没有逾期未回复的文书。")
        later = [o for o in status.follow_up if o["step"] != "reply"]  # overdue replies are listed above
        if later:
            console.print(_follow_up_table(later))
        if watcher is not None:
            several = watchers or []
            where = (f"（{len(several)} 个，收件文件夹：{'、'.join(str(w.get('inbox')) for w in several)}）"
                     if len(several) > 1 else "")
            console.print(f"自动收取（lzdocs watch）：{'运行中' if watcher.get('running') else '未运行'}{where}")
    return capture.get()


def _units_table(status: SubmissionStatus) -> Table:
    from rich import box
    from rich.table import Table

    table = Table("序号", "单位", "报送状态", "收到日期", "风险点", "版本", "退回", "最近退回原因", box=box.SIMPLE_HEAD,
                  title=None, show_edge=False)
    for n, u in enumerate(status.units, 1):
        first = u.arrived.isoformat() if u.arrived else ""  # on time or late by this day
        reason = u.last_rejection if len(u.last_rejection) <= 30 else u.last_rejection[:29] + "…"
        table.add_row(str(n), u.label + ("（不在名单）" if not u.on_roster else ""), u.state_name, first,
                      str(u.risks), str(u.versions), str(u.rejections), reason)
    return table


def _overdue_table(status: SubmissionStatus) -> Table:
    from rich import box
    from rich.table import Table

    from lzdocs.documents.status import kind_name

    table = Table("文号", "单位", "文种", "回复期限", "逾期天数", box=box.SIMPLE_HEAD, show_edge=False,
                  title=f"逾期未回复的文书（{len(status.overdue)} 件）", title_justify="left")
    for o in status.overdue:
        table.add_row(o.number, o.unit, kind_name(o.kind), o.reply_due.isoformat(), str(o.days_overdue))
    return table


def _follow_up_table(overdue: list[dict]) -> Table:
    """Warnings overdue at a step after the reply: 整改核查, 办结."""
    from rich import box
    from rich.table import Table

    from lzdocs.documents.status import kind_name

    table = Table("文号", "单位", "文种", "处置状态", "逾期环节", "期限", "逾期天数", box=box.SIMPLE_HEAD,
                  show_edge=False, title=f"整改核查、办结逾期的预警处置（{len(overdue)} 件）", title_justify="left")
    for o in overdue:
        table.add_row(o["number"], o["unit"], kind_name(o["kind"]), o["state_name"], o["step_name"], o["due"],
                      str(o["days_overdue"]))
    return table

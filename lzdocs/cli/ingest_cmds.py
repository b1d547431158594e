"""``lzdocs ingest`` and ``lzdocs risks``: taking filled forms into the archive and listing what it holds."""

from __future__ import annotations

from pathlib import Path

import click

from lzdocs.cli import cli
from lzdocs.cli.common import YEAR, Env, ExitStatus, command, json_option, pass_env
from lzdocs.cli.progress import progress_bar
from lzdocs.forms.checks import level_name
from lzdocs.ingest import Ingest, Outcome

STATUS_NAMES = {"accepted": "已收取", "rejected": "退回", "duplicate": "重复", "ignored": "已忽略", "failed": "未收取"}


@command(cli, "ingest")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查，不入库、不移动任何文件")
@json_option
@pass_env
def ingest_command(env: Env, paths: tuple[Path, ...], dry_run: bool) -> None:
    """处理收件文件夹里的表格，或指定的文件/文件夹（指定的文件只复制，不移动）。

    \b
    示例：
      lzdocs ingest                      处理 inbox/ 里的全部表格
      lzdocs ingest D:\\收到的表格 --json  处理一个文件夹，输出 JSON
      lzdocs ingest 计财处.docx --dry-run  只检查一个文件
    退出码：0 全部收取；1 有文件被退回或未能收取；2 用法或设置错误。
    """
    outcomes, registers = run_ingest(env, paths, dry_run=dry_run)
    if env.json:
        env.emit([o.as_dict() for o in outcomes])
    else:
        print_outcomes(env, outcomes, dry_run=dry_run, where="指定的文件或文件夹" if paths else "收件文件夹")
    for path in registers:
        env.echo(f"已更新 {path}")
    if any(o.status in ("rejected", "failed") for o in outcomes):
        raise SystemExit(ExitStatus.SOME_REJECTED)


def run_ingest(env: Env, paths=(), *, dry_run: bool = False) -> tuple[list[Outcome], list[str]]:
    """Ingest the inbox or the given paths, then rebuild the registers of the years touched (once).

    Returns the outcomes and the register files written (workspace-relative)."""
    ws = env.workspace()
    with env.store() as store:
        with progress_bar("处理表格", enabled=not env.json) as update:
            job = Ingest(ws, store, today=env.today, progress=update)
            outcomes = job.run_paths(paths, dry_run=dry_run) if paths else job.run_inbox(dry_run=dry_run)
        registers = [] if dry_run else rebuild_registers(env, ws, store, job.touched_years)
        return outcomes, registers


def rebuild_registers(env: Env, ws, store, years, *, warn=None) -> list[str]:
    """Rewrite the registers of each year once; returns the files written (``warn`` gets each Chinese warning)."""
    try:
        from lzdocs.documents.registers import write_registers
    except ImportError:  # the registers module ships with issue 3
        return []
    written: list[str] = []
    for year in sorted(years):
        result = write_registers(ws, store, year, env.today)
        written += [ws.relative(p) for p in getattr(result, "files", [])]
        for text in getattr(result, "warnings", []) if warn else []:
            warn(text)
    return written


def print_outcomes(env: Env, outcomes: list[Outcome], *, dry_run: bool = False, where: str = "收件文件夹") -> None:
    litter = sum(o.status == "ignored" and not o.problems for o in outcomes)  # lock and temp files: not shown
    if len(outcomes) == litter:
        env.echo(f"{where}里没有待处理的表格" + (f"（已跳过 {litter} 个临时或锁定文件）。" if litter else "。"))
        return
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
        if o.status == "ignored" and not o.problems:
            continue
        head = f"[{STATUS_NAMES[o.status]}] {o.file}"
        if o.status == "accepted":
            head += f" —— {o.unit}，{o.year} 年，{o.rows} 个风险点"
            if o.supersedes:
                head += f"（替换此前报送的 {o.supersedes}）"
            if o.superseded_on_arrival:
                head += f"（填表日期早于已收的 {o.superseded_by}，已直接存入历史记录，登记簿仍以后者为准）"
        env.echo(head)
        for p in o.problems:
            env.echo(f"    {p.describe()}")
        if o.status == "rejected" and o.stored_as:
            env.echo(f"    已移到 {o.stored_as}，错误说明见同名 .错误说明.txt")
    summary = "，".join(f"{STATUS_NAMES[k]} {v} 个" for k, v in counts.items())
    env.echo(("（试运行，未做任何改动）" if dry_run else "") + f"共 {len(outcomes)} 个文件：{summary}。")


@command(cli, "risks")
@click.option("--year", type=YEAR, help="年度（默认：全部）")
@click.option("--unit", help="单位（可用别名）")
@json_option
@pass_env
def risks_command(env: Env, year: int | None, unit: str | None) -> None:
    """列出当前有效的风险点（每个单位每年以最新报送的表为准）。

    \b
    示例：
      lzdocs risks --year 2026 --unit 计财处
      lzdocs risks --json > 风险点.json
    """
    from lzdocs.store import submissions as subs

    ws = env.workspace()
    if unit:
        roster = ws.roster()
        resolved = roster.resolve(unit)
        if roster and resolved is None:
            near = "、".join(roster.closest(unit)) or "无"
            env.note(f"提醒：单位“{unit}”不在单位名单中（最接近：{near}），按所写名称查找")
        unit = resolved or unit
    with env.store() as store:
        with store.read() as conn:
            rows = [risk_record(r) for r in subs.current_risks(conn, year=year, unit=unit)]
    if env.json:
        env.emit(rows)
        return
    if not rows:
        env.echo("没有符合条件的风险点。")
        return
    for r in rows:
        env.echo(f"{r['year']} {r['unit']}｜{r['post']}｜{level_name(r['level'])}｜{r['risk']}")
    env.echo(f"共 {len(rows)} 个风险点。")


def risk_record(row) -> dict:
    return {"unit": row["unit"], "year": row["year"], "seq": row["seq"], "post": row["post"],
            "duties": row["duties"], "risk": row["risk"], "category": row["category"], "level": row["level"],
            "measures": row["measures"], "owner": row["owner"],
            "source_file": row["stored_as"] or row["original_name"],
            "filled_date": row["filled_date"].isoformat() if row["filled_date"] else None}

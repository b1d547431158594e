"""``lzdocs verify``: the archive proves itself — the events' hash chain, every recorded file, no stray file, SQLite."""

from __future__ import annotations

import click

from lzdocs.cli import cli
from lzdocs.cli.common import YEAR, Env, ExitStatus, command, json_option, pass_env


@command(cli, "verify")
@click.option("--year", type=YEAR, help="只检查该年度 outbox/<年度>/ 下的文件（事件记录总是整体检查）")
@json_option
@pass_env
def verify_command(env: Env, year: int | None) -> None:
    """检查档案是否完好：事件记录的校验链、每个归档文件的大小和 SHA-256、有无记录之外的文件、数据库完整性。

    \b
    示例：
      lzdocs verify
      lzdocs verify --year 2026 --json
    只检查、只报告，不改动、不删除任何文件。退出码：0 全部完好；1 发现问题；2 用法或设置错误。
    """
    report = env.office().verify(year)
    if env.json:
        env.emit(report.as_dict())
    else:
        _print(env, report, year)
    if not report.ok:
        raise SystemExit(ExitStatus.SOME_REJECTED)


def _print(env: Env, report, year: int | None) -> None:
    checked = report.checked
    parts = [f"事件 {checked.get('events', 0)} 个",
             f"{f'{year} 年度' if year else ''}文件 {checked.get('files', 0)} 个（{_size(checked.get('bytes', 0))}）"]
    if "database" in checked:
        parts.append("数据库完整性检查")
    env.echo(f"已检查：{'，'.join(parts)}，用时 {report.seconds:.1f} 秒")
    for finding in report.findings:
        env.echo(f"  {finding.line()}")
    unfinished = sum(f.kind == "unfinished" for f in report.findings)
    if report.ok:
        env.echo("结论：全部完好，档案自记录以来没有被改动。")
    elif unfinished == len(report.findings):
        env.echo(f"结论：没有发现改动，但有 {unfinished} 个文件属于中断的收取（见上）："
                 "运行一次 lzdocs ingest 后再检查。")
    else:
        env.echo(f"结论：发现 {len(report.findings)} 处问题（见上）。档案可能被改动过：请核实每一处，"
                 "从备份恢复被改动或删除的文件；verify 没有改动任何东西。")


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"共 {n / scale:.1f} {unit}"
    return f"共 {n} 字节"

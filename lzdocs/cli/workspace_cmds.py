"""``lzdocs init``, ``lzdocs form`` and ``lzdocs demo``: making a workspace, blank forms and the guided tour."""

from __future__ import annotations

from pathlib import Path

import click

from lzdocs.cli import cli
from lzdocs.cli.common import Env, command, json_option, pass_env
from lzdocs.workspace import Workspace


@cli.command("init")
@click.argument("directory", type=click.Path(path_type=Path), default=".")
@json_option
@pass_env
def init_command(env: Env, directory: Path) -> None:
    """新建工作区（可重复运行；已有的文件不会被覆盖）。

    \b
    示例：
      lzdocs init D:\\廉政风险防控2026
    """
    ws, created = Workspace.init(directory)
    if env.json:
        env.emit({"workspace": str(ws.root), "files": [ws.relative(p) for p in created]})
        return
    env.echo(f"工作区：{ws.root}")
    for p in created:
        if p != ws.root:
            env.echo(f"  新建 {ws.relative(p)}")
    if not created:
        env.echo("  已是工作区，没有改动。")
    env.echo("下一步：编辑 lzdocs.toml 和 units.csv（单位名单），然后运行 lzdocs form --all 生成空白表。")


@command(cli, "form")
@click.option("--unit", "units", multiple=True, help="为该单位生成（可多次使用；可用别名）")
@click.option("--all", "all_units", is_flag=True, help="为名单中的每个单位各生成一份")
@click.option("--format", "fmt", type=click.Choice(["docx", "xlsx"]), default="docx", show_default=True,
              help="文件格式")
@click.option("--kind", "kind_key", default="risk", show_default=True,
              help="表格种类：risk（岗位风险分析和防控措施表）、落实情况（防控措施落实情况检查表，按单位预填当前风险点），"
                   "或 forms/*.toml 中的 key")
@json_option
@pass_env
def form_command(env: Env, units: tuple[str, ...], all_units: bool, fmt: str, kind_key: str) -> None:
    """生成空白《岗位风险分析和防控措施表》供下发，可预填单位名称。

    \b
    示例：
      lzdocs form                         一份不填单位的空白表
      lzdocs form --all --format xlsx     每个单位一份 Excel 表
      lzdocs form --unit 计财处 --unit 基建处
      lzdocs form --kind 落实情况 --unit 计财处   预填该单位当前风险点的落实情况检查表
    文件写到 outbox/空白表/。
    """
    ws = env.workspace()
    files = env.office().forms(units, all_units=all_units, fmt=fmt, kind=kind_key)
    if env.json:
        env.emit({"files": [ws.relative(p) for p in files]})
        return
    for p in files:
        env.echo(f"已生成 {ws.relative(p)}")


@cli.command("demo")
@click.argument("directory", type=click.Path(path_type=Path), default="lzdocs-演示")
@json_option
@pass_env
def demo_command(env: Env, directory: Path) -> None:
    """演示：新建一个工作区，放入十几份模拟表格，从头到尾跑一遍，并列出生成的文件。

    \b
    示例：
      lzdocs demo                 在当前文件夹下建“lzdocs-演示”
      lzdocs demo D:\\试用
    """
    from lzdocs.demo import run_demo

    report = run_demo(directory, echo=env.echo, today=env.today)
    if env.json:
        env.emit(report)

"""``lzdocs quality``: the quality review of the forms of a year (hints, never rejections)."""

from __future__ import annotations

import click

from lzdocs.cli import cli
from lzdocs.cli.common import YEAR, YEAR_HELP, Env, command, json_option, pass_env

CODE_NAMES = {"generic_measures": "措施笼统", "copied": "可能照抄", "same_as_previous": "与上年相同",
              "possibly_missing": "可能遗漏", "no_owner": "责任人"}


@command(cli, "quality")
@click.option("--year", type=YEAR, help=YEAR_HELP)
@click.option("--unit", metavar="单位", help="只看一个单位（可用别名）")
@json_option
@pass_env
def quality_command(env: Env, year: int | None, unit: str | None) -> None:
    """审查各单位报送的表格质量：措施笼统、照抄其他单位、与上年相同、可能遗漏、责任人不明（只提示，不退回）。

    \b
    规则见 lzdocs.toml 的 [quality] 和工作区的“质量规则.toml”（可补充笼统表述、高风险业务关键词）。
    示例：
      lzdocs quality --year 2026
      lzdocs quality --year 2026 --unit 计财处 --json
    """
    flags = env.office().quality(year, unit)
    if env.json:
        env.emit([f.as_dict() for f in flags])
        return
    if not flags:
        env.echo("没有发现需要提示的质量问题。")
        return
    for f in flags:
        where = f"第{f.row}行" + (f"（序号{f.seq}）" if f.seq else "") if f.row is not None else "整表"
        env.echo(f"{f.unit}｜{where}｜{CODE_NAMES.get(f.code, f.code)}｜{f.message}")
    units = len({f.unit for f in flags})
    env.echo(f"共 {len(flags)} 条提示，涉及 {units} 个单位。")

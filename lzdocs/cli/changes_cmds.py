"""``lzdocs changes``: each unit's risk points against its previous form: new, removed, changed level or measures."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from lzdocs.cli import cli
from lzdocs.cli.common import YEAR, YEAR_HELP, Env, command, json_option, pass_env

if TYPE_CHECKING:
    from lzdocs.dynamics.changes import Point, UnitChanges


@command(cli, "changes")
@click.option("--year", type=YEAR, help=YEAR_HELP)
@click.option("--unit", metavar="单位", help="只看一个单位（可用别名）")
@json_option
@pass_env
def changes_command(env: Env, year: int | None, unit: str | None) -> None:
    """与上一年度比较各单位的风险点：新增、删除、等级变化、防控措施变化。

    \b
    与各单位上一年度（缺报时为更早的年度）的表比较；此前年度没有报送过的，与本年度此前报送的表比较；
    风险点措辞有调整、内容相似的，仍视为同一风险点（相似度见 lzdocs.toml 的 [changes] match_threshold）。
    示例：
      lzdocs changes --year 2026
      lzdocs changes --year 2026 --unit 计财处 --json
    """
    office = env.office()
    found = office.changes(year, unit)
    if env.json:
        env.emit([c.as_dict() for c in found])
        return
    if not found:
        shown = year or office.programme_year()
        if not office.risks(year=shown, unit=unit):
            env.echo(f"{shown} 年{'该单位' if unit else '还'}没有已收取的《岗位风险分析和防控措施表》，没有可比较的。")
        else:
            env.echo(f"没有可比较的表：{'该单位' if unit else '各单位'}在 {shown} 年以前没有报送过已收取的表。")
        return
    for changes in found:
        print_unit(env, changes)
    same = sum(c.same_as_previous for c in found)
    env.echo(f"共比较 {len(found)} 个单位" + (f"，其中 {same} 个与此前的表完全相同。" if same else "。"))


def print_unit(env: Env, c: UnitChanges) -> None:
    from lzdocs.forms.values import LEVEL_NAMES

    def level(value) -> str:
        return str(LEVEL_NAMES.get(value, value if value is not None else "未定级"))

    def where(p: Point) -> str:
        return f"［{p.post}］{p.risk}" if p.post else p.risk

    head = f"{c.year} 年 {c.unit}（与{c.compared_with}比较）："
    if c.same_as_previous:
        env.echo(head + c.same_label)
        return
    env.echo(head + f"新增 {len(c.new)} 个、删除 {len(c.removed)} 个、等级变化 {len(c.level_changed)} 个、"
                    f"防控措施变化 {len(c.measures_changed)} 个")
    for p in c.new:
        env.echo(f"  新增：{where(p)}（{level(p.level)}）")
    for p in c.removed:
        env.echo(f"  删除：{where(p)}（{level(p.level)}）")
    for ch in c.level_changed:
        env.echo(f"  等级变化：{where(ch.point)}：{level(ch.before)} → {level(ch.after)}")
    for ch in c.measures_changed:
        env.echo(f"  措施变化：{where(ch.point)}：“{ch.before}” → “{ch.after}”")

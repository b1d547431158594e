"""``lzdocs review``: the risk points due or overdue for review (复核), and those whose measures were 未落实."""

from __future__ import annotations

import shutil

import click

from lzdocs.cli import cli
from lzdocs.cli.common import Env, command, json_option, pass_env
from lzdocs.textutil import chinese_date

STATES = {"overdue": "已逾期", "due": "即将到期", "": "未到期"}


@command(cli, "review")
@click.option("--due-within", "due_within", type=click.IntRange(0, 3650), metavar="天数",
              help="列出多少天内到期的复核（默认：lzdocs.toml 的 [reviews] due_within_days，30 天）")
@click.option("--unit", metavar="单位", help="只看这个单位（可用别名）")
@json_option
@pass_env
def review_command(env: Env, due_within: int | None, unit: str | None) -> None:
    """列出到期和逾期的风险点复核，以及防控措施“未落实”的风险点。

    \b
    每个当前风险点按等级定期复核（默认一级每 6 个月、二级每 12 个月、三级每 24 个月，见 lzdocs.toml 的
    [reviews]）；第一次复核从报送的风险表的填表日期算起，之后从收到的《防控措施落实情况检查表》的检查日期算起。
    示例：
      lzdocs review
      lzdocs review --due-within 90 --unit 计财处
      lzdocs form --kind 落实情况 --unit 计财处      生成预填好风险点的落实情况检查表
    """
    items = env.office().reviews(due_within=due_within, unit=unit)
    if env.json:
        env.emit([d.as_dict() for d in items])
        return
    env.echo(render_reviews(items, env.today, width=max(100, shutil.get_terminal_size((120, 24)).columns)), nl=False)


def render_reviews(items, today, width: int = 110) -> str:
    """The reviews as a table per unit, for people."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(width=width, color_system=None, highlight=False, soft_wrap=True)
    with console.capture() as capture:
        console.print(f"风险点复核（统计日期：{chinese_date(today)}）")
        if not items:
            console.print("没有到期或逾期的复核，也没有“未落实”的风险点。")
        units = list(dict.fromkeys(d.unit for d in items))
        for unit in units:
            table = Table("岗位", "风险点", "等级", "上次复核", "下次复核", "状态", "逾期天数", "落实情况",
                          box=box.SIMPLE_HEAD, show_edge=False, title=unit, title_justify="left")
            for d in (d for d in items if d.unit == unit):
                table.add_row(d.post, d.risk, d.level_name, d.last_review.isoformat(), d.next_review.isoformat(),
                              STATES[d.state], str(d.days_overdue) if d.days_overdue else "", d.result or "")
            console.print(table)
        overdue = sum(d.state == "overdue" for d in items)
        due = sum(d.state == "due" for d in items)
        not_done = sum(d.result == "未落实" for d in items)
        console.print(f"合计：已逾期 {overdue} 个，即将到期 {due} 个，未落实 {not_done} 个。")
    return capture.get()

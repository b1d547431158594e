"""``lzdocs void``: 作废 a 文号 — kept in the 发文登记簿 with the reason and date, its file moved, never reused."""

from __future__ import annotations

import datetime as dt

import click

from lzdocs.cli import cli
from lzdocs.cli.common import Env, command, json_option, parse_date_option, pass_env
from lzdocs.textutil import chinese_date


@command(cli, "void")
@click.argument("number", metavar="文号")
@click.option("--reason", required=True, metavar="原因", help="作废原因（记入发文登记簿）")
@click.option("--date", "date_text", metavar="YYYY-MM-DD", help="作废日期（默认今天）")
@json_option
@pass_env
def void_command(env: Env, number: str, reason: str, date_text: str | None) -> None:
    """作废一个文号：发文登记簿中保留并注明作废，文件移到“作废”文件夹，此文号不再使用。

    \b
    示例：
      lzdocs void 内工大纪建〔2026〕3号 --reason 测试时误发
      lzdocs void "内工大纪建[2026]3号" --reason 收文单位写错，已重新发文 --json
    文件移到 outbox/<年份>/作废/（不删除）；发文登记簿的“状态”列写“作废”，备注写明原因和日期。
    """
    result = env.office().void(number, reason, date=parse_date_option(date_text, env.today))
    if env.json:
        env.emit(result)
        return
    env.echo(f"已作废：{result['number']}（{'，'.join(filter(None, [result['title'], result['recipient']]))}），"
             f"原因：{result['reason']}，作废日期 {chinese_date(dt.date.fromisoformat(result['voided']))}")
    for path in result["files"]:
        env.echo(f"  文件已移到 {path}")
    for path in result["missing"]:
        env.note(f"提醒：登记的文件 {path} 没有找到（可能已被移走或删除），只在发文登记簿中标记作废")
    for text in result["warnings"]:
        env.note(f"提醒：{text}")
    env.echo("此文号不会再使用。")

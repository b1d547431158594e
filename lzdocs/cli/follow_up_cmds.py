"""``lzdocs warn``, ``follow-up`` and ``unit``: every warning followed to its end, and a unit's card."""

from __future__ import annotations

import datetime as dt

import click

from lzdocs.cli import cli
from lzdocs.cli.common import Env, command, json_option, parse_date_option, pass_env, print_registers
from lzdocs.cli.letter_cmds import parse_sets
from lzdocs.documents.kinds import NOT_RECTIFIED, RECTIFIED, WAYS
from lzdocs.forms.values import LEVEL_NAMES
from lzdocs.textutil import chinese_date

RISK_HELP = "关联的风险点：编号（lzdocs unit 单位 可查看）或风险点/岗位中的文字；可写多次"


@command(cli, "warn")
@click.argument("kind", metavar="方式")
@click.option("--unit", "-u", metavar="单位", required=True, help="单位（名单中的名称或别名）")
@click.option("--to", "person", metavar="姓名", help="批评教育的对象（个人）")
@click.option("--set", "sets", multiple=True, metavar="字段=值", help="事由=…（必填）、备注=…")
@click.option("--risk", "risks", multiple=True, metavar="风险点", help=RISK_HELP)
@click.option("--date", "date_text", metavar="YYYY-MM-DD", help="批评教育的日期（默认今天）")
@json_option
@pass_env
def warn_command(env: Env, kind: str, unit: str, person: str | None, sets, risks, date_text: str | None) -> None:
    """登记当面进行的批评教育（不发文书）：编登记号，记入发文登记簿和预警处置台账，之后跟踪核查整改直到办结。

    \b
    示例：
      lzdocs warn 批评教育 --unit 基建处 --to 王磊 --set 事由=在2026年度廉政风险防控工作检查中发现审批不规范
      lzdocs warn 批评教育 --unit 计财处 --set 事由=… --risk 12 --date 2026-11-20
    其余五种方式（谈话提醒、责令检查整改、问廉问责书、纪检监察建议书、责成召开专题民主生活会）用 lzdocs letter 发文。
    """
    result = env.office().warn(kind, unit, parse_sets(sets), date=parse_date_option(date_text, env.today),
                               to=person, risks=risks)
    registers = result.pop("registers")
    if env.json:
        env.emit(result)
        return
    whom = f"{result['person']}（{result['unit']}）" if result["person"] else result["unit"]
    day = chinese_date(dt.date.fromisoformat(result["issued"]))
    env.echo(f"已登记批评教育 {result['number']}：{whom}，{day}")
    print_registers(env, registers, summary=True)


@command(cli, "follow-up")
@click.argument("number", metavar="文号")
@click.option("--result", type=click.Choice([RECTIFIED, NOT_RECTIFIED]), help="核查整改的结果")
@click.option("--by", default="", metavar="姓名", help="核查人")
@click.option("--date", "date_text", metavar="YYYY-MM-DD", help="核查（办结）日期（默认今天）")
@click.option("--close", is_flag=True, help="办结（核查结果须为已整改）")
@click.option("--risk", "risks", multiple=True, metavar="风险点", help=RISK_HELP)
@click.option("--correct", is_flag=True, help="更正上次登记的核查（日期可早于它；原登记保留在操作记录中）")
@json_option
@pass_env
def follow_up_command(env: Env, number: str, result: str | None, by: str, date_text: str | None, close: bool,
                      risks, correct: bool) -> None:
    """登记预警处置的跟踪：核查整改情况（已整改/未整改、核查人、日期）、办结，或关联风险点。

    \b
    处置环节：已发出 → 已回复/已谈话（lzdocs reply）→ 整改已核查 → 已办结。
    示例：
      lzdocs follow-up 内工大纪建〔2026〕3号 --result 已整改 --by 张某 --date 2026-12-20
      lzdocs follow-up 内工大纪建〔2026〕3号 --close
      lzdocs follow-up 内工大纪改〔2026〕1号 --result 已整改 --by 张某 --close
    """
    if not (result or close or risks):
        raise click.UsageError("请用 --result 已整改|未整改 登记核查，或 --close 办结，或 --risk 关联风险点")
    record = env.office().follow_up(number, result=result, date=parse_date_option(date_text, env.today), by=by,
                                    close=close, risks=risks, correct=correct)
    if env.json:
        env.emit(record)
        return
    way = WAYS.get(record["kind"], record["kind"])
    env.echo(f"{record['number']}（{record['unit']}，{way}）：{record['state_name']}")
    if record["checked"]:
        env.echo(f"  核查：{record['checked']}，{record['checked_by']}，{record['result']}")
    if record["closed"]:
        env.echo(f"  办结：{record['closed']}")
    if record["risks"]:
        env.echo(f"  关联风险点：{'、'.join(map(str, record['risks']))}")
    if record["overdue"]:
        o = record["overdue"]
        env.echo(f"  注意：{o['step_name']}已逾期 {o['days_overdue']} 天（期限 {o['due']}）")


@command(cli, "unit")
@click.argument("unit", metavar="单位")
@json_option
@pass_env
def unit_command(env: Env, unit: str) -> None:
    """查看一个单位的档案：历年风险点、复核、预警处置（各环节状态）和案例。

    \b
    示例：
      lzdocs unit 计财处
      lzdocs unit 基建处 --json
    """
    card = env.office().unit_card(unit)
    if env.json:
        env.emit(card)
        return
    env.echo(f"{card['unit']}" + (f"（曾用名：{'、'.join(card['former_names'])}）" if card["former_names"] else "")
             + (f"（按名单报送：{card['reports']}）" if card["reports"] else ""))
    env.echo(f"风险点（{len(card['risks'])} 个）：")
    for r in card["risks"]:
        linked = f"  预警：{'、'.join(r['warnings'])}" if r["warnings"] else ""
        level = LEVEL_NAMES.get(r["level"], "等级未填")
        sent_as = f"（报送时名称：{r['unit']}）" if r["unit"] != card["unit"] else ""
        env.echo(f"  [{r['id']}] {r['year']}年{sent_as} {r['post'] or ''}：{r['risk'] or ''}（{level}）{linked}")
    env.echo(f"预警处置（{len(card['warnings'])} 件）：")
    for w in card["warnings"]:
        late = f"，{w['overdue']['step_name']}逾期 {w['overdue']['days_overdue']} 天" if w["overdue"] else ""
        env.echo(f"  {w['number']} {WAYS.get(w['kind'], w['kind'])} 发出 {w['issued']}：{w['state_name']}{late}")
    env.echo(f"复核：{len(card['reviews'])} 次；案例：{len(card['cases'])} 件")

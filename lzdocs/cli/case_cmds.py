"""``lzdocs case add``, ``case void`` and ``case list``: the register of cases and their analysis (后期处置,
警示教育)."""

from __future__ import annotations

import datetime as dt

import click

from lzdocs.cli import cli
from lzdocs.cli.common import YEAR, Env, command, json_option, parse_date_option, pass_env
from lzdocs.errors import FieldError
from lzdocs.textutil import chinese_date, squeeze


@cli.group("case")
def case_group() -> None:
    """违纪违规案例登记与事后分析：登记案例并关联对应的风险点，列出案例供警示教育使用。"""


@command(case_group, "add")
@click.option("--unit", metavar="单位", help="发生案例的单位（可用别名）")
@click.option("--post", metavar="岗位", help="涉及的岗位")
@click.option("--risk-text", metavar="风险内容", help="发生的风险（违纪违规问题的表现）")
@click.option("--type", "case_type", metavar="类型", help="案例类型，如 违纪、违规、违法")
@click.option("--handling", metavar="处理情况", help="处理情况，如 给予党内警告处分")
@click.option("--analysis", metavar="原因分析", help="事后分析：问题发生的原因")
@click.option("--measures", metavar="整改措施", help="针对原因采取的整改和防范措施")
@click.option("--date", "date_text", metavar="YYYY-MM-DD", help="案例日期（发生或查处的日期，默认今天，不能晚于今天）")
@click.option("--risk", "risk_option", metavar="风险点编号",
              help="指定案例对应的风险点：编号见 lzdocs unit 单位（方括号中的数字）；不写时按岗位和风险内容自动关联")
@click.option("--again", is_flag=True,
              help="确是另一起案例时使用：同一单位、日期、类型、岗位和风险内容的案例已登记过，仍再登记一起（默认不重复登记）")
@json_option
@pass_env
def case_add_command(env: Env, unit: str | None, post: str | None, risk_text: str | None, case_type: str | None,
                     handling: str | None, analysis: str | None, measures: str | None, date_text: str | None,
                     risk_option: str | None, again: bool) -> None:
    """登记一起违纪违规案例及事后分析，并关联本单位最相近的风险点（该风险点标记为“已发生”）。

    \b
    示例：
      lzdocs case add --unit 计财处 --post 出纳 --risk-text 挪用公款 --type 违纪 \\
        --handling 给予党内警告处分 --analysis 钱账未分管 --measures 钱账分管、每日盘点 --date 2026-10-12
    岗位和风险内容与风险点的相似度达到 lzdocs.toml 中 [cases] match_threshold（默认 80）时才关联；
    也可用 --risk 风险点编号 直接指定（须是该单位现行的风险点，编号见 lzdocs unit 单位）。
    案例写入当年汇总表的“案例分析”工作表。
    同一单位、同一日期、类型、岗位和风险内容都相同的案例已登记时不再登记（重复运行不会重复计数），
    确是另一起时加 --again。
    """
    risk = None
    if risk_option is not None:
        risk_number = squeeze(risk_option).strip("[]")
        if not risk_number.isdigit():
            raise FieldError(f"风险点编号“{risk_option}”不是数字",
                             hint="编号见 lzdocs unit 单位（方括号中的数字），如 --risk 12")
        risk = int(risk_number)
    result = env.office().case_add(unit or "", post=post or "", risk_text=risk_text or "", case_type=case_type or "",
                                   handling=handling or "", analysis=analysis or "", measures=measures or "",
                                   date=parse_date_option(date_text, env.today), again=again, risk=risk)
    if env.json:
        env.emit(result)
        return
    from lzdocs.dynamics.cases import how_linked, point_text

    env.echo(f"已登记案例 {result['id']}：{result['date']} {result['unit']}｜{result['post']}｜{result['risk']}")
    point, closest = result["risk_point"], result["closest"]
    if point:
        env.echo(f"关联风险点：{point_text(point)}（{how_linked(point)}），已标记为“已发生”")
    elif closest:
        env.echo(f"未关联风险点：最相近的是 {point_text(closest)}（相似度 {closest['score']}%），"
                 f"低于设定的 {result['threshold']}%")
    else:
        env.echo("未关联风险点：档案库中没有该单位的风险点")
    for path in result["registers"]:
        env.echo(f"已更新 {path}")


@command(case_group, "list")
@click.option("--year", type=YEAR, help="年度（按案例日期；默认：全部）")
@click.option("--unit", metavar="单位", help="单位（可用别名）")
@json_option
@pass_env
def case_list_command(env: Env, year: int | None, unit: str | None) -> None:
    """列出登记的违纪违规案例及事后分析（供警示教育使用）。

    \b
    示例：
      lzdocs case list --year 2026
      lzdocs case list --unit 计财处 --json > 案例.json
    """
    rows = env.office().cases(year=year, unit=unit)
    if env.json:
        env.emit(rows)
        return
    if not rows:
        env.echo("没有符合条件的案例。")
        return
    from lzdocs.dynamics.cases import VOID, how_linked, point_text

    void = 0
    for r in rows:
        voided = r["status"] == VOID
        void += voided
        env.echo(f"{r['id']}. {r['date']} {r['unit']}｜{r['post']}｜{r['type']}｜{r['risk']}"
                 + ("（已作废）" if voided else ""))
        point = r["risk_point"]
        env.echo(f"    关联风险点：{point_text(point)}（{how_linked(point)}）" if point else "    关联风险点：无")
        env.echo(f"    处理情况：{r['handling']}")
        env.echo(f"    原因分析：{r['analysis']}")
        env.echo(f"    整改措施：{r['measures']}")
        if voided:
            day = chinese_date(dt.date.fromisoformat(r["voided"]))
            env.echo(f"    已作废：{day}，{r['void_reason']}（不计入统计）")
    counted = f"共 {len(rows) - void} 起案例"
    env.echo(f"{counted}（另有已作废 {void} 起，不计入统计）。" if void else f"{counted}。")


@command(case_group, "void")
@click.argument("case_id", metavar="案例编号")
@click.option("--reason", required=True, metavar="原因", help="作废原因，如 重复登记、单位写错")
@json_option
@pass_env
def case_void_command(env: Env, case_id: str, reason: str) -> None:
    """作废一起登记错了的案例：案例保留并注明作废原因和日期，不再计入任何统计（已发生、案例分析、年度总结）。

    \b
    示例：
      lzdocs case void 3 --reason 重复登记
    案例编号见 lzdocs case list。作废后如需重新登记，再用 lzdocs case add。
    """
    number = squeeze(case_id).removeprefix("案例")
    if not number.isdigit():
        raise FieldError(f"案例编号“{case_id}”不是数字", hint="用 lzdocs case list 查看案例编号，如 lzdocs case void 3 "
                                                         "--reason 重复登记")
    result = env.office().case_void(int(number), reason)
    if env.json:
        env.emit(result)
        return
    env.echo(f"已作废案例 {result['id']}：{result['date']} {result['unit']}｜{result['post']}｜{result['risk']}，"
             f"原因：{result['void_reason']}，作废日期 {chinese_date(dt.date.fromisoformat(result['voided']))}")
    point = "，关联的风险点不再因它标记为“已发生”" if result["risk_point"] else ""
    env.echo(f"该案例保留在案例登记中，不再计入统计{point}")
    for path in result["registers"]:
        env.echo(f"已更新 {path}")

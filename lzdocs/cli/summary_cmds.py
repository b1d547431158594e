"""``lzdocs summary``: the year-end report (总结) from the archive, and the 上报 package for the superior body."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from lzdocs.cli import cli
from lzdocs.cli.common import YEAR, YEAR_HELP, Env, command, json_option, pass_env

if TYPE_CHECKING:
    from lzdocs.documents.summary_final import FinalResult


@command(cli, "summary")
@click.option("--year", type=YEAR, help=YEAR_HELP)
@click.option("--pdf", is_flag=True, help="同时生成 PDF（需要 LibreOffice）")
@click.option("--package", is_flag=True, help="同时生成上报材料：总结、汇总表、公示表和清单（文件夹和 zip）")
@click.option("--final", "final", metavar="文件", type=click.Path(path_type=Path),
              help="登记本处修改好的总结定稿（.docx）：总结文件夹里的文件名，或别处的文件（复制进总结文件夹）")
@json_option
@pass_env
def summary_command(env: Env, year: int | None, pdf: bool, package: bool, final: Path | None) -> None:
    """生成年度廉政风险防控工作总结（报告），数字全部由档案库统计；可同时生成报高校工委备案的上报材料。

    \b
    总结写在 outbox/<年度>/总结/ 下；已有的总结不会被覆盖，新生成的另起文件名（_01、_02 …）。
    内容：报送情况（按时/逾期/未报送）、风险点按等级、类别、单位的分布及与上年度比较（附统计图）、
    复核与落实情况、预警处置及办结情况、逾期未回复的文书、违纪违规案例、表格质量检查。
    --package：outbox/<年度>/上报/ 中放入总结、汇总表、公示表和清单.txt，并打包为 上报.zip。
    示例：
      lzdocs summary --year 2026
      lzdocs summary --year 2026 --pdf --package
      lzdocs summary --final "2026年度廉政风险防控工作总结（定稿）.docx" --package

    \b
    生成的总结可以在 WPS/Word 中修改。改好后用 --final 登记定稿：之后 verify 核对通过、backup 会带上它、
    archive 归档这一份（其中的数字仍按它所依据的那次生成核对）。不登记的话，改过的总结不进备份。
    --final 加 --package（或 --pdf）：用定稿生成上报材料（或 PDF），不再另外生成一份新的总结；
    放在 上报（定稿）/ 和 …（定稿）.pdf，与此前用草稿生成的区分开。
    """
    office = env.office()
    if final is not None:
        _final(env, office.summary_final(final, year, pdf=pdf, package=package))
        return
    result = office.summary(year, pdf=pdf, package=package)
    rel = office.ws.relative
    if env.json:
        env.emit(result.as_dict(rel))
        return
    s = result.numbers
    env.echo(f"已生成 {result.year} 年度工作总结：{rel(result.file)}")
    if result.pdf:
        env.echo(f"  PDF：{rel(result.pdf)}")
    missing = "尚未报送" if s.still_reported else "未报送"  # as the 总结 says it
    env.echo(f"  单位 {len(s.roster)} 个：按时报送 {len(s.on_time)}、逾期报送 {len(s.late)}、"
             f"{missing} {len(s.missing)}；风险点 {s.total} 个；预警处置 {s.warnings.total} 件，"
             f"已办结 {s.warnings.closed} 件；案例 {s.cases} 起")
    if result.package:
        env.echo(f"上报材料：{rel(result.package)}（{rel(result.archive)}）")
        for path in result.contents:
            env.echo(f"  {path.name}")


def _final(env: Env, result: FinalResult) -> None:
    from lzdocs.documents.summary_final import HOW

    rel = env.office().ws.relative
    if env.json:
        env.emit(result.as_dict(rel))
    elif result.how == "same":
        env.echo(f"{result.year} 年度总结定稿已登记过，内容相同，没有再登记：{rel(result.file)}")
    else:
        env.echo(f"已登记 {result.year} 年度总结定稿：{rel(result.file)}（{HOW[result.how]}）")
        env.echo(f"  SHA-256 {result.sha256}，{result.size} 字节；"
                 "之后 verify 核对、backup 备份、archive 归档都以它为准")
    if result.pdf:
        env.echo(f"  PDF：{rel(result.pdf)}")
    if result.package:
        env.echo(f"上报材料（用定稿）：{rel(result.package)}（{rel(result.archive)}）")
        for path in result.contents:
            env.echo(f"  {path.name}")
    for text in result.warnings:
        env.note(f"提醒：{text}")

"""``lzdocs archive``: the year's 归档 package (DA/T 22—2015), which closes the year; ``--reopen`` opens it again."""

from __future__ import annotations

import click

from lzdocs.cli import cli
from lzdocs.cli.common import YEAR, Env, command, json_option, pass_env
from lzdocs.cli.progress import progress_bar


@command(cli, "archive")
@click.argument("dest", metavar="文件夹", required=False, type=click.Path(file_okay=True, dir_okay=True))
@click.option("--year", type=YEAR, help="归档的年度")
@click.option("--reopen", "reopen", type=YEAR, metavar="年份", help="重新打开已归档的年度（记入操作记录）")
@click.option("--reason", default="", metavar="原因", help="重新打开的原因（与 --reopen 一起用）")
@click.option("--unfinished", is_flag=True,
              help="该年度还没结束（报送截止日期未到）或还有没办结的预警也归档（之后登记要先 --reopen）")
@click.option("--summary", "summary", metavar="文件",
              help="归档哪一份总结（outbox/<年份>/总结/ 中的 .docx；默认最近登记的定稿，没有定稿时 lzdocs summary "
                   "最近生成的那份）")
@json_option
@pass_env
def archive_command(env: Env, dest: str | None, year: int | None, reopen: int | None, reason: str,
                    unfinished: bool, summary: str | None) -> None:
    """年度归档：按 DA/T 22—2015 整理一年的文书和收到的表格，生成归档文件、目录和清单，之后该年度关闭。

    \b
    每份文件为一件，档号 = 全宗号-年度-保管期限-机构（问题）代码-件号（lzdocs.toml 的 [archive]）；
    每件有原件和 PDF/A 两种格式（需要 LibreOffice），以档号命名；另有归档文件目录（.xlsx 和 PDF）
    和清单（每个文件的 SHA-256）。文件夹须是新的或空的。归档后，该年度的收表和发文都会被拒绝，
    确需补充时先用 --reopen 重新打开，办完后重新归档。该年度报送截止日期还没到，或还有没办结的预警
    （未回复、未核查、未办结）时不归档并说明，确要归档加 --unfinished。
    总结取最近登记的定稿（lzdocs summary --final），没有定稿时取 lzdocs summary 最近生成的那份；它写成后数字有了
    变化（又收到表格等），或总结文件夹里有没登记的定稿时，不归档并说明，用 --summary 指定要归档的那份。
    示例：
      lzdocs archive --year 2026 D:/归档/2026
      lzdocs archive --reopen 2026 --reason 补收宣传部更正后的表格
    """
    if reopen is not None:
        if dest or year:
            raise click.UsageError("--reopen 只写年份，不要同时写 --year 或文件夹")
        _reopen(env, reopen, reason)
        return
    if year is None or not dest:
        raise click.UsageError("请写明年度和归档文件夹，如 lzdocs archive --year 2026 D:/归档/2026")
    office = env.office()
    with progress_bar("归档", enabled=not env.json) as update:
        result = office.archive(year, dest, progress=update, unfinished=unfinished, summary=summary)
    for text in result.warnings:
        env.note(f"提醒：{text}")
    if env.json:
        env.emit(result.as_dict())
        return
    counts = "，".join(f"{period} {n} 件" for period, n in result.counts().items())
    env.echo(f"已归档 {year} 年度：{len(result.items)} 件（{counts}），用时 {result.seconds:.0f} 秒")
    env.echo(f"  归档文件夹：{result.dest}")
    env.echo(f"  第一件 {result.items[0].reference}，最后一件 {result.items[-1].reference}；"
             "每件有原件和 PDF/A，另有 归档文件目录.xlsx/.pdf 和 清单.json/清单.txt")
    if result.voided:
        env.echo(f"  作废文号 {len(result.voided)} 个不作为归档文件，已在目录末尾说明")
    env.echo(f"  清单.json 的 SHA-256：{result.manifest_sha256}（请写在移交清单上，接收方可据此核对）")
    env.echo(f"{year} 年度已关闭：该年度的表格和文书不能再收取或发出；确需补充时运行 lzdocs archive --reopen {year}")


def _reopen(env: Env, year: int, reason: str) -> None:
    result = env.office().reopen(year, reason)
    if env.json:
        env.emit(result)
        return
    env.echo(f"已重新打开 {year} 年度（原于 {result['closed_at'].replace('T', ' ')} 归档到 {result['package']}），"
             "已记入操作记录")
    env.echo(f"补充或更正完成后，请重新归档：lzdocs archive --year {year} 新文件夹")

"""``lzdocs notice``: a red-header 公文 (GB/T 9704) with a 文号, from a text or Markdown body."""

from __future__ import annotations

from pathlib import Path

import click

from lzdocs.cli import cli
from lzdocs.cli.common import Env, command, json_option, numbering_options, parse_date_option, pass_env
from lzdocs.documents.kinds import NOTICE_KINDS


@command(cli, "notice")
@click.option("--title", metavar="标题", required=True,
              help="标题，如：关于开展廉政风险点排查工作的通知（较长的标题在词间回行；其中的换行或 \\n 处按原样回行）")
@click.option("--body", "body", metavar="文件", required=True, type=click.Path(path_type=Path),
              help="正文文件：.txt（一行一段）或 .md（Markdown）")
@click.option("--kind", type=click.Choice(NOTICE_KINDS), default="通知", show_default=True, help="文种")
@click.option("--issuer", metavar="机关", help="发文机关（lzdocs.toml [issuers] 中的名称或机关代字；默认第一个）")
@click.option("--to", "to", metavar="机关", help="主送机关（默认：各部门、各单位）")
@click.option("--signer", metavar="姓名", help="签发人（上行文“请示”“报告”必填）")
@click.option("--attachment", "attachments", multiple=True, metavar="文件|form",
              help="附件：.docx 文件，或 form（空白《岗位风险分析和防控措施表》）；可多次使用")
@click.option("--cc", metavar="机关", help="抄送机关，如：自治区高校工委，学校各位领导")
@click.option("--printer", metavar="机关", help="印发机关（版记；默认按发文机关取 lzdocs.toml [printers]）")
@click.option("--style", type=click.Choice(["2012", "1999"]), help="版式：2012（默认）或 1999（带主题词）")
@click.option("--keywords", metavar="主题词", help="主题词（1999 版式），词之间用空格分开")
@click.option("--date", "date_text", metavar="YYYY-MM-DD", help="成文日期（默认今天）")
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 生成 PDF")
@numbering_options
@json_option
@pass_env
def notice_command(env: Env, title: str, body: Path, kind: str, issuer: str | None, to: str | None,
                   signer: str | None, attachments: tuple[str, ...], cc: str | None, printer: str | None,
                   style: str | None, keywords: str | None, date_text: str | None, pdf: bool, draft: bool,
                   number: str | None) -> None:
    """按 GB/T 9704《党政机关公文格式》生成红头公文，编发文字号并登记到发文登记簿。

    \b
    正文文件里：每段一行（.txt）或 Markdown（.md）；“一、”“（一）”“1．”“（1）”开头的段落
    按层次设字体；单独一行 --- 之后另起一页，是随通知印发的文件（首行为其标题）。
    \b
    示例：
      lzdocs notice --title 关于开展廉政风险点排查工作的通知 --body 正文.txt --attachment form
      lzdocs notice --title 关于印发《实施方案》的通知 --body 方案.md --style 1999 --keywords "廉政 方案 通知"
      lzdocs notice --kind 请示 --to 自治区高校工委 --signer 刘振洪 --title 关于…的请示 --body 请示.txt --pdf
    文件写到 outbox/<年份>/<文种>/<文号>-<标题>.docx。
    """
    ws = env.workspace()
    issued = env.office().notice(title, body, kind=kind, issuer=issuer, to=to, signer=signer, attachments=attachments,
                                 cc=cc, style=style, keywords=keywords, printer=printer,
                                 date=parse_date_option(date_text, env.today), pdf=pdf, draft=draft, number=number)
    files = [ws.relative(p) for p in issued.files]
    for warning in issued.warnings:
        env.note(f"提醒：{warning}")
    if env.json:
        env.emit({"files": files, "number": str(issued.number), "warnings": issued.warnings, "draft": draft})
        return
    env.echo(f"{kind} {issued.number}：{title}")
    for path in files:
        env.echo(f"  {path}")

"""``lzdocs init``, ``lzdocs form`` and ``lzdocs demo``: making a workspace, blank forms and the guided tour."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lzdocs.cli import cli
from lzdocs.cli.common import Env, command, json_option, pass_env
from lzdocs.errors import LzdocsError
from lzdocs.workspace import LETTER_CODES, Organisation, Workspace


def _pairs(items: tuple[str, ...], option: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise click.BadParameter(f"“{item}”应写成 名称=机关代字，例如 talk=内工大纪谈", param_hint=option)
        pairs[key.strip()] = value.strip()
    return pairs


def _ask_organisation(school: str | None, short: str | None, given: dict) -> Organisation:
    """The organisation asked for in the terminal: each organ and code offered as a default (Enter keeps it)."""
    from lzdocs.documents.letters import KINDS

    school = school or click.prompt("学校（单位）全称，如 内蒙古工业大学").strip()
    short = short or click.prompt("简称（用于机关代字），如 内工大").strip()
    usual = Organisation.derive(school, short)
    issuer = given.get("issuer") or click.prompt("纪检监察文书的发文机关", default=usual.issuer)
    office = given.get("office") or click.prompt("印发机关", default=usual.office)
    usual = Organisation.derive(school, short, issuer=issuer, office=office)
    names = {key: f"{kind.name}的机关代字" for key, kind in KINDS.items()}
    names["criticism"] = "批评教育（不发文书）的登记代字"
    codes = {key: given.get("codes", {}).get(key) or click.prompt(names[key], default=code)
             for key, code in usual.codes}
    organs = {organ: click.prompt(f"“{organ}”发文（lzdocs notice）的机关代字", default=code)
              for organ, code in usual.organs}
    contact = given.get("contact") or click.prompt("联系人（可留空）", default="", show_default=False)
    phone = given.get("phone") or click.prompt("联系电话（可留空）", default="", show_default=False)
    return Organisation.derive(school, short, issuer=issuer, office=office, codes=tuple(codes.items()),
                               organs=tuple(organs.items()), contact=contact, phone=phone)


@cli.command("init")
@click.argument("directory", type=click.Path(path_type=Path), default=".")
@click.option("--school", metavar="全称", help="学校（单位）全称，如 内蒙古工业大学")
@click.option("--short", metavar="简称", help="简称，用于机关代字，如 内工大（与 --school 一起用）")
@click.option("--issuer", metavar="机关", help="纪检监察文书的发文机关（默认 中共<学校>纪律检查委员会）")
@click.option("--office", "office_name", metavar="机关", help="印发机关（默认 <学校>纪委办公室）")
@click.option("--code", "codes", multiple=True, metavar="文种=机关代字",
              help=f"改用其他机关代字，如 talk=内工大纪谈（文种：{' '.join(LETTER_CODES)}）")
@click.option("--organ", "organs", multiple=True, metavar="发文机关=机关代字",
              help="公文的发文机关及其机关代字，如 中共某大学委员会=某大党发")
@click.option("--contact", metavar="姓名", help="联系人（错误说明中的联系方式）")
@click.option("--phone", metavar="电话", help="联系电话")
@click.option("--ask/--no-ask", default=None, help="逐项询问学校名称、发文机关和机关代字（在命令行窗口中默认询问）")
@json_option
@pass_env
def init_command(env: Env, directory: Path, school: str | None, short: str | None, issuer: str | None,
                 office_name: str | None, codes: tuple[str, ...], organs: tuple[str, ...], contact: str | None,
                 phone: str | None, ask: bool | None) -> None:
    """新建工作区（可重复运行；已有的文件不会被覆盖）。

    新工作区要先填好学校名称、简称、发文机关和机关代字，才能发文：在命令行窗口中运行时逐项询问
    （直接回车采用括号里的建议值），脚本中用 --school、--short 等选项。

    \b
    示例：
      lzdocs init D:\\廉政风险防控2026
      lzdocs init D:\\廉政风险防控2026 --school 内蒙古工业大学 --short 内工大
    """
    code_map = _pairs(codes, "--code")
    unknown = [k for k in code_map if k not in LETTER_CODES]
    if unknown:
        raise click.BadParameter(f"没有文种“{unknown[0]}”（可用：{' '.join(LETTER_CODES)}）", param_hint="--code")
    given = {k: v for k, v in (("issuer", issuer), ("office", office_name), ("contact", contact),
                               ("phone", phone)) if v}
    if (school is None) != (short is None) and not ask:
        raise click.UsageError("--school 和 --short 要一起写，如 --school 内蒙古工业大学 --short 内工大")
    organisation = None
    if school and short and not ask:
        organisation = Organisation.derive(school.strip(), short.strip(), codes=tuple(code_map.items()),
                                           organs=tuple(_pairs(organs, "--organ").items()), **given)
    elif ask or (ask is None and sys.stdin.isatty() and not env.json and not _set_up(directory)):
        organisation = _ask_organisation(school, short, {**given, "codes": code_map})
    ws, created = Workspace.init(directory, organisation)
    if organisation and (ws.school, ws.settings.text("organisation", "short")) != (organisation.school,
                                                                                  organisation.short):
        env.note(f"提醒：工作区已设置学校“{ws.school}”，本次给出的“{organisation.school}”（简称“{organisation.short}”）"
                 "没有写入；要改请用记事本编辑 lzdocs.toml 的 [organisation]、[numbering]")
    if env.json:
        env.emit({"workspace": str(ws.root), "files": [ws.relative(p) for p in created],
                  "organisation_set": ws.organisation_set})
        return
    env.echo(f"工作区：{ws.root}")
    for p in created:
        if p != ws.root:
            env.echo(f"  新建 {ws.relative(p)}")
    if not created:
        env.echo("  已是工作区，没有新建文件。")
    if not ws.organisation_set:
        env.echo(f"注意：还没有设置学校名称和发文机关，发文前请运行 lzdocs init \"{ws.root}\" --school 学校全称 "
                 "--short 简称，或编辑 lzdocs.toml 的 [organisation]、[numbering]。")
    else:
        env.echo(f"学校：{ws.school}；发文机关：{ws.settings.text('organisation', 'issuer')}。")
    env.echo("下一步：编辑 units.csv（单位名单），然后运行 lzdocs form --all 生成空白表。")


def _set_up(directory: Path) -> bool:
    """An existing workspace whose organisation is already set: nothing to ask."""
    try:
        return Workspace.open(directory).organisation_set
    except LzdocsError:
        return False


@command(cli, "form")
@click.option("--unit", "units", metavar="单位", multiple=True, help="为该单位生成（可多次使用；可用别名）")
@click.option("--all", "all_units", is_flag=True, help="为名单中的每个单位各生成一份")
@click.option("--format", "fmt", type=click.Choice(["docx", "xlsx"]), default="docx", show_default=True,
              help="文件格式")
@click.option("--kind", "kind_key", metavar="种类", default="risk", show_default=True,
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
@click.argument("directory", type=click.Path(path_type=Path), required=False)
@click.option("--force", is_flag=True, help="文件夹已有内容时也在其中重新演示")
@json_option
@pass_env
def demo_command(env: Env, directory: Path | None, force: bool) -> None:
    """演示：新建一个工作区，放入十几份模拟表格，从头到尾跑一遍，并列出生成的文件。

    演示用的是示例学校（内蒙古工业大学）的名称和机关代字，生成的文书仅供试用。

    \b
    示例：
      lzdocs demo                 在当前文件夹下新建“lzdocs-演示”（已有则建 lzdocs-演示-2 …）
      lzdocs demo D:\\试用
    """
    from lzdocs.demo import demo_folder, run_demo

    report = run_demo(demo_folder(directory, force=force), echo=env.echo, today=env.today)
    if env.json:
        env.emit(report)

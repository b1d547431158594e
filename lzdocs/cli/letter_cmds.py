"""``lzdocs letter``, ``urge``, ``reply`` and ``template check``: numbered warning letters and their replies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from lzdocs.cli import cli, common
from lzdocs.cli.common import YEAR, Env, ExitStatus, command, json_option, parse_date_option, pass_env, print_registers
from lzdocs.cli.progress import progress_bar
from lzdocs.documents.kinds import KINDS, Field, find_kind
from lzdocs.errors import ConfigError
from lzdocs.textutil import chinese_date, parse_date

if TYPE_CHECKING:  # the archive and the templates load when a letter is issued, not for --help
    from lzdocs.documents.letters import BatchRow, IssuedLetter
    from lzdocs.office import LetterBatch


def _field_help(f: Field) -> str:
    if not f.required:
        return f"{f.name}（可选）"
    if f.days is not None:
        return f"{f.name}（默认{f.days}天后）"
    if f.name == "原定期限":
        return f"{f.name}（默认报送截止日期）"
    if f.name == "对象":
        return f"{f.name}（用 --to 写给个人时不填）"
    return f"{f.name}（默认{f.default}）" if f.default else f.name


KIND_HELP = "\n".join(f"  {k.key:<15}{k.name}：" + "、".join(map(_field_help, k.fields)) for k in KINDS.values())


def parse_sets(sets: tuple[str, ...]) -> dict:
    """--set 字段=值 pairs; a field given twice gets two lines (for 问题, 建议 …); a typed \\n is a new line."""
    values: dict[str, str] = {}
    for item in sets:
        if "=" not in item:
            raise click.BadParameter(f"“{item}”应写成 字段=值，例如 事由=在检查中", param_hint="--set")
        key, value = item.split("=", 1)
        value = value.replace("\\n", "\n")
        key = key.strip()
        if not key:
            raise click.BadParameter(f"“{item}”的等号前没有字段名，应写成 字段=值，例如 事由=在检查中",
                                     param_hint="--set")
        values[key] = f"{values[key]}\n{value}" if key in values else value
    return values


def read_data(path: Path | None) -> dict:
    """--data: a .json or .yaml/.yml file of 字段: 值 (UTF-8, UTF-16 or GBK)."""
    if path is None:
        return {}
    from lzdocs.textutil import decode_text

    text = decode_text(path.read_bytes())
    if text is None:
        raise ConfigError(f"数据文件 {path.name} 无法按 UTF-8 或 GBK 读取（可能不是文本文件）",
                          hint="请用记事本另存为 UTF-8 编码")
    is_yaml = path.suffix.lower() in (".yaml", ".yml")
    try:
        if is_yaml:
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"数据文件 {path.name} 第 {exc.lineno} 行第 {exc.colno} 列不符合 JSON 格式",
                          hint='请写成 {"事由": "……", "问题": ["……", "……"]}：'
                               '键和文字都用英文双引号，项之间用英文逗号') from exc
    except ValueError as exc:  # yaml turns 2026-02-30 into a date and fails
        raise ConfigError(f"数据文件 {path.name} 中有不存在的日期或无效的值",
                          hint="请核对日期（如 2 月没有 30 日），日期写成 2026-12-31") from exc
    except Exception as exc:  # yaml.YAMLError and its many children
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark is not None else ""
        raise ConfigError(f"数据文件 {path.name} {where}不符合 YAML 格式",
                          hint="每行写一项“字段: 值”，冒号后留一个空格；多条用“- ”开头另起一行") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"数据文件 {path.name} 应是“字段: 值”的映射，现在是{_shape(data)}",
                          hint='JSON 写成 {"事由": "……"}；YAML 每行写“事由: ……”')
    return data


def _shape(data) -> str:
    if isinstance(data, list):
        return "一个列表"
    return "空的" if data is None else f"一个单独的值（{str(data)[:20]}）"


def print_issued(env: Env, item: IssuedLetter, prefix: str = "") -> None:
    ws = env.workspace()
    env.echo(f"{prefix}{item.title or item.kind.name} {item.number} → {ws.relative(item.path)}")
    for extra in item.files[1:]:
        env.echo(f"{prefix}  PDF → {ws.relative(extra)}")
    if item.number.seq is None:
        env.echo(f"{prefix}  草稿：未编文号、未登记；核对无误后去掉 --draft 再运行即正式发文")
    elif item.reply_due:
        env.echo(f"{prefix}  期限：{chinese_date(item.reply_due)}（已登记到预警处置台账）")
    for warning in item.warnings:
        env.note(f"提醒：{item.unit}：{warning}")


@command(cli, "letter", epilog="文书种类与字段：\n\n\b\n" + KIND_HELP)
@click.argument("kind", metavar="种类")
@click.option("--unit", "-u", metavar="单位", help="收文单位（名单中的名称或别名）")
@click.option("--to", "person", metavar="姓名",
              help="写给个人（谈话提醒通知书、问廉问责书）：--to 王磊 → “王磊同志：”；单位仍用 --unit 登记")
@click.option("--set", "sets", multiple=True, metavar="字段=值", help="填写字段；同一字段写多次即多条（如 问题、建议）")
@click.option("--data", metavar="文件", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="从 .json/.yaml 读取字段")
@click.option("--batch", metavar="文件", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="批量：.xlsx/.csv，每行一份，列名为字段名，“单位”列为收文单位，“受文人”列（可选）写给个人")
@click.option("--date", "date_text", metavar="YYYY-MM-DD", help="成文日期（默认今天）")
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 生成 PDF")
@click.option("--receipt", is_flag=True, help="在文书后另起一页附送达回证")
@click.option("--risk", "risks", multiple=True, metavar="风险点",
              help="关联的风险点：编号（lzdocs unit 单位 可查看）或风险点/岗位中的文字；可写多次")
@click.option("--again", is_flag=True,
              help="批量时，已发过同一内容（同一单位、受文人和字段）的行也再发一份（默认不重复发文）")
@common.numbering_options
@json_option
@pass_env
def letter_command(env: Env, kind: str, unit: str | None, person: str | None, sets, data: Path | None,
                   batch: Path | None, date_text: str | None, pdf: bool, receipt: bool, risks, again: bool,
                   draft: bool, number: str | None) -> None:
    """生成一份（或一批）带文号的纪检监察文书，并登记到发文登记簿和预警处置台账。

    \b
    示例：
      lzdocs letter suggestion --unit 计财处 --set 事由=在2026年度廉政风险防控检查中 \\
             --set 问题=采购程序不规范 --set 问题=报销审核不严 --set 建议=完善采购制度
      lzdocs letter 谈话提醒通知书 --unit 基建处 --to 王磊 --data 谈话.yaml --pdf
      lzdocs letter 问廉问责书 --unit 基建处 --to 王磊 --data 问责.yaml --receipt
      lzdocs letter rectify --batch 整改名单.xlsx --json
    文件写到 outbox/<年份>/<文种>/<文号>-<单位>.docx。批量文件再次运行（如中断后）时，已发过同一内容的行
    不再重复发文，只列出原文号；确需再发时加 --again。
    退出码：0 成功；1 批量中有行失败；2 用法或字段错误；4 数据库服务器连不上；130 中断（Ctrl-C）。
    """
    date = parse_date_option(date_text, env.today)
    values = {**read_data(data), **parse_sets(sets)}
    office = env.office()
    if batch is not None:
        if unit or person or risks:
            raise click.UsageError("用 --batch 时收文单位取自表格的“单位”列、受文人取自“受文人”列，"
                                   "请不要同时使用 --unit、--to 或 --risk")
        with progress_bar(f"生成{find_kind(kind).name}") as update:
            result = office.letter_batch(kind, batch, values=values, date=date, pdf=pdf, progress=update,
                                         receipt=receipt, draft=draft, number=number, again=again)
        report_rows(env, result)
        return
    if again:
        raise click.UsageError("--again 只用于 --batch：单份发文不检查是否已发过")
    if not unit:
        if person:
            raise click.UsageError("写给个人时也请用 --unit 指定其所在单位（发文登记簿和预警处置台账按单位登记）")
        raise click.UsageError("请用 --unit 指定收文单位（或用 --batch 批量生成）")
    issued = office.letter(kind, unit, values, date=date, pdf=pdf, to=person, receipt=receipt, draft=draft,
                           number=number, risks=risks)
    if env.json:
        env.emit(env.office().letters.as_dict(issued))
    else:
        print_issued(env, issued)
        print_registers(env, issued.registers, summary=True)


def report_rows(env: Env, batch: LetterBatch) -> None:
    from lzdocs.documents.letters import CUT_SHORT

    for column in batch.ignored_columns:
        env.note(f"提醒：表格中的“{column}”列不是{batch.kind.name}的字段，已忽略")
    print_registers(env, batch.registers, summary=True)
    results = batch.rows
    if env.json:  # urge: a unit sent the same letter earlier that day is a row "skipped", with that letter's 文号
        rows = [_row_dict(env, r) for r in results] + [
            {"row": None, "unit": a["unit"], "status": "skipped", "number": a["number"], "files": [],
             "reply_due": None, "warnings": [], "error": None, "unavailable": False} for a in _already(batch)]
        order = {unit: i for i, unit in enumerate(batch.units)}  # urge: the roster's order
        env.emit(sorted(rows, key=lambda row: order.get(row["unit"], 0)))
    else:
        for r in results:
            where = f"第{r.row}行 " if r.row is not None else ""
            if r.issued:
                print_issued(env, r.issued, prefix=f"{where}{r.unit}：")
            elif r.already:
                env.echo(f"{where}{r.unit}：已发过（{r.already}），没有重复发文")
            elif r.interrupted:  # the rows not tried are said once, at the end; one cut short as it was written here
                if r.error == CUT_SHORT:
                    env.echo(f"{where}{r.unit}：{r.error}")
            else:
                env.echo(f"{where}{r.unit or '（未写单位）'}：失败 —— {r.error}")
        if results or not batch.already:
            counts = [f"成功 {len(batch.sent)}", f"失败 {len(batch.failed)}"]
            counts += [f"已发过 {len(batch.skipped)}"] if batch.skipped else []
            counts += [f"未处理 {len(batch.interrupted)}"] if batch.interrupted else []
            env.echo(f"共 {len(results)} 份：{'，'.join(counts)}。")
    if batch.interrupted:
        raise BatchInterrupted(batch)
    if batch.stopped:
        from lzdocs.store.db import DatabaseUnavailable

        left = [r for r in results if r.unavailable]
        first = f"第{left[0].row}行" if left[0].row is not None else f"“{left[0].unit or '未写单位'}”那一行"
        raise DatabaseUnavailable(f"发文途中无法连接数据库服务器：{first}中断（见上），其后 {len(left) - 1} 行没有发出",
                                  hint=f"已发出的 {len(batch.sent)} 份都已保存、已编号（见上），不要"
                                       "重发；数据库恢复后，只给没有发出的单位重新发文")
    if batch.failed:
        raise SystemExit(ExitStatus.SOME_REJECTED)


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a letter batch, whose rows were printed: the command ends as interrupted, saying what is done."""

    def __init__(self, batch: LetterBatch):
        left = batch.interrupted
        first = f"第{left[0].row}行" if left[0].row is not None else f"“{left[0].unit}”"
        again = ("今天再次运行 lzdocs urge 只补发没有发出的" if batch.year is not None else
                 "再次运行同一批量文件时，已发出的行不会重复发文，只发其余的")
        super().__init__(f"已中断（Ctrl-C）：已发出的 {len(batch.sent)} 份都已编号、登记（见上）；"
                         f"从{first}起的 {len(left)} 行没有发文。{again}。")


def _row_dict(env: Env, r: BatchRow) -> dict:
    status = "issued" if r.issued else "skipped" if r.already else "interrupted" if r.interrupted else "failed"
    base = {"row": r.row, "unit": r.unit, "status": status, "number": r.already, "files": [], "reply_due": None,
            "warnings": r.warnings, "error": r.error,
            "unavailable": r.unavailable}  # not sent: the database server went away at or before this row
    if r.issued:
        base.update(env.office().letters.as_dict(r.issued))
    return base


@command(cli, "urge")
@click.option("--year", type=YEAR, help="报送年度（默认当前工作年度，与 lzdocs status 相同；--reminder 为今年）")
@click.option("--date", "date_text", metavar="YYYY-MM-DD", help="成文日期（默认今天）")
@click.option("--set", "sets", multiple=True, metavar="字段=值", help="如 补报期限=2026-11-30、应报材料=…")
@click.option("--reminder", is_flag=True, help="截止日期前发报送提醒（措辞为“提醒”而非“催报”）")
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 生成 PDF")
@click.option("--dry-run", is_flag=True, help="只列出要催报的单位，不发文")
@click.option("--again", is_flag=True, help="当天已发过同一通知的单位也再发一份（默认不重复发文）")
@common.numbering_options
@json_option
@pass_env
def urge_command(env: Env, year: int | None, date_text: str | None, sets, reminder: bool, pdf: bool,
                 dry_run: bool, again: bool, draft: bool, number: str | None) -> None:
    """给名单中本年度还没有报送（或报送被退回）的每个单位发一份催报通知。

    截止日期（lzdocs.toml 的 [submission] deadline）之前不能催报，只能用 --reminder 发报送提醒；
    补报期限不会早于截止日期。同一成文日期已发过同一通知的单位不再重复发文（中断后重新运行只补发
    没发出的），确需再发时加 --again。

    \b
    示例：
      lzdocs urge                       催报当前年度未报送的单位（一月份仍是上一年度）
      lzdocs urge --reminder            截止日期前提醒尚未报送的单位
      lzdocs urge --year 2026 --set 补报期限=2026-11-30 --pdf
      lzdocs urge --dry-run             先看看有哪些单位
    """
    date = parse_date_option(date_text, env.today) or env.today
    with progress_bar("生成报送提醒" if reminder else "生成催报通知", enabled=not dry_run) as update:
        batch = env.office().urge(year, values=parse_sets(sets), date=date, pdf=pdf, progress=update,
                                  reminder=reminder, draft=draft, number=number, dry_run=dry_run, again=again)
    what = "报送提醒" if reminder else "催报通知"
    if dry_run or not batch.units:
        if env.json:
            env.emit({"year": batch.year, "units": batch.units, "already": _already(batch)} if dry_run else [])
        elif batch.units:
            env.echo(f"{batch.year} 年尚未报送的单位（{len(batch.units)} 个）：{'、'.join(batch.units)}")
            if batch.already:
                env.echo(f"其中 {len(batch.already)} 个单位{chinese_date(date)}已发过{what}，不会重复发文："
                         f"{'、'.join(batch.already)}（确需再发时加 --again）")
        else:
            env.echo(f"名单中的单位都已报送 {batch.year} 年的表格，无需催报。")
        return
    if batch.already and not env.json:
        sent = "、".join(f"{unit}（{number}）" for unit, number in batch.already.items())
        env.echo(f"{chinese_date(date)}已发过{what}、没有重复发文的单位（{len(batch.already)} 个）：{sent}；"
                 "确需再发时加 --again")
    report_rows(env, batch)


def _already(batch: LetterBatch) -> list[dict]:
    """urge: the units sent the same letter that day, and its 文号."""
    return [{"unit": unit, "number": number} for unit, number in batch.already.items()]


@command(cli, "reply")
@click.argument("number", metavar="文号")
@click.option("--date", "date_text", metavar="YYYY-MM-DD",
              help="收到回复（或谈话）的日期；不写则为今天，且只在尚未登记时登记")
@click.option("--correct", is_flag=True, help="更正已登记的日期（原日期保留在操作记录中）")
@click.option("--place", metavar="地点", help="谈话提醒：谈话地点（登记谈话已进行）")
@click.option("--by", "talker", metavar="姓名", help="谈话提醒：谈话人")
@json_option
@pass_env
def reply_command(env: Env, number: str, date_text: str | None, correct: bool, place: str | None,
                  talker: str | None) -> None:
    """登记单位对一份文书的书面回复，或谈话提醒已进行（预警处置台账）。

    \b
    示例：
      lzdocs reply 内工大纪建〔2026〕3号
      lzdocs reply "内工大纪建[2026]3号" --date 2026-12-20
      lzdocs reply 内工大纪建〔2026〕3号 --date 2026-12-18 --correct
      lzdocs reply 内工大纪谈〔2026〕1号 --date 2026-12-08 --place 纪委办公室 --by "纪委副书记 王某某"
    """
    from lzdocs.documents.letters import Talk

    date = parse_date_option(date_text, env.today)
    talk = Talk(place or "", talker or "") if place or talker else None
    result = env.office().reply(number, date, correct=correct, talk=talk)
    if env.json:
        env.emit(result)
        return
    from lzdocs.dynamics.steps import step_two

    what = step_two(result["kind"])
    day = chinese_date(parse_date(result["replied"]))
    if not result["changed"]:
        env.echo(f"{result['number']}（{result['unit']}）已登记{what}日期 {day}，未改动。")
        return
    env.echo(f"已登记{what}：{result['number']}（{result['unit']}，{result['title']}），{what}日期 {day}")
    if result["late"]:
        due = chinese_date(parse_date(result["reply_due"]))
        env.echo(f"  注意：{what}晚于{'通知的谈话时间' if result['kind'] == 'talk' else '回复期限'}（{due}）")
    if result["previous"]:
        env.echo(f"  此前登记的日期 {result['previous']} 已更正（原日期保留在操作记录中）")


@cli.group("template")
def template_group() -> None:
    """模板工具：检查 Word 模板里的标签。"""


@command(template_group, "check")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False), metavar="模板.docx")
@click.option("--kind", metavar="文种", help="按该文书种类核对变量（默认按文件名判断）")
@json_option
@pass_env
def template_check_command(env: Env, file: Path, kind: str | None) -> None:
    """列出模板用到的变量，并逐段检查标签：未闭合或被拆开的标签、写错的表达式、未知过滤器、不配对的 if/for。

    \b
    示例：
      lzdocs template check templates/纪检监察建议书.docx
      lzdocs template check 我的建议书.docx --kind suggestion --json
    退出码：0 没有错误；1 有错误。
    """
    report, letter_kind = env.office().check_template(file, kind)
    if env.json:
        env.emit({**report.as_dict(), "kind": letter_kind.key if letter_kind else None})
    else:
        env.echo(f"模板：{file}" + (f"（{letter_kind.name}）" if letter_kind else ""))
        env.echo(f"变量（{len(report.variables)} 个）：{'、'.join(report.variables) or '无'}")
        if not report.problems:
            env.echo("未发现问题。")
        for p in report.problems:
            env.echo(f"  [{'错误' if p.severity == 'error' else '提醒'}] {p.describe()}")
    if report.errors:
        raise SystemExit(ExitStatus.SOME_REJECTED)

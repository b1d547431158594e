"""``lzdocs ingest`` and ``lzdocs risks``: taking filled forms into the archive and listing what it holds."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from lzdocs.cli import cli
from lzdocs.cli.common import (
    LEVEL,
    YEAR,
    Env,
    ExitStatus,
    command,
    inbox_option,
    json_option,
    parse_date_option,
    pass_env,
    print_registers,
)
from lzdocs.cli.progress import progress_bar

if TYPE_CHECKING:
    from lzdocs.ingest import Outcome

STATUS_NAMES = {"accepted": "已收取", "rejected": "退回", "duplicate": "重复", "ignored": "已忽略", "failed": "未收取"}
# what a --dry-run says of each: what a run would do, never that it has been done
DRY_RUN_NAMES = STATUS_NAMES | {"accepted": "将收取", "rejected": "将退回", "ignored": "将忽略"}


@command(cli, "ingest")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查，不入库、不移动任何文件")
@click.option("--received", "received_text", metavar="YYYY-MM-DD",
              help="表格实际收到的日期（邮寄、电子邮件送来的表格）；按时或逾期按这一天判断")
@inbox_option
@json_option
@pass_env
def ingest_command(env: Env, paths: tuple[Path, ...], dry_run: bool, received_text: str | None,
                   inbox: Path | None) -> None:
    """处理收件文件夹里的表格，或指定的文件/文件夹（指定的文件只复制，不移动；收件文件夹里的照常收走）。

    \b
    示例：
      lzdocs ingest                      处理 inbox/ 里的全部表格
      lzdocs ingest D:\\收到的表格 --json  处理一个文件夹，输出 JSON
      lzdocs ingest 计财处.docx --dry-run  只检查一个文件
      lzdocs ingest 邮件附件\\基建处.docx --received 2026-11-15   按实际收到的日期登记
      lzdocs ingest --inbox \\\\campusB\\share\\收表   处理另一个收件文件夹（退回的表格放在它自己的 退回/ 里）
    收到日期：监视（lzdocs watch）时为第一次看到文件的日期；直接运行 ingest 时为文件修改日期和今天中较早的一天；
    --received 指定时以它为准。
    退出码：0 全部收取；1 有文件被退回或未能收取；2 用法或设置错误；4 数据库服务器连不上（已处理的都已保存）。
    """
    env.choose_inbox(inbox)
    try:
        with progress_bar("处理表格", enabled=not env.json) as update:
            received = parse_date_option(received_text, env.today, "--received")
            report = env.office().ingest(paths, dry_run=dry_run, progress=update, received=received)
    except KeyboardInterrupt:  # before the run took any file (once it has, it reports them: report.interrupted)
        if env.json:
            env.emit([])  # the list of the files taken before Ctrl-C, as ever: a script reads JSON, not nothing
        raise
    if env.json:
        env.emit([o.as_dict() for o in report.outcomes])
    else:
        print_outcomes(env, report.outcomes, dry_run=dry_run, where="指定的文件或文件夹" if paths else "收件文件夹",
                       left=report.interrupted or 0)
    print_registers(env, report.registers)
    if report.stopped is not None:
        done = sum(o.status not in ("ignored", "failed") for o in report.outcomes)
        raise type(report.stopped)(f"处理途中{report.stopped.message}",
                                   hint=f"此前处理的 {done} 个文件都已保存（见上）；其余文件留在原处，数据库恢复后"
                                        "重新运行 lzdocs ingest 即可（处理到一半的那一份会接着完成）")
    if report.rejected:
        raise SystemExit(ExitStatus.SOME_REJECTED)


def print_outcomes(env: Env, outcomes: list[Outcome], *, dry_run: bool = False, where: str = "收件文件夹",
                   left: int = 0) -> None:
    """Each file's outcome, and the count of each; ``left``: files a Ctrl-C left untried (the command then ends
    saying so)."""
    litter = sum(o.status == "ignored" and not o.problems for o in outcomes)  # lock and temp files: not shown
    if len(outcomes) == litter and not left:
        env.echo(f"{where}里没有待处理的表格" + (f"（已跳过 {litter} 个临时或锁定文件）。" if litter else "。"))
        return
    counts: dict[str, int] = {}
    names = DRY_RUN_NAMES if dry_run else STATUS_NAMES
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
        if o.status == "ignored" and not o.problems:
            continue
        head = f"[{names[o.status]}] {o.file}"
        if o.status == "accepted":
            head += f" —— {o.unit}，{o.year} 年，{o.rows} " + ("项落实情况" if o.kind == "check" else "个风险点")
            if o.supersedes:
                head += f"（{'将' if dry_run else ''}替换此前报送的 {o.supersedes}）"
            if o.superseded_on_arrival:
                head += (f"（填表日期早于已收的 {o.superseded_by}，{'将' if dry_run else '已'}直接存入历史记录，"
                         "登记簿仍以后者为准）")
        env.echo(head)
        for p in o.problems:
            env.echo(f"    {p.describe()}")
        if o.status == "rejected" and o.stored_as:
            env.echo(f"    已移到 {o.stored_as}，错误说明见同名 .错误说明.txt")
    if left:
        counts["left"] = left
    summary = "，".join(f"{names.get(k, '已中断，未处理')} {v} 个" for k, v in counts.items())
    env.echo(("（试运行，未做任何改动）" if dry_run else "") + f"共 {len(outcomes) + left} 个文件：{summary}。")


@command(cli, "risks")
@click.option("--year", type=YEAR, help="年度（默认：全部）")
@click.option("--unit", metavar="单位", help="单位（可用别名）")
@click.option("--level", type=LEVEL, help="风险等级：一级、二级或三级（默认：全部）")
@click.option("--category", metavar="类别", help="风险类别，照表中写法，如 业务流程（默认：全部）")
@json_option
@pass_env
def risks_command(env: Env, year: int | None, unit: str | None, level: int | None, category: str | None) -> None:
    """列出当前有效的风险点（每个单位每年以最新报送的表为准）。

    \b
    示例：
      lzdocs risks --year 2026 --unit 计财处
      lzdocs risks --year 2026 --level 一级
      lzdocs risks --json > 风险点.json
    """
    rows = env.office().risks(year=year, unit=unit, level=level, category=category)
    if env.json:
        env.emit(rows)
        return
    if not rows:
        env.echo("没有符合条件的风险点。")
        return
    from lzdocs.forms.values import LEVEL_NAMES

    for r in rows:
        env.echo(f"{r['year']} {r['unit']}｜{r['post']}｜{LEVEL_NAMES.get(r['level'], r['level'])}｜{r['risk']}"
                 + ("｜已发生" * r["occurred"]))
    env.echo(f"共 {len(rows)} 个风险点。")

"""``lzdocs verify``: the archive proves itself — the events' hash chain, every recorded file, no stray file, SQLite."""

from __future__ import annotations

from pathlib import Path

import click

from lzdocs.cli import cli
from lzdocs.cli.common import YEAR, Env, ExitStatus, command, json_option, pass_env


@command(cli, "verify")
@click.option("--year", type=YEAR, help="只检查该年度 outbox/<年度>/ 下的文件（事件记录总是整体检查）")
@click.option("--package", type=click.Path(path_type=Path), metavar="归档文件夹",
              help="改为检查一个年度归档包（lzdocs archive 生成的文件夹），不需要工作区，可在档案馆的电脑上运行")
@json_option
@pass_env
def verify_command(env: Env, year: int | None, package: Path | None) -> None:
    """检查档案是否完好：事件记录的校验链、每个归档文件的大小和 SHA-256、有无记录之外的文件、数据库完整性。

    \b
    示例：
      lzdocs verify
      lzdocs verify --year 2026 --json
      lzdocs verify --package E:/归档/2026
    只检查、只报告，不改动、不删除任何文件。退出码：0 全部完好；1 发现问题；2 用法或设置错误。
    """
    if package is not None and not package.is_dir():  # not a package to find things wrong in: a mistyped path
        what = "是一个文件，不是归档文件夹" if package.exists() else "不存在"
        raise click.BadParameter(f"“{package}”{what}", param_hint="--package")
    if package is not None:
        from lzdocs.office import Office

        report = Office.verify_package(package)
    else:
        report = env.office().verify(year)
    if env.json:
        env.emit(report.as_dict())
    elif package is not None:
        _print_package(env, report, package)
    else:
        _print(env, report, year)
    if not report.ok:
        raise SystemExit(ExitStatus.SOME_REJECTED)


def _print(env: Env, report, year: int | None) -> None:
    checked = report.checked
    parts = [f"事件 {checked.get('events', 0)} 个",
             f"{f'{year} 年度' if year else ''}文件 {checked.get('files', 0)} 个（{_size(checked.get('bytes', 0))}）"]
    if "database" in checked:
        parts.append("数据库完整性检查")
    env.echo(f"已检查：{'，'.join(parts)}，用时 {report.seconds:.1f} 秒")
    from lzdocs.integrity.findings import NOTES
    from lzdocs.integrity.verify import REBUILT, UNPLACED

    for finding in report.findings:
        env.echo(f"  {'（说明）' if finding.kind in NOTES else ''}{finding.line()}")
    notes = sum(f.kind in NOTES for f in report.findings)
    unfinished = sum(f.kind == "unfinished" for f in report.findings)
    problems = len(report.findings) - notes
    said = f"；另有 {notes} 条说明（见上），是日常办理的情况，不是改动" if notes else ""
    if not report.findings and year and not checked.get("files"):  # a year typed wrong, or not yet begun
        env.echo(f"结论：档案中没有 {year} 年度的文件；事件记录完好，没有被改动。")
    elif not report.findings:
        env.echo("结论：全部完好，档案自记录以来没有被改动。")
    elif report.ok:
        env.echo(f"结论：档案完好，没有发现改动{said}。")
    elif unfinished == problems:  # an ingest's claim finished by the next ingest, a document put in place by register
        letters = sum(f.kind == "unfinished" and f.message == UNPLACED for f in report.findings)
        books = sum(f.kind == "unfinished" and f.message == REBUILT for f in report.findings)
        claims = unfinished - letters - books
        what = "、".join(filter(None, [f"{claims} 个文件属于中断的收取" if claims else "",
                                      f"{letters} 份文书登记后还没放到位" if letters else "",
                                      f"{books} 本登记簿重建时中断、还没登记" if books else ""]))
        run = "、".join(filter(None, ["lzdocs ingest" if claims else "",
                                     "lzdocs register" if letters or books else ""]))
        env.echo(f"结论：没有发现改动，但有 {what}（见上）：运行一次 {run} 后再检查{said}。")
    else:
        env.echo(f"结论：发现 {problems} 处问题（见上）。档案可能被改动过：请核实每一处，"
                 f"从备份恢复被改动或删除的文件；verify 没有改动任何东西{said}。")


def _print_package(env: Env, report, package: Path) -> None:
    checked = report.checked
    env.echo(f"已检查归档包 {package}：{checked.get('items', 0)} 件，文件 {checked.get('files', 0)} 个，"
             f"PDF {checked.get('pdfs', 0)} 个，用时 {report.seconds:.1f} 秒")
    for finding in report.findings:
        env.echo(f"  {finding.line()}")
    if report.ok:
        env.echo("结论：归档包完好：清单中的每个文件都在且未改动，档号连续，PDF 均为 PDF/A，页数相符。")
    else:
        env.echo(f"结论：发现 {len(report.findings)} 处问题（见上）：请与移交时的清单（清单.json 的 SHA-256）核对，"
                 "必要时重新生成归档包。")


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"共 {n / scale:.1f} {unit}"
    return f"共 {n} 字节"

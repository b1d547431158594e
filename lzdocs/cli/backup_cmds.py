"""``lzdocs backup`` and ``lzdocs restore``: a consistent copy of the archive while the watcher runs, and its return."""

from __future__ import annotations

from pathlib import Path

import click

from lzdocs.cli import cli
from lzdocs.cli.common import Env, ExitStatus, command, json_option, pass_env
from lzdocs.cli.progress import progress_bar


def _size(n: int) -> str:
    for unit, step in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= step:
            return f"{n / step:.1f} {unit}"
    return f"{n} 字节"


@command(cli, "backup")
@click.argument("dest", metavar="备份文件夹", type=click.Path(path_type=Path))
@json_option
@pass_env
def backup_command(env: Env, dest: Path) -> None:
    """备份档案库：数据库、归档的原件和文书、设置和模板，附每个文件的 SHA-256 清单；监视运行时也可备份。

    \b
    每次备份是备份文件夹下一个以时间命名的文件夹（如 20261128-153000），各自完整、可单独恢复；
    与上一次相同的文件以硬链接共享，不再复制，所以第二次起只复制新增和变化的文件，以前的备份不会被改动；
    也因为共享，同一块盘上的几次备份防不了这块盘本身出错，重要的档案请再备份到另一块盘。
    登记簿和公示表不备份：恢复时由档案库数据重新生成。
    示例：
      lzdocs backup E:\\廉政档案备份
      lzdocs backup \\\\文件服务器\\备份\\纪委 --json
    恢复：lzdocs restore E:\\廉政档案备份 D:\\恢复的工作区
    退出码：0 备份完整；1 有档案库记录的文件缺失或被改动，没有备份（已列出）；2 用法或设置错误。
    """
    office = env.office()
    with progress_bar("备份", enabled=not env.json) as update:
        result = office.backup(dest, progress=update)
    if env.json:
        env.emit(result.as_dict())
    else:
        env.echo(f"已备份到 {result.snapshot}")
        env.echo(f"  共 {len(result.entries)} 个文件（{_size(result.bytes())}）：新复制 {result.count('copied')} 个"
                 f"（{_size(result.bytes('copied'))}），与上次相同、以硬链接共享 {result.count('linked')} 个；"
                 f"用时 {result.seconds:.1f} 秒")
        if result.registers:
            env.echo(f"  登记簿和公示表 {len(result.registers)} 个不备份，恢复时由档案库重新生成")
    for finding in result.findings:
        env.note(f"提醒：{finding.line()}")
    if result.findings:
        raise SystemExit(ExitStatus.SOME_REJECTED)


@cli.command("restore")
@click.argument("src", metavar="备份", type=click.Path(path_type=Path))
@click.argument("new", metavar="新工作区", type=click.Path(path_type=Path))
@json_option
@pass_env
def restore_command(env: Env, src: Path, new: Path) -> None:
    """从备份恢复出一个新的工作区（新文件夹必须不存在或为空），逐个文件核对 SHA-256，并重新生成登记簿。

    \b
    备份：lzdocs backup 用过的备份文件夹（恢复其中最新的一次），或其中一个时间文件夹。
    任何一个文件与备份清单不符时，不恢复任何文件，并指出是哪个文件。
    示例：
      lzdocs restore E:\\廉政档案备份 D:\\恢复的工作区
      lzdocs restore E:\\廉政档案备份\\20261128-153000 D:\\恢复的工作区 --json
    """
    from lzdocs.office import Office

    with progress_bar("恢复", enabled=not env.json) as update:
        restored = Office.restore(src, new, clock=env.clock, progress=update)
    for text in restored.warnings:
        env.note(f"提醒：{text}")
    if env.json:
        env.emit(restored.as_dict())
        return
    env.echo(f"已从备份 {restored.snapshot}（{restored.created}）恢复到 {restored.workspace}")
    env.echo(f"  {restored.files} 个文件（{_size(restored.bytes)}）均与备份清单核对无误；"
             f"重新生成登记簿和公示表 {len(restored.registers)} 个；用时 {restored.seconds:.1f} 秒")
    env.echo(f"  使用：lzdocs -w \"{restored.workspace}\" status")

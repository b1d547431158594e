"""The ``lzdocs`` command: a click group; each command group lives in its own module here."""

from __future__ import annotations

import click

from lzdocs import __version__
from lzdocs.cli.common import Env, LzdocsGroup


@click.group(cls=LzdocsGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("-w", "--workspace", metavar="DIR", envvar="LZDOCS_WORKSPACE",
              help="工作区文件夹（默认：$LZDOCS_WORKSPACE，否则当前文件夹）")
@click.version_option(__version__, prog_name="lzdocs")
@click.pass_context
def cli(ctx: click.Context, workspace: str | None) -> None:
    """lzdocs：廉政风险防控工作台 —— 收表、校验、建档、汇总、发文、归档。

    \b
    常用：
      lzdocs init 工作区          新建工作区
      lzdocs form --all           生成各单位空白表
      lzdocs ingest               处理 inbox 里收到的表格
      lzdocs risks --json         查看当前风险点
    """
    env = ctx.ensure_object(Env)
    if workspace:
        env.workspace_dir = workspace


def main() -> None:
    cli(prog_name="lzdocs")


# Command modules register themselves on import.
from lzdocs.cli import workspace_cmds, ingest_cmds, letter_cmds, register_cmds, watch_cmds, notice_cmds  # noqa: E402,F401

"""``lzdocs watch``: watch the inbox (often a network share) and ingest forms as they arrive, until stopped."""

from __future__ import annotations

from pathlib import Path

import click

from lzdocs.cli import cli
from lzdocs.cli.common import Env, command, inbox_option, pass_env


@command(cli, "watch")
@click.option("--polling", "mode", flag_value="polling", help="强制使用轮询（网络共享上必须用轮询）")
@click.option("--native", "mode", flag_value="native", help="强制使用本地文件事件（仅限本机磁盘）")
@click.option("--interval", type=float, metavar="秒", help="轮询间隔（默认取 lzdocs.toml [watch] interval，即 5 秒）")
@click.option("--stable", type=float, metavar="秒",
              help="文件大小和修改时间保持不变多少秒后才收取（默认取 [watch] stable，即 5 秒）")
@inbox_option
@pass_env
def watch_command(env: Env, mode: str | None, interval: float | None, stable: float | None,
                  inbox: Path | None) -> None:
    """持续监视收件文件夹：表格一放进来就自动收取、校验、归档，一批处理完后更新登记簿。

    \b
    示例：
      lzdocs watch                         按 lzdocs.toml 的设置监视（网络共享自动改用轮询）
      lzdocs watch --polling --interval 10 每 10 秒检查一次网络共享
      lzdocs -w D:\\廉政风险防控2026 watch  监视指定工作区
      lzdocs -w \\\\fs\\纪委\\廉政2026 watch --inbox \\\\campusB\\share\\收表
                                           每个校区一个 watch，各监视自己的收件文件夹，共用一个档案库
    按 Ctrl-C 停止（处理完手头的文件再退出）。日志写在工作区 .lzdocs/watch.log。
    作为服务运行（systemd、Windows 任务计划程序、NSSM）见 docs/watch.md。
    """
    env.choose_inbox(inbox)
    env.office().watch(mode=mode, interval=interval, stable=stable)

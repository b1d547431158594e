"""``lzdocs db``: the archive database itself — bring it to this version's schema, copy it to PostgreSQL."""

from __future__ import annotations

import click

from lzdocs.cli import cli
from lzdocs.cli.common import Env, ExitStatus, command, json_option, pass_env
from lzdocs.cli.progress import progress_bar


@cli.group("db")
def db_group() -> None:
    """档案库数据库：升级到本版本的结构，或把档案库复制到 PostgreSQL。"""


@command(db_group, "upgrade")
@json_option
@pass_env
def db_upgrade_command(env: Env) -> None:
    """把档案库升级到本版本 lzdocs 的数据库结构（SQLite 打开时会自动升级；多台电脑共用的 PostgreSQL 需要运行本命令）。

    \b
    示例：
      lzdocs db upgrade
    升级前请停止共用这个数据库的各台电脑上的 lzdocs watch。升级只增加表和列，不删除任何记录。
    """
    before, after = env.office().upgrade_database()
    if env.json:
        env.emit({"from": before, "to": after})
    elif before == after:
        env.echo(f"档案库已经是第 {after} 版，无需升级")
    elif before == 0:
        env.echo(f"已新建档案库（第 {after} 版）")
    else:
        env.echo(f"档案库已从第 {before} 版升级到第 {after} 版")


@command(db_group, "copy")
@click.option("--to", "url", required=True, metavar="数据库地址",
              help="目标数据库，如 postgresql+psycopg://用户:密码@服务器/库名（须是空的）")
@json_option
@pass_env
def db_copy_command(env: Env, url: str) -> None:
    """把本工作区的档案库（所有记录）复制到另一个数据库（如 PostgreSQL），复制后逐表核对条数和内容。

    \b
    示例：
      lzdocs db copy --to postgresql+psycopg://lzdocs:口令@10.0.0.5/lzdocs
    复制前请停止 lzdocs watch。原来的档案库不变；核对无误后，把 lzdocs.toml 中 [database] url 改成新地址即可切换。
    表格原件和文书仍在工作区文件夹里，不随数据库移动。
    """
    with progress_bar("复制档案库", enabled=not env.json) as update:
        report = env.office().copy_database(url, progress=update)
    if env.json:
        env.emit({"ok": report.ok, "rows": report.rows, "tables": report.tables, "moved": report.moved,
                  "warnings": report.warnings})
    else:
        from lzdocs.store.copy import TABLE_NAMES

        for name, table in report.tables.items():
            mark = "一致" if table["source"] == table["target"] and table["same"] else "不一致！"
            env.echo(f"  {TABLE_NAMES.get(name, name)}：{table['source']} 条 → {table['target']} 条，内容{mark}")
        if report.ok:
            from lzdocs.store.db import shown_url

            shown = shown_url(url)
            env.echo(f"已复制 {report.rows} 条记录，逐表核对一致。把 lzdocs.toml 中 [database] url 改为"
                     f"新地址（{shown}）即可改用它。")
            if report.moved:
                env.echo(f"从现在起本工作区只用服务器上的档案：改好 url 之前，lzdocs 不再打开 "
                         f"{shown_url(env.office().ws.db_url)}（复制以后再在旧文件里发文、收表，服务器上没有这些记录，"
                         "会重复编文号）。")
    for text in report.warnings:
        env.note(f"提醒：{text}")
    if not report.ok:
        raise SystemExit(ExitStatus.SOME_REJECTED)  # the copy is not the same: it is not to be used

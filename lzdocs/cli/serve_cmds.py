"""``lzdocs serve`` (the read-only status page) and ``lzdocs user add/list/remove`` (who may log in to it)."""

from __future__ import annotations

import click

from lzdocs.cli import cli
from lzdocs.cli.common import Env, command, json_option, pass_env


@command(cli, "serve")
@click.option("--host", default="127.0.0.1", show_default=True, metavar="地址",
              help="监听的地址：127.0.0.1 只有本机能看（无需登录）；0.0.0.0 或本机的局域网地址，"
                   "其他电脑也能看（需要登录）")
@click.option("--port", default=8800, show_default=True, type=click.IntRange(1, 65535), metavar="端口",
              help="端口")
@pass_env
def serve_command(env: Env, host: str, port: int) -> None:
    """只读的工作情况网页：报送情况、风险点、单位档案、预警处置、收文动态、统计图，以及归档文件的下载。

    \b
    示例：
      lzdocs serve                          只在本机查看：浏览器打开 http://127.0.0.1:8800/
      lzdocs user add 张三                  添加可以登录的用户（局域网访问时需要）
      lzdocs serve --host 0.0.0.0 --port 8800   局域网内其他电脑也能看，须用户名和密码登录
    按 Ctrl-C 停止。页面只读，不能在网页上修改档案；收表、发文仍用命令行。
    """
    from lzdocs.web import is_local, serve

    office = env.office()
    bare = host.strip("[]")
    bare = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(bare, bare)  # every address: a browser opens this one
    shown = f"[{bare}]" if ":" in bare else bare
    where = "只有本机能访问，无需登录" if is_local(host) else "其他电脑也能访问，须登录"
    said = f"工作情况网页：http://{shown}:{port}/（{where}；按 Ctrl-C 停止）"
    serve(office, host, port, begun=lambda: env.note(said))
    env.note("工作情况网页已停止")


@cli.group("user")
def user_group() -> None:
    """管理工作情况网页（lzdocs serve）的登录用户：添加、列出、删除。"""


@command(user_group, "add")
@click.argument("name", metavar="用户名")
@pass_env
def user_add_command(env: Env, name: str) -> None:
    """添加一个可以登录工作情况网页的用户（已有的用户则改密码）；密码输入两次，不显示在屏幕上。

    \b
    示例：
      lzdocs user add 张三
    密码至少 8 个字符，只保存其 argon2 散列（工作区 .lzdocs/web-users.json，仅本人可读）。
    """
    from lzdocs.web.auth import Users, check_name

    check_name(name)
    password = click.prompt("密码", hide_input=True, confirmation_prompt="再输入一次密码")
    added = Users(env.workspace().state).add(name, password, created=env.clock.now())
    env.echo(f"已添加用户 {name}" if added else f"已修改用户 {name} 的密码")


@command(user_group, "list")
@json_option
@pass_env
def user_list_command(env: Env) -> None:
    """列出可以登录工作情况网页的用户。

    \b
    示例：
      lzdocs user list
    """
    from lzdocs.web.auth import Users

    names = Users(env.workspace().state).names()
    if env.json:
        env.emit(names)
        return
    env.echo("\n".join(names) if names else "还没有用户（lzdocs user add 用户名 添加）")


@command(user_group, "remove")
@click.argument("name", metavar="用户名")
@pass_env
def user_remove_command(env: Env, name: str) -> None:
    """删除一个工作情况网页的用户；他已登录的页面随即需要重新登录。

    \b
    示例：
      lzdocs user remove 张三
    """
    from lzdocs.web.auth import Users

    Users(env.workspace().state).remove(name)
    env.echo(f"已删除用户 {name}")

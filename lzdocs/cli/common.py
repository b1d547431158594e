"""What every command shares: the workspace option, --json, output, and turning errors into exit codes."""

from __future__ import annotations

import datetime as dt
import enum
import json
import sys
from dataclasses import dataclass, field

import click

from lzdocs.errors import LzdocsError
from lzdocs.workspace import Workspace


class ExitStatus(enum.IntEnum):
    OK = 0
    SOME_REJECTED = 1
    USAGE = 2


@dataclass
class Env:
    """What a command needs from outside: the workspace folder, clocks, output mode. Tests swap it."""

    workspace_dir: str | None = None
    json: bool = False
    today: dt.date = field(default_factory=dt.date.today)
    _ws: Workspace | None = None

    def workspace(self) -> Workspace:
        if self._ws is None:
            self._ws = Workspace.open(self.workspace_dir)
        return self._ws

    def store(self):
        from lzdocs.store import Store

        return Store.for_workspace(self.workspace())

    def echo(self, text: str = "", **kw) -> None:
        """Human output (Chinese); silent in --json mode so stdout stays one JSON document."""
        if not self.json:
            click.echo(text, **kw)

    def note(self, text: str) -> None:
        """Progress and remarks: to stderr, so they never mix with JSON on stdout."""
        click.echo(text, err=True)

    def emit(self, data) -> None:
        """The one JSON document of a --json run."""
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))


def _json_default(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


pass_env = click.make_pass_decorator(Env, ensure=True)


def workspace_option(f):
    """-w/--workspace on a subcommand too (it may also be given before the subcommand)."""
    def callback(ctx, _param, value):
        if value:
            ctx.ensure_object(Env).workspace_dir = value
        return value

    return click.option("-w", "--workspace", "workspace_dir_", metavar="DIR", expose_value=False, is_eager=True,
                        callback=callback, help="工作区文件夹（默认：$LZDOCS_WORKSPACE，否则当前文件夹）")(f)


def json_option(f):
    def callback(ctx, _param, value):
        if value:
            ctx.ensure_object(Env).json = True
        return value

    return click.option("--json", "json_", is_flag=True, expose_value=False, callback=callback,
                        help="以 JSON 输出结果（供脚本使用）")(f)


def command(group: click.Group, name: str, **kw):
    """A subcommand with -w and the shared error handling; ``--json`` is added with ``json_option``."""
    return lambda f: group.command(name, **kw)(workspace_option(f))


def parse_date_option(value: str | None, name: str = "--date") -> dt.date | None:
    if value is None:
        return None
    from lzdocs.forms.values import parse_date

    day = parse_date(value)
    if day is None:
        raise click.BadParameter(f"“{value}”不是日期，请写成 2026-11-28", param_hint=name)
    return day


class LzdocsGroup(click.Group):
    """Turns LzdocsError into a Chinese message and its exit code, in one place."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except LzdocsError as exc:
            click.echo(f"错误：{exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("已中断。", err=True)
            sys.exit(130)

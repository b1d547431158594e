"""What every command shares: the workspace option, --json, output, and turning errors into exit codes."""

from __future__ import annotations

import datetime as dt
import enum
import errno
import json
import logging
import os
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from lzdocs import interrupts
from lzdocs.cli import zh
from lzdocs.clock import Clock
from lzdocs.errors import LzdocsError, from_os_error

if TYPE_CHECKING:  # the workspace module (settings, roster, TOML) loads when a command opens one
    from lzdocs.workspace import Workspace

if TYPE_CHECKING:
    from lzdocs.office import Office, Rebuilt

zh.install()

ERROR_LOG = "error.log"
INTERRUPTED = ("已中断（Ctrl-C）。已完成的部分已保存，未完成的部分没有生效；"
               "做到一半的（如正在收取的表格）下次运行时会接着完成，不会丢失。")


class ExitStatus(enum.IntEnum):
    OK = 0
    SOME_REJECTED = 1
    USAGE = 2
    INTERNAL = 3  # a bug: short Chinese message on stderr, the traceback in error.log
    INTERRUPTED = 130


@dataclass
class Env:
    """What a command needs from outside: the workspace folder, clocks, output mode. Tests swap it."""

    workspace_dir: str | None = None
    json: bool = False
    _clock: Clock | None = None
    _ws: Workspace | None = None
    _office: Office | None = None

    @property
    def clock(self) -> Clock:
        """The system clock, or the day ``LZDOCS_TODAY`` names; read when a command first needs it."""
        if self._clock is None:
            self._clock = Clock.from_environment()
        return self._clock

    @property
    def today(self) -> dt.date:
        """Today for this command: the system date, or ``LZDOCS_TODAY``."""
        return self.clock.today()

    def workspace(self) -> Workspace:
        if self._ws is None:
            from lzdocs.workspace import Workspace

            self._ws = Workspace.open(self.workspace_dir)
            for text in self._ws.settings.warnings:
                self.note(f"提醒：{text}")
        return self._ws

    def choose_inbox(self, path: Path | None) -> Workspace:
        """``--inbox``: the workspace with this process's own inbox (before ``office()`` is first asked for)."""
        ws = self.workspace()
        if path is not None:
            self._ws = ws = ws.with_inbox(Path(path).absolute())
        return ws

    def office(self) -> Office:
        """The workspace as a library object (``lzdocs.Office``), opened once per command and closed after it."""
        if self._office is None:
            from lzdocs.office import Office

            self._office = Office(self.workspace(), clock=self.clock)
        return self._office

    def close(self) -> None:
        if self._office is not None:
            self._office.close()

    def echo(self, text: str = "", **kw) -> None:
        """Human output (Chinese); silent in --json mode so stdout stays one JSON document."""
        if not self.json:
            _say(text, **kw)

    def note(self, text: str) -> None:
        """Progress and remarks: to stderr, so they never mix with JSON on stdout."""
        click.echo(text, err=True)

    def emit(self, data) -> None:
        """The one JSON document of a --json run."""
        _say(json_document(data))  # whole, whenever Ctrl-C comes


def _say(text: str, **kw) -> None:
    """A line, or the JSON document, to stdout. Once the work is saved a Ctrl-C is only noted
    (``interrupts.holding``), and a signal noted while a write to a full pipe waits makes the system write part of
    it: Python's buffered writer then returns the short count, and its text layer drops the rest without a word —
    the JSON of an ingest stopped by Ctrl-C came out cut at 64 KiB. There the bytes go to the descriptor until all
    are written; a Ctrl-C that is raised (the third) still ends the wait. Elsewhere (a terminal, click's test
    runner) click writes it."""
    stream = sys.stdout
    if interrupts.holding() and not kw:
        try:
            fd = None if stream.isatty() else stream.fileno()
        except (AttributeError, OSError, ValueError):  # no descriptor (io.UnsupportedOperation is both)
            fd = None
        if fd is not None:
            stream.flush()
            data = memoryview(f"{text}\n".encode(stream.encoding or "utf-8", stream.errors or "strict"))
            while data:
                data = data[os.write(fd, data):]
            return
    click.echo(text, **kw)


def print_registers(env: Env, rebuilt: Rebuilt, *, summary: bool = False) -> None:
    """The registers an action rewrote: each file, or one line of years (their warnings reach the log as 提醒)."""
    if summary:
        if rebuilt.files:
            env.echo(f"已更新登记簿：{', '.join(str(y) for y in rebuilt.years)} 年")
        return
    for path in rebuilt.files:
        env.echo(f"已更新 {env.workspace().relative(path)}")


def json_document(data) -> str:
    """``data`` as ``json.dumps(data, ensure_ascii=False, indent=2)`` writes it, dates as ISO days — by orjson, ten
    times as fast: Python's encoder falls back to pure Python when it indents (0.16 s of a thousand forms' ingest,
    whose outcomes list every hint). What orjson refuses — a name that is not UTF-8 (a lone surrogate, written as
    its \\u escape), an integer beyond 64 bits, a value neither knows — goes through ``json`` as before, which writes
    it or says why not. Floats, which no command writes today, differ: 1e-7 for json's 1e-07, null for json's NaN
    (which no JSON reader takes)."""
    import orjson

    # dates and dataclasses through ``_json_default``, as json has them: an ISO day (or time); a dataclass refused
    options = (orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
               | orjson.OPT_PASSTHROUGH_DATACLASS)
    try:
        return orjson.dumps(data, default=_json_default, option=options).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError is one
        text = json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)
        # a lone surrogate (in a string: nowhere else) as JSON's \udcfe escape, which reads back as it: printable
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _json_default(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


pass_env = click.make_pass_decorator(Env, ensure=True)


def inbox_option(f):
    """``--inbox PATH``: this process's own inbox instead of lzdocs.toml's [inbox] path (one per campus share)."""
    return click.option("--inbox", "inbox", type=click.Path(path_type=Path, file_okay=False), metavar="文件夹",
                        help="收件文件夹（默认取 lzdocs.toml [inbox] path）；多个校区各用一个，共用一个档案库")(f)


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


def numbering_options(f):
    """--draft and --number, the same on every command that issues a numbered document (letter, urge, notice)."""
    f = click.option("--number", "number", metavar="文号",
                     help="用在别处编好的文号，如党委办公室编的 内工大党发〔2026〕7号（已用过或已作废的文号不能用）")(f)
    return click.option("--draft", is_flag=True,
                        help="草稿：先预览，不编文号、不登记，写到 outbox/<年份>/草稿/")(f)


def command(group: click.Group, name: str, **kw):
    """A subcommand with -w and the shared error handling; ``--json`` is added with ``json_option``."""
    return lambda f: group.command(name, **kw)(workspace_option(f))


FIRST_YEAR = 2000  # the programme began in 2011; anything earlier is a typo


def parse_date_option(value: str | None, today: dt.date, name: str = "--date") -> dt.date | None:
    if value is None:
        return None
    from lzdocs.textutil import parse_date

    day = parse_date(value)
    if day is None:
        raise click.BadParameter(f"“{value}”不是日期，请写成 2026-11-28", param_hint=name)
    last = today.year + 5
    if not FIRST_YEAR <= day.year <= last:
        raise click.BadParameter(f"“{value}”的年份不对（应在 {FIRST_YEAR}—{last} 年之间），请写成 2026-11-28",
                                 param_hint=name)
    return day


class Year(click.ParamType):
    """``--year``: a four-digit year of the programme, checked with a Chinese message."""

    name = "年份"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            year = value
        else:
            text = str(value).strip().removesuffix("年")
            if not text.isdigit():
                self.fail(f"“{value}”不是年份，请写四位数字，如 2026", param, ctx)
            year = int(text)
        last = ctx.ensure_object(Env).today.year + 5 if ctx else 9999
        if not FIRST_YEAR <= year <= last:
            self.fail(f"{year} 不是有效的年度，请写 {FIRST_YEAR}—{last} 之间的四位年份，如 2026", param, ctx)
        return year


YEAR = Year()
# the default of every --year that means the programme year (docs/product.md §6: documents/status.py programme_year)
YEAR_HELP = ("年度（默认：今年；截止日期未到、去年尚未归档且仍在补报期内时，"
             "则为此前有表格的最近一年）")


class Level(click.ParamType):
    """``--level``: a risk level as clerks write it (一级, 二级, 三级; 1, 2, 3; 高, 中, 低; Ⅰ…), as 1, 2 or 3."""

    name = "等级"

    def convert(self, value, param, ctx):
        from lzdocs.forms.values import parse_level

        level = parse_level(value)
        if level is None:
            self.fail(f"“{value}”不是风险等级，请写一级、二级或三级（也可写 1、2、3 或 高、中、低）", param, ctx)
        return level


LEVEL = Level()


class LzdocsCommand(click.Command):
    """A subcommand whose usage line reads ``[选项]`` (metavars stay ASCII: click aligns help by character count)."""

    def __init__(self, *args, **kw):
        kw.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kw)


class LzdocsContext(click.Context):
    """click's context, whose close — after the command has returned and printed everything — ends a Ctrl-C that
    lands there as interrupted (130), not as click's "Aborted!" (1)."""

    def close(self) -> None:
        try:
            super().close()
        except KeyboardInterrupt:
            _interrupted()


class LzdocsGroup(click.Group):
    """Turns every failure into a Chinese message and its exit code, in one place: LzdocsError (its code),
    file-system errors (2, naming the path), Ctrl-C (130) and bugs (3, traceback written to error.log)."""

    command_class = LzdocsCommand
    group_class = type  # ``cli.group(...)`` makes another LzdocsGroup
    context_class = LzdocsContext

    def __init__(self, *args, **kw):
        kw.setdefault("options_metavar", "[选项]")
        kw.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kw)

    def make_context(self, info_name, args, parent=None, **extra):
        _SAID["interrupted"] = False  # a new command line (CliRunner runs many in one process)
        try:
            return super().make_context(info_name, args, parent, **extra)
        except KeyboardInterrupt:  # while the command line is read: click would call it "aborted", exit 1
            _interrupted(interrupts.NOT_STARTED)

    def invoke(self, ctx):
        try:
            return self._invoke(ctx)
        except KeyboardInterrupt:  # as the command set up its log or closed its archive, outside the handling below
            _interrupted()

    def _invoke(self, ctx):
        env = ctx.ensure_object(Env)
        handler = _install_log_handler(env)
        try:
            # A Ctrl-C swallowed by a finalizer is raised again at the next step; one that Python wrapped in another
            # error, or the error of a clean-up it cut short, is raised as the Ctrl-C it is.
            with interrupts.noted(), interrupts.as_interruption():
                return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except LzdocsError as exc:
            _fail(exc, exc.exit_code)
        except KeyboardInterrupt as exc:  # one with a message (a letter batch) says what was done before it
            _interrupted(str(exc) or INTERRUPTED)
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # `lzdocs risks | head`: click's main quietens the closed pipe
                raise
            _fail(from_os_error(exc), ExitStatus.USAGE)
        except Exception as exc:  # a bug: one short Chinese message, the details in error.log
            if os.environ.get("LZDOCS_DEBUG"):
                raise
            log = write_error_log(env, exc)
            where = (f"详细信息已记录在 {log}，请把该文件发给技术支持人员" if log else
                     "请联系技术支持人员（设置环境变量 LZDOCS_DEBUG=1 后重新运行，可显示详细信息）")
            click.echo(f"错误：程序内部出错（{type(exc).__name__}：{_first_line(exc)}），本次操作没有完成；{where}。",
                       err=True)
            sys.exit(ExitStatus.INTERNAL)
        finally:
            env.close()
            if handler is not None:
                logging.getLogger().removeHandler(handler)


_SAID = {"interrupted": False}  # the command has said it was interrupted: a Ctrl-C more as it closes says it again


def _interrupted(message: str = INTERRUPTED) -> NoReturn:
    if not _SAID["interrupted"]:
        _SAID["interrupted"] = True
        click.echo(message, err=True)
    sys.exit(ExitStatus.INTERRUPTED)


def _fail(exc: LzdocsError, code: int):
    click.echo(f"错误：{exc}", err=True)
    sys.exit(code)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0][:200] if text else "") or "无说明"


def error_log_path(env: Env) -> Path:
    """``<workspace>/.lzdocs/error.log`` once the workspace is open, else a file in the temp folder."""
    if env._ws is not None:
        try:
            return env._ws.state / ERROR_LOG
        except OSError:
            pass
    return Path(tempfile.gettempdir()) / f"lzdocs-{ERROR_LOG}"


def write_error_log(env: Env, exc: BaseException | None = None, text: str | None = None) -> Path | None:
    """Append a dated entry (the command line and the traceback) to the error log; None if it cannot be written."""
    path = error_log_path(env)
    body = text if text is not None else "".join(traceback.format_exception(exc))
    entry = f"==== {Clock().now():%Y-%m-%d %H:%M:%S} lzdocs {' '.join(sys.argv[1:])}\n{body.rstrip()}\n"
    try:
        if path.exists() and path.stat().st_size > 2**20:
            path.replace(path.with_name(path.name + ".1"))
        with open(path, "a", encoding="utf-8", errors="backslashreplace") as fh:  # a name not UTF-8: \\xfe
            fh.write(entry)
    except OSError:
        return None
    return path


class _ConsoleLogHandler(logging.Handler):
    """Library warnings during a command: one Chinese line on stderr; any traceback goes to error.log only.

    ``lzdocs watch`` installs its own handlers on the ``lzdocs`` logger (which then stops propagating here)."""

    def __init__(self, env: Env):
        super().__init__(logging.WARNING)
        self.env = env

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            log = None
            if record.exc_info or record.levelno >= logging.ERROR:
                detail = message + ("\n" + "".join(traceback.format_exception(*record.exc_info))
                                    if record.exc_info else "")
                log = write_error_log(self.env, text=f"[{record.name}] {detail}")
            if record.name.startswith("lzdocs"):
                line = (message.strip().splitlines() or [""])[0]
                click.echo(f"提醒：{line}" + (f"（详细信息见 {log}）" if log else ""), err=True)
        except Exception:  # logging must never break a command
            self.handleError(record)


def _install_log_handler(env: Env) -> logging.Handler | None:
    root = logging.getLogger()
    if any(isinstance(h, _ConsoleLogHandler) for h in root.handlers):
        return None  # a nested group (``lzdocs template check``) shares the outer one
    handler = _ConsoleLogHandler(env)
    root.addHandler(handler)
    return handler

"""Click's own messages (usage errors, help headings) in Chinese, through the gettext hook click calls."""

from __future__ import annotations

import importlib
import re

from lzdocs.textutil import display_width

# click's message ids (click 8.x) → Chinese; the placeholders are click's and must stay as they are.
MESSAGES = {
    "Usage:": "用法:",
    "Options": "选项",
    "Commands": "命令",
    "Show this message and exit.": "显示本帮助后退出。",
    "Show the version and exit.": "显示版本号后退出。",
    "%(prog)s, version %(version)s": "%(prog)s 版本 %(version)s",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "查看帮助：{command} {option}",
    "Aborted!": "已中断。",
    "Missing command.": "请写出要运行的命令，例如 lzdocs status。",
    "No such command {name!r}.": "没有“{name}”这个命令。",
    "No such option {name!r}.": "没有“{name}”这个选项。",
    "Did you mean {possibility}?": "是不是要写 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是不是要写其中之一：{possibilities}？）",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Invalid value for {param_hint}: {message}": "{param_hint}的值有误：{message}",
    "Invalid value: {message}": "值有误：{message}",
    "Option {name!r} does not take a value.": "选项 {name} 后面不能写值。",
    "Option {name!r} requires an argument.": "选项 {name} 后面要写一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name} 后面要写 {nargs} 个值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name} 要写 {nargs} 个值。",
    "Got unexpected extra argument ({args})": "多写了参数（{args}）；含空格的内容请用英文双引号括起来",
    "Got unexpected extra arguments ({args})": "多写了参数（{args}）；含空格的内容请用英文双引号括起来",
    "{value!r} is not a valid {number_type}.": "“{value}”不是数字。",
    "{value} is not in the range {range}.": "{value} 超出了允许的范围（{range}）。",
    "{value!r} is not {choice}.": "“{value}”不是可选的值，只能写 {choice}。",
    "{value!r} is not one of {choices}.": "“{value}”不是可选的值，可选：{choices}。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "“{value}”应为是或否（{states}）。",
    "{name} {filename!r} does not exist.": "找不到“{filename}”。",
    "{name} {filename!r} is a directory.": "“{filename}”是文件夹，这里需要一个文件。",
    "{name} {filename!r} is a file.": "“{filename}”是文件，这里需要一个文件夹。",
    "{name} {filename!r} is not readable.": "没有权限读取“{filename}”。",
    "{name} {filename!r} is not writable.": "没有权限写入“{filename}”。",
    "{name} {filename!r} is not executable.": "“{filename}”不能执行。",
    "Could not open file {filename!r}: {message}": "无法打开文件“{filename}”：{message}",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "env var: {var}": "环境变量：{var}",
    "(dynamic)": "（自动）",
    "deprecated": "已弃用",
    "unknown error": "未知错误",
    "Error: The two entered values do not match.": "两次输入的不一致，请重新输入。",  # lzdocs user add
}

_MODULES = ("click.core", "click.exceptions", "click.types", "click.parser", "click.decorators", "click.formatting",
            "click.termui")


def gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return gettext(singular if n == 1 else plural)


def term_len(text: str) -> int:
    """Terminal columns without colour codes: a Chinese character takes two, so help columns line up
    (click counts characters)."""
    from click._compat import strip_ansi

    return display_width(strip_ansi(text))


_QUOTED = re.compile(r"^'(.*)'$")  # how click quotes a parameter's name (``get_error_hint``)


_MISSING_MESSAGE = None  # click's own MissingParameter.format_message (``install``)


def join_param_hints(param_hint) -> str | None:
    """click's ``_join_param_hints``: the parameters an error names — ``'--level'`` as a parameter names itself,
    ``--date`` as lzdocs names one, several — each quoted as the Chinese messages quote: “--level”."""
    if param_hint is None:
        return None
    names = [param_hint] if isinstance(param_hint, str) else list(param_hint)
    return " / ".join("“" + _QUOTED.sub(r"\1", str(n)) + "”" for n in names)


def format_possibilities(possibilities: list[str]) -> str:
    """click's ``_format_possibilities``: the close option names, quoted as the Chinese messages quote."""
    shown = "、".join(f"“{p}”" for p in sorted(possibilities))
    return ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)",
                    len(possibilities)).format(possibility=shown, possibilities=shown)


def missing_message(error) -> str:
    """click's ``MissingParameter.format_message`` without the English full stop it puts after the name
    (``缺少参数 “种类”.``): what follows it, if anything, after a Chinese semicolon."""
    text = _MISSING_MESSAGE(error)
    head, stop, rest = text.partition("”.")
    if not stop:
        return text
    return head + "”" + (f"；{rest.strip()}" if rest.strip() else "")


def install() -> None:
    """Point click's ``_``/``ngettext`` at the Chinese table (unknown messages stay as click wrote them), quote
    parameter names as they do (``join_param_hints``, ``format_possibilities``), and measure help columns in
    display width."""
    importlib.import_module("click.formatting").term_len = term_len
    exceptions = importlib.import_module("click.exceptions")
    exceptions._join_param_hints = join_param_hints
    exceptions._format_possibilities = format_possibilities
    global _MISSING_MESSAGE
    if exceptions.MissingParameter.format_message is not missing_message:
        _MISSING_MESSAGE = exceptions.MissingParameter.format_message
        exceptions.MissingParameter.format_message = missing_message
    for name in _MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext

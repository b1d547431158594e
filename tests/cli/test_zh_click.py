"""cli/zh.py translates click's own messages by their English text: every one must still be click's."""

import importlib
import pathlib

import click
import pytest
from click.testing import CliRunner

from lzdocs.cli import cli, zh


def _click_source() -> str:
    return "".join(p.read_text(encoding="utf-8") for p in pathlib.Path(click.__file__).parent.glob("*.py"))


@pytest.mark.parametrize("message", sorted(zh.MESSAGES))
def test_every_translated_message_is_still_in_click(message):
    source = _click_source()
    assert repr(message) in source or f'"{message}"' in source, f"click 不再有这条消息：{message}"


def test_the_click_internals_zh_patches_are_there():
    assert callable(importlib.import_module("click.formatting").term_len)
    assert callable(importlib.import_module("click._compat").strip_ansi)
    patched = [name for name in zh._MODULES if hasattr(importlib.import_module(name), "_")]
    assert "click.core" in patched and "click.exceptions" in patched
    exceptions = importlib.import_module("click.exceptions")  # a parameter named “--level”, not '--level'
    assert exceptions._join_param_hints is zh.join_param_hints
    assert exceptions._format_possibilities is zh.format_possibilities
    assert exceptions.MissingParameter.format_message is zh.missing_message
    source = _click_source()
    assert source.count("_join_param_hints(") >= 3 and "_format_possibilities(" in source  # still what click calls
    assert 'return f"{missing}{param_hint}.{msg}"' in source  # the full stop missing_message takes away


def test_every_parameter_an_error_names_is_quoted_in_chinese(tmp_path):
    said = [CliRunner().invoke(cli, args).stderr for args in (
        ["risks", "--level", "五级"], ["letter"], ["reply"], ["risks", "--levle", "1"],
        ["verify", "--package", str(tmp_path / "无")])]
    assert "“--level”的值有误" in said[0] and "缺少参数 “种类”" in said[1] and "缺少参数 “文号”" in said[2]
    assert "错误：缺少参数 “种类”\n" in said[1] and "”." not in said[1] + said[2]  # no English full stop
    assert "“--level”" in said[3] and "“--package”的值有误" in said[4]
    assert not any("'" in text for text in said), said


def test_the_click_pin_admits_the_installed_version():
    import tomllib
    from importlib.metadata import version

    project = tomllib.loads((pathlib.Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    pin = next(r for r in project["project"]["dependencies"] if r.startswith("click"))
    assert pin.replace(" ", "") == "click>=8.1,<9"
    assert version("click").split(".")[0] == "8"


def test_a_usage_error_reads_in_chinese():
    result = CliRunner().invoke(cli, ["status", "--no-such-option"])
    assert result.exit_code == 2
    assert "没有“--no-such-option”这个选项" in result.stderr and "No such option" not in result.stderr


def _every_command(group: click.Group, ctx: click.Context, path=()):
    yield path
    if isinstance(group, click.Group):
        for name in group.list_commands(ctx):
            yield from _every_command(group.get_command(ctx, name), ctx, (*path, name))


def test_no_help_screen_shows_clicks_english_placeholders():
    """Each option's value is named in Chinese (--unit 单位, --data 文件), not by click's type names (TEXT, PATH…),
    on every command's --help."""
    english = {"TEXT", "INTEGER", "FLOAT", "PATH", "FILE", "FILENAME", "DIRECTORY", "BOOLEAN", "CHOICE", "UUID"}
    found = []
    for path in _every_command(cli, click.Context(cli)):
        shown = CliRunner().invoke(cli, [*path, "--help"]).output
        found += [f"{' '.join(path)}: {line.strip()}" for line in shown.splitlines()
                  if line.strip().startswith("-") and english & set(line.replace("|", " ").replace("[", " ").split())]
    assert found == []

"""The ``lzdocs`` command: a click group whose commands live in modules here, each imported when first used."""

from __future__ import annotations

import gc
import importlib

import click
from click.utils import make_default_short_help

from lzdocs import __version__
from lzdocs.cli import zh
from lzdocs.cli.common import Env, LzdocsGroup

# Every subcommand: name → ("module:attribute" under lzdocs.cli, the one-line help ``lzdocs --help`` shows).
# The help is kept here so that listing the commands imports none of them; a test checks it against each
# command's own docstring.
COMMANDS: dict[str, tuple[str, str]] = {
    "archive": ("archive_cmds:archive_command",
                "年度归档：按 DA/T 22—2015 整理一年的文书和收到的表格，生成归档文件、目录和清单，之后该年度关闭。"),
    "backup": ("backup_cmds:backup_command",
               "备份档案库：数据库、归档的原件和文书、设置和模板，附每个文件的 SHA-256 清单；监视运行时也可备份。"),
    "changes": ("changes_cmds:changes_command", "与上一年度比较各单位的风险点：新增、删除、等级变化、防控措施变化。"),
    "case": ("case_cmds:case_group",
             "违纪违规案例登记与事后分析：登记案例并关联对应的风险点，列出案例供警示教育使用。"),
    "db": ("db_cmds:db_group", "档案库数据库：升级到本版本的结构，或把档案库复制到 PostgreSQL。"),
    "demo": ("workspace_cmds:demo_command",
             "演示：新建一个工作区，放入十几份模拟表格，从头到尾跑一遍，并列出生成的文件。"),
    "follow-up": ("follow_up_cmds:follow_up_command",
                  "登记预警处置的跟踪：核查整改情况（已整改/未整改、核查人、日期）、办结，或关联风险点。"),
    "form": ("workspace_cmds:form_command", "生成空白《岗位风险分析和防控措施表》供下发，可预填单位名称。"),
    "ingest": ("ingest_cmds:ingest_command",
               "处理收件文件夹里的表格，或指定的文件/文件夹（指定的文件只复制，不移动；收件文件夹里的照常收走）。"),
    "init": ("workspace_cmds:init_command", "新建工作区（可重复运行；已有的文件不会被覆盖）。"),
    "letter": ("letter_cmds:letter_command",
               "生成一份（或一批）带文号的纪检监察文书，并登记到发文登记簿和预警处置台账。"),
    "notice": ("notice_cmds:notice_command",
               "按 GB/T 9704《党政机关公文格式》生成红头公文，编发文字号并登记到发文登记簿。"),
    "publicity": ("register_cmds:publicity_command",
                  "发布公示表：按档案库现有的风险点生成一份注明公示期的公示表，另存留档，以后不再改动。"),
    "quality": ("quality_cmds:quality_command",
                "审查各单位报送的表格质量：措施笼统、照抄其他单位、与上年相同、可能遗漏、责任人不明（只提示，不退回）。"),
    "register": ("register_cmds:register_command",
                 "重新生成某年度的登记簿和公示表（全部由档案库数据重建，可反复运行）。"),
    "reply": ("letter_cmds:reply_command", "登记单位对一份文书的书面回复，或谈话提醒已进行（预警处置台账）。"),
    "restore": ("backup_cmds:restore_command",
                "从备份恢复出一个新的工作区（新文件夹必须不存在或为空），逐个文件核对 SHA-256，并重新生成登记簿。"),
    "review": ("review_cmds:review_command", "列出到期和逾期的风险点复核，以及防控措施“未落实”的风险点。"),
    "risks": ("ingest_cmds:risks_command", "列出当前有效的风险点（每个单位每年以最新报送的表为准）。"),
    "serve": ("serve_cmds:serve_command",
              "只读的工作情况网页：报送情况、风险点、单位档案、预警处置、收文动态、统计图，以及归档文件的下载。"),
    "status": ("register_cmds:status_command",
               "查看报送情况：哪些单位按时报送、逾期报送、未报送，各等级风险点数，哪些文书逾期未回复。"),
    "summary": ("summary_cmds:summary_command",
                "生成年度廉政风险防控工作总结（报告），数字全部由档案库统计；可同时生成报高校工委备案的上报材料。"),
    "template": ("letter_cmds:template_group", "模板工具：检查 Word 模板里的标签。"),
    "unit": ("follow_up_cmds:unit_command", "查看一个单位的档案：历年风险点、复核、预警处置（各环节状态）和案例。"),
    "urge": ("letter_cmds:urge_command", "给名单中本年度还没有报送（或报送被退回）的每个单位发一份催报通知。"),
    "user": ("serve_cmds:user_group", "管理工作情况网页（lzdocs serve）的登录用户：添加、列出、删除。"),
    "verify": ("verify_cmds:verify_command",
               "检查档案是否完好：事件记录的校验链、每个归档文件的大小和 SHA-256、有无记录之外的文件、数据库完整性。"),
    "void": ("void_cmds:void_command",
             "作废一个文号：发文登记簿中保留并注明作废，文件移到“作废”文件夹，此文号不再使用。"),
    "warn": ("follow_up_cmds:warn_command",
             "登记当面进行的批评教育（不发文书）：编登记号，记入发文登记簿和预警处置台账，之后跟踪核查整改直到办结。"),
    "watch": ("watch_cmds:watch_command",
              "持续监视收件文件夹：表格一放进来就自动收取、校验、归档，一批处理完后更新登记簿。"),
}


class LazyGroup(LzdocsGroup):
    """A group whose subcommands are imported on first use (click's lazy-loading pattern), so that a command
    loads only its own module and ``lzdocs --help`` lists every command from ``COMMANDS`` alone."""

    def __init__(self, *args, lazy_subcommands: dict[str, tuple[str, str]] | None = None, **kw):
        super().__init__(*args, **kw)
        self.lazy_subcommands = lazy_subcommands or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in self.lazy_subcommands:
            self.load(name)
        return super().get_command(ctx, name)

    def load(self, name: str) -> click.Command:
        """Import the module of command ``name``; a module that does not register itself is added here."""
        module_name, attribute = self.lazy_subcommands[name][0].split(":")
        module = importlib.import_module(f"{__name__}.{module_name}")
        if _starting():
            gc.freeze()  # what start-up loaded lives to the end: later collections need not scan it again
            # and the young objects collected in larger batches: a thousand forms' ingest spent 0.18 s in the
            # collector, 0.09 s so (each form's rows and records are freed by their counts, not by the collector)
            gc.set_threshold(20_000, 10, 10)
            gc.enable()
        if name not in self.commands:
            self.add_command(getattr(module, attribute), name)
        return self.commands[name]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click lists the commands, with the table's help for those not imported yet."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(map(len, names))
        rows = []
        for name in names:
            command = self.commands.get(name)
            if command is None:
                rows.append((name, make_default_short_help(self.lazy_subcommands[name][1], limit).strip()))
            elif not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section(zh.gettext("Commands")):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, lazy_subcommands=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


_START_UP = {"paused": False}


def _starting() -> bool:
    """True (once) when ``main`` paused the garbage collector for start-up and the command's module is now loaded."""
    paused, _START_UP["paused"] = _START_UP["paused"], False
    return paused


def main() -> None:
    # Start-up creates several hundred thousand objects that live to the end (the libraries' modules, classes,
    # tables); the collector would walk them again and again as they grow: 0.1–0.18 s of a letter's ~1 s. It is
    # paused until the command's module is loaded, those objects are then frozen (never walked again) and
    # collection resumes for the command's own work, however long it runs (watch, serve, ingest).
    if gc.isenabled():
        gc.disable()
        _START_UP["paused"] = True
    try:
        cli(prog_name="lzdocs")
    finally:
        if _starting():
            gc.enable()

"""The workspace: finding and creating it, its settings (lzdocs.toml) and its roster (units.csv/.xlsx)."""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import os
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from lzdocs.errors import ConfigError, WorkspaceNotFound
from lzdocs.textutil import squeeze

CONFIG_NAME = "lzdocs.toml"
REJECTED_DIR = "退回"
WORK_DIR = ".lzdocs"  # claimed files in flight, locks, logs — same file system as the inbox

DEFAULT_CONFIG = """\
# lzdocs 工作区设置。用记事本或 WPS 编辑后保存（UTF-8），下次运行命令时生效。

[organisation]
school = "内蒙古工业大学"                      # 学校（单位）名称，出现在表格标题里
issuer = "中共内蒙古工业大学纪律检查委员会"     # 默认发文机关（纪检监察文书落款）
office = "内蒙古工业大学纪委办公室"             # 印发机关

[numbering]
# 各文种的机关代字：文号 = 机关代字 + 〔年份〕 + 序号 + 号
suggestion = "内工大纪建"      # 纪检监察建议书
accountability = "内工大纪问"  # 问廉问责书
talk = "内工大纪谈"            # 谈话提醒通知书
rectify = "内工大纪改"         # 责令检查整改通知书
urge = "内工大纪催"            # 催报通知

[issuers]
# 公文（lzdocs notice）的发文机关 → 机关代字
"中共内蒙古工业大学委员会" = "内工大党发"
"内蒙古工业大学" = "内工大校发"
"中共内蒙古工业大学纪律检查委员会" = "内工大纪发"

[notice]
# 公文（lzdocs notice）的默认值，命令中的 --to、--style、--cc 优先
to = "各部门、各单位"    # 主送机关（上行文“请示”“报告”须用 --to 写明）
style = "2012"           # 版式：2012（GB/T 9704-2012）或 1999（成文日期用汉字，带主题词）
cc = ""                  # 抄送机关，如 "自治区高校工委，学校各位领导"
printer = ""             # 印发机关（版记）；留空则用 [organisation] 的 office

[submission]
deadline = "11-16"       # 报送截止日期：月-日（每年），或完整日期 2026-11-16

[letters]
# 纪检监察文书的默认期限：成文日期后多少天（可在命令中用 --set 回复期限=2026-12-31 等单独指定）
suggestion_days = 30     # 纪检监察建议书：回复期限
accountability_days = 15 # 问廉问责书：回复期限
rectify_days = 30        # 责令检查整改通知书：整改期限
urge_days = 7            # 催报通知：补报期限
pdf_timeout = 120        # 用 LibreOffice 转换 PDF 的超时（秒）

[publicity]
show_owner = false       # 公示表是否列出责任人姓名（范围较大的公示请保持 false）

[inbox]
path = "inbox"           # 收件文件夹，可写网络共享路径，如 "//fileserver/纪委/收件"

[watch]
mode = "auto"            # auto：按挂载类型自动选择；native：本地事件；polling：轮询（网络共享）
interval = 5             # 轮询间隔（秒）
stable = 5               # 文件大小和修改时间保持不变多少秒后才收取
incomplete_timeout = 60  # 文件已不再变化、却仍不是完整文件（如复制中断）多少秒后按损坏文件退回

[database]
url = ""                 # 留空使用工作区里的 lzdocs.db（SQLite）

[limits]
max_file_mb = 50              # 单个文件大小上限
max_zip_entries = 5000        # 压缩包内文件数上限
max_uncompressed_mb = 300     # 解压后总大小上限
max_ratio = 200               # 压缩比上限
"""

DEFAULT_ROSTER = """\
单位,别名,负责人,分管领导
党政办公室,校办、党办,,
纪委办公室,纪委、监察处,,
组织部,党委组织部,,
宣传部,党委宣传部,,
人事处,人事部,,
计划财务处,计财处、财务处,,
教务处,,,
科学技术处,科技处,,
国有资产管理处,资产处、国资处,,
基建处,基建规划处,,
后勤管理处,后勤处,,
招生就业处,招生办、就业处,,
图书馆,,,
"""


@dataclass
class Settings:
    """lzdocs.toml, read once and passed in; unknown sections are kept in ``raw`` for later commands."""

    raw: dict = field(default_factory=dict)

    def section(self, name: str) -> dict:
        value = self.raw.get(name, {})
        return value if isinstance(value, dict) else {}

    def get(self, section: str, key: str, default=None):
        return self.section(section).get(key, default)

    @property
    def school(self) -> str:
        return self.get("organisation", "school", "")

    def limit(self, key: str, default: int) -> int:
        return int(self.get("limits", key, default))

    def deadline(self, year: int) -> dt.date | None:
        value = self.get("submission", "deadline")
        if isinstance(value, dt.date):
            return value if value.year == year else value.replace(year=year)
        if not value:
            return None
        text = str(value).strip()
        try:
            if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
                day = dt.date.fromisoformat(text if len(text) == 10 else _pad(text))
                return day if day.year == year else day.replace(year=year)
            month, day_ = (int(x) for x in text.split("-"))
            return dt.date(year, month, day_)
        except ValueError as exc:
            raise ConfigError(f"lzdocs.toml 中 [submission] deadline 的值“{text}”不是日期",
                              hint="请写成 11-16 或 2026-11-16") from exc


def _pad(text: str) -> str:
    y, m, d = text.split("-")
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"


@dataclass(frozen=True)
class Unit:
    name: str
    aliases: tuple[str, ...] = ()
    head: str = ""
    leader: str = ""


class Roster:
    """The list of units (单位) expected to submit, with aliases that resolve to the roster name."""

    def __init__(self, units: list[Unit], *, school: str = ""):
        self.units = units
        self.school = school
        self._index: dict[str, str] = {}
        for unit in units:
            for key in (unit.name, *unit.aliases):
                self._index.setdefault(squeeze(key), unit.name)

    def __bool__(self) -> bool:
        return bool(self.units)

    def __iter__(self):
        return iter(self.units)

    @property
    def names(self) -> list[str]:
        return [u.name for u in self.units]

    def resolve(self, text: str) -> str | None:
        """The roster name for a name or alias as written on a form, or None."""
        key = squeeze(text)
        key = re.sub(r"[（(]?(公章|盖章)[)）]?", "", key)
        if key in self._index:
            return self._index[key]
        school = squeeze(self.school)
        if school and key.startswith(school) and key[len(school):] in self._index:
            return self._index[key[len(school):]]
        return None

    def closest(self, text: str, n: int = 3) -> list[str]:
        """Roster names that look most like ``text`` — for a helpful error message."""
        matches = difflib.get_close_matches(squeeze(text), list(self._index), n=n * 2, cutoff=0.3)
        seen: list[str] = []
        for m in matches:
            name = self._index[m]
            if name not in seen:
                seen.append(name)
        return seen[:n]


_ALIAS_SPLIT = re.compile(r"[、，,;；/]+")


def parse_roster(rows: list[list[str]], *, source: str, school: str = "") -> Roster:
    if not rows:
        return Roster([], school=school)
    header = [squeeze(str(h or "")) for h in rows[0]]
    if "单位" not in header:
        raise ConfigError(f"名单文件 {source} 的第一行应为表头“单位,别名,负责人,分管领导”，未找到“单位”列")
    col = {name: header.index(name) for name in ("单位", "别名", "负责人", "分管领导") if name in header}

    def cell(row, key):
        i = col.get(key)
        return str(row[i]).strip() if i is not None and i < len(row) and row[i] is not None else ""

    units, seen = [], set()
    for row in rows[1:]:
        name = cell(row, "单位")
        if not name or squeeze(name) in seen:
            continue
        seen.add(squeeze(name))
        aliases = tuple(a.strip() for a in _ALIAS_SPLIT.split(cell(row, "别名")) if a.strip())
        units.append(Unit(name, aliases, cell(row, "负责人"), cell(row, "分管领导")))
    return Roster(units, school=school)


@dataclass
class Workspace:
    """One programme's folder: settings, roster, inbox, outbox, templates and the archive database."""

    root: Path
    settings: Settings

    @classmethod
    def open(cls, root: str | os.PathLike | None = None) -> "Workspace":
        root = Path(root or os.environ.get("LZDOCS_WORKSPACE") or ".").resolve()
        config = root / CONFIG_NAME
        if not config.is_file():
            raise WorkspaceNotFound(f"“{root}”不是 lzdocs 工作区（没有 {CONFIG_NAME}）",
                                    hint=f"先运行 lzdocs init \"{root}\"，或用 -w 指定工作区文件夹")
        try:
            raw = tomllib.loads(config.read_text(encoding="utf-8-sig"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{CONFIG_NAME} 格式有误：{exc}", hint="请用记事本检查引号和等号，保存为 UTF-8") from exc
        return cls(root, Settings(raw))

    @classmethod
    def init(cls, root: str | os.PathLike) -> tuple["Workspace", list[Path]]:
        """Create the workspace folders and default files; never overwrite anything that exists."""
        root = Path(root).resolve()
        created: list[Path] = []
        for folder in (root, root / "inbox", root / "inbox" / REJECTED_DIR, root / "outbox", root / "templates",
                       root / "forms"):
            if not folder.exists():
                folder.mkdir(parents=True)
                created.append(folder)
        for name, text in ((CONFIG_NAME, DEFAULT_CONFIG), ("units.csv", "\ufeff" + DEFAULT_ROSTER)):
            path = root / name
            if name == "units.csv" and (root / "units.xlsx").exists():
                continue
            if not path.exists():
                with open(path, "x", encoding="utf-8", newline="") as fh:
                    fh.write(text)
                created.append(path)
        ws = cls.open(root)
        ws.rejected.mkdir(parents=True, exist_ok=True)
        created += ws._copy_default_templates()
        return ws, created

    def _copy_default_templates(self) -> list[Path]:
        """Put editable copies of the packaged templates into templates/; an existing file is left alone."""
        copied = []
        for item in (resources.files("lzdocs") / "templates").iterdir():
            if not item.name.endswith((".docx", ".xlsx")):
                continue
            target = self.templates / item.name
            if not target.exists():
                with open(target, "xb") as fh:
                    fh.write(item.read_bytes())
                copied.append(target)
        return copied

    # --- places -------------------------------------------------------------------------------
    @property
    def inbox(self) -> Path:
        path = Path(os.path.expandvars(str(self.settings.get("inbox", "path", "inbox"))))
        return path if path.is_absolute() or str(path).startswith(("//", "\\\\")) else self.root / path

    @property
    def rejected(self) -> Path:
        return self.inbox / REJECTED_DIR

    @property
    def work(self) -> Path:
        """Claimed files in flight; inside the inbox so that a claim is a rename on one file system."""
        return self.inbox / WORK_DIR

    @property
    def state(self) -> Path:
        """Locks and logs of this workspace."""
        path = self.root / WORK_DIR
        path.mkdir(exist_ok=True)
        return path

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    def year_dir(self, year: int) -> Path:
        return self.outbox / str(year)

    @property
    def db_url(self) -> str:
        url = str(self.settings.get("database", "url", "") or "")
        return url or f"sqlite:///{(self.root / 'lzdocs.db').as_posix()}"

    def template(self, name: str) -> Path:
        """A template by file name: the workspace's own copy, else the packaged default."""
        own = self.templates / name
        if own.is_file():
            return own
        packaged = resources.files("lzdocs") / "templates" / name
        with resources.as_file(packaged) as path:
            if not path.is_file():
                raise ConfigError(f"找不到模板 {name}", hint=f"请把模板放在 {self.templates} 下")
            return path

    def relative(self, path: Path) -> str:
        try:
            return Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    # --- roster -------------------------------------------------------------------------------
    def roster(self) -> Roster:
        csv_path, xlsx_path = self.root / "units.csv", self.root / "units.xlsx"
        if csv_path.is_file():
            data = csv_path.read_bytes()
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                try:
                    text = data.decode("gb18030")
                except UnicodeDecodeError as exc:
                    raise ConfigError("units.csv 无法按 UTF-8 或 GBK 读取", hint="请用 WPS/Excel 另存为“CSV UTF-8”") from exc
            rows = list(csv.reader(io.StringIO(text)))
            return parse_roster(rows, source="units.csv", school=self.school)
        if xlsx_path.is_file():
            from openpyxl import load_workbook

            wb = load_workbook(xlsx_path, read_only=True, data_only=True)
            try:
                rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
            finally:
                wb.close()
            return parse_roster(rows, source="units.xlsx", school=self.school)
        return Roster([], school=self.school)

    @property
    def school(self) -> str:
        return self.settings.school

"""The workspace: finding and creating it, its settings (lzdocs.toml) and its roster (units.csv/.xlsx)."""

from __future__ import annotations

import functools
import os
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from lzdocs.errors import ConfigError, UnknownUnit, WorkspaceNotFound
from lzdocs.organisation import LETTER_CODES, SAMPLE, Organisation, fill_organisation
from lzdocs.settings import Settings, parse_toml
from lzdocs.textutil import CONTROL_CHARACTERS, close_matches, decode_text, squeeze

CONFIG_NAME = "lzdocs.toml"
REJECTED_DIR = "退回"
WORK_DIR = ".lzdocs"  # claimed files in flight, locks, logs — same file system as the inbox

CONFIG_TEXT = """\
# lzdocs 工作区设置。用记事本或 WPS 编辑后保存（UTF-8），下次运行命令时生效。

@organisation@
[printers]
# 各发文机关公文的印发机关（版记中“印发”前的机关，一般是发文机关的办公室）：发文机关或机关代字 → 印发机关
# 没有列出的发文机关用 [notice] printer；也留空时，[organisation] 的发文机关用 office，其他用“发文机关＋办公室”
# 例如党委、学校合署办公时："中共某某大学委员会" = "某某大学党政办公室"

[notice]
# 公文（lzdocs notice）的默认值，命令中的 --to、--style、--cc 优先
to = "各部门、各单位"    # 主送机关（上行文“请示”“报告”须用 --to 写明）
style = "2012"           # 版式：2012（GB/T 9704-2012）或 1999（成文日期用汉字，带主题词）
cc = ""                  # 抄送机关，如 "自治区高校工委，学校各位领导"
printer = ""             # 所有发文机关共用的印发机关；一般留空，按 [printers] 逐个设置

[submission]
deadline = "11-16"       # 报送截止日期：月-日（每年），或完整日期 2026-11-16

[letters]
# 纪检监察文书的默认期限：成文日期后多少天（可在命令中用 --set 回复期限=2026-12-31 等单独指定）
suggestion_days = 30     # 纪检监察建议书：回复期限
accountability_days = 15 # 问廉问责书：回复期限
rectify_days = 30        # 责令检查整改通知书：整改期限
urge_days = 7            # 催报通知：补报期限
meeting_days = 30        # 关于责成召开专题民主生活会的通知：召开时限
pdf_timeout = 120        # 用 LibreOffice 转换 PDF 的超时（秒）

[follow_up]
# 预警处置的跟踪期限（天）：回复或谈话之后多少天内核查整改情况，核查已整改之后多少天内办结；超过即在
# lzdocs status 和预警处置台账中列为逾期（核查结果为未整改的，自核查之日起再按 check_days 计算下次核查）
check_days = 30          # 回复（谈话）后核查整改情况的期限
close_days = 15          # 核查已整改后办结的期限

[publicity]
show_owner = false       # 公示表是否列出责任人姓名（范围较大的公示请保持 false）
days = 7                 # 公示期天数（含首尾两天），从 start 起算
start = ""               # 公示期开始日期，如 "2026-12-01"；留空则 lzdocs publicity 从当天起算，随收表更新的
                         # 公示表沿用最近一次发布的公示期（没有发布过则为生成公示表的当天）
end = ""                 # 公示期结束日期，如 "2026-12-07"；留空则按 days 推算
phone = ""               # 监督电话，印在公示表上，如 "0471-6575000"；留空则不印
email = ""               # 监督邮箱，印在公示表上，如 "jiwei@example.edu.cn"；留空则不印

[changes]
# lzdocs changes 和汇总表“变化”工作表：把各单位本年度的表与上一年度的表逐条比对
match_threshold = 75     # 相似度（1-100）达到此值的两条风险点（岗位也相近）视为同一风险点、只是措辞调整；
                         # 调高则措辞稍有改动就算“新增”和“删除”，调低则不太相近的也会被当作同一风险点

[quality]
# 表格质量审查（lzdocs quality、收表时的提示、汇总表“质量”工作表）：只提示，从不因此退回表格
copy_threshold = 90      # 风险点描述与其他单位的表相似度（1-100）达到此值，提示“可能照抄”
min_points = 3           # 涉及财务、基建、招生等高风险业务的单位，风险点少于此数即提示“可能遗漏”
rules_file = "质量规则.toml"  # 工作区里补充笼统表述、高风险业务关键词等规则的文件（不存在则只用内置规则）

[quality_areas]
# 单独指定某单位的高风险业务（默认按单位名称推断，如 计划财务处 → 财务管理；units.csv 的“业务领域”列优先），
# 单位名称用英文双引号括起来，如：
# "后勤管理处" = "物资采购、基建工程"
# "图书馆" = "无"

[inbox]
path = "inbox"           # 收件文件夹，可写网络共享路径，如 "//fileserver/纪委/收件"

[forms]
same_as_above = true     # 岗位名称留空（或写“同上”）的行沿用上一行的岗位，并提醒；改为 false 则退回，要求每行都填写

[reviews]
# 风险点定期复核（动态管理）：上次复核（或报送风险表的填表日期）后多少个月再复核，按风险等级
level1_months = 6        # 一级风险点：每 6 个月复核一次
level2_months = 12       # 二级风险点：每 12 个月
level3_months = 24       # 三级风险点：每 24 个月
due_within_days = 30     # lzdocs review 和 lzdocs status 列出多少天内到期的复核
match_similarity = 85    # 落实情况检查表的风险点与当前风险点文字相似度（百分比）达到多少算同一个风险点

[watch]
mode = "auto"            # auto：按挂载类型自动选择；native：本地事件；polling：轮询（网络共享）
interval = 5             # 轮询间隔（秒）
stable = 5               # 文件大小和修改时间保持不变多少秒后才收取
incomplete_timeout = 60  # 文件已不再变化、却仍不是完整文件（如复制中断）多少秒后按损坏文件退回

[cases]
# 登记案例（lzdocs case add）时，与本单位风险点的相似度（0—100：岗位占三成、风险内容占七成）达到此值，
# 即关联该风险点并标记“已发生”
match_threshold = 80

[archive]
# 年度归档（lzdocs archive --year 2026 文件夹）：按 DA/T 22—2015《归档文件整理规则》，每份文件为一件，
# 档号 = 全宗号-年度-保管期限-机构（问题）代码-件号，如 Z123-2026-D30-JW-0001
fonds = ""               # 全宗号：档案馆给本单位的全宗号，如 "Z123"（字母和数字；不设置不能归档）
organ = "JW"             # 机构（问题）代码：归档文件所属机构或问题的代码，如纪委办公室 "JW"
# 各类文件的保管期限：永久、定期30年 或 定期10年（也可写代码 Y、D30、D10）
notice = "永久"          # 公文（lzdocs notice）
summary = "永久"         # 年度工作总结（lzdocs summary）
publicity = "永久"       # 发布的公示表（lzdocs publicity）
suggestion = "定期30年"  # 纪检监察建议书
accountability = "定期30年"  # 问廉问责书
talk = "定期30年"        # 谈话提醒通知书
rectify = "定期30年"     # 责令检查整改通知书
meeting = "定期30年"     # 关于责成召开专题民主生活会的通知
urge = "定期10年"        # 催报通知（事务性文件）
forms = "定期30年"       # 各单位报送的表格（岗位风险分析和防控措施表、防控措施落实情况检查表）

[database]
url = ""                 # 留空使用工作区里的 lzdocs.db（SQLite）

[limits]
max_file_mb = 50              # 单个文件大小上限
max_zip_entries = 5000        # 压缩包内文件数上限
max_uncompressed_mb = 300     # 解压后总大小上限
max_ratio = 200               # 压缩比上限
max_rows = 10000              # Excel 表格每个工作表最多读取的行数：更靠下的单元格里还有内容（文字或数字）时退回，
                              # 并说明是哪个单元格；只有格式、没有内容的单元格不算
max_columns = 50              # Excel 表格每个工作表最多读取的列数（50 列即 A 到 AX 列），同上
"""

def config_text(organisation: Organisation | None) -> str:
    """A new lzdocs.toml; without an organisation its names and codes are blank (no document goes out until set)."""
    return CONFIG_TEXT.replace("@organisation@\n", (organisation or Organisation()).config_text())


__all__ = ["LETTER_CODES", "SAMPLE", "Organisation", "Roster", "Workspace"]

@functools.lru_cache(maxsize=16)
def _resolved(root: Path) -> Path:
    return root.resolve()


def _through_link(root: Path, parts: tuple[str, ...]) -> bool:
    """Is any of ``root/parts[0]``, ``root/parts[0]/parts[1]`` … a link (``fsutil.links_on_the_way``)?"""
    from lzdocs.fsutil import links_on_the_way

    return next(links_on_the_way(root, parts), None) is not None


DEFAULT_CONFIG = config_text(SAMPLE)  # every known key with a value of its type (Settings.validate)

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


@dataclass(frozen=True)
class Unit:
    name: str
    aliases: tuple[str, ...] = ()
    head: str = ""
    leader: str = ""
    areas: tuple[str, ...] | None = None  # 业务领域 (optional column; quality review): None = guessed from the name
    first_year: int | None = None  # 起始年度 (optional column): the first year it is to report; None = always was
    last_year: int | None = None  # 终止年度 (optional column): the last year it is to report; None = still does

    def reports_in(self, year: int) -> bool:
        """Is the unit expected to send its form for ``year``?"""
        return (self.first_year or year) <= year <= (self.last_year or year)


class Roster:
    """The list of units (单位) expected to submit, with aliases that resolve to the roster name."""

    def __init__(self, units: list[Unit], *, school: str = ""):
        self.units = units
        self.school = school
        self._by_name = {unit.name: unit for unit in reversed(units)}  # the first of a name, as a scan would find it
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
        """Every unit on the roster: whose name or alias a form or a record may carry, in the roster's order."""
        return [u.name for u in self.units]

    def years_text(self, name: str) -> str:
        """The years roster unit ``name`` reports for, as the clerk reads them (units.csv's 起始年度/终止年度):
        2027 年度起, 报送到 2026 年度, 2025—2026 年度; '' when not limited (or no roster unit)."""
        unit = self._by_name.get(name)
        if unit is None or (unit.first_year is None and unit.last_year is None):
            return ""
        if unit.last_year is None:
            return f"{unit.first_year} 年度起"
        if unit.first_year is None:
            return f"报送到 {unit.last_year} 年度"
        return f"{unit.first_year}—{unit.last_year} 年度"

    def names_in(self, year: int) -> list[str]:
        """The units expected to report for ``year`` (``起始年度``/``终止年度``): those a year's 报送情况, urges and
        summary count. A unit set up in 2027 is no 未报送 of 2026 when 2026's registers are written again in January;
        one dissolved after 2026 is none of 2027's, its forms of 2026 still its own."""
        return [u.name for u in self.units if u.reports_in(year)]

    def retired(self, name: str, points_year: int, year: int) -> bool:
        """Has roster unit ``name`` stopped reporting before ``year`` (its 终止年度), its points of ``points_year`` from
        the years it reported? (A form it sent for a year after its 终止年度 was counted in that year: its points are
        then as live as any.)"""
        unit = self._by_name.get(name)
        return unit is not None and unit.last_year is not None and points_year <= unit.last_year < year

    def off_year(self, name: str, year: int) -> str | None:
        """Why roster unit ``name`` is not expected to report for ``year`` (its 起始年度/终止年度), for the clerk who
        takes its form of that year all the same; None when it is expected, or is no roster unit."""
        unit = self._by_name.get(name)
        if unit is None or unit.reports_in(year):
            return None
        taken = f"这份是 {year} 年度的表，已收取并计入 {year} 年度"
        if unit.first_year and year < unit.first_year:
            return (f"按名单（units.csv），{name}从 {unit.first_year} 年度起报送，{taken}；"
                    f"该单位 {year} 年度已经设立的，请把 units.csv 中它的起始年度改为 {year}")
        return (f"按名单（units.csv），{name}只报送到 {unit.last_year} 年度，{taken}；该单位 {year} 年度仍在的，请改正 "
                "units.csv 中它的终止年度；已并入其他单位的，这份表应由那个单位报送，请通知它")

    def resolve(self, text: str) -> str | None:
        """The roster name for a name or alias as written on a form, or None."""
        key = self._key(text)
        if key in self._index:
            return self._index[key]
        school = squeeze(self.school)
        if school and key.startswith(school) and key[len(school):] in self._index:
            return self._index[key[len(school):]]
        return None

    def current(self, recorded: str) -> str:
        """The roster unit a unit name recorded in the archive is now: the one place where history follows a unit
        renamed in units.csv (its old name kept as an alias — 计划财务处 → 财务处 with 计划财务处 in 别名), so that its
        forms, warnings, reviews and cases before and after the rename are one unit's. Every reader that groups or
        matches stored rows by unit goes through here; the rows themselves keep the name they were recorded under (the
        archive is an audit trail). A name no roster entry knows (an off-roster unit, or any name with no roster at
        all) stays as it is."""
        return self.resolve(recorded) or recorded

    def recorded_names(self, unit: str) -> tuple[str, ...]:
        """The names the archive may hold a roster unit's rows under: its name and its aliases (a former name among
        them), for a query that picks one unit's rows (``unit IN …``). A name off the roster: itself alone."""
        found = self._by_name.get(unit)
        return (unit,) if found is None else (found.name, *found.aliases)

    def closest(self, text: str, n: int = 3) -> list[str]:
        """Roster names whose name or alias is really close to ``text`` (see :func:`close_matches`), best first —
        for a helpful error message: 资产管理处 → 国有资产管理处, 计财 → 计划财务处; nothing for 外国语学院."""
        key = self.bare(text)
        names: list[str] = []
        for match in close_matches(key, self._index, limit=len(self._index)):
            if self._index[match] not in names:
                names.append(self._index[match])
        return names[:n]

    def misspelt(self, text: str, file_name: str = "") -> str | None:
        """The roster unit a unit name not on the roster surely means: one character off (wrong, missing or extra)
        from that unit's name or an alias, and from no other unit's — and the file's name naming that unit and no
        other (``国有资产管里处`` in 国资处.docx → 国有资产管理处). One sign alone is not enough: two real units may
        differ by one character (机械工程学院, 机电工程学院), and a file may be named after another unit's form. Nor is
        a character more or less at either end a slip of the pen: 人文学院 is not 文学院, 中医学院 not 医学院, 财务处长
        not 财务处 — and a file named after the form's own unit name (人文学院.docx) says nothing of a roster unit
        inside it. None when it is not sure. (A name of fewer than four characters is never taken for another.)"""
        key = self.bare(text)
        if len(key) < 4:
            return None
        near = {unit for name, unit in self._index.items() if _one_typo(key, name)}
        if len(near) != 1:
            return None
        stem = self._key(Path(file_name).stem).replace(key, "")  # the form's own name in its file's says nothing
        named = {unit for name, unit in self._index.items() if len(name) >= 2 and name in stem}
        return named.pop() if named == near else None

    def not_found(self, text: str) -> str:
        """What the clerk is told of a name the roster does not know: the roster names really close to it, if any."""
        near = self.closest(text)
        return f"单位“{text}”不在单位名单中" + (f"，最接近的是：{'、'.join(near)}" if near else "")

    def require(self, text: str) -> str:
        """The roster name for a name or alias the clerk typed; a ConfigError saying :meth:`not_found` when there is
        none. An empty roster takes the name as written."""
        if not self:
            return text.strip()
        name = self.resolve(text)
        if name is None:
            raise UnknownUnit(self.not_found(text), hint="请使用 units.csv 中的单位名称或别名")
        return name

    def bare(self, text: str) -> str:
        """A unit's name as written, as names are compared: spaces, a 公章 label and the school's name before it
        left out (内蒙古工业大学 后勤管理处（公章） → 后勤管理处)."""
        key, school = self._key(text), squeeze(self.school)
        return key[len(school):] if school and key.startswith(school) and len(key) > len(school) else key

    @staticmethod
    def _key(text: str) -> str:
        return re.sub(r"[（(]?(公章|盖章)[)）]?", "", squeeze(text))


_ALIAS_SPLIT = re.compile(r"[、，,;；/]+")


def _one_typo(written: str, name: str) -> bool:
    """Is ``written`` ``name`` with one slip: a character wrong, or one missing or one too many inside the name (at
    either end it is another name: 人文学院, 文学院)?"""
    if len(written) == len(name):
        return sum(a != b for a, b in zip(written, name)) == 1
    short, long = sorted((written, name), key=len)
    if len(long) - len(short) != 1:
        return False
    return any(long[:i] + long[i + 1:] == short for i in range(1, len(long) - 1))


def parse_roster(rows: list[list[str]], *, source: str, school: str = "") -> Roster:
    """The roster from a table's rows (row 1 = header). A unit listed twice, or a name or alias that points at two
    units, is a ConfigError naming both rows: a form could otherwise land on the wrong unit."""
    if not any(any(str(c or "").strip() for c in r) for r in rows):
        return Roster([], school=school)
    header = [squeeze(str(h or "")) for h in rows[0]]
    if "单位" not in header:
        raise ConfigError(f"名单文件 {source} 的第一行应为表头“单位,别名,负责人,分管领导”，未找到“单位”列",
                          hint="请在第一行写上表头，第一列的表头写“单位”")
    columns = ("单位", "别名", "负责人", "分管领导", "业务领域", "起始年度", "终止年度")
    col = {name: header.index(name) for name in columns if name in header}
    unknown = [h for h in header if h not in columns and _YEAR_HEADER.fullmatch(h)]
    if unknown:  # 开始年度, 撤销年份: a unit's years the clerk meant, which would otherwise be passed over in silence
        raise ConfigError(f"名单文件 {source} 的表头“{'、'.join(unknown)}”不认识",
                          hint="单位从哪一年起报送、报送到哪一年，请写在表头为“起始年度”“终止年度”的两列（不限的留空）")

    def cell(row, key):  # an invisible control character (pasted in with a name) dropped: it would ride along into
        i = col.get(key)  # every letter and register the unit is named in, and match no form's name
        if i is None or i >= len(row) or row[i] is None:
            return ""
        return CONTROL_CHARACTERS.sub("", str(row[i])).strip()

    units: list[Unit] = []
    owner: dict[str, tuple[str, int]] = {}  # squeezed name or alias → (unit, row)
    for number, row in enumerate(rows[1:], start=2):
        name = cell(row, "单位")
        if not name:
            continue
        if squeeze(name) in owner and owner[squeeze(name)][0] == squeeze(name):
            raise ConfigError(f"名单文件 {source} 中“{name}”出现了两次"
                              f"（第 {owner[squeeze(name)][1]} 行和第 {number} 行）",
                              hint="请删去重复的一行；别名可以合并写在同一行，用“、”分开")
        aliases = tuple(dict.fromkeys(a.strip() for a in _ALIAS_SPLIT.split(cell(row, "别名")) if a.strip()))
        for key in (name, *aliases):
            taken = owner.get(squeeze(key))
            if taken and taken[0] != squeeze(name):
                raise ConfigError(f"名单文件 {source} 中“{key}”同时指向两个单位（第 {taken[1]} 行和第 {number} 行）",
                                  hint="一个名称或别名只能属于一个单位，请删去其中一处")
            owner.setdefault(squeeze(key), (squeeze(name), number))
        areas = cell(row, "业务领域")  # blank: guessed from the name; 无: none
        first, last = (_roster_year(cell(row, key), key, source, number, name) for key in ("起始年度", "终止年度"))
        if first and last and last < first:
            raise ConfigError(f"名单文件 {source} 第 {number} 行（{name}）的终止年度 {last} 早于起始年度 {first}",
                              hint="起始年度是该单位第一次报送的年度，终止年度是最后一次报送的年度（都含该年度）；"
                                   "不限的留空")
        units.append(Unit(name, aliases, cell(row, "负责人"), cell(row, "分管领导"), None if not areas else
                          tuple(a.strip() for a in _ALIAS_SPLIT.split(areas) if a.strip() not in ("", "无")),
                          first, last))
    return Roster(units, school=school)


_ROSTER_YEAR = re.compile(r"(\d{4})(?:\.0+|-\d\d-\d\d(?: 00:00:00)?)?\s*年?(?:度)?")
# a header meant for the years a unit reports (开始年度, 撤销年份), not any year (成立年份 is the clerk's own column)
_YEAR_HEADER = re.compile(r"(开始|起始|起|始|结束|终止|终|停止|停用|截止|撤销|撤并|启用)(报送)?(年度|年份|年)")


def _roster_year(text: str, column: str, source: str, number: int, name: str) -> int | None:
    """A 起始年度/终止年度 cell: 2027, 2027年, 2027年度 (a spreadsheet's 2027.0 or a date cell's year too); None when
    blank or 无."""
    text = text.strip()
    if not text or text == "无":
        return None
    found = _ROSTER_YEAR.fullmatch(text)
    if found is None:
        raise ConfigError(f"名单文件 {source} 第 {number} 行（{name}）的{column}“{text}”不是年份",
                          hint="请写四位数的年份，如 2027；不限的留空")
    if not 2000 <= int(found.group(1)) <= 2100:
        raise ConfigError(f"名单文件 {source} 第 {number} 行（{name}）的{column}“{text}”超出了年份的范围"
                          "（2000—2100 年）",
                          hint="请写四位数的年份，如 2027（单元格设成了日期格式的，请先改为“常规”再写）；不限的留空")
    return int(found.group(1))


def read_settings(config: Path) -> Settings:
    """lzdocs.toml as checked Settings: UTF-8, UTF-16 (Notepad's "Unicode") or GBK; errors say the line."""
    text = decode_text(config.read_bytes())
    if text is None:
        raise ConfigError(f"{CONFIG_NAME} 无法按 UTF-8 或 GBK 读取（可能不是文本文件）",
                          hint="请用记事本打开，“另存为”时编码选 UTF-8")
    try:
        raw = parse_toml(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(toml_message(str(exc), text), hint=TOML_HINT) from exc
    return Settings(raw).validate(DEFAULT_CONFIG)


TOML_HINT = ('请用记事本改正这一行：文字用英文双引号括起来（school = "……"），'
             '数字不加引号，节名写成 [watch]，每项只写一次')
_TOML_PROBLEMS = (("Expected '=' after a key", "设置名后面应有等号“=”"),
                  ("Invalid value", "值写得不对（文字要用英文双引号括起来）"),
                  ("Cannot overwrite a value", "同一项设置写了两次"), ("Cannot declare", "同一节写了两次"),
                  ("Unterminated string", "引号没有配对"), ("Illegal character", "有不允许的字符（如中文引号“”）"),
                  ("Expected newline", "一行只能写一项设置"), ("Invalid statement", "这一行不是“名称 = 值”的格式"),
                  ("Invalid initial character for a key", "设置名的开头有不允许的字符（如中文引号或空格）"),
                  ("Expected ']'", "节名的方括号没有配对"))


def toml_message(detail: str, text: str, name: str = CONFIG_NAME) -> str:
    """A TOML parser's complaint about ``text`` (the file ``name``) in Chinese, with the line it names."""
    where = re.search(r"line (\d+), column (\d+)", detail)
    problem = next((zh for en, zh in _TOML_PROBLEMS if detail.startswith(en)), None)
    problem = problem or re.sub(r" [(]at .*", "", detail)
    if not where:
        return f"{name} 格式有误：{problem}"
    line = int(where.group(1))
    lines = text.splitlines()
    shown = (f"（这一行是：{lines[line - 1].strip()[:60]}）"
             if 0 < line <= len(lines) and lines[line - 1].strip() else "")
    return f"{name} 第 {line} 行格式有误：{problem}{shown}"


_OWN_FOLDERS = {"outbox": "发文和归档文件夹 outbox", "templates": "模板文件夹 templates",
                "forms": "表格定义文件夹 forms",
                WORK_DIR: "工作文件夹 .lzdocs"}


# Folders no inbox may be: ingest moves every file it finds below the inbox (to the archive or to 退回/).
_SYSTEM = tuple(Path(p) for p in ("/etc", "/usr", "/bin", "/sbin", "/lib", "/lib64", "/boot", "/proc", "/sys", "/dev",
                                  "/var/lib", "/var/log", "/opt", "/root/.ssh", "C:/Windows", "C:/Program Files",
                                  "C:/Program Files (x86)", "C:/ProgramData"))


_SETTING, OPTION = "lzdocs.toml 中 [inbox] path", "--inbox"
_HINTS = {_SETTING: '请在 lzdocs.toml 的 [inbox] 中写一个单独的收件文件夹，如 path = "inbox"',
          OPTION: "请用 --inbox 写一个单独的收件文件夹（如某个校区的共享文件夹），不要写工作区本身或其中的文件夹"}


@functools.lru_cache(maxsize=64)
def _check_inbox(root: Path, inbox: Path, source: str = _SETTING) -> None:
    """Refuse an inbox that is the workspace folder, contains it, or lies inside one of its own folders: one
    ingest would move lzdocs.db, the settings, templates or the archive into 退回/."""
    try:
        here, there = root.resolve(), inbox.resolve()
    except (OSError, RuntimeError):  # a share that does not answer, a link loop: the inbox checks say so later
        return
    hint = _HINTS.get(source, _HINTS[_SETTING])
    if there == here or here.is_relative_to(there):
        what = "就是工作区文件夹" if there == here else "包含了工作区文件夹"
        raise ConfigError(f"{source} 指向的“{inbox}”{what}，"
                          "收件时会把档案库、设置和模板当作报送的表格",
                          hint=hint)
    for name, label in _OWN_FOLDERS.items():
        if there.is_relative_to(here / name):
            raise ConfigError(f"{source} 指向的“{inbox}”在工作区的{label}里，不能用作收件文件夹",
                              hint=hint)
    snapshot = next((f for f in (there, *there.parents, *_subfolders(there)) if f != here and _is_snapshot(f)), None)
    if snapshot is not None:
        raise ConfigError(f"{source} 指向的“{inbox}”存放着工作区的备份（{snapshot}），"
                          "收件时会把备份的档案库和文件当作报送的表格移走", hint=hint)
    owner = next((folder for folder in (there, *there.parents) if (folder / CONFIG_NAME).is_file()), None)
    if owner is not None and owner != here:
        raise ConfigError(f"{source} 指向的“{inbox}”在另一个工作区（{owner}）里，"
                          "收件时会把那里的档案和文书当作报送的表格", hint=hint)
    returned = next((f for f in (there, *there.parents) if f.name == REJECTED_DIR and (f.parent / WORK_DIR).is_dir()),
                    None)
    if returned is not None:  # another inbox's 退回/ (or 退回/已处理/): its files would be returned again and again
        raise ConfigError(f"{source} 指向的“{inbox}”是收件文件夹“{returned.parent}”的退回文件夹，"
                          "收件时会把已退回的表格再收一遍", hint=hint)
    if there.parent == there or there == Path.home() or any(there == s or there.is_relative_to(s) for s in _SYSTEM):
        raise ConfigError(f"{source} 指向的“{inbox}”是磁盘根目录、个人主目录或系统文件夹，"
                          "收件时会把其中所有文件当作报送的表格移走", hint=hint)


def _subfolders(folder: Path) -> list[Path]:
    try:
        return [f for f in folder.iterdir() if f.is_dir()]
    except OSError:
        return []


# A snapshot of ``lzdocs backup`` (integrity/backup.py): its manifest beside its copy of the archive database.
BACKUP_MANIFEST, BACKUP_DATABASE = "manifest.json", "lzdocs.db"


def _is_snapshot(folder: Path) -> bool:
    """A backup of a workspace (lzdocs backup)."""
    return (folder / BACKUP_MANIFEST).is_file() and (folder / BACKUP_DATABASE).is_file()


@dataclass
class Workspace:
    """One programme's folder: settings, roster, inbox, outbox, templates and the archive database."""

    root: Path
    settings: Settings
    chosen_inbox: Path | None = None  # ``--inbox``: this watcher's own inbox instead of [inbox] path

    @classmethod
    def open(cls, root: str | os.PathLike | None = None) -> Workspace:
        root = Path(root or os.environ.get("LZDOCS_WORKSPACE") or ".").resolve()
        if root.name == CONFIG_NAME and root.is_file():  # -w D:\工作区\lzdocs.toml means its folder
            root = root.parent
        config = root / CONFIG_NAME
        if root.is_file():
            raise WorkspaceNotFound(f"“{root}”是一个文件，不是工作区文件夹",
                                    hint=f"请用 -w 指定工作区文件夹（里面有 {CONFIG_NAME} 的那个文件夹）")
        if config.is_dir():  # (init, which never replaces anything, would send the clerk round in a circle)
            raise WorkspaceNotFound(f"“{config}”是一个文件夹，这里应是工作区的设置文件",
                                    hint="请把这个文件夹改名或移走，再运行 lzdocs init 生成设置文件")
        if not config.is_file():
            missing = "文件夹不存在" if not root.exists() else f"没有 {CONFIG_NAME}"
            raise WorkspaceNotFound(f"“{root}”不是 lzdocs 工作区（{missing}）",
                                    hint=f"先运行 lzdocs init \"{root}\"，或用 -w 指定工作区文件夹")
        return cls(root, read_settings(config))

    @classmethod
    def init(cls, root: str | os.PathLike, organisation: Organisation | None = None) -> tuple[Workspace, list[Path]]:
        """Create the workspace folders and default files; never overwrite anything that exists.

        ``organisation`` names the school, organs and codes; without it they stay blank and no document can be
        issued until they are set. An existing lzdocs.toml whose organisation is still blank gets it filled in."""
        root = Path(root).resolve()
        if root.is_file():
            raise ConfigError(f"“{root}”是一个已有的文件，不能在这里新建工作区", hint="请另写一个文件夹路径")
        for name, what in ((CONFIG_NAME, "设置文件"), ("units.csv", "单位名单")):
            if (root / name).is_dir():
                raise ConfigError(f"“{root / name}”是一个文件夹，这里应是工作区的{what}",
                                  hint="请把这个文件夹改名或移走后重新运行 lzdocs init")
        created: list[Path] = []
        for folder in (root, root / "inbox", root / "inbox" / REJECTED_DIR, root / "outbox", root / "templates",
                       root / "forms"):
            if not folder.exists():
                folder.mkdir(parents=True)
                created.append(folder)
        if organisation is not None and (root / CONFIG_NAME).is_file() and not cls.open(root).organisation_set:
            fill_organisation(root / CONFIG_NAME, organisation)
        for name, text in ((CONFIG_NAME, config_text(organisation)), ("units.csv", "\ufeff" + DEFAULT_ROSTER)):
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
    def with_inbox(self, path: str | os.PathLike | None) -> Workspace:
        """This workspace with its own inbox (``--inbox``: one watcher per campus share, all writing one archive);
        its 退回/ and its claims folder go with it. Refused like [inbox] path when it is the workspace's own."""
        if path is None:
            return self
        inbox = self._place(path, expand=False)  # the shell has expanded it: a "$" is part of the name (D$)
        _check_inbox(self.root, inbox, OPTION)
        return replace(self, chosen_inbox=inbox)

    def _place(self, text: str | os.PathLike, *, expand: bool = True) -> Path:
        path = Path(os.path.expandvars(str(text)) if expand else text)
        return path if path.is_absolute() or str(path).startswith(("//", "\\\\")) else self.root / path

    @property
    def configured_inbox(self) -> Path:
        """[inbox] path; never a folder whose files are the workspace's own (ingest moves what it finds there)."""
        path = self._place(self.settings.get("inbox", "path", "inbox"))
        _check_inbox(self.root, path)
        return path

    @property
    def inbox(self) -> Path:
        """The inbox this process takes files from: ``--inbox`` when given, else [inbox] path."""
        return self.chosen_inbox if self.chosen_inbox is not None else self.configured_inbox

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

    @property
    def prepared_templates(self) -> Path:
        """Where templates prepared by earlier commands are kept (documents/templating.py, ``_prepared``)."""
        return self.state / "cache" / "templates"

    def year_dir(self, year: int) -> Path:
        return self.outbox / str(year)

    @property
    def db_url(self) -> str:
        url = str(self.settings.get("database", "url", "") or "")
        if url:
            return url
        from lzdocs.store.db import sqlite_url

        return sqlite_url(self.root / "lzdocs.db")

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

    def archive_folders(self, year: int | None = None) -> list[Path]:
        """The folders of the archive (docs/product.md §12.1): outbox/<year>/ of each year (or only ``year``) and
        inbox/退回/; the blank forms of outbox/空白表/ are not archived."""
        if year is not None:
            return [self.year_dir(year)]
        years = sorted(p for p in self.outbox.glob("[0-9][0-9][0-9][0-9]") if p.is_dir() and not p.is_symlink())
        return [*years, self.rejected]

    def archive_files(self, year: int | None = None) -> Iterator[tuple[str, os.DirEntry]]:
        """(workspace-relative path, directory entry) of everything below :meth:`archive_folders` that is not a
        folder — a symlink is listed, never followed."""
        for folder in self.archive_folders(year):
            yield from _entries(folder, self.relative(folder))

    def relative(self, path: Path) -> str:
        """``path`` as a path in the workspace (resolved: a link inside leads where it leads), else as given."""
        path = Path(path)
        # most paths: made here, no link on the way (not on Windows, where a junction is no link to islink)
        if sys.platform != "win32" and path.is_absolute() and _resolved(self.root) == self.root:
            try:
                inside = path.relative_to(self.root)
            except ValueError:
                inside = None
            if inside is not None and ".." not in inside.parts and not _through_link(self.root, inside.parts):
                return inside.as_posix()
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except (ValueError, OSError, RuntimeError):  # outside the workspace; a symlink loop (RuntimeError in 3.11)
            return str(path)

    # --- roster -------------------------------------------------------------------------------
    def roster(self) -> Roster:
        """units.csv, else units.xlsx, else an empty roster (every unit name is then accepted as written)."""
        from lzdocs.tables import read_table

        for path in (self.root / "units.csv", self.root / "units.xlsx"):
            if path.is_dir():
                raise ConfigError(f"“{path}”是一个文件夹，应是单位名单文件",
                                  hint=f"请把它改名或移走，名单写在 {path.name} 文件里")
            if path.is_file():
                rows = read_table(path, "单位名单")
                return parse_roster(rows, source=path.name, school=self.school)
        return Roster([], school=self.school)

    @property
    def school(self) -> str:
        return self.settings.school

    @property
    def organisation_set(self) -> bool:
        return bool(self.school.strip() and self.settings.text("organisation", "issuer").strip())

    def require_organisation(self, kind: str | None = None) -> None:
        """Refuse to issue a document until the school, the issuing organ (and ``kind``'s 机关代字) are set."""
        code = str(self.settings.get("numbering", kind, "") or "").strip() if kind else "x"
        if self.organisation_set and code:
            return
        code_name = f"{_kind_name(kind)}的机关代字（[numbering] {kind}）"
        missing = "、".join(name for name, ok in (("学校名称", self.school.strip()),
                                                 ("发文机关", self.settings.text("organisation", "issuer").strip()),
                                                 (code_name, code)) if not ok)
        raise ConfigError(f"工作区还没有设置{missing}，不能发文（lzdocs.toml 的 [organisation]、[numbering]）",
                          hint=f"请运行 lzdocs init \"{self.root}\" --school 学校全称 --short 简称（在命令行窗口中"
                               "只运行 lzdocs init 会逐项询问），或用记事本编辑 lzdocs.toml")


def _kind_name(key: str | None) -> str:
    """The Chinese name of a letter kind's key (suggestion → 纪检监察建议书), for messages."""
    from lzdocs.documents.letters import KINDS

    return KINDS[key].name if key in KINDS else "批评教育" if key == "criticism" else f"“{key}”"


def _entries(folder: Path, relative: str) -> Iterator[tuple[str, os.DirEntry]]:
    try:
        listing = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in listing:
        path = f"{relative}/{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            yield from _entries(Path(entry.path), path)
        else:
            yield path, entry

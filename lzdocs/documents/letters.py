"""Warning letters (纪检监察建议书 …): kinds as data, field checks, issuing with a 文号, batches, replies."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lzdocs import interrupts
from lzdocs.documents.kinds import KINDS, Field, LetterKind, find_kind, template_gaps  # noqa: F401 - part of this API
from lzdocs.documents.letter_fields import (
    DATE_SPAN,
    basis_text,
    contact,
    copy_line,
    list_items,
    talk_day,
    when_text,
)
from lzdocs.documents.numbering import DocumentNumber, DurableRenames, finish_leftovers, issue_document
from lzdocs.errors import ConfigError, FieldError, LzdocsError, TemplateError
from lzdocs.fsutil import write_new_file
from lzdocs.organisation import LETTER_CODES
from lzdocs.store import documents as doc_queries
from lzdocs.store.db import DatabaseUnavailable
from lzdocs.tables import read_table
from lzdocs.textutil import chinese_date, parse_date, squeeze

if TYPE_CHECKING:  # Jinja and lxml load with the first template
    from sqlalchemy.engine import Connection

    from lzdocs.documents.templating import DocxTemplateFile
    from lzdocs.store import Store
    from lzdocs.workspace import Workspace


PROVIDED = ("文号", "发文机关", "主送", "成文日期", "印发机关", "印发日期", "标题", "年份", "联系人", "联系电话",
            "联系方式")
OVERRIDABLE = {"发文机关", "印发机关", "联系人", "联系电话"}
BATCH_COLUMNS = {"单位", "受文人", "成文日期", "序号", "备注"}
PERSON_DEFAULT_TARGET = "你"  # 对象 of a letter addressed to a person: “决定对你进行谈话提醒”
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


@dataclass
class Letter:
    """A checked letter, ready for a 文号: everything the template needs except the number."""

    kind: LetterKind
    unit: str
    date: dt.date
    context: dict
    reply_due: dt.date | None
    code: str
    warnings: list[str] = field(default_factory=list)
    person: str | None = None  # 主送 when addressed to a person (王磊同志)
    receipt: bool = False  # a 送达回证 page after the letter
    due: dt.date | None = None  # the day the unit must act by (``LetterKind.due_field``)

    @property
    def note(self) -> str:
        """The 发文登记簿's 备注: the 事由; for a 催报通知 the year it asks the forms of (2026年度)."""
        year = self.context.get(REPORTING_YEAR)
        return str(self.context.get("事由") or (reporting_note(year) if year else ""))[:200]

    @property
    def title(self) -> str:
        """The title the document bears (its 发文登记簿 标题): its 文种, or 报送提醒 for a 催报通知 written as a
        reminder before the deadline (the template's 提醒 switch)."""
        return REMINDER_TITLE if self.context.get(REMINDER) else self.kind.name


@dataclass
class IssuedLetter:
    number: DocumentNumber
    kind: LetterKind
    unit: str
    path: Path
    reply_due: dt.date | None
    warnings: list[str]
    files: list[Path] = field(default_factory=list)
    registers: Any = None  # the registers rewritten after it (``lzdocs.office.Rebuilt``), when an Office issued it
    due: dt.date | None = None  # the day the unit must act by (``LetterKind.due_field``)
    title: str = ""  # the title it bears (``Letter.title``: 报送提醒 for a 催报通知 written as a reminder)


def clean_value(name: str, value, warnings: list[str]):
    """Cell or option text as a letter can carry it: control characters removed (with a warning), trimmed."""
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    if isinstance(value, (list, tuple)):
        return "\n".join(str(clean_value(name, v, warnings)) for v in value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    cleaned = _CONTROL.sub("", text)
    if cleaned != text:
        warnings.append(f"“{name}”中含有控制字符（不可见字符），已删除")
    return cleaned.strip()


def _checked_day(f: Field, value, date: dt.date, invalid: list[str]) -> dt.date | None:
    """A date field's value as a date within DATE_SPAN years of the letter's date, else None (noted in ``invalid``)."""
    day = parse_date(value)
    if day is None:
        invalid.append(f"“{f.name}”的值“{value}”不是日期（请写成 {date.year}-12-31）")
    elif abs(day.year - date.year) > DATE_SPAN:
        invalid.append(f"“{f.name}”的日期“{chinese_date(day)}”不合理：应在 {date.year - DATE_SPAN}—"
                       f"{date.year + DATE_SPAN} 年之间（成文日期为 {chinese_date(date)}）")
        return None
    return day


def addressee(kind: LetterKind, to: str | None) -> str | None:
    """主送 of a letter addressed to a person (--to 王磊 → 王磊同志), or None."""
    name = squeeze(str(to or "")).strip("：:，,。")
    if not name:
        return None
    if not kind.personal:
        personal = "、".join(k.name for k in KINDS.values() if k.personal)
        raise FieldError(f"{kind.name}发给单位，不能写给个人", hint=f"--to（受文人）只用于{personal}")
    return name if name.endswith("同志") else f"{name}同志"


class LetterOffice:
    """Prepares and issues the letters of one workspace; each template is loaded and compiled once."""

    def __init__(self, ws: Workspace, store: Store):
        self.ws = ws
        self.store = store
        self._templates: dict[str, DocxTemplateFile] = {}
        self._roster = None
        self._finished: set[Path] = set()

    def template(self, kind: LetterKind) -> DocxTemplateFile:
        """The kind's template (the workspace's own copy, else the packaged one), loaded once per office (and once
        per process for the same bytes: :func:`lzdocs.documents.templating.load_template`, which refuses a template
        whose tags are broken). One that leaves out the 文号, the 主送 or a required field is refused here, before
        any letter takes a number (see :func:`lzdocs.documents.kinds.template_gaps`)."""
        if kind.key not in self._templates:
            from lzdocs.documents.templating import load_template

            template = load_template(self.ws.template(kind.template), cache_dir=self.ws.prepared_templates)
            errors, _ = template_gaps(kind, template.variables)
            if errors:
                raise TemplateError(f"模板 {template.path.name} 不能用于生成{kind.name}：{'。'.join(errors)}",
                                    hint=f"在 Word/WPS 中改正后保存，用 lzdocs template check \"{template.path}\" "
                                         "检查；文号没有占用")
            self._templates[kind.key] = template
        return self._templates[kind.key]

    def resolve_unit(self, text) -> str:
        name = str(text or "").strip()
        if not name:
            raise FieldError("没有写收文单位", hint="用 --unit 指定单位，或在批量表格的“单位”列填写")
        if self._roster is None:
            self._roster = self.ws.roster()
        return self._roster.require(name)

    def prepare(self, kind: LetterKind, unit, values: dict, date: dt.date, *, extra: str = "error",
                to: str | None = None, receipt: bool = False) -> Letter:
        """Check the fields and build the template context; raises FieldError/TemplateError before any number.

        ``to`` addresses a letter of a ``personal`` kind to a person (王磊 → 主送 王磊同志), the unit staying
        the recipient in the registers; ``receipt`` adds a 送达回证 page."""
        settings = self.ws.settings
        warnings: list[str] = []
        template = self.template(kind)
        unit_name = self.resolve_unit(unit)
        person = addressee(kind, clean_value("受文人", to, warnings))
        values = {squeeze(str(k)): clean_value(str(k), v, warnings) for k, v in values.items()}
        self._check_keys(kind, values, template.variables, extra)
        lost = [f.name for f in kind.fields if f.printed and values.get(f.name) and f.name not in template.variables
                and f.name != RETURNED]  # urge fills that one itself, and says what an older template wrote instead
        if lost:  # an optional field the workspace's template does not print (template_gaps warns of it)
            raise TemplateError(f"模板 {template.path.name} 中没有 {{{{ {lost[0]} }}}}，填写的“{'、'.join(lost)}”"
                                f"不会出现在{kind.name}中，已停止生成",
                                hint=f"在模板中写上 {{{{ {lost[0]} }}}} 后保存（用 lzdocs template check "
                                     f"\"{template.path}\" 检查），或不填写它；文号没有占用")
        if person:  # the letter speaks to its addressee: “决定对你进行谈话提醒”, “请你按时参加”
            if values.get("对象") not in (None, "", PERSON_DEFAULT_TARGET):
                warnings.append(f"写给{person}的文书正文称“你”，“对象”（{values['对象']}）没有使用")
            values["对象"] = PERSON_DEFAULT_TARGET
        context = self._fields(kind, values, date, warnings)
        reply_due = context.get(kind.reply) if kind.reply else None
        if kind.reply and kind.field(kind.reply).when:  # 谈话时间: the day the talk is due; its check is when_text's
            reply_due = talk_day(values.get(kind.reply), date)  # 2026-12-08 09:30, 12月8日下午3点, 二〇二六年…
        elif reply_due is not None and reply_due < date:  # a deadline already past when the letter is written
            raise FieldError(f"“{kind.reply}”（{chinese_date(reply_due)}）早于成文日期（{chinese_date(date)}），"
                             "单位收到时期限已过",
                             hint=f"请核对“{kind.reply}”（年份是否写错）"
                                  + ("，或不写它，由 lzdocs 按成文日期推算" if kind.field(kind.reply).days else "")
                                  + "；文号没有占用")
        due = reply_due if not kind.due else context.get(kind.due)
        for name, value in list(context.items()):
            if isinstance(value, dt.date):
                context[name] = chinese_date(value)
        issuer = values.get("发文机关") or settings.get("organisation", "issuer", "")
        context.update({k: v for k, v in values.items() if k not in context and k not in OVERRIDABLE})
        context.update(发文机关=issuer, 主送=person or unit_name, 成文日期=chinese_date(date), 标题=kind.name,
                       年份=date.year, 印发机关=values.get("印发机关") or settings.get("organisation", "office", ""),
                       印发日期=chinese_date(date), 抄送=copy_line(str(context.get("抄送", ""))),
                       **contact(settings, values))
        unknown = sorted(template.variables - set(context) - {"文号"})
        if unknown:
            raise TemplateError(f"模板 {template.path.name} 用到了 lzdocs 不提供的内容：{'、'.join(unknown)}",
                                hint=f"用 --set {unknown[0]}=… 提供，或在模板中删除这个标签")
        code = str(settings.get("numbering", kind.key, "") or "")
        if not code:
            raise ConfigError(f"lzdocs.toml 的 [numbering] 中没有设置 {kind.key}（{kind.name}的机关代字）",
                              hint=f"请加一行：{kind.key} = \"{settings.text('organisation', 'short', '') or '简称'}"
                                   f"{LETTER_CODES.get(kind.key, '纪X')}\"")
        return Letter(kind, unit_name, date, context, reply_due, code, warnings, person=person, receipt=receipt,
                      due=due if isinstance(due, dt.date) else None)

    def _fields(self, kind: LetterKind, values: dict, date: dt.date, warnings: list[str]) -> dict:
        """The kind's fields checked and in the form the letter prints them (dates still as dates)."""
        context: dict = {}
        missing, invalid = [], []
        for f in kind.fields:
            value = values.get(f.name, "")
            if isinstance(value, str) and f.trim:
                value = value.strip(f.trim).strip()
            if value == "":
                value = self._default(kind, f, date)
            if f.date and value not in ("", None):
                value = _checked_day(f, value, date, invalid)
                if value is None:
                    continue
            if f.when and value not in ("", None):
                value = when_text(value, date, warnings)
            if f.lines and isinstance(value, str):
                value = list_items(value)
            if f.name == "依据" and isinstance(value, str):
                value = basis_text(value) or f.default
            if f.required and value in ("", None, []):
                missing.append(f.name)
            context[f.name] = value
        if missing:
            first = kind.field(missing[0])
            raise FieldError(f"{kind.name}缺少必填字段：{'、'.join(missing)}",
                             hint=f"用 --set {first.name}={first.example or '…'} 提供，"
                                  f"批量时在表格中加“{first.name}”列")
        if invalid:
            raise FieldError(f"{kind.name}：{'；'.join(invalid)}")
        return context

    def _default(self, kind: LetterKind, f: Field, date: dt.date):
        if f.name == "原定期限":
            return self.ws.settings.deadline(date.year) or ""
        if f.days is not None:
            days = self.ws.settings.get("letters", f"{kind.key}_days", f.days)
            return date + dt.timedelta(days=int(days))
        return f.default

    def check_fields(self, kind: LetterKind, values: dict) -> None:
        """Refuse unknown or reserved field names (e.g. a typo in --set) before a batch starts."""
        self._check_keys(kind, {squeeze(str(k)): v for k, v in values.items()}, self.template(kind).variables, "error")

    @staticmethod
    def _check_keys(kind: LetterKind, values: dict, variables, extra: str) -> None:
        reserved = [k for k in values if k in PROVIDED and k not in OVERRIDABLE]
        if reserved:
            raise FieldError(f"“{reserved[0]}”由 lzdocs 自动填写，不能指定",
                             hint="收文单位用 --unit，成文日期用 --date")
        allowed = {f.name for f in kind.fields} | OVERRIDABLE | set(variables)
        unknown = [k for k in values if k not in allowed]
        if unknown and extra == "error":
            raise FieldError(f"{kind.name}没有字段“{'、'.join(unknown)}”",
                             hint=f"可用的字段：{'、'.join(f.name for f in kind.fields)}")
        for k in unknown:
            values.pop(k)

    def issue(self, letter: Letter, finisher: DurableRenames | None = None, *, draft: bool = False,
              number: DocumentNumber | None = None, guard: Callable[[Connection], None] | None = None,
              content: str | None = None) -> IssuedLetter:
        """Take the next 文号 and write the letter; one transaction, so a failure consumes no number.

        With a ``finisher`` (batches) the file is fsynced and put in place after the commit, in parallel
        with the next letters; it is there once the finisher is closed.
        """
        folder = self.ws.year_dir(letter.date.year) / letter.kind.name
        if folder not in self._finished:  # letters a killed run recorded but did not put in place
            finish_leftovers(self.store, folder, self.ws.root)
            self._finished.add(folder)

        def render(number: DocumentNumber, path: Path) -> bytes:
            return write_new_file(path, self.render(letter, number), durable=finisher is None)

        issued = issue_document(
            self.store, kind=letter.kind.key, code=letter.code, year=letter.date.year, title=letter.title,
            recipient=letter.unit, issued=letter.date, folder=folder, stem=lambda n: f"{n}-{letter.unit}",
            render=render, reply_due=letter.reply_due, ledger=letter.kind.followed, unit=letter.unit, note=letter.note,
            workspace_root=self.ws.root, finisher=finisher, draft=draft, assigned=number, guard=guard,
            content=content)
        return IssuedLetter(issued.number, letter.kind, letter.unit, issued.path, letter.reply_due,
                            list(letter.warnings) + issued.warnings, [issued.path], due=letter.due,
                            title=letter.title)

    def render(self, letter: Letter, number: DocumentNumber) -> bytes:
        """The letter's .docx: its template filled in, then laid out as GB/T 9704 §10.1 wants (署名 over the date,
        抄送 at the foot of the last page, the 送达回证 page when asked for)."""
        from lzdocs.documents.letter_layout import Receipt, lay_out_letter

        receipt = None
        if letter.receipt:
            whom = f"{letter.person.removesuffix('同志')}（{letter.unit}）" if letter.person else letter.unit
            receipt = Receipt(letter.kind.name, str(number), whom)
        return self.template(letter.kind).render(
            {**letter.context, "文号": str(number)},
            lay_out=functools.partial(lay_out_letter, issuer=str(letter.context.get("发文机关", "")),
                                      date_text=str(letter.context.get("成文日期", "")), receipt=receipt))

    def as_dict(self, issued: IssuedLetter) -> dict:
        return {"number": str(issued.number), "kind": issued.kind.key, "unit": issued.unit,
                "files": [self.ws.relative(p) for p in issued.files],
                "reply_due": issued.reply_due.isoformat() if issued.reply_due else None,
                "warnings": issued.warnings, "draft": issued.number.seq is None}


# ---- batches -----------------------------------------------------------------------------------------------

@dataclass
class BatchRow:
    """The outcome of one row of a batch file (row = the row number the clerk sees in Excel)."""

    row: int
    unit: str
    issued: IssuedLetter | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    unavailable: bool = False  # not issued because the database server went away (this row or one before it)
    already: str | None = None  # not issued: the same letter was sent already (its 文号), by an earlier or parallel run
    interrupted: bool = False  # not tried: Ctrl-C stopped the batch before this row


class AlreadySent(LzdocsError):
    """A batch's ``guard`` found the letter sent already, under the write lock: ``number`` is the one sent."""

    def __init__(self, unit: str, number: str):
        super().__init__(f"{unit}已发过同一份文书（{number}），没有重复发文")
        self.number = number


def read_batch(path: Path) -> tuple[list[str], list[tuple[int, dict]]]:
    """Header and rows of a .xlsx/.csv batch file: one letter per row, columns = fields, 单位 = recipient."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ConfigError(f"找不到批量文件 {path}")
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise ConfigError(f"批量文件须为 .xlsx 或 .csv：{path.name}", hint="请用 WPS/Excel 另存为 .xlsx")
    rows = read_table(path, "批量文件")
    numbered = [(i, r) for i, r in enumerate(rows, start=1) if any(str(c or "").strip() for c in r)]
    if not numbered:
        raise ConfigError(f"批量文件 {path.name} 是空的")
    header_row, header = numbered[0]
    names = [squeeze(str(h or "")) for h in header]
    if "单位" not in names:
        raise ConfigError(f"批量文件 {path.name} 的第 {header_row} 行（表头）没有“单位”列",
                          hint="第一行写字段名：单位、事由、问题……")
    out = []
    for number, row in numbered[1:]:
        values = {name: row[i] if i < len(row) else None for i, name in enumerate(names) if name}
        out.append((number, values))
    return [n for n in names if n], out


CUT_SHORT = "中断在发文途中（再按了一次 Ctrl-C）：这一份可能已登记；再次运行同一批量文件时会核对，已发出的不会重复发文"
Guard = Callable[["Connection", str, str], None]  # (connection, unit, the row's fingerprint): raises AlreadySent


def run_batch(office: LetterOffice, kind: LetterKind, rows: list[tuple[int, dict]], *, defaults: dict,
              date: dt.date, progress: Callable[[int, int, str], None] = lambda i, n, name: None,
              receipt: bool = False, draft: bool = False, assigned: DocumentNumber | None = None,
              guard: Guard | None = None) -> list[BatchRow]:
    """One letter per row; a bad row is reported and the others go on. ``defaults`` apply to every row; a
    受文人 column addresses a row's letter to a person; ``receipt`` adds a 送达回证 page to each.

    Two things stop the batch, and each leaves every row accounted for: a database server that goes away (that row
    and the ones after it are ``unavailable``, not tried one by one), and Ctrl-C — it waits for the letter being
    written, then the rows after it are ``interrupted``. ``guard(conn, unit, content)``, under the write lock before
    each number, raises AlreadySent for a row sent already (``content``: its fingerprint, ``row_content``)."""
    office.check_fields(kind, defaults)
    results: list[BatchRow] = []
    stop: tuple[str, bool] | None = None  # (why the rows left are not sent, unavailable)
    with DurableRenames() as finisher:
        for i, (number, values) in enumerate(rows):
            unit = str(values.get("单位") or "").strip()
            if stop is not None:
                why, unavailable = stop
                results.append(BatchRow(number, unit, error=why, unavailable=unavailable,
                                        interrupted=not unavailable))
                continue
            writing = False
            try:
                interrupts.check()  # between letters: a Ctrl-C swallowed, or noted (interrupts.reporting), stops here
                progress(i, len(rows), unit)
                with interrupts.deferred():  # a letter is written whole; Ctrl-C takes effect after it
                    writing = True
                    results.append(_batch_row(office, kind, number, values, defaults, date, finisher,
                                              receipt=receipt, draft=draft, assigned=assigned, guard=guard))
                    writing = False
            except KeyboardInterrupt:
                interrupts.handled()  # the rows are accounted for and the registers rewritten before the command ends
                stop = ("未发出：已中断（Ctrl-C），本行没有处理", False)
                if len(results) == i:  # stopped before this row's letter, or (Ctrl-C twice) while it was written
                    results.append(BatchRow(number, unit, interrupted=True, error=CUT_SHORT if writing else stop[0]))
            except DatabaseUnavailable as exc:
                stop = ("未发出：数据库服务器连接中断，本行没有处理", True)
                results.append(BatchRow(number, unit, unavailable=True, error=f"中断：{exc}"))
    if stop is None:
        progress(len(rows), len(rows), "")
    return results


def row_content(kind: LetterKind, unit: str, person: str | None, fields: dict) -> str:
    """A batch row's fingerprint: its kind, unit, person and the fields given (not its 成文日期, nor the defaults
    worked out from it), so the same row run again — that day or the next — is known."""
    def text(value) -> str:
        if isinstance(value, dt.datetime) and value.time() == dt.time():
            value = value.date()
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return squeeze(str(value))

    given = {"kind": kind.key, "unit": unit, "to": text(person or ""),
             "fields": {key: [text(v) for v in value] if isinstance(value, (list, tuple)) else text(value)
                        for key, value in sorted(fields.items())}}
    return hashlib.sha256(json.dumps(given, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def _batch_row(office: LetterOffice, kind: LetterKind, number: int, values: dict, defaults: dict,
               date: dt.date, finisher: DurableRenames, *, receipt: bool = False, draft: bool = False,
               assigned: DocumentNumber | None = None, guard: Guard | None = None) -> BatchRow:
    unit = str(values.get("单位") or "").strip()
    fields = {**defaults, **{k: v for k, v in values.items() if k not in BATCH_COLUMNS and v not in (None, "")}}
    outcome = BatchRow(number, unit)
    try:
        day = parse_date(values.get("成文日期")) if values.get("成文日期") not in (None, "") else date
        if day is None:
            raise FieldError(f"“成文日期”的值“{values.get('成文日期')}”不是日期")
        if abs(day.year - date.year) > DATE_SPAN:
            raise FieldError(f"“成文日期”{chinese_date(day)}不合理："
                             f"应在 {date.year - DATE_SPAN}—{date.year + DATE_SPAN} 年之间")
        letter = office.prepare(kind, unit, fields, day, extra="ignore", to=values.get("受文人"), receipt=receipt)
        outcome.unit = letter.unit
        content = row_content(kind, letter.unit, values.get("受文人"), fields)
        outcome.issued = office.issue(letter, finisher, draft=draft, number=assigned, content=content,
                                      guard=(lambda conn: guard(conn, letter.unit, content)) if guard else None)
        outcome.warnings = letter.warnings
    except DatabaseUnavailable:
        raise  # the batch stops: every further row would wait for the server in turn
    except AlreadySent as exc:
        outcome.already = exc.number
    except LzdocsError as exc:
        outcome.error = str(exc)
    return outcome


def unknown_columns(kind: LetterKind, header: list[str], variables) -> list[str]:
    allowed = {f.name for f in kind.fields} | OVERRIDABLE | set(variables) | BATCH_COLUMNS
    return [h for h in header if h not in allowed]


# ---- urging and replies -----------------------------------------------------------------------------------

REMINDER = "提醒"  # the 催报通知 template's switch: set, it reads as a reminder before the deadline
REMINDER_TITLE = "报送提醒"  # what the template then calls it
REPORTING_YEAR = "报送年度"  # the year a 催报通知 asks the forms of: its 发文登记簿 备注, and what urge matches on
RETURNED = "退回情况"  # a 催报通知 to a unit whose form was returned says so, not "nothing received"


def returned_note(day: dt.date) -> str:
    """退回情况 of a unit whose latest form of the year, sent on ``day``, was returned (and none taken since)."""
    return f"于{chinese_date(day)}报送的材料不符合填报要求，已退回修改（原因见退回文件夹中的错误说明）"


def reporting_note(year) -> str:
    """A 催报通知's note (发文登记簿 备注): the year whose forms it asks for."""
    return f"{year}年度"


def units_to_urge(ws: Workspace, store: Store, year: int) -> list[str]:
    """Roster units expected in ``year`` (``Roster.names_in``) with no accepted form for it, in roster order."""
    from lzdocs.store.letters import units_with_current_submission

    with store.read() as conn:
        done = units_with_current_submission(conn, year)
    return [name for name in ws.roster().names_in(year) if name not in done]


def urge_values(ws: Workspace, year: int, date: dt.date, values: dict, *, reminder: bool) -> dict:
    """The fields of a 催报通知 (``reminder``: a 提醒 before the deadline) with the deadline rules applied.

    Before the deadline only a reminder may go out; the date by which the unit must report is never earlier than
    the original deadline (a 提醒 asks for the deadline itself). Raises FieldError naming the dates."""
    values = dict(values)
    deadline = parse_date(values["原定期限"]) if values.get("原定期限") else ws.settings.deadline(year)
    if deadline and "原定期限" not in values:
        values["原定期限"] = deadline
    if deadline and date <= deadline and not reminder:
        raise FieldError(f"报送截止日期是 {chinese_date(deadline)}，今天（{chinese_date(date)}）还没有过期，不能催报",
                         hint="截止日期前可发报送提醒：lzdocs urge --reminder；截止日期见 lzdocs.toml 的 "
                              "[submission] deadline")
    if deadline and date > deadline and reminder:  # a 提醒 asks for the deadline itself: past, it asks for nothing
        raise FieldError(f"{year} 年度的报送截止日期 {chinese_date(deadline)} 已过，不能再发报送提醒",
                         hint=f"截止日期后请发催报通知：lzdocs urge --year {year}")
    given = parse_date(values["补报期限"]) if values.get("补报期限") else None
    if given is not None and deadline and given < deadline:
        raise FieldError(f"补报期限 {chinese_date(given)} 早于原定报送截止日期 {chinese_date(deadline)}",
                         hint="补报期限应在截止日期之后，或不写（默认成文日期后若干天）")
    if given is None and deadline:
        days = int(ws.settings.get("letters", "urge_days", 7))
        values["补报期限"] = deadline if reminder else max(date + dt.timedelta(days=days), deadline)
    values[REMINDER] = "是" if reminder else ""
    if values.get(REPORTING_YEAR) not in (None, "", str(year)):
        raise FieldError(f"报送年度由 --year 指定（本次为 {year} 年），不能用 --set 另写",
                         hint=f"催报其他年度请用 lzdocs urge --year {values[REPORTING_YEAR]}")
    values[REPORTING_YEAR] = str(year)
    if values.get(RETURNED):
        raise FieldError("退回情况由 lzdocs urge 按各单位的退回记录填写，不能用 --set 指定",
                         hint="表格被退回过的单位，催报通知会写明其报送日期和已退回修改")
    return values


def normalise_number(text: str) -> str:
    """A 文号 as typed (内工大纪建[2026]03号, （2026）…) in its printed form."""
    cleaned = re.sub(r"\s+", "", text).translate(str.maketrans("[【(（]】)）０１２３４５６７８９",
                                                               "〔〔〔〔〕〕〕〕0123456789"))
    cleaned = re.sub(r"〕0+(?=\d)", "〕", cleaned)
    parsed = DocumentNumber.parse(cleaned)
    return str(parsed) if parsed else cleaned


@dataclass(frozen=True)
class Talk:
    """A 谈话提醒 held: where and by whom (the date is the reply's)."""

    place: str = ""
    by: str = ""

    @property
    def note(self) -> str:
        return "；".join(x for x in (f"谈话地点：{self.place}" if self.place else "",
                                     f"谈话人：{self.by}" if self.by else "") if x)


def record_reply(store: Store, number_text: str, replied: dt.date | None, today: dt.date, *, correct: bool = False,
                 talk: Talk | None = None) -> dict:
    """Record that the unit replied to a letter (or that a 谈话提醒 was held); the change goes to the audit log.

    Without a date: today, only when nothing was recorded yet. A different date replaces a recorded one only with
    ``correct`` (the event log keeps both). A date after today, or before the letter, is refused; a number not
    recorded is said with what the 发文登记簿 holds (``numbering.unknown_number``)."""
    from lzdocs.documents.numbering import year_of

    number = normalise_number(number_text)
    with store.begin(year=year_of(number)) as conn:
        doc = doc_queries.find_document(conn, number)
        if doc is None:
            from lzdocs.documents.numbering import unknown_number

            raise unknown_number(conn, number, number_text.strip())
        if doc["status"] == doc_queries.VOID:
            raise FieldError(f"{number} 已作废（{doc['void_reason']}），不能登记回复")
        warning = doc_queries.warning_for(conn, doc["id"])
        is_talk = doc["kind"] == "talk"
        if warning is None and not is_talk:
            raise FieldError(f"{number}（{doc['title']}）不需要回复，不在预警处置台账中")
        if talk and talk.note and not is_talk:
            raise FieldError(f"{number} 是{doc['title']}，不是谈话提醒通知书：--place、--by 只用于登记谈话",
                             hint=f"登记书面回复：lzdocs reply {number} --date YYYY-MM-DD")
        previous = warning["replied"] if warning else None
        old_note = warning["note"] if warning else ""
        if talk and talk.note and previous is not None and old_note and talk.note != old_note and not correct:
            raise FieldError(f"{number} 已登记谈话（{old_note}），未改动",
                             hint="确需更正谈话地点或谈话人时加 --correct（原记录保留在操作记录中）")
        if replied is None and previous is not None and not (correct and talk and talk.note):
            return _reply_result(number, doc, warning, previous, previous, changed=False)
        day = replied or previous or today
        _check_reply_day(doc, day, today, previous, correct, is_talk)
        checked = warning.get("checked") if warning else None
        if checked is not None and day > checked:
            raise FieldError(f"{'谈话日期' if is_talk else '回复日期'} {chinese_date(day)} 晚于已登记的整改核查日期 "
                             f"{chinese_date(checked)}", hint="回复（谈话）在核查之前；请核对两个日期")
        if previous == day and not (talk and talk.note):
            return _reply_result(number, doc, warning, day, previous, changed=False)
        note = talk.note if talk and talk.note else (warning["note"] if warning else "")
        if warning is None:
            doc_queries.add_warning(conn, document_id=doc["id"], unit=doc["recipient"], kind=doc["kind"],
                                    issued=doc["issued"], reply_due=None, replied=day, note=note)
        else:
            doc_queries.record_reply(conn, doc["id"], day, note=note)
        store.log(conn, "talk" if is_talk else "reply", number, before={"replied": previous, "note": old_note},
                  after={"replied": day, "note": note, "correct": correct})
    return _reply_result(number, doc, warning, day, previous, changed=True)


def _check_reply_day(doc, day: dt.date, today: dt.date, previous: dt.date | None, correct: bool,
                     is_talk: bool) -> None:
    what = "谈话日期" if is_talk else "回复日期"
    if day > today:
        raise FieldError(f"{what} {chinese_date(day)} 在今天（{chinese_date(today)}）之后",
                         hint="请在收到回复（谈话进行）之后再登记")
    if day < doc["issued"]:
        raise FieldError(f"{what} {chinese_date(day)} 早于发文日期 {chinese_date(doc['issued'])}",
                         hint=f"请核对{what}（不能早于发文日期）或文号，例如：lzdocs reply {doc['number']} "
                              f"--date {doc['issued'].isoformat()}")
    if previous is not None and previous != day and not correct:
        raise FieldError(f"{doc['number']} 已登记{what} {chinese_date(previous)}，未改动",
                         hint=f"确需更正时加 --correct：lzdocs reply {doc['number']} --date {day.isoformat()} "
                              "--correct（原日期保留在操作记录中）")


def _reply_result(number: str, doc, warning, day: dt.date, previous: dt.date | None, *, changed: bool) -> dict:
    due = warning["reply_due"] if warning else None
    return {"number": number, "unit": warning["unit"] if warning else doc["recipient"], "title": doc["title"],
            "kind": doc["kind"], "replied": day.isoformat(), "changed": changed,
            "previous": previous.isoformat() if previous and previous != day else None,
            "reply_due": due.isoformat() if due else None, "late": bool(due and day > due)}

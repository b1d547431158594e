"""The checks of docs/product.md §3: a RawForm becomes a CheckedForm, or a list of problems that reject it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from lzdocs.errors import Problem, RejectedFile, error, warning
from lzdocs.forms.choice import title_year
from lzdocs.forms.ditto import fill_down
from lzdocs.forms.labels import roster_unit_in_titles
from lzdocs.forms.records import CheckedForm, CheckedRows, RawForm
from lzdocs.forms.values import LEVEL_NAMES, read_choice, read_level
from lzdocs.textutil import fold, parse_year, squeeze, strip_illegal_xml
from lzdocs.workspace import Roster

_NOTE_ROW = re.compile(r"^(填表说明|说明|备注|注[:：]|注\d|附注)")


def is_note_or_blank(values: dict[str, str]) -> bool:
    """Blank rows and the 填表说明 footer are not data."""
    texts = [v for v in values.values() if v and v.strip()]
    if not texts:
        return True
    first = squeeze(texts[0])
    return first.startswith("填表说明") or (bool(_NOTE_ROW.match(first)) and len(set(texts)) == 1)


def check_form(form: RawForm, roster: Roster, *, received: dt.date, today: dt.date,
               same_as_above: bool = True, deadline: Callable[[int], dt.date | None] | None = None,
               closed: Callable[[int], bool] = lambda year: False, rows: CheckedRows | None = None,
               file_name: str = "", owed: Callable[[str, str, int], str | None] | None = None) -> CheckedForm:
    """Run every check; raise RejectedFile listing all errors (and warnings) if any error was found.
    ``same_as_above``: a blank 岗位 under a filled one is the post above (with a warning), else an error.
    ``deadline`` (each year's 报送截止日) and ``closed`` (is a year 归档) tell a late form of last year: see
    :func:`late_year`. ``rows``: the form's :func:`check_rows` with that ``same_as_above``, when a reader worker
    checked them already (forms/ahead.py). ``file_name``: the file's, a second sign of the unit a name one character
    off the roster's means (``Roster.misspelt``). ``owed(kind, unit, year)``: does the unit owe a form of that year —
    urged (催报) for it, none taken (OWES: a form whose title names no year may then be a late one, :func:`late_year`),
    or its form of that year taken since (SENT: such a form is this year's, said with a warning), else None."""
    problems: list[Problem] = list(form.problems)
    kind = form.kind

    unit = _check_unit(form, roster, problems, file_name)
    owes = (lambda year: owed(kind.key, unit, year)) if owed is not None and unit else None
    filled, year = _check_date(form, received, today, problems, deadline, closed, owes)
    if unit and year and (off := roster.off_year(unit, year)):  # taken, and counted in that year: said
        problems.append(warning(off, column=form.kind.unit.label))
    if rows is None:
        rows = check_rows(form, same_as_above)
    problems += rows.problems

    problems.sort(key=lambda p: p.severity != "error")  # errors first, each kind in the order found
    if any(p.severity == "error" for p in problems):
        problems += filter(None, [form.seen_note()])
        rejected = RejectedFile(problems)
        rejected.unit, rejected.year, rejected.kind = unit or None, year, kind.key
        raise rejected
    return CheckedForm(kind=kind, unit=unit, filled_date=filled, year=year, rows=rows.rows, problems=problems,
                       written=written_unit(form))


def check_rows(form: RawForm, same_as_above: bool = True) -> CheckedRows:
    """The form's data rows, typed and checked (a 岗位 left blank, a missing field, a level not read, a row that
    repeats another), with what was found — whatever the day the form came and whoever sent it, so that a reader
    worker checks them while it reads (forms/ahead.py). ``same_as_above`` as for :func:`check_form`."""
    problems: list[Problem] = []
    kind = form.kind
    rows: list[dict] = []
    seen_text: dict[str, int] = {}
    data_rows = fill_down(form, [r for r in form.rows if not is_note_or_blank(r.values)], problems,
                          allowed=same_as_above)
    if not data_rows:
        problems.append(error(f"{form.where or '表格'}中没有填写任何数据行；"
                              "请逐行填写岗位名称、风险点描述、风险等级和防控措施后重新报送",
                              column=None, value=None))
    for raw in data_rows:
        record: dict = {"row": raw.number}
        at = {"row": raw.number, "seq": str(raw.values.get("seq") or "").strip()[:20] or None}
        for f in kind.fields:
            text, had_illegal = strip_illegal_xml(raw.values.get(f.key, "") or "")
            text = text.strip()
            column = form.columns.get(f.key, f.label)
            if had_illegal:
                problems.append(warning("含有无法保存的控制字符，已删除", **at, column=column))
            if f.required and not text:
                problems.append(error(f"缺少“{f.label}”，请补填后重新报送", **at, column=column))
            if f.type == "level" and text:
                level, why = read_level(text)
                if level is None:
                    problems.append(error(why or "无法识别的风险等级，请填写一级、二级或三级", **at,
                                          column=column, value=text))
                record[f.key] = level
            elif f.type == "choice" and text:  # one of the choices, written or ticked (e.g. 落实情况)
                record[f.key] = read_choice(text, f.choices)
                if record[f.key] is None:
                    problems.append(error(f"“{f.label}”请填写或勾选{'、'.join(f.choices)}中的一个", **at,
                                          column=column, value=text))  # its 序号 too: the row the unit counts
            else:
                record[f.key] = text
                if f.choices and text and fold(text).rstrip("类") not in f.choices and fold(text) not in f.choices:
                    problems.append(warning(f"“{f.label}”通常填写{'、'.join(f.choices)}之一，已按原文保存",
                                            **at, column=column, value=text))
        key_field = kind.required[1].key if len(kind.required) > 1 else kind.required[0].key
        key = squeeze(str(record.get(key_field) or ""))
        if key:
            if key in seen_text:
                problems.append(warning(f"与第{seen_text[key]}行的“{kind.field(key_field).label}”重复，请确认是否多填",
                                        **at, column=form.columns.get(key_field, key_field),
                                        value=record.get(key_field)))
            else:
                seen_text[key] = raw.number
        rows.append(record)

    return CheckedRows(rows, problems)


def written_unit(form: RawForm) -> str:
    """The unit's name as the form writes it, without a 公章 label before it."""
    return re.sub(r"^[（(]?(公章|盖章)[)）]?[:：]?", "", fold(form.unit or "")).strip()


def _check_unit(form: RawForm, roster: Roster, problems: list[Problem], file_name: str = "") -> str:
    """The unit the form is of (a roster name, when there is a roster), its problems added to ``problems``. A name
    not on the roster is an error; when it surely means a roster unit (``Roster.misspelt``) the return is that
    unit's — its 报送情况 counts it, its 催报 says it was returned, its corrected form settles it — else it is recorded
    as written."""
    label = form.kind.unit.label
    text = written_unit(form)
    if roster and (not text or (form.unit_from_title and not roster.resolve(text))):
        found = roster_unit_in_titles(form.titles, roster)
        if found:
            problems.append(warning(f"没有填写“{label}”，单位按表格标题“{found[1]}”认定为“{found[0]}”；"
                                    "如不对，请在表头填写单位名称后重新报送", column=label))
            return found[0]
    if not text:
        problems.append(error(f"没有填写“{label}”，请在表头填写单位名称后重新报送", column=label))
        return ""
    if roster.school and squeeze(text) == squeeze(roster.school):  # the blank form's title, not a department
        problems.append(error(f"没有填写“{label}”（表中只有学校名称），请在表头填写本单位名称后重新报送",
                              column=label, value=text))
        return ""
    if not roster:
        return text
    name = roster.resolve(text)
    if name and form.unit_from_title:
        problems.append(warning(f"没有填写“{label}”，单位按表格标题认定为“{name}”；如不对，请在表头填写单位名称后重新报送",
                                column=label))
    if name:
        return name
    meant = roster.misspelt(text, file_name)
    if meant:
        problems.append(error(f"单位名称与名单（units.csv）中的“{meant}”只差一个字（文件名也是这个单位），按{meant}的表"
                              f"退回；请把单位名称改为“{meant}”后重新报送", column=label, value=text))
        return meant
    near = roster.closest(text)
    hint = f"最接近的名单单位：{'、'.join(near)}" if near else "名单中没有相近的单位"
    problems.append(error(f"单位不在名单（units.csv）中。{hint}；请改为名单中的单位名称，或请纪委办公室把该单位加入名单",
                          column=label, value=text))
    return text


def _check_date(form: RawForm, received: dt.date, today: dt.date, problems: list[Problem],
                deadline: Callable[[int], dt.date | None] | None = None,
                closed: Callable[[int], bool] = lambda year: False,
                owes: Callable[[int], str | None] | None = None) -> tuple[dt.date | None, int]:
    """The 填表日期 (None when missing or unreadable) and the programme year the form belongs to: the date's year,
    or last year for a late form of last year (:func:`late_year`)."""
    label = form.kind.date.label
    filled = form.date_value
    if filled is None:
        written = (form.date_text or "").strip()
        year = parse_year(written)
        if year is not None:  # 2026年11月: the year is clear even without the day
            problems.append(warning(f"“{label}”没有写到日，已按 {year} 年归档、按收到日期 {received.isoformat()} 记录；"
                                    "请写成 2026年11月10日", column=label, value=written))
        elif written and re.search(r"\d|[〇一二三四五六七八九十]", written):
            problems.append(warning(f"“{label}”无法识别，已按收到日期 {received.isoformat()} 记录；"
                                    "请写成 2026年11月10日",
                                    column=label, value=written))
        else:
            problems.append(warning(f"没有填写“{label}”，已按收到日期 {received.isoformat()} 记录", column=label))
        what = f"{label}是{year}年" if year is not None else f"收到日期是{received.year}年"
        year = received.year if year is None else year
        if received.year != year:  # the day it came stands for the day not written only in the year written
            return None, year
        return None, _year_of(form, received, what, deadline, closed, problems, owes)
    if filled > today:
        problems.append(warning(f"“{label}”晚于今天，请核对", column=label, value=filled.isoformat()))
    return filled, _year_of(form, filled, f"{label}是{filled.year}年", deadline, closed, problems, owes)


def _year_of(form: RawForm, on: dt.date, what: str, deadline: Callable[[int], dt.date | None] | None,
             closed: Callable[[int], bool], problems: list[Problem],
             owes: Callable[[int], str | None] | None = None) -> int:
    """The year of a form dated ``on`` (``what`` says the date in the warning): ``on``'s, or last year's for a late
    form of last year (:func:`late_year`), with the warning that says so."""
    titled = title_year(form)
    late, said = _late(on, titled, deadline, closed, owes) if deadline else (None, None)
    if said == SENT:  # the unit urged for last year sent it since: this form may be its correction — said, not
        last = on.year - 1  # taken in silence
        problems.append(warning(f"表题没有写年度，本单位{last}年度的表经催报已经收到，{what}：按{on.year}年度的表收取。"
                                f"如果这是{last}年度表的更正，请在表题写明{last}年度后重新报送",
                                column=form.kind.date.label))
        return on.year
    if late is None:
        if titled is not None and titled != on.year:  # a stale title, or next year's: said, never silently taken
            then = (f"（{titled}年度已归档，不再收取该年度的表）" if titled < on.year and closed(titled) else
                    f"。如果这是{titled}年度的表，请核对表题和{form.kind.date.label}后重新报送")
            problems.append(warning(f"表题是{titled}年度，{what}：按{on.year}年度的表收取{then}",
                                    column=form.kind.date.label))
        return on.year
    if titled is None:
        problems.append(warning(f"表题没有写年度，本单位{late}年度的表经催报尚未报送，{what}：按{late}年度的表收取（补报）。"
                                f"如果这是{on.year}年度的表，请在表题写明{on.year}年度后重新报送",
                                column=form.kind.date.label))
        return late
    problems.append(warning(f"表题是{late}年度，{what}：按{late}年度的表收取（补报）。"
                            f"如果这是{on.year}年度的表，请把表题改为{on.year}年度后重新报送",
                            column=form.kind.date.label))
    return late


def late_year(filled: dt.date, titled: int | None, deadline: Callable[[int], dt.date | None],
              closed: Callable[[int], bool], owes: Callable[[int], str | None] | None = None) -> int | None:
    """The year before ``filled``'s when the form is a late one of that year (补报): its title names that year — or
    names no year (lzdocs's own blank form, ``lzdocs form``), from a unit that owes a form of that year (``owes``:
    urged for it, none taken) — its date is nearer that year's 报送截止日 than this year's, and that year is not
    closed by its 归档 package.

    A form's year is its date's — except early in the year, when a unit that missed last year's deadline sends last
    year's form (“2026年度…”, dated 2027年1月5日). A unit that fills in last year's template in November before
    this year's deadline (“2025年度…”, dated 2026年11月10日) is nearer this year's deadline: its form is this
    year's, whatever its stale title says."""
    return _late(filled, titled, deadline, closed, owes)[0]


# What ``owes(year)`` says of a unit and a year (``check_form``'s ``owed``): urged (催报) for it, none of its forms of
# that year taken; urged, and its form of that year taken since; or None: not urged (or the 催报 voided).
OWES, SENT = "owes", "sent"


def _late(filled: dt.date, titled: int | None, deadline: Callable[[int], dt.date | None],
          closed: Callable[[int], bool], owes: Callable[[int], str | None] | None) -> tuple[int | None, str | None]:
    """(:func:`late_year`'s answer, what ``owes`` said of last year — when it was asked: a form whose title names no
    year, nearer last year's deadline, last year open), each archive question asked once."""
    last = filled.year - 1
    if (titled is None and owes is None) or titled not in (None, last):
        return None, None
    before, now = deadline(last), deadline(filled.year)
    if before is None or now is None or abs((filled - before).days) >= abs((now - filled).days):
        return None, None  # (checked before the archive is asked: most forms are dated nearer this year's deadline)
    if closed(last):
        return None, None
    if titled == last:
        return last, None
    said = owes(last)
    return (last if said == OWES else None), said


def level_name(level: int | None) -> str:
    return LEVEL_NAMES.get(level or 0, "")

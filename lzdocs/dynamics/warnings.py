"""Every warning followed to its end: 已发出 → 已回复/已谈话 → 整改已核查 → 已办结, overdue at each step.

The six ways of the programme (docs/product.md §7): 批评教育 is recorded with a 登记号 and no letter; 谈话提醒,
责令检查整改, 问廉问责书, 纪检监察建议书 and 关于责成召开专题民主生活会的通知 are letters. Step 2 is the written
reply (``lzdocs reply``), a talk held, or for a 批评教育 the day it was given; step 3 the check on the rectification
(``lzdocs follow-up --result``); step 4 the closing (``--close``). Each step's deadline: the letter's own (回复期限,
谈话时间, 整改期限, 召开时限) for step 2, then [follow_up] check_days after it for the check and close_days after a
check that found it rectified for the closing (a check that found it not rectified is due again check_days on).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from lzdocs.documents.kinds import CRITICISM, NOT_RECTIFIED, RECTIFIED, WAYS
from lzdocs.dynamics.steps import (
    Deadlines,
    state,
    state_name,
    step_two,
    waiting_overdue,
    warning_record,
)
from lzdocs.errors import ConfigError, FieldError
from lzdocs.store import documents as doc_q
from lzdocs.store import follow_up as q
from lzdocs.store import submissions as subs_q
from lzdocs.textutil import chinese_date, squeeze

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lzdocs.settings import Settings
    from lzdocs.store import Store

def overdue_warnings(store: Store, today: dt.date, deadlines: Deadlines) -> list[dict]:
    """Every warning past the deadline of the step it waits for, most overdue first (``status``) — not those of a
    year archived, whose steps cannot be recorded until it is reopened."""
    with store.read() as conn:
        rows = q.all_warnings(conn)
    out = []
    for w in rows:
        late = waiting_overdue(w, today, deadlines)
        if late:
            out.append({"number": w["number"], "unit": w["unit"], "kind": w["kind"], "state": state(w),
                        "state_name": state_name(w), **late})
    return sorted(out, key=lambda o: (-o["days_overdue"], o["number"]))


def unfinished(store: Store, year: int) -> list:
    """The warnings of ``year``'s numbers whose follow-up has a step to come: not void, not closed, and not a
    催报通知 already answered (it ends with the reply). Archiving the year would leave those steps unrecordable."""
    with store.read() as conn:
        rows = q.all_warnings(conn, year=year)
    return [w for w in rows if w["status"] != doc_q.VOID and not w["closed"]
            and not (w["replied"] and w["kind"] not in WAYS)]


# ---- recording ----------------------------------------------------------------------------------------------

def follow_up(store: Store, number: str, today: dt.date, deadlines: Deadlines, *, result: str | None = None,
              day: dt.date | None = None, by: str = "", close: bool = False, risks: list[str] = (),
              correct: bool = False) -> dict:
    """Record the check (``result`` 已整改/未整改 on ``day`` by ``by``), the closing (``close``) and/or links to
    risk points; each change is an event in the audit log, in one transaction."""
    from lzdocs.documents.letters import normalise_number
    from lzdocs.documents.numbering import year_of

    if not (result or close or risks):
        raise FieldError("没有要登记的内容", hint="用 --result 已整改|未整改 登记核查，--close 办结，--risk 关联风险点")
    if result is not None and result not in (RECTIFIED, NOT_RECTIFIED):
        raise FieldError(f"核查结果“{result}”不对", hint="写 --result 已整改 或 --result 未整改")
    day = day or today
    if day > today:
        raise FieldError(f"日期 {chinese_date(day)} 还没有到", hint="登记已经发生的核查或办结，日期不能晚于今天")
    text = normalise_number(number)
    with store.begin(year=year_of(text)) as conn:
        w = _followed(conn, text, number)
        if risks:
            _link(store, conn, w, resolve_risks(conn, w["unit"], risks))
        if result is not None:
            _check(store, conn, w, result, day, by, correct=correct)
        if close:
            _close(store, conn, w, day, result or w["check_result"])
        w = q.warning_by_number(conn, text)
        return warning_record(w, q.linked_risks(conn, [w["id"]])[w["id"]], today, deadlines)


def _followed(conn: Connection, text: str, typed: str):
    w = q.warning_by_number(conn, text)
    if w is None:
        raise FieldError(f"预警处置台账中没有文号“{typed.strip()}”", hint="请核对文号（发文登记簿的“文号”一栏）")
    if w["status"] == doc_q.VOID:
        raise FieldError(f"{text} 已作废，不再跟踪处置")
    if w["kind"] not in WAYS:
        raise FieldError(f"{text}（{w['title']}）不是预警处置文书，不需要核查整改")
    return w


def _check(store: Store, conn: Connection, w, result: str, day: dt.date, by: str, *, correct: bool = False) -> None:
    who = " ".join(str(by or "").split())
    if not who:
        raise FieldError("请写明核查人", hint="加 --by 姓名，例如 --by 纪委办公室张某")
    if w["closed"]:
        raise FieldError(f"{w['number']} 已于{chinese_date(w['closed'])}办结，不能再登记核查")
    if not w["replied"]:
        what = step_two(w["kind"])
        raise FieldError(f"{w['number']} 还没有登记{what}，不能核查整改",
                         hint=f"请先登记{what}：lzdocs reply {w['number']} --date …")
    if day < w["replied"]:
        raise FieldError(f"核查日期 {chinese_date(day)} 早于回复（谈话）日期 {chinese_date(w['replied'])}")
    if w["checked"] and day < w["checked"] and not correct:  # the later check stands: an earlier one is no news
        raise FieldError(f"核查日期 {chinese_date(day)} 早于已登记的核查（{chinese_date(w['checked'])}，"
                         f"{w['check_result']}，核查人 {w['checked_by']}），台账以最近一次核查为准",
                         hint="请核对日期；若上次的核查登记错了，加 --correct 更正它（原登记保留在操作记录中）")
    q.record_check(conn, w["id"], checked=day, checked_by=who, result=result)
    store.log(conn, "check", w["number"],
              before={"checked": w["checked"], "checked_by": w["checked_by"], "result": w["check_result"]},
              after={"checked": day, "checked_by": who, "result": result})


def _close(store: Store, conn: Connection, w, day: dt.date, result: str | None) -> None:
    if w["closed"]:
        raise FieldError(f"{w['number']} 已于{chinese_date(w['closed'])}办结")
    if result != RECTIFIED:
        found = "还没有核查整改情况" if result is None else "核查结果为未整改"
        raise FieldError(f"{w['number']} {found}，不能办结",
                         hint=f"核查已整改后办结：lzdocs follow-up {w['number']} --result 已整改 --by … --close")
    if w["checked"] and day < w["checked"]:
        raise FieldError(f"办结日期 {chinese_date(day)} 早于核查日期 {chinese_date(w['checked'])}")
    q.record_closed(conn, w["id"], day)
    store.log(conn, "close", w["number"], before={"closed": None}, after={"closed": day})


def _link(store: Store, conn: Connection, w, risk_ids: list[int]) -> None:
    new = q.link_risks(conn, w["id"], risk_ids)
    if new:
        store.log(conn, "link", w["number"], after={"risks": new})


def link_warning(store: Store, number: str, risk_ids: list[int]) -> None:
    """Link a just-issued warning to risk points (checked before it was issued)."""
    from lzdocs.documents.numbering import year_of

    with store.begin(year=year_of(number)) as conn:
        w = q.warning_by_number(conn, number)
        if w is not None:
            _link(store, conn, w, risk_ids)


def resolve_risks(conn: Connection, unit: str, specs) -> list[int]:
    """Risk point ids from what the clerk typed: an id (as ``unit --json`` shows it), or words of the risk or post
    matching exactly one current risk point of the unit."""
    ids: list[int] = []
    current = list(subs_q.current_risks(conn, unit=unit))
    for spec in specs:
        text = squeeze(str(spec))
        if text.isdigit():
            rows = q.risk_rows(conn, [int(text)])
            if not rows or rows[0]["unit"] != unit:
                raise FieldError(f"{unit}没有编号为 {text} 的风险点", hint=f"用 lzdocs unit {unit} 查看风险点编号")
            ids.append(rows[0]["id"])
            continue
        found = [r for r in current if text and (text in squeeze(r["risk"] or "") or text == squeeze(r["post"] or ""))]
        if len(found) != 1:
            shown = "；".join(f"{r['id']}：{r['post']}—{r['risk']}" for r in found[:5])
            what = f"对应多个{unit}的风险点（{shown}）" if found else f"没有对应{unit}的风险点"
            raise FieldError(f"“{spec}”{what}",
                             hint=f"用风险点编号：--risk 编号（lzdocs unit {unit} 可查看）")
        ids.append(found[-1]["id"])
    return ids


def record_criticism(store: Store, settings: Settings, unit: str, values: dict, day: dt.date, *,
                     person: str | None = None, risks=()) -> dict:
    """A 批评教育 given in person: recorded with a 登记号 of [numbering] criticism, no letter; step 2 is done."""
    from lzdocs.documents.numbering import DocumentNumber, never_used

    cause = " ".join(str(values.get("事由") or "").split())
    if not cause:
        raise FieldError("批评教育缺少必填字段：事由", hint="用 --set 事由=在2026年度廉政风险防控工作检查中 提供")
    unknown = [k for k in values if k not in ("事由", "备注")]
    if unknown:
        raise FieldError(f"批评教育没有字段“{'、'.join(unknown)}”", hint="可用的字段：事由、备注")
    code = settings.text("numbering", CRITICISM, "")
    if not code:
        raise ConfigError("lzdocs.toml 的 [numbering] 中没有设置 criticism（批评教育的登记代字）",
                          hint=f'请加一行：criticism = "{settings.text("organisation", "short", "") or "简称"}纪批"')
    who = " ".join(str(person or "").split())
    note = "；".join(x for x in (cause, f"对象：{who}" if who else "", str(values.get("备注") or "").strip()) if x)
    with store.begin(year=day.year) as conn:
        ids = resolve_risks(conn, unit, risks)
        number = DocumentNumber(code, day.year, doc_q.next_seq(conn, code, day.year))
        never_used(conn, number, [], archive=store.url)  # its number never another's: the event log asked (no file)
        doc_id = doc_q.add_document(conn, kind=CRITICISM, code=code, year=day.year, seq=number.seq,
                                    number=str(number), title=WAYS[CRITICISM], recipient=unit, issued=day,
                                    file="", sha256="", note=note[:200], created_at=store.now())
        warning_id = doc_q.add_warning(conn, document_id=doc_id, unit=unit, kind=CRITICISM, issued=day,
                                       reply_due=None, replied=day, note="")
        store.log(conn, "issue", str(number), after={"kind": CRITICISM, "title": WAYS[CRITICISM], "recipient": unit,
                                                     "person": who, "file": "", "note": note})
        if ids:
            q.link_risks(conn, warning_id, ids)
            store.log(conn, "link", str(number), after={"risks": ids})
    return {"number": str(number), "kind": CRITICISM, "unit": unit, "person": who or None,
            "issued": day.isoformat(), "risks": ids}

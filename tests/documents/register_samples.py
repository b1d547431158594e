"""A year of submissions, rejections and letters written straight into the archive, for the register tests."""

from __future__ import annotations

import datetime as dt
import json

from lzdocs.store.documents import add_document, add_warning
from lzdocs.store.submissions import add_submission

YEAR = 2026
TODAY = dt.date(2026, 11, 28)  # deadline 11-16 (the default lzdocs.toml)
INJECTIONS = ['=HYPERLINK("http://example.invalid","x")', "+1+1", "-2+3", "@SUM(A1)"]


def risk(post: str, text: str, level: int, owner: str = "张三", **extra) -> dict:
    return {"seq": extra.pop("seq", None), "post": post, "duties": f"{post}的职责", "risk": text,
            "category": "岗位职责", "level": level, "measures": f"针对“{text}”的防控措施", "owner": owner, **extra}


CURRENT = {  # unit → current risk points (by risk text) and their level
    "计划财务处": [risk("出纳", "挪用公款", 1), risk("会计", "违规报销", 2), risk("处长", "违规审批资金", 3)],
    "基建处": [risk("项目经理", "围标串标（新）", 1), risk("工程师", "虚报工程量（新）", 2),
              risk("处长", "插手工程（新）", 2)],
    "教务处": [risk("教务员", "篡改成绩", 2), risk("科长", "违规调课收费", 3)],
    "图书馆": [risk(INJECTIONS[0], INJECTIONS[1], 1, owner=INJECTIONS[3], measures=INJECTIONS[2])],
    "网络与信息中心": [risk("管理员", "泄露数据", 3)],
}
SUPERSEDED = [risk("项目经理", "围标串标（旧）", 1), risk("工程师", "虚报工程量（旧）", 3)]
OTHER_YEAR = [risk("出纳", "二〇二五年的风险点", 1)]
REJECTION = "第5行“风险等级”：“很高”不是风险等级"


def _submit(conn, n: int, unit: str, received: dt.datetime, rows: list[dict], *, year: int = YEAR,
            status: str = "accepted", problems: list | None = None) -> int:
    name = f"{unit}-{n}.docx"
    new_id, _ = add_submission(
        conn, rows=[{**r, "seq": r["seq"] or str(i), "row": i + 3} for i, r in enumerate(rows, 1)],
        sha256=f"{n:064x}", kind="risk", status=status, unit=unit, year=year, filled_date=received.date(),
        received_at=received, original_name=name, source=f"inbox/{name}",
        stored_as=f"outbox/{year}/收文/{unit}/{name}" if status == "accepted" else f"inbox/退回/{name}",
        problems=json.dumps(problems or [], ensure_ascii=False))
    return new_id


def populate(store, *, letters: bool = True) -> None:
    """On-time, late, superseded, rejected-then-accepted, rejected-only, off-roster and other-year forms."""
    at = lambda m, d, h=9: dt.datetime(YEAR, m, d, h)
    with store.begin() as conn:
        _submit(conn, 1, "计划财务处", at(11, 10), CURRENT["计划财务处"])
        _submit(conn, 2, "基建处", at(11, 1), SUPERSEDED)
        _submit(conn, 3, "基建处", at(11, 12), CURRENT["基建处"])
        _submit(conn, 4, "教务处", at(11, 20), CURRENT["教务处"])  # after the deadline: late
        _submit(conn, 5, "图书馆", at(11, 5), [], status="rejected",
                problems=[{"severity": "error", "row": 5, "column": "风险等级", "value": "很高", "message": REJECTION}])
        _submit(conn, 6, "图书馆", at(11, 14), CURRENT["图书馆"])
        _submit(conn, 7, "后勤管理处", at(11, 15), [], status="rejected",
                problems=[{"severity": "error", "message": "没有找到风险点表格"}])
        _submit(conn, 8, "网络与信息中心", at(11, 10), CURRENT["网络与信息中心"])
        _submit(conn, 9, "计划财务处", dt.datetime(YEAR - 1, 11, 10), OTHER_YEAR, year=YEAR - 1)
        if letters:
            add_letters(conn)


def add_letters(conn) -> None:
    """Three letters expecting a reply (overdue, replied, not yet due) and one notice without."""
    letters = [("suggestion", "内工大纪建", 1, "基建处", dt.date(2026, 11, 20), dt.date(2026, 11, 25), None),
               ("rectify", "内工大纪改", 1, "教务处", dt.date(2026, 11, 21), dt.date(2026, 11, 26),
                dt.date(2026, 11, 27)),
               ("urge", "内工大纪催", 1, "后勤管理处", dt.date(2026, 11, 22), dt.date(2026, 11, 29), None),
               ("notice", "内工大纪发", 1, "各部门、各单位", dt.date(2026, 11, 23), None, None)]
    for kind, code, seq, unit, issued, due, replied in letters:
        number = f"{code}〔{YEAR}〕{seq}号"
        doc = add_document(conn, kind=kind, code=code, year=YEAR, seq=seq, number=number, title=f"关于{unit}的{kind}",
                           recipient=unit, issued=issued, file=f"outbox/{YEAR}/{kind}/{number}-{unit}.docx",
                           sha256="0" * 64, created_at=dt.datetime.combine(issued, dt.time(9)),
                           note="通报" if kind == "notice" else "")
        if due is not None:
            add_warning(conn, document_id=doc, unit=unit, kind=kind, issued=issued, reply_due=due, replied=replied)


def current_texts() -> dict[str, tuple[str, int]]:
    """risk text → (unit, level) of every current risk point."""
    return {r["risk"]: (unit, r["level"]) for unit, rows in CURRENT.items() for r in rows}

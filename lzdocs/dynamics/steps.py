"""The steps of a warning and their deadlines: 已发出 → 已回复/已谈话 → 整改已核查 → 已办结 (docs/product.md §7).

What a warning's row says of its state, the step it waits for and whether that is overdue, from the row alone: the
registers, the status page and ``unit --json`` show it; recording the steps is lzdocs/dynamics/warnings.py's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lzdocs.documents.kinds import CRITICISM, NOT_RECTIFIED, WAYS
from lzdocs.store.documents import VOID

if TYPE_CHECKING:
    from lzdocs.settings import Settings

TALKED = {"talk": "谈话", CRITICISM: "批评教育"}  # step 2 of these is held in person, not a written reply
ISSUED, REPLIED, CHECKED, CLOSED = "issued", "replied", "checked", "closed"
STEPS = {"reply": "回复/谈话", "check": "整改核查", "close": "办结"}
DEFAULT_CHECK_DAYS, DEFAULT_CLOSE_DAYS = 30, 15


@dataclass(frozen=True)
class Deadlines:
    """Days allowed for the steps after the reply ([follow_up] in lzdocs.toml)."""

    check_days: int = DEFAULT_CHECK_DAYS
    close_days: int = DEFAULT_CLOSE_DAYS

    @classmethod
    def from_settings(cls, settings: Settings) -> Deadlines:
        return cls(settings.integer("follow_up", "check_days", DEFAULT_CHECK_DAYS),
                   settings.integer("follow_up", "close_days", DEFAULT_CLOSE_DAYS))


def step_two(kind: str) -> str:
    """What step 2 of a warning of ``kind`` is: 谈话 (a 谈话提醒), 批评教育 (held as it is recorded), else 回复."""
    return TALKED.get(kind, "回复")


def state(w) -> str:
    if w["closed"]:
        return CLOSED
    if w["checked"]:
        return CHECKED
    return REPLIED if w["replied"] else ISSUED


def state_name(w) -> str:
    """The state as the 预警处置台账 shows it."""
    current = state(w)
    if w.get("status") == VOID:
        return "作废"
    if current == CHECKED:
        return f"整改已核查（{w['check_result']}）"
    if current == REPLIED:
        return f"已{step_two(w['kind'])}"
    return {ISSUED: "已发出", CLOSED: "已办结"}[current]


def next_step(w, deadlines: Deadlines) -> tuple[str, dt.date] | None:
    """The step a warning waits for and its deadline; None when closed, void or without a deadline."""
    if w.get("status") == VOID or w["closed"]:
        return None
    if not w["replied"]:
        return ("reply", w["reply_due"]) if w["reply_due"] else None
    if w["kind"] not in WAYS:  # a 催报通知 ends with the reply
        return None
    if not w["checked"]:
        return "check", w["replied"] + dt.timedelta(days=deadlines.check_days)
    if w["check_result"] == NOT_RECTIFIED:
        return "check", w["checked"] + dt.timedelta(days=deadlines.check_days)
    return "close", w["checked"] + dt.timedelta(days=deadlines.close_days)


def overdue(w, today: dt.date, deadlines: Deadlines) -> dict | None:
    """``{step, step_name, due, days_overdue}`` when the step a warning waits for is past its deadline."""
    step = next_step(w, deadlines)
    if step is None or step[1] >= today:
        return None
    return {"step": step[0], "step_name": STEPS[step[0]], "due": step[1].isoformat(),
            "days_overdue": (today - step[1]).days}


def waiting_overdue(w, today: dt.date, deadlines: Deadlines) -> dict | None:
    """``overdue`` for what waits on the clerk (status, ``lzdocs unit``, the status page) — nothing for a warning of a
    year archived (``archived``: its steps cannot be recorded until the year is reopened). The 预警处置台账 keeps
    ``overdue``: a closed year's, written as of its closing day, is what its 归档 package holds."""
    return None if w.get("archived") else overdue(w, today, deadlines)


def warning_record(w, risk_ids: list[int], today: dt.date, deadlines: Deadlines) -> dict:
    """One warning as ``unit --json`` and ``follow-up --json`` print it."""
    def iso(day):
        return day.isoformat() if day else None

    return {"number": w["number"], "kind": w["kind"], "state": state(w), "issued": iso(w["issued"]),
            "reply_due": iso(w["reply_due"]), "replied": iso(w["replied"]), "checked": iso(w["checked"]),
            "closed": iso(w["closed"]), "state_name": state_name(w), "unit": w["unit"],
            "result": w["check_result"], "checked_by": w["checked_by"], "void": w["status"] == VOID,
            "risks": risk_ids, "overdue": waiting_overdue(w, today, deadlines)}

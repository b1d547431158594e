"""A unit's card (``lzdocs unit``): its risk points over the years, reviews, warnings and their states, cases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import TYPE_CHECKING

from lzdocs.dynamics.cases import Occurred, case_record
from lzdocs.dynamics.steps import Deadlines, warning_record
from lzdocs.store import cases as cases_q
from lzdocs.store import follow_up as q
from lzdocs.store import reviews as reviews_q
from lzdocs.store import submissions as subs_q

if TYPE_CHECKING:
    from lzdocs.store import Store


def unit_card(store: Store, unit: str, today: dt.date, deadlines: Deadlines,
              recorded: Collection[str] = ()) -> dict:
    """``{unit, risks, reviews, warnings, cases}``: the current risk points of every year (each with its id and
    the warnings linked to it, and whether a case occurred there), every review a 落实情况 form recorded, every
    warning and every case of the unit, oldest first.

    ``recorded``: the names the unit's rows may be recorded under (``Roster.recorded_names``): a unit renamed in
    units.csv, its old name an alias, has one card with its history before the rename. Each point, warning, review
    and case keeps the name it was recorded under (``unit`` of each; ``former_names`` lists those that differ from
    the current name): a past year's point was sent as 计划财务处, and its letters went out so addressed."""
    names = tuple(dict.fromkeys([unit, *recorded]))
    with store.read() as conn:
        rows = q.all_warnings(conn, unit=names)
        links = q.linked_risks(conn, [w["id"] for w in rows])
        risks = [dict(r) for r in subs_q.current_risks(conn, unit=names)]
        occurred = Occurred(conn)
        reviews = [_review(r) for r in reviews_q.reviews_of(conn, names)]
        cases = [case_record(r) for r in cases_q.list_cases(conn, unit=names)]
    warnings = [warning_record(w, links[w["id"]], today, deadlines) for w in rows]
    by_risk: dict[int, list[str]] = {}
    for w in warnings:
        for risk_id in w["risks"]:
            by_risk.setdefault(risk_id, []).append(w["number"])
    former = sorted(({r["unit"] for r in risks} | {w["unit"] for w in rows} | {c["unit"] for c in cases}
                     | {r["unit"] for r in reviews}) - {unit})
    return {"unit": unit, "former_names": former,
            "risks": [{"id": r["id"], "year": r["year"], "unit": r["unit"], "seq": r["seq"], "post": r["post"],
                       "risk": r["risk"],
                       "level": r["level"], "measures": r["measures"], "owner": r["owner"],
                       "warnings": by_risk.get(r["id"], []), "occurred": occurred(r) > 0} for r in risks],
            "reviews": reviews, "warnings": warnings, "cases": cases}


def _review(row) -> dict:
    return {"reviewed": row["reviewed"].isoformat(), "unit": row["unit"], "post": row["post"], "risk": row["risk"],
            "result": row["result"], "problem": row["problem"], "remedy": row["remedy"], "risk_id": row["risk_id"]}

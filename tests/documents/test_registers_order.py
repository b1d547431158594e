"""The current risk points in the order the registers list them: the roster's units first, in its order."""

from __future__ import annotations

import pytest
from register_samples import CURRENT, YEAR, populate

from lzdocs.store.submissions import current_risks

pytestmark = pytest.mark.both_backends


def test_units_of_the_order_come_first_in_its_order_then_the_others_by_name(workspace, store):
    populate(store, letters=False)
    order = ["网络与信息中心", "不在库中的单位", "计划财务处"]
    with store.read() as conn:
        rows = list(current_risks(conn, year=YEAR, unit_order=order))
    units = list(dict.fromkeys(r["unit"] for r in rows))
    assert units == ["网络与信息中心", "计划财务处", *sorted(set(CURRENT) - set(order))]
    assert [r["risk"] for r in rows if r["unit"] == "计划财务处"] == [p["risk"] for p in CURRENT["计划财务处"]]
    assert len(rows) == sum(len(points) for points in CURRENT.values())

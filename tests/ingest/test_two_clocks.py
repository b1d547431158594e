"""Forms taken by machines whose clocks disagree (a shared PostgreSQL archive; a clock set back; a pinned day past
real midnight, when every time recorded is the day's last second): what is current, and whether a unit's last
rejection is dealt with, follow the order the archive took the files in, never the times recorded with them."""

from __future__ import annotations

import datetime as dt

import pytest

from lzdocs import Office
from lzdocs.clock import Clock
from tests.conftest import SAMPLE_ROWS

pytestmark = pytest.mark.both_backends

DAY = dt.date(2026, 11, 28)
BAD = [dict(SAMPLE_ROWS[0], level="很高")]  # a level the form does not have: rejected


def unit_status(office: Office):
    return next(u for u in office.status(2026).units if u.unit == "计划财务处")


def test_a_correction_taken_by_a_machine_whose_clock_is_behind_settles_the_rejection(workspace, make_form):
    ahead, behind = (Clock(DAY, lambda at=at: dt.datetime(2026, 11, 28, 10, at)) for at in (5, 1))
    make_form(workspace.inbox / "计划财务处.docx", rows=BAD)
    with Office(workspace, clock=ahead) as office:
        assert [o.status for o in office.ingest().outcomes] == ["rejected"]
    make_form(workspace.inbox / "计划财务处（更正）.docx")
    with Office(workspace, clock=behind) as office:
        assert [o.status for o in office.ingest().outcomes] == ["accepted"]
        assert unit_status(office).last_rejection == ""  # dealt with: the correction came after it


def test_a_rejection_after_the_accepted_form_past_midnight_on_a_pinned_day_is_still_shown(workspace, make_form):
    real = [dt.datetime(2026, 12, 3, 23, 59, 50)]
    with Office(workspace, clock=Clock(DAY, lambda: real[0])) as office:
        real[0] = dt.datetime(2026, 12, 4, 0, 0, 10)  # both taken after real midnight: one recorded time for both
        make_form(workspace.inbox / "计划财务处.docx")
        make_form(workspace.inbox / "计划财务处（二）.docx", rows=BAD)
        assert [o.status for o in office.ingest().outcomes] == ["accepted", "rejected"]
        status = unit_status(office)
        assert status.last_received == status.last_rejected_at == dt.datetime(2026, 11, 28, 23, 59, 59)
        assert "风险等级" in status.last_rejection

"""The one "today": pinned by the caller, by ``LZDOCS_TODAY``, or else the system calendar (time-machine moves it
here, so these tests mean the same on any day)."""

import datetime as dt

import pytest
import time_machine

from lzdocs import Office
from lzdocs.clock import ENV, Clock
from lzdocs.errors import ConfigError


@pytest.mark.system_date
def test_without_a_pinned_day_the_office_follows_the_calendar_day_by_day(workspace, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    with (time_machine.travel(dt.datetime(2030, 3, 4, 23, 59, 50).astimezone(), tick=False) as traveller,
          Office(workspace) as office):
        assert office.today == dt.date(2030, 3, 4)
        traveller.shift(dt.timedelta(seconds=20))  # a watcher or the status page runs past midnight
        assert office.today == dt.date(2030, 3, 5)


@pytest.mark.system_date
def test_lzdocs_today_moves_the_day_and_keeps_the_time_of_day(workspace, monkeypatch):
    monkeypatch.setenv(ENV, "2027-03-15")
    with time_machine.travel(dt.datetime(2030, 3, 4, 9, 30).astimezone(), tick=False), Office(workspace) as office:
        assert office.today == dt.date(2027, 3, 15)
        assert office.clock.now() == dt.datetime(2027, 3, 15, 9, 30)


@pytest.mark.system_date
def test_a_pinned_day_never_ends_and_its_time_never_goes_back(monkeypatch):
    """Times recorded in one process (arrivals, backup names, ages counted back from now) keep their order when the
    real clock passes midnight: the pinned day stays, at its last moment (it once went back to 00:00)."""
    monkeypatch.setenv(ENV, "2027-03-15")
    with time_machine.travel(dt.datetime(2030, 3, 4, 23, 59, 59).astimezone(), tick=False) as traveller:
        clock = Clock.from_environment()
        before = clock.now()
        traveller.shift(dt.timedelta(seconds=2))
        after = clock.now()
        assert before == dt.datetime(2027, 3, 15, 23, 59, 59)
        assert after == dt.datetime(2027, 3, 15, 23, 59, 59) and clock.today() == dt.date(2027, 3, 15)


@pytest.mark.system_date
@pytest.mark.parametrize("text", ["下周一", "2026-13-01", "1999-12-31"])
def test_a_bad_lzdocs_today_is_refused_in_chinese(monkeypatch, text):
    monkeypatch.setenv(ENV, text)
    with pytest.raises(ConfigError, match=ENV):
        Clock.from_environment()


def test_in_a_test_the_system_date_is_not_reached_unless_the_test_says_so(workspace, monkeypatch):
    """tests/conftest.py: an unpinned ``Office()`` fails on every day, not only on the days it would go wrong."""
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(AssertionError, match="reads the system date"):
        Office(workspace)
    with Office(workspace, today=dt.date(2026, 11, 28)) as office:
        assert office.today == dt.date(2026, 11, 28)

"""The one place lzdocs reads the wall clock: today's date and the time now, with ``LZDOCS_TODAY`` to move the day.

The library takes ``today``/``now`` as parameters; only the command line and ``lzdocs.Office(today=None)`` come
here for their defaults. ``LZDOCS_TODAY=2027-03-15`` makes every command behave as on that day (a script
re-doing last month's paperwork, or a test); the time of day stays the real one, and the pinned day never ends:
past real midnight ``now()`` stays at its last moment instead of going back to its start, so that the times a
process records never go backwards (an order of arrival, a backup's name, a file's age counted back from now).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from lzdocs.errors import ConfigError

ENV = "LZDOCS_TODAY"
YEARS = range(2000, 2100)  # a day the programme can have: anything else is a typo that would issue real documents


def _override() -> dt.date | None:
    text = os.environ.get(ENV, "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"环境变量 {ENV}“{text}”不是日期",
                          hint=f"请写成 {ENV}=2026-12-01，或删除这个环境变量") from None


def _require_programme_year(day: dt.date, hint: str) -> None:
    if day.year not in YEARS:
        raise ConfigError(f"“今天”设成了 {day.isoformat()}，年份应在 {YEARS.start}—{YEARS.stop - 1} 之间", hint=hint)


@dataclass(frozen=True)
class Clock:
    """Today and now, from the system clock or a fixed day. Passed to whatever needs the date."""

    day: dt.date | None = None  # a fixed "today"; None follows the calendar (a watcher runs for months)
    time: Callable[[], dt.datetime] = dt.datetime.now
    _shift: dt.timedelta = field(default=dt.timedelta(0), init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.day is not None:
            _require_programme_year(self.day, f"请检查环境变量 {ENV}（写成 {ENV}=2026-12-01），或删除它以使用系统日期")
            # Whole days from the system's date when the clock was made to the pinned one, kept: past midnight
            # ``now()`` then reaches the end of the pinned day instead of jumping back to its start.
            object.__setattr__(self, "_shift", self.day - self.time().date())

    @classmethod
    def from_environment(cls) -> Clock:
        """The system clock, or the day ``LZDOCS_TODAY`` names (a ConfigError when it is not a date)."""
        return cls(_override())

    @classmethod
    def fixed(cls, day: dt.date) -> Clock:
        """A clock on ``day`` (a date; a datetime counts for its day), as a script passes ``today=``."""
        if isinstance(day, dt.datetime):
            day = day.date()
        if not isinstance(day, dt.date):
            raise ConfigError(f"today 应当是日期（datetime.date），收到的是 {day!r}",
                              hint="例如 Office(today=datetime.date(2026, 12, 1))；不传则用系统日期")
        _require_programme_year(day, "请检查传入的 today")
        return cls(day)

    def today(self) -> dt.date:
        return self.day if self.day is not None else self.time().date()

    def present(self) -> dt.datetime:
        """What a file's age (read on its file server's clock) is counted back from: the later of the real time and
        ``now()``. A day pinned in the past is a clerk working as of an earlier day: files keep their own dates on
        the real calendar (a form written on 11-20 arrived on 11-20, also when worked as of 11-25). A day pinned
        ahead of the system's calendar stands for a machine whose calendar is behind: files are dated from it."""
        return max(self.time().replace(tzinfo=None), self.now())

    def now(self) -> dt.datetime:
        """The current time: on ``today()`` at the real time of day; with a pinned day, its last moment once the
        real clock has passed midnight since this clock was made (never earlier than a time it gave before)."""
        moment = self.time() + self._shift
        if self.day is None:
            return moment
        # naive, as before (a tz-aware ``time`` once gave its wall time); the last whole second, which a sheet's
        # "hh:mm" shows on this day (23:59:59.999999 is rounded to 00:00 of the next)
        return min(moment.replace(tzinfo=None), dt.datetime.combine(self.day, dt.time(23, 59, 59)))

"""The 公示表 as posted (``lzdocs publicity``): kept under its 公示期, never rewritten.

The 公示表 in outbox/<year>/公示/ is a register: written again from the archive whenever a form comes in, dated the
day it is written. The one the office posts (公示) is a record of its own: what was shown, for which days. Posting
renders it from the archive as it stands, under a name that carries its 公示期, into 公示/已发布/ — a new name each
time, never over an earlier posting — and records it in the manifest (role ``posted``) together with an event
(``publicity_posted``: the year, the 公示期, how many units and risk points) in one transaction; a file that could
not be recorded is removed. From then on the working 公示表 prints that 公示期 unless lzdocs.toml sets one
(``publicity.publicity_period``), and the 上报 package of the year's summary takes the posted one
(documents/summary_report.py). ``verify`` holds the posted file to its recorded bytes like a letter; ``backup`` keeps
it (it is not rebuilt from the archive); the year's 归档 package takes each posting as an item
(integrity/items.py, its 保管期限 ``[archive] publicity``)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lzdocs.office import Office

POSTED_EVENT = "publicity_posted"  # events.action: {"year", "start", "end", "units", "points"}, subject the file
POSTED_ROLE = "posted"  # files.role of a posted 公示表
POSTED_DIR = "已发布"  # outbox/<year>/公示/已发布/


@dataclass
class Posting:
    """One posting of a year's 公示表, as its event records it."""

    file: str  # workspace-relative
    start: dt.date
    end: dt.date
    at: dt.datetime
    units: int
    points: int
    sha256: str = ""

    def as_dict(self) -> dict:
        return {"file": self.file, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "posted_at": self.at.isoformat(sep=" ", timespec="seconds"), "units": self.units,
                "points": self.points}


@dataclass
class Posted:
    """What ``lzdocs publicity`` did: the posted file, its 公示期 and counts; the working 公示表 rewritten with it."""

    year: int
    file: Path
    start: dt.date
    end: dt.date
    units: int
    points: int
    registers: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self, relative: Callable[[Path], str]) -> dict:
        return {"year": self.year, "file": relative(self.file), "start": self.start.isoformat(),
                "end": self.end.isoformat(), "units": self.units, "points": self.points,
                "registers": [relative(p) for p in self.registers], "warnings": self.warnings}


def postings(conn: Connection, year: int) -> list[Posting]:
    """The postings of ``year``'s 公示表, oldest first."""
    from lzdocs.store import sql

    found = []
    for event in sql.rows(conn, 'SELECT at, subject, "after" FROM events WHERE action = :action ORDER BY id',
                          {"action": POSTED_EVENT}):
        after = json.loads(event["after"] or "{}")
        if after.get("year") != year:
            continue
        at = event["at"] if isinstance(event["at"], dt.datetime) else dt.datetime.fromisoformat(str(event["at"]))
        found.append(Posting(event["subject"], dt.date.fromisoformat(after["start"]),
                             dt.date.fromisoformat(after["end"]), at, after.get("units", 0), after.get("points", 0),
                             after.get("sha256", "")))
    return found


def posted_period(conn: Connection, year: int) -> tuple[dt.date, dt.date] | None:
    """The 公示期 ``year``'s 公示表 was last posted with; None when it has not been posted."""
    found = postings(conn, year)
    return (found[-1].start, found[-1].end) if found else None


def post_publicity(office: Office, year: int, *, start: dt.date | None = None, days: int | None = None) -> Posted:
    """Post ``year``'s 公示表 (module docstring): its 公示期 ``start`` for ``days`` days, each defaulting to
    lzdocs.toml's ``[publicity]`` (then today, and 7 days). Raises ConfigError when the year has no risk point to
    show, YearClosed when it is closed."""
    from lzdocs.documents.publicity import (
        TEMPLATE_NAME,
        PublicityTable,
        period_text,
        publicity_context,
        publicity_period,
    )
    from lzdocs.documents.registers import PUBLICITY_DIR, publicity_rows
    from lzdocs.documents.status import status_from
    from lzdocs.errors import ConfigError
    from lzdocs.fsutil import place_new
    from lzdocs.integrity.manifest import written_entries
    from lzdocs.store import files
    from lzdocs.store.years import require_open

    ws, store, today = office.ws, office.store, office.today
    first, last = publicity_period(ws.settings, today, start=start, days=days)
    context = publicity_context(ws, year, today, period=(first, last))
    stem = f"{year}年廉政风险点公示表（公示期{period_text(first, last)}）"
    units: set[str] = set()
    points = 0

    def counted(rows: Iterable[dict]) -> Iterator[dict]:
        nonlocal points
        for row in rows:
            units.add(row["unit"])
            points += 1
            yield row

    with store.read() as conn:  # one read of the archive: the rows shown are the ones counted
        require_open(conn, year)
        roster = ws.roster()
        order = status_from(conn, roster.names, year, today, ws.settings.deadline(year),
                            current=roster.current).recorded_order()
        with PublicityTable(ws.template(TEMPLATE_NAME), f"{stem}.docx", context,
                            cache_dir=ws.prepared_templates) as table:
            warnings: list[str] = []

            def write(partial: Path) -> None:
                rows = publicity_rows(conn, year, order)
                first = next(rows, None)
                if first is None:
                    raise ConfigError(f"{year} 年还没有收取任何单位的表格，没有可以公示的风险点",
                                      hint="请先收取各单位的《岗位风险分析和防控措施表》（lzdocs ingest）")
                warnings.extend(table.save(partial, counted(itertools.chain([first], rows))))

            path = place_new(ws.year_dir(year) / PUBLICITY_DIR / POSTED_DIR, stem, ".docx", write)
    committed = False
    try:
        entries = written_entries(store, ws.relative, [(path, POSTED_ROLE)])
        with store.begin(year=year) as conn:
            files.record_many(conn, entries)
            store.log(conn, POSTED_EVENT, ws.relative(path), after={
                "year": year, "start": first.isoformat(), "end": last.isoformat(), "units": len(units),
                "points": points, "sha256": entries[0]["sha256"]})
            committed = True
    except BaseException:
        if not committed:  # a posting nothing records: verify would call it foreign, the 上报 package miss it
            path.unlink(missing_ok=True)
        raise
    posted = Posted(year, path, first, last, len(units), points, warnings=warnings)
    rebuilt = office.rebuild_registers([year], books=("publicity",))  # the working one: the same 公示期 from now on
    posted.registers, posted.warnings = rebuilt.files, [*warnings, *rebuilt.warnings]
    return posted

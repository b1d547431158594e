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

import contextlib
import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
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
        found.append(Posting(event["subject"], dt.date.fromisoformat(after["start"]),
                             dt.date.fromisoformat(after["end"]), event["at"], after.get("units", 0),
                             after.get("points", 0), after.get("sha256", "")))
    return found


def posted_period(conn: Connection, year: int) -> tuple[dt.date, dt.date] | None:
    """The 公示期 ``year``'s 公示表 was last posted with; None when it has not been posted."""
    found = postings(conn, year)
    return (found[-1].start, found[-1].end) if found else None


def post_publicity(office: Office, year: int, *, start: dt.date | None = None, days: int | None = None) -> Posted:
    """Post ``year``'s 公示表 (module docstring): its 公示期 ``start`` for ``days`` days, each defaulting to
    lzdocs.toml's ``[publicity]`` (then today, and 7 days). Raises ConfigError when the year has no risk point to
    show or the 公示期 lies outside the year and the next, YearClosed when the year is closed.

    Written whole under a hidden name first; moved onto its name only inside the transaction that records it, once
    the archive's write lock is held — a posting killed while it waits for that lock (an ingest committing) leaves
    only its hidden file, swept by a later posting, never an unrecorded file under a posting's name. The name is
    one no posting was recorded under: a posted file deleted since stays missing (``verify`` says so), and the new
    one takes ``_01``."""
    from lzdocs.documents.publicity import (
        TEMPLATE_NAME,
        PublicityTable,
        period_text,
        publicity_context,
        publicity_period,
    )
    from lzdocs.documents.registers import PUBLICITY_DIR, publicity_rows
    from lzdocs.documents.status import roster_status
    from lzdocs.errors import ConfigError
    from lzdocs.fsutil import hidden_file, keep_inside
    from lzdocs.integrity.manifest import hashed
    from lzdocs.store.years import require_open

    ws, store, today = office.ws, office.store, office.today
    first, last = publicity_period(ws.settings, today, start=start, days=days)
    if first.year not in (year, year + 1):  # a slip, or last year's [publicity] start left in lzdocs.toml
        raise ConfigError(f"公示期 {period_text(first, last)} 不在 {year} 年度的公示时间内"
                          f"（应在 {year} 年或 {year + 1} 年）",
                          hint="请用 --start 写明这次公示的第一天，或改正 lzdocs.toml 中 [publicity] 的 start"
                               if start is None else "请检查 --start 的日期和 --year 的年度")
    context = publicity_context(ws, year, today, period=(first, last))
    stem = f"{year}年廉政风险点公示表（公示期{period_text(first, last)}）"
    folder = ws.year_dir(year) / PUBLICITY_DIR / POSTED_DIR
    keep_inside(ws.root, folder)  # a link out of the workspace on the way: refused, as for the registers
    units: set[str] = set()
    points = 0

    def counted(rows: Iterable[dict]) -> Iterator[dict]:
        nonlocal points
        for row in rows:
            units.add(row["unit"])
            points += 1
            yield row

    with contextlib.ExitStack() as hidden:
        with store.read() as conn:  # one read of the archive: the rows shown are the ones counted
            require_open(conn, year)
            order = roster_status(conn, ws.roster(), year, today, ws.settings.deadline(year)).recorded_order()
            rows = publicity_rows(conn, year, order)
            head = next(rows, None)
            if head is None:  # (before its folder is made)
                raise ConfigError(f"{year} 年还没有收取任何单位的表格，没有可以公示的风险点",
                                  hint="请先收取各单位的《岗位风险分析和防控措施表》（lzdocs ingest）")
            partial = hidden.enter_context(hidden_file(folder, ".docx"))  # until it is recorded under its name
            with PublicityTable(ws.template(TEMPLATE_NAME), f"{stem}.docx", context,
                                cache_dir=ws.prepared_templates) as table:
                warnings = table.save(partial, counted(itertools.chain([head], rows)))
        path = _record(office, year, folder, stem, partial, hashed(partial), after={
            "year": year, "start": first.isoformat(), "end": last.isoformat(), "units": len(units), "points": points})
    posted = Posted(year, path, first, last, len(units), points, warnings=warnings)
    rebuilt = office.rebuild_registers([year], books=("publicity",))  # the working one: the same 公示期 from now on
    posted.registers, posted.warnings = rebuilt.files, [*warnings, *rebuilt.warnings]
    try:  # what the working one prints now (a setting at odds with today is said by its rewrite, above)
        working = publicity_period(ws.settings, today, (first, last))
    except ConfigError:
        working = None
    if working is not None and working != (first, last):
        posted.warnings.append("lzdocs.toml 的 [publicity] 写明了公示期（start 或 end），随收表更新的公示表仍按它印"
                               f"公示期，不是这次发布的 {period_text(first, last)}；以这次发布为准的，请把 start、end "
                               "改为空（\"\"）")
    return posted


def _record(office: Office, year: int, folder: Path, stem: str, partial: Path, digest: tuple[str, int], *,
            after: dict) -> Path:
    """``partial`` moved onto the first name of ``stem`` no file and no posting has, and recorded with its event —
    the move and the record under the archive's write lock, Ctrl-C waiting for them; the 公示表 marked behind
    (store/pending.py) until rewritten with its 公示期. The file is taken away again unless the commit was sent."""
    from lzdocs import interrupts
    from lzdocs.fsutil import move_without_replacing
    from lzdocs.store import files, pending

    ws, store = office.ws, office.store
    path: Path | None = None
    committing = False
    try:
        with store.begin(year=year) as conn:
            # a posting's name, its file deleted or moved since, is passed over: never a second record there
            taken = {PurePosixPath(row["path"]).name for row in files.all_files(conn, prefix=ws.relative(folder) + "/")}
            with interrupts.deferred():
                path = move_without_replacing(partial, folder, stem, ".docx", taken=taken)
                sha, size = digest
                files.record(conn, ws.relative(path), sha, size, POSTED_ROLE, store.now())
                store.log(conn, POSTED_EVENT, ws.relative(path), after={**after, "sha256": sha})
                pending.mark(conn, year, ("publicity",))
            committing = True
    except BaseException:
        if path is not None and not committing:  # a posting nothing records: verify would call it foreign
            path.unlink(missing_ok=True)
        raise
    return path

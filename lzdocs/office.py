"""``Office``: lzdocs as a library — one workspace, one object, a method for everything the command line does.

    from lzdocs import Office

    with Office("D:/廉政风险防控") as office:
        report = office.ingest()
        for risk in office.risks(year=2026):
            print(risk["unit"], risk["risk"])
        letter = office.letter("suggestion", "计财处", {"事由": "…", "问题": ["…"], "建议": ["…"]})

The office owns the archive connection and the follow-up work of each action (registers rebuilt once for the
years an action touched, PDF copies); it never prints. Problems a user must fix are ``LzdocsError``s with a
Chinese message; things worth knowing are the ``warnings`` of each result, and go to the ``lzdocs`` logger.
Heavy libraries (SQLAlchemy, lxml, python-docx, openpyxl) load on first use, so ``lzdocs --help`` stays quick.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lzdocs import interrupts
from lzdocs.clock import Clock
from lzdocs.errors import ConfigError, FieldError, LzdocsError, StoreError, describe_os_error
from lzdocs.workspace import Roster, Workspace

if TYPE_CHECKING:  # imported for annotations only: the modules load when a method first needs them
    from lzdocs.documents.letters import BatchRow, IssuedLetter, LetterKind, LetterOffice, Talk
    from lzdocs.documents.notice import IssuedNotice
    from lzdocs.documents.publicity_post import Posted, Posting
    from lzdocs.documents.registers import RegisterResult
    from lzdocs.documents.status import SubmissionStatus
    from lzdocs.documents.summary_final import FinalResult
    from lzdocs.documents.summary_report import SummaryResult
    from lzdocs.documents.templating import TemplateReport
    from lzdocs.dynamics.changes import UnitChanges
    from lzdocs.dynamics.quality import QualityFlag
    from lzdocs.dynamics.reviews import ReviewDue
    from lzdocs.dynamics.steps import Deadlines
    from lzdocs.forms.ahead import Helper
    from lzdocs.ingest import Outcome
    from lzdocs.integrity.backup import BackupResult, Restored
    from lzdocs.integrity.findings import Report
    from lzdocs.integrity.package import PackageResult
    from lzdocs.store import Store

log = logging.getLogger("lzdocs.office")

Progress = Callable[[int, int, str], None]
REGISTERS_SKIPPED = "登记簿没有更新（已中断）；下次发文、收表或运行 lzdocs register 时会更新"


@dataclass
class FollowUp:
    """Whether a second Ctrl-C cut the follow-up short (``after_saved``)."""

    cut: bool = False


@contextmanager
def after_saved(warnings: list[str], skipped: str, done: str) -> Iterator[FollowUp]:
    """The follow-up of work already saved (the registers an action updates, a letter's PDF), which the command
    line reports before it ends, whenever Ctrl-C comes (``interrupts.reporting``: ``done`` says what was saved).
    Ctrl-C lets the step finish, or (pressed twice, or in a wait on something else) stops it: ``skipped`` goes to
    ``warnings`` and the log (a 提醒). Used as a library, Ctrl-C goes on up as Python's. Either way what was
    skipped is not lost: registers stay marked for the next rebuild (store/pending.py)."""
    interrupts.reporting(done)
    state = FollowUp()
    try:
        yield state
    except KeyboardInterrupt:
        if not interrupts.pressed():  # no command line, or the Ctrl-C came before the work was saved
            raise
        state.cut = True
        warnings.append(skipped)
        log.warning("%s", skipped)


@dataclass
class Rebuilt:
    """Registers written after an action: the files (workspace paths) and what the writer had to say."""

    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)

    def extend(self, other: Rebuilt) -> None:
        """Add what a second rebuild wrote and said."""
        self.files += other.files
        self.warnings += other.warnings
        self.years = sorted({*self.years, *other.years})


@dataclass
class IngestReport:
    outcomes: list[Outcome]
    registers: Rebuilt
    years: set[int] = field(default_factory=set)  # the years whose forms changed
    # The database server went away part-way: the outcomes before it are saved, the other files are where they
    # were (a take cut off is finished by the next run), and the registers were not rebuilt.
    stopped: LzdocsError | None = None
    interrupted: int | None = None  # Ctrl-C stopped the run: how many files it left (the outcomes are the others)

    @property
    def rejected(self) -> list[Outcome]:
        """Files returned (退回) or that could not be taken (``failed``, left where they were)."""
        return [o for o in self.outcomes if o.status in ("rejected", "failed")]


class IngestInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped ``Office.ingest`` in a script (the command line reports and ends instead): the files taken
    before it are saved and registered, and ``report`` says what became of each; the others are where they were."""

    def __init__(self, report: IngestReport, done: str):
        super().__init__(done)
        self.report = report


def _ingest_cut(files: int, left: int, *, dry_run: bool, inbox: bool) -> str:
    """What an ingest run stopped by Ctrl-C did (``files`` taken, or looked at in a dry run) and what it left
    (``interrupts.reporting``)."""
    if dry_run:
        return f"试运行检查了 {files} 个文件，其余 {left} 个没有检查；没有做任何改动"
    where = ("其余 {} 个留在收件文件夹，再次运行 lzdocs ingest 会接着处理" if inbox else
             "其余 {} 个没有处理（原文件都没有动），再次运行同样的命令即可；已收取的会报“重复”，不会收两次")
    return f"已处理的 {files} 个文件都已保存，" + where.format(left)


@dataclass
class LetterBatch:
    """Letters issued from rows (``--batch``, ``urge``): each row's outcome; a bad row does not stop the rest."""

    kind: LetterKind
    rows: list[BatchRow]
    registers: Rebuilt
    ignored_columns: list[str] = field(default_factory=list)
    year: int | None = None  # urge: the reporting year
    units: list[str] = field(default_factory=list)  # urge: the units with no accepted form of it (urged, or not yet)
    already: dict[str, str] = field(default_factory=dict)  # urge: of those, the units sent the same letter that day
    # (文号), not sent another

    @property
    def failed(self) -> list[BatchRow]:
        """Rows refused (a bad field, an unknown unit) or not sent because the database server went away."""
        return [r for r in self.rows if not (r.issued or r.already or r.interrupted)]

    @property
    def sent(self) -> list[BatchRow]:
        """Rows whose letter this run issued."""
        return [r for r in self.rows if r.issued]

    @property
    def skipped(self) -> list[BatchRow]:
        """Rows whose letter was sent already, by an earlier run of the same file (``BatchRow.already``)."""
        return [r for r in self.rows if r.already]

    @property
    def interrupted(self) -> list[BatchRow]:
        """Rows not tried: Ctrl-C stopped the batch before them (the letters before are issued and registered)."""
        return [r for r in self.rows if r.interrupted]

    @property
    def stopped(self) -> bool:
        """The database server went away part-way: the letters before are issued, the rows from there on are not
        (``unavailable``), and the registers were not rewritten (the next letter or ``lzdocs register`` does)."""
        return any(r.unavailable for r in self.rows)


@dataclass
class StatusReport:
    """What ``lzdocs status`` shows: the year's submissions and overdue letters, the watchers running (the longest
    running first), and the 复核 counts."""

    status: SubmissionStatus
    watchers: list[dict]
    reviews: dict
    postings: list[Posting] = field(default_factory=list)  # the year's 公示表 posted, oldest first

    @property
    def watcher(self) -> dict | None:
        return self.watchers[0] if self.watchers else None


class Office:
    """A workspace and its archive. ``today`` pins the date (default: the system clock, or ``LZDOCS_TODAY``)."""

    def __init__(self, workspace: str | Path | Workspace | None = None, *, today: dt.date | None = None,
                 clock: Clock | None = None):
        self.clock = _clock(today, clock)
        self.ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
        self._store: Store | None = None
        self._letters: LetterOffice | None = None

    # --- the archive connection ------------------------------------------------------------------------
    @property
    def today(self) -> dt.date:
        return self.clock.today()

    @property
    def store(self) -> Store:
        """The archive database, opened on first use and kept until ``close()``."""
        if self._store is None:
            from lzdocs.store import Store

            self._store = Store.for_workspace(self.ws, now=self.clock.now)
            self._remember_school(self._store)
        return self._store

    def _remember_school(self, store: Store) -> None:
        """On a database server several schools may keep their archives (a schema each): each records its name,
        so that a roll-up (``--all-schools``) can say whose archive is whose."""
        if store.dialect != "postgresql" or not self.ws.school:
            return
        from lzdocs.store import schools

        mine = self._school_record()
        with store.read() as conn:
            if schools.recorded_school(conn) == mine:
                return
        with store.begin() as conn:
            schools.record_school(conn, mine)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        self._letters = None

    def __enter__(self) -> Office:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the database itself -------------------------------------------------------------------------------
    def upgrade_database(self) -> tuple[int, int]:
        """``lzdocs db upgrade``: the archive brought to this program's schema; (version before, after)."""
        from lzdocs.store import Store, kept

        kept.before_opening(self.ws)  # a lost archive is not made anew by upgrading, another not upgraded
        # opened without bringing the schema up to date (which refuses an old server archive): upgrade does that
        store = Store.unchecked(self.ws.db_url, now=self.clock.now, workspace=self.ws)
        try:
            found = kept.opening(self.ws, store)
            done = store.upgrade()
            kept.opened(self.ws, store, found)
            return done
        finally:
            store.close()

    def copy_database(self, url: str, progress: Progress | None = None):
        """``lzdocs db copy --to URL``: every row of this archive into the empty database at ``url``, then counted
        and hashed on both sides (a ``CopyReport``). The watcher must not run meanwhile. A checked copy from the
        workspace's SQLite file to a server is a move (``report.moved``): the file is refused from then on, until
        the url names the server (store/kept.py)."""
        from lzdocs.store import Store, kept
        from lzdocs.store.copy import copy_archive

        if url == self.ws.db_url:
            raise ConfigError("目标数据库就是本工作区正在使用的数据库", hint="--to 写另一个数据库的地址")
        if self.watcher_state():
            raise LzdocsError("lzdocs watch 正在运行，复制期间档案库不能变化", hint="请先停止 lzdocs watch 再复制")
        target = Store(url, now=self.clock.now)
        try:
            report = copy_archive(self.store, target, progress)
            if report.ok:  # from a file to a server: the file is an old copy from now on (store/kept.py)
                try:
                    report.moved = kept.moved(self.ws, self.store, target)
                except (OSError, StoreError) as exc:  # the copy is good all the same: said, with what the record
                    # was to prevent (the archive's file unreadable meanwhile: a StoreError saying so)
                    why = describe_os_error(exc) if isinstance(exc, OSError) else exc.message.rstrip("。")
                    report.warnings.append(
                        f"工作区没能记下档案库已复制到服务器：{why}。本工作区的旧文件因此不会被拦下，"
                        "请马上把 lzdocs.toml 中 [database] url 改为新地址，改好以前不要再发文、收表"
                        "（在旧文件里编的文号，服务器上没有，会重复）")
            return report
        finally:
            target.close()

    # --- the roster --------------------------------------------------------------------------------------
    def roster(self) -> Roster:
        return self.ws.roster()

    def resolve_unit(self, text: str) -> str:
        """The roster name for a name or alias; a ConfigError naming the close roster names when there is none."""
        return self.roster().require(text)

    # --- forms in ----------------------------------------------------------------------------------------
    def ingest(self, paths: Iterable[str | Path] = (), *, dry_run: bool = False, registers: bool = True,
               progress: Progress | None = None, received: dt.date | None = None) -> IngestReport:
        """Take the inbox (or the given files and folders, copied, never moved — those waiting in the inbox taken as
        the inbox's), then rebuild the registers of the years that changed, once (``registers=False`` leaves that to
        the caller). ``received``: the day the forms came (by mail or e-mail); else each file's modification day or
        today, whichever is earlier."""
        if received is not None and received > self.today:
            raise ConfigError(f"收到日期 {received.isoformat()} 在今天（{self.today.isoformat()}）之后",
                              hint="--received 写表格实际收到的那一天")
        paths = [Path(p) for p in paths]
        early = None
        if not paths and not dry_run:  # the inbox's readers start while this process loads what it takes
            from lzdocs.forms.ahead import EarlyReaders, readers_setting

            early = EarlyReaders.for_inbox(self.ws.inbox, readers_setting(self.ws.settings))
        stop = True  # unless the registers are written as they should: a Ctrl-C does not wait for the helper
        job = None
        try:
            from lzdocs.ingest import Ingest
            from lzdocs.ingest.pipeline import ALL_TAKEN

            job = Ingest(self.ws, self.store, today=self.today, now=self.clock.now, progress=progress,
                         received=received, present=self.clock.present)
            job.early = early
            job.keep_helper = registers and not dry_run  # a reader of the run, idle while the registers are rewritten
            outcomes = job.run_paths(paths, dry_run=dry_run) if paths else job.run_inbox(dry_run=dry_run)
            if job.stopped is not None:
                return IngestReport(outcomes, Rebuilt(), set(job.touched_years), stopped=job.stopped)
            done = ALL_TAKEN
            if job.interrupted is not None:  # Ctrl-C stopped the run: what it took is reported, then it ends as such
                done = _ingest_cut(job.saved, job.interrupted, dry_run=dry_run, inbox=not paths)
                interrupts.reporting(done)  # its words for the run's (that Ctrl-C counted as the first: pipeline._Step)
            rebuilt = Rebuilt()
            if registers and not dry_run:  # the forms taken are reported, whenever Ctrl-C comes; after a second,
                # the registers are left marked and the helper is not waited for
                with after_saved(rebuilt.warnings, REGISTERS_SKIPPED, done) as follow:
                    rebuilt = rebuild_changed(self.ws, self.store, job.changed_registers(), self.today,
                                              helper=job.helper)
                stop = follow.cut
            else:
                stop = False
        finally:
            if early is not None:
                early.close()
            if job is not None and job.helper is not None:
                job.helper.close(stop=stop)
        report = IngestReport(outcomes, rebuilt, set(job.touched_years), interrupted=job.interrupted)
        if job.interrupted is not None and not interrupts.pressed():  # a script's Ctrl-C: it stops, with the report
            raise IngestInterrupted(report, done)
        return report

    def risks(self, *, year: int | None = None, unit: str | None = None, level: int | None = None,
              category: str | None = None) -> list[dict[str, Any]]:
        """The current risk points (each unit's newest accepted form per year), as ``lzdocs risks --json`` prints
        them: of ``year``, ``unit``, ``level`` (1, 2, 3) and 风险类别 ``category`` when given. A unit not on the
        roster is looked up as written, with a warning naming the close roster names; a category no current point
        has, with a warning naming those they have."""
        from lzdocs.dynamics.cases import Occurred
        from lzdocs.dynamics.quality import flags_by_risk
        from lzdocs.forms.values import same_category
        from lzdocs.store import pages
        from lzdocs.store import submissions as subs

        unit = self._lookup_unit(unit)
        with self.store.read() as conn:
            occurred = Occurred(conn)
            rows = list(subs.current_risks(conn, year=year, unit=unit, level=level))
            if category:  # as the clerk would: 业务流程 is 业务流程类, spaces and full-width letters aside
                rows = [r for r in rows if same_category(r["category"], category)]
                known = [] if rows else pages.risk_categories(conn, year)  # (asked only when none was found)
                if not rows and not any(same_category(k, category) for k in known):
                    log.warning("没有风险类别为“%s”的风险点%s", category,
                                f"；现有的类别：{'、'.join(known)}" if known else "")
        try:
            flags = flags_by_risk(f for y in sorted({r["year"] for r in rows}) for f in self.quality(y, unit))
        except ConfigError as exc:  # a broken quality rules file: the points all the same, without flags
            log.warning("风险点的质量提示没有列出：%s", exc)
            flags = {}
        return [{**risk_record(r), "occurred": occurred(r) > 0, "flags": flags.get(r["id"], [])} for r in rows]

    # --- cases (后期处置) --------------------------------------------------------------------------------
    def case_add(self, unit: str, *, post: str, risk_text: str, case_type: str, handling: str, analysis: str,
                 measures: str, date: dt.date | None = None, again: bool = False,
                 risk: int | None = None) -> dict[str, Any]:
        """Record a case (违纪违规案例与事后分析): the post and risk it concerns, its type, how it was handled, the
        analysis and the measures taken; ``date`` (default today) not after today. It is linked to the unit's
        closest current risk point when their similarity reaches [cases] match_threshold (that point is then
        已发生); the 汇总表 of the years concerned is rewritten. The same case recorded already (same unit, date,
        type, post and risk text: ``dynamics.cases.same_key``) is refused, naming it, unless ``again``. ``risk``:
        the point the clerk names instead (its id as ``lzdocs unit`` shows it; a current point of the unit). Returns
        what ``lzdocs case add --json`` prints: the case, ``closest`` (the best point, even below the threshold),
        ``threshold`` and ``registers``."""
        from lzdocs.dynamics import cases

        checked = cases.checked_fields({"unit": unit, "post": post, "risk_text": risk_text, "case_type": case_type,
                                        "handling": handling, "analysis": analysis, "measures": measures})
        day = cases.checked_date(date, self.today)
        name = self.resolve_unit(checked.pop("unit"))
        threshold = self.ws.settings.integer("cases", "match_threshold", cases.DEFAULT_THRESHOLD)
        result = cases.record_case(self.store, name, checked, day, threshold, again=again, risk_id=risk)
        rebuilt = self._case_registers(cases.case_years(result))
        return {**result, "registers": [self.ws.relative(p) for p in rebuilt.files]}

    def case_void(self, case_id: int, reason: str) -> dict[str, Any]:
        """作废 a case recorded by mistake, today, with ``reason``: the row stays (``case list`` shows it 已作废) and
        it is counted nowhere after; the 汇总表 of the years concerned is rewritten. Returns what ``lzdocs case void
        --json`` prints: the case as ``case list --json`` has it, and ``registers``."""
        from lzdocs.dynamics import cases

        result = cases.void_case(self.store, case_id, reason, self.today)
        rebuilt = self._case_registers(cases.case_years(result))
        return {**result, "registers": [self.ws.relative(p) for p in rebuilt.files]}

    def _case_registers(self, years: set[int]) -> Rebuilt:
        """The 汇总表 of the years a case counts in, which its transaction marked behind (lzdocs/dynamics/cases.py);
        a year handed over keeps its 归档 package's, as after a form."""
        return rebuild_changed(self.ws, self.store, dict.fromkeys(years, ("risks",)), self.today)

    def cases(self, *, year: int | None = None, unit: str | None = None) -> list[dict[str, Any]]:
        """The cases on record (by date), for 警示教育, as ``lzdocs case list --json`` prints them — the voided
        ones too, with their status."""
        from lzdocs.dynamics.cases import case_record
        from lzdocs.store import cases as cases_q

        name = self.resolve_unit(unit) if unit else None
        with self.store.read() as conn:
            return [case_record(r) for r in cases_q.list_cases(conn, year=year, unit=name, include_void=True)]

    def _lookup_unit(self, unit: str | None) -> str | None:
        """A unit to look up: its roster name, else as written, with a warning naming the close roster names."""
        if not unit:
            return None
        roster = self.roster()
        resolved = roster.resolve(unit)
        if roster and resolved is None:
            log.warning("%s；按所写名称查找", roster.not_found(unit))
        return resolved or unit

    def changes(self, year: int | None = None, unit: str | None = None) -> list[UnitChanges]:
        """Each unit's risk points of ``year`` (default: ``programme_year()``) against its previous accepted form:
        new, removed, changed in level or in measures (rules: lzdocs/dynamics/changes.py). Units with no earlier
        form are not listed. ``as_dict()`` of each is what ``lzdocs changes --json`` prints."""
        from lzdocs.dynamics.changes import threshold_of, year_changes

        unit, roster = self._lookup_unit(unit), self.roster()
        with self.store.read() as conn:  # a renamed unit's forms are one unit's under its current name (roster.current)
            return year_changes(conn, year or self.programme_year(), threshold_of(self.ws.settings),
                                unit=roster.recorded_names(unit) if unit else None, unit_order=roster.names,
                                current=roster.current)

    def quality(self, year: int | None = None, unit: str | None = None) -> list[QualityFlag]:
        """The quality flags of the current forms of ``year`` (default: ``programme_year()``): generic measures,
        copied texts, a form the same as last year's, likely omissions, missing owners (rules:
        lzdocs/dynamics/quality.py). ``as_dict()`` of each is what ``lzdocs quality --json`` prints."""
        from lzdocs.dynamics.quality import Rules, year_flags

        unit, roster = self._lookup_unit(unit), self.roster()
        rules = Rules.load(self.ws)
        with self.store.read() as conn:
            return year_flags(conn, year or self.programme_year(), rules,
                              unit=roster.recorded_names(unit) if unit else None, unit_order=roster.names,
                              current=roster.current)

    # --- registers and status ----------------------------------------------------------------------------
    def programme_year(self) -> int:
        """The year commands work on by default: this calendar year once one of its forms has come or its deadline
        has passed, before that the newest year with an accepted form (in January: the year just ended)."""
        from lzdocs.documents.status import programme_year

        return programme_year(self.store, self.today, self.ws.settings.deadline)

    def registers(self, year: int | None = None) -> RegisterResult:
        """Rewrite every register and the 公示表 of ``year`` (default: ``programme_year()``) from the archive. A year
        closed by its 归档 package is written as of the day it was closed, as a restore writes it
        (``_rebuild_as_kept``): no 逾期 days counted on since, no case or returned form of later."""
        from filelock import Timeout

        from lzdocs.documents.registers import WRITER_WAIT, hold_writer, write_registers
        from lzdocs.store.years import closed_on

        if year is None:
            year = self.programme_year()
        elif year not in (self.today.year, self.today.year + 1):  # a year named: the programme's, or one recorded
            self._check_recorded(year)
        with self.store.read() as conn:
            closed = closed_on(conn, year)
        day = closed or self.today
        self._place_documents(year)
        try:
            with hold_writer(self.ws):
                result = write_registers(self.ws, self.store, year, day)
                if closed:
                    result.warnings.insert(0, f"{year} 年度已于 {day:%Y-%m-%d} 归档：登记簿按归档当日重建"
                                              "（此后登记的案例、退回的表格和逾期天数不计入）")
                return result
        except Timeout:
            raise LzdocsError(f"另一个程序一直在更新登记簿（已等了 {WRITER_WAIT // 60} 分钟），{year} 年登记簿没有更新",
                              hint="稍后再运行 lzdocs register") from None

    def publicity(self, year: int | None = None, *, start: dt.date | None = None, days: int | None = None) -> Posted:
        """Post the 公示表 of ``year`` (default: ``programme_year()``): rendered from the archive as it stands, kept
        in outbox/<year>/公示/已发布/ under a name carrying its 公示期 (``start`` for ``days`` days; default
        lzdocs.toml's [publicity], then today and 7 days), never rewritten, and recorded; the working 公示表 then
        prints that 公示期 (documents/publicity_post.py)."""
        from lzdocs.documents.publicity_post import post_publicity

        if year is None:
            year = self.programme_year()
        else:
            self._check_recorded(year, "公示表")
        return post_publicity(self, year, start=start, days=days)

    def postings(self, year: int | None = None) -> list[Posting]:
        """The postings of ``year``'s 公示表 (default: ``programme_year()``), oldest first."""
        from lzdocs.documents.publicity_post import postings

        with self.store.read() as conn:
            return postings(conn, year or self.programme_year())

    def _place_documents(self, year: int) -> list[Path]:
        """The letters and notices of ``year`` recorded but still under their hidden names (their run killed after
        the commit) put in place — into 作废/ if voided meanwhile —, as the next document of their kind would
        (``finish_leftovers``): what ``verify`` says of them is then done by ``register`` too, which sends nothing."""
        from lzdocs.documents.kinds import KINDS, NOTICE_KINDS
        from lzdocs.documents.numbering import finish_leftovers

        folder = self.ws.year_dir(year)
        return [placed for name in sorted({k.name for k in KINDS.values()} | set(NOTICE_KINDS))
                for placed in finish_leftovers(self.store, folder / name, self.ws.root)]

    def _check_recorded(self, year: int, made: str = "登记簿") -> None:
        """A ConfigError unless ``year`` is the programme year, the one after it, or a year the archive has a form, a
        letter or a case of (a slip — 2030 for 2026 — would otherwise leave a folder of empty registers, or a 总结 of
        13 未报送 that an ``archive`` of that hollow year would then take). ``made``: what was not written."""
        current = self.programme_year()
        if year in (current, current + 1):
            return
        from lzdocs.store.archived import recorded_years

        with self.store.read() as conn:
            known = recorded_years(conn)
        if year not in known:
            have = "、".join(map(str, known[-5:])) or "还没有"
            raise ConfigError(f"档案库中没有 {year} 年的表格、文书或案例，没有为它生成{made}",
                              hint=f"请检查年份（有记录的年度：{have}；本年度 {current}）")

    def schools(self, year: int | None = None) -> list:
        """Every school whose archive is in this database (on PostgreSQL a schema each; on SQLite this one) with its
        current risk points of ``year`` per unit and level (``SchoolCounts``)."""
        from lzdocs.store.schools import school_counts

        with self.store.read() as conn:
            found = school_counts(conn, year or self.programme_year())
        for counts in found:
            if counts.schema is None:  # SQLite: one school, named by its own workspace
                mine = self._school_record()
                counts.school, counts.short, counts.codes = mine["school"], mine["short"], mine["codes"]
        return found

    def _school_record(self) -> dict:
        """This workspace's school as a roll-up names it: 全称, 简称 and the 机关代字 of [numbering]."""
        codes = self.ws.settings.raw.get("numbering", {})
        return {"school": self.ws.school, "short": self.ws.settings.text("organisation", "short"),
                "codes": {str(k): str(v) for k, v in codes.items()} if isinstance(codes, dict) else {}}

    def schools_register(self, year: int | None = None) -> tuple[Path, list]:
        """The 各校廉政风险点汇总表 of ``year`` (the 高校工委's roll-up: schools × units × levels); (path, schools)."""
        from lzdocs.documents.schools_register import write_schools_register

        year = year or self.programme_year()
        found = self.schools(year)
        return write_schools_register(self.ws, self.store, found, year, self.today), found

    def rebuild_registers(self, years: Iterable[int], *, books: Iterable[str] | None = None) -> Rebuilt:
        """The registers of each year rewritten once after an action (``books``: only those, e.g. a letter's)."""
        return rebuild_registers(self.ws, self.store, years, self.today, books=books)

    def _rebuild_as_kept(self, years: Iterable[int]) -> Rebuilt:
        """The registers of ``years`` written anew (a restore): an open year's dated today, a closed year's dated its
        closing day, as its 归档 package has them — once closed, nothing dates them later (docs/product.md §12.3)."""
        from lzdocs.store.years import closed_on

        with self.store.read() as conn:
            closed = {y: day for y in years if (day := closed_on(conn, y)) is not None}
        done = rebuild_registers(self.ws, self.store, [y for y in years if y not in closed], self.today)
        for year, day in sorted(closed.items()):
            done.extend(rebuild_registers(self.ws, self.store, [year], day))
        return done

    def _letter_registers(self, years: Iterable[int], done: str) -> Rebuilt:
        """发文登记簿 and 预警处置台账 only: all that a letter, a reply or a notice changes; ``done``: what was saved
        before them, said if a Ctrl-C stops them (``after_saved``)."""
        from lzdocs.documents.registers import LETTER_BOOKS

        rebuilt = Rebuilt()
        with after_saved(rebuilt.warnings, REGISTERS_SKIPPED, done):
            rebuilt = self.rebuild_registers(years, books=LETTER_BOOKS)
        return rebuilt

    def status(self, year: int | None = None) -> SubmissionStatus:
        """Who submitted on time, late or not at all, the level counts, and the letters overdue."""
        from lzdocs.documents.status import submission_status

        return submission_status(self.ws, self.store, year or self.programme_year(), self.today)

    def status_report(self, year: int | None = None) -> StatusReport:
        """``status(year)``, the watchers and the review counts together, as ``lzdocs status`` shows them."""
        status = self.status(year)
        return StatusReport(status, self.watchers(), self.review_counts(), self.postings(status.year))

    def watcher_state(self) -> dict | None:
        """``{"running": True, "pid", "since", "mode", "inbox", "host"}`` of the longest running ``lzdocs watch`` on
        this workspace while one runs, else None; every one of them (one per inbox) is in ``watchers()``."""
        running = self.watchers()
        return running[0] if running else None

    def watchers(self) -> list[dict]:
        """Every ``lzdocs watch`` running on this workspace (one per inbox), each as ``watcher_state()`` gives it."""
        from lzdocs.watch import watchers

        return [{"running": True, **state} for state in watchers(self.ws)]

    def watch(self, *, mode: str | None = None, interval: float | None = None, stable: float | None = None,
              console: bool = True, started: Callable[[Callable[[], None]], None] | None = None) -> None:
        """``lzdocs watch``: take each form as it arrives in the inbox, as ``ingest()`` does, until Ctrl-C or
        SIGTERM, or until the function handed to ``started`` is called (from any thread; the signals are caught
        only when this runs on the main thread). The registers a burst changed are rebuilt once it has been quiet,
        dated by this office's clock at that moment; on each new day, the programme year's are brought to it.
        ``mode`` (``"native"``/``"polling"``), ``interval`` and ``stable`` (seconds) override lzdocs.toml [watch].
        One watcher per inbox (``AlreadyWatching`` otherwise); the log goes to .lzdocs/watch.log and, with
        ``console``, to stderr."""
        from lzdocs.watch.runtime import install_stop_signals

        # The signals are the watcher's from the start: one that comes while it is set up (its modules, the lock, the
        # log) stops it as soon as it runs — it then says it has stopped, and ends as a stopped watcher does.
        early = threading.Event()
        made: list = []  # the watcher, once made
        restore_signals = install_stop_signals(lambda: made[0].stop() if made else early.set())
        try:
            self._watch(mode, interval, stable, console, started, made, early)
        except KeyboardInterrupt:  # where no handler could be installed: run() has already shut down cleanly
            pass
        finally:
            restore_signals()

    def _watch(self, mode: str | None, interval: float | None, stable: float | None, console: bool,
               started: Callable[[Callable[[], None]], None] | None, made: list, early: threading.Event) -> None:
        """``watch`` once its signals are in place: the watcher made (into ``made``), stopped at once if ``early``
        was set meanwhile, then run."""
        from lzdocs.store import Store
        from lzdocs.watch import IngestWorker, Watcher, WatchLock, resolve_options, setup_logging

        ws = self.ws
        options = resolve_options(ws.settings, ws.inbox, mode=mode, interval=interval, stable=stable)
        with WatchLock(ws, mode=options.mode, now=self.clock.now):
            remove_logging = setup_logging(ws, console=console)
            try:
                worker = IngestWorker(ws, lambda: Store.for_workspace(ws, now=self.clock.now), quiet=options.quiet,
                                      dates=self.clock,
                                      on_burst_end=lambda store, changes: rebuild_changed(ws, store, changes,
                                                                                          self.today).files,
                                      on_new_day=lambda store, day: registers_of_the_day(ws, store, day).files)
                watcher = Watcher(ws.inbox, options, worker)
                made.append(watcher)
                if early.is_set():  # asked to stop while it was set up (or just now: stop() twice is harmless)
                    watcher.stop()
                if started is not None:
                    started(watcher.stop)
                watcher.run()
            finally:
                remove_logging()

    # --- letters -----------------------------------------------------------------------------------------
    @property
    def letters(self) -> LetterOffice:
        """The letter writer of this workspace (templates loaded and compiled once per office)."""
        if self._letters is None:
            from lzdocs.documents.letters import LetterOffice

            self._letters = LetterOffice(self.ws, self.store)
        return self._letters

    def letter(self, kind: str | LetterKind, unit: str, values: dict | None = None, *, date: dt.date | None = None,
               pdf: bool = False, to: str | None = None, receipt: bool = False, draft: bool = False,
               number: str | None = None, risks: Iterable[str | int] = ()) -> IssuedLetter:
        """Issue one letter with the next 文号 (registered in 发文登记簿 and 预警处置台账); ``values`` are its fields
        (a list for 问题/建议 …); ``to`` addresses it to a person of ``unit``; ``receipt`` adds a 送达回证 page.
        Register problems and a PDF that could not be made are in ``warnings``.
        ``draft``: a preview marked 草稿 in outbox/<year>/草稿/, no number, no row; ``number``: a
        文号 assigned elsewhere, used instead of the next one. ``risks``: the risk points the warning concerns (ids
        or words of the risk text), checked before the number is taken and linked to it."""
        from lzdocs.documents.letters import find_kind

        letter_kind = find_kind(kind) if isinstance(kind, str) else kind
        self.ws.require_organisation(letter_kind.key)
        prepared = self.letters.prepare(letter_kind, unit, dict(values or {}), date or self.today, to=to,
                                        receipt=receipt)
        assigned = self._assigned(number, draft, prepared.code, prepared.date.year)
        risk_ids = self._risk_ids(prepared.unit, risks)
        issued = self.letters.issue(prepared, draft=draft, number=assigned)
        issued.warnings += self._dates_said(issued, prepared.date, draft)
        if risk_ids and not draft:
            from lzdocs.dynamics.warnings import link_warning

            link_warning(self.store, str(issued.number), risk_ids)
        done = f"{letter_kind.name}草稿已写好" if draft else f"{issued.number}（{letter_kind.name}）已发出"
        if pdf:
            issued.warnings += self._pdfs([issued], done)
        issued.registers = Rebuilt() if draft else self._letter_registers([issued.number.year], done)
        return issued

    def letter_batch(self, kind: str | LetterKind, rows: Path | list[tuple[int, dict]], *,
                     values: dict | None = None, date: dt.date | None = None, pdf: bool = False,
                     progress: Progress | None = None, receipt: bool = False, draft: bool = False,
                     number: str | None = None, again: bool = False) -> LetterBatch:
        """One letter per row of a .xlsx/.csv file (or of ``(row number, fields)`` pairs); ``values`` apply to all.

        A row whose letter is in force already — the same kind, unit, person and fields, sent by an earlier run of
        the file (stopped by Ctrl-C, or run twice), on any day — is not sent again unless ``again``: its row has
        ``already``, the 文号 sent."""
        from lzdocs.documents import letters as L
        from lzdocs.store.letters import SentRows

        letter_kind = L.find_kind(kind) if isinstance(kind, str) else kind
        self.ws.require_organisation(letter_kind.key)
        ignored: list[str] = []
        if isinstance(rows, (str, Path)):
            header, rows = L.read_batch(Path(rows))
            ignored = L.unknown_columns(letter_kind, header, self.letters.template(letter_kind).variables)

        sent_rows = SentRows(letter_kind.key)

        def guard(conn, unit: str, content: str) -> None:
            if sent := sent_rows.number(conn, unit, content):
                raise L.AlreadySent(unit, sent)

        return self._issue_rows(letter_kind, rows, values or {}, date or self.today, pdf, progress, ignored,
                                receipt=receipt, draft=draft, number=number, guard=None if again else guard)

    def urge_year(self, *, reminder: bool = False, date: dt.date | None = None) -> int:
        """The year ``urge`` works on by default: ``programme_year()`` (in January, the year just ended, whose late
        units are still chased); a reminder's, the year of its ``date``, whose deadline is ahead."""
        return (date or self.today).year if reminder else self.programme_year()

    def units_to_urge(self, year: int | None = None) -> list[str]:
        """Roster units expected in ``year`` (default: ``programme_year()``; units.csv's 起始年度/终止年度) with no
        accepted form for it, in roster order."""
        from lzdocs.documents.letters import units_to_urge

        if not self.roster():
            raise ConfigError("单位名单为空，不知道该催哪些单位", hint="请先在 units.csv 中填写单位名单")
        return units_to_urge(self.ws, self.store, year or self.programme_year())

    def urge(self, year: int | None = None, *, values: dict | None = None, date: dt.date | None = None,
             pdf: bool = False, progress: Progress | None = None, reminder: bool = False, draft: bool = False,
             number: str | None = None, dry_run: bool = False, again: bool = False) -> LetterBatch:
        """A 催报通知 to every roster unit with no accepted form for ``year`` (default: ``programme_year()``; for a
        ``reminder``, the year of ``date``, whose deadline is ahead); 原定期限 defaults to the deadline. The batch
        names the year and those units (``dry_run``: only that, nothing issued; no units: nothing to issue).

        A unit already sent the same letter (催报通知, or 报送提醒) for ``year`` dated ``date`` is not sent another,
        unless ``again``: running urge a second time after a cut-off or a Ctrl-C sends only what the first run did
        not (a ``draft`` shows just those). The batch's ``already`` names those units with the 文号 they were sent.

        Before the deadline only a reminder (``reminder``: 提醒, not 催报) goes out; the date by which a unit must
        report is never earlier than the deadline. A reporting year already closed (归档) is refused: YearClosed."""
        from lzdocs.documents.letters import (
            KINDS,
            REMINDER,
            REMINDER_TITLE,
            RETURNED,
            AlreadySent,
            reporting_note,
            returned_note,
            urge_values,
        )
        from lzdocs.store.letters import sent_on
        from lzdocs.store.years import require_open

        date = date or self.today
        year = year or self.urge_year(reminder=reminder, date=date)
        units = self.units_to_urge(year)
        title, note = REMINDER_TITLE if reminder else KINDS["urge"].name, reporting_note(year)
        resolve = self.roster().resolve

        def sent_already(conn) -> dict[str, str]:  # a unit renamed since (its old name an alias) was sent it so named
            return {resolve(u) or u: n for u, n in sent_on(conn, "urge", title, note, date).items()}

        already = {}
        if units:
            with self.store.read() as conn:
                # A year handed over takes no more forms: what a 催报 asks for would be returned as 已归档 (the 催报
                # itself, numbered in the new year, would not be refused). A dry run says so too.
                require_open(conn, year)
                if not again:
                    sent = sent_already(conn)
                    already = {unit: sent[unit] for unit in units if unit in sent}
        if dry_run or not units:
            return LetterBatch(KINDS["urge"], [], Rebuilt(), year=year, units=units, already=already)
        self.ws.require_organisation(KINDS["urge"].key)
        defaults = urge_values(self.ws, year, date, values or {}, reminder=reminder)
        if reminder and REMINDER not in self.letters.template(KINDS["urge"]).variables:  # an older template
            raise ConfigError("工作区的催报通知模板（templates/催报通知.docx）是旧版本，不能写成报送提醒",
                              hint="请把它改名备份后重新运行 lzdocs init，会放入新版模板")
        if len(already) == len(units):  # every one sent it already: nothing to issue
            if number:
                raise FieldError(f"文号 {number} 没有用上：名单中未报送的单位{date:%Y-%m-%d}都已发过这份通知",
                                 hint="确需再发时加 --again")
            return LetterBatch(KINDS["urge"], [], Rebuilt(), year=year, units=units, already=already)
        returned = self._returned_units(year)
        rows = [(i, {"单位": name, **({RETURNED: returned_note(returned[name])} if name in returned else {})})
                for i, name in enumerate(units, start=1) if name not in already]

        def guard(conn, unit: str, content: str) -> None:  # under the write lock: another urge at once may have sent it
            sent = sent_already(conn)
            if unit in sent:
                raise AlreadySent(unit, sent[unit])

        batch = self._issue_rows(KINDS["urge"], rows, defaults, date, pdf, progress, [], draft=draft, number=number,
                                 guard=None if again else guard)
        already.update({r.unit: r.already for r in batch.rows if r.already})
        batch.rows = [r for r in batch.rows if not r.already]
        batch.year, batch.units, batch.already = year, units, already
        if returned and RETURNED not in self.letters.template(KINDS["urge"]).variables:  # an older template
            for row in batch.rows:
                if row.issued and row.unit in returned:
                    row.issued.warnings.append("工作区的催报通知模板是旧版本，这份通知仍写“尚未收到你单位报送的材料”，而该单位"
                                               "报送的表格是被退回了；可把 templates/催报通知.docx 改名备份后重新运行 "
                                               "lzdocs init 放入新版模板，再作废重发")
        for row in batch.rows:
            row.row = None  # the rows are the roster's, not a file's
        if not draft and any(r.issued for r in batch.rows):  # the 报送情况登记表, brought to the day of the urge
            from lzdocs.documents.registers import RETURN_BOOKS

            with after_saved(batch.registers.warnings, REGISTERS_SKIPPED,
                             f"{len(batch.sent)} 份{KINDS['urge'].name}都已发出、编号"):
                batch.registers.extend(rebuild_registers(self.ws, self.store, [year], self.today, books=RETURN_BOOKS,
                                                         open_only=True))
        return batch

    def _returned_units(self, year: int) -> dict[str, dt.date]:
        """Units whose latest risk form of ``year`` was returned, with the day it was sent (urge: to those with no
        accepted form, whose return nothing has settled)."""
        from lzdocs.store.reports import rejections_by_unit

        with self.store.read() as conn:
            found = rejections_by_unit(conn, year)
        return {unit: r["arrived_on"] or r["received_at"].date() for unit, r in found.items()}

    def _issue_rows(self, kind: LetterKind, rows, defaults: dict, date: dt.date, pdf: bool,
                    progress: Progress | None, ignored: list[str], *, receipt: bool = False, draft: bool = False,
                    number: str | None = None, guard=None) -> LetterBatch:
        from lzdocs.documents.letters import run_batch

        if number and len(rows) != 1:
            raise FieldError(f"一个文号只能用于一份文书，本次要发 {len(rows)} 份{kind.name}",
                             hint="指定文号时请只给一个单位发文")
        code = str(self.ws.settings.get("numbering", kind.key, "") or "")
        assigned = self._assigned(number, draft, code, date.year)
        if not draft:  # a closed year: one refusal before the first row, not one per row (each is refused anyway)
            from lzdocs.store.years import require_open

            with self.store.read() as conn:
                require_open(conn, date.year)
        results = run_batch(self.letters, kind, rows, defaults=defaults, date=date,
                            progress=progress or (lambda i, n, name: None), receipt=receipt, draft=draft,
                            assigned=assigned, guard=guard)
        issued = [r.issued for r in results if r.issued]
        for item in issued:
            item.warnings += self._dates_said(item, date, draft)
        batch = LetterBatch(kind, results, Rebuilt(), ignored)
        if batch.stopped:  # the database server went away: nothing more is recorded
            return batch
        done = (f"{len(issued)} 份{kind.name}{'草稿都已写好' if draft else '都已发出、编号'}" if issued else
                f"没有新发的{kind.name}，此前发出的都已编号")
        if pdf and issued:  # after a Ctrl-C (the rows not sent): none, to stop soon with the letters registered
            from lzdocs.documents.pdf import SKIPPED

            problems = [SKIPPED] if batch.interrupted else self._pdfs(issued, done)
            for item in issued:
                item.warnings += problems
        if not draft and issued:  # Ctrl-C again: the registers stay marked (store/pending.py) for the next run
            batch.registers = self._letter_registers({i.number.year for i in issued}, done)
        elif not draft and batch.skipped:  # run again after a cut-off: the registers that run left behind
            batch.registers = self._letter_registers(self._letters_behind(), done)
        return batch

    def _letters_behind(self) -> list[int]:
        """The years whose 发文登记簿 or 预警处置台账 wait to be rewritten (store/pending.py)."""
        from lzdocs.store import pending

        with self.store.read() as conn:
            return sorted(year for year, books in pending.waiting(conn).items()
                          if books is None or set(books) & set(pending.LETTER_BOOKS))

    def reply(self, number: str, date: dt.date | None = None, *, correct: bool = False,
              talk: Talk | None = None) -> dict:
        """Record a unit's written reply to a letter, or a 谈话提醒 held (``talk``: place, who talked), in the
        预警处置台账; without ``date`` today, and only when nothing was recorded. A recorded date is replaced only
        with ``correct``; the audit log keeps both."""
        from lzdocs.documents.letters import DocumentNumber, record_reply

        with interrupts.deferred():  # one Ctrl-C lets the record be made and said (reporting); a second stops it
            result = record_reply(self.store, number, date, self.today, correct=correct, talk=talk)
            interrupts.reporting(done := f"{result['number']} 的回复已记录")
        if result["changed"]:
            self._letter_registers([int(DocumentNumber.parse(result["number"]).year)], done)
        return result

    # --- every warning followed to its end ------------------------------------------------------------------
    @property
    def deadlines(self) -> Deadlines:
        """The days allowed for the check and the closing of a warning ([follow_up])."""
        from lzdocs.dynamics.steps import Deadlines

        return Deadlines.from_settings(self.ws.settings)

    def _risk_ids(self, unit: str, risks: Iterable[str | int]) -> list[int]:
        specs = [str(r) for r in risks]
        if not specs:
            return []
        from lzdocs.dynamics.warnings import resolve_risks

        with self.store.read() as conn:
            return resolve_risks(conn, unit, specs)

    def warn(self, kind: str, unit: str, values: dict | None = None, *, date: dt.date | None = None,
             to: str | None = None, risks: Iterable[str | int] = ()) -> dict:
        """Record a 批评教育 (given in person, no letter) with a 登记号 of [numbering] criticism; the other five
        ways are letters (``letter``)."""
        from lzdocs.dynamics.warnings import CRITICISM, WAYS, record_criticism
        from lzdocs.textutil import squeeze

        if squeeze(kind).lower() not in (CRITICISM, WAYS[CRITICISM]):
            raise FieldError(f"“{kind}”要发文书，请用 lzdocs letter",
                             hint="lzdocs warn 只登记当面进行的批评教育：lzdocs warn 批评教育 --unit … --set 事由=…")
        day = date or self.today
        if day > self.today:
            raise FieldError("批评教育的日期不能晚于今天", hint="登记已经进行的批评教育")
        unit = self.resolve_unit(unit)
        with interrupts.deferred():  # as for reply
            result = record_criticism(self.store, self.ws.settings, unit, dict(values or {}), day, person=to,
                                      risks=[str(r) for r in risks])
            interrupts.reporting(done := "批评教育已登记")
        result["registers"] = self._letter_registers([day.year], done)
        return result

    def follow_up(self, number: str, *, result: str | None = None, date: dt.date | None = None, by: str = "",
                  close: bool = False, risks: Iterable[str | int] = (), correct: bool = False) -> dict:
        """Record the check on a warning's rectification (``result`` 已整改/未整改, ``by`` who checked), its closing
        (``close``) and/or the risk points it concerns; returns the warning as ``unit --json`` shows it. A check
        dated before the one recorded is refused unless it ``correct``s that one."""
        from lzdocs.documents.numbering import DocumentNumber
        from lzdocs.dynamics.warnings import follow_up

        with interrupts.deferred():  # as for reply
            record = follow_up(self.store, number, self.today, self.deadlines, result=result, day=date, by=by,
                               close=close, risks=[str(r) for r in risks], correct=correct)
            interrupts.reporting(said := f"{record['number']} 的核查已记录")
        self._letter_registers([DocumentNumber.parse(record["number"]).year], said)
        return record

    def unit_card(self, unit: str) -> dict:
        """A unit's risk points over the years, reviews, warnings with their states, cases (``lzdocs unit --json``)."""
        from lzdocs.dynamics.card import unit_card

        roster, written = self.roster(), unit.strip()
        if roster and roster.resolve(written) is None and self._recorded(written):  # a unit since taken off the roster
            log.warning("%s；按档案库中记录的名称显示", roster.not_found(written))
            name = written
        else:
            name = self.resolve_unit(unit)  # a renamed unit's card holds its rows under its old name too
        card = unit_card(self.store, name, self.today, self.deadlines, roster.recorded_names(name))
        return {**card, "reports": roster.years_text(name)}  # the years it reports for (units.csv), '' when any

    def _recorded(self, name: str) -> bool:
        from lzdocs.store.archived import unit_recorded

        with self.store.read() as conn:
            return unit_recorded(conn, name)

    def overdue_follow_up(self) -> list[dict]:
        """Warnings past the deadline of the step they wait for (回复/谈话, 整改核查, 办结)."""
        from lzdocs.dynamics.warnings import overdue_warnings

        return overdue_warnings(self.store, self.today, self.deadlines)

    def _pdfs(self, issued: list[IssuedLetter], done: str) -> list[str]:
        """``add_pdfs`` after the letters were saved (``done``): none started once a Ctrl-C came, and LibreOffice
        not waited for (``after_saved``)."""
        from lzdocs.documents.pdf import SKIPPED

        problems: list[str] = []
        with after_saved(problems, SKIPPED, done):
            interrupts.stop_waiting()
            problems += self.add_pdfs(issued)
        return problems

    def add_pdfs(self, issued: list[IssuedLetter]) -> list[str]:
        """PDF copies beside the letters, one LibreOffice run per folder; returns the problems (Chinese)."""
        from lzdocs.documents.pdf import NOT_FOUND, PdfError, find_soffice, font_warnings, to_pdf_many
        from lzdocs.integrity.manifest import record_written

        if not issued:
            return []
        if find_soffice() is None:
            return [NOT_FOUND]
        timeout = float(self.ws.settings.get("letters", "pdf_timeout", 120))
        by_folder: dict[Path, list[IssuedLetter]] = {}
        for item in issued:
            by_folder.setdefault(item.path.parent, []).append(item)
        problems = []
        for folder, items in by_folder.items():
            try:
                made = to_pdf_many([i.path for i in items], folder, timeout)
                for item, pdf in zip(items, made):
                    item.files.append(pdf)
                record_written(self.store, self.ws.relative, [(pdf, "pdf") for pdf in made])
                items[0].warnings += font_warnings(items[0].path, items[0].files[-1])  # one template: same fonts
            except PdfError as exc:
                problems.append(f"PDF 没有生成：{exc}")
        return problems

    # --- notices, blank forms, templates ------------------------------------------------------------------
    def notice(self, title: str, body: Path | tuple, *, pdf: bool = False, draft: bool = False,
               number: str | None = None, **options) -> IssuedNotice:
        """A red-header 公文 (GB/T 9704) with a 文号, registered in the 发文登记簿. ``options`` are those of
        ``lzdocs notice``: kind, issuer, to, signer, attachments, cc, printer, style, keywords, date. ``draft`` and
        ``number`` as for ``letter``; with ``number`` and no issuer, the issuer is the one of the number's code."""
        from lzdocs.documents import notice as N

        self.ws.require_organisation()
        if number and not options.get("issuer"):
            options["issuer"] = self._issuer_of(number)
        prepared = N.prepare_notice(self.ws, title=title, body=body, today=self.today, **options)
        assigned = self._assigned(number, draft, prepared.code, prepared.date.year)
        issued = N.issue_notice(self.ws, self.store, prepared, pdf=pdf, draft=draft, number=assigned)
        issued.warnings += self._future(prepared.date)
        issued.registers = Rebuilt() if draft else self._letter_registers([issued.number.year],
                                                                          f"通知（{issued.number}）已发出")
        return issued

    def _future(self, day: dt.date) -> list[str]:
        """A 提醒 for a document dated after today: it holds its number, and a letter issued today would then
        look back-dated."""
        from lzdocs.textutil import chinese_date

        if day <= self.today:
            return []
        return [f"成文日期{chinese_date(day)}晚于今天（{chinese_date(self.today)}）：请核对成文日期；"
                "之后按今天发出的文书会被提示为倒签"]

    def _dates_said(self, item: IssuedLetter, date: dt.date, draft: bool = False) -> list[str]:
        """The 提醒 a letter's dates call for: dated after today (``_future``), or its deadline (回复期限, 谈话时间,
        a 催报's 补报期限 …) already past today — a letter dated back, its deadline counted from that day: the unit
        is late on receipt."""
        from lzdocs.textutil import chinese_date

        said = self._future(date)
        due, field = item.due, item.kind.due_field
        if due is not None and due < self.today:
            said.append(f"“{field}”{chinese_date(due)}在今天（{chinese_date(self.today)}）之前，单位收到时已经过了；"
                        + ("正式发文前请核对成文日期，或用 --set " if draft else
                           "补登此前发出的文书时可不理会，否则请核对成文日期，或用 --set ")
                        + f"{field}=… 另定" + ("" if draft else "（本份已编号，需要时用 lzdocs void 作废）"))
        return said

    # --- 文号: assigned elsewhere, 作废 ---------------------------------------------------------------------
    def known_codes(self) -> dict[str, str]:
        """The 机关代字 of this workspace and what each numbers: [numbering] (letters) and [issuers] (notices)."""
        from lzdocs.documents.letters import KINDS

        codes: dict[str, str] = {}
        for key, code in self.ws.settings.section("numbering").items():
            if code and key in KINDS:
                codes.setdefault(str(code), KINDS[key].name)
        for name, code in self.ws.settings.section("issuers").items():
            if code:
                codes.setdefault(str(code), str(name))
        return codes

    def _parse_number(self, text: str):
        from lzdocs.documents.letters import normalise_number
        from lzdocs.documents.numbering import DocumentNumber

        parsed = DocumentNumber.parse(normalise_number(text))
        if parsed is None:
            example = next(iter(self.known_codes()), "机关代字")
            raise FieldError(f"“{text}”不是文号", hint=f"文号写成 {example}〔{self.today.year}〕7号")
        return parsed

    def _assigned(self, text: str | None, draft: bool, code: str, year: int):
        """The 文号 given with ``number`` (checked against the workspace's codes, the document's code and year)."""
        from lzdocs.documents.numbering import check_assigned

        if not text:
            return None
        if draft:
            raise FieldError("草稿不编文号，不能同时指定文号", hint="预览用 --draft；正式发文时再用 --number")
        number = self._parse_number(text)
        check_assigned(number, code=code, year=year, known=self.known_codes())
        return number

    def _issuer_of(self, text: str) -> str | None:
        """The issuer ([issuers]) whose 机关代字 the number carries, if any."""
        code = self._parse_number(text).code
        return next((str(name) for name, c in self.ws.settings.section("issuers").items() if c == code), None)

    def void(self, number: str, reason: str, *, date: dt.date | None = None) -> dict:
        """作废: the number stays in the 发文登记簿 marked 作废 with ``reason`` and the date (default today); its
        files move to outbox/<year>/作废/; it is never issued again. Returns what ``lzdocs void --json`` prints."""
        from lzdocs.documents.numbering import void_document
        from lzdocs.textutil import chinese_date

        parsed = self._parse_number(number)
        if date is not None and date > self.today:
            raise FieldError(f"作废日期{chinese_date(date)}在今天（{chinese_date(self.today)}）之后",
                             hint="作废日期默认今天")
        followed = self._followed_so_far(str(parsed))
        with interrupts.deferred():  # as for reply
            done = void_document(self.store, str(parsed), reason=reason, voided=date or self.today,
                                 workspace_root=self.ws.root, year_dir=self.ws.year_dir)
            interrupts.reporting(said := f"{done.number} 已作废")
        registers = self._letter_registers([parsed.year], said)
        return {"number": done.number, "title": done.title, "recipient": done.recipient,
                "issued": done.issued.isoformat(), "voided": done.voided.isoformat(), "reason": done.reason,
                "files": [self.ws.relative(p) for p in done.files], "missing": done.missing,
                "registers": [self.ws.relative(p) for p in registers.files],
                "warnings": [f"这份文书的预警处置已登记{followed}；作废后它不再计入预警处置台账的统计和年度总结"
                             "（登记过的内容保留在操作记录中）"] if followed else []}

    def _followed_so_far(self, number: str) -> str:
        """What was recorded of a warning's handling (its reply or talk, check, closing), as ``void`` warns of it
        before the warning leaves the counts; "" for a letter without one, or none recorded."""
        from lzdocs.documents.kinds import CRITICISM
        from lzdocs.dynamics.steps import step_two
        from lzdocs.store import documents as docs_q
        from lzdocs.textutil import chinese_date

        with self.store.read() as conn:
            doc = docs_q.find_document(conn, number)
            w = docs_q.warning_for(conn, doc["id"]) if doc is not None and doc["status"] != docs_q.VOID else None
        if w is None:
            return ""
        talked = w["replied"] and w["kind"] != CRITICISM  # (a 批评教育's step 2 is recorded with it: no news)
        done = [f"{step_two(w['kind'])}（{chinese_date(w['replied'])}）"] if talked else []
        done += [f"整改核查（{w['check_result']}）"] if w["checked"] else []
        done += ["办结"] if w["closed"] else []
        return "、".join(done)

    # --- tamper evidence ------------------------------------------------------------------------------------
    def verify(self, year: int | None = None) -> Report:
        """The archive checked against itself (docs/product.md §12.1): the events' hash chain, every recorded file
        (only those of outbox/<year>/ with ``year``) with its size and SHA-256, no unrecorded file in the archive
        folders, SQLite's integrity check. Nothing is changed; ``report.ok`` when all hold."""
        from lzdocs.integrity.verify import verify

        return verify(self.ws, self.store, year=year)

    def forms(self, units: Iterable[str] = (), *, all_units: bool = False, fmt: str = "docx",
              kind: str = "risk") -> list[Path]:
        """Blank forms for distribution in ``outbox/空白表/``: one without a unit, one per given unit, or one per
        roster unit (``all_units``); ``fmt`` is docx or xlsx. The title carries the school's name. A blank form
        written here before and left unchanged is replaced; one the user changed is kept (the new one gets _01)."""
        from lzdocs.documents.blankform import write_docx, write_xlsx
        from lzdocs.forms.schema import REVIEW_KIND, find_kind, load_kinds
        from lzdocs.fsutil import OwnFiles
        from lzdocs.textutil import safe_filename

        kinds = load_kinds(self.ws.root / "forms")
        form_kind = find_kind(kinds, kind)
        if form_kind is None:
            raise ConfigError(f"没有名为“{kind}”的表格种类",
                              hint=f"可用：{'、'.join(k.names[0] if k.names else k.key for k in kinds)}")
        if fmt not in ("docx", "xlsx"):
            raise ConfigError(f"空白表格式只能是 docx 或 xlsx，不能是“{fmt}”")
        self.ws.require_organisation()
        names: list[str | None]
        if all_units:
            if not self.roster():
                raise ConfigError("单位名单（units.csv）是空的", hint="先在 units.csv 中填写单位")
            names = list(self.roster().names_in(self.today.year))  # this year's campaign: not a unit dissolved,
            # nor one to come (the programme year is last year's until its late forms are in)
        else:
            names = [self.resolve_unit(u) for u in units] or [None]
        writer = write_docx if fmt == "docx" else write_xlsx
        own = OwnFiles(self.ws.state / "blank-forms.json", self.ws.root)
        files = []
        for name in names:
            stem = safe_filename(f"{form_kind.title}-{name}" if name else form_kind.title)
            rows = None
            if name and form_kind.key == REVIEW_KIND:  # a 落实情况 form comes with the unit's risk points
                from lzdocs.dynamics.reviews import prefill_rows

                rows = prefill_rows(self.store, name)
            files.append(own.write(self.ws.outbox / "空白表", stem, f".{fmt}",
                                   lambda path, name=name, rows=rows: writer(form_kind, path, unit=name,
                                                                             rows=rows or None, school=self.ws.school)))
        own.save()
        return files

    # --- backup and restore (docs/product.md §12.2) ----------------------------------------------------------
    def backup(self, dest: str | Path, *, progress: Progress | None = None) -> BackupResult:
        """A new snapshot ``dest/<time>/`` (time from the office's clock): the database through SQLite's online
        backup API while a watcher may be writing (an archive on a server: copied into an lzdocs.db of the
        snapshot's own), the files it records (checked against their hashes), the workspace's own files and a
        manifest; unchanged files are hard-linked from the previous snapshot."""
        from lzdocs.integrity.backup import take_backup

        assert self.store is not None  # opened first: a lost archive, or another in its place, is refused
        return take_backup(self.ws, Path(dest), self.clock.now(), progress, store=self.store)

    @staticmethod
    def verify_package(dest: str | Path) -> Report:
        """A year's 归档 package checked on its own, on any computer (no workspace): every file against its 清单,
        the 档号 sequences, PDF/A identification, 页数 (docs/product.md §12.3)."""
        from lzdocs.integrity.package_check import verify_package

        return verify_package(dest)

    @staticmethod
    def restore(src: str | Path, new: str | Path, *, today: dt.date | None = None, clock: Clock | None = None,
                progress: Progress | None = None) -> Restored:
        """Restore a backup (``src``: a backup folder, its newest snapshot, or one snapshot) as the new workspace
        ``new`` (missing or empty): every file checked against the manifest, the registers rebuilt from the
        restored database, dated ``today`` as ``Office(today=)`` would; a damaged backup leaves nothing behind."""
        from lzdocs.integrity.backup import restore_into

        clock = _clock(today, clock)

        def rebuild(root: Path, years: list[int]) -> Rebuilt:
            with Office(root, clock=clock) as office:
                return office._rebuild_as_kept(years)

        return restore_into(Path(src), Path(new), rebuild, progress)

    # --- the year-end summary --------------------------------------------------------------------------------
    def summary(self, year: int | None = None, *, pdf: bool = False, package: bool = False) -> SummaryResult:
        """The year-end report of ``year`` (default: ``programme_year()``) in outbox/<year>/总结/, a new name when
        one is there (never replaced); ``package``: with the 汇总表 and the 公示表 (rewritten first) and a 清单 in
        outbox/<year>/上报/ and a .zip of it, for the superior body; its quality section is ``quality(year)``."""
        from lzdocs.documents.summary_report import write_report

        year = year or self.programme_year()
        from lzdocs.store.years import require_open

        self._check_recorded(year, "总结")
        with self.store.read() as conn:  # a closed year's summary is in its 归档 package: no new one (YearClosed)
            require_open(conn, year)
        return write_report(self, year, [f.as_dict() for f in self.quality(year)], pdf=pdf, package=package)

    def summary_final(self, file: str | Path, year: int | None = None, *, pdf: bool = False,
                      package: bool = False) -> FinalResult:
        """Record ``file`` as the 定稿 of the year's 总结: the summary ``summary()`` wrote, edited in place; a .docx
        saved beside it in outbox/<year>/总结/; or one from elsewhere, copied in under its own name. A relative path
        not found from here is looked for in the workspace, then a bare name in the 总结 folder. Then ``verify``
        finds it as recorded, ``backup`` carries it, and ``archive`` takes it while the numbers it carries — those
        of the summary it was finished from — hold (documents/summary_final.py). ``year``: default the year of the
        总结 folder it lies in, else ``programme_year()``. ``pdf``, ``package``: its PDF and the 上报 package made
        from it, as ``summary()`` makes them from a new one."""
        from lzdocs.documents.summary_final import record_final, summary_year
        from lzdocs.documents.summary_report import SUMMARY_DIR
        from lzdocs.fsutil import same_file

        path = Path(file)
        if not path.is_absolute():  # from here; else in the workspace, or a bare name in its 总结 folder
            inside = self.ws.root / path
            if os.path.lexists(path) and os.path.lexists(inside) and not same_file(path, inside):
                raise ConfigError(f"“{path}”在当前文件夹和工作区里各有一个，不知道登记哪一个",
                                  hint=f"请写完整路径，如 {inside}")
            if not os.path.lexists(path):
                path = inside if os.path.lexists(inside) or len(path.parts) > 1 else \
                    self.ws.year_dir(year or self.programme_year()) / SUMMARY_DIR / path
        in_folder = summary_year(self.ws, path)
        if year is not None and in_folder is not None and in_folder != year:
            raise ConfigError(f"“{path.name}”在 {in_folder} 年度的总结文件夹里，不是 {year} 年度的总结",
                              hint=f"去掉 --year，或写 --year {in_folder}")
        final = record_final(self, path, year or in_folder or self.programme_year())
        if pdf or package:
            from lzdocs.documents.summary_report import with_final

            with_final(self, final, pdf=pdf, package=package)
        return final

    # --- the year's 归档 package --------------------------------------------------------------------------
    def archive(self, year: int, dest: str | Path, *, progress: Progress | None = None,
                unfinished: bool = False, summary: str | Path | None = None) -> PackageResult:
        """The 归档 package of ``year`` in ``dest`` (new or empty; DA/T 22—2015): every item as its original and as
        PDF/A-2b named by its 档号, the 归档文件目录 (.xlsx, PDF) and 清单 (SHA-256 of every file); then the year is
        closed: its forms and documents are refused until ``reopen``; its registers are rewritten just before, dated
        today. Check it with ``lzdocs.integrity.package.verify_package(dest)``, anywhere.

        A year whose warnings still wait for a reply, a check or their closing is refused (ConfigError naming
        them), since none of those could be recorded once it is closed, and so is a year still being reported (up
        to its 报送截止日期; with none set, not over) — unless ``unfinished``: archived as it is.

        The 总结 is the newest ``summary()`` wrote, refused when its numbers no longer hold or when the folder holds
        one lzdocs did not write; ``summary`` (a file in outbox/<year>/总结/) is the clerk's choice
        (integrity/items.py ``choose_summary``)."""
        from lzdocs.integrity.package import build_package
        from lzdocs.settings import known_settings
        from lzdocs.store.years import closure
        from lzdocs.workspace import DEFAULT_CONFIG

        with self.store.read() as conn:
            closed = closure(conn, year) is not None  # archived again (a second copy), or its package put in place
        if not unfinished and not closed:  # what --unfinished would pass over, all of it named
            reasons = [r for r in (self._running(year), self._unfinished(year)) if r]
            if reasons:
                hint = "；".join([*(r[1] for r in reasons), "确要现在归档，加 --unfinished，之后要登记时先运行 "
                                                                f"lzdocs archive --reopen {year}"])
                raise ConfigError("；".join(r[0] for r in reasons), hint=hint)

        defaults = known_settings(DEFAULT_CONFIG)["archive"]
        timeout = float(self.ws.settings.get("letters", "pdf_timeout", 120))
        # The registers brought to the day of closing first: once closed, nothing rewrites them on its own (an
        # ingest, a new day), and a 预警处置台账 left at an earlier day would go on saying 未到期.
        registers = self.rebuild_registers([year])
        from lzdocs.documents.summary_final import record_final

        result = build_package(self.ws, self.store, year, Path(dest), now=self.clock.now, defaults=defaults,
                               progress=progress, timeout=timeout, summary=Path(summary) if summary else None,
                               finalise=lambda path: record_final(self, path, year))
        result.warnings += registers.warnings
        return result

    def _running(self, year: int) -> tuple[str, str] | None:
        """Why a year still being reported — up to its 报送截止日期 (forms may come that day), or, with none set, not
        over — is not archived unless asked: once closed, every form of it is returned and no 催报 goes out (in
        January, 2027 typed for 2026 would close the new year). (message, hint) or None."""
        from lzdocs.documents.status import still_reported

        deadline = self.ws.settings.deadline(year)
        if not still_reported(year, deadline, self.today):
            return None
        from lzdocs.store.archived import recorded_years

        when = f"报送截止日期（{deadline.isoformat()}）还没过" if deadline else "还没有结束"
        with self.store.read() as conn:
            earlier = [y for y in recorded_years(conn) if y < year]
        meant = f"要归档的若是 {max(earlier)} 年度，请写 --year {max(earlier)}；" if earlier else ""
        return (f"{year} 年度{when}，归档后该年度关闭，之后报送的 {year} 年度表格一律退回，也不能再催报",
                f"{meant}归档一般在报送截止、预警办结以后")

    def _unfinished(self, year: int) -> tuple[str, str] | None:
        """Why a year whose warnings still wait for a reply, a check or their closing is not archived unless asked:
        none of those could be recorded once it is closed. (message, hint) or None."""
        from lzdocs.dynamics.warnings import state_name, unfinished

        waiting = unfinished(self.store, year)
        if not waiting:
            return None
        shown = "；".join(f"{w['number']}（{w['unit']}，{state_name(w)}"
                         + (f"，回复期限 {w['reply_due']:%Y-%m-%d}" if w["reply_due"] and not w["replied"] else "")
                         + "）" for w in waiting[:10])
        more = f" 等 {len(waiting)} 件" if len(waiting) > 10 else ""
        return (f"{year} 年度还有 {len(waiting)} 件预警没有办结：{shown}{more}。归档后该年度关闭，"
                "它们的回复、整改核查和办结都不能再登记", "请等它们办结后再归档（lzdocs reply、lzdocs follow-up）")

    def reopen(self, year: int, reason: str = "") -> dict:
        """Open an archived year again (recorded as an event); archive it again once the change is made."""
        from lzdocs.integrity.package import reopen_year

        return reopen_year(self.store, year, " ".join(reason.split()))

    # --- 复核 --------------------------------------------------------------------------------------------
    def reviews(self, *, due_within: int | None = None, unit: str | None = None) -> list[ReviewDue]:
        """The current risk points whose review (复核, by level: [reviews] of lzdocs.toml) is overdue or due within
        ``due_within`` days (default the setting), and those whose latest 落实情况 was 未落实 — as ``lzdocs review``
        lists them."""
        from lzdocs.dynamics import reviews as R

        policy = R.ReviewPolicy.from_settings(self.ws.settings)
        roster = self.roster()
        found = R.review_list(self.store, policy, self.today, unit=self.resolve_unit(unit) if unit else None,
                              unit_order=roster.names, due_within=due_within)
        year = self.programme_year()  # a unit that stopped reporting (终止年度) is asked for no review of its points
        return [d for d in found if not roster.retired(roster.current(d.unit), d.year, year)]

    def review_counts(self) -> dict:
        """How many reviews are overdue, due soon, and found 未落实 (for ``lzdocs status``)."""
        from lzdocs.dynamics import reviews as R

        policy = R.ReviewPolicy.from_settings(self.ws.settings)
        return R.review_counts(self.reviews(), policy)

    def check_template(self, path: str | Path, kind: str | None = None) -> tuple[TemplateReport, LetterKind | None]:
        """The variables of a .docx template and the problems of its tags, against a letter kind's fields (by
        ``kind``, else by the file's name): for a letter also what it would leave out — its 文号, its 主送, a field
        (:func:`lzdocs.documents.kinds.template_gaps`, which issuing refuses the same way)."""
        from lzdocs.documents.letters import KINDS, PROVIDED, find_kind, template_gaps
        from lzdocs.documents.templating import TagProblem, check_template

        path = Path(path)
        letter_kind = find_kind(kind) if kind else next((k for k in KINDS.values() if k.name == path.stem), None)
        known = {f.name for f in letter_kind.fields} | set(PROVIDED) if letter_kind else None
        report = check_template(path, known)
        if letter_kind and not report.errors:  # variables of a part with tag errors are not known
            errors, warnings = template_gaps(letter_kind, set(report.variables))
            report.problems += [TagProblem("error", m, "全文") for m in errors]
            report.problems += [TagProblem("warning", m, "全文") for m in warnings]
        return report, letter_kind


def _clock(today: dt.date | None, clock: Clock | None) -> Clock:
    """The day an office works on: its ``clock``, else the ``today`` a script pinned, else the system's (or
    ``LZDOCS_TODAY``)."""
    return clock or (Clock.fixed(today) if today is not None else Clock.from_environment())


def rebuild_registers(ws: Workspace, store: Store, years: Iterable[int], today: dt.date, *,
                      books: Iterable[str] | None = None, open_only: bool = False,
                      helper: Helper | None = None) -> Rebuilt:
    """The registers of each year rewritten once (``books``: only those), for an Office or a watcher's burst;
    ``open_only``: a year closed by its 归档 package is left as the package has it (checked under the lock);
    ``helper``: a process idle meanwhile (``write_registers``).

    A register that cannot be written does not undo the action: it becomes a warning saying how to retry.
    Each warning also goes to the ``lzdocs.office`` logger (the command line prints it as a 提醒)."""
    from filelock import Timeout

    from lzdocs.documents.registers import hold_writer, write_registers
    from lzdocs.store import pending

    rebuilt = Rebuilt(years=sorted(set(years)))
    for year in list(rebuilt.years):
        try:
            with hold_writer(ws):  # one writer at a time per workspace (registers.writer_lock)
                if open_only and _closed(store, year):
                    rebuilt.years.remove(year)
                    with store.begin() as conn:  # its registers are its 归档 package's: none waits any more
                        pending.forget(conn, year)
                    continue
                result = write_registers(ws, store, year, today, books=books, helper=helper)
        except (Timeout, LzdocsError) as exc:
            why = "另一个程序一直在更新登记簿" if isinstance(exc, Timeout) else exc
            rebuilt.warnings.append(f"{year} 年登记簿没有更新（{why}）；可稍后运行 lzdocs register")
            continue
        rebuilt.files += result.files
        rebuilt.warnings += result.warnings
    for text in rebuilt.warnings:
        log.warning("%s", text)
    return rebuilt


def rebuild_changed(ws: Workspace, store: Store, changes: Mapping[int, tuple[str, ...] | None],
                    today: dt.date, *, helper: Helper | None = None) -> Rebuilt:
    """The registers an ingest or a watcher's burst changed (``Ingest.changed_registers``: year → the books to
    rewrite, None for all), each year's once; never those of a closed year (a form returned into it). ``helper``:
    see ``write_registers``."""
    groups: dict[tuple[str, ...] | None, list[int]] = {}  # the years by the books to rewrite
    for year, books in changes.items():
        groups.setdefault(books, []).append(year)
    rebuilt = Rebuilt()
    for books, years in groups.items():
        rebuilt.extend(rebuild_registers(ws, store, years, today, books=books, open_only=True, helper=helper))
    return rebuilt


def registers_of_the_day(ws: Workspace, store: Store, day: dt.date) -> Rebuilt:
    """The programme year's registers brought to ``day`` (a watcher's new day): their 统计日期, the 报送情况登记表's
    notes against the deadline, the letters that have become overdue."""
    from lzdocs.documents.status import programme_year

    return rebuild_registers(ws, store, [programme_year(store, day, ws.settings.deadline)], day, open_only=True)


def _closed(store: Store, year: int) -> bool:
    from lzdocs.store.years import closure

    with store.read() as conn:
        return closure(conn, year) is not None


def risk_record(row) -> dict[str, Any]:
    """One current risk point as ``lzdocs risks --json`` prints it."""
    return {"unit": row["unit"], "year": row["year"], "seq": row["seq"], "post": row["post"],
            "duties": row["duties"], "risk": row["risk"], "category": row["category"], "level": row["level"],
            "measures": row["measures"], "owner": row["owner"],
            "source_file": row["stored_as"] or row["original_name"],
            "filled_date": row["filled_date"].isoformat() if row["filled_date"] else None}

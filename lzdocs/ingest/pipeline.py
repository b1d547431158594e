"""One file's way through ingest, in the crash-safe order of docs/product.md §4: reserve → copy → fsync → record
→ rename."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import tempfile
import uuid
import weakref
from collections.abc import Callable, Iterable
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

from lzdocs import interrupts
from lzdocs.clock import Clock
from lzdocs.errors import (
    ConfigError,
    FileAccessError,
    LzdocsError,
    Problem,
    RejectedFile,
    StoreError,
    YearClosed,
    error,
    from_os_error,
    warning,
)
from lzdocs.forms.checks import check_form
from lzdocs.forms.reader import read_form
from lzdocs.forms.schema import REVIEW_KIND, load_kinds
from lzdocs.fsutil import (
    FileSystemClocks,
    Markers,
    NotRegularFile,
    copy_durably,
    copy_stream,
    display_name,
    display_path,
    exact_name,
    fsync_dir,
    is_undecodable,
    keep_inside,
    link_file,
    open_regular,
    private_folder,
    remove_private,
    reserve_name,
    sha256_file,
    sweep_private,
    write_atomic,
)
from lzdocs.ingest import claims as cl
from lzdocs.ingest import owner
from lzdocs.ingest.claims import Claim
from lzdocs.ingest.outcome import Outcome
from lzdocs.ingest.returned import settle_returned
from lzdocs.ingest.scan import NOT_REGULAR, OWN_FOLDERS, is_ignored, walk
from lzdocs.ooxml.safety import Limits, check_size
from lzdocs.store import Store, pending, years
from lzdocs.store import files as manifest
from lzdocs.store import submissions as subs
from lzdocs.textutil import safe_filename
from lzdocs.workspace import Workspace

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lzdocs.forms.ahead import Ahead, EarlyReaders, Helper, ReadAhead
    from lzdocs.forms.records import CheckedRows, RawForm
    from lzdocs.settings import Settings

log = logging.getLogger("lzdocs.ingest")
_PLAIN_SUFFIX = re.compile(r"\.[0-9A-Za-z_-]{1,32}")

RECEIVED = "收文"
TAKEN_BY_ANOTHER = "已被同时运行的另一个收取程序（如 lzdocs watch）取走，结果见它的记录"
DUPLICATES = "重复报送"
EXPLANATION = ".错误说明.txt"
NOT_FOUND = "找不到这个文件或文件夹，请检查路径是否写对"
REWRITTEN = "收取时文件又被改写（可能还在保存或复制中），本次没有收取，文件留在原处；写完后再收取即可"
NOT_COMMITTED = "记录写入档案库时数据库不可用，本次没有收取，文件留在原处；数据库恢复后重新收取即可"
_QUICK_TO_READ = {".docx", ".xlsx", ".docm", ".xlsm"}  # read in milliseconds: no commit before (``_before_claim``)
_QUICK_BYTES = 1 << 20  # … when no larger than this
BATCH_SECONDS = 0.25  # a run's records committed this often (``Store.batch``): the work a crash makes redo, at most


class _Rewritten(Exception):
    """The file's bytes changed between reading it and keeping it (``Ingest._settle``)."""


PRIVATE, PRIVATE_PREFIX = "tmp", "ingest-"  # a run's private folder: .lzdocs/tmp/ingest-… (``_private_folder``)


class _CrashPoints:
    """Test-only: ``LZDOCS_CRASH_AT=step[:n]`` kills the process (SIGKILL) the n-th time it reaches ``step``."""

    def __init__(self, spec: str | None):
        self.step, _, n = (spec or "").partition(":")
        self.remaining = int(n or 1)

    def __call__(self, step: str) -> None:
        if self.step and step == self.step:
            self.remaining -= 1
            if self.remaining <= 0:
                os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


class _Step:
    """One file of a run (``Ingest._stopping``): the Ctrl-C that came while it was taken is noted, and goes on up —
    also as the error of a clean-up it cut short (``interrupts.cut_short``). From then on the run is one that is
    stopping with forms saved: a Ctrl-C more, as the run commits and ends its readers, is noted, not raised there
    (``interrupts.reporting``; a second press then leaves the registers for the next command)."""

    stopped: BaseException | None = None

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is not None and interrupts.cut_short(exc):
            self.stopped = exc
            interrupts.reporting(STOPPED, stopped=True)
        return False


STOPPED = "收表已中断，此前收下的表格都已保存"  # said if the command ends before it says more (Office.ingest)
ALL_TAKEN = "这次的表格都已处理完"  # a run that went through every file


class Ingest:
    """Processes files into the archive. Construct per run; ``changed_registers()`` says which registers to rebuild."""

    def __init__(self, ws: Workspace, store: Store, *, today: dt.date | None = None,
                 now: Callable[[], dt.datetime] | None = None,
                 progress: Callable[[int, int, str], None] | None = None, received: dt.date | None = None,
                 present: Callable[[], dt.datetime] | None = None):
        """``now``: the clock of received_at (by default one on ``today``, else the system's); ``present``: the
        time a file's age is counted back from (by default ``Clock.present`` of the clock on ``today``)."""
        self.ws, self.store = ws, store
        clock = Clock.fixed(today) if today else Clock()
        self.now, self.present = now or clock.now, present or clock.present
        self.today = today or self.now().date()
        self.received = received  # the day the forms came (by mail, e-mail), as the clerk says: on time or late by it
        self.roster = ws.roster()
        self.kinds = load_kinds(ws.root / "forms")
        self.limits = Limits.from_settings(ws.settings)
        self.soffice_timeout = ws.settings.number("limits", "soffice_timeout", 90)
        self.same_as_above = ws.settings.flag("forms", "same_as_above", True)
        self.progress = progress or (lambda i, n, name: None)
        self.claims_dir = ws.work / "claims"
        self.touched_years: set[int] = set()  # a form taken: every register of its year
        self.stopped: StoreError | None = None  # the database failed part-way (run_*): its server gone, its disk full
        self.interrupted: int | None = None  # Ctrl-C stopped the run (run_*): how many of its files it left
        self.saved = 0  # and how many it had taken (or, a dry run, looked at): their outcomes are the run's last
        self._registers_of: dict[int, bool] = {}  # ``_has_registers``
        self.returned_years: set[int] = set()  # a roster unit's form returned: its year's 报送情况登记表 counts it
        self.crash = _CrashPoints(os.environ.get("LZDOCS_CRASH_AT"))
        self._tmp: Path | None = None  # the private folder of the readers' copies (``_private_copy``)
        self._tmp_gone: Callable[[], None] = lambda: None  # removes it
        self._made: Path | None = None  # a worker's durable copy of the file being taken (``_keep``)
        self._marker_files: Markers | None = None  # the run's markers' inodes, in its private folder (``_markers``)
        self._ahead: ReadAhead | None = None  # forms read ahead in worker processes, while a run lasts
        self.early: EarlyReaders | None = None  # readers started before the run, for it to take (Office.ingest)
        self.keep_helper = False  # keep one of them after a run, as ``helper``: for the registers (Office.ingest)
        self.helper: Helper | None = None
        self.read_ahead = 0  # how many forms of this run were read by a worker (the others by this process)
        self._slots: cl.Slots | None = None  # while a run lasts (``_taking``)
        self._awaiting: set[str] = set()  # claims whose records wait for the batch's commit (``_after_commit``)
        self._put_back: set[str] = set()  # files whose records were not committed after all (``_undone``)
        self.file_clocks = FileSystemClocks()
        self._inside: set[Path] = set()  # folders a form was kept in this run: no link out of the workspace on the way

    # --- entry points -----------------------------------------------------------------------
    def run_inbox(self, *, dry_run: bool = False) -> list[Outcome]:
        """Every candidate file in the inbox (and its subfolders), oldest first."""
        inbox = self.ws.inbox
        if not inbox.is_dir():
            setting = "--inbox" if self.ws.chosen_inbox is not None else "lzdocs.toml 的 [inbox] path"
            if inbox.is_file():
                raise ConfigError(f"收件文件夹“{inbox}”是一个文件，不是文件夹",
                                  hint=f"请把这个文件改名或移走，或改写 {setting}")
            raise ConfigError(f"收件文件夹不存在：{inbox}",
                              hint=f"请检查 {setting}，或网络共享是否已连接")
        with self._run():
            return self._run_inbox(inbox, dry_run)

    def _run_inbox(self, inbox: Path, dry_run: bool) -> list[Outcome]:
        self.bind_inbox(dry_run=dry_run)
        if not dry_run:
            self.recover()
        files, ignored = walk(inbox)
        outcomes = [self._ignored(path, reason) for path, reason in ignored]
        take = self.preview if dry_run else self.take_inbox_file
        self._each(files, outcomes, [] if dry_run else [(path, False) for path in files],
                   lambda i: take(files[i]), defer=not dry_run)
        return self._undone([o for o in outcomes if o is not None])

    def run_paths(self, paths: Iterable[Path], *, dry_run: bool = False) -> list[Outcome]:
        """Files and folders given by the user: read from a copy, never moved or changed — except the inbox's own
        files, taken as ``run_inbox`` takes them (``_waiting_in_inbox``). Their claims are kept in the inbox's work
        folder, so the inbox must be this archive's as for ``run_inbox``."""
        with self._run():
            return self._run_paths(paths, dry_run)

    def _run_paths(self, paths: Iterable[Path], dry_run: bool) -> list[Outcome]:
        self.bind_inbox(dry_run=dry_run)
        if not dry_run:
            self.recover()
        files: list[tuple[Path, bool]] = []  # (path, named by the user: a symlink to it is followed)
        outcomes: list[Outcome] = []
        for path in paths:
            path = Path(path)
            if path.is_dir():
                found, ignored = walk(path, skip_own=path.resolve() == self.ws.inbox.resolve())
                outcomes += [self._ignored(p, reason) for p, reason in ignored]
                files += [(p, False) for p in found]
            elif os.path.lexists(path):
                if is_ignored(path.name):
                    outcomes.append(self._ignored(path, None))
                else:
                    files.append((path, True))
            else:
                outcomes.append(Outcome(self._display(path), "failed", problems=[error(NOT_FOUND)]))
        # (the path, as taken: an inbox file by its whole path, claimed where it waits; a link followed or not)
        taken = [(Path(os.path.abspath(path)), False) if self._waiting_in_inbox(path) else (path, named)
                 for path, named in files]

        def take(path: Path, named: bool, as_taken: Path, follow: bool) -> Outcome:
            if dry_run:
                return self.preview(path, follow_symlinks=follow)
            if as_taken is not path:  # by its whole path: a claim puts it back where it was, whatever the folder
                return self.take_inbox_file(as_taken) or self._ignored(path, TAKEN_BY_ANOTHER)
            return self._take_copy(path, named)

        self._each([path for path, _ in files], outcomes, [] if dry_run else taken,
                   lambda i: take(*files[i], *taken[i]))
        return self._undone(outcomes)

    def _each(self, files: list[Path], outcomes: list, taking: list[tuple[Path, bool]],
              take: Callable[[int], Outcome | None], *, defer: bool = True) -> None:
        """A run's loop (``run_inbox``, ``run_paths``): each of ``files`` taken in turn by ``take`` (given its index),
        its outcome added to ``outcomes`` (None: another process took it first); ``taking``: the files to claim and
        read ahead (``_taking``; none in a dry run). ``defer``: a file is taken whole, and said — a Ctrl-C then stops
        the run after it (``_stopping``). A file that cannot be claimed stays where it is and the others go on; the
        database server gone, what was taken is saved and the rest waits where it is (``stopped``)."""
        with self._stopping(outcomes, len(files)) as stop, self._taking(taking):
            for i, path in enumerate(files, 1):
                with stop:
                    interrupts.check()  # between files: a Ctrl-C that was swallowed stops here
                    self.store.flush(older_than=BATCH_SECONDS)
                    self.progress(i, len(files), display_name(path.name))
                    try:
                        with interrupts.deferred() if defer else nullcontext():
                            outcomes.append(self._named(take(i - 1), path))
                    except cl.ClaimFailed as exc:
                        outcomes.append(self._not_taken(path, exc))
                    except StoreError as exc:  # the server gone, the disk full, locked for a minute: the run stops
                        self.stopped = exc  # and says what it took (each file taken is committed or put back)
                        break
                    except (OSError, FileAccessError) as exc:  # the archive's side, for this file: a file where
                        outcomes.append(self._not_kept(path, exc))  # its unit's folder goes, a read-only 退回/, a link
                        # out of the workspace; said, and the others go on
            interrupts.reporting(ALL_TAKEN)  # a Ctrl-C as the run commits and ends its readers: reported after it

    @contextmanager
    def _stopping(self, outcomes: list, files: int):
        """Around a run's loop over its ``files`` (the loop's ``outcomes`` so far, the ignored first): the
        Ctrl-C that comes while a file is taken (the ``with`` of each step) stops the run, not the command. The
        files taken are committed and read ahead no more, as for any error (``_taking``); the run then returns
        their outcomes, and ``interrupted`` says how many files it left — where they were, or (the one cut short
        by a second Ctrl-C) claimed, for the next run to finish. From then on — and from the end of a loop that went
        through every file — Ctrl-C is only noted (``interrupts.reporting``): the command line reports, then ends as
        interrupted. Any other error met as the run unwinds goes on up as itself."""
        step = _Step()
        before = len(outcomes)
        try:
            yield step
        except BaseException as exc:
            if exc is not step.stopped:
                raise
            reached = outcomes[before:]  # (None: a file another process took first)
            self.interrupted = files - len(reached)
            self.saved = sum(o is not None and o.status not in ("ignored", "failed") for o in reached)

    @contextmanager
    def _taking(self, files: list[tuple[Path, bool]]):
        """While the files of a run are taken one by one: the next ones read ahead (``_reading_ahead``), and their
        records committed a few times a second rather than once a file (``Store.batch``; each file's kept copy is
        renamed into place, and its claim let go, once its records are committed)."""
        with self._reading_ahead(files):
            if not files:
                yield
                return
            self._slots = cl.Slots()  # settled claims' folders, for the next claims (claims.Slots)
            try:
                with self.store.batch():
                    yield
            except StoreError as exc:  # the last commit failed: its files went back where they were
                self.stopped = exc
            finally:
                slots, self._slots = self._slots, None
                slots.close()

    def _undone(self, outcomes: list[Outcome]) -> list[Outcome]:
        """The outcomes of files whose records were not committed after all (the database went away as they were):
        back where they were, to be taken again."""
        if not self._put_back:
            return outcomes
        undone, self._put_back = self._put_back, set()
        return [Outcome(o.file, "failed", problems=[error(NOT_COMMITTED)], exact=o.exact) if o.file in undone else o
                for o in outcomes]

    @contextmanager
    def _reading_ahead(self, files: list[tuple[Path, bool]]):
        """While the files of a run are taken one by one, the next ones read ahead in worker processes
        (lzdocs/forms/ahead.py), as many as ``[limits] readers`` says or the cores allow; none for a few files."""
        from lzdocs.forms import ahead

        workers = ahead.workers_for(len(files), ahead.readers_setting(self.ws.settings))
        early, self.early = self.early, None
        if not workers:
            if early is not None:  # started for files that turned out to be too few: ended now, not after the run
                early.close()
            yield
            return
        try:
            self._ahead = ahead.ReadAhead(workers, self.kinds, self.limits, self.soffice_timeout,
                                          self._private_folder(), self.same_as_above, started=early)
        finally:
            if early is not None:  # those it did not take
                early.close()
        stop = True  # unless the run ends as it should: a Ctrl-C does not wait for the workers
        try:
            self._ahead.want([(path, follow, self._split(display_name(path.name))[1]) for path, follow in files])
            yield
            stop = False
        finally:
            ahead_, self._ahead = self._ahead, None
            self.helper = ahead_.close(stop=stop, keep=self.keep_helper and not self.stopped)

    def _waiting_in_inbox(self, path: Path) -> bool:
        """A file waiting in this inbox (not in its 退回/ or a work folder). Named on the command line — the inbox
        itself, a folder in it or the file — it is taken as the inbox takes it, moved rather than copied: a copy
        would leave it to be taken again by the next run or the watcher, and reported 重复."""
        try:
            inside = Path(os.path.realpath(path.parent)).relative_to(os.path.realpath(self.ws.inbox))
        except ValueError:
            return False
        return not any(part.startswith(".") or part in OWN_FOLDERS for part in inside.parts)

    def take_inbox_file(self, path: Path, seen: dt.datetime | None = None) -> Outcome | None:
        """Claim one inbox file by rename and process it; None when another process claimed it first. ``seen``: when
        a watcher first saw the file (it arrived then, or earlier).

        Raises ClaimFailed when the file cannot be taken (no permission, open elsewhere): it stays in the inbox."""
        read = self._before_claim(path)
        claim = cl.claim_by_rename(self.claims_dir, path, self._display(path), self.archive, str(self.ws.root),
                                   self._slots)
        if claim is None:
            return None
        self.crash("claimed")
        return self.process(claim, seen, read=read)

    def _before_claim(self, path: Path) -> Ahead | None:
        """What a worker read of ``path``, if one is reading ahead (``ReadAhead.take``): asked before the claim takes
        the file from where it was read. First the run's batch is committed if the file may take long to read, here
        or by a worker (an old .doc's conversion, a large workbook: seconds; a form, milliseconds), so that the
        archive's write lock is not held meanwhile — before the claim, so that a failure in finishing the files
        committed (``_after_commit``) strands no claim of this one."""
        try:
            slow = path.suffix.lower() not in _QUICK_TO_READ or os.lstat(path).st_size > _QUICK_BYTES
        except OSError:
            slow = True
        if slow:
            self.store.flush()
        return self._ahead.take(path) if self._ahead else None

    def _take_copy(self, path: Path, named: bool) -> Outcome:
        read = self._before_claim(path)
        try:
            claim = cl.claim_by_copy(self.claims_dir, path, self._display(path), self.archive, str(self.ws.root),
                                     follow_symlinks=named, slots=self._slots)
        except NotRegularFile as exc:
            return self._ignored(path, NOT_REGULAR[exc.kind])
        except FileNotFoundError:
            return Outcome(self._display(path), "failed", problems=[error(NOT_FOUND)])
        except OSError as exc:  # unreadable: said for this file, the others go on
            return self._not_taken(path, exc)
        return self.process(claim, stamped_in=path.parent, read=read)

    def preview(self, path: Path, *, follow_symlinks: bool = False) -> Outcome:
        """--dry-run: what would happen, without claiming, storing or moving anything — the form it would replace and
        the quality review's hints included, a copy of a form looked at earlier in the same dry run among them. What it
        would replace is judged against the archive as it is: two forms of one unit in the same dry run are each
        compared with the form the archive holds, not with each other."""
        source = self._display(path)
        try:
            src = open_regular(path, follow_symlinks=follow_symlinks)
        except NotRegularFile as exc:
            return self._ignored(path, NOT_REGULAR[exc.kind])
        with src, self._private_copy(src, path.name) as (copy, sha):
            duplicate = self._duplicate_of(sha)
            arrived = self.arrived(src, path.parent)
            if duplicate and (closed := self._closure(duplicate["year"])) is None:
                return Outcome(source, "duplicate", duplicate["unit"], duplicate["year"], duplicate["filled_date"],
                               problems=[self._duplicate_warning(duplicate)])
            if duplicate:  # a copy kept in a year handed over would change it: returned, as a run does
                return Outcome(source, "rejected", duplicate["unit"], duplicate["year"], problems=[closed],
                               received=arrived, kind=duplicate["kind"])
            checked, problems, unit, year, kind = self._read_and_check(copy, src, display_name(path.name), arrived)
        problems = _undecodable_name(path.name, display_name(path.name)) + problems
        if checked is None:
            return Outcome(source, "rejected", unit, year, problems=problems, received=arrived, kind=kind)
        # what recording it would say: a year handed over, or a year of units merged since (``_process``)
        if (closed := self._closure(checked.year)) is not None:
            return Outcome(source, "rejected", checked.unit, checked.year, received=arrived, kind=checked.kind.key,
                           problems=[closed, *_without_planned(problems, checked)])
        with self.store.read() as conn:
            try:
                unit, found = subs.recorded_under(conn, checked.kind.key, checked.unit, checked.year,
                                                  names=self.roster.recorded_names(checked.unit),
                                                  written=self.roster.bare(checked.written))
            except subs.MergedSince as exc:
                return Outcome(source, "rejected", checked.unit, checked.year,
                               problems=[_merged_since_problem(exc, checked), *problems], received=arrived,
                               kind=checked.kind.key)
        # what it would replace, or be kept behind, as ``add_submission`` settles it
        supersedes = superseded_by = None
        if found:
            current = max(found, key=subs.order_key)
            if subs.replaces({"filled_date": checked.filled_date, "received_at": self.now(), "id": None}, current):
                supersedes = self._label(current["id"])
            else:
                superseded_by = self._label(current["id"])
        if checked.kind.key == "risk":  # the quality review's hints, against the archive and the files before it
            hints, texts = self._quality_hints(checked)
            problems = problems + hints
            if texts is not None:  # the files after it compare with it, as a run's do with it taken
                self._quality[1].add_unstored(unit, texts)
        return Outcome(source, "accepted", unit, checked.year, checked.filled_date, len(checked.rows),
                       supersedes=supersedes, superseded_by=superseded_by, problems=problems, received=arrived,
                       kind=checked.kind.key)

    def _closure(self, year: int) -> Problem | None:
        """What a form (or a copy of one) of ``year`` is returned with while the year is handed over; None when open."""
        with self.store.read() as conn:
            row = years.closure(conn, year)
        return closed_year_problem(YearClosed(year, row["closed_at"], row["package"])) if row is not None else None

    # --- one file ---------------------------------------------------------------------------
    def process(self, claim: Claim, seen: dt.datetime | None = None, stamped_in: Path | None = None, *,
                read: Ahead | None = None) -> Outcome:
        """One claimed file, to the archive or 退回/. ``stamped_in``: the folder the file was written in (an inbox
        file's own, by default), whose clock tells when it arrived; ``read``: what a worker read of it, if one did
        (``ReadAhead.take``)."""
        try:
            try:
                src = open_regular(claim.file)  # once, never following a link: what is read is what is kept
            except NotRegularFile as exc:
                return self._put_back_not_regular(claim, exc.kind)
            with src, self._private_copy(src, claim.original_name, lazy=read is not None) as (copy, sha):
                if stamped_in is None and claim.origin:
                    stamped_in = Path(claim.origin).parent
                arrived = self.arrived(src, stamped_in, seen)
                # kept as is (``_keep``)
                self._made = read.copy(sha, os.fstat(src.fileno()).st_mode) if read is not None else None
                try:
                    outcome = self._process(claim, src, copy, sha, arrived, read and (lambda: read(sha)))
                except _Rewritten:
                    return self._rewritten(claim)
                outcome.received = arrived
                return outcome
        finally:
            self._made = None
            if read is not None:
                read.discard()  # the worker's copy, when it was not kept
            if claim.token not in self._awaiting:  # held until its records are committed (``_settle``)
                claim.let_go()  # on success the claim is gone; on an error recovery may take it up

    def arrived(self, src: BinaryIO, stamped_in: Path | None, seen: dt.datetime | None = None) -> dt.date:
        """The day a form arrived: the clerk's ``--received``, else the earliest of today, a watcher's first sight
        and the day the file was last written (``stamped_in``: the folder whose file system dated it).

        That day is counted back from ``present()`` by the file's age on the clock that dated it — a share's is its
        file server's, which may be hours or years away from this machine's — never by comparing its mtime with
        this machine's clock. A today pinned in the past (``LZDOCS_TODAY``, work done as of an earlier day) moves
        only "today": a file written on 11-20 arrived on 11-20 when the clerk works as of 11-25, and on the pinned
        day when written after it. A file dated after its file system's now, or where no clock can be read, says
        nothing."""
        if self.received is not None:
            return self.received
        days = [self.today] + ([seen.date()] if seen else [])
        try:
            age = self.file_clocks.age(stamped_in, os.fstat(src.fileno()).st_mtime) if stamped_in else None
            if age is not None and age > 0:
                days.append((self.present() - dt.timedelta(seconds=age)).date())
        except (OSError, OverflowError):  # a time that cannot be a day: not believed
            pass
        return min(days)

    def _process(self, claim: Claim, src: BinaryIO, copy: Callable[[], Path] | None, sha: str, arrived: dt.date,
                 read: Callable[[], tuple[RawForm, CheckedRows] | None] | None = None) -> Outcome:
        duplicate = self._duplicate_of(sha)
        if duplicate:
            return self._settle_duplicate(claim, src, sha, duplicate, arrived)
        checked, problems, unit, year, kind = self._read_and_check(copy, src, claim.original_name, arrived, read)
        problems = self._name_problems(claim) + problems
        texts = None  # a risk form's texts as the quality review compares them
        if checked is not None and checked.kind.key == "risk":
            hints, texts = self._quality_hints(checked)
            problems += hints
        base = dict(sha256=sha, received_at=self.now(), arrived_on=arrived, original_name=claim.original_name,
                    source=claim.source, claim=claim.token, problems=_problems_json(problems))
        if checked is None:
            self._returned(unit, year or self.today.year, kind)
            return self._reject(claim, src, base, problems, unit, year, kind)
        folder = self.ws.year_dir(checked.year) / RECEIVED / safe_filename(checked.unit)
        try:
            settled = self._settle(claim, src, (folder, ()), dict(
                base, status="accepted", kind=checked.kind.key, unit=checked.unit, year=checked.year,
                filled_date=checked.filled_date), checked.rows, problems, checked.reviews,
                written=self.roster.bare(checked.written))
        except subs.AlreadyAccepted:  # the same bytes were accepted by another process a moment ago
            cl.unreserve(claim)
            return self._settle_duplicate(claim, src, sha, self._duplicate_of(sha), arrived)
        except subs.MergedSince as exc:  # a year of units merged since, its written name none of theirs
            cl.unreserve(claim)
            problems = [_merged_since_problem(exc, checked), *problems]
            return self._reject(claim, src, dict(base, problems=_problems_json(problems)), problems, checked.unit,
                                checked.year, checked.kind.key)
        except YearClosed as exc:  # its year was handed over (lzdocs archive): back to the sender, saying so —
            problems = _without_planned(problems, checked)
            return self._reject_closed(claim, src, base, problems, exc, checked.unit, checked.kind.key)
        self.touched_years.add(checked.year)
        if texts is not None:  # the next form's review compares with this one without reading it back
            self._quality[1].remember(settled.submission, texts)
        settle_returned(self.ws, self.store, checked.kind.key, settled.unit, checked.year, self.claims_dir)
        return Outcome(claim.source, "accepted", settled.unit, checked.year, checked.filled_date, len(checked.rows),
                       supersedes=self._label(settled.replaced), superseded_by=self._label(settled.superseded_by),
                       stored_as=settled.stored_as, problems=problems, kind=checked.kind.key)

    def _returned(self, unit: str | None, year: int, kind: str) -> None:
        """A form returned, recorded under ``year``: the 报送情况登记表 counts the returns of a roster unit's risk form
        (退回次数, 最近退回原因). Only a register the year already has is rewritten — a mistyped year (2062) makes
        none; a closed year is left out when the registers are rebuilt."""
        if kind == "risk" and unit in self.roster.names and year not in self.returned_years:
            from lzdocs.documents.registers import register_paths

            if register_paths(self.ws, year)["status"].exists():
                self.returned_years.add(year)

    def _has_registers(self, year: int) -> bool:
        """Has ``year`` its 汇总表 already (a late form of last year, taken once this year's forms came: this year's
        变化 sheet and 与上年相同 hints compare with it)? Asked once a run."""
        if year not in self._registers_of:
            from lzdocs.documents.registers import register_paths

            self._registers_of[year] = register_paths(self.ws, year)["risks"].exists()
        return self._registers_of[year]

    def changed_registers(self) -> dict[int, tuple[str, ...] | None]:
        """The registers to rewrite, by year: all of them (None) where a form was taken — by this run, or by one
        killed before it rewrote them (store/pending.py); the 报送情况登记表 alone where forms were only returned —
        it counts each unit's returns and shows the latest reason."""
        from lzdocs.documents.registers import RETURN_BOOKS

        with self.store.read() as conn:
            changes = pending.waiting(conn)
        for year in self.returned_years - changes.keys():
            changes[year] = RETURN_BOOKS
        changes.update(dict.fromkeys(self.touched_years))
        return changes

    def _reject_closed(self, claim: Claim, src: BinaryIO, base: dict, problems: list[Problem], exc: YearClosed,
                       unit: str, kind: str) -> Outcome:
        """A form (or a copy of one) of a year handed over: its reserved names given up, and back to the sender
        saying the year is archived."""
        cl.unreserve(claim)
        problems = [closed_year_problem(exc), *problems]
        log.warning("%s：%s 年度已归档，已退回；确需补收时，先运行 lzdocs archive --reopen %s，再把它从退回文件夹放回"
                    "收件文件夹，收取后重新归档", claim.source, exc.year, exc.year)
        return self._reject(claim, src, dict(base, problems=_problems_json(problems)), problems, unit, exc.year, kind)

    def _reject(self, claim: Claim, src: BinaryIO, base: dict, problems: list[Problem], unit, year, kind) -> Outcome:
        """Record a rejection; a file from the inbox goes to 退回/ with its 错误说明 (a named file stays put)."""
        where = (self.ws.rejected, (EXPLANATION,)) if claim.from_inbox else None
        settled = self._settle(claim, src, where, dict(base, status="rejected", kind=kind, unit=unit,
                                                       year=year or self.today.year), [], problems)
        return Outcome(claim.source, "rejected", unit, year, stored_as=settled.stored_as, problems=problems, kind=kind)

    def _read_and_check(self, copy: Callable[[], Path] | None, src: BinaryIO, name: str, arrived: dt.date,
                        read: Callable[[], tuple[RawForm, CheckedRows] | None] | None = None):
        """(CheckedForm or None, problems, unit, year, form kind) — never raises for a bad file (a file whose kind
        could not be told is a ``risk`` form). ``copy`` gives the private copy of the file ``name`` (``_private_copy``),
        None when it is over the size limit (then only its size is looked at); ``read``: what a worker read of these
        bytes, and its rows as checked, if one did (``ReadAhead.take``)."""
        try:
            if copy is None:
                check_size(os.fstat(src.fileno()).st_size, self.limits)
            found = read() if read else None
            if found is None:
                raw, rows = read_form(copy(), self.kinds, self.limits, soffice_timeout=self.soffice_timeout), None
            else:
                raw, rows = found
                self.read_ahead += 1
            checked = check_form(raw, self.roster, received=arrived, today=self.today,
                                 same_as_above=self.same_as_above, deadline=self.ws.settings.deadline,
                                 closed=self._closed, rows=rows, file_name=name, owed=self._owed)
            if checked.kind.key == REVIEW_KIND:
                self._plan_reviews(checked)
            return checked, checked.problems, checked.unit, checked.year, checked.kind.key
        except RejectedFile as exc:
            return None, exc.problems, exc.unit, exc.year, exc.kind or "risk"
        except _Rewritten:  # written to since it was hashed: not read at all (``process``)
            raise
        except MemoryError:
            return None, [error("文件内容过大，无法读取；请删除多余内容后另存再报送")], None, None, "risk"
        except Exception as exc:  # a reader bug must not strand the file: reject it with the reason logged
            log.error("读取 %s 时出现意外错误（%s），已退回", name, type(exc).__name__, exc_info=True)
            problem = error(f"读取时出现意外错误（{type(exc).__name__}），文件未入库；"
                            "请用 WPS/Word/Excel 打开后另存为 .docx/.xlsx 再报送，或联系管理员")
            return None, [problem], None, None, "risk"

    def _closed(self, year: int) -> bool:
        """Is ``year`` closed by its 归档 package (a late form of it is then this year's: forms/checks.py)."""
        with self.store.read() as conn:
            return years.closure(conn, year) is not None

    def _owed(self, kind: str, unit: str, year: int) -> str | None:
        """Does ``unit`` owe a form of ``kind`` and ``year``: urged for it (a 催报通知 issued, not voided) and none
        taken (OWES) — its form whose title names no year, dated early in the next year, is then that year's (补报:
        forms/checks.py); or urged and its form taken since (SENT: such a form is this year's, with a warning that it
        may be a correction). A unit never urged (None), or an office new to lzdocs in January, sends this year's."""
        from lzdocs.documents.kinds import KINDS
        from lzdocs.documents.letters import reporting_note
        from lzdocs.forms.checks import OWES, SENT
        from lzdocs.store.letters import urged

        if kind != "risk":  # a 催报通知 asks for the risk forms
            return None
        names = self.roster.recorded_names(unit)
        with self.store.read() as conn:
            if not urged(conn, names, KINDS["urge"].name, reporting_note(year)):
                return None
            return OWES if subs.current_for(conn, kind, names, year) is None else SENT

    def _quality_hints(self, checked) -> tuple[list[Problem], list | None]:
        """The quality review's hints on a risk form (提示; dynamics/quality.py), and the form's texts as compared
        (None when the review failed). Never a reason to return the form: a failure of the review is logged and the
        form taken without them."""
        from lzdocs.dynamics.quality import Rules, StoredTexts, ingest_flags, texts_of

        try:
            if getattr(self, "_quality", None) is None:  # once per run: the rules, and the texts of stored forms
                self._quality = (Rules.load(self.ws), StoredTexts())
            rules, stored = self._quality
            texts = texts_of(checked.rows)
            with self.store.read() as conn:
                found = ingest_flags(conn, checked.unit, checked.year, checked.rows, rules, stored, texts,
                                     recorded=self.roster.recorded_names(checked.unit))
            return [f.problem() for f in found], texts
        except Exception as exc:  # hints only: the form is taken all the same
            log.warning("质量审查未完成（%s），表格照常收取", exc)
            return [], None

    def _plan_reviews(self, checked) -> None:
        """A 落实情况 form: the reviews it records, matched to the risk points the unit had on its 检查日期, and its
        warnings."""
        from lzdocs.dynamics import reviews  # (with SQLAlchemy: 0.15 s an ingest of risk forms alone never pays)

        policy = reviews.ReviewPolicy.from_settings(self.ws.settings)
        with self.store.read() as conn:
            points = reviews.current_points(conn, unit=checked.unit, as_of=checked.filled_date)
        checked.reviews, checked.planned = reviews.plan_reviews(checked, points, policy.similarity, self.today)
        checked.problems += checked.planned

    @contextmanager
    def _private_copy(self, src: BinaryIO, name: str, *, lazy: bool = False):
        """(the private copy of the open file for the readers, or None when it is over the size limit; its SHA-256).

        The readers open files by name more than once; a copy in our own temporary folder is one nobody else can
        swap, so what is read, hashed and kept are the same bytes. The copy is given as a function that makes it:
        at once, or ``lazy`` — a worker may have read the file already (``ReadAhead``) — only when first asked for,
        checked then against the hash (``_Rewritten`` when the file has been written to since)."""
        src.seek(0)
        if os.fstat(src.fileno()).st_size > self.limits.max_file_bytes:
            yield None, copy_stream(src, None)
            return
        suffix = self._split(display_name(name))[1]  # the whole extension: readers tell .docx from .doc by it
        made: list[Path] = []
        sha = copy_stream(src, None) if lazy else None

        def copy() -> Path:
            nonlocal sha
            if not made:
                made.append(self._private_folder() / f"form-{uuid.uuid4().hex}{suffix}")
                src.seek(0)
                with open(made[0], "xb") as out:
                    digest = copy_stream(src, out)
                if sha is None:
                    sha = digest
                elif digest != sha:
                    raise _Rewritten
            return made[0]

        try:
            if not lazy:
                copy()
            yield copy, sha
        finally:
            for path in made:
                path.unlink(missing_ok=True)

    def _private_folder(self) -> Path:
        """One private folder per run (not one per file) for the copies the readers read, removed with this Ingest.
        It is in the workspace (.lzdocs/tmp), on the archive's file system, so that a worker's copy can become the
        kept original (``_keep``); where the workspace cannot be written (a dry run on a read-only share), in the
        system's temporary folder. A killed run's goes at the next run's start (``recover``)."""
        if self._tmp is None:
            try:
                self._tmp, lock = private_folder(self.ws.state / PRIVATE, PRIVATE_PREFIX)
                self._tmp_gone = weakref.finalize(self, remove_private, self._tmp, lock)
            except OSError:
                self._tmp = Path(tempfile.mkdtemp(prefix="lzdocs-"))
                self._tmp_gone = weakref.finalize(self, shutil.rmtree, self._tmp, ignore_errors=True)
        return self._tmp

    def _markers(self) -> Markers:
        """The markers of the names reserved in this run (``_settle``), from the empty files of its private folder."""
        folder = self._private_folder()  # a new one for each run
        if self._marker_files is None or self._marker_files.folder != folder:
            self._marker_files = Markers(folder)
        return self._marker_files

    @contextmanager
    def _run(self):
        """A run (``run_inbox``, ``run_paths``): its private folder removed when it ends, not when this Ingest is
        collected."""
        try:
            yield
        finally:
            if self._tmp is not None:
                self._tmp, gone = None, self._tmp_gone
                gone()

    def _settle(self, claim: Claim, src: BinaryIO, where: tuple[Path, tuple[str, ...]] | None, values: dict,
                rows: list[dict], problems: list[Problem], planned: list[dict] = (), *, written: str = "") -> _Settled:
        """Reserve the name → copy → fsync → record (one transaction) → rename → release: the order that survives
        a crash. ``where`` is (folder, companion suffixes) for the kept original, None when nothing is kept.
        ``written``: the unit's name as the form writes it (``add_submission``: a year of units merged since)."""
        if where is not None:
            folder, companions = where
            if folder not in self._inside:  # a link out of the workspace on the way: refused, the file put back
                keep_inside(self.ws.root, folder)
                self._inside.add(folder)
            with interrupts.deferred():  # Ctrl-C waits; after a SIGKILL the marker's links are found and removed
                marker = folder / f".{claim.token}.reserve"
                claim.marker = str(marker)
                claim.save()
                self._markers().create(marker)
                self.crash("after-marker")
                dest = reserve_name(folder, *self._split(claim.original_name), companions=companions, marker=marker)
                self.crash("after-reserve")
                claim.dest, claim.reserved = str(dest), [str(dest), *(f"{dest}{c}" for c in companions)]
                claim.partial = str(folder / f".{claim.token}.part")
                claim.save()
                marker.unlink()
                claim.marker = None
            self.crash("before-copy")
            digest = self._keep(src, Path(claim.partial), values["sha256"])
            self.crash("after-copy")
            if digest != values["sha256"]:  # written to since it was read: what is kept must be what was read
                raise _Rewritten
        stored_as = self._rel(Path(claim.dest)) if claim.dest else None
        # A year handed over takes no form, nor a copy of one kept in its folder (重复报送/).
        closing = values["year"] if values["status"] in ("accepted", "duplicate") else None
        with self.store.begin(year=closing) as conn:
            names = self.roster.recorded_names(values["unit"]) if values["status"] == "accepted" else ()
            new_id, replaced = subs.add_submission(conn, rows=rows, stored_as=stored_as, names=names,
                                                   written=written, **values)
            recorded = subs.get(conn, new_id)  # its unit as recorded: a former unit's, in a year before a merge
            later = recorded["superseded_by"]
            self.store.log(conn, values["status"], claim.original_name, after={
                "submission": new_id, "unit": recorded["unit"], "year": values.get("year"),
                "rows": len(rows), "stored_as": stored_as, "supersedes": replaced, "superseded_by": later})
            if stored_as:  # the manifest (docs/product.md §12.1): the hash of what the copy wrote, not read again
                self._record_kept(conn, claim, stored_as, digest, new_id, values, problems)
            if planned:  # a 落实情况 form: its reviews, in the same transaction
                from lzdocs.dynamics.reviews import record_reviews

                record_reviews(self.store, conn, new_id, planned)
            if values["status"] == "accepted":  # its registers behind until rewritten (store/pending.py)
                pending.mark(conn, values["year"])
                if self._has_registers(values["year"] + 1):  # whose 汇总表 compares with this year's forms
                    from lzdocs.documents.registers import CHANGE_BOOKS

                    pending.mark(conn, values["year"] + 1, CHANGE_BOOKS)
            elif values["year"] in self.returned_years:  # a return the 报送情况登记表 counts
                from lzdocs.documents.registers import RETURN_BOOKS

                pending.mark(conn, values["year"], RETURN_BOOKS)
        self._after_commit(claim, lambda: self._finish(claim, values["status"], problems, values["received_at"]))
        return _Settled(new_id, stored_as, replaced, later, recorded["unit"])

    def _keep(self, src: BinaryIO, partial: Path, sha: str) -> str:
        """The kept original written at ``partial`` (which must not exist), durably; returns the SHA-256 of what is
        there. A worker's copy of the bytes hashed ``sha`` (``Ahead.copy``: written whole and fsynced, with the
        original's permissions) becomes it, by a hard link — no second copy (the claimed file is only hashed again, as a
        copy would hash it: bytes written since the first hash are ``_Rewritten``); elsewhere, or where links cannot be
        made (another file system, FAT), it is copied from the claimed file."""
        made, self._made = self._made, None
        if made is not None and link_file(made, partial):
            made.unlink(missing_ok=True)
            src.seek(0)  # the claimed file as it is now: written to since it was hashed, it must not be let go
            return copy_stream(src, None)
        return copy_durably(src, partial, mode=os.fstat(src.fileno()).st_mode & 0o666)

    def _after_commit(self, claim: Claim, finish: Callable[[], None]) -> None:
        """The claim finished once its records are committed — at once, or with the run's batch (``Store.batch``),
        its lock held until then; if that commit fails, the claim undone: its file back where it was, its reserved
        names given up."""
        def done():
            self._awaiting.discard(claim.token)
            self.crash("after-commit")
            finish()

        def undone():
            self._awaiting.discard(claim.token)
            self._put_back.add(claim.source)
            cl.unreserve(claim)
            self._leave_untaken(claim)

        def left():  # as a killed process leaves it: the next run's recovery finishes it or puts it back
            self._awaiting.discard(claim.token)
            claim.let_go()

        self._awaiting.add(claim.token)
        self.store.after_commit(done, undone, left)

    def _record_kept(self, conn: Connection, claim: Claim, stored_as: str, digest: str, submission: int, values: dict,
                     problems: list[Problem]) -> None:
        """The kept original and, for a returned file, the 错误说明 that ``_finish`` will write beside it."""
        now, role = self.now(), manifest.KEPT_ROLES[values["status"]]
        manifest.record(conn, stored_as, digest, os.stat(claim.partial).st_size, role, now, submission_id=submission)
        if values["status"] == "rejected":
            note = self._explanation(claim, problems, values["received_at"])
            manifest.record(conn, stored_as + EXPLANATION, hashlib.sha256(note).hexdigest(), len(note), "explanation",
                            now, submission_id=submission)

    def _explanation(self, claim: Claim, problems: list[Problem], when: dt.datetime) -> bytes:
        return explanation(claim.original_name, problems, when, contact_line(self.ws.settings)).encode("utf-8-sig")

    def _finish(self, claim: Claim, status: str, problems: list[Problem], when: dt.datetime) -> None:
        """Steps after the commit; idempotent, so recovery can run them again. ``when``: the time the file was
        taken (the 处理时间 of its 错误说明, so that the note written is the one recorded)."""
        if claim.partial and Path(claim.partial).exists():
            os.replace(claim.partial, claim.dest)  # onto the empty file we reserved
            fsync_dir(Path(claim.dest).parent)  # the archived copy is durable before the claim goes
        self.crash("after-rename")
        note = Path(f"{claim.dest}{EXPLANATION}") if status == "rejected" and claim.dest else None
        if note and (not note.exists() or note.stat().st_size == 0):
            write_atomic(note, self._explanation(claim, problems, when))
        cl.release(claim, self._slots)

    def _settle_duplicate(self, claim: Claim, src: BinaryIO, sha: str, first, arrived: dt.date) -> Outcome:
        where = None
        if claim.from_inbox:
            where = (self.ws.year_dir(first["year"]) / RECEIVED / safe_filename(first["unit"]) / DUPLICATES, ())
        problems = [self._duplicate_warning(first)]
        base = dict(sha256=sha, received_at=self.now(), arrived_on=arrived, original_name=claim.original_name,
                    source=claim.source, claim=claim.token)
        try:
            settled = self._settle(claim, src, where, dict(
                base, status="duplicate", kind=first["kind"], unit=first["unit"], year=first["year"],
                filled_date=first["filled_date"], problems=_problems_json(problems)), [], problems)
        except YearClosed as exc:  # a copy kept in a year handed over would change it: back to the sender
            return self._reject_closed(claim, src, base, problems, exc, first["unit"], first["kind"])
        return Outcome(claim.source, "duplicate", first["unit"], first["year"], first["filled_date"],
                       stored_as=settled.stored_as, problems=problems)

    def _rewritten(self, claim: Claim) -> Outcome:
        """A file still being written (a program holding it open saves again) while it was taken: its names given
        up and the file back where it was, to be taken once it is finished."""
        self._leave_untaken(claim)
        log.warning("%s：%s", claim.source, REWRITTEN)
        return Outcome(claim.source, "failed", problems=[error(REWRITTEN)])

    @staticmethod
    def _leave_untaken(claim: Claim) -> None:
        """An inbox file back where it was found; a named file's claim (a copy) let go."""
        if claim.from_inbox:
            cl.put_back(claim)
        else:
            cl.release(claim)

    def _put_back_not_regular(self, claim: Claim, kind: str) -> Outcome:
        """A symlink, FIFO or device that took a file's place between the listing and the claim: it goes back
        untouched and unread (a link's target is never copied anywhere)."""
        self._leave_untaken(claim)
        log.warning("%s：%s", claim.source, NOT_REGULAR[kind])
        return Outcome(claim.source, "ignored", problems=[warning(NOT_REGULAR[kind])])

    # --- whose inbox, whose claims ----------------------------------------------------------
    @property
    def archive(self) -> str:
        """This archive's identity, carried by every claim it makes (lzdocs/ingest/claims.py)."""
        return self.store.archive_id()

    def bind_inbox(self, *, dry_run: bool = False) -> None:
        """Make sure the inbox feeds this archive (lzdocs/ingest/owner.py): ConfigError, nothing taken, when it is
        another archive's or another copy's. ``dry_run``: checked as a run would, nothing written."""
        owner.check(self.ws, self.store, dry_run=dry_run)

    def _owns_inbox(self) -> bool:
        """The inbox is recorded as this archive's. Then a claim of another archive is one of an archive the inbox
        fed before (a deleted lzdocs.db; the record removed to retire it, as the refusal says): put back and taken
        again here, never left in the work folder for good."""
        return owner.owns(self.ws, self.store)

    # --- recovery ---------------------------------------------------------------------------
    def recover(self, *, origin: Path | None = None) -> int:
        """Finish or roll back claims left by a process that died; returns how many there were.

        A claim whose lock a live process holds is left alone: its owner is still working on it; one that
        vanishes while we look was finished by its owner. A claim that cannot be recovered is logged and the
        others go on. With ``origin``, only the claims of that inbox file (a watcher retrying a take that failed
        half-way), and a failure is raised so that the watcher tries again later."""
        if origin is None:  # the copies a killed run was reading (``_private_folder``)
            sweep_private(self.ws.state / PRIVATE, PRIVATE_PREFIX)
        recovered = 0
        for folder in cl.leftovers(self.claims_dir):
            try:
                recovered += self._recover_one(folder, origin)
            except Exception as exc:
                if isinstance(exc, FileNotFoundError) and not folder.exists():
                    continue  # its owner finished it while we looked
                if origin is not None:
                    raise
                known = isinstance(exc, (LzdocsError, OSError))
                log.error("恢复上次中断的收取记录时出错：%s；该文件仍在 %s，其余文件照常处理", _describe(exc), folder,
                          exc_info=not known)
        return recovered

    def _recover_one(self, folder: Path, origin: Path | None) -> int:
        if origin is not None and getattr(Claim.load(folder), "origin", None) != str(origin):
            return 0
        lock = Claim(folder.name, str(folder), "", "", None)
        if not lock.hold():  # a live process (a watcher, another ingest) is working on it
            return 0
        try:  # a claim left as it is (raising) is let go: held by this process (a watcher, lzdocs serve), it would
            return self._recover_held(lock, folder)  # look live to every other process, and to this one's next try
        except BaseException:
            lock.let_go()
            raise

    def _recover_held(self, lock: Claim, folder: Path) -> int:
        """``_recover_one`` of the claim in ``folder``, whose lock ``lock`` holds until it is handed to the claim
        read: finished, put back, or — raising — left as it is, let go."""
        claim = Claim.load(folder) or cl.orphan(folder, self.ws.inbox)  # read only now, with the lock held
        if claim is None or not claim.original_name:  # died before the file moved in: nothing of the user's
            cl.release(lock)
            return 1
        foreign = claim.archive not in (None, self.archive)
        if foreign and not self._owns_inbox():
            lock.let_go()  # another archive's claim (or a copy's), the inbox its: only its database tells how it ended
            log.warning("收件文件夹的工作文件夹里有另一个档案库（或本档案库另一份）未完成的收取（%s），本档案库不处理，"
                        "留在 %s", claim.original_name, folder)
            return 0
        claim._lock, lock._lock = lock._lock, None
        try:
            return self._recover_claim(claim, folder, foreign)
        except BaseException:
            claim.let_go()  # none to let go once released (or its folder kept by ``Slots``, with its lock)
            raise

    def _recover_claim(self, claim: Claim, folder: Path, foreign: bool) -> int:
        """The claim read from ``folder`` (its lock held) finished or put back."""
        claim.folder = str(folder)  # where it is now: a copied inbox's claims name the folder they were copied from
        if claim.origin and not Path(claim.origin).is_relative_to(self.ws.inbox):
            claim.origin = str(self.ws.inbox / Path(claim.origin).name)  # an inbox that is no longer this one's
        if foreign:  # of an archive retired from this inbox: its file is taken again here. What it reserved in
            # another workspace stays there (only its database can tell); in this one (its lzdocs.db deleted or
            # replaced) it would be strays in this archive's folders, and goes
            theirs = [p for p in (claim.dest, claim.partial, claim.marker, *claim.reserved) if p]
            cl.put_back(claim, foreign=not all(Path(p).is_relative_to(self.ws.root) for p in theirs))
            log.info("恢复：%s（原收件档案库未完成的收取）放回收件夹重新处理", claim.original_name)
            return 1
        cl.moved_to(claim, self.ws.root)  # made by a copy of this workspace (or this one, moved): its paths, here
        with self.store.read() as conn:
            decided = subs.by_claim(conn, claim.token)
        if decided is None:
            cl.put_back(claim)
            log.info("恢复：%s 放回收件夹重新处理", claim.original_name)
        else:
            self._keep_as_recorded(claim, decided)
            self._finish(claim, decided["status"], [Problem(**p) for p in json.loads(decided["problems"])],
                         decided["received_at"])
            log.info("恢复：%s 已完成归档", claim.original_name)
        return 1

    def _keep_as_recorded(self, claim: Claim, decided: dict) -> None:
        """Before a committed claim is finished by recovery, its kept copy where its record says (``stored_as``),
        holding the bytes recorded — else the claim's file, the original, would be let go with nothing kept.

        A claim's intent is not fsynced (claims.py): after a power cut it may be gone (``cl.orphan``) or older than
        the reservation, while the record it led to was committed. The names then follow from the record: the kept
        copy at ``stored_as``, written first beside it under the claim's token (``_settle``). Where neither holds the
        recorded bytes and the name is still the empty placeholder reserved (or gone), the copy is made again from
        the claim's file, checked against the recorded hash. Anything else there (a file someone put or changed) is
        never overwritten: the claim stays, with its file, and the error says where."""
        if not decided["stored_as"]:  # nothing kept (a named file's duplicate)
            return
        dest = self.ws.root / decided["stored_as"]
        # The names from the record, always: an older intent may name none, or the names of a reservation given up
        # before the one recorded (the commit refused: a duplicate by then, the year handed over; ``_process``) —
        # the 错误说明 written beside one of those would be beside a name that may be another claim's by now.
        claim.dest, claim.partial = str(dest), str(dest.parent / f".{claim.token}.part")
        partial = Path(claim.partial)
        if partial.exists() and not _size(dest):  # onto the empty file reserved, as ``_finish`` does — never onto
            os.replace(partial, dest)  # a file someone put at that name meanwhile
            fsync_dir(dest.parent)
        size = _size(dest)
        if size and sha256_file(dest) == decided["sha256"]:
            return
        if size:  # the clerk told what to do with that file, never to copy over it (it may be someone's own)
            raise LzdocsError(f"{claim.original_name} 已登记入库，但登记的归档位置 {decided['stored_as']} 上是"
                              f"另一个文件（不是登记的内容），没有覆盖它；原件仍保留在 {claim.folder}",
                              hint="请把该位置上的文件移到别处保存（不要删除），然后重新运行 lzdocs ingest，"
                                   "归档副本会由原件重新复制")
        source = claim.file
        if not source.is_file() or sha256_file(source) != decided["sha256"]:
            raise LzdocsError(f"{claim.original_name} 已登记入库，但归档副本 {decided['stored_as']} 已丢失，"
                              f"工作文件夹 {claim.folder} 中的文件也不是登记的内容，无法重新复制",
                              hint="请不要删除该工作文件夹，运行 lzdocs verify 核对档案后联系管理员")
        partial.unlink(missing_ok=True)  # a torn copy of ours, never fsynced
        copy_durably(source, partial, mode=os.stat(source).st_mode & 0o666)
        os.replace(partial, dest)
        fsync_dir(dest.parent)
        log.warning("恢复：%s 的归档副本在断电中丢失，已由原件重新复制到 %s", claim.original_name, decided["stored_as"])

    # --- small helpers ----------------------------------------------------------------------
    def _duplicate_of(self, sha: str):
        with self.store.read() as conn:
            return subs.accepted_by_hash(conn, sha)

    def _duplicate_warning(self, first) -> Problem:
        """The same bytes again: no need to send them. When that form has since been replaced, sending it again
        does not bring it back — the register shows the newer one — and the sender is told so, and what to do."""
        same = (f"与已收文件《{first['original_name']}》（{first['received_at']:%Y-%m-%d %H:%M} 收到）"
                "内容完全相同，未重复入库")
        if first["superseded_by"] is None:
            return warning(f"{same}；无需重复报送")
        with self.store.read() as conn:
            current = subs.current_for(conn, first["kind"], self.roster.recorded_names(
                self.roster.current(first["unit"])), first["year"])
        if current is None:
            return warning(f"{same}；无需重复报送")
        dated = f"，填表日期 {current['filled_date']:%Y-%m-%d}" if current["filled_date"] else ""
        return warning(f"{same}；但那份表已被后来的《{current['original_name']}》"
                       f"（{current['received_at']:%Y-%m-%d %H:%M} 收到{dated}）替代，现以后者为准，重发旧表不会改回。"
                       "如确要改用这份表的内容，请把填表日期改为当天，另存后再报送")

    def _name_problems(self, claim: Claim) -> list[Problem]:
        """A file name that was not UTF-8 is said and recorded, with its bytes."""
        raw = next((n for n in (Path(claim.origin).name if claim.origin else None, claim.file_name)
                    if n and is_undecodable(n)), None)
        return _undecodable_name(raw, claim.original_name)

    def _label(self, submission: int | None) -> str | None:
        if submission is None:
            return None
        with self.store.read() as conn:
            row = subs.get(conn, submission)
        return row["stored_as"] or row["original_name"]

    @staticmethod
    def _split(name: str) -> tuple[str, str]:
        """(stem, extension) for a kept copy: the extension whole (reserve_name shortens the stem to fit), or none
        when it is not a plain one (``a.b c``: the whole name is the stem)."""
        path = Path(name)
        if not _PLAIN_SUFFIX.fullmatch(path.suffix):
            return safe_filename(name), ""
        return safe_filename(path.stem), path.suffix.lower()

    def _rel(self, path: Path | None) -> str | None:
        return None if path is None else self.ws.relative(path)

    def _display(self, path: Path) -> str:
        """The path as the clerk sees it (workspace-relative; the last part not resolved, it may be a link)."""
        return display_path(self._relative(path))

    def _relative(self, path: Path) -> str:
        """The path workspace-relative, as the system names it (``_display`` shows it)."""
        path = Path(path)
        parent = self.ws.relative(path.parent)
        return path.name if parent == "." else f"{parent}/{path.name}"

    def _named(self, outcome: Outcome | None, path: Path) -> Outcome | None:
        """``outcome`` of the file at ``path``, with the name the system gives it (``Outcome.exact``) when it is shown
        otherwise (``exact_name``): not worked out again for every other file (a link looked for on the way)."""
        if outcome is not None and outcome.exact is None and exact_name(str(path)) is not None:
            outcome.exact = self._relative(path)
        return outcome

    def _ignored(self, path: Path, reason: str | None) -> Outcome:
        return self._named(Outcome(self._display(path), "ignored", problems=[warning(reason)] if reason else []),
                           path)

    def _not_kept(self, path: Path, exc: OSError | FileAccessError) -> Outcome:
        """A file taken that could not be kept — what the system refused is on the archive's side (its unit's folder,
        退回/), the transaction of its records rolled back: its claim finished or, as here, put back where it was at
        once (``recover``), rather than the run stopping with its report unsaid and the file out of sight in the
        inbox's work folder. A claim that cannot be put back now waits there for the next run, as after a crash."""
        try:
            if not self._waiting_in_inbox(path):  # a file given from elsewhere: read from a copy, never moved
                where = "原文件未做改动"
            else:
                self.recover(origin=Path(os.path.abspath(path)))
                where = "文件已放回原处" if os.path.lexists(path) else "下次收取时自动处理"
        except Exception as again:
            log.warning("未能放回 %s：%s", self._display(path), _describe(again))
            where = "文件暂存在收件文件夹的工作文件夹里，下次收取时自动处理，请勿手动移动"
        log.warning("无法归档 %s：%s", self._display(path), _describe(exc))
        return self._named(Outcome(self._display(path), "failed",
                                   problems=[error(f"无法归档：{_describe(exc)}；{where}")]), path)

    def _not_taken(self, path: Path, exc: OSError) -> Outcome:
        log.warning("无法收取 %s：%s", self._display(path), _describe(exc))
        return self._named(Outcome(self._display(path), "failed",
                                   problems=[error(f"无法收取，文件未做改动：{_describe(exc)}")]), path)


def _describe(exc: Exception) -> str:
    """An error in Chinese for the log and the outcome."""
    if isinstance(exc, LzdocsError):
        return str(exc)
    if isinstance(exc, OSError):
        return str(from_os_error(exc))
    return f"{type(exc).__name__}：{exc}"


class _Settled(NamedTuple):
    """The submission recorded, where the kept original went, and the supersession decided in the same
    transaction."""

    submission: int
    stored_as: str | None
    replaced: int | None
    superseded_by: int | None
    unit: str | None = None  # as recorded (``add_submission``: a former unit's name, in a year before a merge)


def _size(path: Path) -> int:
    """The size of the file at ``path``; 0 when there is none (a name reserved and gone: as its empty placeholder)."""
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def _undecodable_name(raw: str | None, shown: str) -> list[Problem]:
    """The warning of a file name ``raw`` that is not UTF-8 (none for one that is, or None), read as ``shown``."""
    if raw is None or not is_undecodable(raw):
        return []
    escaped = repr(os.fsencode(raw))[2:-1]
    log.warning("文件名不是 UTF-8 编码：%s，按“%s”处理", escaped, shown)
    return [warning(f"文件名不是 UTF-8 编码（可能来自 Windows 的压缩包），已识别为“{shown}”", value=escaped)]


def _merged_since_problem(exc: subs.MergedSince, checked) -> Problem:
    """Why a form of a year of units merged since is returned, and what to write instead."""
    label, names = checked.kind.unit.label, "、".join(exc.names)
    written = f"写的是“{checked.written}”" if checked.written else "没有写单位名称"
    return error(f"{exc.unit}由{names}合并而成（units.csv 中它们是{exc.unit}的别名），"
                 f"{exc.year}年度它们各自报送了表格；这份{exc.year}年度的表{label}{written}，不能确定替换哪个单位的表，未收取。"
                 f"请在“{label}”一栏写明原单位名称（{'或'.join(exc.names)}）后重新报送", column=label,
                 value=checked.written or None)


def _without_planned(problems: list[Problem], checked) -> list[Problem]:
    """The problems of a form its closed year returns: without the 落实情况 form's notes of reviews "已记录" (none
    is: the form is not taken)."""
    return [p for p in problems if not any(p is q for q in checked.planned)]


def _problems_json(problems: list[Problem]) -> str:
    """The problems as a submission records them."""
    return json.dumps([p.as_dict() for p in problems], ensure_ascii=False)


_CLOSED = "归档移交，本表没有收取"  # the words of ``closed_year_problem``, by which the unit's note tells it apart


def closed_year_problem(exc: YearClosed) -> Problem:
    """Why a form of a year already handed over (归档) is returned, as its unit reads it: nothing to correct (what
    the office can do is said to the clerk, ``_reject_closed``)."""
    return error(f"{exc.year} 年度的材料已于 {exc.closed_at:%Y-%m-%d} {_CLOSED}；本表无需修改，如确需补报，"
                 "请与纪委办公室联系")


def contact_line(settings: Settings) -> str:
    """Whom a department asks about a returned form: [organisation] office, contact and phone of lzdocs.toml."""
    office = settings.text("organisation", "office").strip() or "纪委办公室"
    who = [f"联系人：{c}" for c in [settings.text("organisation", "contact").strip()] if c]
    who += [f"电话：{c}" for c in [settings.text("organisation", "phone").strip()] if c]
    return f"如有疑问，请联系{office}" + (f"（{'，'.join(who)}）" if who else "") + "。"


def explanation(name: str, problems: list[Problem], when: dt.datetime,
                contact: str = "如有疑问，请联系纪委办公室。") -> str:
    """The 错误说明.txt a clerk opens beside a returned file (CRLF, for Notepad): rows named as the department sees
    them (the table row and its 序号), and whom to ask."""
    errors = [p for p in problems if p.severity == "error"]
    notes = [p for p in problems if p.severity != "error"]
    closed = bool(errors) and all(_CLOSED in p.message for p in errors)  # the year is archived: nothing to correct
    lines = [f"文件：{name}", f"处理时间：{when:%Y-%m-%d %H:%M}", "处理结果：退回，未入库", "",
             "该年度材料已归档，本表没有收取：" if closed else "存在以下问题，请修改后重新报送（放回收件文件夹即可）："]
    lines += [f"{i}. {p.describe()}" for i, p in enumerate(errors, 1)]
    if notes:
        lines += ["", "另有以下提醒（不影响收取）："]
        lines += [f"{i}. {p.describe()}" for i, p in enumerate(notes, 1)]
    lines += ["", contact, ""]
    return "\r\n".join(lines)

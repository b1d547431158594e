"""The one ingest worker: stable files one at a time through ``Ingest.take_inbox_file``; registers after a burst."""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lzdocs.clock import Clock
from lzdocs.errors import ConfigError, LzdocsError, describe_os_error
from lzdocs.fsutil import display_name
from lzdocs.ingest import Ingest, Outcome
from lzdocs.store.db import DatabaseReplaced, DatabaseUnavailable
from lzdocs.watch.scanner import stat_sig
from lzdocs.watch.tracker import Sig

if TYPE_CHECKING:
    from lzdocs.workspace import Workspace

log = logging.getLogger("lzdocs.watch")

TAKEN, GONE, CHANGED, FAILED = "taken", "gone", "changed", "failed"


RECOVERY = object()  # a job that asks the worker to finish claims an outage left behind
DATABASE_PROBE = 3.0  # seconds between tries while the database server is away


@dataclass(frozen=True)
class Job:
    path: str
    sig: Sig  # what the tracker saw hold still; a file that differs now is not taken
    first_seen: float | None = None  # when the watcher first saw the file (monotonic): the form arrived then


@dataclass(frozen=True)
class Result:
    path: str
    kind: str  # taken | gone | changed | failed
    outcome: Outcome | None = None


class IngestWorker(threading.Thread):
    """Owns the database connection; the observer and the main loop never ingest.

    ``open_store()`` runs in this thread; ``on_burst_end(store, changes) -> files written`` rebuilds the registers
    a burst changed (``changes``: its ``Ingest.changed_registers()``) once the burst has been quiet for ``quiet``
    seconds (or has run for ``max_burst`` seconds without a pause); ``on_new_day(store, day) -> files written``
    brings the registers to a new day (their 统计日期, what has become overdue) at the first quiet moment of it.
    """

    def __init__(self, ws: Workspace, open_store: Callable, *,
                 on_burst_end: Callable[[object, dict], list] | None = None, quiet: float = 3.0,
                 max_burst: float = 60.0, claim_retry: float = 5.0, ingest_class=Ingest,
                 clock: Callable[[], float] = time.monotonic,
                 dates: Clock | None = None, on_new_day: Callable[[object, dt.date], list] | None = None):
        super().__init__(name="lzdocs-ingest", daemon=True)
        self.ws, self.open_store = ws, open_store
        self.report: Callable[[Result], None] = lambda result: None  # set by the Watcher
        self.on_burst_end = on_burst_end or (lambda store, changes: [])
        self.on_new_day = on_new_day or (lambda store, day: [])
        self._day: dt.date | None = None  # the day the registers were last brought to (the start's)
        self.quiet, self.max_burst, self.claim_retry = quiet, max_burst, claim_retry
        self.ingest_class, self.clock = ingest_class, clock
        self.dates = dates or Clock()  # the calendar (today, received_at); ``clock`` measures durations
        self.jobs: queue.Queue[Job | None] = queue.Queue()
        self.ready = threading.Event()
        self.start_error: BaseException | None = None
        self.fatal: LzdocsError | None = None  # why the worker stopped on its own (the database file went)
        self.counts = {"accepted": 0, "rejected": 0, "duplicate": 0}
        self.recent: deque[Outcome] = deque(maxlen=100)  # the latest outcomes, for the demo and for tests
        self._stopping = threading.Event()
        self._stranded: dict[str, tuple[float, float]] = {}  # inbox path → (next attempt, delay): claim left over
        self._burst: Ingest | None = None
        self._burst_started = self._last_file = 0.0
        self.store = None  # opened by the thread itself (``open_store``)

    # --- control (other threads) ----------------------------------------------------------------
    def submit(self, job: Job) -> None:
        self.jobs.put(job)

    def request_recovery(self) -> None:
        """Finish or roll back claims left in the inbox's work folder (after an outage of the share), in turn."""
        self.jobs.put(RECOVERY)

    def finish_current(self) -> None:
        """Take no further file after the one in hand (safe from a signal handler: only sets an event)."""
        self._stopping.set()

    def stop(self) -> None:
        """Finish the file in hand, then end: queued files stay in the inbox for the next run."""
        self._stopping.set()
        self.jobs.put(None)

    # --- the thread -----------------------------------------------------------------------------
    def run(self) -> None:
        try:
            opened = self._open()
        except BaseException as exc:  # reported by the main thread, which exits with the message
            self.start_error = exc
            opened = False
        if not opened:  # failed, or stopped while waiting for the database server
            if self.store is not None:
                self.store.close()
            self.ready.set()
            return
        self._day = self.dates.today()
        self.ready.set()
        try:
            self._loop()
        except (DatabaseReplaced, ConfigError) as exc:  # never write into a deleted database, nor for another
            self.fatal = exc  # archive (its inbox): logged and raised by the main loop
        except Exception:  # the main loop sees the thread gone and stops the watcher with exit code 1
            log.error("收取线程意外退出：%s", traceback.format_exc())
        finally:
            self._end_burst()
            self.store.close()

    def _open(self) -> bool:
        """Open the archive and finish what a previous run left in the inbox's work folder. A database server that
        is not there yet — the watcher started at boot before it, or during its restart — is waited for as during
        a run, instead of ending the watcher (a service manager would not start it again: docs/watch.md). False
        when stopped while waiting."""
        while True:
            try:
                if self.store is None:
                    self.store = self.open_store()
                ingest = self._ingest()
                ingest.bind_inbox()  # another archive's inbox: refused before anything is taken
                found = ingest.recover()
                behind = ingest.changed_registers()
            except DatabaseUnavailable as exc:
                if not self._wait_for_database(exc):
                    return False
                continue
            if found:
                log.info("启动恢复：处理了上次中断时留下的 %d 个文件", found)
            if behind:  # forms a run killed before its registers took: rewritten as a burst's, once it is quiet
                log.info("上次收取后登记簿没有更新完（%s 年），稍后更新", "、".join(str(y) for y in sorted(behind)))
                self._burst, self._burst_started = ingest, self.clock()
                self._last_file = self._burst_started  # the inbox's waiting files join it first
            return True

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                job = self.jobs.get(timeout=self._timeout())
            except queue.Empty:
                job = None
            if self._stopping.is_set():
                break
            if job is RECOVERY:
                self._recover_claims()
            elif job is not None:
                try:
                    self._take(job)
                except (DatabaseReplaced, ConfigError):  # the archive gone, or the inbox another's: stop
                    self.report(Result(job.path, FAILED))
                    raise
                except Exception:  # a bug must not kill the only worker: the file stays put, tried again later
                    log.error("处理 %s 时出现意外错误：%s", _name(job.path), traceback.format_exc())
                    self.report(Result(job.path, FAILED))
            now = self.clock()
            if self._burst is not None and (now - self._last_file >= self.quiet and self.jobs.empty()
                                            or now - self._burst_started >= self.max_burst):
                self._end_burst()
            if self._burst is None and self.jobs.empty():
                self._new_day()
            self._recover_stranded(now)

    def _new_day(self) -> None:
        """A watcher runs for months: on a day after the last one (never for a clock set back), the registers are
        brought to it — nothing else rewrites them on a quiet day, and the 预警处置台账 would go on saying 未到期."""
        day = self.dates.today()
        if self._day is None or day <= self._day:
            return
        self._day = day
        try:
            written = self.on_new_day(self.store, day)
        except Exception:
            log.error("新的一天更新登记簿失败（下次收取或运行 lzdocs register 时重新生成）：%s", traceback.format_exc())
        else:
            if written:
                log.info("新的一天（%s）：已更新登记簿的统计日期和逾期情况（%d 个文件）", day.isoformat(), len(written))

    def _recover_claims(self) -> None:
        try:
            found = self._ingest().recover()
        except DatabaseReplaced:
            raise
        except Exception as exc:  # tried again after the next outage, and at every start
            log.warning("恢复上次中断留下的文件暂未成功（%s），稍后再试", exc)
            return
        if found:
            log.info("恢复：处理了中断时留下的 %d 个文件", found)

    def _timeout(self) -> float:
        now = self.clock()
        waits = [60.0] + [at - now for at, _ in self._stranded.values()]
        if self._burst is not None:
            waits.append(self.quiet - (now - self._last_file))
        return max(0.05, min(waits))

    def _burst_ingest(self) -> Ingest:
        if self._burst is None:  # a fresh Ingest per burst: today's date and the roster as they are now
            self._burst = self._ingest()
            self._burst_started = self.clock()
        return self._burst

    def _take(self, job: Job) -> None:
        try:
            sig = stat_sig(job.path)
        except OSError as exc:
            log.warning("暂时无法读取 %s：%s，稍后重试", _name(job.path), describe_os_error(exc))
            return self.report(Result(job.path, FAILED))
        if sig is None:
            return self.report(Result(job.path, GONE))
        if sig != job.sig:
            return self.report(Result(job.path, CHANGED))
        try:
            ingest = self._burst_ingest()
            ingest.bind_inbox()  # still this archive's inbox, for each file (ConfigError: the watcher stops, exit 2)
            outcome = ingest.take_inbox_file(Path(job.path), self._seen_at(job))
        except (DatabaseReplaced, ConfigError):
            raise
        except DatabaseUnavailable as exc:  # the server restarted or the network dropped: wait, then go on
            if self._wait_for_database(exc) and self._put_back(job.path):
                return self.report(Result(job.path, CHANGED))  # looked at again at once
            self._failed(job.path, exc)
            return self.report(Result(job.path, FAILED))
        except Exception as exc:
            self._failed(job.path, exc)
            return self.report(Result(job.path, FAILED))
        finally:
            self._last_file = self.clock()
        if outcome is None:
            log.info("%s 已被另一个进程收取", _name(job.path))
            return self.report(Result(job.path, GONE))
        self.counts[outcome.status] = self.counts.get(outcome.status, 0) + 1
        self.recent.append(outcome)
        log.log(logging.WARNING if outcome.status == "rejected" else logging.INFO, describe_outcome(outcome))
        self.report(Result(job.path, TAKEN, outcome))

    def _wait_for_database(self, exc: DatabaseUnavailable) -> bool:
        """Hold every file until the database answers again (checked every few seconds); False if stopped first.
        The files stay where they are meanwhile: nothing is taken while nothing can be recorded."""
        log.warning("%s；暂停收取，等待数据库恢复（收件文件都留在原处）", exc)
        waited = said = self.clock()
        while not self._stopping.wait(DATABASE_PROBE):
            if self._database_answers():
                log.info("数据库已恢复（等了 %d 秒），继续收取", round(self.clock() - waited))
                return True
            if self.clock() - said >= 600:  # a long outage is said again now and then, as for the share's
                said = self.clock()
                log.warning("仍在等待数据库恢复（已等 %d 分钟）：%s", round((said - waited) / 60), exc.message)
        return False

    def _database_answers(self) -> bool:
        try:
            if self.store is None:  # not opened yet: the watcher started while the server was away
                self.store = self.open_store()
            with self.store.read() as conn:
                conn.exec_driver_sql("SELECT 1")
        except DatabaseUnavailable:
            return False
        except LzdocsError:  # opening failed for another reason: the next attempt to open says it and ends
            return self.store is None
        return True

    def _put_back(self, path: str) -> bool:
        """After a take cut off by the database: its claim finished or the file put back in the inbox."""
        try:
            self._ingest().recover(origin=Path(path))
        except Exception as exc:
            log.warning("恢复 %s 暂未成功（%s），稍后再试", _name(path), exc)
            return False
        return True

    def _seen_at(self, job: Job) -> dt.datetime | None:
        """The calendar time the watcher first saw the file (a monotonic duration back from now)."""
        if job.first_seen is None:
            return None
        waited = self.clock() - job.first_seen
        return self.dates.now() - dt.timedelta(seconds=waited) if 0 <= waited < 366 * 86400 else None

    def _failed(self, path: str, exc: Exception) -> None:
        if isinstance(exc, OSError):
            log.error("收取 %s 时出错：%s；文件未丢失，稍后重试", _name(path), describe_os_error(exc))
        elif isinstance(exc, LzdocsError):  # the database locked for a minute, read-only, full: said, not a bug
            log.error("收取 %s 时出错：%s。文件未丢失，稍后重试", _name(path), exc)
        else:
            log.error("收取 %s 时出现意外错误，文件未丢失，稍后重试：%s", _name(path), traceback.format_exc())
        self._stranded[path] = (self.clock() + self.claim_retry, self.claim_retry)

    def _recover_stranded(self, now: float) -> None:
        """A take that failed half-way may have left its claim: finish it or put the file back, with back-off."""
        for path, (at, delay) in list(self._stranded.items()):
            if now < at:
                continue
            try:
                self._ingest().recover(origin=Path(path))
            except Exception as exc:
                delay = min(2 * delay, 60.0) or self.claim_retry
                log.warning("恢复 %s 暂未成功（%s），%d 秒后再试", _name(path), exc, delay)
                self._stranded[path] = (now + delay, delay)
            else:
                del self._stranded[path]

    def _ingest(self) -> Ingest:
        """A new Ingest dated today (a watcher runs for months)."""
        return self.ingest_class(self.ws, self.store, today=self.dates.today(), now=self.dates.now,
                                 present=self.dates.present)

    def _end_burst(self) -> None:
        burst, self._burst = self._burst, None
        if burst is None:
            return
        try:
            changes = burst.changed_registers()
            if not changes:
                return
            years = "、".join(str(y) for y in sorted(changes))
            written = self.on_burst_end(self.store, changes)
        except Exception:
            log.error("更新登记簿失败（收取的文件已入库，下次收取或运行 lzdocs register 时重新生成）：%s",
                      traceback.format_exc())
        else:
            if written:
                log.info("已更新 %s 年登记簿（%d 个文件）", years, len(written))


def _name(path: str) -> str:
    return display_name(Path(path).name)


def describe_outcome(o: Outcome) -> str:
    """One Chinese log line per file: what came in and what became of it."""
    if o.status == "accepted":
        text = f"收取：{o.file} → {o.unit}，{o.year} 年，{o.rows} 个风险点，存为 {o.stored_as}"
        if o.supersedes:
            text += f"（替换此前报送的 {o.supersedes}）"
        if o.superseded_on_arrival:
            text += f"（填表日期早于已收的 {o.superseded_by}，直接存入历史记录，登记簿仍以后者为准）"
        warnings = len(o.problems)
        return text + (f"；另有 {warnings} 条提醒" if warnings else "")
    if o.status == "duplicate":
        return f"重复：{o.file} 与已收文件内容相同，未重复入库，存为 {o.stored_as}"
    if o.status == "ignored":
        return f"忽略：{o.file} —— {o.problems[0].message if o.problems else '临时或锁定文件'}"
    errors = o.errors
    first = errors[0].describe() if errors else "未通过检查"
    more = f"（共 {len(errors)} 个问题）" if len(errors) > 1 else ""
    return f"退回：{o.file} —— {first}{more}；已移到 {o.stored_as}，见同名 .错误说明.txt"

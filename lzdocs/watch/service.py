"""The watcher's main loop: listings and hints feed the stability tracker; stable, whole files go to the worker."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from lzdocs.errors import ConfigError, LzdocsError, describe_os_error
from lzdocs.fsutil import display_name
from lzdocs.watch.mounts import placement
from lzdocs.watch.scanner import ShareUnavailable, is_complete, root_identity, scan, stat_sig
from lzdocs.watch.tracker import Sig, StabilityTracker
from lzdocs.watch.worker import CHANGED, FAILED, IngestWorker, Job, Result

if TYPE_CHECKING:
    from collections.abc import Callable

    from lzdocs.settings import Settings

log = logging.getLogger("lzdocs.watch")

NATIVE, POLLING = "native", "polling"
MODE_NAMES = {NATIVE: "本地文件事件", POLLING: "轮询"}


class WatcherFailed(LzdocsError):
    """The watcher cannot go on (its worker died): exit 1 so that a service manager restarts it."""

    exit_code = 1


@dataclass(frozen=True)
class WatchOptions:
    mode: str  # native | polling
    interval: float = 5.0  # polling: seconds between listings of the whole tree
    stable: float = 5.0  # size and mtime unchanged this long (local monotonic clock) before a file is taken
    native_rescan: float = 60.0  # native mode: a full listing this often anyway, as a safety net
    probe: float = 2.0  # native mode: how often the inbox folder itself is checked (outage, replaced)
    quick: float = 0.5  # files still settling are looked at this often; polling also checks the inbox's own mtime
    quiet: float = 3.0  # registers are rebuilt once a burst has been quiet this long
    incomplete_timeout: float = 60.0  # a file stable but never whole is handed over (and rejected) after this
    reason: str = ""  # why this mode, for the log

    @property
    def rescan(self) -> float:
        return self.interval if self.mode == POLLING else self.native_rescan


def _seconds(value, name: str) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0 < seconds <= 86400:
        raise ConfigError(f"{name} 的值“{value}”不是有效的秒数", hint="请写一个大于 0 的数字，如 5")
    return seconds


def resolve_options(settings: Settings, inbox: Path, *, mode: str | None = None, interval: float | None = None,
                    stable: float | None = None, where=placement) -> WatchOptions:
    """Flags over lzdocs.toml [watch] over defaults; ``auto`` polls when the inbox is on a network share."""
    configured = str(settings.get("watch", "mode", "auto") or "auto").strip().lower()
    if configured not in ("auto", NATIVE, POLLING):
        raise ConfigError(f"lzdocs.toml 中 [watch] mode 的值“{configured}”无效", hint="请写 auto、native 或 polling")
    interval = _seconds(settings.get("watch", "interval", 5) if interval is None else interval, "轮询间隔（interval）")
    stable = _seconds(settings.get("watch", "stable", 5) if stable is None else stable, "稳定时间（stable）")
    incomplete = _seconds(settings.get("watch", "incomplete_timeout", 60), "[watch] incomplete_timeout")
    if mode:
        reason = "命令行指定"
    elif configured != "auto":
        mode, reason = configured, "lzdocs.toml 指定"
    elif not inbox.is_dir():
        mode, reason = POLLING, "收件文件夹暂时不存在，无法判断所在位置，使用轮询"
    else:
        where_ = where(inbox)
        mode, reason = (POLLING if where_.network else NATIVE), where_.detail
    return WatchOptions(mode, interval=interval, stable=stable, incomplete_timeout=incomplete, reason=reason)


class Outage:
    """The inbox cannot be reached: log in Chinese, back off 1 s → 30 s, say when it is back."""

    def __init__(self, clock: Callable[[], float], *, first: float = 1.0, cap: float = 30.0, remind: float = 600.0):
        self.clock, self.first, self.cap, self.remind = clock, first, cap, remind
        self.since: float | None = None
        self.delay = 0.0
        self._logged = 0.0

    @property
    def active(self) -> bool:
        return self.since is not None

    def failed(self, why: str) -> float:
        now = self.clock()
        if self.since is None:
            self.since, self.delay, self._logged = now, self.first, now
            log.warning("收件文件夹无法访问：%s。已收到的文件不受影响，不会当作被删除；%d 秒后重试", why, self.delay)
            return self.delay
        grew = self.delay < self.cap
        self.delay = min(self.delay * 2, self.cap)
        if grew or now - self._logged >= self.remind:
            self._logged = now
            log.warning("收件文件夹仍无法访问（已 %d 秒）：%s；%d 秒后重试", now - self.since, why, self.delay)
        return self.delay

    def ok(self) -> bool:
        """The folder answers again; True when that ends an outage."""
        ended = self.since is not None
        if ended:
            log.info("收件文件夹已恢复访问（中断约 %d 秒），继续监视", self.clock() - self.since)
        self.since = None
        return ended


class Watcher:
    """Runs until ``stop()``: finds files, waits until they hold still and are whole, hands them over."""

    def __init__(self, inbox: Path, options: WatchOptions, worker: IngestWorker, *,
                 clock: Callable[[], float] = time.monotonic, observer_class=None):
        self.inbox, self.options, self.worker, self.clock = Path(inbox), options, worker, clock
        self.tracker = StabilityTracker(options.stable, incomplete_timeout=options.incomplete_timeout)
        self.outage = Outage(clock)
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self._files: deque[str] = deque()  # nudged by events (observer thread)
        self._folders = threading.Event()  # a folder event: list the tree soon
        self._results: deque[Result] = deque()  # from the worker thread
        self.native = None
        if options.mode == NATIVE:  # watchdog loads only here: polling (network shares) never needs it
            from lzdocs.watch.native import NativeObserver

            self.native = NativeObserver(self.inbox, self._nudge, observer_class=observer_class)
        self.next_scan = self.next_probe = self.next_quick = 0.0
        self._special: set[str] = set()  # not-regular entries already reported
        self.root_mtime: int | None = None  # the inbox folder's mtime at the last listing (polling)
        worker.report = self._report  # results come back to this loop, the tracker's only owner

    # --- called from other threads --------------------------------------------------------------
    def _nudge(self, path: str, is_dir: bool) -> None:
        if is_dir:
            self._folders.set()
        else:
            self._files.append(path)
        self.wake.set()

    def _report(self, result: Result) -> None:
        self._results.append(result)
        self.wake.set()

    # --- the loop -------------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask the loop to end (from a signal handler or another thread): the file in hand is finished first,
        nothing further is started."""
        self.stopping.set()  # first: a worker that ends on finish_current() finds the watcher stopping
        self.worker.finish_current()
        self.wake.set()

    def run(self) -> None:
        self.worker.start()
        while not self.worker.ready.wait(0.5):  # in turns: on Windows a wait without end ignores Ctrl-C
            pass
        if self.worker.start_error is not None:
            raise self.worker.start_error
        if self.stopping.is_set():  # stopped while the worker waited for the database server
            return self.shutdown()
        o = self.options
        log.info("开始监视 %s：%s（%s），稳定时间 %g 秒%s", self.inbox, MODE_NAMES[o.mode], o.reason, o.stable,
                 f"，轮询间隔 {o.interval:g} 秒" if o.mode == POLLING else f"，每 {o.native_rescan:g} 秒全面检查一次")
        try:
            while not self.stopping.is_set():
                if not self.worker.is_alive():
                    if self.worker.fatal is not None:
                        raise self.worker.fatal
                    raise WatcherFailed("收取线程意外退出（原因见日志），lzdocs watch 停止运行",
                                        hint="服务管理器会重新启动它；收件文件夹里的文件不受影响")
                self.step()
                self._sleep()
        except LzdocsError as exc:  # a reason in Chinese: one line, no traceback
            log.error("lzdocs watch 停止运行：%s", exc)
            raise
        except Exception:
            log.exception("监视出错，lzdocs watch 停止运行；未处理完的文件下次启动时恢复")
            raise
        finally:
            self.shutdown()

    def step(self) -> None:
        """One turn: results, folder health, listings, hints, due files."""
        now = self.clock()
        self._apply_results(now)
        if self.native is not None and (now >= self.next_probe or self._folders.is_set()):
            self._probe(now)
        if self.outage.active and now < self.next_scan:
            return
        if now >= self.next_quick:
            self._quick(now)
        if now >= self.next_scan or self._folders.is_set():
            self._folders.clear()
            self._full_scan(now, covered=len(self._files))
            if self.outage.active:
                return
        self._apply_nudges(now)
        self._check_due(now)

    def _sleep(self) -> None:
        due = self.tracker.next_check()
        quick = self.next_quick if self.native is None or self.tracker.pending else float("inf")
        deadline = min(self.next_scan, self.next_probe if self.native else float("inf"), quick,
                       float("inf") if due is None else due)
        self.wake.wait(max(0.0, min(deadline - self.clock(), 5.0)))
        self.wake.clear()

    def shutdown(self) -> None:
        log.info("正在停止：完成手头的文件后退出")
        self.worker.stop()
        if self.native is not None:
            self.native.stop()
        self.worker.join()
        c = self.worker.counts
        log.info("已停止。本次共收取 %d 份，退回 %d 份，重复 %d 份", c["accepted"], c["rejected"], c["duplicate"])

    # --- the inbox folder -------------------------------------------------------------------------
    def _probe(self, now: float) -> None:
        """Native mode: is the folder there, and does a live observer watch this very folder?"""
        try:
            identity = root_identity(self.inbox)
        except OSError as exc:
            self.next_probe = self.next_scan = now + self.outage.failed(describe_os_error(exc))
            return
        self.next_probe = now + self.options.probe
        try:
            if self.native.ensure(identity):
                self.next_scan = now  # catch up on whatever happened while nobody listened
        except OSError as exc:
            log.warning("无法启动本地文件事件监视（%s），改用轮询，间隔 %g 秒", describe_os_error(exc),
                        self.options.interval)
            self.native.stop()
            self.native = None
            self.options = replace(self.options, mode=POLLING)
            self.next_scan = now

    def _quick(self, now: float) -> None:
        """Between listings: files still settling get a fresh stat, so the window starts right after their last
        write; when polling, a change of the inbox folder's own mtime (a file added or renamed there) lists now."""
        self.next_quick = now + self.options.quick
        if self.native is None:
            try:
                mtime = os.stat(self.inbox).st_mtime_ns
            except OSError:
                mtime = None
            if mtime is None or mtime != self.root_mtime:
                self.next_scan = now
        if self.tracker.pending:
            self._look(sorted(self.tracker.pending), now)

    def _full_scan(self, now: float, covered: int = 0) -> None:
        """List the whole tree; ``covered`` hints that arrived before the listing began are settled by it."""
        try:
            self.root_mtime = os.stat(self.inbox).st_mtime_ns
        except OSError:
            self.root_mtime = None
        try:
            listing = scan(self.inbox)
        except ShareUnavailable as exc:
            self.next_scan = now + self.outage.failed(str(exc))
            if self.native is not None:
                self.next_probe = self.next_scan
            return
        if self.outage.ok():  # a take the outage cut short (its claim could not be released) is finished now
            self.worker.request_recovery()
        self.next_scan = now + self.options.rescan
        ready = [p for p, sig in listing.files.items() if self.tracker.observe(p, sig, now)]
        self.tracker.reconcile(listing.files, listing.unreadable)
        self._report_special(listing.special)
        for _ in range(covered):
            self._files.popleft()
        self._hand_over(ready, listing.files, now)

    def _report_special(self, special: dict[str, str]) -> None:
        """Symlinks, FIFOs and devices in the inbox: said once each in the log (已忽略 and why), never read."""
        for path in special.keys() - self._special:
            log.warning("%s：%s", display_name(os.path.relpath(path, self.inbox)), special[path])
        self._special = set(special)

    # --- single files -----------------------------------------------------------------------------
    def _look(self, paths, now: float) -> None:
        ready, sigs = [], {}
        for path in paths:
            try:
                sig = stat_sig(path)
            except OSError:
                self.tracker.later(path, now + 5.0)
                continue
            if sig is None:
                if self.inbox.is_dir():  # the file went, not the share
                    self.tracker.vanished(path)
                continue
            sigs[path] = sig
            if self.tracker.observe(path, sig, now):
                ready.append(path)
        self._hand_over(ready, sigs, now)

    def _apply_nudges(self, now: float) -> None:
        paths = set()
        while self._files:
            paths.add(self._files.popleft())
        if paths:
            self._look(sorted(paths), now)

    def _check_due(self, now: float) -> None:
        due = self.tracker.due(now)
        if due:
            self._look(due, now)

    def _hand_over(self, ready: list[str], sigs: dict[str, Sig], now: float) -> None:
        """Stable files that open whole go to the worker, oldest first; others wait (up to a limit)."""
        for path in sorted(ready, key=lambda p: (sigs[p][1], p)):
            if not is_complete(path):
                if not self.tracker.incomplete(path, now):
                    log.debug("%s 大小已稳定但文件尚不完整，继续等待", display_name(Path(path).name))
                    continue
                log.warning("%s 已有 %g 秒没有变化，但仍不是完整的文件，按损坏文件交给收取流程",
                            display_name(Path(path).name), self.options.incomplete_timeout)
            self.tracker.queued(path)
            self.worker.submit(Job(path, sigs[path], self.tracker.entries[path].first_seen))

    def _apply_results(self, now: float) -> None:
        again = []
        while self._results:
            result = self._results.popleft()
            if result.kind == FAILED:
                delay = self.tracker.failed(result.path, now)
                log.info("%s 将在 %d 秒后重试", display_name(Path(result.path).name), delay)
                continue
            self.tracker.finished(result.path)
            if result.kind == CHANGED:
                again.append(result.path)
        if again:
            self._look(again, now)

"""Running as a service: one watcher per inbox (lock + pid), Chinese logs (console, rotating file), signals."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import logging.handlers
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout

from lzdocs.clock import Clock
from lzdocs.errors import LzdocsError
from lzdocs.fsutil import write_atomic
from lzdocs.interrupts import on_stop_signals

if TYPE_CHECKING:
    from lzdocs.workspace import Workspace

LOG_NAME = "watch.log"
LEVEL_NAMES = {logging.DEBUG: "调试", logging.INFO: "信息", logging.WARNING: "警告", logging.ERROR: "错误",
               logging.CRITICAL: "严重"}


class AlreadyWatching(LzdocsError):
    """Another ``lzdocs watch`` holds this inbox (exit code 2)."""


def _stem(ws: Workspace) -> str:
    """``watch`` for the inbox of lzdocs.toml, ``watch-<hash>`` for another (``--inbox``): the names of its lock, pid
    and log files in ``.lzdocs/``. Both sides resolved, so two spellings of one folder are one watcher."""
    if ws.chosen_inbox is None:
        return "watch"
    inbox = _resolved(ws.inbox)
    try:
        if inbox == _resolved(ws.configured_inbox):
            return "watch"
    except LzdocsError:  # an [inbox] path the workspace refuses: this watcher's inbox is another one
        pass
    key = inbox.casefold() if os.name == "nt" else inbox
    return "watch-" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _resolved(path: Path) -> str:
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):  # a share that does not answer
        return os.path.abspath(path)


def _lock(ws: Workspace, stem: str | None = None) -> FileLock:
    return FileLock(ws.state / f"{stem or _stem(ws)}.lock", preserve_lock_file=True)


def _read_pid_file(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _running(ws: Workspace, stem: str) -> dict | None:
    """``{"pid", "since", "mode", "inbox", "host"}`` of the watcher holding ``<stem>.lock``, or None."""
    lock = _lock(ws, stem)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        info = _read_pid_file(ws.state / f"{stem}.pid")
        return {key: info.get(key) for key in ("pid", "since", "mode", "inbox", "host")}
    lock.release()
    return None


def watcher_state(ws: Workspace) -> dict | None:
    """``{"pid", "since", "mode", "inbox", "host"}`` of the watcher running on this workspace's inbox, or None."""
    return _running(ws, _stem(ws))


def watchers(ws: Workspace) -> list[dict]:
    """Every watcher running on this workspace, one per inbox, the longest running first."""
    stems = sorted(path.stem for path in ws.state.glob("watch*.lock"))
    found = [state for state in (_running(ws, stem) for stem in stems) if state is not None]
    return sorted(found, key=lambda state: str(state.get("since") or ""))


class WatchLock:
    """Held for the watcher's whole life, one per inbox; the pid, start time and inbox sit beside it in
    ``watch.pid`` (``watch-<hash>.pid`` for an inbox given with ``--inbox``)."""

    def __init__(self, ws: Workspace, *, mode: str | None = None, wait: float = 2.0,
                 now: Callable[[], dt.datetime] = Clock().now):  # noqa: B008 - bound method of a frozen value
        self.ws, self.mode, self.wait, self.now = ws, mode, wait, now
        self.stem = _stem(ws)
        self.lock = _lock(ws, self.stem)
        self.pid_file = ws.state / f"{self.stem}.pid"

    def __enter__(self) -> WatchLock:
        try:
            self.lock.acquire(timeout=self.wait)  # `lzdocs status` peeking at the lock holds it only a moment
        except Timeout:
            info = _read_pid_file(self.pid_file)
            who = f"（进程 {info.get('pid', '?')}，{str(info.get('since', '?'))[:19].replace('T', ' ')} 起）"
            raise AlreadyWatching(f"收件文件夹“{self.ws.inbox}”已有 lzdocs watch 在运行{who}，不能同时运行两个",
                                  hint="如需重启，请先停止正在运行的那个（Ctrl-C 或停止服务）；"
                                       "其他校区的收件文件夹用 --inbox 另开一个") from None
        write_atomic(self.pid_file, json.dumps(
            {"pid": os.getpid(), "since": self.now().isoformat(timespec="seconds"), "mode": self.mode,
             "host": socket.gethostname(), "inbox": str(self.ws.inbox)}, ensure_ascii=False))
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.pid_file.unlink(missing_ok=True)
        finally:
            self.lock.release()


class _ChineseFormatter(logging.Formatter):
    """``brief``: for the console — a traceback stays in watch.log, the clerk sees one line."""

    def __init__(self, *args, brief: bool = False, log_name: str = LOG_NAME, **kw):
        super().__init__(*args, **kw)
        self.brief, self.log_name = brief, log_name

    def format(self, record: logging.LogRecord) -> str:
        record.level_cn = LEVEL_NAMES.get(record.levelno, record.levelname)
        if not (self.brief and record.exc_info):
            return super().format(record)
        saved = record.exc_info, record.exc_text
        record.exc_info = record.exc_text = None
        try:
            return super().format(record) + f"（详细信息见 {self.log_name}）"
        finally:
            record.exc_info, record.exc_text = saved


def setup_logging(ws: Workspace, *, console: bool = True, level: int = logging.INFO) -> Callable[[], None]:
    """Log lines ``2026-11-28 09:15:02 信息 收取：…`` on stderr and in ``<workspace>/.lzdocs/watch.log``
    (5 MB × 5 files, rotated; each ``--inbox`` watcher its own file, as two processes cannot rotate one).
    Returns a function that removes the handlers again."""
    layout = dict(fmt="%(asctime)s %(level_cn)s %(message)s", datefmt="%Y-%m-%d %H:%M:%S")
    handlers: list[logging.Handler] = [logging.handlers.RotatingFileHandler(
        log_path(ws), maxBytes=5 * 2**20, backupCount=5, encoding="utf-8")]
    handlers[0].setFormatter(_ChineseFormatter(**layout))
    if console:
        handlers.append(logging.StreamHandler(sys.stderr))
        handlers[1].setFormatter(_ChineseFormatter(**layout, brief=True, log_name=log_path(ws).name))
    logger, chatter = logging.getLogger("lzdocs"), logging.getLogger("watchdog")
    previous = (logger.level, logger.propagate, chatter.level)
    logger.setLevel(level)
    logger.propagate = False
    chatter.setLevel(logging.ERROR)  # watchdog's own English notices (e.g. while stopping) are not for the clerk
    for handler in handlers:
        logger.addHandler(handler)

    def remove() -> None:
        for handler in handlers:
            logger.removeHandler(handler)
            handler.close()
        logger.setLevel(previous[0])
        logger.propagate = previous[1]
        chatter.setLevel(previous[2])

    return remove


def install_stop_signals(request_stop: Callable[[], None]) -> Callable[[], None]:
    """Ctrl-C, SIGTERM (and Ctrl-Break on Windows) ask for a clean stop; a second one exits at once,
    which is safe: every step of ingest survives being killed. Returns a function restoring the old handlers."""
    log = logging.getLogger("lzdocs.watch")
    asked = threading.Event()

    def handler(signum, _frame):
        if asked.is_set():
            log.warning("再次收到停止信号，立即退出（未完成的文件下次启动时恢复）")
            os._exit(130)
        asked.set()
        log.info("收到停止信号（%s），完成手头的文件后退出", signal.Signals(signum).name)
        # The handler runs on the main thread, which may be inside Event.clear()/wait() holding the very lock
        # request_stop needs (threading.Event is not reentrant): calling it here can deadlock. A thread waits.
        threading.Thread(target=request_stop, name="lzdocs-stop", daemon=True).start()

    return on_stop_signals(handler)


def log_path(ws: Workspace) -> Path:
    return ws.state / f"{_stem(ws)}.log"

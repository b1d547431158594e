"""The read-only status page (``lzdocs serve``, docs/product.md §13): Starlette, Jinja2 templates, uvicorn."""

from __future__ import annotations

import errno
import ipaddress
import logging
import os
import signal
import socket
from collections.abc import Callable

from lzdocs.errors import ConfigError, describe_os_error
from lzdocs.interrupts import on_stop_signals
from lzdocs.office import Office


def is_local(host: str) -> bool:
    """Is ``host`` a loopback address (only this computer can connect)? Login is required on any other."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_port(host: str, port: int) -> None:
    """A ConfigError in Chinese when the address cannot be listened on (in use — with a free port nearby to try —
    or not this computer's)."""
    exc = _bind_error(host, port)
    if exc is None:
        return
    if exc.errno == errno.EADDRINUSE:
        free = next((p for p in range(port + 1, min(port + 50, 65536)) if _bind_error(host, p) is None), None)
        hint = f"换一个端口，如 lzdocs serve --port {free}" if free else "换一个空闲的端口：lzdocs serve --port 端口"
        raise ConfigError(f"端口 {port} 已被占用", hint=hint) from exc
    raise ConfigError(f"无法在地址 {host}:{port} 上提供页面：{describe_os_error(exc)}",
                      hint="--host 写本机的地址，如 127.0.0.1 或 0.0.0.0") from exc


def _bind_error(host: str, port: int) -> OSError | None:
    """Why ``port`` on ``host`` cannot be listened on now; None when it can."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        if os.name != "nt":  # POSIX: a port left in TIME_WAIT is free; on Windows the option would let the probe
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # bind beside a server listening there
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            return exc
    return None


def build(office: Office, host: str):
    """The application for serving on ``host``: no login on the loopback, a login everywhere else (refused to
    start without a user)."""
    from lzdocs.web.app import Access, create_app
    from lzdocs.web.auth import Users, secret_key

    users = Users(office.ws.state)
    login = not is_local(host)
    if login and not users:
        raise ConfigError(f"在 {host} 上提供页面需要登录，但还没有用户",
                          hint="请先运行 lzdocs user add 用户名 添加用户"
                               "（只在本机查看可用 --host 127.0.0.1，无需登录）")
    return create_app(office, Access(login=login, secret=secret_key(office.ws.state),
                                    host=host.strip().lower()), users=users)


def serve(office: Office, host: str, port: int, *, begun: Callable[[], None] | None = None) -> str | None:
    """Serve until Ctrl-C or SIGTERM (uvicorn), then return the name of the signal that stopped it (None when the
    server stopped of itself). Stopping is how this command ends, not an interruption of work: the page is read-only,
    and uvicorn lets the requests under way finish first. From the start, the signals only ask for the stop
    (:class:`_Stop`): one that comes while the page is being set up means it is not served at all; uvicorn's own
    handlers take over while it runs, and once it has shut down it raises the signal again to the handler before
    its own — ours, which notes it (Python's would make SIGINT a KeyboardInterrupt, said as an interrupted command
    with exit 130, and let SIGTERM end the process without a word). ``begun`` is called once the page can be served
    (its address is free, its users are there), before uvicorn starts: the command line says there where the page
    is, and how to stop it."""
    with _Stop() as stop:
        import uvicorn

        app = build(office, host)
        check_port(host, port)
        if begun is not None:
            begun()
        # no lifespan: the app has no start-up or shut-down of its own, and a second Ctrl-C as uvicorn shuts down
        # would cancel its lifespan task, which uvicorn reports with an English traceback
        stop.server = uvicorn.Server(uvicorn.Config(app, host=host.strip("[]"), port=port, log_level="warning",
                                                    server_header=False, proxy_headers=False, lifespan="off"))
        said_in_chinese()
        if not stop.signals:
            stop.server.run()
    return stop.signals[0] if stop.signals else None


# What uvicorn itself says on the console of a request it cannot even parse (a scanner, a program speaking something
# else to the port), as the clerk who runs ``lzdocs serve`` reads it
UVICORN_WORDS = {
    "Invalid HTTP request received.": "收到一个无法识别的请求，已拒绝（多半是其他程序或扫描工具发来的，不用处理）",
    "Unsupported upgrade request.": "收到一个本页面不支持的升级请求，已拒绝"}


class _InChinese(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        said = UVICORN_WORDS.get(record.getMessage())
        if said is not None:
            record.msg, record.args = said, ()
        return True


def said_in_chinese() -> None:
    """uvicorn's console lines about requests it refuses, in Chinese (once uvicorn has set its loggers up)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _InChinese) for f in logger.filters):
        logger.addFilter(_InChinese())


class _Stop:
    """While ``lzdocs serve`` runs: SIGINT, SIGTERM (and Ctrl-Break on Windows) are noted in ``signals`` and ask its
    ``server``, once there is one, to shut down. The handlers before are put back after (none are set where
    signals cannot be handled: a thread other than the main one)."""

    def __init__(self):
        self.signals: list[str] = []
        self.server = None
        self._restore: Callable[[], None] = lambda: None

    def __enter__(self) -> _Stop:
        self._restore = on_stop_signals(self._noted)
        return self

    def __exit__(self, *exc) -> None:
        self._restore()

    def _noted(self, signum, _frame) -> None:
        self.signals.append(signal.Signals(signum).name)
        if self.server is not None:
            self.server.should_exit = True

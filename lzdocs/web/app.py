"""The status page as a Starlette application: routes, login and logout, the gate, and the security headers."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from lzdocs.clock import Clock
from lzdocs.documents.status import kind_name
from lzdocs.errors import ConfigError, LzdocsError, UnknownUnit
from lzdocs.office import Office
from lzdocs.web import files, views
from lzdocs.web.auth import Throttle, Users

log = logging.getLogger("lzdocs.web")
SESSION_COOKIE = "lzdocs_session"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer", "Cross-Origin-Opener-Policy": "same-origin"}
UNAVAILABLE = "档案库或工作区的设置暂时无法读取，请稍后刷新；原因显示在运行 lzdocs serve 的电脑上"
USERS_UNREADABLE = "用户文件无法读取，暂时不能登录：请在运行 lzdocs serve 的电脑上用 lzdocs user list 查看原因"
LOCAL_NAMES = ["127.0.0.1", "localhost", "[::1]", "::1"]
NAV = (("/", "报送情况"), ("/risks", "风险点"), ("/warnings", "预警处置"), ("/events", "收文动态"),
       ("/charts", "统计图"))


@dataclass(frozen=True)
class Access:
    """Who may come in: ``login`` required (any address but the loopback), with sessions of ``idle_seconds`` since
    the last page and ``max_seconds`` since the login at most."""

    login: bool
    secret: str
    host: str = "127.0.0.1"  # the address listened on: a host name the page answers without a login (127.0.0.2)
    idle_seconds: int = 8 * 3600
    max_seconds: int = 12 * 3600


def create_app(office: Office, access: Access, *, users: Users | None = None, clock: Clock | None = None) -> Starlette:
    """The application over one workspace's archive (read only: every page is a GET)."""
    clock = clock or office.clock
    users = users or Users(office.ws.state)
    env = Environment(loader=PackageLoader("lzdocs.web", "templates"), autoescape=select_autoescape(default=True))
    env.globals.update(nav=NAV, qs=lambda **kw: urlencode({k: v for k, v in kw.items() if v not in (None, "")}),
                       kind_name=kind_name)
    templates = Jinja2Templates(env=env)
    throttle = Throttle(clock.time)
    ended: dict[str, float] = {}  # session id → login time of sessions logged out: a copied cookie stays out
    # (until the page is restarted; then the 12-hour limit of a login still holds)

    def render(request: Request, name: str, values: dict, status: int = 200) -> Response:
        session = request.scope.get("session", {})
        return templates.TemplateResponse(request, name, {
            **values, "user": session.get("user"), "login": access.login, "csrf": _csrf(session),
            "path": request.url.path, "school": office.ws.school, "today": office.today}, status_code=status)

    def page(name: str, build):
        def endpoint(request: Request) -> Response:
            try:
                query = views.Query.of(request.query_params.multi_items())
                values = {**build(office, query), "notes": query.notes}
            except UnknownUnit as exc:  # a unit not on the roster
                return render(request, "error.html", {"message": str(exc)}, status=404)
            except LzdocsError as exc:  # the archive or a setting cannot be read just now: said where lzdocs serve runs
                log.warning("网页 %s 无法显示：%s", request.url.path, exc)
                return render(request, "error.html", {"message": UNAVAILABLE}, status=503)
            return render(request, name, values)
        return endpoint

    def chart(request: Request) -> Response:
        if request.path_params["which"] not in ("units", "years"):
            return Response(status_code=404)
        try:
            query = views.Query.of(request.query_params.multi_items())
            png = views.chart_png(office, request.path_params["which"], query)
        except LzdocsError:  # the archive cannot be read just now
            return Response(status_code=503)
        return Response(png, media_type="image/png") if png else Response(status_code=404)

    def download(request: Request) -> Response:
        try:
            path, fd = files.open_archive_file(office.ws.root, _archive_folders(office),
                                               request.query_params.get("path", ""))
        except files.Refused as exc:
            return render(request, "error.html", {"message": str(exc)}, status=403)
        except files.NotThere as exc:
            return render(request, "error.html", {"message": str(exc)}, status=404)
        return StreamingResponse(files.chunks(fd), media_type=files.media_type(path), headers={
            "Content-Disposition": files.disposition(path.name), "Content-Length": str(os.fstat(fd).st_size)})

    async def login(request: Request) -> Response:
        session = request.session
        if not access.login:
            return RedirectResponse("/", status_code=303)
        target = _local_target(request.query_params.get("next", "/"))
        if request.method == "GET":
            return render(request, "login.html", {"next": target, "error": ""})
        form = await request.form()
        target = _local_target(str(form.get("next", "/")))  # kept through a failed attempt
        if not secrets.compare_digest(str(form.get("csrf", "")), _csrf(session)):
            return render(request, "login.html", {"next": target, "error": "页面已过期，请重新登录"}, status=403)
        name, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
        keys = (f"user:{name}", f"addr:{request.client.host if request.client else ''}")
        if throttle.locked(*keys):
            return render(request, "login.html", {"next": target, "error": "登录失败次数过多，请 15 分钟后再试"},
                          status=429)
        try:
            verified = users.verify(name, password)
        except ConfigError:
            return render(request, "error.html", {"message": USERS_UNREADABLE}, status=503)
        if not verified:
            throttle.failed(*keys)
            return render(request, "login.html", {"next": target, "error": "用户名或密码不对"}, status=401)
        throttle.succeeded(*keys)
        session.clear()
        session.update(user=name, since=clock.time().timestamp(), csrf=secrets.token_urlsafe(24),
                       sid=secrets.token_urlsafe(16), stamp=users.stamp(name))
        return RedirectResponse(target, status_code=303)

    async def logout(request: Request) -> Response:
        form = await request.form()
        if not secrets.compare_digest(str(form.get("csrf", "")), _csrf(request.session)):
            return render(request, "error.html", {"message": "页面已过期，请刷新后再退出"}, status=403)
        _end(ended, request.session, clock.time().timestamp(), access.max_seconds)
        request.session.clear()
        return RedirectResponse("/login" if access.login else "/", status_code=303)

    async def no_such_page(request: Request, exc) -> Response:
        message = "网页是只读的，不能提交或修改" if exc.status_code == 405 else "没有这个页面，请从上方的栏目进入"
        response = render(request, "error.html", {"message": message}, status=exc.status_code)
        response.headers.update(exc.headers or {})  # Allow: GET, HEAD
        return response

    routes = [
        Route("/", page("status.html", views.status)),
        Route("/risks", page("risks.html", views.risks)),
        Route("/unit", page("unit.html", views.unit)),
        Route("/warnings", page("warnings.html", views.warnings)),
        Route("/events", page("events.html", lambda office, _query: views.events(office))),
        Route("/charts", page("charts.html", views.charts)),
        Route("/charts/{which:str}.png", chart),  # units or years
        Route("/download", download),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Mount("/static", StaticFiles(packages=[("lzdocs.web", "static")]), name="static"),
    ]
    middleware = [Middleware(SecurityHeaders),
                  # without a login, only a page asked for by a local name: another site's page that rebinds its
                  # DNS name to 127.0.0.1 is refused (400) before it can read anything
                  *([] if access.login else [Middleware(LocalNamesOnly, allowed_hosts=[*LOCAL_NAMES, access.host])]),
                  Middleware(SessionMiddleware, secret_key=access.secret, session_cookie=SESSION_COOKIE,
                             max_age=access.idle_seconds, same_site="lax"),
                  Middleware(Gate, access=access, users=users, clock=clock, ended=ended)]
    return Starlette(routes=routes, middleware=middleware, exception_handlers={404: no_such_page, 405: no_such_page})


def _archive_folders(office: Office) -> list:
    folders = [office.ws.outbox]
    try:
        folders.append(office.ws.rejected)
    except LzdocsError:  # an inbox setting the workspace refuses: no 退回 downloads then
        pass
    return folders


def _end(ended: dict[str, float], session: dict, now: float, max_seconds: int) -> None:
    """Remember a logged-out session's id (its cookie may have been copied), forgetting those past their limit."""
    for sid, since in list(ended.items()):
        if since < now - max_seconds:
            del ended[sid]
    if isinstance(session.get("sid"), str):
        since = session.get("since")
        ended[session["sid"]] = float(since) if isinstance(since, (int, float)) else now


def _csrf(session: dict) -> str:
    """The session's token for the login and logout forms (made on first need)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def _local_target(text: str) -> str:
    """Where to go after the login: a path of this site only (never ``//host`` or ``https://…``)."""
    return text if text.startswith("/") and not text.startswith(("//", "/\\")) else "/"


class SecurityHeaders:
    """The same protective headers on every response; pages are never cached (static CSS for an hour)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in HEADERS.items():
                    headers[key] = value
                headers["Cache-Control"] = "private, max-age=3600" if static else "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class LocalNamesOnly:
    """Starlette's check of the Host header (``TrustedHostMiddleware``), its refusal said in Chinese: a colleague who
    opens the page by this computer's address while it serves this computer alone (no users) reads why, and what to
    do, not "Invalid host header". The check is made anew for each request (nothing of one request is kept on this
    object, which serves them all at once)."""

    def __init__(self, app, allowed_hosts: list[str]):
        self.app, self.allowed_hosts = app, allowed_hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        passed = False

        async def app(scope, receive, send):
            nonlocal passed
            passed = True
            await self.app(scope, receive, send)

        async def said(message):
            if passed:
                await send(message)
            elif message["type"] == "http.response.start":  # the refusal: its words ours
                body = REFUSED_HOST.encode("utf-8")
                await send({"type": "http.response.start", "status": message["status"],
                            "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                        (b"content-length", str(len(body)).encode("ascii"))]})
                await send({"type": "http.response.body", "body": body})

        await TrustedHostMiddleware(app, allowed_hosts=self.allowed_hosts)(scope, receive, said)


REFUSED_HOST = ("这个页面只在运行 lzdocs serve 的电脑上用 localhost 或 127.0.0.1 打开。要让别的电脑访问，"
                "先用 lzdocs user add 添加用户，再用 lzdocs serve --host 0.0.0.0 运行。")


class Gate:
    """Every path but the login page and the style sheet needs a signed-in user when ``access.login`` is on: a
    user still in the users file with the password of the login, signed in less than ``access.max_seconds`` ago, and
    not logged out (``ended``)."""

    def __init__(self, app, *, access: Access, users: Users, clock: Clock, ended: dict[str, float]):
        self.app, self.access, self.users, self.clock, self.ended = app, access, users, clock, ended

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self.access.login or scope["path"] == "/login" \
                or scope["path"].startswith("/static/"):
            return await self.app(scope, receive, send)
        session = scope["session"]
        try:
            valid = self._valid(session)
        except ConfigError:  # a damaged users file: nobody in, and no server paths shown
            return await HTMLResponse(f"<p>{USERS_UNREADABLE}</p>", status_code=503)(scope, receive, send)
        if valid:
            return await self.app(scope, receive, send)
        for key in ("user", "since", "sid", "stamp"):
            session.pop(key, None)
        if scope["method"] in ("GET", "HEAD"):
            target = scope["path"] + (f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else "")
            response = RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
        else:
            response = HTMLResponse("<p>请先登录。</p>", status_code=403)
        await response(scope, receive, send)

    def _valid(self, session: dict) -> bool:
        user, since, sid, stamp = (session.get(k) for k in ("user", "since", "sid", "stamp"))
        if not user or not isinstance(since, (int, float)) or not isinstance(sid, str) or sid in self.ended:
            return False
        age = self.clock.time().timestamp() - since
        current = self.users.stamp(user)
        return 0 <= age <= self.access.max_seconds and current is not None and current == stamp

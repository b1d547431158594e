"""Who gets in and what gets out: login off the loopback, sessions that expire, throttling, CSRF, and downloads
refused outside the archive folders (``..``, absolute paths, symlinks out)."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from lzdocs.clock import Clock
from tests.conftest import TODAY, run_cli
from tests.web.conftest import PASSWORD, client_of


class MovableTime:
    """The wall clock of the page's login rules, moved by the test."""

    def __init__(self):
        self.at = dt.datetime(2026, 11, 28, 9, 0)

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.fixture
def moment():
    return MovableTime()


@pytest.fixture
def remote(office, users, moment):
    """The page as served on another address: login required."""
    from lzdocs.web.app import Access, create_app

    return client_of(create_app(office, Access(login=True, secret="s" * 48), users=users, clock=Clock(time=moment)))


def token(client, path="/login") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)[1]


def log_in(client, name="张三", password=PASSWORD, next_="/", csrf=None):
    return client.post("/login", data={"username": name, "password": password, "next": next_,
                                       "csrf": token(client) if csrf is None else csrf})


def test_without_a_login_every_page_and_download_leads_to_the_login_page(remote):
    for path in ("/", "/risks?level=1", "/unit?name=人事处", "/warnings", "/events", "/charts",
                 "/charts/years.png", "/download?path=outbox/2026/登记簿/发文登记簿.xlsx"):
        got = remote.get(path)
        location = urlsplit(got.headers["location"])
        assert got.status_code == 303 and location.path == "/login", path
        assert unquote(parse_qs(location.query)["next"][0]) == path  # back to the page asked for, after the login
    login = remote.get("/login")
    assert login.status_code == 200 and "<h1>登录</h1>" in login.text and "报送情况</a>" not in login.text
    assert remote.post("/logout").status_code == 403 and remote.post("/risks").status_code == 403
    assert remote.get("/static/style.css").status_code == 200


def test_a_wrong_password_or_an_unknown_user_does_not_get_in(remote):
    for name, password in (("张三", "错误的密码123"), ("李四", PASSWORD), ("张三", "")):
        got = log_in(remote, name, password)
        assert got.status_code in (401, 422, 400) and "用户名或密码不对" in got.text, (name, password)
        assert remote.get("/").status_code == 303


def test_the_right_password_opens_the_pages_and_logging_out_closes_them(remote):
    got = log_in(remote, next_="/risks?level=1")
    assert got.status_code == 303 and got.headers["location"] == "/risks?level=1"
    cookie = got.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    page = remote.get("/risks?level=1")
    assert page.status_code == 200 and "利用职务便利挪用公款" in page.text and "<span>张三</span>" in page.text
    assert remote.post("/logout", data={"csrf": "forged"}).status_code == 403  # CSRF: the logout form's token only
    assert remote.get("/").status_code == 200
    out = remote.post("/logout", data={"csrf": token(remote, "/")})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert remote.get("/").status_code == 303


def test_a_login_without_the_form_token_is_refused(remote):
    got = log_in(remote, csrf="forged")
    assert got.status_code == 403 and "页面已过期" in got.text and remote.get("/").status_code == 303


def test_after_the_login_only_pages_of_this_site_are_opened(remote):
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        got = log_in(remote, next_=target)
        assert got.status_code == 303 and got.headers["location"] == "/", target


def test_five_failures_lock_the_login_for_fifteen_minutes(remote, moment):
    for _ in range(5):
        assert log_in(remote, password="错误的密码123").status_code == 401
    locked = log_in(remote)
    assert locked.status_code == 429 and "登录失败次数过多，请 15 分钟后再试" in locked.text
    moment.at += dt.timedelta(minutes=14)
    assert log_in(remote).status_code == 429
    moment.at += dt.timedelta(minutes=2)
    assert log_in(remote).status_code == 303 and remote.get("/").status_code == 200


def test_a_session_expires_twelve_hours_after_the_login(remote, moment):
    log_in(remote)
    moment.at += dt.timedelta(hours=11, minutes=59)
    assert remote.get("/").status_code == 200
    moment.at += dt.timedelta(minutes=2)
    got = remote.get("/warnings")
    assert got.status_code == 303 and got.headers["location"].startswith("/login")


def test_a_session_left_idle_for_eight_hours_expires(remote):
    import time_machine

    log_in(remote)
    assert remote.get("/").status_code == 200
    with time_machine.travel(dt.datetime.now().astimezone() + dt.timedelta(hours=8, minutes=1), tick=False):
        assert remote.get("/").status_code == 303  # the cookie's signature is too old


def test_a_removed_user_is_logged_out(remote, users):
    log_in(remote)
    users.remove("张三")
    assert remote.get("/").status_code == 303


def test_a_non_local_address_without_users_refuses_to_start(workspace):
    from lzdocs.errors import ConfigError
    from lzdocs.office import Office
    from lzdocs.web import build, is_local

    assert is_local("127.0.0.1") and is_local("::1") and is_local("localhost") and not is_local("0.0.0.0")
    with Office(workspace, today=TODAY) as office, pytest.raises(ConfigError, match="lzdocs user add"):
        build(office, "0.0.0.0")
    refused = run_cli("-w", workspace.root, "serve", "--host", "192.168.1.20", "--port", "8899", check=2)
    assert "在 192.168.1.20 上提供页面需要登录，但还没有用户" in refused.stderr and "lzdocs user add" in refused.stderr


@pytest.mark.parametrize("path", [
    "../lzdocs.db", "outbox/../lzdocs.db", "outbox/2026/../../lzdocs.toml", "..\\lzdocs.db", "/etc/passwd",
    "C:\\Windows\\win.ini", "C:/Windows/win.ini", "\\\\server\\share\\x.docx", "lzdocs.db", "units.csv",
    ".lzdocs/web-users.json", "outbox/2026/.lzdocs/x", "", "outbox/2026/登记簿/不存在.xlsx", "outbox\x00.docx"])
def test_a_download_outside_the_archive_folders_is_refused(local, path):
    got = local.get("/download", params={"path": path})
    assert got.status_code in (403, 404) and "content-disposition" not in got.headers, path
    assert "只能下载" in got.text or "不能下载" in got.text or "不存在" in got.text or "没有指定" in got.text


def test_a_symlink_pointing_out_of_the_archive_is_refused(local, archive, tmp_path):
    secret = tmp_path / "外面的文件.txt"
    secret.write_text("机密", encoding="utf-8")
    year = archive / "outbox" / "2026"
    links = {year / "外链.txt": secret, year / "设置.toml": archive / "lzdocs.toml",  # lzdocs.db: SQLite only
             archive / "outbox" / "上级": archive}
    try:
        for link, target in links.items():
            link.symlink_to(target)
        for path in ("outbox/2026/外链.txt", "outbox/2026/设置.toml", "outbox/上级/lzdocs.toml"):
            got = local.get("/download", params={"path": path})
            assert got.status_code == 403 and "只能下载工作区档案文件夹" in got.text, path
    finally:
        for link in links:
            link.unlink(missing_ok=True)


def test_a_returned_file_downloads_from_the_returned_folder(local, archive):
    returned = next((archive / "inbox" / "退回").glob("组织部*.docx"))
    got = local.get("/download", params={"path": returned.relative_to(archive).as_posix()})
    assert got.status_code == 200 and got.content == returned.read_bytes()


def test_passwords_are_hashed_at_argon2s_recommended_cost(monkeypatch, tmp_path):
    from lzdocs.web.auth import Users

    monkeypatch.undo()  # the product's own hasher, not the cheap one of tests/web/conftest.py
    Users(tmp_path).add("王五", PASSWORD, created=dt.datetime(2026, 11, 1))
    stored = (tmp_path / "web-users.json").read_text(encoding="utf-8")
    assert "$argon2id$v=19$m=65536,t=3,p=4$" in stored


def test_users_are_added_listed_and_removed_with_hashed_passwords_in_a_private_file(workspace):
    root = workspace.root
    added = run_cli("-w", root, "user", "add", "王五", input=f"{PASSWORD}\n{PASSWORD}\n", check=0)
    assert "已添加用户 王五" in added.stdout and PASSWORD not in added.stdout
    path = root / ".lzdocs" / "web-users.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    assert "$argon2id$" in text and PASSWORD not in text
    mismatch = run_cli("-w", root, "user", "add", "赵六", input=f"{PASSWORD}\n别的密码123\n{PASSWORD}\n{PASSWORD}\n")
    assert "两次输入的不一致，请重新输入。" in mismatch.stdout and "已添加用户 赵六" in mismatch.stdout
    short = run_cli("-w", root, "user", "add", "钱七", input="short\nshort\n", check=2)
    assert "密码太短" in short.stderr
    assert run_cli("-w", root, "user", "list", "--json", check=0).stdout.split() == ['[', '"王五",', '"赵六"', ']']
    assert run_cli("-w", root, "user", "remove", "王五", check=0).stdout == "已删除用户 王五\n"
    assert "没有用户“王五”" in run_cli("-w", root, "user", "remove", "王五", check=2).stderr


def test_the_session_key_is_made_once_and_kept_private(workspace):
    from lzdocs.web.auth import secret_key

    first = secret_key(workspace.state)
    assert len(first) >= 48 and secret_key(workspace.state) == first
    assert stat.S_IMODE(os.stat(workspace.state / "web-secret").st_mode) == 0o600


def test_a_port_in_use_is_a_chinese_message(workspace):
    import socket

    from lzdocs.errors import ConfigError
    from lzdocs.web import check_port

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"端口 {port} 已被占用"):
            check_port("127.0.0.1", port)


def test_without_a_login_a_page_asked_for_by_another_host_name_is_refused(office):
    """DNS rebinding: another site's name pointed at 127.0.0.1 must not read the pages that need no login."""
    from lzdocs.web import build

    app = build(office, "127.0.0.1")
    refused = client_of(app, "http://evil.example:8800").get("/risks")
    assert refused.status_code == 400 and "evil" not in refused.text
    assert refused.text.startswith("这个页面只在运行 lzdocs serve 的电脑上用 localhost 或 127.0.0.1 打开")  # Chinese
    assert refused.headers["content-type"] == "text/plain; charset=utf-8"
    assert client_of(app, "http://192.168.1.5:8800").get("/").status_code == 400  # a colleague, by this PC's address
    for name in ("http://localhost:8800", "http://127.0.0.1:8800", "http://[::1]:8800"):
        assert client_of(app, name).get("/risks").status_code == 200, name


def test_uvicorn_s_lines_about_a_request_it_cannot_parse_are_said_in_chinese(caplog):
    """A scanner or another program writing to the port made uvicorn print "WARNING: Invalid HTTP request received."
    on the clerk's console."""
    import logging

    from lzdocs.web import said_in_chinese

    said_in_chinese()
    said_in_chinese()  # once is enough: no second filter
    logger = logging.getLogger("uvicorn.error")
    with caplog.at_level(logging.WARNING, logger="uvicorn.error"):
        logger.warning("Invalid HTTP request received.")
        logger.warning("Something else: %s", "kept")
    assert [r.getMessage() for r in caplog.records] == [
        "收到一个无法识别的请求，已拒绝（多半是其他程序或扫描工具发来的，不用处理）", "Something else: kept"]
    assert sum(type(f).__name__ == "_InChinese" for f in logger.filters) == 1

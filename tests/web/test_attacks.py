"""The status page under attack and careless use: odd query values, old cookies, a damaged or exposed users file, a
file swapped for a symlink while it is sent, and the same pages over an empty archive on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import threading

import pytest

from lzdocs.clock import Clock
from tests.conftest import TODAY, run_cli, use_inbox
from tests.web.conftest import PASSWORD, client_of
from tests.web.test_access import MovableTime, log_in, token


@pytest.fixture
def remote_app(office, users):
    from lzdocs.web.app import Access, create_app

    return create_app(office, Access(login=True, secret="s" * 48), users=users, clock=Clock(time=MovableTime()))


@pytest.fixture
def remote(remote_app):
    return client_of(remote_app, "http://192.168.1.20:8800")


@pytest.mark.parametrize("query", ["page=²", "page=١٢", "level=¹", "year=²⁰²⁶", "page=-1", f"page={10**20}",
                                   "year=abc", "q=" + "长" * 5000])
def test_a_query_value_that_is_not_a_plain_number_is_as_if_not_given(local, query):
    got = local.get("/risks?" + query)
    assert got.status_code == 200 and '共 <b id="total">' in got.text, query


def test_a_password_change_ends_the_sessions_of_the_old_password(remote, users):
    log_in(remote)
    assert remote.get("/").status_code == 200
    users.add("张三", "新的密码-2026-12", created=dt.datetime(2026, 12, 1))  # lzdocs user add 张三: the old one leaked
    assert remote.get("/").status_code == 303


def test_a_user_removed_and_added_again_must_log_in_again(remote, users):
    log_in(remote)
    users.remove("张三")
    users.add("张三", PASSWORD, created=dt.datetime(2026, 12, 1))
    assert remote.get("/").status_code == 303


def test_a_cookie_copied_before_the_logout_no_longer_opens_the_pages(remote, remote_app):
    log_in(remote)
    copied = dict(remote.cookies)
    assert remote.post("/logout", data={"csrf": token(remote, "/")}).status_code == 303
    eavesdropper = client_of(remote_app, "http://192.168.1.20:8800")  # plain HTTP on the LAN: a cookie can be seen
    eavesdropper.cookies.update(copied)
    assert eavesdropper.get("/risks").status_code == 303


def test_a_damaged_users_file_is_a_chinese_page_not_a_crash(remote, users):
    log_in(remote)
    users.path.write_text("{不是 JSON", encoding="utf-8")
    login = {"username": "张三", "password": PASSWORD, "csrf": token(remote)}
    for got in (remote.get("/risks"), remote.post("/login", data=login)):
        assert got.status_code == 503 and "用户文件" in got.text and "无法读取" in got.text
        assert "Traceback" not in got.text and "Internal Server Error" not in got.text
        assert str(users.path.parent) not in got.text  # no server paths to a visitor not logged in


def test_a_users_file_or_session_key_readable_by_others_is_made_private(tmp_path):
    from lzdocs.web.auth import Users, secret_key

    users = Users(tmp_path)
    users.add("张三", PASSWORD, created=dt.datetime(2026, 11, 1))
    users.path.chmod(0o644)  # copied by a careless clerk
    assert users.names() == ["张三"] and stat.S_IMODE(os.stat(users.path).st_mode) == 0o600
    key = secret_key(tmp_path)
    (tmp_path / "web-secret").chmod(0o644)  # anyone who read it could sign a session of their own
    assert secret_key(tmp_path) != key
    assert stat.S_IMODE(os.stat(tmp_path / "web-secret").st_mode) == 0o600
    (tmp_path / "web-secret").write_bytes("密钥".encode() * 20)  # damaged: not ASCII
    assert secret_key(tmp_path).isascii()


def test_without_a_login_the_loopback_address_it_listens_on_is_a_host_name_it_answers(office):
    from lzdocs.web import build

    assert client_of(build(office, "127.0.0.2"), "http://127.0.0.2:8800").get("/").status_code == 200
    assert client_of(build(office, "127.0.0.2"), "http://evil.example:8800").get("/").status_code == 400


def test_throttling_counts_the_connection_not_a_forwarded_for_header_or_the_name(remote):
    for n in range(5):
        got = remote.post("/login", data={"username": f"用户{n}", "password": "x" * 10, "csrf": token(remote)},
                          headers={"X-Forwarded-For": f"10.0.0.{n}"})
        assert got.status_code == 401
    locked = remote.post("/login", data={"username": "张三", "password": PASSWORD, "csrf": token(remote)},
                         headers={"X-Forwarded-For": "10.0.0.99"})
    assert locked.status_code == 429


@pytest.mark.slow  # a race made likely: 300 downloads against a thread swapping the file
@pytest.mark.parametrize("archive", ["sqlite"], indirect=True)  # a race in the file system: the archive's database
# plays no part in it (the pages on PostgreSQL: the other tests here and tests/web/test_pages.py)
def test_a_file_swapped_for_a_symlink_while_it_is_sent_never_sends_the_target(local, archive):
    """TOCTOU: a returned file in inbox/退回 (on the units' share) swapped for a link to the archive between the
    check and the open."""
    secret = (archive / "lzdocs.toml").read_bytes()[:16]
    folder = archive / "inbox" / "退回"
    path, spare = folder / "换.docx", folder / "换.tmp"
    path.write_bytes(b"PK harmless")
    stop = threading.Event()

    def swap():
        while not stop.is_set():
            spare.unlink(missing_ok=True)
            spare.symlink_to(archive / "lzdocs.toml")
            os.replace(spare, path)
            spare.write_bytes(b"PK harmless")
            os.replace(spare, path)

    swapper = threading.Thread(target=swap)
    swapper.start()
    try:
        got = [local.get("/download", params={"path": "inbox/退回/换.docx"}) for _ in range(300)]
    finally:
        stop.set()
        swapper.join()
        path.unlink(missing_ok=True)
        spare.unlink(missing_ok=True)
    assert not [g for g in got if g.content.startswith(secret)]
    assert {g.status_code for g in got} <= {200, 403, 404}


@pytest.mark.both_backends
def test_pages_over_an_empty_archive_then_a_first_form(workspace, make_form, tmp_path):
    from lzdocs.office import Office
    from lzdocs.web import build

    with Office(workspace, today=TODAY) as office:
        client = client_of(build(office, "127.0.0.1"))
        for path in ("/", "/risks", "/warnings", "/events", "/charts", "/risks?q=%25_&year=&page=3"):
            got = client.get(path)
            assert got.status_code == 200 and "Traceback" not in got.text, path
        assert client.get("/charts/units.png").status_code == 404
        assert client.get("/charts/evil.png").status_code == 404
        assert '共 <b id="total">0</b>' in client.get("/risks").text
        run_cli("-w", workspace.root, "ingest", make_form(tmp_path / "计财处.xlsx"), check=0)
        assert '共 <b id="total">3</b>' in client.get("/risks").text
        assert '共 <b id="total">1</b>' in client.get("/risks", params={"q": "违规报销 双签"}).text
        assert '共 <b id="total">0</b>' in client.get("/risks", params={"q": "100%_"}).text
        assert "计财处.xlsx" in client.get("/events").text
        assert client.get("/charts/units.png").content.startswith(b"\x89PNG")
        assert client.get("/charts/other.png").status_code == 404  # only the two charts, not the years' by default


@pytest.mark.both_backends
def test_the_search_finds_latin_letters_in_either_case_on_either_database(workspace, make_form, tmp_path):
    """PostgreSQL's LIKE tells case apart, SQLite's does not: 'oa' found 在OA系统中 on one and not the other."""
    from lzdocs.office import Office
    from lzdocs.web import build
    from tests.conftest import SAMPLE_ROWS

    rows = [{**SAMPLE_ROWS[0], "risk": "在OA系统中违规审批经费"}, SAMPLE_ROWS[1]]
    run_cli("-w", workspace.root, "ingest", make_form(tmp_path / "计财处.xlsx", rows=rows), check=0)
    with Office(workspace, today=TODAY) as office:
        client = client_of(build(office, "127.0.0.1"))
        for typed in ("OA", "oa", "Oa 经费"):
            assert '共 <b id="total">1</b>' in client.get("/risks", params={"q": typed}).text, typed


def test_markup_in_forms_file_names_and_reasons_is_shown_as_text(workspace, make_form, tmp_path):
    """A unit's form is hostile: its texts and its file name reach every page escaped (Jinja autoescape)."""
    from lzdocs.office import Office
    from lzdocs.web import build
    from tests.conftest import SAMPLE_ROWS

    evil = "<script>alert(1)</script>"
    rows = [{**SAMPLE_ROWS[0], "risk": evil, "post": "<img src=x onerror=alert(2)>", "category": "<b>类</b>"}]
    run_cli("-w", workspace.root, "ingest", make_form(tmp_path / f"{evil}.xlsx", rows=rows), check=0)
    bad = [{**SAMPLE_ROWS[0], "risk": ""}]
    make_form(workspace.root / "inbox" / "<i>退回</i>.docx", unit="人事处", rows=bad)
    run_cli("-w", workspace.root, "ingest", check=1)
    with Office(workspace, today=TODAY) as office:
        client = client_of(build(office, "127.0.0.1"))
        for path in ("/", "/risks", "/unit?name=计划财务处", "/events", "/risks?q=<script>", "/unit?name=<script>"):
            text = client.get(path).text
            assert "<script" not in text and "<img" not in text and "<b>类" not in text and "<i>退回" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/risks").text


@pytest.mark.parametrize("target", ["/\t/evil.example/", "/\n/evil.example", "/%2F/evil.example", " //evil.example"])
def test_after_the_login_a_target_a_browser_would_read_as_another_site_is_not_followed(remote, target):
    got = log_in(remote, next_=target)
    location = got.headers["location"]
    assert got.status_code == 303 and not location.replace("\t", "").replace("\n", "").startswith("//"), location
    assert not location.startswith(("http", " ")) and "\t" not in location and "\n" not in location


def test_a_link_from_another_site_keeps_the_login(remote):
    """A leader opens a link to the page from a web mail or chat: with SameSite=Strict the browser would not send the
    session cookie on that navigation, the page would answer with the login form, and its new cookie would replace
    the session in every tab. Lax sends the cookie on a top-level GET only; the login and logout forms carry their
    own token, and every page is read-only."""
    cookie = log_in(remote).headers["set-cookie"].lower()
    assert "samesite=lax" in cookie and "httponly" in cookie


def test_a_returned_file_downloads_when_the_inbox_is_a_share_outside_the_workspace(workspace, make_form, tmp_path):
    """The clerk's inbox is on the file server ([inbox] path = "//fileserver/纪委/收件"): the 收文动态 link of a
    returned file names it by its full path, and it downloads; other absolute paths stay refused."""
    from html import unescape

    from lzdocs.office import Office
    from lzdocs.web import build
    from tests.conftest import SAMPLE_ROWS

    share = tmp_path / "共享" / "收件"
    share.mkdir(parents=True)
    use_inbox(workspace.root, share)
    make_form(share / "组织部.docx", unit="组织部", rows=[{**SAMPLE_ROWS[0], "risk": ""}])
    run_cli("-w", workspace.root, "ingest", check=1)
    returned = next((share / "退回").glob("组织部*.docx"))
    with Office(workspace.root, today=TODAY) as office:
        client = client_of(build(office, "127.0.0.1"))
        link = unescape(re.search(r'href="(/download\?path=[^"]+)">组织部.docx', client.get("/events").text)[1])
        got = client.get(link)
        assert got.status_code == 200 and got.content == returned.read_bytes()
        (tmp_path / "共享" / "机密.docx").write_bytes(b"secret")
        for path in (f"{share.as_posix()}/退回/../../机密.docx", f"{share.as_posix()}/../机密.docx",
                     (workspace.root / "lzdocs.toml").as_posix(), f"{share.as_posix()}/退回/.lzdocs/x",
                     (workspace.root / "outbox" / "2026").as_posix()):  # the workspace's own: relative paths only
            assert client.get("/download", params={"path": path}).status_code == 403, path


def test_an_archive_that_cannot_be_read_just_now_is_a_503_on_pages_and_charts(local, office, monkeypatch):
    from contextlib import contextmanager

    from lzdocs.errors import StoreError

    @contextmanager
    def locked():
        raise StoreError("无法连接数据库服务器：db.example.edu:5432/lzdocs（connection refused）")
        yield

    monkeypatch.setattr(office.store, "read", locked)
    for path in ("/risks", "/warnings", "/events", "/charts", "/charts/units.png", "/charts/years.png"):
        got = local.get(path)
        assert got.status_code == 503, path
    shown = local.get("/risks").text  # a visitor is told to come back; the server's address stays on the server
    assert "暂时无法读取，请稍后刷新" in shown and "db.example.edu" not in shown


def test_a_damaged_roster_is_a_503_and_only_an_unknown_unit_a_404(local, office):
    assert local.get("/unit", params={"name": "没有这个处"}).status_code == 404
    roster = office.ws.root / "units.csv"
    kept = roster.read_bytes()
    roster.write_bytes(b"\xff\xfe\x00garbage")
    try:
        for path in ("/", "/risks", "/unit?name=人事处"):
            got = local.get(path)
            assert got.status_code == 503 and "请稍后刷新" in got.text and "units.csv" not in got.text, path
    finally:  # the archive is the session's, read by the other pages' tests after this one
        roster.write_bytes(kept)


def test_user_add_says_when_it_changes_a_password_and_refuses_odd_names_and_empty_passwords(workspace):
    root = workspace.root
    twice = f"{PASSWORD}\n{PASSWORD}\n"
    assert "已添加用户 Zoë_王" in run_cli("-w", root, "user", "add", "Zoë_王", input=twice, check=0).stdout
    again = run_cli("-w", root, "user", "add", "Zoë_王", input="另一个密码-2026\n另一个密码-2026\n", check=0)
    assert "已修改用户 Zoë_王 的密码" in again.stdout
    for name in ("张 三", "../张三", "", "a" * 33, "张三\u200b"):
        refused = run_cli("-w", root, "user", "add", name, input=twice, check=2)
        assert "不合适" in refused.stderr, name
    empty = run_cli("-w", root, "user", "add", "李四", input=f"\n\n{PASSWORD}\n{PASSWORD}\n", check=0)
    assert "已添加用户 李四" in empty.stdout  # an empty password is asked again, never stored
    assert run_cli("-w", root, "user", "list", "--json", check=0).stdout.split() == ['[', '"Zoë_王",', '"李四"', ']']


def test_a_mistyped_address_or_method_is_a_chinese_page(local):
    for method, path, status, words in (("GET", "/风险点", 404, "没有这个页面"), ("PUT", "/risks", 405, "只读"),
                                        ("GET", "/static/nothing.css", 404, "没有这个页面")):
        got = local.request(method, path)
        assert got.status_code == status and words in got.text, path
        assert got.headers["x-frame-options"] == "DENY" and "Not Found" not in got.text
    assert set(local.put("/risks").headers["allow"].split(", ")) == {"GET", "HEAD"}


@pytest.mark.parametrize("host, shown", [("0.0.0.0", "http://127.0.0.1:8800/"), ("::", "http://[::1]:8800/"),
                                         ("::1", "http://[::1]:8800/"), ("192.168.1.20", "http://192.168.1.20:8800/")])
def test_serve_names_an_address_a_browser_can_open(workspace, monkeypatch, host, shown):
    import lzdocs.web

    monkeypatch.setattr(lzdocs.web, "serve", lambda office, host, port, begun: begun())  # said, not served
    got = run_cli("-w", workspace.root, "serve", "--host", host, check=0)
    assert f"工作情况网页：{shown}" in got.stderr + got.stdout, host

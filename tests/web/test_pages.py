"""Every page of ``lzdocs serve`` as a clerk or a leader reads it: the values in the HTML, the filters, downloads."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote, unquote

from tests.conftest import TODAY
from tests.web.conftest import OPEN_NUMBER, OVERDUE_NUMBER


def rows(html: str) -> list[list[str]]:
    """The table rows of a page as the text of their cells."""
    out = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        out.append([" ".join(unescape(re.sub(r"<[^>]+>", "", c)).split()) for c in cells])
    return out


def row_of(html: str, first: str) -> list[str]:
    return next(r for r in rows(html) if r and r[0].startswith(first))


def test_status_page_lists_every_roster_unit_with_its_state_dates_and_the_reason_of_a_return(local, archive):
    page = local.get("/")
    assert page.status_code == 200 and "2026年度报送情况" in page.text
    assert "截止日期：2026-11-16" in page.text
    assert ("；按时报送 <b>1</b> 个；逾期报送 <b>1</b> 个；未报送 <b>11</b> 个；"
            "风险点：一级 1 个、二级 2 个、三级 1 个") in page.text
    finance = row_of(page.text, "计划财务处")
    assert finance[1:3] == ["按时报送", "2026-11-10"] and finance[4] == "2026-11-10" and finance[6] == "3"
    assert finance[7] == "计财处.xlsx"
    assert row_of(page.text, "人事处")[1:3] == ["逾期报送", "2026-11-20"]
    returned = row_of(page.text, "组织部")
    assert returned[1] == "未报送" and "风险点" in returned[8]  # the 退回 reason names the empty column
    assert row_of(page.text, "教务处")[1] == "未报送" and row_of(page.text, "教务处")[8] == ""
    assert 'class="state-late"' in page.text and 'class="state-missing"' in page.text
    assert "预警处置台账.xlsx" in page.text  # the registers of the year, to download
    assert "风险点复核：已逾期 <b>0</b> 个，30 天内到期 <b>0</b> 个，防控措施未落实 <b>0</b> 个" in page.text
    posted = "outbox/2026/公示/已发布/2026年廉政风险点公示表（公示期2026年11月27日至12月1日）.docx"
    text = unescape(re.sub(r"<[^>]+>", "", page.text))
    assert (f'{posted.rsplit("/", 1)[1]}（2026-11-26 发布，公示期 2026-11-27 至 2026-12-01，2 个单位、4 个风险点）'
            in text and "2026年廉政风险点公示表.docx（随收表更新）" in text)
    assert posted in [unquote(link) for link in re.findall(r'href="/download\?path=([^"&]+)"', page.text)]
    assert local.get("/download", params={"path": posted}).content == (archive / posted).read_bytes()


def test_risk_page_filters_by_unit_level_category_and_words_and_links_each_row_to_its_unit(local):
    everything = local.get("/risks")
    assert '共 <b id="total">4</b> 个风险点' in everything.text
    assert f'href="/unit?name={quote("计划财务处")}"' in everything.text
    level_one = local.get("/risks", params={"level": "1"})
    assert [r[4] for r in rows(level_one.text)[1:]] == ["利用职务便利挪用公款"]
    staff = local.get("/risks", params={"unit": "人事处"})
    assert [r[1:5] for r in rows(staff.text)[1:]] == [["人事处", "2", "人事专员", "违规办理人员调动"]]
    by_category = local.get("/risks", params={"category": "岗位职责"})
    assert sorted(r[4] for r in rows(by_category.text)[1:]) == ["利用职务便利挪用公款", "违规审批资金"]
    for spelled in ("岗位职责类", " 岗位 职责"):  # as `lzdocs risks --category` takes them (it was exact here)
        page = local.get("/risks", params={"category": spelled}).text
        assert rows(page) == rows(by_category.text), spelled
        assert "<option selected>岗位职责</option>" in page, spelled  # the select says what the rows are filtered by
    assert '共 <b id="total">0</b>' in local.get("/risks", params={"category": "岗位"}).text
    searched = local.get("/risks", params={"q": "违规报销 双签"})  # every word must be found in the row
    assert [r[4] for r in rows(searched.text)[1:]] == ["审核不严，违规报销"]
    none = local.get("/risks", params={"q": "100%_"})  # LIKE's wildcards are searched as written
    assert '共 <b id="total">0</b>' in none.text and "没有符合条件的风险点" in none.text
    all_years = local.get("/risks", params={"year": "", "level": "2"})
    assert '共 <b id="total">2</b>' in all_years.text


def test_risk_page_takes_an_alias_and_a_level_in_words_and_says_what_it_could_not_read(local):
    """As ``lzdocs risks`` takes them: 计财处 for 计划财务处, 一级 for 1 (before: 0 points, and every level). A value
    it cannot read is said on the page, not passed over in silence (level=9: every level, as if asked)."""
    alias = local.get("/risks", params={"unit": "计财处"}).text
    assert rows(alias) == rows(local.get("/risks", params={"unit": "计划财务处"}).text) and len(rows(alias)) > 1
    in_words = local.get("/risks", params={"level": "一级"}).text
    assert rows(in_words) == rows(local.get("/risks", params={"level": "1"}).text)
    bad = local.get("/risks", params={"level": "9"}).text
    assert '<p class="notice">“9”不是有效的风险等级（1—3），没有按它筛选</p>' in bad
    assert '<p class="notice">“abc”不是有效的年度（2000—2100），显示的是 2026 年度</p>' in local.get(
        "/", params={"year": "abc"}).text
    assert 'class="notice"' not in local.get("/risks", params={"level": "2"}).text


def test_a_filter_given_twice_is_taken_at_its_first_value_and_the_page_says_so(local):
    """``level=1&level=2`` (a link edited by hand): the page showed level 2, the last, saying nothing."""
    twice = local.get("/risks?level=1&level=2").text
    assert rows(twice) == rows(local.get("/risks", params={"level": "1"}).text)
    assert '<p class="notice">风险等级给了多个值（“1”、“2”），只按第一个筛选</p>' in twice
    assert 'class="notice"' not in local.get("/risks?level=1&level=1").text  # the same value again: nothing to say


def test_risk_page_shows_fifty_rows_a_page(local, office, monkeypatch):
    from lzdocs.web import views

    assert views.PAGE_SIZE == 50
    monkeypatch.setattr(views, "PAGE_SIZE", 3)  # four points in the archive: 3 + 1
    first = local.get("/risks")
    assert len(rows(first.text)) == 1 + 3 and "第 1/2 页" in first.text and "下一页" in first.text
    second = local.get("/risks", params={"page": "2"})
    assert len(rows(second.text)) == 1 + 1 and "上一页" in second.text


def test_unit_card_shows_risk_points_over_the_years_and_warnings_with_their_states(local):
    card = local.get("/unit", params={"name": "计财处"})  # an alias finds the unit
    assert card.status_code == 200 and "<h1>计划财务处</h1>" in card.text
    assert "风险点 3 个" in card.text and "预警 1 件" in card.text
    risk = next(r for r in rows(card.text) if r[3:4] == ["利用职务便利挪用公款"])
    assert risk[2:5] == ["出纳", "利用职务便利挪用公款", "一级"] and risk[7] == OVERDUE_NUMBER
    warning = row_of(card.text, OVERDUE_NUMBER)
    assert warning[1:4] == ["纪检监察建议书", "2026-10-01", "2026-10-31"]
    assert warning[7:9] == ["已发出", "回复/谈话逾期 28 天"]
    assert '<tr class="overdue">' in card.text
    assert "没有复核记录" in card.text and "没有案例" in card.text


def test_an_unknown_unit_is_a_page_saying_so(local):
    page = local.get("/unit", params={"name": "不存在的处"})
    assert page.status_code == 404 and "单位“不存在的处”不在单位名单中" in page.text


def test_warning_page_highlights_the_overdue(local):
    page = local.get("/warnings")
    assert 'id="overdue">1</b> 件' in page.text
    late = row_of(page.text, OVERDUE_NUMBER)
    assert late[1] == "计划财务处" and late[9:11] == ["已发出", "回复/谈话逾期 28 天"]
    assert row_of(page.text, OPEN_NUMBER)[9:11] == ["已发出", ""]
    overdue_rows = re.findall(r'<tr class="overdue">.*?</tr>', page.text, re.S)
    assert len(overdue_rows) == 1 and OVERDUE_NUMBER in overdue_rows[0]
    only = local.get("/warnings", params={"overdue": "1"})
    assert OVERDUE_NUMBER in only.text and OPEN_NUMBER not in only.text


def test_ingest_events_show_accepted_and_returned_files_and_why(local):
    page = local.get("/events")
    assert '<meta http-equiv="refresh" content="30">' in page.text and "监视程序没有运行" in page.text
    returned = row_of(page.text, next(r[0] for r in rows(page.text) if r[1:2] == ["组织部.docx"]))
    assert returned[2] == "组织部" and returned[5] == "已退回" and "风险点" in returned[7]
    taken = next(r for r in rows(page.text) if r[1:2] == ["计财处.xlsx"])
    assert taken[2:7] == ["计划财务处", "2026", "岗位风险分析和防控措施表", "已收取", "3"]


def test_charts_are_png_images_of_the_levels(local):
    page = local.get("/charts")
    assert '<img class="chart" src="/charts/units.png?year=2026"' in page.text
    for path in ("/charts/units.png?year=2026", "/charts/years.png"):
        image = local.get(path)
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert image.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert local.get("/charts/units.png?year=2019").status_code == 404  # no points that year: no chart


def test_the_units_chart_of_a_large_school_comes_in_parts_as_the_summary_prints_it(local, monkeypatch):
    """Parts of at most ``UNITS_PER_CHART`` units (a thousand units in one chart: a picture 48,000 pixels tall,
    seven seconds and hundreds of megabytes at each view), here one unit a part."""
    from lzdocs.documents import charts

    monkeypatch.setattr(charts, "UNITS_PER_CHART", 1)
    page = local.get("/charts")
    parts = re.findall(r'<img class="chart" src="(/charts/units\.png[^"]*)" alt="2026年各单位风险点等级（(\d)/(\d)）"',
                       unescape(page.text))
    count = len(parts)
    assert count >= 2 and [(src, int(i), int(n)) for src, i, n in parts] == [
        (f"/charts/units.png?year=2026&part={i}", i, count) for i in range(1, count + 1)]
    images = [local.get(src).content for src, _, _ in parts]
    assert all(image.startswith(b"\x89PNG\r\n\x1a\n") for image in images) and len(set(images)) == count
    assert local.get(f"/charts/units.png?year=2026&part={count + 1}").status_code == 404  # past the last part
    assert local.get("/charts/units.png?year=2026&part=x").content == images[0]  # not a number: the first


def test_a_letter_downloads_with_its_chinese_name(local, archive):
    card = local.get("/unit", params={"name": "计划财务处"})
    link = unescape(re.search(r'href="(/download\?path=[^"]+)">' + re.escape(OVERDUE_NUMBER), card.text)[1])
    got = local.get(link)
    letter = next((archive / "outbox" / "2026").glob(f"*/{OVERDUE_NUMBER}*.docx"))
    assert got.status_code == 200 and got.content == letter.read_bytes()
    assert got.headers["content-disposition"] == (
        f"attachment; filename=\"download.docx\"; filename*=UTF-8''{quote(letter.name, safe='')}")
    assert got.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument")


def test_every_response_carries_the_security_headers(local):
    for path in ("/", "/risks", "/download?path=../lzdocs.db", "/static/style.css", "/nowhere"):
        headers = local.get(path).headers
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["referrer-policy"] == "no-referrer"
    assert local.get("/risks").headers["cache-control"] == "no-store"
    assert "<script" not in local.get("/").text  # no inline script anywhere


def test_every_page_is_read_only(local):
    for path in ("/", "/risks", "/unit?name=人事处", "/warnings", "/events", "/charts", "/download?path=outbox"):
        assert local.post(path).status_code == 405, path
    assert local.put("/risks").status_code == 405 and local.delete("/").status_code == 405


def test_the_category_filter_follows_new_forms(tmp_path, make_form):
    from lzdocs.office import Office
    from lzdocs.web import build
    from tests.conftest import SAMPLE_ROWS, SAMPLE_SCHOOL, run_cli
    from tests.web.conftest import client_of

    root = tmp_path / "工作区"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    run_cli("-w", root, "ingest", make_form(tmp_path / "计财处.xlsx"), check=0)
    with Office(root, today=TODAY) as office:
        client = client_of(build(office, "127.0.0.1"))
        assert "<option>岗位职责</option>" in client.get("/risks").text
        assert "<option>后勤保障</option>" not in client.get("/risks").text
        rows = [{**SAMPLE_ROWS[0], "category": "后勤保障"}]
        run_cli("-w", root, "ingest", make_form(tmp_path / "后勤.xlsx", unit="后勤管理处", rows=rows), check=0)
        page = client.get("/risks", params={"category": "后勤保障"})  # the watcher wrote meanwhile
        assert "<option selected>后勤保障</option>" in page.text and '共 <b id="total">1</b>' in page.text


def test_ingest_events_reload_every_five_seconds_while_the_watcher_runs(local, office, monkeypatch):
    monkeypatch.setattr(type(office), "watcher_state",
                        lambda self: {"running": True, "pid": 4242, "since": "2026-11-28T08:00:00", "mode": "polling"})
    page = local.get("/events")
    assert '<meta http-equiv="refresh" content="5">' in page.text
    assert "监视程序运行中（自 2026-11-28T08:00:00 起，进程 4242），本页每 5 秒自动刷新" in page.text

"""A clerk's year through the command line: deadlines, arrival days, replies and talks, rejections settled.

Every workspace here is 东方理工大学's (codes 东理纪…): nothing the clerk sees may come from the sample school."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
import sys
import time

import docx
import pytest
from openpyxl import load_workbook

from lzdocs.store.schema import SCHEMA_VERSION
from lzdocs.workspace import Workspace
from tests.conftest import SAMPLE_ROWS, TODAY, cli_env, run_cli, run_json
from tests.ingest.invariant import assert_each_input_exactly_once

SCHOOL = ("--school", "东方理工大学", "--short", "东理", "--contact", "张老师", "--phone", "0471-1234567")
BAD_ROWS = [{**SAMPLE_ROWS[0], "seq": "1", "level": "很高"}, SAMPLE_ROWS[1]]


def day(text: str) -> dict:
    """The environment of a run on that day."""
    return cli_env(LZDOCS_TODAY=text)


def text_of(path) -> str:
    return "\n".join(p.text for p in docx.Document(path).paragraphs)


def register(root, name: str, year: int = 2026) -> dict[str, dict]:
    """A register's rows by their first text column (单位 or 文号), as {header: value}."""
    sheet = load_workbook(root / "outbox" / str(year) / "登记簿" / f"{name}.xlsx").worksheets[0]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    header = rows[0]
    key = "单位" if "单位" in header and "文号" not in header else "文号"
    return {r[header.index(key)]: dict(zip(header, r)) for r in rows[1:] if r[header.index(key)]}


def urges_registered(root) -> set[str]:
    """The 催报通知 numbers the 发文登记簿 lists (a voided one too: its row stays)."""
    sheet = load_workbook(root / "outbox" / "2026" / "登记簿" / "发文登记簿.xlsx").worksheets[0]
    cells = (v for row in sheet.iter_rows(values_only=True) for v in row)
    return {v for v in cells if isinstance(v, str) and v.startswith("东理纪催〔")}


def set_deadline(root, deadline: str) -> None:
    config = root / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('deadline = "11-16"', f'deadline = "{deadline}"'),
                      encoding="utf-8")


def written_ago(path, days: float, today: dt.date = TODAY):
    """Date ``path`` as written ``days`` before the pinned ``today`` (negative: after it) by its own file system's
    clock, as a share's files are dated by the file server. A file keeps its date on the real calendar when today
    is pinned in the past (lzdocs.clock.Clock.present): its age then includes the days since that pinned today."""
    from lzdocs.fsutil import file_system_now

    since = max(0, (dt.date.today() - today).days)  # the real calendar's days since the pinned today
    when = file_system_now(path.parent) - (days + since) * 86_400
    os.utime(path, (when, when))
    return path


@pytest.fixture
def ws(tmp_path):
    """东方理工大学's new workspace (deadline 11-16, the default)."""
    root = tmp_path / "工作区"
    run_json("init", root, *SCHOOL)
    return root


# --- Deadlines ---------------------------------------------------------------------------------------------------

def test_urge_before_the_deadline_is_refused_and_names_the_deadline(ws):
    set_deadline(ws, "12-15")
    proc = run_cli("-w", ws, "urge", env=day("2026-12-01"), check=2)
    assert proc.stderr.startswith("错误：报送截止日期是 2026年12月15日，今天（2026年12月1日）还没有过期，不能催报")
    assert "lzdocs urge --reminder" in proc.stderr
    assert not (ws / "outbox" / "2026" / "催报通知").exists()


def test_a_reminder_before_the_deadline_asks_for_the_deadline_itself_in_words_of_a_reminder(ws):
    set_deadline(ws, "12-15")
    rows = run_json("-w", ws, "urge", "--reminder", env=day("2026-12-01"))
    assert len(rows) == 13 and rows[0]["number"] == "东理纪催〔2026〕1号"
    assert rows[0]["files"] == ["outbox/2026/催报通知/东理纪催〔2026〕1号-党政办公室.docx"]
    text = text_of(ws / rows[0]["files"][0])
    assert "报送提醒" in text and "催报" not in text and "补报" not in text
    assert "各部门、各单位应于2026年12月15日前报送《岗位风险分析和防控措施表》" in text
    assert "请你单位抓紧完成，于2026年12月15日前按时报送。" in text
    said = run_cli("-w", ws, "urge", "--reminder", "--draft", env=day("2026-12-02"), check=0).stdout.splitlines()
    assert said[0] == ("党政办公室：报送提醒 东理纪催〔2026〕（草稿） → "
                       "outbox/2026/草稿/东理纪催〔2026〕（草稿）-党政办公室.docx")  # what it is titled, not 催报通知


def test_an_urge_after_the_deadline_asks_for_a_date_after_it_and_refuses_an_earlier_one(ws):
    set_deadline(ws, "12-15")
    early = run_cli("-w", ws, "urge", "--set", "补报期限=2026-12-10", env=day("2026-12-16"), check=2)
    assert "补报期限 2026年12月10日 早于原定报送截止日期 2026年12月15日" in early.stderr
    rows = run_json("-w", ws, "urge", env=day("2026-12-16"))
    text = text_of(ws / rows[0]["files"][0])
    assert text.splitlines()[2] == "催报通知" and "报送提醒" not in text
    assert "应于2026年12月15日前报送" in text and "请你单位高度重视，于2026年12月23日前补报。" in text


def test_urge_run_again_the_same_day_sends_only_the_letters_the_first_run_did_not(ws):
    """A first run cut short (here: two units not yet on the roster, one letter voided) and run again that day: the
    units already sent the 催报 are not sent a second one, and no 文号 is spent on them; --again sends anyway."""
    monday = day("2026-12-07")
    roster = ws / "units.csv"
    full = roster.read_text(encoding="utf-8")
    lines = full.splitlines(keepends=True)
    roster.write_text("".join(lines[:-2]), encoding="utf-8")  # the last two units: not reached by the first run
    first = run_json("-w", ws, "urge", env=monday)
    assert [r["status"] for r in first] == ["issued"] * 11
    run_json("-w", ws, "void", first[0]["number"], "--reason", "发错了", env=monday)
    roster.write_text(full, encoding="utf-8")

    plan = run_json("-w", ws, "urge", "--dry-run", env=monday)
    assert len(plan["units"]) == 13
    assert plan["already"] == [{"unit": r["unit"], "number": r["number"]} for r in first[1:]]
    shown = run_cli("-w", ws, "urge", "--dry-run", env=monday).stdout
    assert "其中 10 个单位2026年12月7日已发过催报通知，不会重复发文" in shown and "--again" in shown

    second = run_json("-w", ws, "urge", env=monday)
    sent = [r for r in second if r["status"] == "issued"]
    assert [r["unit"] for r in sent] == [first[0]["unit"], *(u.split(",")[0] for u in lines[-2:])]
    assert [r["number"] for r in sent] == [f"东理纪催〔2026〕{n}号" for n in (12, 13, 14)]  # none spent twice
    skipped = [r for r in second if r["status"] == "skipped"]
    assert [(r["unit"], r["number"]) for r in skipped] == [(r["unit"], r["number"]) for r in first[1:]]
    assert all(r["files"] == [] and r["error"] is None for r in skipped)
    assert len(urges_registered(ws)) == 14

    told = run_cli("-w", ws, "urge", env=monday)  # everything sent: nothing issued, the clerk is told why
    assert "2026年12月7日已发过催报通知、没有重复发文的单位（13 个）" in told.stdout and "共 0 份" not in told.stdout
    assert len(urges_registered(ws)) == 14
    assert [r["status"] for r in run_json("-w", ws, "urge", "--again", env=monday)] == ["issued"] * 13
    assert [r["status"] for r in run_json("-w", ws, "urge", env=day("2026-12-08"))] == ["issued"] * 13
    assert len(urges_registered(ws)) == 40


def test_an_urge_run_while_another_is_sending_skips_every_unit_the_other_sent(ws):
    """The check is made again under the write lock that takes each number: a second urge (another machine, a
    scheduled task) that sends while the first is on its way makes the first skip those units, naming their 文号."""
    from lzdocs.office import Office

    monday = dt.date(2026, 12, 7)
    others: list = []

    def meanwhile(i, total, unit):
        if i == 0 and not others:  # the first run has read who was sent it: none yet
            with Office(ws, today=monday) as other:
                others.append(other.urge())

    with Office(ws, today=monday) as office:
        first = office.urge(progress=meanwhile)
    [second] = others
    sent = {r.unit: str(r.issued.number) for r in second.rows if r.issued}
    assert len(sent) == 13 and not first.failed
    assert [r for r in first.rows if r.issued] == [] and first.already == sent
    assert len(urges_registered(ws)) == 13


@pytest.mark.slow
def test_three_urges_started_at_once_send_each_unit_one_notice(ws):
    env = day("2026-12-07")
    runs = [subprocess.Popen([sys.executable, "-m", "lzdocs", "-w", str(ws), "urge", "--json"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
            for _ in range(3)]
    ended = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], [err for _, err in ended]
    outputs = [json.loads(out) for out, _ in ended]
    issued = [r for out in outputs for r in out if r["status"] == "issued"]
    assert sorted(r["unit"] for r in issued) == sorted({r["unit"] for out in outputs for r in out})
    assert len(issued) == 13 == len(urges_registered(ws))


def test_the_same_day_urge_check_is_by_reporting_year_and_roster_name_and_a_draft_shows_what_would_go(ws):
    monday = day("2026-12-07")
    last_year = run_json("-w", ws, "urge", "--year", "2025", env=monday)
    assert len(last_year) == 13
    sheet = load_workbook(ws / "outbox" / "2026" / "登记簿" / "发文登记簿.xlsx").worksheets[0]
    rows = [r for r in sheet.iter_rows(values_only=True) if r and isinstance(r[0], int)]
    assert len(rows) == 13 and {r[8] for r in rows} == {"2025年度"}  # 备注: the year whose forms it asks for
    this_year = run_json("-w", ws, "urge", env=monday)  # 2026's forms: another letter, not "already sent"
    assert [r["status"] for r in this_year] == ["issued"] * 13
    roster = ws / "units.csv"  # 人事处 renamed 人力资源处, the old name kept as an alias
    roster.write_text(roster.read_text(encoding="utf-8-sig").replace("人事处,人事部", "人力资源处,人事处、人事部"),
                      encoding="utf-8")
    draft = run_json("-w", ws, "urge", "--draft", env=monday)
    assert [r["status"] for r in draft] == ["skipped"] * 13  # a draft shows what the run would send: nothing
    assert [r["unit"] for r in draft][:5] == ["党政办公室", "纪委办公室", "组织部", "宣传部", "人力资源处"]
    refused = run_cli("-w", ws, "urge", "--number", "东理纪催〔2026〕99号", env=monday, check=2)
    assert "文号 东理纪催〔2026〕99号 没有用上" in refused.stderr and "--again" in refused.stderr
    wrong = run_cli("-w", ws, "urge", "--set", "报送年度=2024", env=monday, check=2)
    assert "报送年度由 --year 指定" in wrong.stderr and "lzdocs urge --year 2024" in wrong.stderr


def test_in_january_the_year_just_ended_is_the_one_status_and_urge_work_on(ws, make_form):
    make_form(ws / "inbox" / "计财处.docx")  # the 2026 form, taken on 2026-11-28
    run_json("-w", ws, "ingest")
    january = day("2027-01-05")
    assert run_json("-w", ws, "status", env=january)["year"] == 2026
    urged = run_json("-w", ws, "urge", "--dry-run", env=january)
    assert urged["year"] == 2026 and "计划财务处" not in urged["units"] and len(urged["units"]) == 12
    [first, *_] = run_json("-w", ws, "urge", env=january)
    assert first["number"] == "东理纪催〔2027〕1号"  # numbered in the year it is issued
    assert "2026" in text_of(ws / first["files"][0]) and "2026年11月16日" in text_of(ws / first["files"][0])
    assert run_json("-w", ws, "urge", "--reminder", "--dry-run", env=january)["year"] == 2027  # ahead: this year's
    # no 2027 form yet, but 2026's time of late forms is over (nearer 2027-11-16 than 2026-11-16): 2027's turn — a
    # 催报 for 2026 now would ask for forms that are taken as 2027's
    assert run_json("-w", ws, "status", env=day("2027-06-01"))["year"] == 2027
    later = day("2027-11-20")  # the 2027 deadline (11-16) has passed, no 2027 form yet: 2027's turn
    assert run_json("-w", ws, "status", env=later)["year"] == 2027
    again = run_json("-w", ws, "urge", "--dry-run", env=later)
    assert again["year"] == 2027 and len(again["units"]) == 13


def test_a_form_of_next_year_come_early_leaves_the_year_running_the_default(ws, make_form):
    """On 2026-12-15 图书馆 sends a form dated 2027-01-05 (next year's, early): it is taken as 2027's, but status,
    urge and register go on working on 2026 — the late units of 2026 are still to be urged, its registers kept —
    until 2027 comes."""
    first = make_form(ws / "inbox" / "计财处.docx").read_bytes()
    run_json("-w", ws, "ingest")
    december = day("2026-12-15")
    data = make_form(ws / "inbox" / "图书馆.docx", unit="图书馆", date=dt.date(2027, 1, 5)).read_bytes()
    [early] = run_json("-w", ws, "ingest", env=december)
    assert (early["status"], early["year"]) == ("accepted", 2027)
    assert_each_input_exactly_once(Workspace.open(ws), [first, data])
    assert run_json("-w", ws, "status", env=december)["year"] == 2026
    urged = run_json("-w", ws, "urge", "--dry-run", env=december)
    assert urged["year"] == 2026 and "计划财务处" not in urged["units"] and "图书馆" in urged["units"]
    # in January, 2027 begun and one of its forms in, the office is still finishing 2026 (its late units urged,
    # its summary written); once 2026's time of late forms is over (nearer 2027's deadline), 2027's turn
    assert run_json("-w", ws, "status", env=day("2027-01-06"))["year"] == 2026
    assert run_json("-w", ws, "status", env=day("2027-06-01"))["year"] == 2027
    from lzdocs.store import Store
    from lzdocs.store.years import close_year

    with Store(f"sqlite:///{(ws / 'lzdocs.db').as_posix()}") as store, store.begin() as conn:
        close_year(conn, 2026, at=dt.datetime(2027, 1, 5, 9), package="D:/归档/2026", items=3, manifest_sha256="0" * 64)
    assert run_json("-w", ws, "status", env=day("2027-01-06"))["year"] == 2027  # 2026 handed over: done with


def test_the_year_after_one_archived_is_the_default_before_any_of_its_forms(ws, make_form):
    """2026 archived on 2027-01-20, no 2027 form yet: on 2027-09-01 status, urge and summary work on 2027 — not on
    the closed 2026, whose every command then said to reopen it."""
    from lzdocs.store import Store
    from lzdocs.store.years import close_year

    make_form(ws / "inbox" / "计财处.docx")
    run_json("-w", ws, "ingest")
    with Store(f"sqlite:///{(ws / 'lzdocs.db').as_posix()}") as store, store.begin() as conn:
        close_year(conn, 2026, at=dt.datetime(2027, 1, 20, 9), package="D:/归档/2026", items=3,
                   manifest_sha256="0" * 64)
    september = day("2027-09-01")
    assert run_json("-w", ws, "status", env=september)["year"] == 2027
    assert run_json("-w", ws, "urge", "--dry-run", env=september)["year"] == 2027


def test_a_unit_taken_off_the_roster_still_has_its_card(ws, make_form):
    """图书馆 sent its 2026 form, then was taken off units.csv (merged away): ``lzdocs unit 图书馆`` still shows what
    the archive holds of it, saying it is no longer on the roster — a name never recorded is still refused."""
    make_form(ws / "inbox" / "图书馆.docx", unit="图书馆")
    run_json("-w", ws, "ingest")
    roster = ws / "units.csv"
    roster.write_text(roster.read_text(encoding="utf-8-sig").replace("图书馆,,,\n", ""), encoding="utf-8-sig")
    proc = run_cli("-w", ws, "unit", "图书馆", "--json")
    card = json.loads(proc.stdout)
    assert card["unit"] == "图书馆" and len(card["risks"]) == len(SAMPLE_ROWS)
    assert "单位“图书馆”不在单位名单中" in proc.stderr
    assert "不在单位名单中" in run_cli("-w", ws, "unit", "档案馆", check=2).stderr


def test_a_reminder_after_the_deadline_is_refused_saying_to_urge(ws):
    """On 2026-12-31 a 报送提醒 would ask for forms by 2026-11-16, past: refused before a number is taken, saying
    to send a 催报通知; on 2027-01-01 it is 2027's, whose deadline is ahead."""
    refused = run_cli("-w", ws, "urge", "--reminder", env=day("2026-12-31"), check=2)
    assert "2026 年度的报送截止日期 2026年11月16日 已过，不能再发报送提醒" in refused.stderr
    assert "lzdocs urge --year 2026" in refused.stderr
    assert not list((ws / "outbox").rglob("*催报通知*.docx"))
    [first, *_] = run_json("-w", ws, "urge", "--reminder", env=day("2027-01-01"))
    assert first["number"] == "东理纪催〔2027〕1号"


# --- On time or late, by the day a form arrived -------------------------------------------------------------------

def test_a_form_ingested_late_that_arrived_before_the_deadline_is_on_time(ws, make_form, tmp_path):
    form = written_ago(make_form(ws / "inbox" / "计财处.docx"), 14)
    [out] = run_json("-w", ws, "ingest")  # today is 2026-11-28, twelve days after the deadline
    assert (out["status"], out["received"]) == ("accepted", "2026-11-14")
    assert not form.exists()
    status = run_json("-w", ws, "status")
    unit = next(u for u in status["units"] if u["unit"] == "计划财务处")
    assert (unit["state"], unit["arrived"]) == ("submitted", "2026-11-14")
    row = register(ws, "报送情况登记表")["计划财务处"]
    assert (row["报送状态"], row["收到日期"].date()) == ("按时报送", dt.date(2026, 11, 14))


def test_paperwork_done_as_of_an_earlier_day_keeps_the_day_a_form_came(ws, make_form):
    """On 2026-12-04 the clerk takes in, as of 11-25 (LZDOCS_TODAY), a form the inbox got on 11-20: it came on 11-20,
    four days late — not on 11-11 (its age counted back from the pinned day), which would read as on time."""
    import time_machine

    with time_machine.travel(dt.datetime(2026, 12, 4, 10, 0).astimezone(), tick=True):
        form = written_ago(make_form(ws / "inbox" / "人事处.docx", unit="人事处"), 5, dt.date(2026, 11, 25))
        sent = form.read_bytes()
        [out] = run_json("-w", ws, "ingest", env=day("2026-11-25"))
        assert out["received"] == "2026-11-20"
        assert_each_input_exactly_once(Workspace.open(ws), [sent])
        assert register(ws, "报送情况登记表")["人事处"]["备注"] == "逾期 4 天"


def test_a_modification_time_in_the_future_is_not_believed(ws, make_form):
    make_form(ws / "inbox" / "计财处.docx")
    written_ago(ws / "inbox" / "计财处.docx", -100)  # dated after the file system's now: not believed
    [out] = run_json("-w", ws, "ingest", env=day("2026-11-20"))
    assert out["received"] == "2026-11-20"
    status = run_json("-w", ws, "status", env=day("2026-11-20"))
    assert "计划财务处" in status["late"]
    assert register(ws, "报送情况登记表")["计划财务处"]["备注"] == "逾期 4 天"


def test_received_names_the_day_a_mailed_form_came_and_a_future_day_is_refused(ws, make_form, tmp_path):
    mailed = make_form(tmp_path / "邮件附件" / "基建处.docx", unit="基建处")
    ahead = run_cli("-w", ws, "ingest", mailed, "--received", "2026-11-29", check=2)
    assert "收到日期 2026-11-29 在今天（2026-11-28）之后" in ahead.stderr
    [out] = run_json("-w", ws, "ingest", mailed, "--received", "2026-11-15")
    assert (out["status"], out["received"]) == ("accepted", "2026-11-15")
    assert mailed.exists()  # a file named on the command line is copied, never moved
    row = register(ws, "报送情况登记表")["基建处"]
    assert (row["报送状态"], row["收到日期"].date()) == ("按时报送", dt.date(2026, 11, 15))


def test_a_watched_form_arrived_when_the_watcher_first_saw_it(ws, make_form):
    """The watcher saw the file three days ago (it was still being copied then): it arrived then."""
    from lzdocs.clock import Clock
    from lzdocs.store import Store
    from lzdocs.watch.scanner import stat_sig
    from lzdocs.watch.worker import TAKEN, IngestWorker, Job
    from lzdocs.workspace import Workspace

    set_deadline(ws, "11-26")
    workspace = Workspace.open(ws)
    path = make_form(workspace.inbox / "计财处.docx")
    worker = IngestWorker(workspace, lambda: Store.for_workspace(workspace), quiet=0.1,
                          dates=Clock(dt.date(2026, 11, 28)))
    results = []
    worker.report = results.append
    worker.start()
    assert worker.ready.wait(10)
    worker.submit(Job(str(path), stat_sig(str(path)), first_seen=time.monotonic() - 3 * 86400))
    deadline = time.monotonic() + 30
    while not results and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.stop()
    worker.join(30)
    [result] = results
    assert (result.kind, result.outcome.received) == (TAKEN, dt.date(2026, 11, 25))
    status = run_json("-w", ws, "status")
    assert status["submitted"] == ["计划财务处"] and status["late"] == []


def test_the_watcher_remembers_the_first_sight_while_a_file_is_still_growing():
    from lzdocs.watch.tracker import StabilityTracker

    tracker = StabilityTracker(stable=5)
    tracker.observe("inbox/a.docx", (100, 1), now=10.0)
    tracker.observe("inbox/a.docx", (900, 2), now=14.0)  # still being copied
    assert tracker.observe("inbox/a.docx", (900, 2), now=20.0)
    assert tracker.entries["inbox/a.docx"].first_seen == 10.0


def test_an_archive_of_schema_3_gains_the_arrival_day_of_its_forms(ws, make_form):
    run_json("-w", ws, "ingest", make_form(ws / "计财处.docx"))
    db = ws / "lzdocs.db"
    with sqlite3.connect(db) as conn:
        conn.execute("ALTER TABLE submissions DROP COLUMN arrived_on")
        conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
        taken = conn.execute("SELECT received_at FROM submissions").fetchone()[0]
    status = run_json("-w", ws, "status")
    unit = next(u for u in status["units"] if u["unit"] == "计划财务处")
    assert unit["arrived"] == taken[:10]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION)


# --- Replies and talks ----------------------------------------------------------------------------------------------

SUGGESTION = ["--set", "事由=在检查中", "--set", "问题=采购程序不规范", "--set", "建议=完善采购制度"]


def test_a_reply_without_a_date_is_today_once_and_a_recorded_date_changes_only_with_correct(ws):
    number = run_json("-w", ws, "letter", "suggestion", "--unit", "计财处", *SUGGESTION)["number"]
    assert number == "东理纪建〔2026〕1号"
    first = run_json("-w", ws, "reply", number, env=day("2026-12-05"))
    assert (first["replied"], first["changed"]) == ("2026-12-05", True)
    again = run_cli("-w", ws, "reply", number, env=day("2026-12-09"), check=0)
    assert again.stdout == f"{number}（计划财务处）已登记回复日期 2026年12月5日，未改动。\n"
    other = run_cli("-w", ws, "reply", number, "--date", "2026-12-07", env=day("2026-12-09"), check=2)
    assert other.stderr.startswith(f"错误：{number} 已登记回复日期 2026年12月5日，未改动；确需更正时加 --correct")
    future = run_cli("-w", ws, "reply", number, "--date", "2026-12-10", env=day("2026-12-09"), check=2)
    assert "回复日期 2026年12月10日 在今天（2026年12月9日）之后" in future.stderr
    before = run_cli("-w", ws, "reply", number, "--date", "2026-11-01", "--correct", env=day("2026-12-09"), check=2)
    issued = before.stderr.split("早于发文日期 ")[1].split("；")[0]  # the letter's day, and the command to use it
    assert f"请核对回复日期（不能早于发文日期）或文号，例如：lzdocs reply {number} --date " in before.stderr
    assert before.stderr.strip().endswith(dt.date(*map(int, re.findall(r"\d+", issued))).isoformat())
    fixed = run_json("-w", ws, "reply", number, "--date", "2026-12-07", "--correct", env=day("2026-12-09"))
    assert (fixed["replied"], fixed["previous"], fixed["changed"]) == ("2026-12-07", "2026-12-05", True)
    assert register(ws, "预警处置台账")[number]["回复日期"].date() == dt.date(2026, 12, 7)
    with sqlite3.connect(ws / "lzdocs.db") as conn:
        log = [(json.loads(b)["replied"], json.loads(a)["replied"]) for b, a in conn.execute(
            "SELECT before, after FROM events WHERE action = 'reply' AND subject = ? ORDER BY id", (number,))]
    assert log == [(None, "2026-12-05"), ("2026-12-05", "2026-12-07")]


def test_a_talk_s_place_changes_only_with_correct_and_place_is_for_talks_only(ws):
    talk = run_json("-w", ws, "letter", "talk", "--unit", "基建处", "--set", "对象=基建处处长",
                    "--set", "事由=在检查中", "--set", "谈话时间=2026年12月8日上午9:30",
                    "--set", "谈话地点=纪委办公室", "--set", "谈话人=纪委副书记 王某")["number"]
    held = day("2026-12-09")
    run_cli("-w", ws, "reply", talk, "--date", "2026-12-08", "--place", "纪委办公室", "--by", "王某", env=held, check=0)
    proc = run_cli("-w", ws, "reply", talk, "--place", "礼堂", "--by", "赵某", env=held, check=2)
    assert proc.stderr.startswith(f"错误：{talk} 已登记谈话（谈话地点：纪委办公室；谈话人：王某），未改动")
    run_cli("-w", ws, "reply", talk, "--place", "礼堂", "--by", "赵某", "--correct", env=held, check=0)
    row = register(ws, "预警处置台账")[talk]
    assert (row["回复日期"].date(), row["备注"]) == (dt.date(2026, 12, 8), "谈话地点：礼堂；谈话人：赵某")
    letter = run_json("-w", ws, "letter", "suggestion", "--unit", "计财处", "--set", "事由=在检查中",
                      "--set", "问题=报销不严", "--set", "建议=双签")["number"]
    proc = run_cli("-w", ws, "reply", letter, "--date", "2026-11-28", "--place", "会议室", "--by", "李某", check=2)
    assert "--place、--by 只用于登记谈话" in proc.stderr


def test_a_reply_is_never_corrected_to_after_the_check(ws):
    letter = run_json("-w", ws, "letter", "suggestion", "--unit", "计财处", "--set", "事由=在检查中",
                      "--set", "问题=报销不严", "--set", "建议=双签")["number"]
    later = day("2026-12-02")
    run_cli("-w", ws, "reply", letter, "--date", "2026-11-30", env=later, check=0)
    run_cli("-w", ws, "follow-up", letter, "--result", "已整改", "--by", "张某", "--date", "2026-12-01", env=later,
            check=0)
    proc = run_cli("-w", ws, "reply", letter, "--date", "2026-12-02", "--correct", env=later, check=2)
    assert proc.stderr.startswith("错误：回复日期 2026年12月2日 晚于已登记的整改核查日期 2026年12月1日")


def test_a_number_too_long_or_typed_in_full_width_digits(ws):
    sets = ("--set", "事由=在检查中", "--set", "问题=报销不严", "--set", "建议=双签")
    proc = run_cli("-w", ws, "letter", "suggestion", "--unit", "计财处", *sets,
                   "--number", "东理纪建〔2026〕99999999999999999999号", check=2)
    assert proc.stderr.startswith("错误：") and "Traceback" not in proc.stderr
    issued = run_json("-w", ws, "letter", "suggestion", "--unit", "计财处", *sets,
                      "--number", "东理纪建〔２０２６〕６号")
    assert issued["number"] == "东理纪建〔2026〕6号"  # the numbers before it, never issued, are named
    assert issued["warnings"][0].startswith("文号 东理纪建〔2026〕6号 比下一个自动编号 东理纪建〔2026〕1号 大 5 个："
                                            "1—5号（共 5 个）空着")
    far = run_json("-w", ws, "letter", "suggestion", "--unit", "计财处", *sets, "--number", "东理纪建〔2026〕600号")
    assert far["warnings"] == ["文号 东理纪建〔2026〕600号 比下一个自动编号 东理纪建〔2026〕7号 大 593 个："
                               "7—599号（共 593 个）空着，此后自动编号从 601 号接着编；如果空着的文号在别处已编发，"
                               "请用 --number 逐个登记，不再使用的可用 lzdocs void 作废（发文登记簿中注明空号和原因）；"
                               "如果文号写错了，请用 lzdocs void 作废它并说明原因"]
    near = run_json("-w", ws, "letter", "suggestion", "--unit", "计财处", *sets, "--number", "东理纪建〔2026〕602号")
    assert near["warnings"][0].startswith("文号 东理纪建〔2026〕602号 比下一个自动编号 东理纪建〔2026〕601号 大 1 个："
                                          "601号空着")


def test_a_talk_held_is_recorded_and_closed_in_the_warning_register(ws):
    talk = run_json("-w", ws, "letter", "talk", "--unit", "基建处", "--set", "对象=基建处处长",
                    "--set", "事由=在检查中", "--set", "谈话时间=2026年12月8日上午9:30", "--set", "谈话地点=纪委办公室",
                    "--set", "谈话人=纪委副书记 王某某")["number"]
    pending = register(ws, "预警处置台账")[talk]  # followed from its issue, due on the day of the talk
    assert (pending["状态"], pending["回复期限"].date()) == ("未到期", dt.date(2026, 12, 8))
    proc = run_cli("-w", ws, "reply", talk, "--date", "2026-12-08", "--place", "纪委办公室（行政楼301）",
                   "--by", "纪委副书记 王某某", env=day("2026-12-09"), check=0)
    assert proc.stdout.startswith(f"已登记谈话：{talk}（基建处，谈话提醒通知书），谈话日期 2026年12月8日")
    row = register(ws, "预警处置台账")[talk]
    assert (row["单位"], row["文种"], row["状态"], row["回复日期"].date()) == (
        "基建处", "谈话提醒通知书", "已谈话", dt.date(2026, 12, 8))
    assert row["备注"] == "谈话地点：纪委办公室（行政楼301）；谈话人：纪委副书记 王某某"


def test_a_number_not_recorded_is_said_with_what_the_register_holds(ws):
    """reply and void say how far the code's numbers go, or which codes the year has — in this workspace's own
    codes; before, void's hint was always 内工大纪建〔2026〕3号, and reply's example could be the very number asked."""
    assert "还没有发文" in run_cli("-w", ws, "reply", "东理纪建〔2026〕1号", check=2).stderr
    sets = ["--set", "事由=在检查中", "--set", "问题=采购程序不规范", "--set", "建议=完善采购制度"]
    run_json("-w", ws, "letter", "talk", "--unit", "基建处", "--set", "对象=基建处处长", "--set", "事由=在检查中",
             "--set", "谈话时间=2026年12月8日上午9:30", "--set", "谈话地点=纪委办公室", "--set", "谈话人=纪委副书记")
    run_json("-w", ws, "letter", "suggestion", "--unit", "计财处", *sets)
    for command in (["reply", "东理纪建〔2026〕9号"], ["void", "东理纪建〔2026〕9号", "--reason", "x"]):
        proc = run_cli("-w", ws, *command, check=2)
        assert proc.stderr == ("错误：发文登记簿中没有文号“东理纪建〔2026〕9号”；"
                               "东理纪建〔2026〕的文号编到 1 号，请核对文号\n")
    proc = run_cli("-w", ws, "void", "东理纪改〔2026〕1号", "--reason", "x", check=2)
    assert proc.stderr.endswith("；2026 年度用过的机关代字：东理纪谈、东理纪建；请核对文号\n")


# --- Rejections ---------------------------------------------------------------------------------------------------

def test_the_explanation_names_the_row_and_its_number_and_ends_with_whom_to_ask(ws, make_form):
    make_form(ws / "inbox" / "计财处.docx", rows=BAD_ROWS)
    [out] = run_json("-w", ws, "ingest", check=1)
    assert out["problems"][0]["row"] == 2 and out["problems"][0]["seq"] == "1"
    note = (ws / "inbox" / "退回" / "计财处.docx.错误说明.txt").read_bytes().decode("utf-8-sig").split("\r\n")
    assert note[5] == ("1. [错误] 第2行（序号1）“风险等级”列：无法识别的风险等级，请填写一级、二级或三级"
                       "（当前内容：“很高”）")
    assert note[-2] == "如有疑问，请联系东方理工大学纪委办公室（联系人：张老师，电话：0471-1234567）。"


def test_a_corrected_form_settles_the_returned_files_and_status_forgets_the_old_reason(ws, make_form):
    returned = ws / "inbox" / "退回"
    make_form(ws / "inbox" / "计财处.docx", rows=BAD_ROWS)
    run_json("-w", ws, "ingest", check=1, env=day("2026-11-10"))
    before = next(u for u in run_json("-w", ws, "status", env=day("2026-11-10"))["units"] if u["unit"] == "计划财务处")
    assert before["last_rejection"].startswith("无法识别的风险等级")
    (returned / "已处理").mkdir()
    (returned / "已处理" / "计财处.docx").write_bytes(b"an earlier settled file")  # never overwritten
    make_form(ws / "inbox" / "计财处.docx")
    [out] = run_json("-w", ws, "ingest", env=day("2026-11-12"))
    assert out["status"] == "accepted"
    assert sorted(p.name for p in returned.iterdir()) == ["已处理"]
    assert sorted(p.name for p in (returned / "已处理").iterdir()) == [
        "计财处.docx", "计财处_01.docx", "计财处_01.docx.错误说明.txt"]
    assert (returned / "已处理" / "计财处.docx").read_bytes() == b"an earlier settled file"
    assert "第2行（序号1）" in (returned / "已处理" / "计财处_01.docx.错误说明.txt").read_text(encoding="utf-8-sig")
    unit = next(u for u in run_json("-w", ws, "status", env=day("2026-11-12"))["units"] if u["unit"] == "计划财务处")
    assert (unit["state"], unit["rejections"], unit["last_rejection"]) == ("submitted", 1, None)
    shown = run_cli("-w", ws, "status", env=day("2026-11-12"), check=0).stdout
    assert "无法识别" not in shown


def test_an_urge_to_a_unit_whose_form_was_returned_says_so(ws, make_form):
    """A 催报 to a unit whose form came and was returned says when it came and that it was returned, not that
    nothing was received; a unit that sent nothing is told that. 退回情况 is urge's, not a --set."""
    make_form(ws / "inbox" / "计财处.docx", rows=BAD_ROWS)
    written_ago(ws / "inbox" / "计财处.docx", 3, dt.date(2026, 11, 20))
    run_json("-w", ws, "ingest", check=1, env=day("2026-11-20"))
    rows = {r["unit"]: r for r in run_json("-w", ws, "urge", env=day("2026-12-07"))}
    returned, silent = (text_of(ws / rows[unit]["files"][0]) for unit in ("计划财务处", "基建处"))
    assert ("你单位于2026年11月17日报送的材料不符合填报要求，已退回修改（原因见退回文件夹中的错误说明），"
            "截至2026年12月7日，我委尚未收到修改后的材料。") in returned
    assert "尚未收到你单位报送的材料" not in returned
    assert "截至2026年12月7日，我委尚未收到你单位报送的材料。" in silent and "退回" not in silent
    refused = run_cli("-w", ws, "urge", "--again", "--set", "退回情况=已退回", env=day("2026-12-08"), check=2)
    assert "退回情况由 lzdocs urge 按各单位的退回记录填写" in refused.stderr


def test_a_form_whose_unit_name_is_one_character_off_is_returned_as_that_unit_s(ws, make_form):
    """国有资产管里处 in 国资处.docx is 国有资产管理处's form (one character off its name, and the file named by its
    alias): returned as that unit's — its 报送情况 counts it, its 催报 says it was returned, its corrected form settles
    it. A name one character off with nothing else to say so stays as written, and nobody's: two real units may differ
    by one character (机械工程学院, 机电工程学院)."""
    written_ago(make_form(ws / "inbox" / "国资处.docx", unit="国有资产管里处"), 3, dt.date(2026, 11, 20))
    make_form(ws / "inbox" / "风险表.docx", unit="后勤管里处")
    out = {r["file"]: r for r in run_json("-w", ws, "ingest", check=1, env=day("2026-11-20"))}
    typo, other = out["inbox/国资处.docx"], out["inbox/风险表.docx"]
    assert (typo["status"], typo["unit"], other["status"], other["unit"]) == (
        "rejected", "国有资产管理处", "rejected", "后勤管里处")
    assert typo["problems"][0]["message"] == ("单位名称与名单（units.csv）中的“国有资产管理处”只差一个字（文件名也是"
                                              "这个单位），按国有资产管理处的表退回；请把单位名称改为“国有资产管理处”后重新报送")
    assert other["problems"][0]["message"].startswith("单位不在名单（units.csv）中。最接近的名单单位：后勤管理处")
    units = {u["unit"]: u for u in run_json("-w", ws, "status", env=day("2026-11-20"))["units"]}
    assert (units["国有资产管理处"]["rejections"], units["后勤管理处"]["rejections"]) == (1, 0)
    rows = {r["unit"]: r for r in run_json("-w", ws, "urge", env=day("2026-12-07"))}
    urged = text_of(ws / rows["国有资产管理处"]["files"][0])
    assert "你单位于2026年11月17日报送的材料不符合填报要求，已退回修改" in urged
    assert "尚未收到你单位报送的材料" in text_of(ws / rows["后勤管理处"]["files"][0])
    make_form(ws / "inbox" / "国资处.docx", unit="国有资产管理处")
    assert run_json("-w", ws, "ingest", env=day("2026-12-08"))[0]["status"] == "accepted"
    assert sorted(p.name for p in (ws / "inbox" / "退回").iterdir()) == [
        "已处理", "风险表.docx", "风险表.docx.错误说明.txt"]


def test_an_older_urge_template_still_urges_a_returned_unit_and_says_what_it_wrote(ws, make_form):
    template = ws / "templates" / "催报通知.docx"
    old = docx.Document(template)
    for paragraph in old.paragraphs:  # the text before 退回情况
        for run in paragraph.runs:
            if (cut := run.text.find("{% if 退回情况 %}")) >= 0:
                run.text = run.text[:cut] + "截至{{ 成文日期 }}，我委尚未收到你单位报送的材料。"
    old.save(template)
    make_form(ws / "inbox" / "计财处.docx", rows=BAD_ROWS)
    run_json("-w", ws, "ingest", check=1, env=day("2026-11-20"))
    proc = run_cli("-w", ws, "urge", env=day("2026-12-07"), check=0)
    assert "提醒：计划财务处：工作区的催报通知模板是旧版本，这份通知仍写“尚未收到你单位报送的材料”" in proc.stderr
    assert proc.stderr.count("模板是旧版本") == 1  # the unit whose form was returned, no other


def test_a_reminder_is_refused_with_an_older_template_that_can_only_urge(ws):
    set_deadline(ws, "12-15")
    template = ws / "templates" / "催报通知.docx"
    old = docx.Document(template)
    for paragraph in old.paragraphs:  # the text before reminders: 催报 only
        for run in paragraph.runs:
            run.text = run.text.replace("{% if 提醒 %}报送提醒{% else %}催报通知{% endif %}", "催报通知")
            if run.text.startswith("{% if 提醒 %}请你单位抓紧完成"):
                run.text = "请你单位高度重视，于{{ 补报期限 }}前补报。"
    old.save(template)
    proc = run_cli("-w", ws, "urge", "--reminder", env=day("2026-12-01"), check=2)
    assert proc.stderr.startswith("错误：工作区的催报通知模板（templates/催报通知.docx）是旧版本，不能写成报送提醒")
    rows = run_json("-w", ws, "urge", env=day("2026-12-16"))  # after the deadline the old template still urges
    assert "请你单位高度重视，于2026年12月23日前补报。" in text_of(ws / rows[0]["files"][0])


def test_a_return_another_process_is_still_putting_in_place_is_not_settled(ws, make_form):
    make_form(ws / "inbox" / "计财处.docx", rows=BAD_ROWS)
    run_json("-w", ws, "ingest", check=1)
    with sqlite3.connect(ws / "lzdocs.db") as conn:
        [token] = conn.execute("SELECT claim FROM submissions WHERE status = 'rejected'").fetchone()
    from filelock import FileLock

    in_flight = ws / "inbox" / ".lzdocs" / "claims" / token
    in_flight.mkdir(parents=True)
    make_form(ws / "inbox" / "新表.docx")
    with FileLock(str(in_flight / ".lock")):  # its owner is alive and has not yet released the claim
        run_json("-w", ws, "ingest")
    assert sorted(p.name for p in (ws / "inbox" / "退回").iterdir()) == ["计财处.docx", "计财处.docx.错误说明.txt"]


def test_a_document_dated_after_today_is_issued_with_a_word_about_it(ws):
    issued = run_json("-w", ws, "letter", "suggestion", "--unit", "计财处", "--set", "事由=在检查中",
                      "--set", "问题=报销不严", "--set", "建议=双签", "--date", "2026-12-25")
    assert issued["warnings"] == ["成文日期2026年12月25日晚于今天（2026年11月28日）：请核对成文日期；"
                                  "之后按今天发出的文书会被提示为倒签"]


@pytest.mark.parametrize("now_there", [b"", b"another unit's returned file"], ids=["placeholder", "other-file"])
def test_a_returned_name_that_now_holds_other_bytes_is_not_settled(ws, make_form, now_there):
    """The race an adversarial run found: a return was settled by one process and its freed name in 退回/ taken
    by another (an empty reservation, then another returned file) before a third process settled from the row it
    had read. Only a file that is still the row's own bytes is moved; the row keeps pointing where it was."""
    returned = ws / "inbox" / "退回"
    make_form(ws / "inbox" / "计财处.docx", rows=BAD_ROWS)
    run_json("-w", ws, "ingest", check=1, env=day("2026-11-10"))
    original = (returned / "计财处.docx").read_bytes()
    (returned / "计财处.docx").unlink()  # settled elsewhere (as a crash between move and record would leave it)
    (returned / "计财处.docx").write_bytes(now_there)
    make_form(ws / "inbox" / "计财处.docx")
    [out] = run_json("-w", ws, "ingest", env=day("2026-11-12"))
    assert out["status"] == "accepted"
    assert (returned / "计财处.docx").read_bytes() == now_there
    assert not (returned / "已处理").exists()
    with sqlite3.connect(ws / "lzdocs.db") as db:
        [(stored_as, sha)] = db.execute("SELECT stored_as, sha256 FROM submissions WHERE status='rejected'")
    assert stored_as == "inbox/退回/计财处.docx" and sha != "" and original != now_there

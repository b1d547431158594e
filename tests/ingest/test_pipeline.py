"""Ingest as a library: where files go, what the archive holds, supersession, duplicates, ignored files."""

import datetime as dt
import json
import os

import pytest

from lzdocs.fsutil import CLOCK_PROBE
from lzdocs.ingest import Ingest
from lzdocs.store import submissions as subs
from tests.conftest import SAMPLE_ROWS

pytestmark = pytest.mark.both_backends  # the archive on SQLite and on PostgreSQL

TODAY = dt.date(2026, 11, 28)


def ingest(ws, store, paths=None):
    job = Ingest(ws, store, today=TODAY)
    return job.run_paths(paths) if paths is not None else job.run_inbox()


def current(store, **kw):
    with store.read() as conn:
        return [dict(r) for r in subs.current_risks(conn, **kw)]


def test_accepted_form_is_archived_by_year_and_unit_with_its_rows(workspace, store, make_form):
    make_form(workspace.inbox / "计财处.docx", unit="计财处")
    [out] = ingest(workspace, store)
    assert (out.status, out.unit, out.year, out.rows) == ("accepted", "计划财务处", 2026, 3)
    assert out.stored_as == "outbox/2026/收文/计划财务处/计财处.docx"
    assert (workspace.root / out.stored_as).is_file() and not (workspace.inbox / "计财处.docx").exists()
    rows = current(store)
    assert [(r["post"], r["risk"], r["level"], r["measures"]) for r in rows] == [
        (r["post"], r["risk"], int({"一级": 1, "二级": 2, "三级": 3}[r["level"]]), r["measures"]) for r in SAMPLE_ROWS]


def test_rejected_inbox_file_goes_to_returned_folder_with_explanation(workspace, store, make_form):
    rows = [dict(SAMPLE_ROWS[0], level="很高")]
    original = make_form(workspace.inbox / "坏表.xlsx", rows=rows).read_bytes()
    [out] = ingest(workspace, store)
    assert out.status == "rejected" and out.stored_as == "inbox/退回/坏表.xlsx"
    assert (workspace.rejected / "坏表.xlsx").read_bytes() == original
    note = (workspace.rejected / "坏表.xlsx.错误说明.txt").read_bytes().decode("utf-8-sig")
    assert "第4行（序号1）“风险等级”列" in note and "很高" in note and "\r\n" in note  # CRLF for Notepad
    assert current(store) == []


def test_newer_form_of_same_unit_and_year_supersedes_and_history_is_kept(workspace, store, make_form):
    make_form(workspace.inbox / "first.docx", date=dt.date(2026, 11, 1))
    ingest(workspace, store)
    make_form(workspace.inbox / "second.xlsx", rows=SAMPLE_ROWS[:1], date=dt.date(2026, 11, 20))
    [out] = ingest(workspace, store)
    assert out.supersedes == "outbox/2026/收文/计划财务处/first.docx"
    assert [r["risk"] for r in current(store)] == [SAMPLE_ROWS[0]["risk"]]
    with store.read() as conn:
        history = list(subs.superseded_risks(conn, year=2026))
    assert len(history) == 3 and history[0]["replaced_by_name"] == "second.xlsx"
    assert (workspace.root / "outbox/2026/收文/计划财务处/first.docx").is_file()


def test_an_older_form_arriving_late_goes_straight_to_history(workspace, store, make_form):
    make_form(workspace.inbox / "new.docx", rows=SAMPLE_ROWS[:1], date=dt.date(2026, 11, 20))
    ingest(workspace, store)
    make_form(workspace.inbox / "old.docx", date=dt.date(2026, 11, 1))
    [out] = ingest(workspace, store)
    assert out.status == "accepted" and out.supersedes is None
    assert len(current(store)) == 1


def test_same_bytes_again_are_a_duplicate_with_no_new_rows(workspace, store, make_form, tmp_path):
    source = make_form(tmp_path / "表.docx")
    first = ingest(workspace, store, [source])
    second = ingest(workspace, store, [source])
    assert [o.status for o in first + second] == ["accepted", "duplicate"]
    assert len(current(store)) == 3
    (workspace.inbox / "再交一次.docx").write_bytes(source.read_bytes())
    [third] = ingest(workspace, store)
    assert third.status == "duplicate" and "完全相同" in third.problems[0].message
    assert (workspace.root / third.stored_as).read_bytes() == source.read_bytes()
    assert "重复报送" in third.stored_as and len(current(store)) == 3


def test_given_paths_are_copied_never_moved_or_changed(workspace, store, make_form, tmp_path):
    good = make_form(tmp_path / "收到" / "好.docx")
    bad = make_form(tmp_path / "收到" / "坏.docx", rows=[dict(SAMPLE_ROWS[0], post="")])
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (good, bad)}
    outcomes = ingest(workspace, store, [tmp_path / "收到"])
    assert sorted(o.status for o in outcomes) == ["accepted", "rejected"]
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (good, bad)} == before
    assert list(workspace.rejected.iterdir()) == []  # returned files only come from the inbox


def test_lock_and_temp_files_are_ignored_and_untouched(workspace, store, make_form):
    names = ["~$计财处.docx", ".~lock.计财处.docx#", "x.tmp", "~WRL0001.tmp", "Thumbs.db", "desktop.ini", ".DS_Store",
             "._计财处.docx"]
    for n in names:
        (workspace.inbox / n).write_bytes(b"lock " + n.encode())
    outcomes = ingest(workspace, store)
    assert sorted(o.file for o in outcomes if o.status == "ignored") == sorted(
        f"inbox/{n}" for n in names)
    for n in names:
        assert (workspace.inbox / n).read_bytes() == b"lock " + n.encode()


def test_another_lzdocs_reading_the_shares_clock_is_not_reported_as_a_file_of_the_inbox(workspace, store, make_form):
    """A process beside this one reads the file server's clock by making a probe file in the inbox and removing it
    at once (``fsutil.file_system_now``): a run that lists the inbox at that moment says nothing of it — it is no
    file of the clerk's, and a script reading ``--json`` was told of a file already gone. The probe is left to its
    maker."""
    probe = workspace.inbox / f"{CLOCK_PROBE}-k3j2h1.tmp"
    probe.write_bytes(b"")
    make_form(workspace.inbox / "计财处.docx")
    outcomes = ingest(workspace, store)
    assert [(o.file, o.status) for o in outcomes] == [("inbox/计财处.docx", "accepted")]
    assert probe.exists()


def test_name_collisions_in_the_archive_get_numbered(workspace, store, make_form, tmp_path):
    make_form(workspace.inbox / "表.docx", date=dt.date(2026, 11, 1))
    ingest(workspace, store)
    make_form(workspace.inbox / "表.docx", rows=SAMPLE_ROWS[:2], date=dt.date(2026, 11, 2))
    [out] = ingest(workspace, store)
    assert out.stored_as == "outbox/2026/收文/计划财务处/表_01.docx"


def test_unit_name_never_escapes_the_archive(workspace, store, make_form):
    (workspace.root / "units.csv").write_text("单位,别名\n", encoding="utf-8")  # no roster: names are taken as written
    make_form(workspace.inbox / "x.docx", unit="../../x")
    [out] = ingest(workspace, store)
    archived = (workspace.root / out.stored_as).resolve()
    assert archived.is_relative_to((workspace.root / "outbox" / "2026" / "收文").resolve())
    assert not (workspace.root.parent / "x").exists()


def test_every_decision_is_in_the_audit_log(workspace, store, make_form):
    make_form(workspace.inbox / "a.docx")
    ingest(workspace, store)
    from sqlalchemy import select

    from lzdocs.store.schema import events
    with store.read() as conn:
        [event] = conn.execute(select(events)).mappings().all()
    assert event["action"] == "accepted" and json.loads(event["after"])["rows"] == 3


def test_dry_run_changes_nothing(workspace, store, make_form):
    make_form(workspace.inbox / "a.docx")
    [out] = Ingest(workspace, store, today=TODAY).run_inbox(dry_run=True)
    assert out.status == "accepted" and out.rows == 3 and out.stored_as is None
    assert (workspace.inbox / "a.docx").exists() and current(store) == []


@pytest.mark.parametrize("date, replaces", [(dt.date(2026, 11, 20), True), (dt.date(2026, 10, 20), False)])
def test_a_dry_run_says_what_the_run_then_does(workspace, store, make_form, tmp_path, date, replaces):
    """A unit's second form: the dry run names the form it would replace (or, dated earlier, the one it would be
    kept behind) and gives the quality review's hints — what the run that follows says, word for word. Before, it
    said neither: a clerk previewing a correction was not told it replaces anything."""
    ingest(workspace, store, [make_form(tmp_path / "初报.docx", date=dt.date(2026, 11, 1))])
    vague = dict(SAMPLE_ROWS[0], measures="加强学习，提高认识", owner="")  # two hints: 笼统的措施, no 责任人
    make_form(workspace.inbox / "更正.docx", rows=[vague, *SAMPLE_ROWS[1:]], date=date)
    [preview] = Ingest(workspace, store, today=TODAY).run_inbox(dry_run=True)
    [done] = ingest(workspace, store)
    assert preview.problems and [p.describe() for p in preview.problems] == [p.describe() for p in done.problems]
    assert (preview.supersedes, preview.superseded_by) == (done.supersedes, done.superseded_by)
    assert (done.supersedes is not None) is replaces and (done.superseded_by is not None) is not replaces


def test_a_dry_run_finds_a_copy_among_the_files_it_looks_at_and_says_a_name_that_is_not_utf8(workspace, store,
                                                                                               make_form):
    """Two units' forms with the same risk text, one of them named in GBK (a Windows zip): the run tells the second
    it copied the first and says the name; the dry run before it said neither (it compared with the archive alone,
    and read the name without a word)."""
    row = dict(SAMPLE_ROWS[0], risk="审核报销凭证时对虚开发票、重复报销把关不严")
    make_form(workspace.inbox / "a-人事处.docx", unit="人事处", rows=[row, *SAMPLE_ROWS[1:]])
    gbk = os.fsdecode("b-党政办公室.docx".encode("gbk"))
    make_form(workspace.inbox / gbk, unit="党政办公室", rows=[row, *SAMPLE_ROWS[1:]])
    preview = Ingest(workspace, store, today=TODAY).run_inbox(dry_run=True)
    done = ingest(workspace, store)
    said = {o.file: [p.describe() for p in o.problems] for o in done}
    assert {o.file: [p.describe() for p in o.problems] for o in preview} == said
    [second] = [o for o in done if "党政办公室" in o.file]
    assert any("风险点描述与人事处的表第" in text for text in said[second.file])
    assert any("文件名不是 UTF-8 编码" in text for text in said[second.file])


def test_an_old_version_sent_again_is_told_it_stays_replaced(workspace, store, make_form, tmp_path):
    """A unit sends its first form again after a newer one replaced it: the same bytes are a duplicate, and the
    unit is told that the newer form stands and how to bring the old content back — not "无需重复报送"."""
    old = make_form(tmp_path / "旧表.docx", date=dt.date(2026, 11, 1))
    ingest(workspace, store, [old])
    make_form(workspace.inbox / "新表.xlsx", rows=SAMPLE_ROWS[:1], date=dt.date(2026, 11, 20))
    ingest(workspace, store)
    (workspace.inbox / "旧表-重发.docx").write_bytes(old.read_bytes())
    [again] = ingest(workspace, store)
    assert again.status == "duplicate"
    message = again.problems[0].message
    assert "与已收文件《旧表.docx》" in message and "已被后来的《新表.xlsx》" in message
    assert "填表日期 2026-11-20）替代，现以后者为准" in message and "请把填表日期改为当天" in message
    assert "无需重复报送" not in message
    assert [r["risk"] for r in current(store)] == [SAMPLE_ROWS[0]["risk"]]  # the register still shows the new one

"""Tamper evidence (docs/product.md §12.1): ``lzdocs verify`` names each file or event changed, removed or
added, with when it was last good, and passes again when it is put back."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

from lzdocs.store.schema import SCHEMA_VERSION
from lzdocs.workspace import Workspace
from tests.conftest import (
    SAMPLE_ROWS,
    SAMPLE_SCHOOL,
    TODAY,
    cli_env,
    copy_of,
    make_form_file,
    needs_soffice,
    run_cli,
    run_json,
)

ORIGINAL = "outbox/2026/收文/计划财务处/计财处.docx"
LETTER = "outbox/2026/纪检监察建议书/内工大纪建〔2026〕1号-计划财务处.docx"
FIELDS = ["--set", "事由=在2026年度廉政风险防控检查中", "--set", "问题=采购程序不规范", "--set", "建议=完善采购制度"]
BAD_ROWS = [dict(SAMPLE_ROWS[0], level="很高"), *SAMPLE_ROWS[1:]]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A workspace with an archived form, a returned one (with its 错误说明), a letter and the registers."""
    base = tmp_path_factory.mktemp("verify")
    root = base / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    make_form_file(root / "inbox" / "计财处.docx")
    make_form_file(root / "inbox" / "图书馆.docx", unit="图书馆", rows=BAD_ROWS)
    run_json("-w", root, "ingest", check=1)
    run_json("-w", root, "letter", "suggestion", "--unit", "计财处", *FIELDS)
    return base


@pytest.fixture
def root(built, tmp_path) -> Path:
    """That workspace, a copy of its own for each test."""
    return copy_of(built, tmp_path) / "工作区"


def verify(root: Path, *args, check: int | None) -> dict:
    return json.loads(run_cli("-w", root, "verify", *args, "--json", check=check).stdout)


def findings(root: Path, *args) -> list[dict]:
    return verify(root, *args, check=1)["findings"]


def recorded_at(root: Path, path: str) -> str:
    with sqlite3.connect(root / "lzdocs.db") as conn:
        return conn.execute("SELECT recorded_at FROM files WHERE path = ?", (path,)).fetchone()[0]


def event_time(root: Path, event_id: int) -> str:
    with sqlite3.connect(root / "lzdocs.db") as conn:
        return conn.execute("SELECT at FROM events WHERE id = ?", (event_id,)).fetchone()[0]


def sql(root: Path, statement: str, *params) -> None:
    with sqlite3.connect(root / "lzdocs.db") as conn:
        conn.execute(statement, params)


def test_an_intact_archive_verifies_clean_in_words_and_in_json(root):
    out = verify(root, check=0)
    assert out["ok"] is True and out["findings"] == []
    assert out["checked"]["events"] == 3 and out["checked"]["database"] == 1
    assert out["checked"]["files"] == 9  # 2 kept files, 1 错误说明, 1 letter, 4 registers, the 公示表
    text = run_cli("-w", root, "verify", check=0).stdout.splitlines()
    assert text[0].startswith("已检查：事件 3 个，文件 9 个（共 ") and "数据库完整性检查" in text[0]
    assert text[-1] == "结论：全部完好，档案自记录以来没有被改动。"


def test_one_byte_changed_in_an_archived_original_is_named_and_passes_again_when_put_back(root):
    path = root / ORIGINAL
    kept = path.read_bytes()
    path.write_bytes(kept[:100] + bytes([kept[100] ^ 1]) + kept[101:])
    assert findings(root) == [{"kind": "changed", "subject": ORIGINAL,
                               "message": "内容被改动过：大小未变，但 SHA-256 与记录时不同",
                               "last_good": recorded_at(root, ORIGINAL)}]
    text = run_cli("-w", root, "verify", check=1).stdout.splitlines()
    assert f"  {ORIGINAL}：内容被改动过：大小未变，但 SHA-256 与记录时不同（最后一次确认完好：" in text[1]
    assert text[-1].startswith("结论：发现 1 处问题（见上）。")
    path.write_bytes(kept)
    verify(root, check=0)


def test_a_deleted_file_and_a_file_of_another_size_are_named(root):
    letter, note = root / LETTER, root / "inbox" / "退回" / "图书馆.docx.错误说明.txt"
    kept = note.read_bytes()
    letter.rename(root / "letter.bak")
    note.write_bytes(kept + b"x")
    assert findings(root) == [
        {"kind": "changed", "subject": "inbox/退回/图书馆.docx.错误说明.txt",
         "message": f"内容被改动过：现在 {len(kept) + 1} 字节，记录时 {len(kept)} 字节",
         "last_good": recorded_at(root, "inbox/退回/图书馆.docx.错误说明.txt")},
        {"kind": "missing", "subject": LETTER, "message": "文件不见了（被删除、改名或移走）",
         "last_good": recorded_at(root, LETTER)}]
    (root / "letter.bak").rename(letter)
    note.write_bytes(kept)
    verify(root, check=0)


def test_a_deleted_original_whose_name_a_later_form_took_is_still_missing(root, make_form):
    (root / ORIGINAL).unlink()
    make_form(root / "inbox" / "计财处.docx", rows=SAMPLE_ROWS[:2])  # a corrected form under the same name
    run_json("-w", root, "ingest")
    assert findings(root) == [{"kind": "missing", "subject": ORIGINAL, "last_good": None,
                               "message": "原来在这里的文件（收文记录 #1）不见了，这个名字现在是另一个文件的"}]


def test_a_manifest_row_deleted_with_sqlite3_is_named(root):
    sql(root, "DELETE FROM files WHERE path = ?", ORIGINAL)
    assert [(f["kind"], f["subject"], f["message"]) for f in findings(root)] == [
        ("stray", ORIGINAL, "档案记录中没有这个文件（不是 lzdocs 写入的）：请核实它从哪里来；verify 不会移动或删除它"),
        ("missing", ORIGINAL,
         "收文或发文记录指向这个文件，但文件清单中没有它（清单被改动过，或升级到第 8 版时它已不在）")]


def test_a_letter_deleted_from_the_tables_with_its_file_is_named_and_its_number_not_issued_again(root):
    """Its rows, its manifest row and its file removed by hand: the chain and every file still hold, but the event
    log says the 文号 was issued — named, and the number is not given to the next letter (two letters, one 文号)."""
    for statement in ("DELETE FROM warning_risks", "DELETE FROM warnings", "DELETE FROM files WHERE document_id = 1",
                      "DELETE FROM documents WHERE id = 1"):
        sql(root, statement)
    (root / LETTER).unlink()
    [found] = findings(root)
    assert (found["kind"], found["subject"]) == ("record_missing", "发文记录 内工大纪建〔2026〕1号")
    assert "记下了这份文书的发文，数据库中却没有它的记录：数据库被改动过（记录被删除）" in found["message"]
    refused = run_cli("-w", root, "letter", "suggestion", "--unit", "教务处", *FIELDS, check=2).stderr
    assert "文号 内工大纪建〔2026〕1号 已经用过（事件记录中有它的发文），但档案库中没有它的记录" in refused
    # nor can it be voided as a number never used (空号): that would hide the deletion from verify
    refused = run_cli("-w", root, "void", "内工大纪建〔2026〕1号", "--reason", "空号", check=2).stderr
    assert "它不是空号，没有作废" in refused and findings(root)[0]["kind"] == "record_missing"
    assert not list((root / "outbox" / "2026" / "纪检监察建议书").glob("*.docx"))


def test_a_form_deleted_from_the_tables_is_named(root):
    sql(root, "DELETE FROM risks WHERE submission_id = (SELECT id FROM submissions WHERE unit = '计划财务处')")
    sql(root, "DELETE FROM submissions WHERE unit = '计划财务处'")
    assert [(f["kind"], f["subject"]) for f in findings(root) if f["kind"] == "record_missing"] == [
        ("record_missing", "收文记录 #1（计财处.docx）")]


def test_an_older_copy_of_the_database_put_back_gives_no_number_twice(root):
    """lzdocs.db copied back from a backup over the live one (restore wants a new folder): the letter issued since
    is in its folder but not in the database — the next letter is refused, not given its number."""
    older = root.parent / "旧的.db"
    with sqlite3.connect(root / "lzdocs.db") as live, sqlite3.connect(older) as copy:
        live.backup(copy)
    second = run_json("-w", root, "letter", "suggestion", "--unit", "教务处", *FIELDS)["number"]
    assert second == "内工大纪建〔2026〕2号"
    for name in ("lzdocs.db-wal", "lzdocs.db-shm"):
        (root / name).unlink(missing_ok=True)
    os.replace(older, root / "lzdocs.db")
    refused = run_cli("-w", root, "letter", "suggestion", "--unit", "图书馆", *FIELDS, check=2).stderr
    assert ("纪检监察建议书文件夹中已有文号 内工大纪建〔2026〕2号 的文件 内工大纪建〔2026〕2号-教务处.docx，"
            "档案库中却没有这个文号") in refused and "lzdocs restore" in refused
    assert sorted(p.name for p in (root / "outbox" / "2026" / "纪检监察建议书").glob("*.docx")) == [
        "内工大纪建〔2026〕1号-计划财务处.docx", "内工大纪建〔2026〕2号-教务处.docx"]


def test_a_stray_file_is_reported_and_left_alone(root):
    stray = root / "outbox" / "2026" / "收文" / "计划财务处" / "补充说明.docx"
    stray.write_bytes(b"put here by hand")
    assert findings(root) == [{"kind": "stray", "subject": "outbox/2026/收文/计划财务处/补充说明.docx",
                               "message": "档案记录中没有这个文件（不是 lzdocs 写入的）：请核实它从哪里来；"
                                          "verify 不会移动或删除它", "last_good": None}]
    assert stray.read_bytes() == b"put here by hand"
    stray.unlink()
    verify(root, check=0)


def test_year_limits_the_file_checks_to_that_years_folder(root):
    (root / "outbox" / "2025").mkdir()
    (root / "outbox" / "2025" / "旧文件.docx").write_bytes(b"old")
    verify(root, "--year", "2026", check=0)
    assert [f["subject"] for f in findings(root)] == ["outbox/2025/旧文件.docx"]
    assert [f["subject"] for f in findings(root, "--year", "2025")] == ["outbox/2025/旧文件.docx"]


def test_a_name_being_written_is_no_finding_until_it_is_old(root):
    folder = root / "outbox" / "2026" / "登记簿"
    (folder / ".发文登记簿.1a2b3c4d.part.xlsx").write_bytes(b"half a register")  # atomic_output's temp file
    (folder / "预留.docx").write_bytes(b"")  # a name reserved, its content on the way
    verify(root, check=0)


def test_an_ingest_in_flight_is_no_finding_and_one_whose_process_died_is_named(root):
    claim = root / "inbox" / ".lzdocs" / "claims" / ("ab" * 16)
    claim.mkdir(parents=True)
    folder = root / "outbox" / "2026" / "收文" / "图书馆"
    folder.mkdir()
    dest, partial = folder / "图书馆.docx", folder / f".{'ab' * 16}.part"
    dest.write_bytes(b"")
    partial.write_bytes(b"the copy on its way")
    (claim / "intent.json").write_text(json.dumps({
        "token": "ab" * 16, "folder": str(claim), "original_name": "图书馆.docx", "source": "图书馆.docx",
        "origin": str(root / "inbox" / "图书馆.docx"), "dest": str(dest), "partial": str(partial),
        "reserved": [str(dest)]}), encoding="utf-8")
    with FileLock(str(claim / ".lock")):  # its owner is alive
        verify(root, check=0)
    message = "一次收取在归档途中中断（处理它的程序已退出）：运行一次 lzdocs ingest 即可完成，请勿手动移动或删除"
    assert sorted((f["kind"], f["subject"], f["message"]) for f in findings(root)) == [
        ("unfinished", "outbox/2026/收文/图书馆/.abababababababababababababababab.part", message),
        ("unfinished", "outbox/2026/收文/图书馆/图书馆.docx", message)]
    assert run_cli("-w", root, "verify", check=1).stdout.splitlines()[-1] == (
        "结论：没有发现改动，但有 2 个文件属于中断的收取（见上）：运行一次 lzdocs ingest 后再检查。")


# --- the events' chain -------------------------------------------------------------------------------------------

def test_an_edited_event_is_named_with_the_time_of_the_last_intact_one(root):
    sql(root, "UPDATE events SET subject = '别的.docx' WHERE id = 2")
    assert findings(root) == [{"kind": "event_changed", "subject": "事件 #2",
                               "message": "内容被改动过（与记录时的校验值不符）", "last_good": event_time(root, 1)}]
    sql(root, "UPDATE events SET subject = '图书馆.docx' WHERE id = 2")
    verify(root, check=0)


def test_a_deleted_event_is_named_where_the_chain_breaks(root):
    with sqlite3.connect(root / "lzdocs.db") as conn:
        kept = conn.execute("SELECT * FROM events WHERE id = 2").fetchone()
    sql(root, "DELETE FROM events WHERE id = 2")
    assert findings(root) == [{"kind": "event_missing", "subject": "事件 #2",
                               "message": "已被删除（事件 #3 接不上它前面的事件）", "last_good": event_time(root, 1)}]
    sql(root, f"INSERT INTO events VALUES ({', '.join('?' * len(kept))})", *kept)
    verify(root, check=0)


def test_the_last_event_deleted_is_named_too(root):
    with sqlite3.connect(root / "lzdocs.db") as conn:
        kept = conn.execute("SELECT * FROM events WHERE id = 3").fetchone()
    sql(root, "DELETE FROM events WHERE id = 3")
    assert findings(root) == [{"kind": "event_missing", "subject": "事件 #3",
                               "message": "已被删除（lzdocs 记下的最后一个事件是 #3）",
                               "last_good": event_time(root, 2)}]
    sql(root, f"INSERT INTO events VALUES ({', '.join('?' * len(kept))})", *kept)
    verify(root, check=0)


def test_an_inserted_event_is_named(root):
    sql(root, "INSERT INTO events (at, actor, action, subject) VALUES (?, 'x', 'issue', 'y')",
        "2026-11-28 09:00:00.000000")
    assert findings(root) == [{"kind": "event_inserted", "subject": "事件 #4",
                               "message": "不是 lzdocs 记下的：在它记下的最后一个事件 #3 之后插入",
                               "last_good": event_time(root, 3)}]
    sql(root, "DELETE FROM events WHERE id = 4")
    verify(root, check=0)


def test_an_event_replaced_in_the_middle_without_its_hash_is_named(root):
    sql(root, "UPDATE events SET hash = NULL, prev_hash = NULL WHERE id = 2")
    assert [(f["kind"], f["subject"], f["message"]) for f in findings(root)] == [
        ("event_inserted", "事件 #2", "没有校验值，不是 lzdocs 记下的：是后来插入的"),
        ("chain_broken", "事件 #3", "与前一个事件 #2 接不上：其间有事件被删除、插入或改动过")]


# --- what lzdocs does leaves it clean ----------------------------------------------------------------------------

def test_a_returned_form_taken_back_corrected_and_put_back_as_its_explanation_says_leaves_verify_clean(root):
    """The 错误说明 tells the unit to correct its file and put it back into the inbox: until the corrected form is
    taken, verify says the file was taken back (not that the archive was tampered with); once it is, the return is
    settled, verify and backup are clean, and the event keeps where the returned file was and its SHA-256."""
    from tests.ingest.invariant import assert_each_input_exactly_once

    returned = root / "inbox" / "退回" / "图书馆.docx"
    bad = returned.read_bytes()
    returned.unlink()  # the unit took it out of 退回/ to correct it
    said = verify(root, check=0)  # a note: the archive holds
    [finding] = said["findings"]
    assert said["ok"] is True and finding["kind"] == "taken_back"
    assert finding["subject"] == "inbox/退回/图书馆.docx" and "报送单位把它取回修改时如此" in finding["message"]
    text = run_cli("-w", root, "verify", check=0).stdout
    assert "  （说明）inbox/退回/图书馆.docx：" in text and "结论：档案完好，没有发现改动；另有 1 条说明" in text
    assert "档案可能被改动过" not in text

    corrected = make_form_file(root / "inbox" / "图书馆.docx", unit="图书馆").read_bytes()
    [outcome] = run_json("-w", root, "ingest")
    assert outcome["status"] == "accepted"
    assert_each_input_exactly_once(Workspace.open(root), [(root / ORIGINAL).read_bytes(), corrected])  # bad one: gone
    assert sorted(p.name for p in (root / "inbox" / "退回" / "已处理").iterdir()) == ["图书馆.docx.错误说明.txt"]
    verify(root, check=0)
    assert "没有备份" not in run_cli("-w", root, "backup", root.parent / "备份", check=0).stderr
    with sqlite3.connect(root / "lzdocs.db") as conn:
        kept = conn.execute("SELECT stored_as FROM submissions WHERE status = 'rejected'").fetchall()
        [(before,)] = conn.execute("SELECT before FROM events WHERE action = 'taken_back'").fetchall()
    assert kept == [(None,)]
    assert json.loads(before) == {"stored_as": "inbox/退回/图书馆.docx", "sha256": hashlib.sha256(bad).hexdigest()}
    status = run_json("-w", root, "status")
    assert [(u["state"], u["rejections"]) for u in status["units"] if u["unit"] == "图书馆"] == [("late", 1)]


def test_a_summary_the_clerk_edited_is_a_change_that_says_what_it_means(root):
    """The 总结 may be edited after lzdocs wrote it (archive takes it as it is now), but its bytes are not those
    recorded: anyone's edit looks the same, and backup leaves it out. verify says so, and what to do: record it as the
    定稿 (tests/dynamics/test_summary_final.py)."""
    import docx

    summary = root / run_json("-w", root, "summary")["file"]
    document = docx.Document(summary)
    document.add_paragraph("（本处补充的一段）")
    document.save(summary)
    said = verify(root, check=1)
    assert said["ok"] is False and [(f["kind"], f["subject"]) for f in said["findings"]] == [
        ("changed", str(summary.relative_to(root)))]
    message = said["findings"][0]["message"]
    assert message.startswith("内容被改动过：现在 ") and "若是本处修改好的总结定稿" in message
    assert f'lzdocs summary --final "{summary.relative_to(root)}" 登记它' in message
    assert "与记录不符的文件不进备份" in message


def test_a_settled_returned_file_deleted_is_missing_not_taken_back(root, make_form):
    """Once the corrected form came, the returned file sits in 退回/已处理/: no unit takes it from there."""
    make_form(root / "inbox" / "图书馆.docx", unit="图书馆")  # the corrected form settles the returned one
    run_json("-w", root, "ingest")
    settled = root / "inbox" / "退回" / "已处理" / "图书馆.docx"
    settled.unlink()
    [finding] = findings(root)
    assert (finding["kind"], finding["subject"]) == ("missing", "inbox/退回/已处理/图书馆.docx")


def test_a_returned_form_taken_back_with_its_explanation_is_two_notes_until_it_comes_again(root):
    """A unit takes its 错误说明 along as often as not: two notes, both settled by its corrected form (the
    explanation's row went with the event, which keeps what it was)."""
    returned = root / "inbox" / "退回"
    note = (returned / "图书馆.docx.错误说明.txt").read_bytes()
    (returned / "图书馆.docx").unlink()
    (returned / "图书馆.docx.错误说明.txt").unlink()
    said = verify(root, check=0)
    assert said["ok"] is True and sorted((f["kind"], f["subject"]) for f in said["findings"]) == [
        ("taken_back", "inbox/退回/图书馆.docx"), ("taken_back", "inbox/退回/图书馆.docx.错误说明.txt")]
    make_form_file(root / "inbox" / "图书馆.docx", unit="图书馆")
    assert run_json("-w", root, "ingest")[0]["status"] == "accepted"
    assert verify(root, check=0)["findings"] == []
    with sqlite3.connect(root / "lzdocs.db") as conn:
        [(before, after)] = conn.execute("SELECT before, after FROM events WHERE action = 'taken_back'").fetchall()
    assert json.loads(before)["explanation"] == {"stored_as": "inbox/退回/图书馆.docx.错误说明.txt",
                                                 "sha256": hashlib.sha256(note).hexdigest()}
    assert json.loads(after) == {"stored_as": None, "explanation": None}


def test_a_settled_return_a_void_a_draft_and_rebuilt_registers_leave_verify_clean(root, make_form):
    make_form(root / "inbox" / "图书馆.docx", unit="图书馆")  # the corrected form settles the returned one
    run_json("-w", root, "ingest")
    assert sorted(p.name for p in (root / "inbox" / "退回" / "已处理").iterdir()) == [
        "图书馆.docx", "图书馆.docx.错误说明.txt"]
    verify(root, check=0)
    run_json("-w", root, "void", "内工大纪建〔2026〕1号", "--reason", "测试时误发")
    run_json("-w", root, "letter", "suggestion", "--unit", "计财处", *FIELDS, "--draft")
    run_json("-w", root, "register", "--year", "2026")
    out = verify(root, check=0)
    assert out["checked"]["files"] == 11  # + the corrected form and the draft; settled and voided files moved
    make_form(root / "inbox" / "计财处-副本.docx")  # the same bytes again: kept under 重复报送/
    (root / "inbox" / "计财处-副本.docx").write_bytes((root / ORIGINAL).read_bytes())
    assert run_json("-w", root, "ingest")[0]["status"] == "duplicate"
    verify(root, check=0)
    with sqlite3.connect(root / "lzdocs.db") as conn:
        roles = dict(conn.execute("SELECT path, role FROM files"))
    assert roles["outbox/2026/作废/内工大纪建〔2026〕1号-计划财务处.docx"] == "voided"
    assert roles["inbox/退回/已处理/图书馆.docx"] == "returned"
    assert roles["inbox/退回/已处理/图书馆.docx.错误说明.txt"] == "explanation"
    assert roles["outbox/2026/收文/计划财务处/重复报送/计财处-副本.docx"] == "duplicate"
    assert roles["outbox/2026/公示/2026年廉政风险点公示表.docx"] == "publicity"
    assert roles["outbox/2026/草稿/内工大纪建〔2026〕（草稿）-计划财务处.docx"] == "draft"


def test_a_summary_and_its_package_leave_verify_clean(root):
    run_json("-w", root, "summary", "--year", "2026", "--package")
    verify(root, check=0)


# --- an archive of schema 7 ---------------------------------------------------------------------------------------

def as_schema_7(root: Path) -> None:
    """What the archive looked like before tamper evidence (and before Alembic): no files table, events without their
    chain, no table of later versions."""
    with sqlite3.connect(root / "lzdocs.db") as conn:
        conn.execute("DROP TABLE files")
        conn.execute("DROP TABLE alembic_version")
        conn.execute("DROP TABLE year_closures")
        conn.execute("ALTER TABLE events DROP COLUMN prev_hash")
        conn.execute("ALTER TABLE events DROP COLUMN hash")
        conn.execute("ALTER TABLE cases DROP COLUMN voided")  # version 10
        conn.execute("ALTER TABLE cases DROP COLUMN void_reason")
        conn.execute("DELETE FROM meta WHERE key = 'event_chain_head'")
        conn.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")


def test_an_archive_of_schema_7_is_chained_and_recorded_on_upgrade_and_verifies_clean(root):
    (root / "outbox" / "2026" / "收文" / "计划财务处" / "手放的.txt").write_bytes(b"there before the upgrade")
    as_schema_7(root)
    out = verify(root, check=0)
    assert out["checked"]["events"] == 3 and out["checked"]["files"] == 10
    with sqlite3.connect(root / "lzdocs.db") as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
        rows = {p: (role, basis, sub, doc) for p, role, basis, sub, doc in conn.execute(
            "SELECT path, role, basis, submission_id IS NOT NULL, document_id IS NOT NULL FROM files")}
    assert rows[ORIGINAL] == ("original", "upgrade", 1, 0)
    assert rows["inbox/退回/图书馆.docx"] == ("returned", "upgrade", 1, 0)
    assert rows["inbox/退回/图书馆.docx.错误说明.txt"] == ("explanation", "upgrade", 1, 0)
    assert rows[LETTER] == ("document", "upgrade", 0, 1)
    assert rows["outbox/2026/收文/计划财务处/手放的.txt"] == ("found", "upgrade", 0, 0)
    sql(root, "UPDATE events SET actor = 'someone else' WHERE id = 1")  # events from before the upgrade are chained
    assert [(f["kind"], f["subject"]) for f in findings(root)] == [("event_changed", "事件 #1")]
    sql(root, "UPDATE events SET actor = (SELECT actor FROM events WHERE id = 2) WHERE id = 1")
    run_json("-w", root, "letter", "suggestion", "--unit", "计财处", *FIELDS)  # and new ones follow on
    verify(root, check=0)


def test_a_damaged_database_file_is_named(root):
    with sqlite3.connect(root / "lzdocs.db") as conn:  # an index whose entries no longer match its table
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute("UPDATE sqlite_schema SET sql = replace(sql, '(sha256)', '(original_name)') "
                     "WHERE name = 'ix_submissions_sha'")
    out = findings(root)
    assert [(f["kind"], f["subject"]) for f in out] == [("database", "lzdocs.db")]
    assert out[0]["message"].startswith("数据库文件已损坏（SQLite 完整性检查：")
    assert out[0]["message"].endswith("）：请从备份恢复")


@needs_soffice
def test_pdfs_of_a_letter_and_a_notice_are_recorded_and_follow_a_void(root, tmp_path):
    run_json("-w", root, "letter", "suggestion", "--unit", "图书馆", *FIELDS, "--pdf")
    body = tmp_path / "正文.txt"
    body.write_text("一、总体要求\n请各单位认真开展排查。\n", encoding="utf-8")
    run_cli("-w", root, "notice", "--title", "关于开展廉政风险点排查工作的通知", "--body", body, "--pdf", check=0)
    verify(root, check=0)
    run_json("-w", root, "void", "内工大纪建〔2026〕2号", "--reason", "测试时误发")
    verify(root, check=0)
    with sqlite3.connect(root / "lzdocs.db") as conn:
        roles = dict(conn.execute("SELECT path, role FROM files WHERE path LIKE '%.pdf'"))
    assert roles == {"outbox/2026/作废/内工大纪建〔2026〕2号-图书馆.pdf": "voided",
                     "outbox/2026/通知/内工大党发〔2026〕1号-开展廉政风险点排查工作.pdf": "pdf"}


def test_a_register_rebuild_slower_than_the_second_look_is_waited_for_not_reported(root):
    """A rebuild writes the files, then their rows, under the registers' writer lock; on a busy machine the rows may
    come later than verify's second look (CONFIRM_AFTER): the second look waits for the lock."""
    import threading
    import time

    from lzdocs.documents.registers import writer_lock
    from lzdocs.integrity import verify as v
    from lzdocs.integrity.manifest import record_written
    from lzdocs.store import Store
    from lzdocs.workspace import Workspace

    ws = Workspace.open(root)
    summary = root / "outbox" / "2026" / "登记簿" / "2026年廉政风险点汇总表.xlsx"
    holding, done = threading.Event(), threading.Event()

    def slow_rebuild():
        with writer_lock(ws), Store.for_workspace(ws) as store:
            summary.write_bytes(summary.read_bytes() + b"\0")  # the file rewritten…
            holding.set()
            time.sleep(v.CONFIRM_AFTER + 1.0)  # …its row written well after verify's second look would be taken
            record_written(store, ws.relative, [(summary, "register")])
        done.set()

    writer = threading.Thread(target=slow_rebuild)
    writer.start()
    assert holding.wait(30)
    try:
        with Store.for_workspace(ws) as store:
            report = v.verify(ws, store)
    finally:
        writer.join(30)
    assert done.is_set() and report.findings == []
    summary.write_bytes(summary.read_bytes() + b"\0")  # a change no rebuild explains is still named
    assert [f["subject"] for f in findings(root)] == ["outbox/2026/登记簿/2026年廉政风险点汇总表.xlsx"]


@pytest.mark.slow
def test_verify_while_an_ingest_and_a_batch_of_letters_run_finds_nothing(root, make_form):
    for i in range(30):
        make_form(root / "inbox" / f"表{i:02d}.docx", unit=("计划财务处", "图书馆", "人事处")[i % 3],
                  rows=[dict(r, risk=f"{r['risk']}{i}") for r in SAMPLE_ROWS])
    runs = [subprocess.Popen([sys.executable, "-m", "lzdocs", "-w", str(root), *args], env=cli_env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for args in (["ingest"], ["urge"])]
    seen = []
    while any(run.poll() is None for run in runs):
        seen.append(verify(root, check=None)["findings"])
    assert [run.wait() for run in runs] == [0, 0] and len(seen) >= 2
    assert [f for found in seen for f in found] == []
    verify(root, check=0)


# --- Ctrl-C while the registers are written ------------------------------------------------------------
def test_ctrl_c_just_after_a_register_is_put_in_place_leaves_it_recorded(root, monkeypatch):
    """The registers are renamed into place one by one and recorded together at the end. A Ctrl-C between a
    rename and the note that it happened left a replaced register unrecorded, which verify then called a foreign
    file ("档案可能被改动过"), and an ingest with nothing to take did not write it again."""
    from lzdocs.documents.xlsx_writer import StreamingBook

    real, saved = StreamingBook.save, []

    def save_then_ctrl_c(self, path, **kw):
        real(self, path, **kw)
        saved.append(path.name)
        if len(saved) == 2:
            raise KeyboardInterrupt  # as if pressed the moment the second book was in place

    monkeypatch.setattr(StreamingBook, "save", save_then_ctrl_c)
    later = cli_env(LZDOCS_TODAY="2026-11-30")  # another 统计日期: every register's bytes change
    proc = run_cli("-w", root, "register", env=later, check=130)
    assert "已中断" in proc.stderr and len(saved) == 2
    monkeypatch.undo()
    assert verify(root, check=0)["findings"] == []


def test_ctrl_c_while_the_registers_are_recorded_waits_for_the_record(root, monkeypatch):
    """Pressed during the manifest's transaction: the record is finished first, then the command stops."""
    import signal

    from lzdocs.integrity import manifest

    real, calls = manifest.hashed, []

    def hashed(path):
        calls.append(path)
        if len(calls) == 1:
            signal.raise_signal(signal.SIGINT)
        return real(path)

    monkeypatch.setattr(manifest, "hashed", hashed)
    proc = run_cli("-w", root, "register", env=cli_env(LZDOCS_TODAY="2026-11-30"), check=130)
    assert "已中断" in proc.stderr and len(calls) == 5  # every register hashed and recorded before it stopped
    monkeypatch.undo()
    assert verify(root, check=0)["findings"] == []


def test_an_altered_register_says_it_can_be_made_again_and_lzdocs_register_does(root):
    """A register is made from the archive: what verify says of one with other bytes tells how to put it right."""
    from lzdocs.documents.registers import register_paths
    from lzdocs.workspace import Workspace

    book = register_paths(Workspace.open(root), 2026)["documents"]
    book.write_bytes(book.read_bytes() + b"\0")
    [finding] = findings(root)
    assert (finding["kind"], finding["subject"]) == ("changed", book.relative_to(root).as_posix())
    assert finding["message"].endswith("它由档案生成，核实后运行 lzdocs register 即可按档案重新生成并记录")
    run_cli("-w", root, "register", check=0)
    assert verify(root, check=0)["findings"] == []


def test_a_register_written_but_never_recorded_says_so_too(root):
    """The first rebuild of a year stopped between writing and recording: the register is not in the manifest."""
    from lzdocs.documents.registers import register_paths
    from lzdocs.workspace import Workspace

    book = register_paths(Workspace.open(root), 2026)["warnings"]
    sql(root, "DELETE FROM files WHERE path = ?", book.relative_to(root).as_posix())
    [finding] = findings(root)
    assert (finding["kind"], finding["subject"]) == ("stray", book.relative_to(root).as_posix())
    assert finding["message"].endswith("它由档案生成，核实后运行 lzdocs register 即可按档案重新生成并记录")
    run_cli("-w", root, "register", check=0)
    assert verify(root, check=0)["findings"] == []


@pytest.mark.parametrize("made", ["none", "file"])
def test_verify_package_of_a_folder_that_is_not_there_says_so(tmp_path, made):
    """A mistyped path is no package with its 清单 missing."""
    where = tmp_path / "归档2026"
    if made == "file":
        where.write_bytes(b"x")
    proc = run_cli("verify", "--package", where, check=2)
    said = "是一个文件，不是归档文件夹" if made == "file" else "不存在"
    assert f"“--package”的值有误：“{where}”{said}" in proc.stderr and "清单" not in proc.stderr


def test_a_finding_says_when_its_subject_was_last_good_to_the_second():
    from lzdocs.integrity.findings import Finding

    assert Finding("missing", "a.docx", "文件不见了", "2026-11-16 16:30:00.000000").line() == (
        "a.docx：文件不见了（最后一次确认完好：2026-11-16 16:30:00）")
    assert Finding("missing", "a.docx", "文件不见了", "2026-11-16T16:30:05.5").line().endswith("16:30:05）")


def test_verify_of_a_year_with_no_files_says_there_are_none(root):
    text = run_cli("-w", root, "verify", "--year", "2030", env=cli_env(LZDOCS_TODAY="2026-11-28"), check=0).stdout
    assert "结论：档案中没有 2030 年度的文件；事件记录完好" in text and "全部完好" not in text


def test_a_return_settled_while_verify_looks_is_no_finding(root, monkeypatch):
    """The unit took its returned form back; as verify looks, its corrected form is taken and settles the return
    (the row goes). The second look sees the row gone: nothing to say — it used to look again only at missing,
    changed and stray files, and named the settled return as taken back."""
    from lzdocs import Office
    from lzdocs.integrity import verify as v
    from lzdocs.store import Store
    from lzdocs.workspace import Workspace

    (root / "inbox" / "退回" / "图书馆.docx").unlink()  # taken back to be corrected
    make_form_file(root / "inbox" / "图书馆.docx", unit="图书馆")
    sleep = v.time.sleep

    def corrected_form_taken_meanwhile(seconds):
        if seconds == v.CONFIRM_AFTER:
            with Office(root, today=TODAY) as office:
                assert office.ingest().outcomes[0].status == "accepted"
        sleep(seconds)

    monkeypatch.setattr(v.time, "sleep", corrected_form_taken_meanwhile)
    ws = Workspace.open(root)
    with Store.for_workspace(ws) as store:
        assert v.verify(ws, store).findings == []


@pytest.mark.skipif(os.name != "posix", reason="只有 Linux/macOS 的文件名可以不是 UTF-8")
def test_a_stray_whose_name_is_not_utf8_is_named_in_chinese_not_a_crash(root):
    """A file unpacked from a GBK zip on a Linux share: its name has bytes that are no UTF-8 (it crashed verify)."""
    name = os.fsdecode(b"outbox/2026/" + "总结".encode("gbk") + b".docx")
    (root / name).write_bytes(b"PK")
    [finding] = findings(root)
    assert (finding["kind"], finding["subject"]) == ("stray", "outbox/2026/总结.docx")
    assert "文件名或所在文件夹名不是 UTF-8 编码" in finding["message"]
    text = run_cli("-w", root, "verify", check=1).stdout
    assert "outbox/2026/总结.docx：档案记录中没有这个文件" in text

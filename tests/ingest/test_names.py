"""File names from the share: names at the file system's length limit and names that
are not UTF-8 are taken or returned like any other, and never stop the next ingest.

Invariant: every input's bytes (by SHA-256) exactly once in the archive, in 退回/, or still in the inbox."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

import pytest

from lzdocs.fsutil import fit_name, reserve_name
from lzdocs.ingest import Ingest
from lzdocs.ingest import claims as cl
from tests.conftest import SAMPLE_ROWS, cli_env, run_cli, run_json
from tests.ingest.invariant import assert_each_input_exactly_once

pytestmark = pytest.mark.both_backends  # the archive on SQLite and on PostgreSQL

TODAY = dt.date(2026, 11, 28)
LONG = "关于" + "内蒙古工业大学计划财务处岗位廉政风险" * 4 + "防控措施"  # 78 characters, 234 bytes of UTF-8
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="file names are bytes only on POSIX")


def ingest(ws, store):
    return Ingest(ws, store, today=TODAY).run_inbox()


def test_a_name_of_78_chinese_characters_is_archived_under_a_shortened_name(workspace, store, make_form):
    assert len(LONG) == 78 and len(f"{LONG}.docx".encode()) == 239
    data = make_form(workspace.inbox / f"{LONG}.docx").read_bytes()
    [out] = ingest(workspace, store)
    assert out.status == "accepted" and out.file == f"inbox/{LONG}.docx"
    kept = workspace.root / out.stored_as
    assert kept.suffix == ".docx" and kept.name.startswith("关于内蒙古工业大学计划财务处")
    assert len(kept.name.encode()) <= 255 - 16  # room for the temp file beside it
    assert_each_input_exactly_once(workspace, [data])


def test_long_names_that_differ_only_at_the_end_get_numbered(workspace, store, make_form):
    a = make_form(workspace.inbox / "a" / f"{LONG}甲.docx", rows=SAMPLE_ROWS[:1]).read_bytes()
    b = make_form(workspace.inbox / "b" / f"{LONG}乙.docx", rows=SAMPLE_ROWS[:2]).read_bytes()
    outcomes = ingest(workspace, store)
    names = {(workspace.root / o.stored_as).name for o in outcomes}
    assert names == {f"{LONG}.docx", f"{LONG[:-1]}_01.docx"}  # 239 bytes each: 甲 and 乙 cut, then room for _01
    assert_each_input_exactly_once(workspace, [a, b])


def test_a_long_rejected_name_is_returned_with_its_explanation(workspace, store, make_form):
    data = make_form(workspace.inbox / f"{LONG}.xlsx", rows=[dict(SAMPLE_ROWS[0], level="很高")]).read_bytes()
    [out] = ingest(workspace, store)
    assert out.status == "rejected" and out.stored_as.startswith("inbox/退回/关于")
    note = workspace.root / f"{out.stored_as}.错误说明.txt"
    assert "很高" in note.read_text(encoding="utf-8-sig") and len(note.name.encode()) <= 255
    assert_each_input_exactly_once(workspace, [data])


def test_a_claim_left_by_an_older_version_with_too_long_names_is_put_back_and_taken(workspace, make_form):
    """Item 2 as it was seen: the temp name beside the archive name was over 255 bytes; recovery failed on the same
    name and every later ingest exited 2. Now recovery puts the file back and the next take fits the name."""
    data = make_form(workspace.inbox / f"{LONG}.docx").read_bytes()
    claim = cl.claim_by_rename(workspace.work / "claims", workspace.inbox / f"{LONG}.docx", f"inbox/{LONG}.docx")
    dest = workspace.outbox / "2026" / "收文" / "计划财务处" / f"{LONG}.docx"
    claim.dest, claim.partial = str(dest), str(dest.with_name(f".{dest.name}.{claim.token[:12]}.part"))
    claim.save()
    claim.let_go()  # as if its process had died
    proc = run_cli("-w", workspace.root, "ingest", "--json")
    assert proc.returncode == 0, proc.stderr
    [out] = json.loads(proc.stdout)
    assert out["status"] == "accepted" and out["file"] == f"inbox/{LONG}.docx"
    assert_each_input_exactly_once(workspace, [data])


@posix_only
def test_a_gbk_name_is_decoded_recorded_and_taken(workspace, store, make_form):
    """Item 3: ``unzip`` of a Windows zip leaves GBK bytes; the name is shown and archived as 计财处, the bytes
    recorded in a warning."""
    raw = os.fsdecode("计财处.docx".encode("gbk"))
    data = make_form(workspace.inbox / raw).read_bytes()
    [out] = ingest(workspace, store)
    assert (out.status, out.file, out.stored_as) == ("accepted", "inbox/计财处.docx",
                                                     "outbox/2026/收文/计划财务处/计财处.docx")
    [note] = [p for p in out.problems if "UTF-8" in p.message]
    assert note.value == r"\xbc\xc6\xb2\xc6\xb4\xa6.docx" and "计财处.docx" in note.message
    assert_each_input_exactly_once(workspace, [data])


@posix_only
def test_json_gives_the_bytes_of_a_name_that_is_not_utf8_for_a_script_to_find_the_very_file(workspace, make_form):
    """A GBK 单位.docx is shown as 单位.docx, as a real one is: ``file_b64`` tells them apart, and finds the file — one
    still in the inbox (a lock file of Word's) — where it is; verify's ``subject_b64`` likewise."""
    import base64

    gbk = os.fsdecode("单位.docx".encode("gbk"))
    given = [make_form(workspace.inbox / name, unit="计划财务处", date=dt.date(2026, 11, day)).read_bytes()
             for name, day in ((gbk, 10), ("单位.docx", 11))]
    locked = os.fsdecode("~$单位.docx".encode("gbk"))
    (workspace.inbox / locked).write_bytes(b"a lock file")
    given.append(b"a lock file")
    out = run_json("-w", workspace.root, "ingest", check=0)
    assert sorted(o["file"] for o in out) == ["inbox/~$单位.docx", "inbox/单位.docx", "inbox/单位.docx"]
    exact = [base64.b64decode(o["file_b64"]) for o in out if "file_b64" in o]
    assert sorted(exact) == sorted([b"inbox/" + "单位.docx".encode("gbk"), b"inbox/" + "~$单位.docx".encode("gbk")])
    [ignored] = [o for o in out if o["status"] == "ignored"]
    assert (workspace.root / os.fsdecode(base64.b64decode(ignored["file_b64"]))).read_bytes() == b"a lock file"
    assert_each_input_exactly_once(workspace, given)

    stray = workspace.year_dir(2026) / "收文" / "计划财务处" / os.fsdecode("备注.txt".encode("gbk"))
    stray.write_bytes(b"put there by hand")
    [found] = run_json("-w", workspace.root, "verify", check=1)["findings"]
    assert found["subject"] == "outbox/2026/收文/计划财务处/备注.txt"
    assert (workspace.root / os.fsdecode(base64.b64decode(found["subject_b64"]))).read_bytes() == b"put there by hand"


@posix_only
def test_an_undecodable_name_is_returned_with_escapes_and_the_cli_never_crashes(workspace, make_form):
    """Neither UTF-8 nor GBK: shown with \\x escapes. The real command (JSON, text output, SQLite, the log) runs."""
    raw = os.fsdecode(b"\xff\xfe\x80bad.xlsx")
    data = make_form(workspace.inbox / raw, rows=[dict(SAMPLE_ROWS[0], level="很高")]).read_bytes()
    text = run_cli("-w", workspace.root, "ingest", env=cli_env())
    assert text.returncode == 1 and "Error" not in text.stderr, text.stderr
    assert r"[退回] inbox/\xff\xfe\x80bad.xlsx" in text.stdout
    assert (workspace.rejected / "_xff_xfe_x80bad.xlsx").read_bytes() == data
    assert (workspace.rejected / "_xff_xfe_x80bad.xlsx.错误说明.txt").is_file()
    assert_each_input_exactly_once(workspace, [data])


@posix_only
def test_a_name_with_control_characters_never_reaches_the_clerk_s_screen_or_a_log_as_they_are(workspace, store,
                                                                                               make_form):
    """ESC would clear the screen or colour what follows, a line break split a line of the report: both shown as
    \\x escapes, in the report and in a watcher's log line; the file is returned under a name without them."""
    import base64

    from lzdocs.watch.worker import describe_outcome

    data = make_form(workspace.inbox / "evil\x1b[2J\nline.xlsx", rows=[dict(SAMPLE_ROWS[0], level="很高")]).read_bytes()
    text = run_cli("-w", workspace.root, "ingest", env=cli_env(), check=1)
    assert "\x1b" not in text.stdout + text.stderr
    assert r"[退回] inbox/evil\x1b[2J\x0aline.xlsx" in text.stdout.splitlines()
    assert_each_input_exactly_once(workspace, [data])
    ignored = Ingest(workspace, store, today=TODAY)._ignored(workspace.inbox / "~$a\nb.docx", None)
    assert describe_outcome(ignored) == r"忽略：inbox/~$a\x0ab.docx —— 临时或锁定文件"
    # --json: shown the same way, with the name's bytes beside (a file named with a backslash and "x1b" is another)
    (workspace.inbox / "~$lock\x1b.docx").write_bytes(b"a lock file")
    (workspace.inbox / "~$lock\\x1b.docx").write_bytes(b"another")
    out = run_json("-w", workspace.root, "ingest", check=0)
    assert sorted(o["file"] for o in out) == [r"inbox/~$lock\x1b.docx"] * 2
    found = {base64.b64decode(o["file_b64"]) for o in out if "file_b64" in o}
    assert found == {b"inbox/~$lock\x1b.docx"}  # the one shown otherwise than it is


@posix_only
def test_a_gbk_name_put_back_after_a_crash_keeps_its_bytes(workspace, store, make_form):
    raw = os.fsdecode("基建处.docx".encode("gbk"))
    make_form(workspace.inbox / raw, unit="基建处")
    claim = cl.claim_by_rename(workspace.work / "claims", workspace.inbox / raw, "inbox/基建处.docx")
    claim.let_go()
    assert Ingest(workspace, store, today=TODAY).recover() == 1
    assert os.listdir(os.fsencode(workspace.inbox)).count("基建处.docx".encode("gbk")) == 1


def test_reserved_names_fit_in_bytes_and_keep_the_extension(tmp_path):
    first = reserve_name(tmp_path, "表" * 100, ".docx", companions=(".错误说明.txt",))
    second = reserve_name(tmp_path, "表" * 100, ".docx", companions=(".错误说明.txt",))
    # 255 bytes less 16 for a temp file less 17 for ".错误说明.txt": 222 bytes, whole characters only
    assert (first.name, second.name) == ("表" * 72 + ".docx", "表" * 71 + "_01.docx")
    assert sorted(p.stat().st_size for p in tmp_path.iterdir()) == [0, 0, 0, 0]  # placeholders, with their notes
    assert fit_name("ab表", ".docx", 9) == "ab.docx"  # never half a character

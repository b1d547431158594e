"""An error on the archive's side for one file — a file put where its unit's folder goes, a read-only 退回/ — stops
neither the run nor its report: that file is said as not taken and put back where it was, and the others are taken.
(Before, the run stopped with one line of error: the files taken before it went unreported, and this one waited out
of sight in the inbox's work folder until a later run.)"""

from __future__ import annotations

import json

from lzdocs.ingest import Ingest
from tests.conftest import run_cli, run_json
from tests.ingest.invariant import assert_each_input_exactly_once


def _an_archive(workspace, make_form) -> bytes:
    """An archive with a form in it (an empty one beside folders of received forms is refused: store/kept.py)."""
    data = make_form(workspace.inbox / "图书馆.docx", unit="图书馆").read_bytes()
    assert run_json("-w", workspace.root, "ingest")[0]["status"] == "accepted"
    return data


def test_a_file_where_its_unit_s_folder_goes_fails_that_form_alone_and_puts_it_back(workspace, make_form):
    given = [_an_archive(workspace, make_form)]
    given += [make_form(workspace.inbox / f"{short}.docx", unit=unit).read_bytes()
              for short, unit in (("计财处", "计划财务处"), ("基建处", "基建处"))]
    blocker = workspace.year_dir(2026) / "收文" / "基建处"
    blocker.write_bytes(b"a clerk's file")
    out = {o["file"]: o for o in run_json("-w", workspace.root, "ingest", check=1)}
    assert out["inbox/计财处.docx"]["status"] == "accepted"
    failed = out["inbox/基建处.docx"]
    assert failed["status"] == "failed" and failed["problems"][0]["message"] == (
        f"无法归档：“{blocker}”是一个文件，但这里需要同名的文件夹；请把这个文件改名或移走，再重试；文件已放回原处")
    assert (workspace.inbox / "基建处.docx").read_bytes() == given[2] and blocker.read_bytes() == b"a clerk's file"
    assert_each_input_exactly_once(workspace, given + [b"a clerk's file"])
    blocker.rename(blocker.with_name("基建处的文件"))
    [again] = run_json("-w", workspace.root, "ingest")
    assert again["status"] == "accepted" and again["stored_as"] == "outbox/2026/收文/基建处/基建处.docx"
    [found] = run_json("-w", workspace.root, "verify", check=1)["findings"]  # the clerk's file, theirs to move
    assert found["subject"] == "outbox/2026/收文/基建处的文件"


def test_a_file_that_cannot_be_put_back_at_once_waits_for_the_next_run(workspace, make_form, monkeypatch):
    given = [_an_archive(workspace, make_form), make_form(workspace.inbox / "基建处.docx", unit="基建处").read_bytes()]
    blocker = workspace.year_dir(2026) / "收文" / "基建处"
    blocker.write_bytes(b"a clerk's file")

    recover = Ingest.recover

    def refused(self, *, origin=None):  # the put-back at once refused; a run's own recovery as it begins is not
        if origin is not None:
            raise PermissionError(13, "Permission denied", str(origin))
        return recover(self)

    with monkeypatch.context() as patched:
        patched.setattr(Ingest, "recover", refused)
        [out] = run_json("-w", workspace.root, "ingest", check=1)
    waiting = "文件暂存在收件文件夹的工作文件夹里，下次收取时自动处理，请勿手动移动"
    assert out["problems"][0]["message"].endswith(waiting) and not (workspace.inbox / "基建处.docx").exists()
    blocker.unlink()
    [again] = run_json("-w", workspace.root, "ingest")  # its claim recovered first, then taken
    assert again["status"] == "accepted"
    assert_each_input_exactly_once(workspace, given)


def test_a_file_given_from_elsewhere_is_said_untouched_not_put_back(workspace, make_form, tmp_path):
    _an_archive(workspace, make_form)
    mailed = make_form(tmp_path / "邮件" / "基建处.docx", unit="基建处")
    data = mailed.read_bytes()
    blocker = workspace.year_dir(2026) / "收文" / "基建处"
    blocker.write_bytes(b"a clerk's file")
    [out] = run_json("-w", workspace.root, "ingest", mailed, check=1)
    assert out["status"] == "failed" and out["problems"][0]["message"].endswith("；原文件未做改动")
    assert mailed.read_bytes() == data
    blocker.unlink()
    assert run_json("-w", workspace.root, "ingest", mailed)[0]["status"] == "accepted"


def test_a_full_disk_under_the_archive_stops_the_run_and_it_still_says_what_happened(workspace, make_form, monkeypatch):
    """Its commit failing (SQLite: database or disk is full), the run stops as for a database server gone: the files
    of the batch not committed are back where they were and listed as such, with the reason — before, a --json run
    printed nothing and exit 2 said only the error. The next run, the disk cleared, takes them all."""
    import sqlite3

    from lzdocs.store import Store

    given = [_an_archive(workspace, make_form)]
    given += [make_form(workspace.inbox / f"{short}.docx", unit=unit).read_bytes()
              for short, unit in (("计财处", "计划财务处"), ("基建处", "基建处"), ("人事处", "人事处"))]

    def full(self, raw):
        raise sqlite3.OperationalError("database or disk is full")

    with monkeypatch.context() as patched:
        patched.setattr(Store, "_commit", full)
        cut = run_cli("-w", workspace.root, "ingest", "--json", check=2)
    out = json.loads(cut.stdout)
    assert sorted(o["file"] for o in out) == ["inbox/人事处.docx", "inbox/基建处.docx", "inbox/计财处.docx"]
    assert {o["status"] for o in out} == {"failed"} and all("文件留在原处" in o["problems"][0]["message"] for o in out)
    assert cut.stderr.startswith("错误：处理途中磁盘已满，无法写入档案库")
    assert_each_input_exactly_once(workspace, given)
    assert sorted(o["status"] for o in run_json("-w", workspace.root, "ingest")) == ["accepted"] * 3

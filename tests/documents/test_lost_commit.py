"""A commit that fails, or whose answer is lost (the connection drops just after the database wrote it): a letter
or a void ends as the archive says — issued or voided with its files in place, or neither with nothing left behind.
Injected at the commit of the command's own connection to the archive (in this process: tests/conftest.py
``at_commit``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lzdocs.workspace import SAMPLE, Workspace
from tests.conftest import at_commit, run_cli, run_json

FIELDS = ["--set", "事由=在检查中", "--set", "问题=采购程序不规范", "--set", "建议=完善采购制度"]


def _lose_the_answer(raw):
    raw.execute("COMMIT")  # written…
    raise sqlite3.OperationalError("disk I/O error")  # …and not told so


def _fail(raw):
    raise sqlite3.OperationalError("disk I/O error")


@pytest.fixture
def root(tmp_path) -> Path:
    ws, _ = Workspace.init(tmp_path / "ws", SAMPLE)
    run_json("-w", ws.root, "letter", "suggestion", "--unit", "人事处", *FIELDS)  # 1号; the archive made
    return ws.root


def _at_the_next_commit(action, *args, check):
    with at_commit(action, once=True) as fired:
        done = run_cli(*args, check=check)
    assert fired, "no commit happened"
    return done


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file())


def test_a_letter_whose_commit_answer_is_lost_is_issued_with_its_file_in_place(root):
    """It was reported as failed, its number recorded, its file left hidden (.part) until another letter came —
    and the clerk, told it failed, issued the same letter again under a new number."""
    out = _at_the_next_commit(_lose_the_answer, "-w", root, "letter", "suggestion", "--unit", "计财处", *FIELDS,
                              check=0)
    assert "内工大纪建〔2026〕2号" in out.stdout
    folder = root / "outbox" / "2026" / "纪检监察建议书"
    assert _files(folder) == ["内工大纪建〔2026〕1号-人事处.docx", "内工大纪建〔2026〕2号-计划财务处.docx"]
    assert run_cli("-w", root, "verify").returncode == 0


def test_a_letter_whose_commit_fails_leaves_no_number_and_no_file(root):
    proc = _at_the_next_commit(_fail, "-w", root, "letter", "suggestion", "--unit", "计财处", *FIELDS, check=2)
    assert "读写档案库时出错" in proc.stderr
    folder = root / "outbox" / "2026" / "纪检监察建议书"
    assert _files(folder) == ["内工大纪建〔2026〕1号-人事处.docx"]  # nothing hidden left either
    again = run_json("-w", root, "letter", "suggestion", "--unit", "计财处", *FIELDS)
    assert again["number"] == "内工大纪建〔2026〕2号"
    assert run_cli("-w", root, "verify").returncode == 0


def test_a_void_whose_commit_answer_is_lost_is_done_with_its_file_in_作废(root):
    """Its file was moved back although the number was void: the register and the folders disagreed for good
    (the same void refused: already void), and verify said so."""
    _at_the_next_commit(_lose_the_answer, "-w", root, "void", "内工大纪建〔2026〕1号", "--reason", "误发", check=0)
    assert _files(root / "outbox" / "2026" / "作废") == ["内工大纪建〔2026〕1号-人事处.docx"]
    assert _files(root / "outbox" / "2026" / "纪检监察建议书") == []
    assert run_cli("-w", root, "verify").returncode == 0


def test_a_void_cut_off_before_its_commit_puts_the_file_back_even_with_the_archive_unreadable(root, monkeypatch):
    """Nothing was committed, so nothing is in doubt: the file goes back to its folder, whether or not the archive
    can be read afterwards (it was left in 作废/ when it could not)."""
    from contextlib import contextmanager

    from lzdocs.store import Store
    from lzdocs.store.db import DatabaseUnavailable

    gone = DatabaseUnavailable("无法连接数据库服务器：10.0.0.5/lzdocs（server closed the connection unexpectedly）")

    def cut_off(*args, **kw):
        @contextmanager
        def unreadable(self):
            raise gone
            yield  # pragma: no cover

        monkeypatch.setattr(Store, "read", unreadable)  # from here on the archive cannot be read either
        raise gone

    monkeypatch.setattr("lzdocs.store.documents.void_document", cut_off)
    proc = run_cli("-w", root, "void", "内工大纪建〔2026〕1号", "--reason", "误发", check=4)
    assert "无法连接数据库服务器" in proc.stderr
    assert _files(root / "outbox" / "2026" / "纪检监察建议书") == ["内工大纪建〔2026〕1号-人事处.docx"]
    assert _files(root / "outbox" / "2026" / "作废") == []


def test_a_letter_whose_commit_cannot_be_confirmed_says_to_look_before_issuing_it_again(root, monkeypatch):
    """The answer lost and the archive unreadable afterwards: "run it again" would issue the letter twice, so the
    clerk is told to look in the register first; the next letter of the kind puts the recorded one's file in
    place."""
    from contextlib import contextmanager

    from lzdocs.errors import StoreError
    from lzdocs.store import Store

    real_read = Store.read

    def lose_it_and_the_archive(conn):
        @contextmanager
        def unreadable(self):
            raise StoreError("读写档案库时出错（磁盘或网络共享故障）")  # as Store.read says it
            yield  # pragma: no cover

        monkeypatch.setattr(Store, "read", unreadable)
        _lose_the_answer(conn)

    proc = _at_the_next_commit(lose_it_and_the_archive, "-w", root, "letter", "suggestion", "--unit", "计财处",
                               *FIELDS, check=4)
    assert "与数据库的连接在提交时中断，内工大纪建〔2026〕2号（纪检监察建议书）是否已经登记无法确定" in proc.stderr
    assert "先查看发文登记簿里有没有 内工大纪建〔2026〕2号：有就不要重发" in proc.stderr
    monkeypatch.setattr(Store, "read", real_read)  # the archive back

    again = run_json("-w", root, "letter", "suggestion", "--unit", "组织部", *FIELDS)
    assert again["number"] == "内工大纪建〔2026〕3号"
    assert _files(root / "outbox" / "2026" / "纪检监察建议书") == [
        "内工大纪建〔2026〕1号-人事处.docx", "内工大纪建〔2026〕2号-计划财务处.docx",
        "内工大纪建〔2026〕3号-组织部.docx"]
    assert run_cli("-w", root, "verify").returncode == 0


def _recorded_but_hidden(root, monkeypatch) -> Path:
    """内工大纪建〔2026〕2号 recorded, its file still under its hidden name (the commit's answer lost, the archive
    unreadable to tell): the folder it waits in."""
    from contextlib import contextmanager

    from lzdocs.errors import StoreError
    from lzdocs.store import Store

    real_read = Store.read

    def lose_it_and_the_archive(conn):
        @contextmanager
        def unreadable(self):
            raise StoreError("读写档案库时出错（磁盘或网络共享故障）")
            yield  # pragma: no cover

        monkeypatch.setattr(Store, "read", unreadable)
        _lose_the_answer(conn)

    _at_the_next_commit(lose_it_and_the_archive, "-w", root, "letter", "suggestion", "--unit", "计财处", *FIELDS,
                        check=4)
    monkeypatch.setattr(Store, "read", real_read)
    folder = root / "outbox" / "2026" / "纪检监察建议书"
    [hidden] = [p for p in folder.iterdir() if p.name.startswith(".内工大纪建〔2026〕2号")]
    return folder


def test_a_recorded_letter_whose_file_waits_hidden_is_named_by_verify_and_voided_into_作废(root, monkeypatch):
    """Not "missing, the archive may have been tampered with": verify says the file waits to be put in place.
    Voiding that number puts it in place first and moves it to 作废/, as any void does — never back among the
    letters in force."""
    folder = _recorded_but_hidden(root, monkeypatch)
    found = run_json("-w", root, "verify", check=1)["findings"]
    assert [(f["kind"], f["subject"]) for f in found] == [
        ("unfinished", "outbox/2026/纪检监察建议书/内工大纪建〔2026〕2号-计划财务处.docx")]
    assert "运行一次 lzdocs register（或下一次发同类文书、作废这个文号时）自动放到位" in found[0]["message"]

    run_cli("-w", root, "void", "内工大纪建〔2026〕2号", "--reason", "主送单位写错", check=0)
    assert _files(folder) == ["内工大纪建〔2026〕1号-人事处.docx"] and not list(folder.glob(".*"))
    assert _files(root / "outbox" / "2026" / "作废") == ["内工大纪建〔2026〕2号-计划财务处.docx"]
    run_json("-w", root, "letter", "suggestion", "--unit", "组织部", *FIELDS)
    assert _files(folder) == ["内工大纪建〔2026〕1号-人事处.docx", "内工大纪建〔2026〕3号-组织部.docx"]
    assert run_json("-w", root, "verify")["findings"] == []


def test_register_puts_a_recorded_letter_waiting_hidden_in_place_as_verify_says(root, monkeypatch):
    """verify's conclusion names the command that finishes it — register, which sends nothing — not ingest."""
    folder = _recorded_but_hidden(root, monkeypatch)
    said = run_cli("-w", root, "verify", check=1).stdout.splitlines()[-1]
    assert said == "结论：没有发现改动，但有 1 份文书登记后还没放到位（见上）：运行一次 lzdocs register 后再检查。"
    run_cli("-w", root, "register", check=0)
    assert _files(folder) == ["内工大纪建〔2026〕1号-人事处.docx", "内工大纪建〔2026〕2号-计划财务处.docx"]
    assert not list(folder.glob(".*")) and run_json("-w", root, "verify")["findings"] == []


def test_a_number_voided_while_its_file_waited_hidden_has_the_file_go_to_作废_not_among_the_letters(root, monkeypatch):
    """Voided by an older version, which found no file: the next letter of the kind, finishing what killed runs
    left, moves it into 作废/ and records it there."""
    folder = _recorded_but_hidden(root, monkeypatch)
    with sqlite3.connect(root / "lzdocs.db") as db:  # as the void of a version before this one left it
        db.execute("UPDATE documents SET status = 'void', void_reason = '批量中断', voided = '2026-11-28' "
                   "WHERE number = '内工大纪建〔2026〕2号'")
    db.close()
    run_json("-w", root, "letter", "suggestion", "--unit", "组织部", *FIELDS)
    assert _files(folder) == ["内工大纪建〔2026〕1号-人事处.docx", "内工大纪建〔2026〕3号-组织部.docx"]
    assert not list(folder.glob(".*"))
    assert _files(root / "outbox" / "2026" / "作废") == ["内工大纪建〔2026〕2号-计划财务处.docx"]
    assert run_json("-w", root, "verify")["findings"] == []

"""A register the clerk edited in WPS (份数, 送达 notes) is kept under another name, never overwritten by a rebuild."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys

import pytest
from openpyxl import load_workbook

from lzdocs import Office
from lzdocs.store import files

DAY = dt.date(2026, 11, 28)
FIELDS = {"事由": "在检查中", "问题": ["采购程序不规范"], "建议": ["完善采购制度"]}


def edit(path, row: int, column: int, value) -> bytes:
    """The clerk opens the register, types a value, saves it (as WPS does: the whole file written again)."""
    book = load_workbook(path)
    book.worksheets[0].cell(row=row, column=column, value=value)
    book.save(path)
    return path.read_bytes()


def cells(path, column: int) -> list:
    return [r[column - 1] for r in load_workbook(path).worksheets[0].iter_rows(min_row=3, values_only=True)]


def test_an_edited_register_is_kept_beside_and_the_rebuild_says_where(workspace):
    folder = workspace.year_dir(2026) / "登记簿"
    register = folder / "发文登记簿.xlsx"
    with Office(workspace, today=DAY) as office:
        office.letter("suggestion", "计财处", FIELDS)
        assert cells(register, 7) == [1]  # 份数
        edited = edit(register, 3, 7, 3)  # 3 copies printed, typed in by the clerk
        second = office.letter("suggestion", "基建处", FIELDS)
        kept = folder / "发文登记簿（手工修改稿-2026-11-28）.xlsx"
        assert kept.read_bytes() == edited  # the clerk's file, byte for byte
        assert cells(register, 3) == ["内工大纪建〔2026〕1号", "内工大纪建〔2026〕2号"]  # the register, rebuilt
        [warning] = [w for w in second.registers.warnings if "手工修改" in w]
        assert "已另存为 发文登记簿（手工修改稿-2026-11-28）.xlsx，没有丢失" in warning

        edit(register, 4, 7, 2)  # edited again the same day: a second copy, the first untouched
        office.letter("suggestion", "后勤处", FIELDS)
        assert sorted(p.name for p in folder.glob("发文登记簿（*")) == [
            "发文登记簿（手工修改稿-2026-11-28）.xlsx", "发文登记簿（手工修改稿-2026-11-28）_01.xlsx"]
        assert kept.read_bytes() == edited

        office.letter("suggestion", "图书馆", FIELDS)  # not edited since: rebuilt in place, nothing more kept
        assert len(list(folder.glob("发文登记簿（*"))) == 2
        assert office.verify().findings == []  # the kept copies are recorded as the clerk's


def test_a_file_of_a_register_s_name_that_lzdocs_did_not_write_is_kept(workspace):
    register = workspace.year_dir(2026) / "登记簿" / "预警处置台账.xlsx"
    with Office(workspace, today=DAY) as office:
        office.risks()  # the archive is there before the file (one found when an archive is made is recorded)
        register.parent.mkdir(parents=True)
        register.write_bytes(b"the clerk's own ledger")
        office.letter("suggestion", "计财处", FIELDS)
    kept = register.with_name("预警处置台账（手工修改稿-2026-11-28）.xlsx")
    assert kept.read_bytes() == b"the clerk's own ledger"
    digest = hashlib.sha256(b"the clerk's own ledger").hexdigest()
    with Office(workspace, today=DAY) as office:
        with office.store.read() as conn:
            row = files.recorded(conn, workspace.relative(kept))
        assert (row["sha256"], row["role"]) == (digest, "edited")
        snapshot = office.backup(workspace.root.parent / "备份").snapshot  # the clerk's file is copied, not rebuilt
    assert (snapshot / workspace.relative(kept)).read_bytes() == b"the clerk's own ledger"


def _killed_after_its_files_were_put_in_place(office, monkeypatch, unit: str) -> None:
    """A letter whose rewrite of the registers dies between putting its books in place and recording them (a power
    cut, the PC shut down under lzdocs watch): nothing after the renames runs."""
    def killed(*args, **kw):
        raise SystemExit("killed")

    with monkeypatch.context() as patched:
        patched.setattr("lzdocs.documents.registers._record", killed)
        with pytest.raises(SystemExit):
            office.letter("suggestion", unit, FIELDS)


def test_a_rewrite_killed_before_its_record_is_recorded_by_the_next_not_kept_aside_as_an_edit(workspace, monkeypatch):
    """Before: the next rewrite took lzdocs's own unrecorded register for the clerk's edit (…（手工修改稿）.xlsx), and
    verify called the archive tampered with. Now verify says it is a rewrite cut short and names register; the next
    rewrite records it and goes on."""
    folder = workspace.year_dir(2026) / "登记簿"
    register = folder / "发文登记簿.xlsx"
    with Office(workspace, today=DAY) as office:
        office.letter("suggestion", "计财处", FIELDS)
        _killed_after_its_files_were_put_in_place(office, monkeypatch, "基建处")
        assert cells(register, 3) == ["内工大纪建〔2026〕1号", "内工大纪建〔2026〕2号"]  # in place, not recorded
        found = office.verify().findings
        assert {(f.kind, f.subject) for f in found} == {("unfinished", "outbox/2026/登记簿/发文登记簿.xlsx"),
                                                          ("unfinished", "outbox/2026/登记簿/预警处置台账.xlsx")}
        assert all(f.message.startswith("登记簿重建时中断（放到位后、登记前）：这是 lzdocs 重新生成的文件，不是改动")
                   for f in found)
        office.letter("suggestion", "后勤处", FIELDS)
        assert not list(folder.glob("*手工修改稿*"))
        assert cells(register, 3) == [f"内工大纪建〔2026〕{n}号" for n in (1, 2, 3)]
        assert office.verify().findings == [] and not (workspace.state / "registers-placing.jsonl").exists()


def test_a_register_edited_after_a_rewrite_was_killed_is_still_kept_as_the_clerk_s(workspace, monkeypatch):
    """What the journal noted is the file lzdocs wrote, by its SHA-256: the clerk's edit of it since is an edit."""
    folder = workspace.year_dir(2026) / "登记簿"
    register = folder / "发文登记簿.xlsx"
    with Office(workspace, today=DAY) as office:
        office.letter("suggestion", "计财处", FIELDS)
        _killed_after_its_files_were_put_in_place(office, monkeypatch, "基建处")
        edited = edit(register, 3, 7, 3)
        office.letter("suggestion", "后勤处", FIELDS)
        assert (folder / "发文登记簿（手工修改稿-2026-11-28）.xlsx").read_bytes() == edited
        assert not list(folder.glob("预警处置台账（*"))  # not edited: recorded as the killed rewrite left it
        assert office.verify().findings == []


def test_verify_s_conclusion_for_a_rewrite_cut_short_names_register(workspace, monkeypatch):
    from tests.conftest import run_cli

    with Office(workspace, today=DAY) as office:
        office.letter("suggestion", "计财处", FIELDS)
        _killed_after_its_files_were_put_in_place(office, monkeypatch, "基建处")
    said = run_cli("-w", workspace.root, "verify", check=1).stdout.splitlines()[-1]
    assert said == ("结论：没有发现改动，但有 2 本登记簿重建时中断、还没登记（见上）："
                    "运行一次 lzdocs register 后再检查。")
    run_cli("-w", workspace.root, "register", check=0)
    assert run_cli("-w", workspace.root, "verify", check=0).stdout.splitlines()[-1].startswith("结论：全部完好")


def test_a_folder_of_a_register_s_name_is_said_as_such_and_the_other_books_are_written(workspace):
    folder = workspace.year_dir(2026) / "登记簿" / "发文登记簿.xlsx"
    with Office(workspace, today=DAY) as office:
        office.risks()
        (folder / "内容").mkdir(parents=True)
        issued = office.letter("suggestion", "计财处", FIELDS)
        assert issued.registers.warnings == [f"发文登记簿.xlsx：同名的文件夹占着这个位置，本次未更新；"
                                             f"请把文件夹“{folder}”改名或移走后运行 lzdocs register"]
        assert (folder / "内容").is_dir()
        assert cells(folder.parent / "预警处置台账.xlsx", 1)[1:] == ["内工大纪建〔2026〕1号"]  # the other book written


def test_a_line_written_into_the_journal_by_hand_never_makes_an_archived_file_pass_for_a_register(workspace):
    """Only a register or the 公示表 of a year, in its role, is ever taken for lzdocs's interrupted rewrite: a
    letter changed since it was issued, with its new hash in the journal, is still a change."""
    import json

    from lzdocs.fsutil import sha256_file

    with Office(workspace, today=DAY) as office:
        issued = office.letter("suggestion", "计财处", FIELDS)
        issued.path.write_bytes(b"changed by someone")
        relative = workspace.relative(issued.path)
        (workspace.state / "registers-placing.jsonl").write_text(json.dumps(
            {"path": relative, "role": "register", "sha256": sha256_file(issued.path)}) + "\n", encoding="ascii")
        [found] = office.verify().findings
        assert (found.kind, found.subject) == ("changed", relative)
        office.registers()
        assert [(f.kind, f.subject) for f in office.verify().findings] == [("changed", relative)]


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and links")
@pytest.mark.parametrize("hostile", ["folder", "fifo", "dangling link"])
def test_something_else_at_the_journal_s_name_costs_only_its_protection(workspace, hostile, tmp_path):
    """A folder, a FIFO or a link where the journal goes: letters are issued and said, the registers written (a
    FIFO is never waited on, a link never followed)."""
    journal = workspace.state / "registers-placing.jsonl"
    journal.parent.mkdir(parents=True, exist_ok=True)
    {"folder": journal.mkdir, "fifo": lambda: os.mkfifo(journal),
     "dangling link": lambda: journal.symlink_to(tmp_path / "nowhere")}[hostile]()
    with Office(workspace, today=DAY) as office:
        issued = office.letter("suggestion", "计财处", FIELDS)
        assert issued.number.seq == 1 and issued.registers.warnings == []
        assert cells(workspace.year_dir(2026) / "登记簿" / "发文登记簿.xlsx", 3) == ["内工大纪建〔2026〕1号"]
        assert office.verify().findings == []
    assert os.path.lexists(journal) and not (tmp_path / "nowhere").exists()

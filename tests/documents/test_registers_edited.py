"""A register the clerk edited in WPS (份数, 送达 notes) is kept under another name, never overwritten by a rebuild."""

from __future__ import annotations

import datetime as dt
import hashlib

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

"""A SQLite archive's path as lzdocs' own connections (sqlite3) and SQLAlchemy's read it: the same file, whatever
the folder is called (``100%``, ``a?b``) or however the clerk wrote [database] url (``%20`` for a space). Two
readings would be two archives: forms recorded in one, registers and letters read from the other."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from lzdocs import Office
from lzdocs.store.db import sqlite_file, sqlite_url
from lzdocs.workspace import SAMPLE, Workspace
from tests.conftest import use_database

TODAY = dt.date(2026, 11, 28)


@pytest.mark.parametrize("name", ["100%完成", "档案 库%20旧", "a?b#c", "%E6%A1%A3"])
def test_a_path_read_back_from_its_url_by_lzdocs_and_by_sqlalchemy(name):
    from sqlalchemy.engine import make_url

    path = Path("/srv") / name / "lzdocs.db"
    url = sqlite_url(path)
    assert sqlite_file(url) == path
    assert Path(make_url(url).database) == path


def _one_archive(root: Path, make_form, tmp_path) -> list[Path]:
    with Office(root, today=TODAY) as office:
        make_form(office.ws.inbox / "计财处.docx")
        assert [o.status for o in office.ingest().outcomes] == ["accepted"]
        assert len(office.risks(year=2026)) == 3  # read through SQLAlchemy
        office.registers(2026)  # the registers, read through SQLAlchemy too
    return sorted(p for p in tmp_path.rglob("*.db"))


@pytest.mark.parametrize("name", ["100%完成", "旧%20档案"])
def test_a_workspace_in_a_folder_with_a_percent_sign_has_one_archive(tmp_path, make_form, name):
    ws, _ = Workspace.init(tmp_path / name / "ws", SAMPLE)
    assert _one_archive(ws.root, make_form, tmp_path) == [ws.root / "lzdocs.db"]


def test_a_database_url_written_with_percent_escapes_names_one_file(tmp_path, make_form):
    ws, _ = Workspace.init(tmp_path / "ws", SAMPLE)
    use_database(ws.root, f"sqlite:///{(tmp_path / 'archive%20files').as_posix()}/%E6%A1%A3%E6%A1%88.db")
    assert _one_archive(ws.root, make_form, tmp_path) == [tmp_path / "archive files" / "档案.db"]

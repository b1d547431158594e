"""settle_returned (lzdocs/ingest/returned.py), called for every form accepted: with nothing of its unit waiting in
退回/ it reads once and writes nothing; a returned file waiting is settled as before."""

from __future__ import annotations

import datetime as dt
import hashlib
from contextlib import contextmanager

import pytest

from lzdocs.ingest.returned import settle_returned
from lzdocs.store import files as manifest
from lzdocs.store import submissions as subs

pytestmark = pytest.mark.both_backends  # the archive on SQLite and on PostgreSQL

NOW = dt.datetime(2026, 11, 28, 9, 30)


def _returned(store, unit: str, stored_as: str, data: bytes, year: int = 2026) -> int:
    with store.begin() as conn:
        new_id, _ = subs.add_submission(conn, rows=[], sha256=hashlib.sha256(data).hexdigest(), kind="risk",
                                        status="rejected", unit=unit, year=year, received_at=NOW,
                                        original_name=stored_as.rpartition("/")[2], source="inbox/x.docx",
                                        stored_as=stored_as, claim="released")
        manifest.record(conn, stored_as, hashlib.sha256(data).hexdigest(), len(data), "returned", NOW,
                        submission_id=new_id)
    return new_id


def test_with_nothing_of_the_unit_waiting_it_settles_nothing_and_takes_no_write_lock(workspace, store, tmp_path,
                                                                                     monkeypatch):
    workspace.rejected.mkdir(parents=True, exist_ok=True)
    (workspace.rejected / "宣传部.docx").write_bytes(b"returned")
    _returned(store, "宣传部", "inbox/退回/宣传部.docx", b"returned")
    _returned(store, "组织部", "inbox/退回/已处理/组织部.docx", b"settled before")  # in 已处理/ already
    _returned(store, "组织部", "inbox/退回/组织部.docx", b"of 2025", year=2025)

    @contextmanager
    def no_write(**_kw):
        raise AssertionError("a write transaction")
        yield

    monkeypatch.setattr(store, "begin", no_write)
    for unit, year in (("组织部", 2026), ("宣传部", 2025), ("团委", 2026)):
        assert settle_returned(workspace, store, "risk", unit, year, tmp_path / "claims") == []
    assert settle_returned(workspace, store, "review", "宣传部", 2026, tmp_path / "claims") == []
    assert (workspace.rejected / "宣传部.docx").read_bytes() == b"returned"


def test_a_returned_file_waiting_is_moved_to_settled_and_recorded(workspace, store, tmp_path):
    workspace.rejected.mkdir(parents=True, exist_ok=True)
    (workspace.rejected / "宣传部.docx").write_bytes(b"returned")
    (workspace.rejected / "宣传部.docx.错误说明.txt").write_bytes(b"why")
    first = _returned(store, "宣传部", "inbox/退回/宣传部.docx", b"returned")
    taken_back = _returned(store, "宣传部", "inbox/退回/宣传部_01.docx", b"taken back by the unit")
    assert settle_returned(workspace, store, "risk", "宣传部", 2026, tmp_path / "claims") == [
        "inbox/退回/已处理/宣传部.docx"]
    assert (workspace.rejected / "已处理" / "宣传部.docx").read_bytes() == b"returned"
    assert (workspace.rejected / "已处理" / "宣传部.docx.错误说明.txt").read_bytes() == b"why"
    assert not (workspace.rejected / "宣传部.docx").exists()
    with store.read() as conn:
        assert subs.get(conn, first)["stored_as"] == "inbox/退回/已处理/宣传部.docx"
        assert subs.get(conn, taken_back)["stored_as"] is None
        assert manifest.recorded(conn, "inbox/退回/已处理/宣传部.docx")["submission_id"] == first
        assert manifest.recorded(conn, "inbox/退回/宣传部_01.docx") is None
    assert settle_returned(workspace, store, "risk", "宣传部", 2026, tmp_path / "claims") == []  # settled: once

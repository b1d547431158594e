"""Listing the inbox cheaply, and telling a whole file from one still being copied."""

import os
from pathlib import Path

import pytest

from lzdocs.watch.scanner import ShareUnavailable, is_complete, scan

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "forms"


def _tree(root: Path) -> None:
    for rel in ["a.docx", "sub/b.xlsx", "sub/deeper/c.docx", "~$a.docx", ".~lock.a.docx#", "x.tmp", "~wrl0001.tmp",
                "Thumbs.db", "退回/r.docx", "退回/r.docx.错误说明.txt", ".lzdocs/claims/t/a.docx", ".hidden/h.docx"]:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 3)


def test_scan_lists_candidates_with_size_and_mtime_and_skips_lock_temp_and_own_files(tmp_path):
    _tree(tmp_path)
    listing = scan(tmp_path)
    rel = sorted(Path(p).relative_to(tmp_path).as_posix() for p in listing.files)
    assert rel == ["a.docx", "sub/b.xlsx", "sub/deeper/c.docx"]
    size, mtime_ns = listing.files[str(tmp_path / "a.docx")]
    assert size == 3 and mtime_ns == os.stat(tmp_path / "a.docx").st_mtime_ns
    assert listing.unreadable == []


def test_a_missing_inbox_is_an_outage_not_an_empty_folder(tmp_path):
    with pytest.raises(ShareUnavailable) as info:
        scan(tmp_path / "gone")
    assert str(info.value) == "找不到这个文件或文件夹，可能已被移走，或网络共享未连接（ENOENT）"


def test_a_subfolder_that_cannot_be_read_is_reported_not_dropped(tmp_path, monkeypatch):
    _tree(tmp_path)
    real = os.scandir
    broken = os.fspath(tmp_path / "sub")

    def scandir(path):
        if os.fspath(path) == broken:
            raise OSError(5, "Input/output error")
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    listing = scan(tmp_path)
    assert listing.unreadable == [broken]
    assert list(listing.files) == [str(tmp_path / "a.docx")]


@pytest.mark.parametrize("name", ["word_layout.docx", "excel_serial.xlsx", "lo_merged.xls", "lo_two_row_header.doc"])
def test_a_file_is_complete_only_when_whole(tmp_path, name):
    data = (FIXTURES / name).read_bytes()
    path = tmp_path / name
    path.write_bytes(data)
    assert is_complete(str(path))
    for cut in (0, 100, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:cut])
        assert not is_complete(str(path)), cut


def test_reserved_but_unwritten_space_is_not_complete_and_other_content_is_left_to_ingest(tmp_path):
    reserved = tmp_path / "a.docx"
    reserved.write_bytes(b"\0" * 4096)
    assert not is_complete(str(reserved))
    text = tmp_path / "notes.docx"
    text.write_bytes("不是 Word 文件".encode())
    assert is_complete(str(text))  # whole, just not a form: ingest rejects it with an explanation

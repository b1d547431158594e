"""Moving a finished file onto a free name (fsutil.move_without_replacing, place_new): never over another's file,
also where hard links cannot be made (FAT and exFAT disks, some network shares), and finished after a kill."""

from __future__ import annotations

import errno
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lzdocs.fsutil import move_without_replacing, place_new


@pytest.fixture(params=["one step", "a placeholder first"])
def no_hard_links(monkeypatch, request):
    """os.link refused as a FAT disk or an SMB share refuses it; each rename a moment late, as on a share, so that
    another process's move fits between a look at the name and the rename. Each test runs twice: with the rename
    that never replaces (Linux's renameat2), and — as on Windows' shares, macOS, an old Linux — without it."""
    from lzdocs import fsutil

    if request.param == "one step" and fsutil._renameat2() is None:
        pytest.skip("no renameat2 here (not Linux, or glibc before 2.28)")
    if request.param == "a placeholder first":
        monkeypatch.setattr(fsutil, "_rename_exclusive", lambda src, dest: False)

    def refused(*_args, **_kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    rename = os.rename

    def slow_rename(src, dest, *args, **kwargs):
        time.sleep(0.02)
        return rename(src, dest, *args, **kwargs)

    monkeypatch.setattr(os, "link", refused)
    monkeypatch.setattr(os, "rename", slow_rename)


def test_drafts_made_at_once_under_one_name_each_keep_their_own_where_hard_links_cannot_be_made(tmp_path,
                                                                                               no_hard_links):
    folder, clerks = tmp_path / "草稿", 12
    start = threading.Barrier(clerks)

    def draft(i: int) -> Path:
        def write(partial: Path) -> None:
            partial.write_text(f"第{i}份草稿", encoding="utf-8")
            start.wait()
        return place_new(folder, "内工大纪建〔2026〕（草稿）-计划财务处", ".docx", write)

    with ThreadPoolExecutor(clerks) as pool:
        placed = list(pool.map(draft, range(clerks)))
    assert len(set(placed)) == clerks
    assert [p.read_text(encoding="utf-8") for p in placed] == [f"第{i}份草稿" for i in range(clerks)]
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in placed)  # no placeholder, no leftover


def test_a_folder_is_moved_onto_a_free_name_where_hard_links_cannot_be_made(tmp_path, no_hard_links):
    (tmp_path / "上报").mkdir()
    (tmp_path / "上报" / "清单.txt").write_text("原有的", encoding="utf-8")
    made = tmp_path / ".work"
    made.mkdir()
    (made / "清单.txt").write_text("新的", encoding="utf-8")
    moved = move_without_replacing(made, tmp_path, "上报", "")
    assert moved == tmp_path / "上报_01" and (moved / "清单.txt").read_text(encoding="utf-8") == "新的"
    assert (tmp_path / "上报" / "清单.txt").read_text(encoding="utf-8") == "原有的" and not made.exists()


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="renameat2 is Linux's")
def test_where_hard_links_cannot_be_made_a_name_is_never_held_by_an_empty_placeholder(tmp_path, monkeypatch):
    """With renameat2 (RENAME_NOREPLACE) the move is one step: a kill anywhere leaves the file under one name or the
    other, never an empty file under the real name (the placeholder way's window). It never replaces either."""
    from lzdocs import fsutil

    if fsutil._renameat2() is None:
        pytest.skip("no renameat2 here (glibc before 2.28)")

    def refused(*_args, **_kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    def no_placeholder(*_args, **_kwargs):
        raise AssertionError("a placeholder was made")

    monkeypatch.setattr(os, "link", refused)
    monkeypatch.setattr(fsutil, "_create_empty", no_placeholder)
    (tmp_path / "内工大纪建〔2026〕1号.docx").write_bytes(b"the clerk's")
    made = tmp_path / ".made.part.docx"
    made.write_bytes(b"new")
    moved = move_without_replacing(made, tmp_path, "内工大纪建〔2026〕1号", ".docx")
    assert moved.name == "内工大纪建〔2026〕1号_01.docx" and moved.read_bytes() == b"new"
    assert (tmp_path / "内工大纪建〔2026〕1号.docx").read_bytes() == b"the clerk's" and not made.exists()


def test_a_name_already_taken_by_the_same_file_is_not_passed_over(tmp_path):
    """A move killed between its hard link and its unlink leaves the file under both names: moving it again takes
    the name it has, and leaves no second name of one file (edited under one, it would change under the other)."""
    folder = tmp_path / "作废"
    folder.mkdir()
    src = tmp_path / ".内工大纪建〔2026〕1号-计划财务处.0123abcd.part.docx"
    src.write_bytes(b"PK the letter")
    os.link(src, folder / "内工大纪建〔2026〕1号-计划财务处.docx")  # the kill came here
    (tmp_path / "another.docx").write_bytes(b"PK another")
    os.link(tmp_path / "another.docx", folder / "内工大纪建〔2026〕2号-计划财务处.docx")
    moved = move_without_replacing(src, folder, "内工大纪建〔2026〕1号-计划财务处", ".docx")
    assert moved == folder / "内工大纪建〔2026〕1号-计划财务处.docx" and not src.exists()
    assert sorted(p.name for p in folder.iterdir()) == ["内工大纪建〔2026〕1号-计划财务处.docx",
                                                        "内工大纪建〔2026〕2号-计划财务处.docx"]
    other = tmp_path / "third.docx"
    other.write_bytes(b"PK a third")  # a different file: the taken name is passed over, as ever
    assert move_without_replacing(other, folder, "内工大纪建〔2026〕2号-计划财务处", ".docx").name == \
        "内工大纪建〔2026〕2号-计划财务处_01.docx"


def test_the_hidden_file_of_a_killed_placing_is_removed_by_a_later_one_once_it_is_old(tmp_path):
    """Ten minutes after it was last written, by the folder's own clock (a share's may be hours off ours)."""
    folder = tmp_path / "草稿"
    folder.mkdir()
    stale, fresh = folder / f".{'a' * 32}.part.docx", folder / f".{'b' * 32}.part.docx"
    others = [folder / f".{'c' * 32}.part.pdf", folder / ".内工大纪建〔2026〕1号-计划财务处.0123abcd.part.docx",
              folder / "草稿.docx"]
    for path in (stale, fresh, *others):
        path.write_bytes(b"")
    now = fresh.stat().st_mtime_ns
    for path in (stale, *others):
        os.utime(path, ns=(now - 11 * 60 * 10**9,) * 2)
    placed = place_new(folder, "草稿", ".docx", lambda partial: partial.write_bytes(b"PK"))
    assert placed.name == "草稿_01.docx"
    assert not stale.exists() and fresh.exists() and all(p.exists() for p in others)


def test_two_files_a_file_system_numbers_alike_are_never_taken_for_one(tmp_path, monkeypatch):
    """WebDAV and sshfs-win drives and cloud-drive clients give every file the inode number 0: a name taken by
    another file is passed over as ever, and the file moved is not removed for it."""
    folder = tmp_path / "已处理"
    folder.mkdir()
    (folder / "报表.xlsx").write_bytes(b"last year's form")
    src = tmp_path / "报表.xlsx"
    src.write_bytes(b"this year's form")
    lstat = os.lstat

    def numbered_zero(path, *args, **kwargs):
        found = lstat(path, *args, **kwargs)
        return os.stat_result((found.st_mode, 0, found.st_dev, 2, *found[4:]))

    monkeypatch.setattr(os, "lstat", numbered_zero)
    moved = move_without_replacing(src, folder, "报表", ".xlsx")
    assert moved.name == "报表_01.xlsx" and moved.read_bytes() == b"this year's form"
    assert (folder / "报表.xlsx").read_bytes() == b"last year's form"


def test_a_scratch_folder_a_killed_process_left_is_removed_by_the_next_one_of_its_kind(tmp_path, monkeypatch):
    """LibreOffice's profile and output folders of a PDF, a PDF/A, a .doc conversion: ``tempfile.TemporaryDirectory``
    left them for good in the system's temporary folder when the process was killed (an archive killed part-way left
    its /tmp/lzdocs-pdfa-* behind). Now the next one of the kind removes those whose lock nobody holds."""
    import tempfile

    from lzdocs.fsutil import private_folder, scratch_folder

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    killed, its_lock = private_folder(tmp_path, "lzdocs-pdfa-")
    (killed / "profile").mkdir()
    its_lock.release()  # as the system lets go when the process dies
    running, held = private_folder(tmp_path, "lzdocs-pdfa-")  # another process's, working now
    with scratch_folder("lzdocs-pdfa-") as mine:
        (mine / "out").mkdir()
        assert not killed.exists() and running.is_dir() and mine.parent == tmp_path
    assert not mine.exists() and running.is_dir()
    held.release()

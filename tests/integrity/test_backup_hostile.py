"""Backup and restore against a careless clerk and a hostile backup: odd places, odd targets, tampered manifests."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from lzdocs.clock import Clock
from tests.conftest import SAMPLE_SCHOOL, TODAY, copy_of, make_form_file, run_cli, run_json, use_inbox


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A workspace with two units' forms and one letter, backed up once to 备份 beside it."""
    base = tmp_path_factory.mktemp("backup")
    root = base / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    for unit in ("计划财务处", "基建处"):
        make_form_file(root / "inbox" / f"{unit}.docx", unit=unit)
    run_cli("-w", root, "ingest", check=0)
    run_json("-w", root, "letter", "suggestion", "--unit", "计财处", "--set", "事由=在检查中", "--set", "问题=采购",
             "--set", "建议=完善", "--date", "2026-11-20")
    run_cli("-w", root, "backup", base / "备份", check=0)
    return base


@pytest.fixture
def archive(built, tmp_path):
    """That workspace and its backup (tmp_path/备份), a copy of their own for each test."""
    return copy_of(built, tmp_path) / "工作区"


def snapshot(tmp_path: Path) -> Path:
    [found] = [p for p in (tmp_path / "备份").iterdir() if not p.name.startswith(".")]
    return found


def tampered(tmp_path: Path, change) -> Path:
    """A copy of the snapshot whose manifest ``change(manifest, folder)`` edited."""
    copy = tmp_path / "改过的备份" / snapshot(tmp_path).name
    shutil.copytree(snapshot(tmp_path), copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    change(manifest, copy)
    (copy / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return copy


def test_a_backup_inside_an_inbox_outside_the_workspace_is_refused(archive, tmp_path):
    """ingest moves every file below the inbox: a backup there would be taken apart by the next ingest."""
    inbox = tmp_path / "共享收件"
    inbox.mkdir()
    use_inbox(archive, inbox)
    proc = run_cli("-w", archive, "backup", inbox / "备份", check=2)
    assert f"备份文件夹“{inbox / '备份'}”在收件文件夹“{inbox.as_posix()}”里" in proc.stderr
    assert not (inbox / "备份").exists()
    run_cli("-w", archive, "backup", tmp_path, check=2)  # holding the workspace
    assert run_cli("-w", archive, "backup", tmp_path / "备份2", check=0).returncode == 0  # beside the inbox: fine


def test_restore_into_the_backup_itself_is_refused_and_the_backup_is_left_alone(archive, tmp_path):
    before = sorted(p.name for p in snapshot(tmp_path).iterdir())
    for target in (snapshot(tmp_path) / "恢复", snapshot(tmp_path) / "outbox" / "恢复"):
        proc = run_cli("restore", tmp_path / "备份", target, check=2)
        assert "在备份文件夹" in proc.stderr and "请把恢复的工作区放在备份文件夹以外" in proc.stderr, target
        assert not target.exists()
    assert sorted(p.name for p in snapshot(tmp_path).iterdir()) == before


def test_restore_onto_a_link_is_refused_saying_it_is_a_link(archive, tmp_path):
    (tmp_path / "空").mkdir()
    (tmp_path / "链接").symlink_to(tmp_path / "空")
    proc = run_cli("restore", tmp_path / "备份", tmp_path / "链接", check=2)
    assert "“" + str(tmp_path / "链接") + "”是一个链接" in proc.stderr
    assert not any((tmp_path / "空").iterdir())


def test_a_manifest_naming_a_file_twice_is_a_damaged_backup_in_chinese(archive, tmp_path):
    def twice(manifest, folder):
        manifest["files"].append(dict(manifest["files"][1]))
    proc = run_cli("restore", tampered(tmp_path, twice), tmp_path / "恢复", check=1)
    assert "备份清单中" in proc.stderr and "出现了两次" in proc.stderr and "File exists" not in proc.stderr
    assert not (tmp_path / "恢复").exists()


def test_a_manifest_with_years_that_are_not_years_is_a_damaged_backup(archive, tmp_path):
    def years(manifest, folder):
        manifest["years"] = ["abc"]
    proc = run_cli("restore", tampered(tmp_path, years), tmp_path / "恢复", check=1)
    assert "不是 lzdocs 备份清单" in proc.stderr and "内部出错" not in proc.stderr


def test_a_file_changed_in_the_backup_with_its_manifest_hash_is_caught_by_the_database(archive, tmp_path):
    """The manifest is in the same folder as the files: whoever changes a form can change its hash there too; the
    restored database still records the form's SHA-256 of the day it came in."""
    def changed(manifest, folder):
        entry = next(e for e in manifest["files"] if e["role"] == "original")
        path = folder / entry["path"]
        path.write_bytes(path.read_bytes() + b"x")
        entry["sha256"], entry["size"] = hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_size
    proc = run_cli("restore", tampered(tmp_path, changed), tmp_path / "恢复", check=1)
    assert "备份已损坏" in proc.stderr and "与档案库记录的 SHA-256 不一致" in proc.stderr
    assert "outbox/2026/收文/" in proc.stderr
    assert not (tmp_path / "恢复").exists()


def test_a_restored_workspace_sharing_the_original_inbox_is_pointed_out(archive, tmp_path):
    """A restore made to check a backup would otherwise take the live office's forms at its first ingest."""
    inbox = tmp_path / "共享收件"
    inbox.mkdir()
    use_inbox(archive, inbox)
    run_cli("-w", archive, "backup", tmp_path / "备份2", check=0)
    proc = run_cli("restore", tmp_path / "备份2", tmp_path / "恢复", check=0)
    assert (f"提醒：恢复的 lzdocs.toml 中 [inbox] path 仍指向“{inbox.as_posix()}”，与原工作区共用收件文件夹"
            in proc.stderr)
    plain = run_cli("restore", tmp_path / "备份", tmp_path / "恢复2", check=0)
    assert "[inbox]" not in plain.stderr


def test_two_backups_choosing_the_same_name_at_once_both_complete(archive, tmp_path, monkeypatch):
    """Two clerks (or a scheduled task and a clerk) start a backup to one DEST in the same second."""
    from lzdocs import Office
    from lzdocs.integrity import backup

    chosen = backup._new_name

    taken = []  # the name the other backup took

    def raced(dest, now):  # the other backup makes its folder between our choosing the name and making it
        name = chosen(dest, now)
        if not taken:
            taken.append(name)
            (dest / f".{name}{backup.PARTIAL}").mkdir()
        return name

    monkeypatch.setattr(backup, "_new_name", raced)
    with Office(archive, today=TODAY) as office:
        result = office.backup(tmp_path / "备份")
    # (the fixture's own backup may have been made in the same second: the names raced for need not end in -01/-02)
    assert result.snapshot.name != taken[0] and (result.snapshot / "manifest.json").is_file()
    assert (tmp_path / "备份" / f".{taken[0]}{backup.PARTIAL}").is_dir()  # the other backup's folder left to it


def test_restore_into_the_folder_the_clerk_is_in_says_so(archive, tmp_path):
    """``cd D:\\恢复`` then ``lzdocs restore E:\\备份 .``: the folder is empty, it is just the one we stand in."""
    here = tmp_path / "恢复"
    here.mkdir()
    proc = run_cli("restore", tmp_path / "备份", ".", cwd=here, check=2)
    assert "不能恢复到命令行当前所在的文件夹" in proc.stderr and "已存在且不是空文件夹" not in proc.stderr
    assert not any(here.iterdir()) and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.skipif(os.name == "nt", reason="Windows file names are always Unicode")
def test_a_template_whose_name_is_not_utf8_is_named_and_the_rest_backed_up(archive, tmp_path):
    """A file unpacked from a GBK zip on a Linux share: its name is bytes that are not UTF-8."""
    with open(os.fsencode(archive / "templates") + b"/\xb2\xe2\xca\xd4.docx", "wb") as fh:
        fh.write(b"x")
    proc = run_cli("-w", archive, "backup", tmp_path / "备份3", check=1)
    assert ("提醒：templates/\\xb2\\xe2\\xca\\xd4.docx：文件名不是 UTF-8 编码（可能是从 GBK 压缩包解出的），没有备份；"
            "请把它改名后再备份") in proc.stderr
    [snap] = (tmp_path / "备份3").iterdir()
    manifest = json.loads((snap / "manifest.json").read_text(encoding="utf-8"))
    assert "templates/催报通知.docx" in {e["path"] for e in manifest["files"]}


def test_a_backup_taken_by_a_clock_behind_the_last_one_is_still_the_newest(archive, tmp_path):
    """Two machines back up to one DEST, the second's clock behind the first's (or a clock set back, or a pinned day
    past real midnight): the folder names still sort in the order made, and restore takes the last one."""
    from lzdocs import Office
    from lzdocs.integrity import backup

    dest = tmp_path / "共用备份"
    made = []
    for at in (dt.datetime(2026, 11, 28, 23, 59, 57), dt.datetime(2026, 11, 28, 0, 0, 5)):
        with Office(archive, clock=Clock(TODAY, lambda at=at: at)) as office:
            made.append(office.backup(dest).snapshot)
    assert [p.name for p in made] == ["20261128-235957", "20261128-235957-02"]
    assert backup.snapshots(dest) == made and backup.find_snapshot(dest) == made[-1]


def test_a_folder_named_in_full_width_digits_is_not_taken_for_a_snapshot(archive, tmp_path):
    """“２０２６１２３１-１２００００” (typed with a Chinese input method) is no snapshot's name: new names do not
    follow it."""
    from lzdocs import Office

    dest = tmp_path / "共用备份"
    (dest / "２０２６１２３１-１２００００").mkdir(parents=True)
    with Office(archive, clock=Clock(TODAY, lambda: dt.datetime(2026, 11, 28, 10, 0))) as office:
        assert office.backup(dest).snapshot.name == "20261128-100000"

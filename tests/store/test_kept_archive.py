"""One workspace, one archive (lzdocs/store/kept.py): a lost archive is never made anew, another is never used in its
place — a letter would otherwise be numbered 1号 a second time and the registers rewritten empty."""

from __future__ import annotations

import json
import shutil

import pytest

from lzdocs.store import Store
from lzdocs.store.kept import RECORD
from lzdocs.workspace import SAMPLE, Workspace
from tests.conftest import run_cli, run_json, use_database
from tests.ingest.invariant import assert_each_input_exactly_once

LETTER = ["letter", "suggestion", "--unit", "计财处", "--set", "事由=检查中", "--set", "问题=采购不规范",
          "--set", "建议=完善制度"]
COMMANDS = [LETTER, ["status"], ["register"], ["risks"], ["ingest"], ["db", "upgrade"], ["verify"],
            ["urge"], ["changes"], ["quality"], ["unit", "计划财务处"]]


def _files(root) -> dict[str, bytes]:
    """Every file of the workspace outside its work folders, with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".lzdocs" not in p.parts}


def _filled(workspace, make_form) -> bytes:
    """A workspace with a form taken and a letter issued (内工大纪建〔2026〕1号); the form's bytes."""
    data = make_form(workspace.inbox / "计财处.docx").read_bytes()
    run_json("-w", workspace.root, "ingest")
    assert run_json("-w", workspace.root, *LETTER)["number"] == "内工大纪建〔2026〕1号"
    return data


def test_a_lost_archive_is_not_made_anew_by_any_command(workspace, make_form):
    """lzdocs.db moved away: every command says so and changes nothing; put back, the numbering goes on."""
    root = workspace.root
    taken = _filled(workspace, make_form)
    waiting = make_form(workspace.inbox / "基建处.docx", unit="基建处").read_bytes()
    moved = root.parent / "别处"
    moved.mkdir()
    for path in root.glob("lzdocs.db*"):
        path.rename(moved / path.name)
    before = _files(root)
    for command in [*COMMANDS, ["archive", "--year", "2026", moved / "归档"], ["backup", moved / "备份"]]:
        refused = run_cli("-w", root, *command, check=2).stderr
        assert f"找不到本工作区的档案库 {root / 'lzdocs.db'}" in refused, command
        assert "新建一个空的会让文号从 1 号重新编" in refused
        assert f"请把原来的 lzdocs.db 放回 {root}" in refused
        assert f"删除 {workspace.state / RECORD} 后重新运行" in refused
        assert _files(root) == before, command  # no new lzdocs.db, no letter, no register rewritten
    for path in moved.iterdir():
        path.rename(root / path.name)
    assert run_json("-w", root, *LETTER)["number"] == "内工大纪建〔2026〕2号"
    assert [o["status"] for o in run_json("-w", root, "ingest")] == ["accepted"]
    assert_each_input_exactly_once(workspace, [taken, waiting])


def test_another_archive_in_its_place_is_refused_and_left_untouched(workspace, make_form, tmp_path):
    """A new lzdocs.db, or one copied from another workspace: refused before anything is written into it."""
    root = workspace.root
    _filled(workspace, make_form)
    other = Workspace.init(tmp_path / "另一个工作区", SAMPLE)[0]
    Store.for_workspace(other).close()
    for path in root.glob("lzdocs.db*"):
        path.unlink()
    shutil.copy2(other.root / "lzdocs.db", root / "lzdocs.db")
    foreign = (root / "lzdocs.db").read_bytes()
    for command in (LETTER, ["status"], ["ingest"]):
        refused = run_cli("-w", root, *command, check=2).stderr
        assert f"{root / 'lzdocs.db'} 里的档案库不是本工作区原来的档案库" in refused, command
        assert "若确要改用这个档案库" in refused
    assert (root / "lzdocs.db").read_bytes() == foreign


def test_the_same_archive_elsewhere_is_welcome(workspace, make_form, tmp_path):
    """The workspace copied to another folder (its record with it), or backed up and restored: one archive."""
    _filled(workspace, make_form)
    copy = tmp_path / "复制的工作区"
    shutil.copytree(workspace.root, copy)
    assert run_json("-w", copy, *LETTER)["number"] == "内工大纪建〔2026〕2号"
    backup = tmp_path / "备份"
    run_json("-w", workspace.root, "backup", backup)
    restored = tmp_path / "恢复的工作区"
    run_json("restore", next(backup.iterdir()), restored)
    assert run_json("-w", restored, *LETTER)["number"] == "内工大纪建〔2026〕2号"


def test_the_record_deleted_as_told_starts_a_new_archive(workspace, make_form):
    """The old archive truly given up: the clerk deletes the record, as the message says, and starts afresh."""
    root = workspace.root
    _filled(workspace, make_form)
    old = json.loads((workspace.state / RECORD).read_text(encoding="utf-8"))["archive"]
    for path in root.glob("lzdocs.db*"):
        path.unlink()
    (workspace.state / RECORD).unlink()
    assert run_json("-w", root, "status")["units"]
    new = json.loads((workspace.state / RECORD).read_text(encoding="utf-8"))
    with Store.for_workspace(Workspace.open(root)) as store:
        assert new == {"archive": store.archive_id(), "database": str(root / "lzdocs.db")} and new["archive"] != old


@pytest.mark.parametrize("record", [b"", b"{\"archive\": ", b"[1]", "folder"])
def test_a_damaged_record_is_named_never_taken_for_none(workspace, make_form, record):
    """A record that is not the one written here: a lost archive must not hide behind it."""
    root = workspace.root
    _filled(workspace, make_form)
    path = workspace.state / RECORD
    path.unlink()
    path.mkdir() if record == "folder" else path.write_bytes(record)
    refused = run_cli("-w", root, "status", check=2).stderr
    assert f"工作区记录所用档案库的文件“{path}”已损坏" in refused and f"删除 {path} 后重新运行" in refused
    path.rmdir() if record == "folder" else path.unlink()
    assert run_json("-w", root, *LETTER)["number"] == "内工大纪建〔2026〕2号"
    assert path.is_file()  # recorded again


def test_a_workspace_from_before_the_record_is_recorded_on_first_opening(workspace, make_form):
    _filled(workspace, make_form)
    (workspace.state / RECORD).unlink()
    run_json("-w", workspace.root, "status")
    with Store.for_workspace(workspace) as store:
        assert json.loads((workspace.state / RECORD).read_text(encoding="utf-8"))["archive"] == store.archive_id()


@pytest.mark.postgres
def test_a_server_url_naming_another_schema_is_refused(workspace, make_form, postgres_server):
    """The archive moved to a server, then [database] url mistyped (another, empty schema): refused, not begun."""
    root = workspace.root
    _filled(workspace, make_form)
    url = postgres_server.new_schema()
    run_json("-w", root, "db", "copy", "--to", url)
    use_database(root, url)
    assert run_json("-w", root, *LETTER)["number"] == "内工大纪建〔2026〕2号"  # the same archive: welcome
    config = root / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(url, postgres_server.new_schema()), encoding="utf-8")
    refused = run_cli("-w", root, *LETTER, check=2).stderr
    assert "里的档案库不是本工作区原来的档案库" in refused and "[database] url 写回原来的数据库" in refused


def test_a_workspace_that_cannot_be_written_is_still_read(workspace, make_form, monkeypatch):
    """A read-only copy (the status page on a share mounted read-only): opened without its record, never refused."""
    from lzdocs.store import kept

    _filled(workspace, make_form)
    (workspace.state / RECORD).unlink()

    def read_only(*_args, **_kw):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(kept, "write_atomic", read_only)
    assert run_json("-w", workspace.root, "status")["units"]
    assert not (workspace.state / RECORD).exists()

"""The markers of reserved names take turns on a few inodes of the run's private folder (fsutil.Markers), never on
one whose placeholders are still there: a recovery removing one claim's placeholders by its marker's inode removes
none of another claim's."""

import errno
import json
import os
import sys

import pytest

from lzdocs.fsutil import Markers, remove_marked, reserve_name
from lzdocs.ingest import Ingest
from tests.conftest import SAMPLE_ROWS, TODAY, cli_env, run_cli, run_process
from tests.ingest.invariant import assert_each_input_exactly_once, litter

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="hard links (Windows makes a file per marker)")


def _reserve(markers: Markers, folder, token: str):
    """As ``Ingest._settle`` reserves a name: the marker, the name (with its 错误说明) linked to it; the marker is
    returned, not removed yet."""
    marker = folder / f".{token}.reserve"
    markers.create(marker)
    return marker, reserve_name(folder, "计划财务处", ".docx", companions=(".错误说明.txt",), marker=marker)


@posix_only
def test_a_marker_never_shares_the_inode_of_placeholders_still_there(tmp_path):
    private, folder = tmp_path / "private", tmp_path / "收文" / "计划财务处"
    private.mkdir()
    markers = Markers(private)
    first_marker, first = _reserve(markers, folder, "a")
    first_marker.unlink()  # recorded: the first claim's placeholders wait for its commit
    first_inode = os.stat(first).st_ino
    second_marker, second = _reserve(markers, folder, "b")
    assert second.name == "计划财务处_01.docx"
    assert os.stat(second).st_ino != os.stat(first).st_ino

    # the second claim's process died before it recorded its names: recovery removes them by its marker
    removed = remove_marked(second_marker)
    assert sorted(p.name for p in removed) == ["计划财务处_01.docx", "计划财务处_01.docx.错误说明.txt"]
    assert sorted(p.name for p in folder.iterdir()) == ["计划财务处.docx", "计划财务处.docx.错误说明.txt"]

    # the first is committed: its copy and its note over its placeholders, and its inode free for the next marker
    for name, data in ((first, b"form"), (first.with_name(first.name + ".错误说明.txt"), b"note")):
        part = folder / f".{name.name}.part"
        part.write_bytes(data)
        os.replace(part, name)
    _, third = _reserve(markers, folder, "c")
    assert os.stat(third).st_ino == first_inode
    assert len(os.listdir(private)) == 2  # no third file: the first one's inode taken again
    assert os.stat(third).st_size == 0 and first.read_bytes() == b"form"


@posix_only
def test_an_ingest_reuses_the_markers_inodes_form_after_form(workspace, store, make_form, monkeypatch):
    import lzdocs.ingest.pipeline as pipeline

    monkeypatch.setattr(pipeline, "BATCH_SECONDS", 0)  # each form committed before the next is taken
    made = []
    free = Markers._free

    def spy(self):
        source = free(self)
        made.append(os.stat(source).st_ino)
        return source

    monkeypatch.setattr(Markers, "_free", spy)
    units = ["计划财务处", "基建处", "教务处", "图书馆", "国有资产管理处"]
    data = [make_form(workspace.inbox / f"{unit}.docx", unit=unit).read_bytes() for unit in units]
    outcomes = Ingest(workspace, store, today=TODAY).run_inbox()
    assert [o.status for o in outcomes] == ["accepted"] * len(units)
    assert len(made) == len(units) and len(set(made)) == 1
    assert [p for p in workspace.outbox.rglob(".*.reserve")] == []
    assert_each_input_exactly_once(workspace, data)


@posix_only
def test_an_inode_written_to_is_never_a_later_claims_marker(tmp_path):
    """A placeholder written in place before the claim replaced it (an editor saving the empty 错误说明 on the share)
    leaves those bytes in the marker's inode: a later claim's placeholders must not start with them — the 错误说明 is
    written only over an empty file, and recovery removes only empty placeholders. (Found by the review.)"""
    private, folder = tmp_path / "private", tmp_path / "退回"
    private.mkdir()
    markers = Markers(private)
    marker, first = _reserve(markers, folder, "a")
    marker.unlink()
    note = first.with_name(first.name + ".错误说明.txt")
    with open(note, "r+b") as fh:
        fh.write(b"not ours")
    for name in (first, note):
        part = folder / f".{name.name}.part"
        part.write_bytes(b"kept")
        os.replace(part, name)
    _, second = _reserve(markers, folder, "b")
    assert os.stat(second).st_size == 0
    assert os.stat(second.with_name(second.name + ".错误说明.txt")).st_size == 0


@pytest.mark.parametrize("refused", ["every link", "links from the private folder"])
def test_where_links_cannot_be_made_each_marker_is_a_file_of_its_own(workspace, store, make_form, monkeypatch,
                                                                     refused):
    made = os.link

    def link(src, dst, *args, **kw):
        if refused == "every link" or "/.lzdocs/tmp/" in os.fsdecode(src).replace(os.sep, "/"):
            raise OSError(errno.EPERM if refused == "every link" else errno.EXDEV, "refused")
        return made(src, dst, *args, **kw)

    monkeypatch.setattr(os, "link", link)
    data = [make_form(workspace.inbox / f"计财{i}.docx", unit="计划财务处",
                      rows=[dict(SAMPLE_ROWS[0], post=f"岗位{i}")]).read_bytes() for i in range(3)]
    data.append(make_form(workspace.inbox / "坏.docx", rows=[dict(SAMPLE_ROWS[0], level="很高")]).read_bytes())
    outcomes = Ingest(workspace, store, today=TODAY).run_inbox()
    assert sorted(o.status for o in outcomes) == ["accepted"] * 3 + ["rejected"]
    assert_each_input_exactly_once(workspace, data)
    assert litter(workspace) == []


@pytest.mark.slow  # a real process killed
@posix_only
@pytest.mark.parametrize("step", ["after-marker:5", "after-reserve:5", "before-copy:5", "after-commit:5",
                                  "after-rename:5"])
def test_a_run_killed_with_claims_of_one_folder_in_its_batch_loses_nothing(workspace, make_form, step):
    """Six forms of one unit and four returned ones, in one batch: their markers take turns on the private folder's
    inodes while earlier claims' placeholders still wait for the commit. (The review's test.)"""
    data = [make_form(workspace.inbox / f"计财{i}.docx", unit="计划财务处",
                      rows=[dict(SAMPLE_ROWS[0], seq=str(i + 1), post=f"岗位{i}")]).read_bytes() for i in range(6)]
    data += [make_form(workspace.inbox / f"坏{i}.docx", rows=[dict(SAMPLE_ROWS[0], level="很高", post=f"坏{i}")]
                       ).read_bytes() for i in range(4)]
    killed = run_process("-w", workspace.root, "ingest", env=cli_env(LZDOCS_CRASH_AT=step))
    assert killed.returncode == -9, killed.stderr
    rerun = run_cli("-w", workspace.root, "ingest")
    assert rerun.returncode in (0, 1), rerun.stderr
    assert_each_input_exactly_once(workspace, data)
    assert litter(workspace) == []
    assert json.loads(run_cli("-w", workspace.root, "verify", "--json", check=0).stdout)["findings"] == []

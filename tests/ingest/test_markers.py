"""The markers of reserved names take turns on a few inodes of the run's private folder (fsutil.Markers), never on
one whose placeholders are still there: a recovery removing one claim's placeholders by its marker's inode removes
none of another claim's."""

import os
import sys

import pytest

from lzdocs.fsutil import Markers, remove_marked, reserve_name
from lzdocs.ingest import Ingest
from tests.conftest import TODAY
from tests.ingest.invariant import assert_each_input_exactly_once

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

"""An inbox set inside another archive's inbox (a campus's 收件 under the school's): each archive takes only its own
inbox's forms — the outer one, walking its subfolders, passes over the inner inbox once that records its archive."""

from __future__ import annotations

from pathlib import Path

from lzdocs import Office
from lzdocs.watch.native import _Hints
from lzdocs.watch.scanner import scan
from lzdocs.workspace import SAMPLE, Workspace
from tests.conftest import TODAY, use_inbox
from tests.ingest.invariant import assert_each_input_exactly_once


def _workspace(tmp_path: Path, name: str, inbox: Path) -> Workspace:
    ws, _ = Workspace.init(tmp_path / name, SAMPLE)
    use_inbox(ws.root, inbox)
    return Workspace.open(ws.root)


def _take(ws: Workspace) -> list[str]:
    with Office(ws, today=TODAY) as office:
        return [Path(o.file).relative_to(ws.inbox).as_posix() for o in office.ingest().outcomes]


def test_each_archive_takes_only_its_own_inbox(tmp_path, make_form):
    outer = tmp_path / "学校收件"
    inner = outer / "校区收件"
    inner.mkdir(parents=True)
    school, campus = _workspace(tmp_path, "学校", outer), _workspace(tmp_path, "校区", inner)
    assert _take(campus) == []  # its first run records the inner inbox as the campus archive's
    ours = make_form(outer / "计财处.docx").read_bytes()
    in_subfolder = make_form(outer / "二级学院" / "基建处.docx", unit="基建处").read_bytes()
    theirs = make_form(inner / "图书馆.docx", unit="图书馆").read_bytes()
    assert sorted(_take(school)) == ["二级学院/基建处.docx", "计财处.docx"]
    assert (inner / "图书馆.docx").read_bytes() == theirs  # left for the campus
    assert _take(campus) == ["图书馆.docx"]
    assert_each_input_exactly_once(school, [ours, in_subfolder], (outer,))
    assert_each_input_exactly_once(campus, [theirs], (inner,))


def test_the_watcher_passes_over_an_inner_inbox_too(tmp_path, make_form):
    outer = tmp_path / "学校收件"
    inner = outer / "校区收件"
    inner.mkdir(parents=True)
    campus = _workspace(tmp_path, "校区", inner)
    _take(campus)
    make_form(outer / "计财处.docx")
    make_form(inner / "图书馆.docx", unit="图书馆")
    make_form(inner / "分部" / "基建处.docx", unit="基建处")
    assert [Path(p).name for p in scan(outer).files] == ["计财处.docx"]
    nudged = []
    hints = _Hints(str(outer), lambda path, is_dir: nudged.append(path))
    assert not hints._wanted(str(inner / "图书馆.docx"), False)
    assert not hints._wanted(str(inner / "分部" / "基建处.docx"), False)
    assert hints._wanted(str(outer / "二级学院" / "计财处.docx"), False)

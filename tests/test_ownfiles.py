"""Our own blank forms are replaced when unchanged; anything else at the name is never overwritten."""

from __future__ import annotations

from pathlib import Path

from lzdocs.fsutil import OwnFiles


def _writer(data: bytes, also=None):
    def make(path: Path) -> Path:
        path.write_bytes(data)
        if also:
            also()
        return path
    return make


def test_an_unchanged_own_file_is_replaced_and_a_changed_one_kept(tmp_path):
    record, folder = tmp_path / "own.json", tmp_path / "空白表"
    own = OwnFiles(record, tmp_path)
    first = own.write(folder, "表", ".docx", _writer(b"v1"))
    own.save()
    again = OwnFiles(record, tmp_path).write(folder, "表", ".docx", _writer(b"v2"))
    assert again == first and first.read_bytes() == b"v2"
    first.write_bytes(b"the clerk's edit")  # no longer ours
    kept = OwnFiles(record, tmp_path)
    new = kept.write(folder, "表", ".docx", _writer(b"v3"))
    assert (new.name, first.read_bytes(), new.read_bytes()) == ("表_01.docx", b"the clerk's edit", b"v3")
    assert sorted(p.name for p in folder.iterdir()) == ["表.docx", "表_01.docx"]  # no temporary file left


def test_a_file_that_appears_at_the_free_name_meanwhile_is_not_overwritten(tmp_path):
    folder = tmp_path / "空白表"
    folder.mkdir()
    (folder / "表.docx").write_bytes(b"the user's")
    dropped = folder / "表_01.docx"
    made = OwnFiles(tmp_path / "own.json", tmp_path).write(
        folder, "表", ".docx", _writer(b"ours", also=lambda: dropped.write_bytes(b"dropped meanwhile")))
    assert made.name == "表_02.docx" and made.read_bytes() == b"ours"
    assert dropped.read_bytes() == b"dropped meanwhile" and (folder / "表.docx").read_bytes() == b"the user's"

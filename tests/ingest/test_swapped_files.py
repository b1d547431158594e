"""Symlinks, FIFOs and devices in the inbox: reported as 已忽略 with a reason, never read,
never moved into 退回/ — also when one takes a form's place between the listing and the claim.

Invariant: every input's bytes (by SHA-256) exactly once in the archive, in 退回/, or still in the inbox; and a
link's target is never copied anywhere."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import threading

import pytest

from lzdocs.ingest import Ingest
from tests.conftest import run_cli
from tests.ingest.invariant import assert_each_input_exactly_once

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="symlinks and FIFOs are POSIX here")

TODAY = dt.date(2026, 11, 28)
SECRET = b"root:$6$secret-hash-of-the-shadow-file:19000:0:99999:7:::\n"


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "shadow"
    path.write_bytes(SECRET)
    path.chmod(0o600)
    return path


def _copies_of_secret(ws) -> list[str]:
    return [str(p) for p in ws.root.rglob("*") if p.is_file() and not p.is_symlink() and SECRET in p.read_bytes()]


def _in_thread(fn, timeout=20.0):
    """fn() in a thread; (finished, result): a read that blocks on a FIFO would never finish."""
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("result", fn()), daemon=True)
    thread.start()
    thread.join(timeout)
    return not thread.is_alive(), box.get("result")


def test_links_and_fifos_in_the_inbox_are_reported_as_ignored_and_left_alone(workspace, make_form, secret):
    good = make_form(workspace.inbox / "计财处.docx").read_bytes()
    (workspace.inbox / "基建处.docx").symlink_to(secret)
    os.mkfifo(workspace.inbox / "教务处.xlsx")
    (workspace.inbox / "子文件夹").symlink_to(secret.parent, target_is_directory=True)
    proc = run_cli("-w", workspace.root, "ingest", "--json", timeout=60)
    assert proc.returncode == 0, proc.stderr
    by_file = {o["file"]: o for o in json.loads(proc.stdout)}
    assert by_file["inbox/计财处.docx"]["status"] == "accepted"
    for name, reason in (("基建处.docx", "已忽略：符号链接，不会读取"), ("子文件夹", "已忽略：符号链接，不会读取"),
                         ("教务处.xlsx", "已忽略：管道文件（FIFO），不会读取")):
        assert by_file[f"inbox/{name}"]["status"] == "ignored"
        assert [p["message"] for p in by_file[f"inbox/{name}"]["problems"]] == [reason]
    assert os.readlink(workspace.inbox / "基建处.docx") == str(secret)
    assert (workspace.inbox / "教务处.xlsx").is_fifo()
    assert _copies_of_secret(workspace) == []
    assert_each_input_exactly_once(workspace, [good])
    text = run_cli("-w", workspace.root, "ingest", timeout=60)
    assert "[已忽略] inbox/基建处.docx" in text.stdout and "已忽略：符号链接，不会读取" in text.stdout


def test_a_form_swapped_for_a_link_to_the_shadow_file_after_the_listing_is_never_copied(workspace, store,
                                                                                        make_form, secret):
    """The scan saw a form; before the claim someone put a symlink to /etc/shadow in its place."""
    path = make_form(workspace.inbox / "计财处.docx")
    path.unlink()
    path.symlink_to(secret)
    finished, out = _in_thread(lambda: Ingest(workspace, store, today=TODAY).take_inbox_file(path))
    assert finished and out.status == "ignored" and out.file == "inbox/计财处.docx"
    assert [p.message for p in out.problems] == ["已忽略：符号链接，不会读取"]
    assert os.readlink(path) == str(secret)  # back where it was, unread
    assert _copies_of_secret(workspace) == [] and list(workspace.rejected.iterdir()) == []
    assert_each_input_exactly_once(workspace, [])


def test_a_form_swapped_for_a_fifo_after_the_listing_does_not_hang(workspace, store, make_form):
    path = make_form(workspace.inbox / "计财处.docx")
    path.unlink()
    os.mkfifo(path)
    finished, out = _in_thread(lambda: Ingest(workspace, store, today=TODAY).take_inbox_file(path))
    assert finished, "ingest hangs on a FIFO"
    assert out.status == "ignored" and [p.message for p in out.problems] == ["已忽略：管道文件（FIFO），不会读取"]
    assert path.is_fifo() and list(workspace.rejected.iterdir()) == []


def test_a_device_named_on_the_command_line_is_not_read(workspace, store):
    finished, outcomes = _in_thread(lambda: Ingest(workspace, store, today=TODAY).run_paths(["/dev/zero"]))
    assert finished
    [out] = outcomes
    assert out.status == "ignored" and [p.message for p in out.problems] == ["已忽略：设备文件，不会读取"]


def test_a_form_rewritten_while_it_is_taken_stays_in_the_inbox_and_is_taken_once_finished(workspace, store, make_form,
                                                                                         monkeypatch):
    """A program holding the file open saves again after lzdocs has read it: the archive would keep other bytes than
    those read and recorded. The file goes back to the inbox as it now is; the next run takes it."""
    from lzdocs.ingest import pipeline

    path = make_form(workspace.inbox / "计财处.docx")
    first = path.read_bytes()
    real = pipeline.read_form

    def read_then_saved_again(copy, *args, **kw):
        form = real(copy, *args, **kw)
        [claimed] = (workspace.work / "claims").glob("*/计财处.docx")
        with open(claimed, "r+b") as fh:  # the same file, written through a handle opened before it was taken
            fh.seek(0, os.SEEK_END)
            fh.write(b"\0" * 16)
        return form

    monkeypatch.setattr(pipeline, "read_form", read_then_saved_again)
    # one file taken as run_inbox takes it, without the run's own check that it only moved bytes: here a writer
    # changes them; the invariant is stated below, with the bytes as last written
    out = Ingest(workspace, store, today=TODAY).take_inbox_file(path)
    assert out.status == "failed" and "又被改写" in out.problems[0].message
    assert path.read_bytes() == first + b"\0" * 16  # in the inbox as last written
    assert list((workspace.work / "claims").iterdir()) == []
    assert_each_input_exactly_once(workspace, [first + b"\0" * 16])
    monkeypatch.setattr(pipeline, "read_form", real)
    [again] = Ingest(workspace, store, today=TODAY).run_inbox()
    assert again.status == "accepted" and not path.exists()
    assert_each_input_exactly_once(workspace, [first + b"\0" * 16])

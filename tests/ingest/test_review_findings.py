"""Findings of an adversarial review of issues 9 and 10: each failed before its fix."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest


def test_a_letter_being_rendered_survives_a_concurrent_clean_up_under_a_lagging_file_server(workspace):
    """Mtimes come from the file server, never compared with the local clock for a safety decision.

    Process A renders 文号 1 into a .part file; process B (another `lzdocs letter` in the same folder) runs
    finish_leftovers before its own number. The file server's clock is 20 minutes behind, so A's fresh .part
    looked "older than 600 s" and B deleted it: A's number committed with no file, for good. Now B decides under
    the write lock A holds while rendering, and no file time is compared with any clock."""
    from lzdocs.documents.numbering import finish_leftovers, issue_document
    from lzdocs.store import Store

    folder = workspace.outbox / "2026" / "纪检监察建议书"
    a, b = Store.for_workspace(workspace), Store.for_workspace(workspace)

    import threading

    other = threading.Thread(target=finish_leftovers, args=(b, folder, workspace.root))

    def render(number, partial):
        partial.write_bytes(b"letter " + str(number).encode())
        lag = time.time() - 20 * 60
        os.utime(partial, (lag, lag))  # stamped by a server whose clock is 20 minutes behind
        other.start()  # the other process's clean-up, meanwhile
        time.sleep(0.5)
        return None

    try:
        issued = issue_document(a, kind="suggestion", code="内工大纪建", year=2026, title="纪检监察建议书",
                                recipient="计划财务处", issued=dt.date(2026, 12, 1), folder=folder,
                                stem=lambda n: f"{n}-计划财务处", render=render, workspace_root=workspace.root)
    except FileNotFoundError:
        pytest.fail("the .part file of a letter being issued was deleted by another process's clean-up")
    finally:
        other.join(30)
        a.close()
        b.close()
    assert issued.path.read_bytes() == "letter 内工大纪建〔2026〕1号".encode()


def test_a_returned_file_keeps_its_extension_and_is_no_more_readable_than_it_was(workspace):
    """A file in the inbox that is not a form goes to 退回/: its name is cut to 10 characters of extension
    (``.properties`` → ``.propertie``) and the copy is created 0644 with a new mtime, so a 0600 file becomes
    world-readable (seen: an inbox set to /etc left /etc/shadow as 退回/shadow, mode 0644)."""
    from lzdocs.office import Office

    secret = workspace.inbox / "db.properties"
    secret.write_bytes(b"password=s3cret\n")
    secret.chmod(0o600)
    with Office(workspace, today=dt.date(2026, 12, 1)) as office:
        report = office.ingest()
    assert [o.status for o in report.outcomes] == ["rejected"]
    [returned] = [p for p in (workspace.inbox / "退回").iterdir() if p.read_bytes() == b"password=s3cret\n"]
    assert oct(returned.stat().st_mode & 0o777) == "0o600"
    assert returned.name == "db.properties"


def test_a_long_named_broken_docx_is_called_a_broken_docx(workspace):
    """safe_filename's 80-character cut drops the extension of a long name before the type is sniffed: a broken
    .docx named with 83 Chinese characters is rejected as 不支持的文件类型（无扩展名）."""
    from lzdocs.office import Office

    (workspace.inbox / ("坏" * 83 + ".docx")).write_bytes(b"not a zip")
    with Office(workspace, today=dt.date(2026, 12, 1)) as office:
        [outcome] = office.ingest().outcomes
    assert outcome.status == "rejected"
    assert "扩展名是 .docx" in outcome.problems[0].message, outcome.problems[0].message


def test_lzdocs_today_out_of_range_is_refused_like_date(workspace, monkeypatch):
    """--date accepts 2000—(year+5) only, but LZDOCS_TODAY=0001-01-01 issues 内工大纪建〔1〕1号 into outbox/1/ and
    LZDOCS_TODAY=9999-12-31 makes `letter` exit 3 with OverflowError."""
    from lzdocs.clock import Clock
    from lzdocs.errors import ConfigError

    for text in ("0001-01-01", "9999-12-31"):
        monkeypatch.setenv("LZDOCS_TODAY", text)
        with pytest.raises(ConfigError):
            Clock.from_environment()

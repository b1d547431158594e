"""The demo's watch step takes the corrected form on its own and says so."""

import datetime as dt
from contextlib import chdir

from lzdocs import Office
from lzdocs.demo.watch import CORRECTED, demo_watch


def test_the_demo_watch_step_takes_a_form_dropped_into_the_inbox(workspace):
    said, report, years = [], {}, set()
    with Office(workspace, today=dt.date(2026, 11, 28)) as office, chdir(workspace.root.parent):
        demo_watch(office, said.append, report, years)
    text = "\n".join(said)
    assert f"放入 ws/inbox/{CORRECTED}" in text and f"存为 ws/outbox/2026/收文/宣传部/{CORRECTED}" in text
    assert "宣传部，2 个风险点" in text
    assert (workspace.outbox / "2026" / "收文" / "宣传部" / CORRECTED).is_file()
    assert not (workspace.inbox / CORRECTED).exists()
    assert years == {2026} and report["watch"][0]["status"] == "accepted"

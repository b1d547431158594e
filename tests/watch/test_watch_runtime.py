"""One watcher per workspace, its state for ``lzdocs status``, and Chinese log lines in a rotating file."""

import logging
import os

import pytest

from lzdocs.watch.runtime import AlreadyWatching, WatchLock, setup_logging, watcher_state


def test_the_lock_names_the_running_watcher_and_refuses_a_second(workspace):
    assert watcher_state(workspace) is None
    with WatchLock(workspace, mode="polling"):
        state = watcher_state(workspace)
        assert state["pid"] == os.getpid() and state["mode"] == "polling" and state["since"]
        with pytest.raises(AlreadyWatching) as info, WatchLock(workspace, wait=0.1):
            pass
        assert f"进程 {os.getpid()}" in str(info.value) and info.value.exit_code == 2
    assert watcher_state(workspace) is None
    with WatchLock(workspace):  # free again
        pass


def test_log_lines_are_chinese_with_time_and_go_to_the_workspace_log(workspace, capsys):
    remove = setup_logging(workspace)
    try:
        logging.getLogger("lzdocs.watch").warning("退回：inbox/x.docx —— 单位不在名单中")
    finally:
        remove()
    text = (workspace.root / ".lzdocs" / "watch.log").read_text(encoding="utf-8")
    assert " 警告 退回：inbox/x.docx —— 单位不在名单中" in text
    assert text[:4].isdigit() and text[10] == " "  # 2026-11-28 09:15:02 …
    assert "退回：inbox/x.docx" in capsys.readouterr().err
    logging.getLogger("lzdocs.watch").warning("after removal")
    assert "after removal" not in (workspace.root / ".lzdocs" / "watch.log").read_text(encoding="utf-8")

"""[inbox] path that would make ingest take the workspace's own files is refused, with a message."""

from __future__ import annotations

import pytest

from tests.conftest import TODAY, cli_env, run_cli, use_inbox


def _workspace_files(ws) -> set[str]:
    return {p.relative_to(ws.root).as_posix() for p in ws.root.rglob("*") if ".lzdocs" not in p.parts}


@pytest.mark.parametrize(("value", "said"), [
    ("", "就是工作区文件夹"), (".", "就是工作区文件夹"), ("..", "包含了工作区文件夹"),
    ("outbox", "在工作区的发文和归档文件夹 outbox里"), ("outbox/2026", "在工作区的发文和归档文件夹 outbox里"),
    ("templates", "在工作区的模板文件夹 templates里"), (".lzdocs", "在工作区的工作文件夹 .lzdocs里"),
])
def test_an_inbox_holding_the_workspace_or_inside_its_folders_is_refused(workspace, store, value, said):
    use_inbox(workspace.root, value)
    before = _workspace_files(workspace)
    proc = run_cli("-w", workspace.root, "ingest")
    assert proc.returncode == 2
    assert said in proc.stderr and "lzdocs.toml 中 [inbox] path" in proc.stderr
    assert "请在 lzdocs.toml 的 [inbox] 中写一个单独的收件文件夹" in proc.stderr
    assert "lzdocs.db" in before and "lzdocs.toml" in before
    assert _workspace_files(workspace) == before  # the archive, the settings, the templates: all still in place


def test_an_inbox_beside_the_workspace_folders_is_fine(workspace, make_form):
    use_inbox(workspace.root, "收件")
    (workspace.root / "收件").mkdir()
    make_form(workspace.root / "收件" / "计财处.docx")
    proc = run_cli("-w", workspace.root, "ingest")
    assert proc.returncode == 0, proc.stderr
    assert (workspace.outbox / "2026" / "收文" / "计划财务处" / "计财处.docx").is_file()


@pytest.mark.parametrize(("value", "said"), [
    ("/", "包含了工作区文件夹"), ("/etc", "是磁盘根目录、个人主目录或系统文件夹"),
    ("/usr/share", "是磁盘根目录、个人主目录或系统文件夹"), ("~", "是磁盘根目录、个人主目录或系统文件夹"),
])
def test_an_inbox_at_a_root_home_or_system_folder_is_refused(workspace, value, said, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    use_inbox(workspace.root, str(tmp_path / "home") if value == "~" else value)
    proc = run_cli("-w", workspace.root, "ingest", env=cli_env(HOME=str(tmp_path / "home")))
    assert proc.returncode == 2, proc.stderr
    assert said in proc.stderr and "[inbox] path" in proc.stderr


def test_an_inbox_inside_another_workspace_is_refused(workspace, tmp_path, make_form):
    from lzdocs.workspace import SAMPLE, Workspace

    other, _ = Workspace.init(tmp_path / "另一个工作区", SAMPLE)
    make_form(other.outbox / "计财处.docx")
    use_inbox(workspace.root, str(other.outbox))
    proc = run_cli("-w", workspace.root, "ingest")
    assert proc.returncode == 2
    assert f"在另一个工作区（{other.root}）里" in proc.stderr
    assert (other.outbox / "计财处.docx").is_file()  # the other office's archive untouched


def test_an_inbox_that_is_a_returned_folder_or_holds_a_backup_is_refused(workspace, tmp_path, make_form):
    """`--inbox …/退回` would take the returned forms again and again; an inbox holding `lzdocs backup`'s snapshots
    would take the backed-up archive apart as if it were forms. Both are refused, and nothing moves."""
    from lzdocs import Office

    make_form(workspace.inbox / "计财处.docx")
    run_cli("-w", workspace.root, "ingest", check=0)
    returned = tmp_path / "校区" / "退回"
    (tmp_path / "校区" / ".lzdocs").mkdir(parents=True)
    make_form(returned / "基建处.docx", unit="基建处")
    for inbox in (returned, returned / "已处理"):
        inbox.mkdir(exist_ok=True)
        proc = run_cli("-w", workspace.root, "ingest", "--inbox", inbox, check=2)
        assert "的退回文件夹" in proc.stderr and "再收一遍" in proc.stderr
    with Office(workspace.root, today=TODAY) as office:
        office.backup(tmp_path / "备份")
    [snapshot] = [f for f in (tmp_path / "备份").iterdir() if f.is_dir()]
    for inbox in (tmp_path / "备份", snapshot, snapshot / "outbox"):
        proc = run_cli("-w", workspace.root, "watch", "--inbox", inbox, check=2)
        assert "存放着工作区的备份" in proc.stderr
    assert (returned / "基建处.docx").is_file() and (snapshot / "lzdocs.db").is_file()

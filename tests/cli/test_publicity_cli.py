"""``lzdocs publicity``: the 公示表 as posted is kept under its 公示期, never rewritten, and the working one keeps
that 公示期 when a late form rewrites it (docs/product.md §6)."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3

import pytest
from conftest import SAMPLE_ROWS, TODAY, at_commit, cli_env, run_cli, run_json
from docx import Document

from lzdocs import Office
from lzdocs.documents.publicity import publicity_period
from lzdocs.documents.registers import register_paths
from lzdocs.errors import ConfigError
from lzdocs.settings import Settings
from tests.ingest.invariant import assert_each_input_exactly_once

POSTED = "outbox/2026/公示/已发布"
OTHER_ROWS = [{**row, "risk": f"采购{row['risk']}", "post": f"采购{row['post']}"} for row in SAMPLE_ROWS]


def text_of(path) -> str:
    doc = Document(path)
    return "\n".join([*(p.text for p in doc.paragraphs), *(c.text for t in doc.tables for r in t.rows
                                                           for c in r.cells)])


def risk_rows(path) -> list[str]:
    doc = Document(path)
    return [row.cells[2].text for row in doc.tables[0].rows[1:]]


def on(day: dt.date) -> dict:
    return cli_env(LZDOCS_TODAY=day.isoformat())


@pytest.fixture
def taken(workspace, make_form):
    """A workspace with 计划财务处's form of 2026 taken on TODAY; (workspace, the inputs' bytes)."""
    form = make_form(workspace.inbox / "计财处.docx", unit="计划财务处")
    inputs = [form.read_bytes()]
    run_cli("-w", workspace.root, "ingest", check=0)
    assert_each_input_exactly_once(workspace, inputs)
    return workspace, inputs


@pytest.mark.both_backends
def test_a_posting_is_kept_under_its_period_and_a_late_form_rewrites_only_the_working_one(taken, make_form):
    ws, inputs = taken
    posted = run_json("-w", ws.root, "publicity", "--start", "2026-12-01", "--days", "5")
    name = f"{POSTED}/2026年廉政风险点公示表（公示期2026年12月1日至12月5日）.docx"
    working = register_paths(ws, 2026)["publicity"]
    assert posted == {"year": 2026, "file": name, "start": "2026-12-01", "end": "2026-12-05", "units": 1,
                      "points": 3, "registers": [ws.relative(working)], "warnings": []}
    kept = (ws.root / name).read_bytes()
    assert "公示期为2026年12月1日至12月5日。" in text_of(ws.root / name)
    assert risk_rows(ws.root / name) == [r["risk"] for r in SAMPLE_ROWS]
    assert "2026年12月1日至12月5日" in text_of(working)

    # on 3 December a late form comes: the working 公示表 lists it, still under the 公示期 posted
    late = make_form(ws.inbox / "基建处.xlsx", unit="基建处", rows=OTHER_ROWS)
    inputs.append(late.read_bytes())
    run_cli("-w", ws.root, "ingest", env=on(dt.date(2026, 12, 3)), check=0)
    assert "2026年12月1日至12月5日" in text_of(working) and "12月3日至" not in text_of(working)
    assert len(risk_rows(working)) == 6
    assert (ws.root / name).read_bytes() == kept  # the posted one as posted
    assert run_cli("-w", ws.root, "verify", env=on(dt.date(2026, 12, 3))).returncode == 0
    assert_each_input_exactly_once(ws, inputs)


def test_a_second_posting_keeps_the_first_and_the_summary_package_sends_the_last(taken):
    ws, inputs = taken
    first = run_json("-w", ws.root, "publicity")  # 公示期 from today, 7 days ([publicity] days)
    assert first["file"] == f"{POSTED}/2026年廉政风险点公示表（公示期2026年11月28日至12月4日）.docx"
    before = (ws.root / first["file"]).read_bytes()
    second = run_json("-w", ws.root, "publicity")
    assert second["file"] == f"{POSTED}/2026年廉政风险点公示表（公示期2026年11月28日至12月4日）_01.docx"
    assert (ws.root / first["file"]).read_bytes() == before

    status = run_json("-w", ws.root, "status")
    assert [(p["file"], p["start"], p["end"], p["units"], p["points"]) for p in status["publicity"]] == [
        (first["file"], "2026-11-28", "2026-12-04", 1, 3), (second["file"], "2026-11-28", "2026-12-04", 1, 3)]
    shown = run_cli("-w", ws.root, "status", check=0).stdout
    assert ("公示表：2026-11-28 发布（共发布 2 次），公示期 2026-11-28 至 2026-12-04，1 个单位、3 个风险点"
            f"（{second['file']}）") in shown

    summary = run_json("-w", ws.root, "summary", "--package")
    assert summary["contents"][2] == second["file"].rsplit("/", 1)[1]
    assert (ws.root / summary["package"] / summary["contents"][2]).read_bytes() == \
        (ws.root / second["file"]).read_bytes()
    assert not [w for w in summary["warnings"] if "公示期" in w]
    assert_each_input_exactly_once(ws, inputs)


def test_a_posted_publicity_changed_afterwards_is_found_by_verify(taken):
    ws, _ = taken
    posted = ws.root / run_json("-w", ws.root, "publicity")["file"]
    assert run_cli("-w", ws.root, "verify").returncode == 0
    posted.write_bytes(posted.read_bytes() + b"\0")
    found = run_json("-w", ws.root, "verify", check=None)
    assert [f["subject"] for f in found["findings"] if f["kind"] == "changed"] == [ws.relative(posted)]


def test_nothing_to_post_or_a_period_outside_the_year_is_refused_in_chinese_and_leaves_nothing(workspace, make_form):
    proc = run_cli("-w", workspace.root, "publicity", check=2)
    assert "2026 年还没有收取任何单位的表格，没有可以公示的风险点" in proc.stderr
    assert not (workspace.root / POSTED).exists()
    form = make_form(workspace.inbox / "计财处.docx", unit="计划财务处")
    inputs = [form.read_bytes()]
    run_cli("-w", workspace.root, "ingest", check=0)
    assert_each_input_exactly_once(workspace, inputs)
    slip = run_cli("-w", workspace.root, "publicity", "--start", "2020-01-01", check=2)
    assert "公示期 2020年1月1日至1月7日 不在 2026 年度的公示时间内（应在 2026 年或 2027 年）" in slip.stderr
    config = workspace.root / "lzdocs.toml"  # last year's start left in the settings
    config.write_text(config.read_text(encoding="utf-8").replace('start = ""', 'start = "2025-12-01"', 1),
                      encoding="utf-8")
    stale = run_cli("-w", workspace.root, "publicity", check=2)
    assert "改正 lzdocs.toml 中 [publicity] 的 start" in stale.stderr
    assert not (workspace.root / POSTED).exists()
    given = run_json("-w", workspace.root, "publicity", "--start", "2026-12-02", "--days", "3")
    assert given["end"] == "2026-12-04"  # and the working one keeps the settings' 公示期, which the 提醒 says
    assert any(w.startswith("lzdocs.toml 的 [publicity] 写明了公示期（start 或 end），随收表更新的公示表仍按它"
                            "印公示期，不是这次发布的 2026年12月2日至12月4日") for w in given["warnings"])


def test_a_posting_whose_file_was_deleted_stays_missing_and_the_next_takes_another_name(taken):
    ws, _ = taken
    first = run_json("-w", ws.root, "publicity", "--start", "2026-12-02")["file"]
    (ws.root / first).unlink()
    again = run_json("-w", ws.root, "publicity", "--start", "2026-12-02")["file"]
    assert again == first.replace(".docx", "_01.docx")
    found = run_json("-w", ws.root, "verify", check=None)["findings"]
    assert [(f["kind"], f["subject"]) for f in found] == [("missing", first)]
    # the 上报 package sends the one posted last; one changed since is not sent for it, and the 提醒 says so
    (ws.root / again).write_bytes((ws.root / again).read_bytes() + b"x")
    summary = run_json("-w", ws.root, "summary", "--package")
    assert summary["contents"][2] == "2026年廉政风险点公示表.docx"
    assert any(w.startswith(f"已发布的公示表 {again.rsplit('/', 1)[1]} 在发布后被改动过") for w in summary["warnings"])


def test_a_posting_shows_no_file_under_its_name_until_it_is_recorded(taken):
    """While another process holds the archive's write lock (an ingest committing), the posting waits with its
    file hidden: killed then, it leaves no unrecorded file under a posting's name."""
    import threading
    import time

    ws, _ = taken
    holder = sqlite3.connect(ws.root / "lzdocs.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    done: list = []
    with Office(ws, today=TODAY) as office:
        worker = threading.Thread(target=lambda: done.append(office.publicity()))
        worker.start()
        folder = ws.root / POSTED
        deadline = time.monotonic() + 20
        while not (folder.is_dir() and any(p.name.endswith(".part.docx") for p in folder.iterdir())):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(0.3)  # waiting for the lock
        assert [p.name for p in folder.iterdir() if not p.name.startswith(".")] == []
        holder.execute("COMMIT")
        worker.join(30)
    holder.close()
    assert [p.name for p in folder.iterdir()] == [done[0].file.name]


def test_a_posting_that_cannot_be_recorded_leaves_no_file(taken, monkeypatch):
    from lzdocs.store import files

    ws, _ = taken

    def full(*args, **kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "record", full)
    with Office(ws, today=TODAY) as office:
        with pytest.raises(OSError):
            office.publicity()
        assert office.postings() == []
    assert list((ws.root / POSTED).iterdir()) == []


def test_a_posting_whose_commit_failed_is_kept_and_named_by_verify(taken):
    """The COMMIT itself failed: it may have been written all the same (a connection lost after it was sent), so
    the file stays, as a 总结's does; verify names it until it is posted again."""
    ws, _ = taken

    def fail(raw):
        raise sqlite3.OperationalError("disk I/O error")

    with Office(ws, today=TODAY) as office:
        with at_commit(fail, once=True), pytest.raises(Exception, match="disk I/O error|磁盘|数据库"):
            office.publicity()
        assert office.postings() == []
    [left] = (ws.root / POSTED).iterdir()
    found = run_json("-w", ws.root, "verify", check=None)
    assert [f["subject"] for f in found["findings"]] == [ws.relative(left)]


def test_the_period_the_working_one_prints():
    day, posted = dt.date(2026, 12, 3), (dt.date(2026, 12, 1), dt.date(2026, 12, 5))
    unset = Settings({"publicity": {"start": "", "end": "", "days": 7}})
    assert publicity_period(unset, day) == (day, dt.date(2026, 12, 9))  # never posted: from today
    assert publicity_period(unset, day, posted) == posted  # posted: as posted
    written = Settings({"publicity": {"start": "2026-11-30", "end": "", "days": 3}})
    assert publicity_period(written, day, posted) == (dt.date(2026, 11, 30), dt.date(2026, 12, 2))  # the settings win
    ended = Settings({"publicity": {"start": "", "end": "2026-12-10", "days": 7}})
    assert publicity_period(ended, day, posted) == (day, dt.date(2026, 12, 10))
    # a posting's own --start/--days win over everything, the end counted from them
    assert publicity_period(ended, day, posted, start=dt.date(2026, 12, 7), days=2) == (
        dt.date(2026, 12, 7), dt.date(2026, 12, 8))
    assert publicity_period(written, day, days=5) == (dt.date(2026, 11, 30), dt.date(2026, 12, 4))
    with pytest.raises(ConfigError):
        publicity_period(Settings({"publicity": {"start": "2026-12-05", "end": "2026-12-01"}}), day)


def test_the_year_s_archive_package_takes_each_posting_as_an_item(taken):
    from lzdocs.integrity.items import Scheme, plan_items
    from lzdocs.settings import known_settings
    from lzdocs.store import Store
    from lzdocs.workspace import DEFAULT_CONFIG, Workspace

    ws, _ = taken
    posted = run_json("-w", ws.root, "publicity", "--start", "2026-12-01")
    config = ws.root / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('fonds = ""', 'fonds = "Z123"', 1), encoding="utf-8")
    ws = Workspace.open(ws.root)
    scheme = Scheme.from_settings(ws.settings, known_settings(DEFAULT_CONFIG)["archive"])
    with Store.for_workspace(ws) as store, store.read() as conn:
        items, _ = plan_items(conn, ws, 2026, scheme)
    [item] = [i for i in items if i.kind == "publicity"]
    assert (item.source, item.title, item.author, item.date, item.period, item.reference) == (
        ws.root / posted["file"], "内蒙古工业大学2026年廉政风险点公示表（公示期2026年12月1日至12月7日）",
        "内蒙古工业大学纪委办公室", TODAY, "永久", "Z123-2026-Y-JW-0001")
    assert item.sha256 == hashlib.sha256((ws.root / posted["file"]).read_bytes()).hexdigest()


def test_a_posted_folder_linked_out_of_the_workspace_is_refused(taken, tmp_path):
    ws, _ = taken
    elsewhere = tmp_path / "别处"
    elsewhere.mkdir()
    (ws.root / POSTED).parent.mkdir(parents=True, exist_ok=True)
    (ws.root / POSTED).symlink_to(elsewhere, target_is_directory=True)
    proc = run_cli("-w", ws.root, "publicity")
    assert proc.returncode != 0 and "是快捷方式（符号链接），指向工作区以外" in proc.stderr
    assert list(elsewhere.iterdir()) == [] and run_json("-w", ws.root, "status")["publicity"] == []


def test_a_posting_with_its_own_start_is_not_undone_by_an_end_in_the_settings(taken):
    """lzdocs.toml says end = 2026-12-03 (last time's), the clerk posts from the 5th: posted, said, exit 0 — never a
    posting recorded and then called an error (the clerk would post again)."""
    ws, _ = taken
    config = ws.root / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('end = ""', 'end = "2026-12-03"', 1), encoding="utf-8")
    posted = run_json("-w", ws.root, "publicity", "--start", "2026-12-05", env=on(dt.date(2026, 12, 5)))
    assert (posted["start"], posted["end"]) == ("2026-12-05", "2026-12-11")
    assert any("公示表.docx：未能生成" in w and "早于开始日期" in w for w in posted["warnings"])
    assert len(run_json("-w", ws.root, "status", env=on(dt.date(2026, 12, 5)))["publicity"]) == 1


def test_the_status_page_names_a_posting_whose_file_is_gone_without_a_dead_link(taken):
    from lzdocs.web import build
    from tests.web.conftest import client_of

    ws, _ = taken
    posted = run_json("-w", ws.root, "publicity")["file"]
    (ws.root / posted).unlink()
    with Office(ws, today=TODAY) as office:
        page = client_of(build(office, "127.0.0.1")).get("/").text
    import re
    from urllib.parse import unquote

    assert f"{posted.rsplit('/', 1)[1]}（文件不在原处，请运行 lzdocs verify 查看）" in page
    links = [unquote(link) for link in re.findall(r'href="/download\?path=([^"&]+)"', page)]
    assert posted not in links and "outbox/2026/公示/2026年廉政风险点公示表.docx" in links

"""``lzdocs summary --final FILE``: the 总结 as the office finished it, recorded — then verify finds it whole, backup
carries it and archive takes it; what is not a finished 总结 is refused and nothing is left or changed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil

import docx
import pytest

from lzdocs import Office
from lzdocs.errors import ConfigError, YearClosed
from lzdocs.integrity.items import choose_summary
from lzdocs.store import files
from tests.conftest import SAMPLE_ROWS, TODAY, run_cli, run_json

LATER = TODAY + dt.timedelta(days=3)


@pytest.fixture
def year(workspace, make_form):
    """A year with one unit's form and the 总结 lzdocs wrote for it."""
    make_form(workspace.inbox / "计财处.docx", unit="计划财务处", rows=SAMPLE_ROWS)
    with Office(workspace, today=TODAY) as office:
        office.ingest()
        summary = office.summary(2026).file
    return workspace, summary


def edit(path, text="本处补充的一段。", to=None):
    """The clerk's edit in Word: a paragraph added, saved in place or as ``to``."""
    document = docx.Document(str(path))
    document.add_paragraph(text)
    document.save(str(to or path))
    return to or path


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify(root):
    return run_cli("-w", root, "verify")


def recorded(workspace, path):
    with Office(workspace, today=LATER) as office, office.store.read() as conn:
        return files.recorded(conn, workspace.relative(path))


def chosen(workspace):
    with Office(workspace, today=LATER) as office, office.store.read() as conn:
        return choose_summary(conn, workspace, 2026)


def finals(workspace) -> list[dict]:
    with Office(workspace, today=LATER) as office, office.store.read() as conn:
        rows = conn.exec_driver_sql("SELECT subject, before, after FROM events WHERE action = 'summary_final' "
                                    "ORDER BY id").fetchall()
    return [{"subject": s, "before": json.loads(b) if b else None, "after": json.loads(a)} for s, b, a in rows]


def test_a_summary_edited_in_place_is_recorded_and_then_verified_backed_up_and_archived(year, tmp_path):
    workspace, summary = year
    lzdocs_wrote = sha(summary)
    edit(summary)
    before = verify(workspace.root)
    assert before.returncode == 1 and "内容被改动过" in before.stdout
    assert f'lzdocs summary --final "{workspace.relative(summary)}"' in before.stdout

    out = run_cli("-w", workspace.root, "summary", "--final", workspace.relative(summary), check=0)
    assert f"已登记 2026 年度总结定稿（在原处修改的总结）：{workspace.relative(summary)}" in out.stdout
    assert recorded(workspace, summary)["sha256"] == sha(summary) != lzdocs_wrote
    [event] = finals(workspace)
    assert event["before"]["sha256"] == lzdocs_wrote  # the bytes lzdocs wrote stay in the chain
    assert event["after"]["how"] == "edited" and event["after"]["of"] == workspace.relative(summary)
    assert event["after"]["units"] == 1 and event["after"]["points"] == 3  # the numbers it carries

    assert verify(workspace.root).returncode == 0
    run_cli("-w", workspace.root, "backup", tmp_path / "备份", check=0)
    [copy] = (tmp_path / "备份").glob(f"*/{workspace.relative(summary)}")
    assert copy.read_bytes() == summary.read_bytes()
    assert chosen(workspace) == (summary, "")

    again = run_cli("-w", workspace.root, "summary", "--final", workspace.relative(summary), check=0)
    assert "已登记过，内容相同，没有再登记" in again.stdout and len(finals(workspace)) == 1


def test_a_final_saved_beside_is_named_by_verify_and_recorded_by_its_bare_name(year):
    workspace, summary = year
    final = edit(summary, to=summary.with_name("2026年度总结（定稿）.docx"))
    found = verify(workspace.root)
    assert found.returncode == 1 and "不是 lzdocs 写入的" in found.stdout
    assert f'lzdocs summary --final "{workspace.relative(final)}"' in found.stdout
    with pytest.raises(ConfigError) as refused:
        chosen(workspace)
    assert "lzdocs summary --final" in refused.value.hint

    result = run_json("-w", workspace.root, "summary", "--final", final.name)  # the 总结 folder of the year
    assert result["how"] == "beside" and result["file"] == workspace.relative(final)
    assert result["of"] == workspace.relative(summary) and result["warnings"] == []
    assert verify(workspace.root).returncode == 0
    assert chosen(workspace) == (final, "")  # the newest recorded: the 定稿, not the draft


def test_a_final_from_elsewhere_is_copied_in_under_its_own_name_never_over_another(year, tmp_path):
    workspace, summary = year
    desk = tmp_path / "桌面"
    desk.mkdir()
    final = edit(summary, to=desk / "2026年度廉政风险防控工作总结.docx")  # the draft's own name
    kept = summary.read_bytes()

    result = run_json("-w", workspace.root, "summary", "--final", final)
    copied = workspace.root / result["file"]
    assert result["how"] == "copied" and copied.name == "2026年度廉政风险防控工作总结_01.docx"
    assert copied.read_bytes() == final.read_bytes() and final.exists()  # copied, the clerk's file left where it was
    assert summary.read_bytes() == kept  # the draft of that name untouched
    assert recorded(workspace, copied)["sha256"] == sha(final)
    assert verify(workspace.root).returncode == 0 and chosen(workspace) == (copied, "")

    again = run_json("-w", workspace.root, "summary", "--final", final)
    assert again["how"] == "same" and again["file"] == result["file"]
    assert sorted(p.name for p in summary.parent.iterdir()) == sorted([copied.name, summary.name])


def test_a_final_whose_numbers_changed_since_is_recorded_with_a_reminder_and_refused_by_archive(year, make_form):
    workspace, summary = year
    make_form(workspace.inbox / "基建处.docx", unit="基建处", rows=SAMPLE_ROWS)
    with Office(workspace, today=LATER) as office:
        office.ingest()  # a late form after the 总结 was written
        result = office.summary_final(edit(summary, to=summary.with_name("定稿.docx")))
    [note] = result.warnings
    assert "定稿中的数字是按 2026年度廉政风险防控工作总结.docx 生成时统计的" in note
    assert "档案库现在是 2 个单位、6 个风险点" in note and "lzdocs summary --year 2026 重新生成" in note
    with pytest.raises(ConfigError) as refused:
        chosen(workspace)
    assert "总结 定稿.docx 写成以后" in str(refused.value)


def test_with_no_summary_written_a_final_is_recorded_and_said_to_carry_no_numbers(workspace, tmp_path):
    final = tmp_path / "总结.docx"
    document = docx.Document()
    document.add_paragraph("关于2026年度廉政风险防控工作情况的报告")
    document.save(str(final))
    with Office(workspace, today=TODAY) as office:
        result = office.summary_final(final, 2026)
    assert result.how == "copied" and result.of is None
    assert "还没有用 lzdocs summary 生成过总结" in result.warnings[0]
    assert chosen(workspace) == (result.file, "")


def not_a_docx(tmp_path, what):
    path = tmp_path / ("总结.doc" if what == "doc" else "总结.docx")
    if what == "doc":
        path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 600)  # an old Word file
    elif what == "text":
        path.write_text("只是改了扩展名", encoding="utf-8")
    elif what == "zip":
        shutil.make_archive(str(tmp_path / "z"), "zip", tmp_path, ".")
        os.replace(tmp_path / "z.zip", path)
    elif what == "link":
        target = tmp_path / "真的.docx"
        docx.Document().save(str(target))
        path.symlink_to(target)
    elif what == "folder":
        path.mkdir()
    return path


@pytest.mark.parametrize("what, said", [
    ("doc", "不是 .docx 文件"), ("text", "不是完整的 Word 文档"), ("zip", "不是完整的 Word 文档"),
    ("link", "不是普通文件"), ("folder", "不是普通文件"), ("missing", "找不到文件")])
def test_what_is_no_finished_summary_is_refused_and_nothing_is_written(year, tmp_path, what, said):
    workspace, summary = year
    outside = tmp_path / "外面"
    outside.mkdir()
    given = not_a_docx(outside, what)
    listing = sorted(p.name for p in summary.parent.iterdir())
    out = run_cli("-w", workspace.root, "summary", "--final", given, check=2)
    assert said in out.stderr and "Traceback" not in out.stderr
    assert sorted(p.name for p in summary.parent.iterdir()) == listing and finals(workspace) == []


def test_a_final_of_a_closed_year_or_of_another_year_s_folder_is_refused(year):
    workspace, summary = year
    out = run_cli("-w", workspace.root, "summary", "--final", workspace.relative(summary), "--year", "2025", check=2)
    assert "在 2026 年度的总结文件夹里，不是 2025 年度的总结" in out.stderr
    from lzdocs.store.years import close_year

    with Office(workspace, today=LATER) as office, office.store.begin() as conn:
        close_year(conn, 2026, at=dt.datetime(2026, 12, 1, 9), package="D:/归档/2026", items=3, manifest_sha256="0")
    edit(summary)
    with Office(workspace, today=LATER) as office, pytest.raises(YearClosed):
        office.summary_final(summary)
    assert finals(workspace) == []


def test_final_with_pdf_or_package_is_a_usage_error(year):
    workspace, summary = year
    out = run_cli("-w", workspace.root, "summary", "--final", summary, "--package", check=2)
    assert "--final 只登记定稿，不能与 --pdf、--package 同用" in out.stderr


def test_a_copy_that_cannot_be_recorded_is_taken_away_and_the_clerk_s_file_kept(year, tmp_path, monkeypatch):
    workspace, summary = year
    final = edit(summary, to=tmp_path / "定稿.docx")
    listing = sorted(p.name for p in summary.parent.iterdir())

    def fails(*args, **kw):
        raise KeyboardInterrupt  # Ctrl-C before the commit

    monkeypatch.setattr(files, "record", fails)
    with Office(workspace, today=LATER) as office, pytest.raises(KeyboardInterrupt):
        office.summary_final(final)
    assert sorted(p.name for p in summary.parent.iterdir()) == listing and final.is_file()

"""``lzdocs summary --final FILE``: the 总结 as the office finished it, recorded — then verify finds it whole, backup
carries it and archive takes it; what is not a finished 总结 is refused and nothing is left or changed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path

import docx
import pytest

from lzdocs import Office
from lzdocs.errors import ConfigError, YearClosed
from lzdocs.integrity.items import choose_summary
from lzdocs.store import files
from tests.conftest import SAMPLE_ROWS, TODAY, run_cli, run_json

LATER = TODAY + dt.timedelta(days=3)


@pytest.fixture
def year(summarised_year):
    """A year with one unit's form and the 总结 lzdocs wrote for it (tests/conftest.py)."""
    return summarised_year


def others(warnings: list[str]) -> list[str]:
    """The warnings but the one every 上报 package made without ``[publicity] start`` has (its 公示期 from today)."""
    return [w for w in warnings if not w.startswith("上报材料中公示表的公示期按今天")]


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
    assert f"已登记 2026 年度总结定稿：{workspace.relative(summary)}（在原处修改的总结）" in out.stdout
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


@pytest.mark.soffice
def test_a_summary_edited_in_place_and_archived_as_it_is_is_recorded_as_the_final_first(year, tmp_path):
    """The clerk edits the 总结 in Word and archives without ``summary --final``: the package takes the edited bytes
    (as it always did) and the edit is recorded as the 定稿 first, said — before, the closed year's verify named the
    总结 changed for good (``--final`` is refused once closed) and every backup left it out."""
    workspace, summary = year
    edit(summary)
    config = workspace.root / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('fonds = ""', 'fonds = "Z9"'), encoding="utf-8")
    done = run_json("-w", workspace.root, "archive", "--year", "2026", "--unfinished", tmp_path / "归档")
    assert f"总结 {summary.name} 在生成后修改过，已登记为定稿后归档" in done["warnings"]
    [item] = [i for i in done["items"] if i["title"].endswith("廉政风险防控工作情况的报告")]
    assert hashlib.sha256((tmp_path / "归档" / item["files"]["original"]).read_bytes()).hexdigest() == sha(summary)
    assert [e["after"]["how"] for e in finals(workspace)] == ["edited"]
    assert verify(workspace.root).returncode == 0  # the closed year whole
    run_cli("-w", workspace.root, "backup", tmp_path / "备份", check=0)
    assert [p.read_bytes() for p in (tmp_path / "备份").glob(f"*/{workspace.relative(summary)}")] == [
        summary.read_bytes()]


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
    assert result["of"] == workspace.relative(summary) and others(result["warnings"]) == []
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


def test_verify_says_to_reopen_a_closed_year_before_its_final_is_recorded(year):
    """verify told to run ``summary --final`` for an edited 总结 of a year its 归档 package closed, which then refused
    (YearClosed): the hint sent the clerk into a wall."""
    from lzdocs.store.years import close_year

    workspace, summary = year
    with Office(workspace, today=LATER) as office, office.store.begin() as conn:
        close_year(conn, 2026, at=dt.datetime(2026, 12, 1, 9), package="D:/归档/2026", items=3, manifest_sha256="0")
    edit(summary)
    beside = edit(summary, "另存的定稿", to=summary.with_name("总结（定稿）.docx"))
    said = {f["subject"]: f["message"] for f in json.loads(run_cli("-w", workspace.root, "verify", "--json",
                                                                      check=1).stdout)["findings"]}
    for path in (summary, beside):
        message = said[workspace.relative(path)]
        assert "若是本处修改好的总结定稿：2026 年度已归档关闭，要登记它须先 lzdocs archive --reopen 2026" in message
        assert f'再运行 lzdocs summary --final "{workspace.relative(path)}"，然后重新归档' in message
    assert said[workspace.relative(summary)].endswith("；若不是，请从备份核对")
    run_cli("-w", workspace.root, "archive", "--reopen", "2026", "--reason", "登记总结定稿", check=0)
    said = json.loads(run_cli("-w", workspace.root, "verify", "--json", check=1).stdout)["findings"]
    assert all('请运行 lzdocs summary --final "' in f["message"] for f in said) and len(said) == 2
    run_json("-w", workspace.root, "summary", "--final", workspace.relative(summary))
    run_json("-w", workspace.root, "summary", "--final", workspace.relative(beside))
    assert verify(workspace.root).returncode == 0


def test_a_final_s_folder_moved_away_gives_a_folder_and_zip_of_one_name_and_the_older_zip_is_told_of(year):
    """The clerk moved the 上报（定稿） folder away to send it and kept its .zip: the next 定稿's folder took the name
    again and its .zip was 上报（定稿）_01.zip, and nothing said the 上报（定稿）.zip beside was the old one. Now the
    folder and the .zip are numbered alike, and the message names the older .zip."""
    workspace, summary = year
    final = edit(summary)
    first = run_json("-w", workspace.root, "summary", "--final", workspace.relative(final), "--package")
    shutil.rmtree(workspace.root / first["package"])
    edit(final, "再补充一段。")
    result = run_json("-w", workspace.root, "summary", "--final", workspace.relative(final), "--package")
    assert (result["package"], result["archive"]) == ("outbox/2026/上报（定稿）_01", "outbox/2026/上报（定稿）_01.zip")
    assert others(result["warnings"]) == ["同一年度还有此前生成的上报材料 上报（定稿）.zip；"
                                  "报送时请用这次用定稿生成的 上报（定稿）_01（上报（定稿）_01.zip）"]


def test_the_mark_of_a_final_s_pdf_is_kept_whole_at_the_name_s_limit(year, monkeypatch):
    """…（定稿 .pdf: the name cut at 255 bytes cut the mark, not the clerk's words before it."""
    from lzdocs.documents import pdf as P

    workspace, summary = year
    stem = "总结" + "改" * 78 + "x"  # 241 bytes: its .docx fits, with （定稿）.pdf it does not
    final = edit(summary, to=summary.with_name(f"{stem}.docx"))
    monkeypatch.setattr(P, "find_soffice", lambda: "soffice")
    monkeypatch.setattr(P, "to_pdf_many", lambda docs, outdir, timeout, stems: [
        P.place_new(outdir, stems[0], ".pdf", lambda p: p.write_bytes(b"%PDF-1.4\n"))])
    result = run_json("-w", workspace.root, "summary", "--final", workspace.relative(final), "--pdf")
    name = Path(result["pdf"]).name
    assert name.endswith("（定稿）.pdf") and len(name.encode()) <= 255, name
    marked = edit(summary, to=summary.with_name("总结(定稿).docx"))  # the clerk's name says 定稿: no second mark
    result = run_json("-w", workspace.root, "summary", "--final", workspace.relative(marked), "--pdf")
    assert result["pdf"] == "outbox/2026/总结/总结(定稿).pdf"


def test_the_package_made_with_the_final_holds_the_final_not_a_new_draft(year, tmp_path):
    workspace, summary = year
    final = edit(summary, to=tmp_path / "定稿.docx")
    result = run_json("-w", workspace.root, "summary", "--final", final, "--package")
    assert result["package"] == "outbox/2026/上报（定稿）" and result["archive"] == "outbox/2026/上报（定稿）.zip"
    assert result["contents"][0] == "定稿.docx" and result["contents"][-1] == "清单.txt"
    assert others(result["warnings"]) == []  # no other 上报 folder to tell it from
    with zipfile.ZipFile(workspace.root / result["archive"]) as package:
        assert package.read("上报（定稿）/定稿.docx") == final.read_bytes()
        listing = package.read("上报（定稿）/清单.txt").decode("utf-8-sig")
    assert "1. 定稿.docx（廉政风险防控工作总结（定稿））" in listing
    assert sorted(p.name for p in summary.parent.iterdir()) == sorted([summary.name, "定稿.docx"])  # no new draft
    assert verify(workspace.root).returncode == 0 and chosen(workspace) == (workspace.root / result["file"], "")
    with Office(workspace, today=LATER) as office, office.store.read() as conn:  # the chain moves on with them
        last = conn.exec_driver_sql("SELECT action, after FROM events ORDER BY id DESC LIMIT 1").fetchone()
    assert last[0] == "summary_final_files" and "outbox/2026/上报（定稿）.zip" in json.loads(last[1])["files"]


def test_a_final_s_package_beside_a_draft_s_is_named_apart_and_said_to_be_the_one_to_send(year):
    """The draft's 上报/ (made with the summary) and the 定稿's stood side by side as 上报 and 上报_01, and nothing
    said which one to send."""
    workspace, summary = year
    draft = run_json("-w", workspace.root, "summary", "--year", "2026", "--package")
    assert draft["package"] == "outbox/2026/上报"
    final = edit(workspace.root / draft["file"])
    result = run_json("-w", workspace.root, "summary", "--final", workspace.relative(final), "--package")
    assert result["package"] == "outbox/2026/上报（定稿）"
    assert others(result["warnings"]) == ["同一年度还有此前生成的上报材料 上报、上报.zip；"
                                  "报送时请用这次用定稿生成的 上报（定稿）（上报（定稿）.zip）"]
    assert (workspace.root / result["package"] / final.name).read_bytes() == final.read_bytes()
    assert (workspace.root / "outbox/2026/上报" / final.name).read_bytes() != final.read_bytes()  # the draft's, kept
    again = run_json("-w", workspace.root, "summary", "--final", workspace.relative(final), "--package")
    assert again["package"] == "outbox/2026/上报（定稿）_01"
    assert "上报材料 上报、上报.zip、上报（定稿）、上报（定稿）.zip；" in others(again["warnings"])[-1]
    assert verify(workspace.root).returncode == 0


def test_a_draft_s_package_made_after_a_final_says_it_holds_the_draft(year):
    """A new 上报 package from ``summary --package`` after the 定稿 was recorded holds a fresh draft, without the
    office's edits: it said nothing, and looked like the one to send."""
    workspace, summary = year
    final = edit(summary)
    run_json("-w", workspace.root, "summary", "--final", workspace.relative(final))
    draft = run_json("-w", workspace.root, "summary", "--year", "2026", "--package")
    assert others(draft["warnings"]) == [f"本年度已登记总结定稿 {workspace.relative(final)}，这次的上报材料用的是"
                                         "刚生成的新稿（没有本处的修改）；要报送定稿，请运行 lzdocs summary --final "
                                         f'"{workspace.relative(final)}" --package']
    plain = run_json("-w", workspace.root, "summary", "--year", "2026")  # no package: nothing to mistake
    assert others(plain["warnings"]) == []


@pytest.mark.soffice
def test_the_pdf_of_a_final_edited_in_place_is_named_as_the_final_beside_the_draft_s(year):
    """It was written as …总结_01.pdf beside the draft's …总结.pdf: two PDFs of one name, the newer one not the
    more final-looking."""
    workspace, summary = year
    draft = run_json("-w", workspace.root, "summary", "--year", "2026", "--pdf")
    draft_pdf = workspace.root / draft["pdf"]
    assert draft_pdf.name == f"{Path(draft['file']).stem}.pdf"
    before = draft_pdf.read_bytes()
    final = edit(workspace.root / draft["file"])
    result = run_json("-w", workspace.root, "summary", "--final", workspace.relative(final), "--pdf")
    assert result["pdf"] == f"outbox/2026/总结/{final.stem}（定稿）.pdf"
    assert draft_pdf.read_bytes() == before
    assert verify(workspace.root).returncode == 0


def test_no_package_is_made_from_a_final_whose_numbers_no_longer_hold(year, make_form):
    workspace, summary = year
    make_form(workspace.inbox / "基建处.docx", unit="基建处", rows=SAMPLE_ROWS)
    with Office(workspace, today=LATER) as office:
        office.ingest()  # a late form after the 总结 was written
    edit(summary)
    out = run_cli("-w", workspace.root, "summary", "--final", workspace.relative(summary), "--package", check=2)
    assert "已登记，但其中的数字已经过时（总结写的是 1 个单位报送" in out.stderr
    assert "没有用它生成上报材料" in out.stderr
    assert not (workspace.year_dir(2026) / "上报").exists() and len(finals(workspace)) == 1
    again = run_json("-w", workspace.root, "summary", "--final", workspace.relative(summary))
    assert again["how"] == "same" and "档案库现在是 2 个单位" in again["warnings"][0]  # said each time


def test_a_package_cut_off_before_it_is_recorded_leaves_the_final_recorded_and_no_package(year, tmp_path,
                                                                                            monkeypatch):
    from lzdocs.documents import summary_report

    workspace, summary = year
    final = edit(summary, to=tmp_path / "定稿.docx")

    def ctrl_c(*args, **kw):  # the package's files copied, its .zip not made
        raise KeyboardInterrupt

    monkeypatch.setattr(summary_report, "_zip", ctrl_c)
    with Office(workspace, today=LATER) as office, pytest.raises(KeyboardInterrupt):
        office.summary_final(final, package=True)
    monkeypatch.undo()
    assert not (workspace.year_dir(2026) / "上报").exists() and not (workspace.year_dir(2026) / "上报.zip").exists()
    [event] = finals(workspace)
    assert (workspace.root / event["subject"]).read_bytes() == final.read_bytes()
    assert verify(workspace.root).returncode == 0


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


# --- what an adversarial pass found --------------------------------------------------------------------------

def test_a_summary_written_after_the_final_makes_archive_ask_which(year):
    workspace, summary = year
    final = edit(summary, to=summary.with_name("定稿.docx"))
    run_json("-w", workspace.root, "summary", "--final", final.name)
    with Office(workspace, today=LATER) as office:
        draft = office.summary(2026).file  # e.g. run for the 上报 package: a new, unedited draft
    with pytest.raises(ConfigError) as refused:
        chosen(workspace)
    assert f"登记了总结定稿 定稿.docx，之后又生成了总结 {draft.name}" in str(refused.value)
    assert '--summary "定稿.docx"' in refused.value.hint and "lzdocs summary --final" in refused.value.hint
    again = run_json("-w", workspace.root, "summary", "--final", final.name)  # the 定稿 it was: said again
    assert again["how"] == "again" and chosen(workspace) == (final, "")
    run_json("-w", workspace.root, "summary", "--final", workspace.relative(draft))  # the new one, as it is
    assert chosen(workspace) == (draft, "")


def test_naming_an_earlier_final_again_makes_it_the_final_once_more(year, tmp_path):
    workspace, summary = year
    v1 = edit(summary, "第一稿", to=tmp_path / "v1.docx")
    v2 = edit(summary, "第二稿", to=tmp_path / "v2.docx")
    first = run_json("-w", workspace.root, "summary", "--final", v1)
    run_json("-w", workspace.root, "summary", "--final", v2)
    again = run_json("-w", workspace.root, "summary", "--final", v1)
    assert again["how"] == "again" and again["file"] == first["file"]
    assert chosen(workspace) == (workspace.root / first["file"], "")
    assert run_json("-w", workspace.root, "summary", "--final", v1)["how"] == "same"


def test_a_final_whose_copy_was_deleted_is_copied_in_again(year, tmp_path):
    workspace, summary = year
    v1 = edit(summary, to=tmp_path / "v1.docx")
    first = workspace.root / run_json("-w", workspace.root, "summary", "--final", v1)["file"]
    first.unlink()
    again = run_json("-w", workspace.root, "summary", "--final", v1)
    assert again["how"] == "copied" and (workspace.root / again["file"]).read_bytes() == v1.read_bytes()
    assert chosen(workspace) == (workspace.root / again["file"], "")


def test_a_relative_path_found_both_here_and_in_the_workspace_is_asked_about(year, tmp_path):
    workspace, summary = year
    here = tmp_path / "别处"
    (here / summary.parent.relative_to(workspace.root)).mkdir(parents=True)
    shutil.copy(summary, here / workspace.relative(summary))  # another workspace's, unedited
    edit(summary)
    out = run_cli("-w", workspace.root, "summary", "--final", workspace.relative(summary), cwd=here, check=2)
    assert "在当前文件夹和工作区里各有一个" in out.stderr and str(summary) in out.stderr
    assert finals(workspace) == []


def test_a_file_the_archive_keeps_as_something_else_or_one_in_the_inbox_is_no_summary(year, make_form):
    workspace, summary = year
    with Office(workspace, today=LATER) as office, office.store.read() as conn:
        [kept] = [r["path"] for r in files.all_files(conn) if r["role"] == "original"]
    copy = workspace.root / kept
    copy_docx = copy.with_name("收到的表.docx") if copy.suffix != ".docx" else copy
    out = run_cli("-w", workspace.root, "summary", "--final", copy_docx, check=2)
    assert "在档案中记为其他文件（收到的表格），不是总结" in out.stderr
    waiting = make_form(workspace.inbox / "基建处.docx", unit="基建处")
    out = run_cli("-w", workspace.root, "summary", "--final", waiting, check=2)
    assert "在收件文件夹里，是报送的表格" in out.stderr and waiting.is_file()
    assert finals(workspace) == []


def test_names_archive_would_pass_over_are_refused_or_made_plain(year, tmp_path):
    workspace, summary = year
    upper = edit(summary, to=summary.with_name("定稿.DOCX"))
    assert run_json("-w", workspace.root, "summary", "--final", upper)["how"] == "beside"
    assert chosen(workspace) == (upper, "")  # a .DOCX is a 总结 to archive too
    hidden = edit(summary, to=summary.with_name(".定稿.docx"))
    assert "是隐藏文件" in run_cli("-w", workspace.root, "summary", "--final", hidden, check=2).stderr
    lock = shutil.copy(summary, tmp_path / "~$定稿.docx")
    assert "临时文件" in run_cli("-w", workspace.root, "summary", "--final", lock, check=2).stderr
    outside = edit(summary, "外来", to=tmp_path / ".藏起来的.docx")
    assert run_json("-w", workspace.root, "summary", "--final", outside)["file"].endswith("/藏起来的.docx")


def test_a_docx_damaged_inside_is_refused(year, tmp_path):
    workspace, summary = year
    data = bytearray(edit(summary, to=tmp_path / "好的.docx").read_bytes())
    with zipfile.ZipFile(tmp_path / "好的.docx") as package:
        info = package.getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 50, start + 350):
        data[i] ^= 0x5A  # its compressed bytes scrambled, its name and checksum as before
    damaged = tmp_path / "坏的.docx"
    damaged.write_bytes(bytes(data))
    out = run_cli("-w", workspace.root, "summary", "--final", damaged, check=2)
    assert "不是完整的 Word 文档" in out.stderr and finals(workspace) == []


@pytest.mark.skipif(os.name != "posix", reason="只有 Linux/macOS 的文件名可以不是 UTF-8")
def test_archive_passes_over_a_summary_whose_name_is_not_utf8_and_says_so_when_it_is_named(year):
    workspace, summary = year
    name = os.fsdecode("定稿".encode("gbk") + b".docx")
    shutil.copy(summary, summary.parent / name)
    assert chosen(workspace) == (summary, "")  # no manifest can name it: verify reports it, archive passes it over
    with Office(workspace, today=LATER) as office, office.store.read() as conn, pytest.raises(ConfigError) as said:
        choose_summary(conn, workspace, 2026, summary.parent / name)
    assert "“定稿.docx”文件名不是 UTF-8 编码，不能归档" in str(said.value)


@pytest.mark.skipif(os.name != "posix", reason="只有 Linux/macOS 的文件名可以不是 UTF-8")
def test_a_name_that_is_not_utf8_is_refused_in_chinese(year, tmp_path):
    workspace, summary = year
    for folder in (tmp_path, summary.parent):
        name = os.fsdecode("定稿".encode("gbk") + b".docx")
        path = Path(os.fsdecode(folder)) / name
        shutil.copy(summary, path)
        out = run_cli("-w", workspace.root, "summary", "--final", path, check=2)
        assert "不是 UTF-8 编码" in out.stderr and "定稿" in out.stderr and "Traceback" not in out.stderr
        path.unlink()
    assert finals(workspace) == []


def test_a_ctrl_c_as_the_commit_ends_keeps_the_copy_it_recorded(year, tmp_path, monkeypatch):
    from lzdocs.store.db import Store

    workspace, summary = year
    final = edit(summary, to=tmp_path / "定稿.docx")
    commit = Store._commit

    def committed_then_ctrl_c(raw):
        commit(raw)
        raise KeyboardInterrupt

    with Office(workspace, today=LATER) as office:
        monkeypatch.setattr(Store, "_commit", staticmethod(committed_then_ctrl_c))
        with pytest.raises(KeyboardInterrupt):
            office.summary_final(final)
        monkeypatch.undo()
    [event] = finals(workspace)
    copy = workspace.root / event["subject"]
    assert copy.read_bytes() == final.read_bytes()  # recorded, and there
    assert verify(workspace.root).returncode == 0


def test_two_finals_of_one_file_at_once_leave_one_copy(year, tmp_path, monkeypatch):
    from lzdocs.documents import summary_final

    workspace, summary = year
    final = edit(summary, to=tmp_path / "定稿.docx")
    copy_in = summary_final._copy_in
    other: list = []

    def and_meanwhile(*args):
        made = copy_in(*args)
        if not other:  # another clerk's run records the same file between this copy and its transaction
            other.append(None)
            monkeypatch.setattr(summary_final, "_copy_in", copy_in)
            with Office(workspace, today=LATER) as office:
                other[0] = office.summary_final(final)
        return made

    monkeypatch.setattr(summary_final, "_copy_in", and_meanwhile)
    with Office(workspace, today=LATER) as office:
        result = office.summary_final(final)
    assert result.how == "same" and result.file == other[0].file
    assert [p.name for p in summary.parent.iterdir() if p.read_bytes() == final.read_bytes()] == [other[0].file.name]
    assert len(finals(workspace)) == 1


def test_a_summary_folder_that_leads_out_of_the_workspace_is_refused(year, tmp_path):
    workspace, summary = year
    away = tmp_path / "别处的总结"
    shutil.move(summary.parent, away)
    summary.parent.symlink_to(away, target_is_directory=True)
    out = run_cli("-w", workspace.root, "summary", "--final", away / summary.name, check=2)
    assert "指向工作区以外的文件夹" in out.stderr and finals(workspace) == []

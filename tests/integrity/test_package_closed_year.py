"""A year handed over in its 归档 package is closed: its forms are returned, its documents refused, until reopened."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3

import pytest

from lzdocs.errors import ConfigError
from tests.conftest import SAMPLE_SCHOOL, cli_env, copy_of, make_form_file, run_cli, run_json

SUGGESTION = ["--set", "事由=在检查中", "--set", "问题=采购程序不规范", "--set", "建议=完善采购制度"]
CLOSED_AT = dt.datetime(2026, 11, 28, 9, 30)


def close(root, year=2026, package="D:/归档/2026"):
    """The year closed as ``lzdocs archive`` closes it once its package is written (here without LibreOffice)."""
    from lzdocs.store import Store
    from lzdocs.store.years import close_year

    with Store(f"sqlite:///{(root / 'lzdocs.db').as_posix()}") as store, store.begin() as conn:
        close_year(conn, year, at=CLOSED_AT, package=package, items=3, manifest_sha256="0" * 64)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A workspace with a form and a letter of 2026, then 2026 closed; a corrected form waits in the inbox."""
    base = tmp_path_factory.mktemp("closed")
    root = base / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    make_form_file(root / "inbox" / "计财处.docx", date=dt.date(2026, 11, 10))
    run_cli("-w", root, "ingest", check=0)
    number = run_json("-w", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION)["number"]
    close(root)
    make_form_file(root / "inbox" / "计财处（更正）.docx", date=dt.date(2026, 11, 20))
    return base, number


@pytest.fixture
def office_year(built, tmp_path):
    """That workspace, a copy of its own for each test, and its letter's number."""
    base, number = built
    return copy_of(base, tmp_path) / "工作区", number


def test_a_form_for_a_closed_year_goes_back_to_the_sender_saying_the_year_is_archived(office_year):
    """The unit is told the year is archived and that there is nothing to correct; the clerk, what to run."""
    root, _ = office_year
    proc = run_cli("-w", root, "ingest", "--json", check=1)
    [outcome] = json.loads(proc.stdout)
    assert (outcome["status"], outcome["unit"], outcome["year"]) == ("rejected", "计划财务处", 2026)
    assert outcome["problems"][0]["message"] == (
        "2026 年度的材料已于 2026-11-28 归档移交，本表没有收取；本表无需修改，如确需补报，请与纪委办公室联系")
    assert "确需补收时，先运行 lzdocs archive --reopen 2026，再把它从退回文件夹放回收件文件夹" in proc.stderr
    returned = root / "inbox" / "退回" / "计财处（更正）.docx"
    note = (root / "inbox" / "退回" / "计财处（更正）.docx.错误说明.txt").read_text(encoding="utf-8-sig")
    assert returned.is_file() and "2026 年度的材料已于 2026-11-28 归档移交" in note
    assert "该年度材料已归档，本表没有收取：" in note
    assert "请修改后重新报送" not in note and "lzdocs" not in note  # nothing to correct; no clerk's commands
    assert not (root / "outbox" / "2026" / "收文" / "计划财务处" / "计财处（更正）.docx").exists()
    assert [r["source_file"] for r in run_json("-w", root, "risks")] == ["outbox/2026/收文/计划财务处/计财处.docx"] * 3


def test_a_copy_of_a_closed_years_form_is_returned_not_kept_in_that_year(office_year):
    """The same bytes sent again after the year was handed over: a copy under 2026's 重复报送/ would change the
    closed year, so it goes back to the sender as the corrected form does, saying the year is archived."""
    from lzdocs.workspace import Workspace
    from tests.ingest.invariant import assert_each_input_exactly_once

    root, _ = office_year
    original = (root / "outbox" / "2026" / "收文" / "计划财务处" / "计财处.docx").read_bytes()
    waiting = (root / "inbox" / "计财处（更正）.docx").read_bytes()
    (root / "inbox" / "计财处（更正）.docx").rename(root.parent / "更正.docx")  # this test is about the copy alone
    (root / "inbox" / "计财处-再次.docx").write_bytes(original)
    [outcome] = run_json("-w", root, "ingest", check=1)
    assert (outcome["status"], outcome["year"]) == ("rejected", 2026)
    assert outcome["problems"][0]["message"].startswith("2026 年度的材料已于 2026-11-28 归档移交，本表没有收取")
    assert not [p for p in (root / "outbox" / "2026").rglob("*") if p.is_file() and "重复报送" in p.parts]
    assert (root / "inbox" / "退回" / "计财处-再次.docx").read_bytes() == original
    assert_each_input_exactly_once(Workspace.open(root), [original, original])
    assert waiting == (root.parent / "更正.docx").read_bytes()


def test_no_letter_void_reply_or_follow_up_for_a_closed_year(office_year):
    root, number = office_year
    refused = "错误：2026 年度已于 2026-11-28 09:30 归档（归档文件在 D:/归档/2026），该年度的收文和文书不能再增加或改动"
    hint = "确需补充或更正时，先运行 lzdocs archive --reopen 2026 重新打开该年度"
    for args in (["letter", "suggestion", "--unit", "计财处", *SUGGESTION], ["void", number, "--reason", "误发"],
                 ["reply", number, "--date", "2026-11-28"], ["warn", "批评教育", "--unit", "计财处", "--set", "事由=x"],
                 ["urge"]):
        proc = run_cli("-w", root, *args, check=2)
        assert proc.stderr.startswith(refused) and hint in proc.stderr, args
    with sqlite3.connect(root / "lzdocs.db") as db:
        assert db.execute("SELECT number, status FROM documents").fetchall() == [(number, "issued")]
        assert db.execute("SELECT replied FROM warnings").fetchall() == [(None,)]
    assert not list((root / "outbox" / "2026" / "纪检监察建议书").glob("*2号*"))


def test_no_urge_in_the_new_year_for_the_forms_of_a_closed_one(office_year):
    """In January the programme year is still the one just ended; once it is archived, its forms are returned as
    已归档, so a 催报 for them (numbered in the new, open year) is refused rather than sent."""
    root, _ = office_year
    for dry_run in (["--dry-run"], []):  # the dry run says what the run would: refused
        proc = run_cli("-w", root, "urge", "--year", "2026", "--date", "2027-01-05", *dry_run, check=2,
                       env=cli_env(LZDOCS_TODAY="2027-01-05"))
        assert proc.stderr.startswith("错误：2026 年度已于 2026-11-28 09:30 归档")
    assert not (root / "outbox" / "2027").exists()
    with sqlite3.connect(root / "lzdocs.db") as db:
        assert db.execute("SELECT count(*) FROM documents WHERE kind = 'urge'").fetchone() == (0,)


def test_a_draft_and_the_registers_of_a_closed_year_are_not_refused(office_year):
    root, _ = office_year
    draft = run_json("-w", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION, "--draft")
    assert "草稿" in draft["number"] and draft["files"][0].startswith("outbox/2026/草稿/")
    assert run_cli("-w", root, "register", "--year", "2026", check=0).returncode == 0


def test_reopening_lets_them_through_and_is_recorded(office_year):
    root, number = office_year
    proc = run_cli("-w", root, "archive", "--reopen", "2026", "--reason", "补收计财处更正后的表", check=0)
    assert proc.stdout.startswith("已重新打开 2026 年度（原于 2026-11-28 09:30:00 归档到 D:/归档/2026），"
                                  "已记入操作记录")
    letter = run_json("-w", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION)
    assert letter["number"] == "内工大纪建〔2026〕2号"
    [outcome] = run_json("-w", root, "ingest")
    assert (outcome["status"], outcome["stored_as"]) == ("accepted", "outbox/2026/收文/计划财务处/计财处（更正）.docx")
    with sqlite3.connect(root / "lzdocs.db") as db:
        [(subject, after)] = db.execute("SELECT subject, after FROM events WHERE action = 'reopen'").fetchall()
        assert db.execute("SELECT reopen_reason FROM year_closures").fetchall() == [("补收计财处更正后的表",)]
    assert subject == "2026" and json.loads(after)["reason"] == "补收计财处更正后的表"
    again = run_cli("-w", root, "archive", "--reopen", "2026", check=2)
    assert "错误：2026 年度没有归档，不需要重新打开" in again.stderr


def test_archive_asks_for_the_fonds_and_a_new_or_empty_folder(tmp_path):
    root = tmp_path / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    taken = tmp_path / "归档"
    taken.mkdir()
    (taken / "旧文件.txt").write_text("x", encoding="utf-8")
    proc = run_cli("-w", root, "archive", "--year", "2026", taken, check=2)
    assert f"错误：归档文件夹“{taken}”里已经有文件" in proc.stderr
    proc = run_cli("-w", root, "archive", "--year", "2026", tmp_path / "新", check=2)
    assert "错误：还没有设置全宗号（lzdocs.toml 的 [archive] fonds），不能归档" in proc.stderr
    assert run_cli("-w", root, "archive", tmp_path / "新", check=2).stderr.count("请写明年度和归档文件夹") == 1
    gbk = os.fsdecode(os.fsencode(tmp_path) + "/归档".encode("gbk"))  # a name every system must read: refused
    assert "的路径不是 UTF-8 编码" in run_cli("-w", root, "archive", "--year", "2026", gbk, check=2).stderr
    assert not (tmp_path / "新").exists() and (taken / "旧文件.txt").is_file()


@pytest.mark.parametrize(("line", "value", "message"), [
    ('urge = "定期10年"', 'urge = "5年"', "lzdocs.toml 中 [archive] urge 的值“5年”不是保管期限"),
    ('fonds = ""', 'fonds = "Z 123"', "lzdocs.toml 中 [archive] fonds 的值“Z 123”不对：应是 1—16 个英文字母或数字"),
    ('organ = "JW"', 'organ = ""', "lzdocs.toml 中 [archive] organ 的值“”不对：应是 1—16 个英文字母或数字"),
])
def test_archive_settings_are_checked_with_the_key_named(workspace, line, value, message):
    from lzdocs.workspace import Workspace

    config = workspace.root / "lzdocs.toml"
    text = config.read_text(encoding="utf-8")
    assert text.count(line) == 1
    config.write_text(text.replace(line, value), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        Workspace.open(workspace.root)
    assert caught.value.message == message


def test_retention_codes_and_spellings_become_the_period_names(workspace):
    from lzdocs.workspace import Workspace

    config = workspace.root / "lzdocs.toml"
    text = config.read_text(encoding="utf-8").replace('notice = "永久"', 'notice = "y"')
    config.write_text(text.replace('urge = "定期10年"', 'urge = "D10"'), encoding="utf-8")
    archive = Workspace.open(workspace.root).settings.section("archive")
    assert (archive["notice"], archive["urge"], archive["forms"]) == ("永久", "定期10年", "定期30年")


def test_no_new_summary_for_a_closed_year(office_year):
    """The year's summary is an item of its package: a new one after the handover would not be the one archived."""
    root, _ = office_year
    proc = run_cli("-w", root, "summary", "--year", "2026", check=2)
    assert proc.stderr.startswith("错误：2026 年度已于 2026-11-28 09:30 归档（归档文件在 D:/归档/2026）")
    assert not (root / "outbox" / "2026" / "总结").exists()


def test_a_year_archived_twice_is_open_again_after_one_reopen(office_year):
    """A second package of a closed year (a copy for the office) is a second closure; one --reopen opens the year."""
    root, _ = office_year
    close(root, package="E:/归档副本/2026")
    proc = run_cli("-w", root, "archive", "--reopen", "2026", "--reason", "补收", check=0)
    assert "归档到 E:/归档副本/2026" in proc.stdout
    letter = run_json("-w", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION)
    assert letter["number"] == "内工大纪建〔2026〕2号"
    with sqlite3.connect(root / "lzdocs.db") as db:
        assert db.execute("SELECT package, reopen_reason FROM year_closures ORDER BY id").fetchall() == [
            ("D:/归档/2026", "补收"), ("E:/归档副本/2026", "补收")]


def test_a_year_whose_warnings_are_not_finished_is_not_archived_unless_asked(tmp_path):
    """Archiving closes the year, and with it the 回复, 整改核查 and 办结 of its warnings: a year with a warning
    still waiting for one of them is refused, naming it, before anything is written; once it is closed, it goes."""
    from lzdocs.dynamics.warnings import unfinished
    from lzdocs.store import Store

    root = tmp_path / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    make_form_file(root / "inbox" / "计财处.docx", date=dt.date(2026, 11, 10))
    run_cli("-w", root, "ingest", check=0)
    number = run_json("-w", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION)["number"]
    dest = tmp_path / "归档"
    states = []
    for step in ([], ["reply", number], ["follow-up", number, "--result", "已整改", "--by", "张某"]):
        if step:
            run_cli("-w", root, *step)
        refused = run_cli("-w", root, "archive", "--year", "2026", dest, check=2).stderr
        assert f"2026 年度还有 1 件预警没有办结：{number}（计划财务处，" in refused
        assert "它们的回复、整改核查和办结都不能再登记" in refused and "确要现在归档，加 --unfinished" in refused
        assert not dest.exists()
        states.append(refused.split(f"{number}（计划财务处，", 1)[1].split("）", 1)[0])
    assert states[0].startswith("已发出，回复期限 2026-") and states[1:] == ["已回复", "整改已核查（已整改"]
    with sqlite3.connect(root / "lzdocs.db") as db:
        assert db.execute("SELECT count(*) FROM year_closures").fetchone() == (0,)
    run_cli("-w", root, "follow-up", number, "--close")
    with Store(f"sqlite:///{(root / 'lzdocs.db').as_posix()}") as store:
        assert unfinished(store, 2026) == []


@pytest.mark.parametrize("deadline", ['"11-16"', '""'], ids=["deadline", "none-set"])
def test_a_year_still_being_reported_is_not_archived_unless_asked(tmp_path, deadline):
    """In January a clerk types 2027 for 2026: archiving would close the new year, its forms all returned from then
    on. A year up to its 报送截止日期 (or, with none set, not over) is refused, naming the year more likely meant —
    one with records — and its warnings not finished, all --unfinished would pass over."""
    root = tmp_path / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    config = root / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('deadline = "11-16"', f"deadline = {deadline}"),
                      encoding="utf-8")
    january = cli_env(LZDOCS_TODAY="2027-01-20")
    make_form_file(root / "inbox" / "计财处.docx", date=dt.date(2027, 1, 10))
    assert run_json("-w", root, "ingest", env=january)[0]["year"] == 2027
    dest = tmp_path / "归档"
    refused = run_cli("-w", root, "archive", "--year", "2027", dest, env=january, check=2).stderr
    when = "报送截止日期（2027-11-16）还没过" if deadline != '""' else "还没有结束"
    assert f"2027 年度{when}，归档后该年度关闭，之后报送的 2027 年度表格一律退回" in refused
    assert "要归档的若是" not in refused and "加 --unfinished" in refused  # no earlier year has records
    number = run_json("-w", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION, "--date", "2026-12-20",
                      env=january)["number"]
    refused = run_cli("-w", root, "archive", "--year", "2027", dest, env=january, check=2).stderr
    assert "要归档的若是 2026 年度，请写 --year 2026" in refused
    assert not dest.exists()
    with sqlite3.connect(root / "lzdocs.db") as db:
        assert db.execute("SELECT count(*) FROM year_closures").fetchone() == (0,)
    run_json("-w", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION, env=january)  # a 2027 warning
    both = run_cli("-w", root, "archive", "--year", "2027", dest, env=cli_env(LZDOCS_TODAY="2027-11-16"),
                   check=2).stderr  # the deadline day itself: forms may still come
    assert "2027 年度报送截止日期（2027-11-16）还没过" in both or deadline == '""'
    assert "2027 年度还有 1 件预警没有办结" in both and number not in both
    after = run_cli("-w", root, "archive", "--year", "2027", dest, env=cli_env(LZDOCS_TODAY="2027-11-17"))
    assert ("截止日期" not in after.stderr) and ("还没有结束" in after.stderr) == (deadline == '""'), after.stderr


def test_a_closed_years_registers_rewritten_later_are_as_of_its_closing_day(office_year):
    """``register --year 2026`` in March 2027, 2026 closed on 2026-11-28: its books are dated that day, as the
    package and a restore have them — not the day of the rewrite, with 逾期 days counted on; a case of later, matched
    to a 2026 point, marks nothing in 2026's 汇总; the form returned since because the year was closed is no 退回
    of 2026's 报送情况."""
    from openpyxl import load_workbook

    root, number = office_year
    later = cli_env(LZDOCS_TODAY="2027-03-01")
    # the corrected form, come by mail before the closing day, entered in March: returned, 2026 is closed
    run_cli("-w", root, "ingest", "--received", "2026-11-25", env=later, check=1)
    [point, *_] = run_json("-w", root, "risks", "--year", "2026", env=later)
    case = run_json("-w", root, "case", "add", "--unit", "计财处", "--post", point["post"], "--risk-text",
                    point["risk"], "--type", "违规", "--handling", "诫勉谈话", "--analysis", "制度执行不严",
                    "--measures", "完善制度", "--date", "2027-02-20", env=later)
    assert case["risk_point"]["year"] == 2026 and "outbox/2026" not in str(case["registers"])
    proc = run_cli("-w", root, "register", "--year", "2026", env=later)
    assert "2026 年度已于 2026-11-28 归档：登记簿按归档当日重建" in proc.stderr + proc.stdout
    books = root / "outbox" / "2026" / "登记簿"
    cells = [str(v) for row in load_workbook(books / "2026年廉政风险点汇总表.xlsx").worksheets[0].iter_rows(
        values_only=True) for v in row if v is not None]
    assert any("统计日期：2026年11月28日" in c for c in cells) and not any("已发生" in c for c in cells)
    status = load_workbook(books / "报送情况登记表.xlsx").worksheets[0]
    rows = list(status.iter_rows(min_row=3, values_only=True))
    header = rows[0]
    [unit] = [dict(zip(header, r)) for r in rows[1:] if r[header.index("单位")] == "计划财务处"]
    assert unit["退回次数"] in (0, None)


def test_a_check_form_of_a_closed_year_is_returned_without_saying_its_findings_were_recorded(office_year):
    """A 落实情况 form of 2026 after 2026 was handed over: returned, saying the year is archived — and not, beside
    it, that its 未落实 row “已记录，将列入复核清单” (nothing of it was recorded)."""
    from lzdocs.documents.blankform import write_xlsx
    from lzdocs.forms.schema import find_kind, load_kinds

    root, _ = office_year
    (root / "inbox" / "计财处（更正）.docx").rename(root.parent / "更正.docx")  # this test is about the check form
    write_xlsx(find_kind(load_kinds(), "落实情况"), root / "inbox" / "落实.xlsx", unit="计划财务处",
               date=dt.date(2026, 11, 26), rows=[{"post": "出纳", "risk": "利用职务便利挪用公款", "status": "未落实"}])
    [outcome] = run_json("-w", root, "ingest", check=1)
    assert (outcome["status"], outcome["kind"], outcome["year"]) == ("rejected", "check", 2026)
    note = (root / "inbox" / "退回" / "落实.xlsx.错误说明.txt").read_text(encoding="utf-8-sig")
    assert "归档移交" in note and "已记录" not in note and "复核清单" not in note


def test_a_closed_years_unanswered_letters_are_not_listed_overdue_until_it_is_reopened(office_year):
    """2026 archived with its 建议书 unanswered (``--unfinished``): in 2027 ``status`` and the unit's card no longer
    say it is 逾期 every day — no reply or check of it can be recorded until the year is reopened; reopened, they do
    again."""
    root, number = office_year
    later = cli_env(LZDOCS_TODAY="2027-03-01")
    status = run_json("-w", root, "status", "--year", "2026", env=later)
    assert number not in json.dumps(status, ensure_ascii=False)
    assert number not in run_cli("-w", root, "status", "--year", "2026", env=later).stdout
    [letter] = run_json("-w", root, "unit", "计财处", env=later)["warnings"]  # the unit's card says the same
    assert (letter["number"], letter["overdue"]) == (number, None)
    run_cli("-w", root, "archive", "--reopen", "2026", "--reason", "补办回复", env=later)
    status = run_json("-w", root, "status", "--year", "2026", env=later)
    assert number in [o["number"] for o in status["overdue"]]
    assert run_json("-w", root, "unit", "计财处", env=later)["warnings"][0]["overdue"]["step"] == "reply"


def test_a_case_recorded_after_the_closing_day_but_dated_before_it_marks_nothing_in_the_closed_year(workspace,
                                                                                                   make_form):
    """2026 closed on 2027-02-10; on 2027-03-20 the clerk records a case of 2027-02-05 matched to a 2026 point:
    2026's registers, rewritten, are as the package has them — the case was not recorded by the closing day."""
    from openpyxl import load_workbook

    from lzdocs import Office
    from lzdocs.store.years import close_year

    make_form(workspace.inbox / "计财处.docx", date=dt.date(2026, 11, 10))
    with Office(workspace.root, today=dt.date(2026, 11, 28)) as office:
        office.ingest()
        with office.store.begin() as conn:
            close_year(conn, 2026, at=dt.datetime(2027, 2, 10, 9), package="D:/归档/2026", items=3,
                       manifest_sha256="0" * 64)
    with Office(workspace.root, today=dt.date(2027, 3, 20)) as office:
        point = office.risks(year=2026)[0]
        case = office.case_add("计财处", post=point["post"], risk_text=point["risk"], case_type="违规",
                               handling="诫勉谈话", analysis="制度执行不严", measures="完善制度",
                               date=dt.date(2027, 2, 5))
        assert case["risk_point"]["year"] == 2026
        office.registers(2026)
    book = workspace.year_dir(2026) / "登记簿" / "2026年廉政风险点汇总表.xlsx"
    cells = [str(v) for row in load_workbook(book).worksheets[0].iter_rows(values_only=True) for v in row if v]
    assert any("统计日期：2027年2月10日" in c for c in cells) and not any("已发生" in c for c in cells)


def test_a_dry_run_says_a_form_for_a_closed_year_would_go_back_and_moves_nothing(office_year):
    """``ingest --dry-run`` says what the run would do: the form goes back, saying the year is archived."""
    root, _ = office_year
    [outcome] = run_json("-w", root, "ingest", "--dry-run", "--json", check=1)  # as the run would end
    assert (outcome["status"], outcome["unit"], outcome["year"]) == ("rejected", "计划财务处", 2026)
    assert outcome["problems"][0]["message"].startswith("2026 年度的材料已于 2026-11-28 归档移交，本表没有收取")
    assert (root / "inbox" / "计财处（更正）.docx").is_file()
    assert not [p for p in (root / "inbox" / "退回").rglob("*") if p.is_file()]
    # a copy of the closed year's form: returned as the run returns it, not "a duplicate"
    (root / "inbox" / "计财处（更正）.docx").rename(root.parent / "更正.docx")
    (root / "inbox" / "再次.docx").write_bytes((root / "outbox/2026/收文/计划财务处/计财处.docx").read_bytes())
    [said] = run_json("-w", root, "ingest", "--dry-run", "--json", check=1)
    [done] = run_json("-w", root, "ingest", "--json", check=1)
    assert (said["status"], said["year"]) == (done["status"], done["year"]) == ("rejected", 2026)
    assert said["problems"][0]["message"] == done["problems"][0]["message"]
    from lzdocs.workspace import Workspace
    from tests.ingest.invariant import assert_each_input_exactly_once

    original = (root / "outbox/2026/收文/计划财务处/计财处.docx").read_bytes()
    assert_each_input_exactly_once(Workspace.open(root), [original, original])  # kept, and its copy returned

"""文号 under control: drafts take no number, numbers assigned elsewhere, 作废, back-dated documents."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import zipfile
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lzdocs.store import Store
from lzdocs.store.schema import SCHEMA_VERSION, documents, events
from lzdocs.workspace import Workspace
from tests.conftest import run_cli, run_json

FIELDS = ["--set", "事由=在2026年度廉政风险防控检查中", "--set", "问题=采购程序不规范", "--set", "建议=完善采购制度"]


pytestmark = pytest.mark.both_backends  # the archive on SQLite and on PostgreSQL


@pytest.fixture
def root(workspace) -> Path:
    return workspace.root


def letter(root: Path, *extra, check=0) -> dict:
    return run_json("-w", root, "letter", "suggestion", "--unit", "计财处", *FIELDS, *extra, check=check)


def notice(root: Path, tmp: Path, *extra, check=0):
    body = tmp / "正文.txt"
    body.write_text("一、总体要求\n请各单位认真开展排查。\n", encoding="utf-8")
    return run_cli("-w", root, "notice", "--title", "关于开展廉政风险点排查工作的通知", "--body", body, *extra,
                   check=check)


def register(root: Path, name: str = "发文登记簿.xlsx") -> list[dict]:
    """The data rows of a register as the clerk sees them (header → value)."""
    sheet = load_workbook(root / "outbox" / "2026" / "登记簿" / name).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] in ("顺序号", "文号"))
    return [dict(zip(rows[start], r)) for r in rows[start + 1:] if any(v is not None for v in r)]


def text_of(path: Path) -> tuple[str, str]:
    """(body text, header text of every section) of a .docx."""
    document = docx.Document(str(path))
    headers = [p.text for s in document.sections for h in (s.header, s.first_page_header) for p in h.paragraphs]
    return "\n".join(p.text for p in document.paragraphs), "\n".join(headers)


def stored(root: Path, table=documents) -> list:
    store = Store.for_workspace(Workspace.open(root))
    try:
        with store.read() as conn:
            return conn.execute(select(table)).mappings().all()
    finally:
        store.close()


def half_made_names(monkeypatch, folder: Path, pattern: str) -> list[str]:
    """Filled, as lzdocs runs, with each file under a visible name (``pattern``) of ``folder`` that is not a whole
    .docx after any call that makes or moves a name — what a process killed at that step would leave."""
    seen: list[str] = []

    def looked(call):
        def wrapped(*args, **kwargs):
            result = call(*args, **kwargs)
            found = folder.glob(pattern) if folder.is_dir() else ()
            seen.extend(f"{call.__name__}: {p.name}" for p in found if not zipfile.is_zipfile(p))
            return result
        return wrapped

    for name in ("open", "link", "rename", "replace"):
        monkeypatch.setattr(os, name, looked(getattr(os, name)))
    return seen


# --- --draft -------------------------------------------------------------------------------------------------

def test_a_draft_letter_says_草稿_where_the_number_goes_and_takes_no_number(root):
    first, second = letter(root, "--draft"), letter(root, "--draft")
    assert first["draft"] is True and first["number"] == "内工大纪建〔2026〕（草稿）"
    assert first["files"] == ["outbox/2026/草稿/内工大纪建〔2026〕（草稿）-计划财务处.docx"]
    assert second["files"] == ["outbox/2026/草稿/内工大纪建〔2026〕（草稿）-计划财务处_01.docx"]  # never over the first
    body, header = text_of(root / first["files"][0])
    assert "内工大纪建〔2026〕（草稿）" in body and "〔2026〕1号" not in body
    assert "草稿（未编号）· 仅供审阅，不得印发" in header
    part = docx.Document(str(root / first["files"][0])).sections[0].header._element.xml
    assert 'string="草稿"' in part and "PowerPlusWaterMarkObject" in part
    # nothing registered: no row, no event, no register written
    assert stored(root) == [] and [e["action"] for e in stored(root, events)] == []
    assert not (root / "outbox" / "2026" / "登记簿" / "发文登记簿.xlsx").exists()
    issued = letter(root)
    assert issued["number"] == "内工大纪建〔2026〕1号" and issued["draft"] is False
    assert [r["文号"] for r in register(root)] == ["内工大纪建〔2026〕1号"]


def test_a_draft_is_never_seen_under_its_name_before_it_is_whole(root, monkeypatch):
    """A process killed at any step of writing a draft leaves the 草稿 folder as that step left it: after every call
    that makes or moves a name, each file under a visible name there is a whole .docx (a reserved empty name would
    stay after a kill, and be taken for the draft)."""
    drafts = root / "outbox" / "2026" / "草稿"
    seen = half_made_names(monkeypatch, drafts, "[!.]*")
    first, second = letter(root, "--draft"), letter(root, "--draft")
    assert seen == []
    assert [Path(r["files"][0]).name for r in (first, second)] == [
        "内工大纪建〔2026〕（草稿）-计划财务处.docx", "内工大纪建〔2026〕（草稿）-计划财务处_01.docx"]
    assert sorted(p.name for p in drafts.iterdir()) == sorted(Path(r["files"][0]).name for r in (first, second))


def test_a_draft_cut_off_before_it_was_recorded_is_said_by_verify_as_a_draft(root, monkeypatch):
    """A draft placed, its process gone before the manifest recorded it: verify names it a draft left so (not a file
    of unknown origin), as a note that does not fail it, and says it may be deleted; the next draft takes another
    name."""
    def cut_off(*args, **kw):  # as a power cut there: the process gone, nothing more done
        raise OSError(errno.EIO, "Input/output error")

    with monkeypatch.context() as patched:
        patched.setattr("lzdocs.documents.numbering.record_written", cut_off)
        run_cli("-w", root, "letter", "suggestion", "--unit", "计财处", *FIELDS, "--draft", check=2)
    left = "outbox/2026/草稿/内工大纪建〔2026〕（草稿）-计划财务处.docx"
    assert (root / left).is_file()
    found = run_json("-w", root, "verify", check=0)["findings"]  # a note: drafts count for nothing
    assert [(f["kind"], f["subject"]) for f in found] == [("draft_left", left)]
    assert found[0]["message"].startswith("草稿文件夹里有一份档案记录中没有的文件：多半是写草稿的程序在登记前中断")
    assert letter(root, "--draft")["files"] == ["outbox/2026/草稿/内工大纪建〔2026〕（草稿）-计划财务处_01.docx"]


def test_draft_on_urge_and_notice_writes_previews_only(root, tmp_path):
    out = run_json("-w", root, "urge", "--draft")
    assert out and all(r["status"] == "issued" and r["number"] == "内工大纪催〔2026〕（草稿）" for r in out)
    assert all(r["files"][0].startswith("outbox/2026/草稿/") for r in out)
    assert len({r["files"][0] for r in out}) == len(out)
    proc = notice(root, tmp_path, "--draft", "--issuer", "中共内蒙古工业大学委员会")
    assert "通知 内工大党发〔2026〕（草稿）：关于开展廉政风险点排查工作的通知" in proc.stdout
    drafted = root / "outbox" / "2026" / "草稿" / "内工大党发〔2026〕（草稿）-开展廉政风险点排查工作.docx"
    body, header = text_of(drafted)
    assert "内工大党发〔2026〕（草稿）" in body and "草稿（未编号）" in header
    assert stored(root) == []
    assert not (root / "outbox" / "2026" / "通知").exists() and not (root / "outbox" / "2026" / "催报通知").exists()


def test_draft_with_a_number_is_refused(root):
    proc = run_cli("-w", root, "letter", "suggestion", "--unit", "计财处", *FIELDS, "--draft",
                   "--number", "内工大纪建〔2026〕3号", check=2)
    assert "草稿不编文号，不能同时指定文号" in proc.stderr


# --- --number --------------------------------------------------------------------------------------------------

def test_an_assigned_number_is_recorded_and_the_next_one_continues_after_it(root, tmp_path):
    proc = notice(root, tmp_path, "--number", "内工大党发[2026]07号", "--json")  # the issuer follows the code
    assert json.loads(proc.stdout)["number"] == "内工大党发〔2026〕7号"
    proc = notice(root, tmp_path, "--issuer", "中共内蒙古工业大学委员会", "--json")
    assert json.loads(proc.stdout)["number"] == "内工大党发〔2026〕8号"
    proc = notice(root, tmp_path, "--number", "内工大党发〔2026〕3号", "--json")  # a number below, never used
    assert json.loads(proc.stdout)["number"] == "内工大党发〔2026〕3号"
    again = notice(root, tmp_path, "--number", "内工大党发〔2026〕7号", check=2)
    assert ("错误：文号 内工大党发〔2026〕7号 已经用过：2026年11月28日发给各部门、各单位的"
            "《关于开展廉政风险点排查工作的通知》") in again.stderr
    # a number left empty, never to be used: voided as a 空号 with its reason, for the archivist who asks after gaps
    voided = run_json("-w", root, "void", "内工大党发〔2026〕5号", "--reason", "外部编号跳过")
    assert (voided["title"], voided["files"], voided["warnings"]) == ("空号", [], [])
    assert "作废的文号不能再用" in notice(root, tmp_path, "--number", "内工大党发〔2026〕5号", check=2).stderr
    assert "编到 8 号" in run_cli("-w", root, "void", "内工大党发〔2026〕9号", "--reason", "x", check=2).stderr
    rows = {r["文号"]: r for r in register(root)}
    empty = rows["内工大党发〔2026〕5号"]
    assert (empty["文种"], empty["份数"], empty["状态"]) == ("空号", 0, "作废")
    assert rows["内工大党发〔2026〕7号"]["备注"] == "文号由外部编定"
    assert rows["内工大党发〔2026〕7号"]["状态"] == "有效" and rows["内工大党发〔2026〕8号"]["备注"] in ("", None)
    body, _ = text_of(root / "outbox" / "2026" / "通知" / "内工大党发〔2026〕7号-开展廉政风险点排查工作.docx")
    assert "内工大党发〔2026〕7号" in body
    assert sorted((r["seq"], r["origin"]) for r in stored(root)) == [(3, "assigned"), (5, "auto"), (7, "assigned"),
                                                                      (8, "auto")]


def test_an_assigned_number_must_carry_a_code_of_the_workspace_and_of_the_document(root):
    proc = run_cli("-w", root, "letter", "suggestion", "--unit", "计财处", *FIELDS,
                   "--number", "内工大纪X〔2026〕1号", check=2)
    assert "机关代字“内工大纪X”不是本工作区的机关代字" in proc.stderr
    assert "内工大纪建（纪检监察建议书）" in proc.stderr and "内工大党发（中共内蒙古工业大学委员会）" in proc.stderr
    proc = run_cli("-w", root, "letter", "suggestion", "--unit", "计财处", *FIELDS,
                   "--number", "内工大党发〔2026〕1号", check=2)
    assert "机关代字“内工大党发”是中共内蒙古工业大学委员会的机关代字，不是这份文书的（内工大纪建）" in proc.stderr
    assert "这份文书的文号应为 内工大纪建〔2026〕n号" in proc.stderr and "--issuer" not in proc.stderr
    proc = run_cli("-w", root, "letter", "suggestion", "--unit", "计财处", *FIELDS,
                   "--number", "内工大纪改〔2026〕2号", check=2)  # another letter's code: named as such
    assert "机关代字“内工大纪改”是责令检查整改通知书的机关代字" in proc.stderr
    proc = run_cli("-w", root, "letter", "suggestion", "--unit", "计财处", *FIELDS,
                   "--number", "内工大纪建〔2025〕1号", check=2)
    assert "年份（2025）与成文日期的年份（2026）不同" in proc.stderr
    proc = run_cli("-w", root, "urge", "--number", "内工大纪催〔2026〕1号", check=2)
    assert "一个文号只能用于一份文书" in proc.stderr
    assert stored(root) == []


# --- void --------------------------------------------------------------------------------------------------

def test_void_keeps_the_number_in_the_register_moves_the_file_and_never_issues_it_again(root):
    first = letter(root, "--date", "2026-10-01")  # its reply was due 2026-10-31: overdue today
    letter(root)
    assert [o["number"] for o in run_json("-w", root, "status")["overdue"]] == ["内工大纪建〔2026〕1号"]
    out = run_json("-w", root, "void", "内工大纪建[2026]1号", "--reason", "测试时误发")
    assert out["number"] == "内工大纪建〔2026〕1号" and out["reason"] == "测试时误发" and out["voided"] == "2026-11-28"
    assert out["files"] == ["outbox/2026/作废/内工大纪建〔2026〕1号-计划财务处.docx"] and out["missing"] == []
    assert not (root / first["files"][0]).exists() and (root / out["files"][0]).is_file()
    rows = register(root)
    assert [(r["文号"], r["状态"]) for r in rows] == [("内工大纪建〔2026〕1号", "作废"),
                                                     ("内工大纪建〔2026〕2号", "有效")]
    assert rows[0]["备注"].startswith("2026年11月28日作废：测试时误发")
    assert rows[0]["文件"] == "outbox/2026/作废/内工大纪建〔2026〕1号-计划财务处.docx"
    ledger = {r["文号"]: r for r in register(root, "预警处置台账.xlsx")}
    assert ledger["内工大纪建〔2026〕1号"]["状态"] == "作废"
    assert run_json("-w", root, "status")["overdue"] == []  # a voided letter is owed no reply
    assert letter(root)["number"] == "内工大纪建〔2026〕3号"
    proc = run_cli("-w", root, "letter", "suggestion", "--unit", "计财处", *FIELDS,
                   "--number", "内工大纪建〔2026〕1号", check=2)
    assert "错误：文号 内工大纪建〔2026〕1号 已于2026年11月28日作废（测试时误发），作废的文号不能再用" in proc.stderr
    again = run_cli("-w", root, "void", "内工大纪建〔2026〕1号", "--reason", "再来一次", check=2)
    assert "已于2026年11月28日作废（测试时误发）" in again.stderr
    assert [e["action"] for e in stored(root, events)].count("void") == 1


def test_void_in_words_and_its_refusals(root):
    letter(root)
    proc = run_cli("-w", root, "void", "内工大纪建〔2026〕1号", "--reason", "收文单位写错", check=0)
    assert proc.stdout.splitlines() == [
        "已作废：内工大纪建〔2026〕1号（纪检监察建议书，计划财务处），原因：收文单位写错，作废日期 2026年11月28日",
        "  文件已移到 outbox/2026/作废/内工大纪建〔2026〕1号-计划财务处.docx",
        "此文号不会再使用。"]
    assert "没有文号“内工大纪建〔2026〕9号”" in run_cli("-w", root, "void", "内工大纪建〔2026〕9号", "--reason", "x",
                                                       check=2).stderr
    assert "作废须写明原因" in run_cli("-w", root, "void", "内工大纪建〔2026〕1号", "--reason", " ", check=2).stderr
    assert "“乱写”不是文号" in run_cli("-w", root, "void", "乱写", "--reason", "x", check=2).stderr


def test_a_voided_letter_takes_no_reply_and_a_void_date_is_never_in_the_future(root):
    issued = letter(root)
    proc = run_cli("-w", root, "void", issued["number"], "--reason", "x", "--date", "2026-12-01", check=2)
    assert "作废日期2026年12月1日在今天（2026年11月28日）之后" in proc.stderr
    run_cli("-w", root, "void", issued["number"], "--reason", "重复发文", "--date", "2026-11-28", check=0)
    proc = run_cli("-w", root, "reply", issued["number"], check=2)
    assert "内工大纪建〔2026〕1号 已作废（重复发文），不能登记回复" in proc.stderr


def test_a_void_that_cannot_be_recorded_puts_the_file_back(root, monkeypatch):
    from lzdocs.errors import StoreError

    issued = letter(root)

    def broken(*args, **kw):
        raise StoreError("档案库出错：测试")

    monkeypatch.setattr("lzdocs.store.documents.void_document", broken)
    proc = run_cli("-w", root, "void", issued["number"], "--reason", "x", check=2)
    assert "档案库出错：测试" in proc.stderr
    assert (root / issued["files"][0]).is_file() and not list((root / "outbox" / "2026" / "作废").iterdir())
    assert [(r["status"], r["file"]) for r in stored(root)] == [("issued", issued["files"][0])]


def test_void_when_the_file_is_already_gone_still_marks_the_number(root):
    issued = letter(root)
    (root / issued["files"][0]).unlink()
    out = run_json("-w", root, "void", issued["number"], "--reason", "文件已手工删除")
    assert out["files"] == [] and out["missing"] == [issued["files"][0]]
    assert register(root)[0]["状态"] == "作废"


def test_a_letter_voided_before_its_file_was_put_in_place_goes_to_作废_by_the_next_letter(root, monkeypatch):
    """Voided while its file waited under its hidden name (its run killed between the commit and the rename): the
    next letter of the kind moves the waiting file into 作废/, beside a file of that name already there, and never
    shows an empty file under a name there."""
    issued = letter(root)
    placed = root / issued["files"][0]
    written = placed.read_bytes()
    placed.unlink()  # not there when it is voided (its hidden file on another machine's view of the share) …
    out = run_json("-w", root, "void", issued["number"], "--reason", "收文单位写错")
    assert out["files"] == [] and out["missing"] == [issued["files"][0]]
    placed.with_name(f".{placed.stem}.0123abcd.part.docx").write_bytes(written)  # … then found waiting
    void_dir = root / "outbox" / "2026" / "作废"
    void_dir.mkdir(exist_ok=True)
    (void_dir / placed.name).write_bytes(b"the clerk's own file of that name")
    seen = half_made_names(monkeypatch, void_dir, "[!.]*_*")  # (the clerk's own file is not a .docx)
    second = letter(root)
    assert seen == []
    moved = void_dir / f"{placed.stem}_01.docx"
    assert "内工大纪建〔2026〕1号" in text_of(moved)[0]
    assert (void_dir / placed.name).read_bytes() == b"the clerk's own file of that name"
    assert not list(placed.parent.glob(".*.part.docx"))
    rows = {r["number"]: r for r in stored(root)}
    assert rows[issued["number"]]["file"] == "outbox/2026/作废/" + moved.name
    assert rows[second["number"]]["status"] == "issued"


def test_a_voided_letter_s_file_moved_into_作废_but_not_recorded_there_is_recorded_by_void_run_again(root):
    """The letter that moved a voided number's waiting file into 作废/ was killed before its commit: the number reads
    作废 with its old place, the file lies in 作废/ unrecorded. lzdocs void on the number finds it by its name and
    SHA-256 and records it, instead of saying only that the number is void."""
    issued = letter(root)
    placed = root / issued["files"][0]
    written = placed.read_bytes()
    placed.unlink()
    run_json("-w", root, "void", issued["number"], "--reason", "收文单位写错")
    void_dir = root / "outbox" / "2026" / "作废"
    void_dir.mkdir(exist_ok=True)
    (void_dir / placed.name).write_bytes(b"the clerk's own file of that name")
    stranded = void_dir / f"{placed.stem}_01.docx"
    stranded.write_bytes(written)  # where the killed letter had moved it
    said = {f["subject"]: f["message"] for f in run_json("-w", root, "verify", check=1)["findings"]}
    assert said[issued["files"][0]] == ("文件不见了（被删除、改名或移走）；同样内容的文件在 "
                                        f"outbox/2026/作废/{stranded.name}")
    assert said["outbox/2026/作废/" + stranded.name].startswith(
        f"作废的文书移到这里后没有登记上（登记的位置是 {issued['files'][0]}，内容相同；")
    assert "对这个文号再运行一次 lzdocs void 即可补记" in said["outbox/2026/作废/" + stranded.name]
    assert said["outbox/2026/作废/" + placed.name].startswith("档案记录中没有这个文件")  # the clerk's own
    out = run_json("-w", root, "void", issued["number"], "--reason", "再运行一次")
    assert out["files"] == ["outbox/2026/作废/" + stranded.name] and out["missing"] == []
    assert out["reason"] == "收文单位写错"  # as recorded the first time
    assert {r["number"]: r["file"] for r in stored(root)}[issued["number"]] == "outbox/2026/作废/" + stranded.name
    assert register(root)[0]["文件"] == "outbox/2026/作废/" + stranded.name
    findings = run_json("-w", root, "verify", check=1)["findings"]
    assert [(f["kind"], f["subject"]) for f in findings] == [("stray", "outbox/2026/作废/" + placed.name)]
    again = run_cli("-w", root, "void", issued["number"], "--reason", "x", check=2).stderr
    assert "已于2026年11月28日作废（收文单位写错）" in again


def test_a_void_killed_after_its_move_is_finished_by_running_it_again(root):
    issued = letter(root)
    folder = root / "outbox" / "2026" / "作废"
    folder.mkdir(parents=True)
    name = Path(issued["files"][0]).name
    (folder / name).write_bytes(b"another file of the same name")
    (root / issued["files"][0]).rename(folder / f"{Path(name).stem}_01.docx")  # moved, then the process died
    out = run_json("-w", root, "void", issued["number"], "--reason", "重新作废")
    assert out["files"] == ["outbox/2026/作废/内工大纪建〔2026〕1号-计划财务处_01.docx"] and out["missing"] == []
    assert register(root)[0]["文件"] == "outbox/2026/作废/内工大纪建〔2026〕1号-计划财务处_01.docx"


def test_void_moves_beside_an_earlier_file_of_the_same_name_without_replacing_it(root):
    issued = letter(root)
    folder = root / "outbox" / "2026" / "作废"
    folder.mkdir(parents=True)
    (folder / Path(issued["files"][0]).name).write_bytes(b"clerk's own file")
    out = run_json("-w", root, "void", issued["number"], "--reason", "重复")
    assert out["files"] == ["outbox/2026/作废/内工大纪建〔2026〕1号-计划财务处_01.docx"]
    assert (folder / Path(issued["files"][0]).name).read_bytes() == b"clerk's own file"


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges on Windows")
def test_a_link_at_the_next_letter_s_name_is_never_replaced_even_one_that_points_nowhere(root):
    folder = root / "outbox" / "2026" / "纪检监察建议书"
    folder.mkdir(parents=True)
    dangling = folder / "内工大纪建〔2026〕1号-计划财务处.docx"
    dangling.symlink_to(root / "nowhere.docx")
    issued = letter(root)
    assert issued["files"] == ["outbox/2026/纪检监察建议书/内工大纪建〔2026〕1号-计划财务处_01.docx"]
    assert dangling.is_symlink() and os.readlink(dangling) == str(root / "nowhere.docx")


def test_a_file_named_作废_where_the_folder_goes_is_named_and_nothing_moves(root):
    issued = letter(root)
    blocker = root / "outbox" / "2026" / "作废"
    blocker.write_bytes(b"a clerk's file")
    proc = run_cli("-w", root, "void", issued["number"], "--reason", "重复", check=2)
    assert proc.stderr.strip() == f"错误：“{blocker}”是一个文件，但这里需要同名的文件夹；请把这个文件改名或移走，再重试"
    assert blocker.read_bytes() == b"a clerk's file" and (root / issued["files"][0]).is_file()
    assert [(r["status"], r["file"]) for r in stored(root)] == [("issued", issued["files"][0])]
    blocker.unlink()
    assert run_json("-w", root, "void", issued["number"], "--reason", "重复")["files"] == [
        "outbox/2026/作废/内工大纪建〔2026〕1号-计划财务处.docx"]


# --- back-dated documents ----------------------------------------------------------------------------------

def test_a_back_dated_letter_is_issued_with_a_warning_naming_the_previous_number(root):
    letter(root, "--date", "2026-11-20")
    same_day = letter(root, "--date", "2026-11-20")
    assert same_day["warnings"] == []
    back = letter(root, "--date", "2026-11-10")
    assert back["number"] == "内工大纪建〔2026〕3号"
    assert back["warnings"] == ["成文日期2026年11月10日早于上一个文号 内工大纪建〔2026〕2号 的成文日期2026年11月20日："
                                "这份文书是倒签的，请核对成文日期"]
    proc = run_cli("-w", root, "letter", "suggestion", "--unit", "计财处", *FIELDS, "--date", "2026-11-01", check=0)
    assert ("提醒：计划财务处：成文日期2026年11月1日早于上一个文号 内工大纪建〔2026〕3号 的成文日期2026年11月10日"
            in proc.stderr)


def test_a_back_dated_notice_warns_too(root, tmp_path):
    notice(root, tmp_path, "--date", "2026-11-20")
    proc = notice(root, tmp_path, "--date", "2026-11-02", "--json")
    assert json.loads(proc.stdout)["warnings"] == [
        "成文日期2026年11月2日早于上一个文号 内工大党发〔2026〕1号 的成文日期2026年11月20日："
        "这份文书是倒签的，请核对成文日期"]


# --- schema 3 ----------------------------------------------------------------------------------------------

@pytest.mark.sqlite_only
def test_an_archive_of_schema_2_gains_the_void_columns_and_its_letters_can_be_voided(root):
    letter(root)
    db = root / "lzdocs.db"
    with sqlite3.connect(db) as conn:  # what an archive of the previous version looks like
        for column in ("status", "origin", "void_reason", "voided"):
            conn.execute(f"ALTER TABLE documents DROP COLUMN {column}")
        conn.execute("ALTER TABLE submissions DROP COLUMN arrived_on")  # schema 4
        for column in ("checked", "checked_by", "check_result", "closed"):  # schema 6
            conn.execute(f"ALTER TABLE warnings DROP COLUMN {column}")
        conn.execute("DROP TABLE warning_risks")
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    store = Store(f"sqlite:///{db}")
    assert store.schema_version == SCHEMA_VERSION
    store.close()
    [row] = stored(root)
    assert (row["status"], row["origin"], row["void_reason"], row["voided"]) == ("issued", "auto", None, None)
    assert run_json("-w", root, "void", "内工大纪建〔2026〕1号", "--reason", "升级后作废")["voided"] == "2026-11-28"
    assert letter(root)["number"] == "内工大纪建〔2026〕2号"


# --- two processes at once -----------------------------------------------------------------------------------

WORKER = """
import json, sys
from tests.conftest import run_cli
from tests.startline import at_start_line

root, tag = sys.argv[1], sys.argv[2]
FIELDS = json.loads(sys.argv[3])

def letter(*extra):
    proc = run_cli("-w", root, "letter", "suggestion", "--unit", "计财处", *FIELDS, *extra, "--json")
    return proc.returncode, json.loads(proc.stdout) if proc.returncode == 0 else proc.stderr

log = []
at_start_line(*sys.argv[4:6])  # both processes begin at the same instant
for i in range(10):
    code, out = letter("--draft")
    log.append(["draft", code, out["files"][0] if code == 0 else out])
    code, out = letter()
    log.append(["auto", code, out["number"] if code == 0 else out])
    if i % 3 == 0 and code == 0:
        proc = run_cli("-w", root, "void", out["number"], "--reason", f"{tag}第{i}次作废", "--json")
        log.append(["void", proc.returncode, out["number"]])
    if i % 3 == 1:  # both processes claim the same number from elsewhere: one gets it
        code, out = letter("--number", f"内工大纪建〔2026〕{10 * i + 5}号")
        log.append(["assigned", code, out["number"] if code == 0 else out])
print(json.dumps(log, ensure_ascii=False))
"""


@pytest.mark.slow
def test_two_processes_mixing_drafts_voids_and_assigned_numbers_never_use_a_number_twice(root):
    import subprocess
    import sys

    from tests.conftest import REPO, cli_env
    from tests.startline import StartLine

    line = StartLine(root.parent / "start", 2)
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(root), tag, json.dumps(FIELDS), *line.args(i)],
                              cwd=REPO, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              encoding="utf-8") for i, tag in enumerate(("甲", "乙"))]
    line.go()
    outputs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-3000:] for _, err in outputs]
    log = [entry for out, _ in outputs for entry in json.loads(out)]

    def done(op):
        return [value for kind, code, value in log if kind == op and code == 0]

    issued, assigned, voided, drafts = done("auto"), done("assigned"), done("void"), done("draft")
    assert len(issued) == 20 and len(voided) == 8 and len(drafts) == 20
    assert sorted(assigned) == ["内工大纪建〔2026〕15号", "内工大纪建〔2026〕45号", "内工大纪建〔2026〕75号"]
    refused = [value for kind, code, value in log if kind == "assigned" and code != 0]
    assert len(refused) == 3 and all("已经用过" in r for r in refused), refused
    assert len(set(issued + assigned)) == 23  # no number used twice
    rows = sorted(stored(root), key=lambda r: r["seq"])
    assert sorted(r["number"] for r in rows) == sorted(issued + assigned)
    assert sorted(r["number"] for r in rows if r["status"] == "void") == sorted(voided)
    seqs = [r["seq"] for r in rows]
    unexplained = [(a["seq"], b["seq"]) for a, b in zip([{"seq": 0}, *rows], rows)
                   if b["seq"] != a["seq"] + 1 and b["origin"] != "assigned"]
    assert unexplained == [], seqs  # every gap ends at a number assigned elsewhere
    for r in rows:  # each file where the register says, carrying its own number
        path = root / r["file"]
        assert path.parent.name == ("作废" if r["status"] == "void" else "纪检监察建议书"), r["file"]
        assert r["number"] in text_of(path)[0]
    assert len(set(drafts)) == 20 and len(list((root / "outbox" / "2026" / "草稿").glob("*.docx"))) == 20
    assert not list((root / "outbox").rglob("*.part*"))
    run_cli("-w", root, "register", check=0)
    book = register(root)
    assert [(r["文号"], r["状态"]) for r in book] == [
        (r["number"], "作废" if r["status"] == "void" else "有效") for r in sorted(rows, key=lambda r: r["id"])]

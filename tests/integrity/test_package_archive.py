"""The demo year's 归档 package, checked item by item as an archivist would, and verify_package on its copies."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3

import pikepdf
import pytest
from openpyxl import load_workbook

from lzdocs.integrity.package import verify_package
from tests.conftest import TODAY, at_commit, cli_env, run_cli, run_json

pytestmark = pytest.mark.soffice
VOIDED = "内工大纪催〔2026〕3号"
CLOSING = "2026-12-31"  # the year is handed over at its end, a month after the demo's letters


@pytest.fixture(scope="module")
def archived(tmp_path_factory):
    """``lzdocs demo``'s workspace with a summary and one 催报通知 voided, archived with ``lzdocs archive``."""
    from lzdocs.demo import run_demo

    tmp = tmp_path_factory.mktemp("package")
    root = tmp / "演示"
    run_demo(root, echo=lambda text: None, today=TODAY)
    config = root / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('fonds = ""', 'fonds = "Z123"'), encoding="utf-8")
    run_cli("-w", root, "summary", "--year", "2026", check=0)
    run_cli("-w", root, "void", VOIDED, "--reason", "重复发文", check=0)
    dest = tmp / "移交" / "2026"
    dest.parent.mkdir()
    proc = run_cli("-w", root, "archive", "--year", "2026", "--unfinished", dest, check=0,
                   env=cli_env(LZDOCS_TODAY=CLOSING))  # its letters wait for replies: archived as they are
    return {"root": root, "dest": dest, "stdout": proc.stdout,
            "manifest": json.loads((dest / "清单.json").read_text(encoding="utf-8"))}


def catalogue(dest) -> list[dict]:
    """The rows of the 归档文件目录 as the archivist reads them: one dict per item, by column label."""
    book = load_workbook(dest / "归档文件目录.xlsx")
    rows = []
    for sheet in book.worksheets:
        header = [c.value for c in sheet[3]]
        rows += [dict(zip(header, r, strict=False)) | {"sheet": sheet.title}
                 for r in sheet.iter_rows(min_row=4, values_only=True)]
    return rows


def test_the_items_are_numbered_by_class_from_0001_without_a_gap(archived):
    rows = [r for r in catalogue(archived["dest"]) if r["档号"]]
    by_class: dict[str, list[str]] = {}
    for row in rows:
        by_class.setdefault(row["sheet"], []).append(row["档号"])
    assert list(by_class) == ["永久", "定期30年", "定期10年"]
    for period, code in (("永久", "Y"), ("定期30年", "D30"), ("定期10年", "D10")):
        assert by_class[period] == [f"Z123-2026-{code}-JW-{n:04d}" for n in range(1, len(by_class[period]) + 1)]
    assert [len(v) for v in by_class.values()] == [4, 15, 2]  # 2 notices, the 公示表 posted, the summary; 11 forms
    # + 4 letters; 2 urges
    assert [r["件号"] for r in rows[:3]] == ["0001", "0002", "0003"]


def test_each_class_is_ordered_by_time_with_a_units_forms_together(archived):
    rows = [r for r in catalogue(archived["dest"]) if r["档号"]]
    permanent = [(r["文号"], r["题名"], r["日期"]) for r in rows if r["sheet"] == "永久"]
    assert permanent == [("内工大党发〔2026〕1号", "关于印发《廉政风险防控机制建设工作实施方案》的通知", "20261128"),
                         ("内工大党发〔2026〕2号", "关于印发《廉政风险防控机制建设工作实施方案》的通知", "20261128"),
                         (None, "内蒙古工业大学2026年廉政风险点公示表（公示期2026年11月28日至12月4日）", "20261128"),
                         (None, "内蒙古工业大学关于2026年度廉政风险防控工作情况的报告", "20261128")]
    thirty = [r for r in rows if r["sheet"] == "定期30年"]
    assert [r["责任者"] for r in thirty[:11]] == ["组织部", "宣传部", "人事处", "计划财务处", "教务处", "科学技术处",
                                                  "国有资产管理处", "基建处", "后勤管理处", "招生就业处", "图书馆"]
    assert thirty[3]["题名"] == "计划财务处2026年岗位风险分析和防控措施表"
    assert thirty[3]["备注"] == "原文件名：计划财务处（修改稿）.xlsx；更正后重报，替代此前报送的表"
    assert [r["文号"] for r in thirty[11:]] == [
        "内工大纪建〔2026〕1号", "内工大纪问〔2026〕1号", "内工大纪谈〔2026〕1号", "内工大纪改〔2026〕1号"]
    assert thirty[11]["责任者"] == "中共内蒙古工业大学纪律检查委员会"
    assert thirty[11]["题名"] == "纪检监察建议书（计划财务处）"


def test_a_voided_number_is_no_item_and_the_catalogue_says_why(archived):
    rows = catalogue(archived["dest"])
    numbers = [r["文号"] for r in rows if r["档号"]]
    assert VOIDED not in numbers and "内工大纪催〔2026〕2号" in numbers
    [note] = [r["题名"] for r in rows if not r["档号"] and r["题名"]]
    assert note == f"说明：以下文号已作废，不作为归档文件：{VOIDED}（2026-11-28作废，重复发文）"
    assert [v["number"] for v in archived["manifest"]["voided"]] == [VOIDED]


def test_every_item_is_there_as_its_original_and_as_pdf_a_2b_with_the_pages_the_catalogue_says(archived):
    dest, rows = archived["dest"], [r for r in catalogue(archived["dest"]) if r["档号"]]
    for row in rows:
        [original] = [p for p in (dest / "文件").glob(f"{row['档号']}.*") if p.suffix != ".pdf"]
        assert original.suffix in (".docx", ".xlsx")
        with pikepdf.open(dest / "文件" / f"{row['档号']}.pdf") as pdf:
            meta = pdf.open_metadata()
            assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("2", "B"), row["档号"]
            assert row["页数"] == len(pdf.pages) and row["页数"] >= 1, row["档号"]
    with pikepdf.open(dest / "归档文件目录.pdf") as pdf:
        assert pdf.open_metadata()["pdfaid:part"] == "2" and len(pdf.pages) >= 3  # a class per page at least
    letter = next(r for r in rows if r["文号"] == "内工大纪建〔2026〕1号")
    original = archived["root"] / "outbox/2026/纪检监察建议书/内工大纪建〔2026〕1号-计划财务处.docx"
    assert (dest / "文件" / f"{letter['档号']}.docx").read_bytes() == original.read_bytes()


def test_the_manifest_holds_every_files_sha256_and_the_text_form_agrees(archived):
    dest, files = archived["dest"], archived["manifest"]["files"]
    on_disk = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert sorted(files) == [n for n in on_disk if n not in ("清单.json", "清单.txt")]
    assert len(files) == 2 * 21 + 2  # each item twice, the 目录 twice
    for name, entry in files.items():
        data = (dest / name).read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (entry["sha256"], entry["size"]), name
    lines = (dest / "清单.txt").read_text(encoding="utf-8").splitlines()
    assert lines == [f"{entry['sha256']}  {name}" for name, entry in files.items()]  # as sha256sum -c reads it
    assert lines[0].endswith("  归档文件目录.pdf") and lines[-1].endswith("  文件/Z123-2026-Y-JW-0004.pdf")


def test_the_command_says_what_it_did_and_the_year_is_closed(archived):
    out, root = archived["stdout"], archived["root"]
    assert out.startswith("已归档 2026 年度：21 件（永久 4 件，定期30年 15 件，定期10年 2 件），用时")
    assert "作废文号 1 个不作为归档文件，已在目录末尾说明" in out
    manifest_sha = hashlib.sha256((archived["dest"] / "清单.json").read_bytes()).hexdigest()
    assert f"清单.json 的 SHA-256：{manifest_sha}" in out
    with sqlite3.connect(root / "lzdocs.db") as db:
        [(year, items, sha, reopened)] = db.execute(
            "SELECT year, items, manifest_sha256, reopened_at FROM year_closures").fetchall()
        [(subject,)] = db.execute("SELECT subject FROM events WHERE action = 'archive'").fetchall()
    assert (year, items, sha, reopened, subject) == (2026, 21, manifest_sha, None, "2026")
    proc = run_cli("-w", root, "letter", "suggestion", "--unit", "计财处", "--set", "事由=x", "--set", "问题=y",
                   "--set", "建议=z", check=2)
    assert "2026 年度已于" in proc.stderr and "lzdocs archive --reopen 2026" in proc.stderr


def test_verify_package_passes_and_names_a_changed_byte_a_missing_file_and_a_stray(archived, tmp_path):
    copy = tmp_path / "另一台电脑" / "2026"
    shutil.copytree(archived["dest"], copy)
    report = verify_package(copy)
    assert report.ok and report.checked == {"files": 44, "items": 21, "pdfs": 22}
    pdf = copy / "文件" / "Z123-2026-D30-JW-0012.pdf"
    good = pdf.read_bytes()
    pdf.write_bytes(good[:100] + bytes([good[100] ^ 1]) + good[101:])
    found = [(f.kind, f.subject) for f in verify_package(copy).findings]
    assert found == [("changed", "文件/Z123-2026-D30-JW-0012.pdf")]
    pdf.write_bytes(good)
    original = copy / "文件" / "Z123-2026-Y-JW-0002.docx"
    kept = original.read_bytes()
    original.unlink()
    [missing] = verify_package(copy).findings
    assert (missing.kind, missing.subject, missing.message) == (
        "missing", "文件/Z123-2026-Y-JW-0002.docx", "清单中列出的文件不见了：请从移交前的备份找回")
    original.write_bytes(kept)
    (copy / "文件" / "补充说明.txt").write_text("后来放进来的", encoding="utf-8")
    assert [(f.kind, f.subject) for f in verify_package(copy).findings] == [("stray", "文件/补充说明.txt")]
    (copy / "文件" / "补充说明.txt").unlink()
    assert verify_package(copy).ok


def test_lzdocs_verify_package_runs_on_a_computer_without_the_workspace(archived, tmp_path):
    copy = tmp_path / "档案馆" / "2026"
    shutil.copytree(archived["dest"], copy)
    elsewhere = tmp_path / "无关文件夹"
    elsewhere.mkdir()
    ok = run_cli("verify", "--package", copy, cwd=elsewhere, check=0).stdout
    assert ok.startswith(f"已检查归档包 {copy}：21 件，文件 44 个，PDF 22 个")
    assert "结论：归档包完好" in ok
    (copy / "文件" / "Z123-2026-Y-JW-0002.docx").unlink()
    bad = run_cli("verify", "--package", copy, "--json", cwd=elsewhere, check=1)
    assert [(f["kind"], f["subject"]) for f in json.loads(bad.stdout)["findings"]] == [
        ("missing", "文件/Z123-2026-Y-JW-0002.docx")]


def test_verify_package_names_a_gap_in_the_numbers_and_pages_the_catalogue_gets_wrong(archived, tmp_path):
    copy = tmp_path / "2026"
    shutil.copytree(archived["dest"], copy)
    manifest = json.loads((copy / "清单.json").read_text(encoding="utf-8"))
    manifest["items"] = [i for i in manifest["items"] if i["reference"] != "Z123-2026-D10-JW-0001"]
    book = load_workbook(copy / "归档文件目录.xlsx")
    sheet = book["定期30年"]
    sheet.cell(row=4, column=7).value = 99
    book.save(copy / "归档文件目录.xlsx")
    entry = manifest["files"]["归档文件目录.xlsx"]
    data = (copy / "归档文件目录.xlsx").read_bytes()
    entry.update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    (copy / "清单.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    findings = {(f.kind, f.subject, f.message) for f in verify_package(copy).findings}
    assert ("sequence", "Z123-2026-D10-JW", "件号不连续（缺 0001）") in findings
    assert ("pages", "文件/Z123-2026-D30-JW-0001.pdf", "目录中页数为 99，PDF 实有 1 页") in findings
    assert ("catalogue", "归档文件目录.xlsx", "目录中的 Z123-2026-D10-JW-0001 不在清单中") in findings
    assert ("changed", "清单.txt", "清单.txt与 清单.json 不一致：以 清单.json 为准") in findings


def test_a_package_without_its_manifest_cannot_be_checked(tmp_path):
    assert [(f.kind, f.subject) for f in verify_package(tmp_path).findings] == [("missing", "清单.json")]


def test_nothing_is_closed_when_a_document_arrives_while_the_package_is_built(tmp_path, make_form):
    from lzdocs.errors import LzdocsError
    from lzdocs.office import Office

    root = _one_form_workspace(tmp_path, make_form)
    dest = tmp_path / "归档"

    def meanwhile(i, total, name, done=[]):  # noqa: B006 - once: a letter issued by another clerk mid-build
        if not done:
            done.append(run_json("-w", root, "letter", "suggestion", "--unit", "计财处", "--set", "事由=x",
                                 "--set", "问题=y", "--set", "建议=z"))

    with Office(root, today=TODAY) as office, pytest.raises(LzdocsError) as caught:
        office.archive(2026, dest, progress=meanwhile, unfinished=True)
    assert str(caught.value).startswith("打包期间 2026 年度又有新的收文或文书，本次归档没有完成")
    assert not dest.exists() and list(tmp_path.iterdir()) == [root]
    with sqlite3.connect(root / "lzdocs.db") as db:
        assert db.execute("SELECT count(*) FROM year_closures").fetchone() == (0,)


def test_the_registers_are_brought_to_the_day_of_closing_first(archived):
    """Once closed, nothing rewrites a year's registers on its own: archiving dates them on the closing day, and
    what became overdue since the last letter (the demo's suggestions were due 2026-12-28) says so."""
    from lzdocs.documents.registers import register_paths
    from lzdocs.workspace import Workspace

    paths = register_paths(Workspace.open(archived["root"]), 2026)
    for key in ("status", "warnings"):
        subtitle = load_workbook(paths[key]).worksheets[0]["A2"].value
        assert "统计日期：2026年12月31日" in subtitle, (key, subtitle)
    states = [r[6] for r in load_workbook(paths["warnings"]).worksheets[0].iter_rows(min_row=4, values_only=True)]
    assert "已逾期" in states and "未到期" not in states


def _one_form_workspace(tmp_path, make_form):
    from tests.conftest import SAMPLE_SCHOOL

    root = tmp_path / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    config = root / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('fonds = ""', 'fonds = "Z9"'), encoding="utf-8")
    make_form(root / "inbox" / "计财处.docx")
    run_cli("-w", root, "ingest", check=0)
    return root




def test_a_package_folder_named_up_to_the_file_systems_limit_is_made(tmp_path, make_form):
    """A name of 249 bytes (83 Chinese characters) is a name the disk takes: it was refused as too long, the message
    naming the hidden folder it is built in and telling to shorten the workspace's path."""
    root = _one_form_workspace(tmp_path, make_form)
    dest = tmp_path / "归档 目录" / ("长" * 83)
    dest.parent.mkdir()
    assert len(dest.name.encode()) == 249
    done = run_json("-w", root, "archive", "--year", "2026", "--unfinished", dest)
    assert len(done["items"]) == 1 and (dest / "清单.json").is_file()
    assert list(dest.parent.iterdir()) == [dest]  # the hidden folder it was built in renamed into place


def closing(folder) -> bool:
    """Is the archive at its closing transaction: its package built, beside where it goes?"""
    return any(folder.glob(".归档*.part/清单.json"))


def test_a_commit_that_fails_leaves_no_package_and_the_year_open(tmp_path, make_form):
    """A disk error (or a database server stopping) at the closing commit, after the package took its name: it
    left a package that looked finished while the year stayed open, and the same command was then refused."""
    from lzdocs.errors import StoreError
    from lzdocs.office import Office

    root = _one_form_workspace(tmp_path, make_form)
    dest = tmp_path / "归档"

    def fail(raw):
        if closing(tmp_path):
            raise sqlite3.OperationalError("disk I/O error")

    with Office(root, today=TODAY) as office, at_commit(fail), pytest.raises(StoreError, match="读写档案库时出错"):
        office.archive(2026, dest, unfinished=True)
    assert not dest.exists() and list(tmp_path.iterdir()) == [root]
    with sqlite3.connect(root / "lzdocs.db") as db:
        assert db.execute("SELECT count(*) FROM year_closures").fetchone() == (0,)
    done = run_json("-w", root, "archive", "--year", "2026", "--unfinished", dest)  # the same command: it works now
    assert len(done["items"]) == 1 and (dest / "清单.json").is_file()


def test_a_commit_whose_answer_is_lost_is_an_archive_done(tmp_path, make_form):
    """The commit went through and only its answer was lost (the connection dropped right after): the year is
    closed by this package, so the package stays and the archive is reported done."""
    from lzdocs.office import Office

    root = _one_form_workspace(tmp_path, make_form)
    dest = tmp_path / "归档"

    def commit_then_lose_the_answer(raw):
        if closing(tmp_path):
            raw.execute("COMMIT")
            raise sqlite3.OperationalError("disk I/O error")

    with Office(root, today=TODAY) as office, at_commit(commit_then_lose_the_answer) as fired:
        result = office.archive(2026, dest, unfinished=True)
    assert fired
    assert result.dest == dest.resolve() and (dest / "清单.json").is_file()
    assert run_json("-w", root, "verify", "--package", dest)["ok"] is True
    with sqlite3.connect(root / "lzdocs.db") as db:
        assert db.execute("SELECT package FROM year_closures").fetchone() == (str(dest.resolve()),)


def test_a_commit_that_cannot_be_confirmed_keeps_the_package_and_says_how_to_tell(tmp_path, make_form, monkeypatch):
    """The answer lost and the archive unreadable afterwards: the package stays (the year may well be closed by
    it), and the clerk is told how to find out."""
    from contextlib import contextmanager

    from lzdocs.errors import StoreError
    from lzdocs.office import Office
    from lzdocs.store import Store
    from lzdocs.store.db import DatabaseUnavailable

    root = _one_form_workspace(tmp_path, make_form)
    dest = tmp_path / "归档"

    def lose_it_and_the_archive(raw):
        if closing(tmp_path):
            @contextmanager
            def unreadable(self):
                raise StoreError("读写档案库时出错（磁盘或网络共享故障）")
                yield  # pragma: no cover

            monkeypatch.setattr(Store, "read", unreadable)
            raw.execute("COMMIT")
            raise sqlite3.OperationalError("disk I/O error")

    with (Office(root, today=TODAY) as office, at_commit(lose_it_and_the_archive),
          pytest.raises(DatabaseUnavailable) as caught):
        office.archive(2026, dest, unfinished=True)
    assert str(caught.value).startswith("与数据库的连接在提交时中断，2026 年度是否已经归档无法确定")
    assert "数据库恢复后运行 lzdocs status 查看" in str(caught.value)
    [kept] = tmp_path.glob(".归档*.part")  # kept aside: here the year is in fact closed by it
    assert (kept / "清单.json").is_file() and not dest.exists() and str(kept) in caught.value.hint
    with sqlite3.connect(root / "lzdocs.db") as db:
        assert db.execute("SELECT package FROM year_closures").fetchone() == (str(dest.resolve()),)
    # as the hint says, once the archive can be read: the same command puts in place the package the year was closed
    monkeypatch.undo()  # with
    done = run_json("-w", root, "archive", "--year", "2026", "--unfinished", dest)
    assert done["warnings"] == [
        f"2026 年度上次归档时已关闭，归档文件在放到位之前中断；现已放到 {dest.resolve()}（1 件，与当时的清单一致）"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["工作区", "归档"]
    assert run_json("-w", root, "verify", "--package", dest)["ok"] is True


def test_a_closed_package_never_put_in_place_is_placed_by_the_next_archive_wherever_it_goes(tmp_path, make_form,
                                                                                              monkeypatch):
    """Killed between the commit and the rename (here: the rename fails as a kill would leave it), with DEST made
    empty beforehand: the same command run again — without --unfinished, the year being closed — puts the package in
    place; an archive to another folder first puts the closed one where it was recorded, and says so."""
    import lzdocs.integrity.package as package

    root = _one_form_workspace(tmp_path, make_form)
    dest, other = tmp_path / "归档", tmp_path / "另一份"
    dest.mkdir()

    def killed(work, where, year):
        raise KeyboardInterrupt  # what stops the process there

    from lzdocs.office import Office

    monkeypatch.setattr(package, "_put_in_place", killed)
    with Office(root, today=TODAY) as office, pytest.raises(KeyboardInterrupt):
        office.archive(2026, dest, unfinished=True)
    monkeypatch.undo()
    [aside] = tmp_path.glob(".归档*.part")
    assert (aside / "清单.json").is_file() and not any(dest.iterdir())
    done = run_json("-w", root, "archive", "--year", "2026", other)  # the closed year: no --unfinished asked for
    said = f"2026 年度上次归档时已关闭，归档文件在放到位之前中断；现已放到 {dest.resolve()}"
    assert done["warnings"][0].startswith(said)
    assert (dest / "清单.json").is_file() and (other / "清单.json").is_file() and not aside.exists()
    for folder in (dest, other):
        assert run_json("-w", root, "verify", "--package", folder)["ok"] is True


def test_a_package_a_killed_archive_left_half_built_is_removed_by_the_next(tmp_path, make_form):
    """``kill -9`` while the package was being built leaves ``.<name>.<hex>.part`` beside it (copies of the
    originals): the next archive to that folder removes it, as nobody holds its lock; one being built is left."""
    from filelock import FileLock

    root = _one_form_workspace(tmp_path, make_form)
    dest = tmp_path / "归档"
    killed, building = tmp_path / ".归档.0badc0de.part", tmp_path / ".归档.1badc0de.part"
    for left in (killed, building):
        (left / "文件").mkdir(parents=True)
        left.with_suffix(".lock").touch()  # its lock, left behind with it
    with FileLock(tmp_path / ".归档.1badc0de.lock", timeout=0):  # as an archive building it holds it
        run_json("-w", root, "archive", "--year", "2026", "--unfinished", dest)
    assert not killed.exists() and building.is_dir() and (dest / "清单.json").is_file()


def _text_and_sheet_workspace(tmp_path, make_form):
    """A workspace holding a .docx form and an .xlsx form of 2026."""
    from lzdocs.workspace import Workspace
    from tests.ingest.invariant import assert_each_input_exactly_once

    root = _one_form_workspace(tmp_path, make_form)
    sheet = make_form(root / "inbox" / "国有资产管理处.xlsx", unit="国有资产管理处").read_bytes()
    run_cli("-w", root, "ingest", check=0)
    first = (root / "outbox" / "2026" / "收文" / "计划财务处" / "计财处.docx").read_bytes()
    assert_each_input_exactly_once(Workspace.open(root), [first, sheet])
    return root


def _archive_counting_runs(root, dest, monkeypatch, after=None) -> list[list[str]]:
    """``archive`` of 2026 to ``dest`` through the Office API, with the real LibreOffice: the files of each run
    (``after(files, outdir)`` once a run has ended, as LibreOffice would have left its outdir)."""
    import lzdocs.soffice as soffice
    from lzdocs.office import Office

    runs, real = [], soffice.convert_to

    def counted(program, files, fmt, outdir, *args, **kwargs):
        runs.append([p.name for p in files])
        done = real(program, files, fmt, outdir, *args, **kwargs)
        if after is not None:
            after(files, outdir)
        return done

    monkeypatch.setattr(soffice, "convert_to", counted)
    with Office(root, today=TODAY) as office:
        office.archive(2026, dest, unfinished=True)
    monkeypatch.undo()
    return runs


def test_text_and_spreadsheet_items_take_one_libreoffice_run(tmp_path, make_form, monkeypatch):
    """A year of .docx and .xlsx forms: their PDF/A-2b are made in one start of LibreOffice (then one for the 目录's,
    which needs their page counts); a run per kind cost a start of a second or more on a clerk's PC."""
    root = _text_and_sheet_workspace(tmp_path, make_form)
    dest = tmp_path / "归档"
    runs = _archive_counting_runs(root, dest, monkeypatch)
    assert [sorted(p.rsplit(".", 1)[1] for p in run) for run in runs] == [["docx", "xlsx"], ["xlsx"]]
    assert run_json("-w", root, "verify", "--package", dest)["ok"] is True  # every PDF is PDF/A-2b, pages agree


def test_a_libreoffice_that_exports_only_its_own_kind_is_run_again_for_the_other(tmp_path, make_form, monkeypatch):
    """A LibreOffice whose text-document export leaves a spreadsheet unconverted (here the PDF it made is taken
    away, as such a version leaves none): the spreadsheet is converted again by the spreadsheet filter, and the
    package is whole."""
    root = _text_and_sheet_workspace(tmp_path, make_form)
    dest = tmp_path / "归档"

    def as_an_older_version(files, outdir):
        if any(p.suffix == ".docx" for p in files):
            for p in files:
                if p.suffix == ".xlsx":
                    (outdir / f"{p.stem}.pdf").unlink()

    runs = _archive_counting_runs(root, dest, monkeypatch, after=as_an_older_version)
    assert [sorted(p.rsplit(".", 1)[1] for p in run) for run in runs] == [["docx", "xlsx"], ["xlsx"], ["xlsx"]]
    assert run_json("-w", root, "verify", "--package", dest)["ok"] is True

"""The 归档 package against a careless clerk (a folder in the inbox) and a 清单 written by someone else."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from lzdocs.integrity.package import verify_package
from lzdocs.integrity.package_check import manifest_text
from tests.conftest import SAMPLE_SCHOOL, run_cli, run_json


def package(folder, files: dict, items: list) -> None:
    """A package folder holding only its 清单.json and 清单.txt as given (no LibreOffice needed)."""
    folder.mkdir()
    data = {"format": "lzdocs-archive-package/1", "year": 2026, "items": items, "files": files}
    (folder / "清单.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    if isinstance(files, dict) and all(isinstance(e, dict) for e in files.values()):
        (folder / "清单.txt").write_text(manifest_text(files), encoding="utf-8")


@pytest.mark.parametrize("name", ["../外面.txt", "ABSOLUTE"])
def test_a_manifest_naming_a_file_outside_the_package_is_a_finding(tmp_path, name):
    outside = tmp_path / "外面.txt"
    outside.write_bytes(b"x")
    name = outside.as_posix() if name == "ABSOLUTE" else name
    package(tmp_path / "2026", {name: {"sha256": hashlib.sha256(b"x").hexdigest(), "size": 1}}, [])
    findings = [f.as_dict() for f in verify_package(tmp_path / "2026").findings]
    assert findings == [{"kind": "outside", "subject": name, "message": "清单中的路径指向归档文件夹以外，没有核对",
                         "last_good": None}]


@pytest.mark.parametrize("files, items", [({"a.pdf": "x"}, []), ({}, ["x"]), ({}, [{"reference": "x", "files": "x"}]),
                                          ([1, 2], [])])
def test_a_manifest_of_another_shape_is_one_finding_in_chinese(tmp_path, files, items):
    package(tmp_path / "2026", files, items)
    findings = [f.as_dict() for f in verify_package(tmp_path / "2026").findings]
    assert findings == [{"kind": "manifest", "subject": "清单.json",
                         "message": "清单无法读取（不是 lzdocs 归档清单）：无法核对这个归档文件夹", "last_good": None}]


@pytest.mark.parametrize("where, said", [("inbox/归档2026", "在收件文件夹"), ("outbox/2026/归档", "与工作区"),
                                         ("归档", "与工作区")])
def test_a_package_inside_the_inbox_or_the_workspace_is_refused(tmp_path, make_form, where, said):
    """ingest moves every file below the inbox: the package's forms would be taken in again, the rest returned.
    In the workspace, verify would take its files for files added to the archive, and every backup carry it."""
    root = tmp_path / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    make_form(root / "inbox" / "计财处.docx")
    run_cli("-w", root, "ingest", check=0)
    config = root / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('fonds = ""', 'fonds = "Z123"'), encoding="utf-8")
    proc = run_cli("-w", root, "archive", "--year", "2026", root / where, check=2)
    assert said in proc.stderr and "请把归档文件夹放在工作区和收件文件夹以外" in proc.stderr
    assert not (root / where).exists() and not list((root / where).parent.glob(".*.part"))
    assert run_json("-w", root, "verify")["findings"] == []


def test_a_catalogue_that_is_no_workbook_is_a_finding(tmp_path):
    """A 目录 replaced by another file, with the 清单 hashed again to match: named, not a traceback."""
    folder = tmp_path / "2026"
    folder.mkdir()
    (folder / "归档文件目录.xlsx").write_bytes(b"not a workbook")
    files = {"归档文件目录.xlsx": {"sha256": hashlib.sha256(b"not a workbook").hexdigest(), "size": 14}}
    items = [{"reference": "Z123-2026-Y-JW-0001", "files": {}}]
    (folder / "清单.json").write_text(json.dumps({"items": items, "files": files}), encoding="utf-8")
    (folder / "清单.txt").write_text(manifest_text(files), encoding="utf-8")
    findings = [(f.kind, f.subject, f.message) for f in verify_package(folder).findings]
    assert findings == [("catalogue", "归档文件目录.xlsx", "归档文件目录无法读取（不是 Excel 工作簿）：无法核对页数")]


@pytest.mark.soffice
def test_a_year_with_only_voided_numbers_has_nothing_to_archive_and_says_why(tmp_path):
    root = tmp_path / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    config = root / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('fonds = ""', 'fonds = "Z123"'), encoding="utf-8")
    number = run_json("-w", root, "letter", "suggestion", "--unit", "计财处", "--set", "事由=在检查中",
                      "--set", "问题=采购", "--set", "建议=完善")["number"]
    run_cli("-w", root, "void", number, "--reason", "主送单位写错", check=0)
    proc = run_cli("-w", root, "archive", "--year", "2026", tmp_path / "归档", check=2)
    assert ("错误：2026 年度没有可归档的文件：只有作废的文号 1 个（内工大纪建〔2026〕1号），作废文号不作为归档文件"
            in proc.stderr)
    assert not (tmp_path / "归档").exists()


def test_a_blank_page_count_in_the_catalogue_is_named_in_chinese(tmp_path):
    import pikepdf
    from openpyxl import Workbook

    folder = tmp_path / "2026"
    (folder / "文件").mkdir(parents=True)
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(folder / "文件" / "Z123-2026-Y-JW-0001.pdf")
    book = Workbook()
    book.active.append(["件号", "档号", "页数"])
    book.active.append(["0001", "Z123-2026-Y-JW-0001", None])
    book.save(folder / "归档文件目录.xlsx")
    files = {p.relative_to(folder).as_posix(): {"sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
                                                "size": p.stat().st_size} for p in folder.rglob("*") if p.is_file()}
    items = [{"reference": "Z123-2026-Y-JW-0001", "files": {"pdf": "文件/Z123-2026-Y-JW-0001.pdf"}}]
    (folder / "清单.json").write_text(json.dumps({"items": items, "files": files}), encoding="utf-8")
    (folder / "清单.txt").write_text(manifest_text(files), encoding="utf-8")
    findings = [(f.kind, f.message) for f in verify_package(folder).findings]
    assert findings == [("not_pdfa", "不是 PDF/A-2b（没有 PDF/A 标识）"), ("pages", "目录中页数为空，PDF 实有 1 页")]


@pytest.mark.skipif(os.name == "nt", reason="Windows file names are always Unicode")
def test_a_stray_file_whose_name_is_not_utf8_is_named_so_that_it_can_be_printed(tmp_path):
    package(tmp_path / "2026", {}, [])
    with open(os.fsencode(tmp_path / "2026") + b"/\xb2\xe2\xca\xd4.txt", "wb") as fh:
        fh.write(b"x")
    [finding] = verify_package(tmp_path / "2026").findings
    assert (finding.kind, finding.subject) == ("stray", "\\xb2\\xe2\\xca\\xd4.txt")
    finding.line().encode("utf-8")

"""Checking a 归档 package on any computer, without the workspace: hashes, files, 档号 sequence, PDF/A, 页数."""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from pathlib import Path, PurePosixPath

from lzdocs.fsutil import sha256_file
from lzdocs.integrity.findings import Finding, Report

PACKAGE_FORMAT = "lzdocs-archive-package/1"
MANIFEST, MANIFEST_TEXT = "清单.json", "清单.txt"  # the manifest does not list itself
CATALOGUE = "归档文件目录"
ITEMS_DIR = "文件"
REFERENCE_RE = re.compile(r"^(?P<class>.+-(?:Y|D30|D10)-[0-9A-Za-z]+)-(?P<seq>\d{4,})$")
PDFA = ("2", "B")  # pdfaid:part, pdfaid:conformance of PDF/A-2b


def manifest_text(files: dict[str, dict]) -> str:
    """清单.txt: one ``<sha256>  <path>`` line per file, as ``sha256sum -c 清单.txt`` reads it."""
    return "".join(f"{entry['sha256']}  {name}\n" for name, entry in files.items())


def verify_package(dest: str | Path) -> Report:
    """Check the package in ``dest``: every file of 清单.json present with its SHA-256 and size, no file it does not
    list, 清单.txt saying the same, the 档号 of each class numbered from 0001 without a gap, each PDF identified as
    PDF/A-2b in its XMP metadata, and the 页数 of the 归档文件目录 equal to each item's PDF's page count."""
    started = time.monotonic()
    dest = Path(dest)
    report = Report()
    try:
        manifest = json.loads((dest / MANIFEST).read_text(encoding="utf-8"))
        files, items = dict(manifest["files"]), list(manifest["items"])
        if not _well_formed(files, items):
            raise ValueError("not a package manifest")
    except (OSError, ValueError, KeyError, TypeError):
        what = "不存在" if not (dest / MANIFEST).is_file() else "无法读取（不是 lzdocs 归档清单）"
        report.findings.append(Finding("missing" if "不存在" in what else "manifest", MANIFEST,
                                       f"清单{what}：无法核对这个归档文件夹"))
        return _done(report, started)
    for name in [n for n in files if not _inside(n)]:  # never read a file outside the package on its say-so
        report.findings.append(Finding("outside", name, "清单中的路径指向归档文件夹以外，没有核对"))
    inside = {n: e for n, e in files.items() if _inside(n)}
    intact = _check_files(dest, inside, report)
    _check_listing(dest, files, report)
    _check_sequence(items, report)
    pages = _check_pdfs(dest, inside, intact, report)
    _check_catalogue(dest, items, pages, intact, report)
    report.checked = {"files": len(files), "items": len(items), "pdfs": len(pages)}
    return _done(report, started)


def _well_formed(files: dict, items: list) -> bool:
    """Each file entry a dict, each item a dict whose files are a dict: a manifest of any other shape is not ours."""
    return (all(isinstance(e, dict) for e in files.values())
            and all(isinstance(i, dict) and isinstance(i.get("files", {}), dict) for i in items))


def _inside(name: str) -> bool:
    """A relative ``/`` path that stays inside the package folder."""
    pure = PurePosixPath(name)
    return bool(name) and not pure.is_absolute() and ".." not in pure.parts and ":" not in name and "\\" not in name


def _done(report: Report, started: float) -> Report:
    report.seconds = time.monotonic() - started
    return report


def _check_files(dest: Path, files: dict, report: Report) -> set[str]:
    """Each listed file there with its size and SHA-256; returns the names found intact."""
    intact = set()
    for name, entry in files.items():
        path = dest / name
        if not path.is_file():
            report.findings.append(Finding("missing", name, "清单中列出的文件不见了：请从移交前的备份找回"))
        elif path.stat().st_size != entry.get("size") or sha256_file(path) != entry.get("sha256"):
            report.findings.append(Finding("changed", name, "文件内容与清单记录的 SHA-256 不符：归档后被改动过"))
        else:
            intact.add(name)
    return intact


def _check_listing(dest: Path, files: dict, report: Report) -> None:
    """No file the manifest does not list (reported, never removed), and 清单.txt the same as 清单.json."""
    for path in sorted(p for p in dest.rglob("*") if p.is_file()):
        name = path.relative_to(dest).as_posix()
        if name not in files and name not in (MANIFEST, MANIFEST_TEXT):
            shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")  # a GBK name on Linux
            report.findings.append(Finding("stray", shown, "清单中没有这个文件：归档后被放进来的，请核实来历"))
    try:
        text = (dest / MANIFEST_TEXT).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = None
    if text != manifest_text(files):
        what = "不见了" if text is None else "与 清单.json 不一致"
        report.findings.append(Finding("missing" if text is None else "changed", MANIFEST_TEXT,
                                       f"{MANIFEST_TEXT}{what}：以 清单.json 为准"))


def _check_sequence(items: list[dict], report: Report) -> None:
    """Within each class (全宗号-年度-保管期限-机构), 件号 0001, 0002 … with no gap and no repeat."""
    seqs: dict[str, list[int]] = defaultdict(list)
    for item in items:
        m = REFERENCE_RE.match(str(item.get("reference", "")))
        if m is None:
            report.findings.append(Finding("reference", str(item.get("reference")), "不是规范的档号"))
            continue
        seqs[m["class"]].append(int(m["seq"]))
    for prefix, numbers in seqs.items():
        expected = list(range(1, len(numbers) + 1))
        if sorted(numbers) != expected:
            gaps = sorted(set(expected) - set(numbers))
            where = f"缺 {'、'.join(f'{n:04d}' for n in gaps)}" if gaps else "有重号"
            report.findings.append(Finding("sequence", prefix, f"件号不连续（{where}）"))


def pdfa_of(pdf) -> tuple[str, str]:
    """(pdfaid:part, pdfaid:conformance) of an open pikepdf PDF, as its XMP says them (empty when it does not)."""
    meta = pdf.open_metadata()
    return str(meta.get("pdfaid:part", "")), str(meta.get("pdfaid:conformance", "")).upper()


def _check_pdfs(dest: Path, files: dict, intact: set[str], report: Report) -> dict[str, int]:
    """Each intact PDF identified as PDF/A-2b (pdfaid:part and pdfaid:conformance in its XMP); returns page counts."""
    import pikepdf

    pages = {}
    for name in files:
        if not name.lower().endswith(".pdf") or name not in intact:
            continue
        try:
            with pikepdf.open(dest / name) as pdf:
                found = pdfa_of(pdf)
                pages[name] = len(pdf.pages)
        except (pikepdf.PdfError, OSError) as exc:
            report.findings.append(Finding("pdf", name, f"PDF 无法打开（{type(exc).__name__}）"))
            continue
        if found != PDFA:
            shown = f"PDF/A-{found[0]}{found[1].lower()}" if found[0] else "没有 PDF/A 标识"
            report.findings.append(Finding("not_pdfa", name, f"不是 PDF/A-2b（{shown}）"))
    return pages


def _check_catalogue(dest: Path, items: list[dict], pages: dict[str, int], intact: set[str], report: Report) -> None:
    """The 归档文件目录 (.xlsx) lists every item once, with the page count of the item's PDF."""
    name = f"{CATALOGUE}.xlsx"
    if name not in intact:
        return  # already reported as missing or changed
    from zipfile import BadZipFile

    from openpyxl.utils.exceptions import InvalidFileException

    try:
        listed = catalogue_pages(dest / name)
    except (BadZipFile, InvalidFileException, KeyError, ValueError, TypeError, OSError):  # not a workbook
        report.findings.append(Finding("catalogue", name, f"{CATALOGUE}无法读取（不是 Excel 工作簿）：无法核对页数"))
        return
    for item in items:
        ref, pdf = item.get("reference"), item.get("files", {}).get("pdf")
        if ref not in listed:
            report.findings.append(Finding("catalogue", name, f"目录中没有 {ref}"))
        elif pdf in pages and listed[ref] != pages[pdf]:
            shown = "空" if listed[ref] is None else f" {listed[ref]}"
            report.findings.append(Finding("pages", pdf, f"目录中页数为{shown}，PDF 实有 {pages[pdf]} 页"))
    for ref in sorted(set(listed) - {i.get("reference") for i in items}):
        report.findings.append(Finding("catalogue", name, f"目录中的 {ref} 不在清单中"))


def catalogue_pages(path: Path) -> dict[str, int | None]:
    """档号 → 页数 of every row of the 归档文件目录 (every sheet; the header row found by its labels)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        found: dict[str, int | None] = {}
        for sheet in book.worksheets:
            columns = None
            for row in sheet.iter_rows(values_only=True):
                cells = [str(c).strip() if c is not None else "" for c in row]
                if columns is None:
                    columns = (cells.index("档号"), cells.index("页数")) if {"档号", "页数"} <= set(cells) else None
                elif len(cells) > max(columns) and REFERENCE_RE.match(cells[columns[0]]):
                    value = row[columns[1]]
                    found[cells[columns[0]]] = int(value) if isinstance(value, (int, float)) else None
        return found
    finally:
        book.close()

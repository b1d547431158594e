"""The year's 归档 package (docs/product.md §12.3): each item as its original and as PDF/A-2b named by its 档号, the
归档文件目录 (.xlsx and PDF), a manifest of SHA-256s; then the year is closed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from glob import escape as glob_escape
from pathlib import Path
from typing import TYPE_CHECKING

from lzdocs.errors import ConfigError, LzdocsError, describe_os_error
from lzdocs.fsutil import (
    display_path,
    fit_name,
    fsync_dir,
    is_undecodable,
    name_max,
    scratch_folder,
    sha256_file,
    write_atomic,
)
from lzdocs.integrity.backup import WorkLock, outside, remove_unheld
from lzdocs.integrity.items import PERIODS, Item, Scheme, choose_summary, plan_items
from lzdocs.integrity.manifest import record_written
from lzdocs.integrity.package_check import (
    CATALOGUE,
    ITEMS_DIR,
    MANIFEST,
    MANIFEST_TEXT,
    PACKAGE_FORMAT,
    PDFA,
    manifest_text,
    pdfa_of,
    verify_package,
)
from lzdocs.store import files

if TYPE_CHECKING:
    from lzdocs.store import Store
    from lzdocs.workspace import Workspace

__all__ = ["PackageResult", "build_package", "reopen_year", "verify_package"]

Progress = Callable[[int, int, str], None]
WRITER_SUFFIXES = (".docx", ".docm", ".doc", ".wps", ".rtf", ".odt")  # the rest (.xlsx, .xls, .et …): spreadsheets
PDFA_OPTIONS = '{"SelectPdfVersion":{"type":"long","value":"2"}}'  # PDF/A-2b (LibreOffice's PDF export filter)
CHUNK = 20  # documents per LibreOffice run: fewer starts, and the progress still moves
CATALOGUE_COLUMNS = (("件号", 6, "center"), ("档号", 22, "center"), ("文号", 20, "center"), ("责任者", 18, "text"),
                     ("题名", 40, "text"), ("日期", 10, "center"), ("页数", 6, "number"), ("备注", 24, "text"))


@dataclass
class PackageResult:
    """A package written: where, its items in order, the 作废 numbers left out, and the manifest's SHA-256."""

    year: int
    dest: Path
    items: list[Item]
    voided: list[dict]
    manifest_sha256: str
    seconds: float
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Items per 保管期限, in the classes' order."""
        return {p: n for p in PERIODS if (n := sum(1 for i in self.items if i.period == p))}

    def as_dict(self) -> dict:
        return {"year": self.year, "dest": str(self.dest), "items": [_item_record(i) for i in self.items],
                "counts": self.counts(), "voided": self.voided, "manifest_sha256": self.manifest_sha256,
                "seconds": round(self.seconds, 1), "warnings": self.warnings}


def build_package(ws: Workspace, store: Store, year: int, dest: Path, *, now, defaults: dict,
                  progress: Progress | None = None, timeout: float = 120,
                  summary: Path | None = None, finalise: Callable[[Path], object] | None = None) -> PackageResult:
    """Write ``year``'s package to ``dest`` (a folder that does not exist or is empty), built in a folder beside it
    and renamed when whole; then close the year. The closing transaction plans the items again: a form or document
    that arrived while the package was being built stops it (nothing is closed, nothing is left). The 总结 is the
    one ``choose_summary`` takes (``summary``: the clerk's choice); one lzdocs did not write is recorded first, and
    one edited since it was written is recorded as the 定稿 by ``finalise`` (``summary --final``'s)."""
    from lzdocs.documents.pdf import NOT_FOUND, find_soffice
    from lzdocs.store.years import close_year

    started = time.monotonic()
    dest = Path(dest).resolve()
    # not in the workspace: verify would take the package's files for files added to the archive, and each backup
    # would carry it; nor in the inbox
    outside(ws, dest, "归档文件夹", "归档文件", "请把归档文件夹放在工作区和收件文件夹以外，如 D:/归档/2026")
    _check_destination(dest)
    scheme = Scheme.from_settings(ws.settings, defaults)
    finished, placed = _finish_placing(ws, store, year, dest, scheme, started)  # (its folder empty or not there:
    if finished is not None:                                                      # passed the check)
        return finished
    _remove_killed_packages(store, dest)
    if find_soffice() is None:
        raise ConfigError(NOT_FOUND.replace("没有生成 PDF", "不能生成归档所需的 PDF/A 文件"))
    with store.read() as conn:
        summary, summary_note = choose_summary(conn, ws, year, summary)
        row = files.recorded(conn, ws.relative(summary)) if summary is not None else None
    if summary is not None and row is None:  # the clerk's own 总结, named with --summary: in the manifest, as
        record_written(store, ws.relative, [(summary, "summary")])  # verify expects of archived files
    elif summary is not None and finalise is not None and sha256_file(summary) != row["sha256"]:
        # edited in place since lzdocs wrote it — how a 总结 is finished: recorded as the 定稿 it is, or the closed
        # year's verify would name it changed for good (and backups leave it out)
        finalise(summary)
        edited = f"总结 {summary.name} 在生成后修改过，已登记为定稿后归档"
        summary_note = f"{summary_note}；{edited}" if summary_note else edited
    with store.read() as conn:
        items, voided = plan_items(conn, ws, year, scheme, summary)
    if not items and voided:
        numbers = "、".join(v["number"] for v in voided[:5]) + ("等" if len(voided) > 5 else "")
        raise ConfigError(f"{year} 年度没有可归档的文件：只有作废的文号 {len(voided)} 个（{numbers}），"
                          "作废文号不作为归档文件")
    if not items:
        raise ConfigError(f"{year} 年度没有可归档的文件（没有收到的表格，也没有发出的文书）")
    report = progress or (lambda i, total, name: None)
    # hidden, beside it, within the file system's limit however long the name the clerk chose (a name of 249 bytes
    # was refused, the message naming this folder's)
    work = dest.parent / fit_name(f".{dest.name}", f".{uuid.uuid4().hex[:8]}.part", name_max(dest.parent))
    work.mkdir()
    writing = WorkLock(_lock(work))  # held while it is built: a package a killed archive left is nobody's
    writing.take()
    keep = False  # the year closed with it
    try:
        warnings = placed + [summary_note] * bool(summary_note) + _copy_originals(items, work / ITEMS_DIR, report)
        _make_pdfs(items, work / ITEMS_DIR, timeout, report)
        _write_catalogue(items, work, year, ws.school, voided, timeout, now().date())
        manifest = _write_manifest(work, year, scheme, items, voided, now())
        report(2 * len(items) + 1, 2 * len(items) + 1, "清单")
        _sync_files(work)  # before the closing transaction
        _check_destination(dest)  # still free: taken once the year is closed
        # The year is closed first, the package takes its name after: a package that looks finished never stands
        # while the year is open (new letters would still be dated into it). Killed between the two, the next
        # ``archive`` of the year to the same folder puts it in place (``_finish_placing``).
        try:
            with store.begin() as conn:
                again, _ = plan_items(conn, ws, year, scheme, summary)
                if [(i.key, i.sha256) for i in again] != [(i.key, i.sha256) for i in items]:
                    raise LzdocsError(f"打包期间 {year} 年度又有新的收文或文书，本次归档没有完成",
                                      hint=f"请再运行一次 lzdocs archive --year {year} {dest}")
                close_year(conn, year, at=now(), package=str(dest), items=len(items), manifest_sha256=manifest)
                store.log(conn, "archive", str(year), after={"package": str(dest), "items": len(items),
                                                             "manifest_sha256": manifest, "voided": len(voided)})
        except BaseException:
            # The commit failed (the database server stopped, a disk error) — unless it went through and only its
            # answer was lost: then the year is closed with this very package, which is put in place below.
            closed = _closed_with(store, year, dest)
            if closed is False:
                raise
            if closed is None:  # cannot tell: the package is kept aside, for the clerk to decide
                from lzdocs.store.db import DatabaseUnavailable

                keep = True
                raise DatabaseUnavailable(
                    f"与数据库的连接在提交时中断，{year} 年度是否已经归档无法确定",
                    hint=f"数据库恢复后运行 lzdocs status 查看：显示已归档，再运行一次 lzdocs archive --year {year} "
                         f"{dest} 即可把归档文件（现在在 {work}）放到位；未归档，请删除 {work} 后重新归档") from None
        keep = True  # the year is closed with it: never removed
        writing.done()
        _put_in_place(work, dest, year)
    except BaseException:
        writing.done()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
        raise
    return PackageResult(year, dest, items, voided, manifest, time.monotonic() - started, warnings)


def _lock(work: Path) -> Path:
    """The lock beside a package being built (``.<name>.<hex>.lock``, as long as its name), held by the archive
    building it."""
    return work.with_name(work.name.removesuffix(".part") + ".lock")


def _work_of(lock: Path) -> Path:
    """The package folder a lock (:func:`_lock`) is beside."""
    return lock.with_name(lock.name.removesuffix(".lock") + ".part")


def _remove_killed_packages(store: Store, dest: Path) -> None:
    """The folders archives to ``dest`` killed while building left beside it (``.<name>.<hex>.part``, copies of the
    originals): removed when nobody holds their lock (``backup.remove_unheld``) — never a package a year was closed
    with (``archive`` to its own folder puts it in place)."""
    from lzdocs.store.years import closures

    with store.read() as conn:
        closing = {row["manifest_sha256"] for row in closures(conn)}
    remove_unheld([lock for lock in dest.parent.glob(f".{glob_escape(dest.name[:16])}*.{'[0-9a-f]' * 8}.lock")
                   if _manifest_sha(_work_of(lock)) not in closing], _work_of)


def _manifest_sha(work: Path) -> str | None:
    """The SHA-256 of a package folder's 清单.json; None when it has none (yet)."""
    try:
        return hashlib.sha256((work / MANIFEST).read_bytes()).hexdigest()
    except OSError:
        return None


def _finish_placing(ws: Workspace, store: Store, year: int, dest: Path, scheme: Scheme,
                    started: float) -> tuple[PackageResult | None, list[str]]:
    """The package ``year`` was closed with, if it never took its name (the archive killed between the commit and
    the rename): put in place now, at the folder recorded — found beside it by its 清单's SHA-256. Returns the result
    when that folder is ``dest`` (the same command run again: the archive done), else (None, the 提醒 of it)."""
    from lzdocs.store.years import closure

    with store.read() as conn:
        row = closure(conn, year)
    if row is None:
        return None, []
    recorded = Path(row["package"])
    if recorded.exists() and not (recorded.is_dir() and not any(recorded.iterdir())):
        return None, []  # in place (or something else there: no package to put)
    for work in sorted(recorded.parent.glob(f".{glob_escape(recorded.name[:16])}*.part")):
        if (digest := _manifest_sha(work)) == row["manifest_sha256"]:
            _put_in_place(work, recorded, year)
            manifest = json.loads((recorded / MANIFEST).read_text(encoding="utf-8"))
            said = (f"{year} 年度上次归档时已关闭，归档文件在放到位之前中断；现已放到 {recorded}"
                    f"（{len(manifest.get('items', []))} 件，与当时的清单一致）")
            if recorded != dest:
                return None, [said]
            with store.read() as conn:
                items, voided = plan_items(conn, ws, year, scheme, None)
            return PackageResult(year, dest, items, voided, digest, time.monotonic() - started, [said]), []
    return None, []


def _closed_with(store: Store, year: int, dest: Path) -> bool | None:
    """``year`` is closed by the package at ``dest``; None when the archive cannot be read to tell."""
    from lzdocs.store.years import closure

    try:
        with store.read() as conn:
            row = closure(conn, year)
    except LzdocsError:
        return None
    return row is not None and row["package"] == str(dest)


def reopen_year(store: Store, year: int, reason: str) -> dict:
    """Open a closed year again (its forms and documents can change; archive it again afterwards), as an event."""
    from lzdocs.store.years import closure
    from lzdocs.store.years import reopen_year as reopen

    with store.begin() as conn:
        row = closure(conn, year)
        if row is None:
            raise ConfigError(f"{year} 年度没有归档，不需要重新打开", hint=f"归档：lzdocs archive --year {year} 文件夹")
        at = store.now()
        reopen(conn, year, at=at, reason=reason)
        store.log(conn, "reopen", str(year), before={"closed_at": row["closed_at"], "package": row["package"]},
                  after={"reopened_at": at, "reason": reason})
    return {"year": year, "closed_at": row["closed_at"].isoformat(timespec="seconds"), "package": row["package"],
            "reopened_at": at.isoformat(timespec="seconds"), "reason": reason}


def _check_destination(dest: Path) -> None:
    if is_undecodable(str(dest)):  # recorded with the closure, named in the 移交 paper: a name every system reads
        raise ConfigError(f"归档文件夹“{display_path(str(dest))}”的路径不是 UTF-8 编码（可能是从 GBK 系统建的文件夹）",
                          hint="请换一个用中文或英文新建的文件夹作为归档文件夹")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        what = "是一个文件" if not dest.is_dir() else "里已经有文件"
        raise ConfigError(f"归档文件夹“{dest}”{what}", hint="请写一个新的（或空的）文件夹，归档文件会全部写在里面")
    if not dest.parent.is_dir():
        raise ConfigError(f"归档文件夹的上一级“{dest.parent}”不存在", hint="请先建好上一级文件夹，或换一个位置")


def _copy_originals(items: list[Item], folder: Path, report: Progress) -> list[str]:
    """Each item's original, named by its 档号; a file whose bytes differ from those recorded is a warning."""
    folder.mkdir()
    warnings, total = [], 2 * len(items) + 1
    for n, item in enumerate(items, 1):
        report(n, total, item.reference)
        name = f"{item.reference}{item.source.suffix.lower()}"
        digest = hashlib.sha256()
        with open(item.source, "rb") as src, open(folder / name, "xb") as out:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)
        if item.sha256 and digest.hexdigest() != item.sha256:
            warnings.append(f"{item.reference}（{item.source.name}）与登记时记录的 SHA-256 不同：文件在登记后被改动过，"
                            "已按现在的内容归档；请用 lzdocs verify 核查")
        item.files["original"] = f"{ITEMS_DIR}/{name}"
    return warnings


def _make_pdfs(items: list[Item], folder: Path, timeout: float, report: Progress) -> None:
    """PDF/A-2b of every item: one LibreOffice run per chunk of documents, text and spreadsheets together (its PDF
    export serves both, whatever the filter is named after: a year of .docx and .xlsx forms pays one start, not two).
    A document that run left without a PDF/A-2b — a LibreOffice that exports by that filter its own kind alone — is
    converted again by its own kind's filter, and a missing one is then an error."""
    import pikepdf

    def pdf_of(item: Item) -> Path:
        return folder / f"{item.reference}.pdf"

    done = len(items)
    for start in range(0, len(items), CHUNK):
        chunk = items[start:start + CHUNK]
        first = "writer" if any(_app_of(i) == "writer" for i in chunk) else "calc"
        to_pdfa([_original(folder, i) for i in chunk], folder, first, timeout + 10 * len(chunk), missing_ok=True)
        for app in ("writer", "calc"):
            again = [i for i in chunk if _app_of(i) == app and not _is_pdfa(pdf_of(i))]
            if again:
                to_pdfa([_original(folder, i) for i in again], folder, app, timeout + 10 * len(again))
        for item in chunk:
            done += 1
            report(done, 2 * len(items) + 1, item.reference)
            item.files["pdf"] = f"{ITEMS_DIR}/{item.reference}.pdf"
            with pikepdf.open(pdf_of(item)) as pdf:
                item.pages = len(pdf.pages)


def _app_of(item: Item) -> str:
    """The LibreOffice module of an item's original: writer (text) or calc (spreadsheet)."""
    return "writer" if item.source.suffix.lower() in WRITER_SUFFIXES else "calc"


def _original(folder: Path, item: Item) -> Path:
    return folder / Path(item.files["original"]).name


def _is_pdfa(path: Path) -> bool:
    """Is ``path`` a PDF identified as PDF/A-2b, as ``verify --package`` checks it?"""
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            return pdfa_of(pdf) == PDFA
    except (pikepdf.PdfError, OSError):
        return False


def to_pdfa(files: list[Path], outdir: Path, app: str, timeout: float, *, missing_ok: bool = False) -> None:
    """Convert ``files`` to PDF/A-2b in ``outdir`` (named after each file's stem); ``app``: writer or calc, the
    filter's name (``missing_ok``: a file LibreOffice did not convert is no error; the caller looks)."""
    from lzdocs.documents.pdf import PdfError
    from lzdocs.soffice import SofficeFailed, SofficeTimeout, convert_to, find_soffice, font_substitution

    with scratch_folder("lzdocs-pdfa-") as tmp:
        made = Path(tmp) / "out"
        try:
            convert_to(find_soffice(), files, f"pdf:{app}_pdf_Export:{PDFA_OPTIONS}", made, Path(tmp) / "profile",
                       timeout, env=font_substitution(Path(tmp)))
        except SofficeTimeout:
            raise PdfError(f"LibreOffice 转换 PDF/A 超过 {timeout:g} 秒仍未完成，已停止",
                           hint="电脑较忙或文件有问题；请稍后重试") from None
        except SofficeFailed as exc:
            raise PdfError(f"LibreOffice 转换 PDF/A 失败：{exc}", hint="请检查 LibreOffice 是否安装完整") from None
        for path in files:
            pdf = made / f"{path.stem}.pdf"
            if pdf.is_file():
                shutil.move(pdf, outdir / pdf.name)
            elif not missing_ok:
                raise PdfError(f"LibreOffice 没能把 {path.name} 转换为 PDF/A",
                               hint="请用 WPS/Word/Excel 打开原件检查，另存后放回原处再归档")


def _write_catalogue(items: list[Item], folder: Path, year: int, school: str, voided: list[dict],
                     timeout: float, day: dt.date) -> None:
    """归档文件目录: a sheet per class (保管期限), A4 as the registers print, and its PDF/A."""
    from lzdocs.documents.xlsx_writer import Column, StreamingBook

    columns = [Column(label, width, style) for label, width, style in CATALOGUE_COLUMNS]
    book = StreamingBook(f"{CATALOGUE}.xlsx", day)
    sheets = []
    for period in PERIODS:
        rows = [i for i in items if i.period == period]
        if not rows:
            continue
        sheets.append(sheet := book.add_sheet(
            period, columns, title=f"{school}{year}年归档文件目录（{period}）", autofilter=False,
            subtitle=f"全宗号 {rows[0].reference.split('-')[0]}　年度 {year}　保管期限 {period}　共 {len(rows)} 件"))
        for item in rows:
            sheet.append([f"{item.seq:04d}", item.reference, item.number, item.author, item.title,
                          f"{item.date:%Y%m%d}", item.pages, item.note])
    if voided:  # under the first class's items, where an archivist reads the 目录 from
        sheets[0].append(["", "", "", "", _voided_note(voided), "", "", ""])
    book.save(folder / f"{CATALOGUE}.xlsx")
    to_pdfa([folder / f"{CATALOGUE}.xlsx"], folder, "calc", timeout)


def _voided_note(voided: list[dict]) -> str:
    """What an archivist looks for at a gap in the 文号: which numbers were voided, when and why (not items)."""
    return "说明：以下文号已作废，不作为归档文件：" + "；".join(
        f"{v['number']}（{v['voided'] or ''}作废，{v['reason'] or '未写原因'}）" for v in voided)


def _write_manifest(folder: Path, year: int, scheme: Scheme, items: list[Item], voided: list[dict], at) -> str:
    """清单.json (every file's SHA-256 and size, the items) and 清单.txt (the same hashes in ``sha256sum`` form, for
    checking with the usual tools); returns the SHA-256 of 清单.json."""
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        files[path.relative_to(folder).as_posix()] = {"sha256": sha256_file(path), "size": path.stat().st_size}
    data = {"format": PACKAGE_FORMAT, "year": year, "fonds": scheme.fonds, "organ": scheme.organ,
            "created": at.isoformat(timespec="seconds"), "items": [_item_record(i) for i in items],
            "voided": voided, "files": files}
    body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    write_atomic(folder / MANIFEST, body)
    write_atomic(folder / MANIFEST_TEXT, manifest_text(files).encode("utf-8"))
    return hashlib.sha256(body).hexdigest()


def _item_record(item: Item) -> dict:
    return {"reference": item.reference, "seq": item.seq, "period": item.period, "kind": item.kind,
            "number": item.number, "author": item.author, "title": item.title, "date": item.date.isoformat(),
            "pages": item.pages, "note": item.note, "files": dict(item.files)}


def _sync_files(work: Path) -> None:
    """Every file of the package on disk."""
    for path in work.rglob("*"):
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())


def _put_in_place(work: Path, dest: Path, year: int) -> None:
    """The finished folder (its files synced) takes ``dest``'s name (an empty folder there is removed first). The
    year is closed with it: a failure leaves it aside, and says where."""
    try:
        if dest.exists():
            dest.rmdir()  # checked empty; refused by the OS if a file arrived since
        os.rename(work, dest)
        fsync_dir(dest.parent)
    except OSError as exc:
        raise LzdocsError(f"{year} 年度已归档关闭，但归档文件没能放到“{dest}”（{describe_os_error(exc)}）："
                          f"它在“{work}”",
                          hint=f"请腾空“{dest}”后再运行一次 lzdocs archive --year {year} \"{dest}\"，"
                               "或把这个文件夹改名为它") from exc

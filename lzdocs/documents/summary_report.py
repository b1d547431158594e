"""``lzdocs summary``: the year's numbers, the charts and the report written under a new name; the 上报 package."""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lzdocs.documents.summary import YearSummary, figures_digest
from lzdocs.settings import date_setting
from lzdocs.textutil import chinese_date

if TYPE_CHECKING:
    from lzdocs.documents.publicity_post import Posting
    from lzdocs.documents.summary_final import FinalResult
    from lzdocs.office import Office
    from lzdocs.workspace import Workspace

log = logging.getLogger("lzdocs.summary")
SUMMARY_DIR, PACKAGE_DIR = "总结", "上报"
FINAL_MARK = "（定稿）"  # in the names of the PDF and the 上报 folder made from a 定稿, beside a draft's
SUMMARY_EVENT = "summary"  # events.action of a 总结 written: {"year", "today", "figures"} (``figures_digest``)
CONTENTS = "清单.txt"
FINAL_FILES_EVENT = "summary_final_files"  # events.action: the PDF and 上报 files made from a 定稿 {"year", "files"}


@dataclass
class SummaryResult:
    year: int
    file: Path  # the report (.docx)
    numbers: YearSummary
    pdf: Path | None = None
    package: Path | None = None  # the 上报 folder
    archive: Path | None = None  # the same as a .zip
    contents: list[Path] = field(default_factory=list)  # the files of the package, 清单 last
    warnings: list[str] = field(default_factory=list)

    def as_dict(self, relative) -> dict:
        return {"year": self.year, "file": relative(self.file), "pdf": relative(self.pdf) if self.pdf else None,
                "package": relative(self.package) if self.package else None,
                "archive": relative(self.archive) if self.archive else None,
                "contents": [p.name for p in self.contents], "warnings": self.warnings}


def write_report(office: Office, year: int, flags: list[dict], *, pdf: bool, package: bool) -> SummaryResult:
    from lzdocs.documents.summary import year_summary
    from lzdocs.dynamics.changes import threshold_of

    ws = office.ws
    with office.store.read() as conn:
        roster = ws.roster()
        numbers = year_summary(conn, year, office.today, roster=roster, deadline=ws.settings.deadline(year),
                               threshold=threshold_of(ws.settings))
    figures = figures_digest(numbers)
    numbers.quality = flags
    warnings: list[str] = _early(numbers)
    target = _write_docx(ws, numbers, warnings)
    result = SummaryResult(year, target, numbers, warnings=warnings)
    committing: list[bool] = []
    try:
        if pdf:
            result.pdf = _pdf(ws, target, warnings)
        if package:
            _package(office, result)
            result.warnings.extend(_finished_before(office, year))
        _record(office, result, figures, committing)
    except BaseException:
        if not committing:  # (failed at the commit, it may have been recorded all the same: kept)
            _remove_unrecorded(result)
        raise
    for text in warnings:
        log.warning("%s", text)
    return result


def _record(office: Office, result: SummaryResult, figures: str, committing: list[bool]) -> None:
    """The report, its PDF and the 上报 package in the manifest (docs/product.md §12.1), and an event with the day
    its numbers were counted on and their fingerprint, by which ``lzdocs archive`` tells whether they still hold:
    one transaction. ``committing`` is given True as it commits."""
    from lzdocs.integrity.manifest import written_entries
    from lzdocs.store import files

    entries = written_entries(office.store, office.ws.relative, [(result.file, "summary"), *_made(result)])
    with office.store.begin() as conn:
        files.record_many(conn, entries)
        office.store.log(conn, SUMMARY_EVENT, office.ws.relative(result.file), after={
            "year": result.year, "today": result.numbers.today.isoformat(), "figures": figures,
            "units": len(result.numbers.on_time) + len(result.numbers.late), "points": result.numbers.total})
        committing.append(True)


def with_final(office: Office, final: FinalResult, *, pdf: bool, package: bool) -> None:
    """The PDF of the 定稿 just recorded and the 上报 package made from it (as ``write_report`` makes them from a new
    summary: the 上报 material is the office's finished text, not a new draft), recorded in one transaction; what
    could not be recorded is removed, the 定稿 kept."""
    from lzdocs.errors import ConfigError
    from lzdocs.integrity.items import stale_numbers
    from lzdocs.integrity.manifest import written_entries
    from lzdocs.store import files

    with office.store.read() as conn:
        stale = stale_numbers(conn, office.ws, final.year, final.file)
    if stale:  # 上报 material whose report disagrees with the 汇总表 made beside it: none, as archive would refuse
        raise ConfigError(f"定稿 {final.file.name} 已登记，但其中的数字已经过时（{stale}），没有用它生成"
                          + "、".join(["PDF"] * pdf + ["上报材料"] * package),
                          hint=f"请运行 lzdocs summary --year {final.year} 重新生成，按新的数字改好后再用 "
                               "lzdocs summary --final 文件 --package 登记并生成上报材料")
    committing: list[bool] = []
    try:
        if pdf:  # beside the draft's PDF (a summary edited in place has the same name): told apart by name, unless
            # the clerk's own name says 定稿 already (定稿.docx, 总结(定稿).docx)
            from lzdocs.fsutil import fit_name, name_max

            # the mark kept whole at the name's limit (cut from the clerk's words before it), with room for _01
            stem = final.file.stem if "定稿" in final.file.stem else fit_name(
                final.file.stem, FINAL_MARK, name_max(final.file.parent) - len("_00.pdf"))
            final.pdf = _pdf(office.ws, final.file, final.warnings, stem)
        if package:
            _package(office, final, f"{PACKAGE_DIR}{FINAL_MARK}")
            final.warnings.extend(_other_packages(final.package, final.archive))
        entries = written_entries(office.store, office.ws.relative, _made(final))
        if entries:
            with office.store.begin(year=final.year) as conn:
                files.record_many(conn, entries)
                office.store.log(conn, FINAL_FILES_EVENT, office.ws.relative(final.file), after={
                    "year": final.year, "files": [e["path"] for e in entries]})
                committing.append(True)
    except BaseException:
        if not committing:
            _remove_unrecorded(final, keep=final.file)
        raise


def _made(result: SummaryResult | FinalResult) -> list[tuple[Path, str]]:
    """What a run made beside the report, with its role in the manifest: the PDF, the 上报 files and .zip."""
    made = [(result.pdf, "pdf")] * bool(result.pdf)
    return made + [(path, "package") for path in [*result.contents, *([result.archive] if result.archive else [])]]


def _remove_unrecorded(result: SummaryResult | FinalResult, keep: Path | None = None) -> None:
    """What this run wrote, when it could not be recorded (the database server gone, Ctrl-C): files under names
    reserved for them seconds ago, which ``verify`` would call foreign and ``archive`` would offer as the 总结 —
    the next run writes them again. The registers it rewrote are recorded on their own; ``keep``: the 定稿 the
    clerk gave, recorded before."""
    for path in [*([result.file] if result.file != keep else []), *(path for path, _ in _made(result))]:
        path.unlink(missing_ok=True)
    if result.package is not None:
        try:
            result.package.rmdir()
        except OSError:  # not empty: something the clerk put there meanwhile stays, with its folder
            pass


def charts_of(s: YearSummary, warnings: list[str]) -> dict[str, list[bytes]]:
    """The two charts, each in the parts a page holds (the units of a large school: ``levels_per_unit_parts``);
    none when there is nothing to draw."""
    from lzdocs.documents import charts
    from lzdocs.forms.values import LEVEL_NAMES

    out = {}
    if s.by_unit:
        out["levels"] = charts.levels_per_unit_parts(s.by_unit, LEVEL_NAMES, warnings)
    if s.previous is not None:
        out["years"] = [charts.year_over_year(list(s.history), s.history, LEVEL_NAMES, warnings)]
    return out


def _write_docx(ws: Workspace, s: YearSummary, warnings: list[str]) -> Path:
    """Written beside under a hidden temporary name, then moved onto a free name in one step: an earlier summary
    (the clerk may have edited it) is never replaced — the new one takes ``_01``, ``_02`` … — and a process killed
    midway leaves no empty file under a real name, which ``archive`` would take for a 总结."""
    from lzdocs.documents.summary_doc import write_summary
    from lzdocs.fsutil import place_new

    charts = charts_of(s, warnings)
    issuer = ws.settings.text("organisation", "issuer") or ws.school
    return place_new(ws.year_dir(s.year) / SUMMARY_DIR, f"{s.year}年度廉政风险防控工作总结", ".docx",
                     lambda path: write_summary(path, s, school=ws.school, issuer=issuer, charts=charts))


def _pdf(ws: Workspace, docx: Path, warnings: list[str], stem: str | None = None) -> Path | None:
    """The PDF of ``docx`` beside it, named ``stem`` (else as the document), ``_01`` … when taken."""
    from lzdocs.documents.pdf import NOT_FOUND, PdfError, find_soffice, font_warnings, to_pdf_many

    if find_soffice() is None:
        warnings.append(NOT_FOUND)
        return None
    try:
        [made] = to_pdf_many([docx], docx.parent, float(ws.settings.get("letters", "pdf_timeout", 120)),
                             [stem or docx.stem])
    except PdfError as exc:
        warnings.append(f"PDF 没有生成：{exc}")
        return None
    warnings.extend(font_warnings(docx, made))
    return made


def _package(office: Office, result: SummaryResult | FinalResult, name: str = PACKAGE_DIR) -> None:
    """outbox/<year>/上报/ (or 上报_01 … when there is one; ``name``: 上报（定稿） for a 定稿's, so that it is not
    taken for the one a draft made): the report, the 汇总表 and the 公示表 of the year as just rewritten from the
    archive, and a 清单; then the folder as a .zip beside it."""
    from lzdocs.documents.registers import register_paths

    ws, year = office.ws, result.year
    rebuilt = office.registers(year)
    result.warnings.extend(rebuilt.warnings)
    registers = register_paths(ws, year)
    postings = office.postings(year)
    publicity = _posted(ws, postings[-1], registers["publicity"], result.warnings) if postings else \
        registers["publicity"]
    if not postings and not date_setting(ws.settings, "publicity", "start"):  # it would say 公示 began today
        result.warnings.append(f"上报材料中公示表的公示期按今天（{chinese_date(office.today)}）起算，因为还没有用 "
                               "lzdocs publicity 发布过公示表，lzdocs.toml 的 [publicity] start 也没有写；"
                               "公示如已进行，请用 lzdocs publicity --start 实际开始日期 发布（或在 lzdocs.toml "
                               "写明 start）后重新生成上报材料")
    folder = result.package = _new_folder(ws.year_dir(year), name)
    items = [(result.file, "廉政风险防控工作总结" + (FINAL_MARK if name != PACKAGE_DIR else ""))]
    if result.pdf:
        items.append((result.pdf, "工作总结（PDF）"))
    items += [(registers["risks"], "廉政风险点汇总表"), (publicity, "廉政风险点公示表")]
    lines = [f"{ws.school}{year}年度廉政风险防控工作上报材料清单", ""]
    for n, (path, what) in enumerate(items, 1):
        if not path.is_file():
            result.warnings.append(f"{path.name} 不存在，没有放入上报材料")
            continue
        dest = folder / path.name
        shutil.copyfile(path, dest)
        result.contents.append(dest)
        lines.append(f"{n}. {dest.name}（{what}）")
    lines += ["", f"生成日期：{office.today.isoformat()}"]
    listing = folder / CONTENTS
    listing.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")  # Notepad on Windows reads it
    result.contents.append(listing)
    result.archive = _zip(folder, result.contents, office.clock.now())


def _posted(ws: Workspace, last: Posting, working: Path, warnings: list[str]) -> Path:
    """The 公示表 the 上报 package sends: the one last posted, as it was posted; else, said why, the ``working``
    one."""
    from lzdocs.fsutil import NotRegularFile
    from lzdocs.integrity.manifest import hashed

    path = ws.root / last.file
    try:
        same = not last.sha256 or hashed(path)[0] == last.sha256
    except (OSError, NotRegularFile):
        why = "不在原处（被移走或删除）"
    else:
        if same:
            return path
        why = "在发布后被改动过（与发布时记录的不一致）"
    warnings.append(f"已发布的公示表 {path.name} {why}，上报材料中放的是随收表更新的公示表（风险点按档案库现在的）；"
                    "请运行 lzdocs verify 查看，从备份恢复发布的那份后重新生成上报材料")
    return working


def _early(s: YearSummary) -> list[str]:
    """A word on a summary written while the year's forms are still coming: its numbers are of today."""
    if not s.still_reported or not s.missing:
        return []
    when = f"报送截止日期 {s.deadline.isoformat()} 还没到" if s.deadline else "没有设置报送截止日期，该年度还没有结束"
    return [f"{s.year} 年度{when}，{len(s.missing)} 个单位尚未报送：这份总结是截至今天（{chinese_date(s.today)}）的"
            f"情况，报送截止后请重新生成"]


def _finished_before(office: Office, year: int) -> list[str]:
    """A word on a 上报 package made from a new draft when the office recorded its 定稿 of the year already: the
    package holds the draft, without the office's edits."""
    from lzdocs.documents.summary_final import final_paths

    with office.store.read() as conn:
        finals = final_paths(conn, year)
    if not finals:
        return []
    newest = max(finals, key=finals.get)
    return [f"本年度已登记总结定稿 {newest}，这次的上报材料用的是刚生成的新稿（没有本处的修改）；要报送定稿，"
            f"请运行 lzdocs summary --final \"{newest}\" --package"]


def _other_packages(made: Path, archive: Path | None) -> list[str]:
    """A word on the 上报 folders and .zip files an earlier run left beside the ones just made from the 定稿: which
    to send (the .zip is what is sent, and it may be numbered apart from its folder)."""
    others = sorted(p.name for p in made.parent.iterdir()
                    if p not in (made, archive) and p.name.startswith(PACKAGE_DIR) and not p.is_symlink()
                    and (p.is_dir() or (p.suffix.lower() == ".zip" and p.is_file())))
    if not others:
        return []
    mine = made.name + (f"（{archive.name}）" if archive else "")
    return [f"同一年度还有此前生成的上报材料 {'、'.join(others)}；报送时请用这次用定稿生成的 {mine}"]


def _new_folder(parent: Path, name: str) -> Path:
    """A new folder ``name`` (or ``name_01`` …) whose .zip name is free too: a clerk who moved an earlier package's
    folder away and kept its .zip gets 上报_01/ with 上报_01.zip, not 上报_01/ with 上报_01_01.zip."""
    parent.mkdir(parents=True, exist_ok=True)
    for n in range(1000):
        folder = parent / (name if n == 0 else f"{name}_{n:02d}")
        if os.path.lexists(folder.with_name(folder.name + ".zip")):
            continue
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise FileExistsError(parent / name)


def _zip(folder: Path, files: list[Path], now: dt.datetime) -> Path:
    """``folder``'s ``files`` as a .zip beside it (``fsutil.place_new``), each dated ``now`` (the day lzdocs works
    on, not the file's time on this computer's clock)."""
    from lzdocs.fsutil import place_new

    def write(partial: Path) -> None:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                entry = zipfile.ZipInfo(f"{folder.name}/{path.name}", date_time=now.timetuple()[:6])
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o644 << 16  # read by all once unpacked, as a file written here is
                with open(path, "rb") as src, archive.open(entry, "w") as out:
                    shutil.copyfileobj(src, out)

    return place_new(folder.parent, folder.name, ".zip", write)

"""The registers of a year, rebuilt from the archive alone: 汇总表, 报送情况登记表, 发文登记簿, 预警处置台账, 公示表."""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

from lzdocs import interrupts
from lzdocs.documents import placing
from lzdocs.documents.status import (
    LATE,
    MISSING,
    STATE_NAMES,
    SUBMITTED,
    SubmissionStatus,
    UnitStatus,
    kind_name,
    reply_state,
    roster_status,
)
from lzdocs.documents.xlsx_writer import LEVEL_STYLES, Column, StreamingBook, StreamingSheet
from lzdocs.dynamics.steps import Deadlines, overdue, state_name
from lzdocs.errors import LzdocsError, from_os_error
from lzdocs.forms.values import LEVEL_NAMES
from lzdocs.fsutil import keep_inside, stale_files
from lzdocs.integrity.manifest import record_written
from lzdocs.store import documents as docs_q
from lzdocs.store import pending
from lzdocs.textutil import chinese_date

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lzdocs.documents.publicity import PublicityTable
    from lzdocs.documents.register_helper import SharedPublicity
    from lzdocs.forms.ahead import Helper
    from lzdocs.settings import Settings
    from lzdocs.store import Store
    from lzdocs.workspace import Roster, Workspace

REGISTER_DIR, PUBLICITY_DIR = "登记簿", "公示"
STATE_STYLES = {SUBMITTED: "good", LATE: "warn", MISSING: "bad"}
REPLY_STYLES = {"已回复": "good", "已谈话": "good", "已批评教育": "good", "未到期": "center", "已逾期": "bad",
                "作废": "center"}
LEVEL_COLOURS = {1: "C00000", 2: "ED7D31", 3: "FFC000"}


@dataclass
class RegisterResult:
    """What a rebuild wrote, what it had to change or skip (Chinese), and the files it could not replace."""

    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failed: list[Path] = field(default_factory=list)


def register_paths(ws: Workspace, year: int) -> dict[str, Path]:
    base = ws.year_dir(year)
    return {"risks": base / REGISTER_DIR / f"{year}年廉政风险点汇总表.xlsx",
            "status": base / REGISTER_DIR / "报送情况登记表.xlsx",
            "documents": base / REGISTER_DIR / "发文登记簿.xlsx",
            "warnings": base / REGISTER_DIR / "预警处置台账.xlsx",
            "publicity": base / PUBLICITY_DIR / f"{year}年廉政风险点公示表.docx"}


BOOKS = ("risks", "status", "documents", "warnings", "publicity")  # the keys of register_paths, in writing order
LETTER_BOOKS = pending.LETTER_BOOKS  # all that issuing a letter or registering a reply changes
CHANGE_BOOKS = ("risks",)  # all that a form of last year changes: the 变化 sheet, the 与上年相同 hints
RETURN_BOOKS = ("status",)  # all that a form returned to its unit changes (退回次数, 最近退回时间 and 原因)
WRITER_WAIT = 300  # seconds a rebuild waits for another process's rebuild of the same workspace
WAIT_SLICE = 0.5  # seconds between looks at a Ctrl-C meanwhile (``hold_writer``)


def writer_lock(ws: Workspace):
    """One writer of a workspace's registers at a time (several watchers, a letter beside them, lzdocs register),
    held over the files and their manifest rows: a rebuild that read the archive before another process's last
    commit can then never land after it, and whoever holds the lock sees the files agree with their rows (lzdocs
    verify confirms a finding about a register under it)."""
    from filelock import FileLock

    return FileLock(ws.state / "registers.lock", preserve_lock_file=True)


def hold_writer(ws: Workspace):
    """The workspace's :func:`writer_lock`, taken (a context manager that lets it go); filelock's Timeout after
    :data:`WRITER_WAIT` seconds, KeyboardInterrupt as soon as a Ctrl-C is noted after the work whose registers
    these are was saved (``interrupts.stop_waiting``: another program's long rewrite is nothing to wait out)."""
    from filelock import Timeout

    lock = writer_lock(ws)
    return interrupts.wait_in_slices(lambda seconds: lock.acquire(timeout=seconds), WRITER_WAIT, Timeout, WAIT_SLICE)


def write_registers(ws: Workspace, store: Store, year: int, today: dt.date,
                    books: Iterable[str] | None = None, *, helper: Helper | None = None) -> RegisterResult:
    """Write the registers of ``year`` from the database alone, in one consistent read.

    ``books`` names the files to write (keys of :func:`register_paths`; default all): a letter or a reply
    passes :data:`LETTER_BOOKS` and leaves the 汇总表, 报送情况登记表 and 公示表 as they are. ``helper``: a process
    idle meanwhile (an ingest's reader), which writes the 公示表 (documents/register_helper.py).
    Idempotent: each file is written to a temporary file and renamed over the old one. A file that
    cannot be replaced (e.g. open in Excel/WPS on Windows) or a broken 公示表 template is reported in
    ``warnings`` and ``failed``; the other files are still written.
    """
    wanted = set(BOOKS if books is None else books)
    if unknown := wanted - set(BOOKS):
        raise ValueError(f"unknown register(s): {sorted(unknown)}; known: {BOOKS}")
    paths = {key: path for key, path in register_paths(ws, year).items() if key in wanted}
    result = RegisterResult()
    for key, path in list(paths.items()):  # a link out of the workspace on the way: that book not written, said why
        try:
            keep_inside(ws.root, path.parent)
        except LzdocsError as exc:
            del paths[key]
            result.failed.append(path)
            result.warnings.append(f"{path.name}：未能生成：{exc}")
    remove_stale_parts(paths.values())
    with store.read() as conn:  # the marks of forms taken that this rewrite covers, read before the archive
        marks = pending.covered(conn, year, books)
    placing.finish(ws, store)  # what a rewrite killed before its record left in place: recorded, not an edit
    paths = _keep_edited(ws, store, paths, today, result)
    try:
        with collector_paused():
            _write_books(ws, store, year, today, paths, result, helper)
    except BaseException:
        _record(ws, store, result, paths.get("publicity"))
        placing.clear(placing.journal_of(ws))
        raise
    # A book that could not be written (open in WPS, a broken 公示表 template) is said as a warning naming how to
    # retry; the mark is cleared all the same, or each later run would rewrite the year again for a lasting fault.
    _record(ws, store, result, paths.get("publicity"), settled=marks)
    placing.clear(placing.journal_of(ws))
    return result


def _noting(ws: Workspace, path: Path, role: str = "register") -> Callable[[Path], None]:
    """What a book's writer calls just before its rename onto ``path``: the new file's hash noted (placing.py)."""
    return partial(placing.note, placing.journal_of(ws), ws.relative(path), role)


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while the books are written (resumed after, if it ran before). Writing a
    year's registers makes a few hundred thousand rows, cells and flags, nearly all freed as soon as they are written
    or kept to the end; the collector would walk them, and whatever the process holds, some 300 times a rebuild
    (0.15 s of a thousand forms' ingest) to free almost nothing."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


EDITED = "edited"  # files.role of a register the clerk changed, kept under another name when it was rewritten


def _keep_edited(ws: Workspace, store: Store, paths: dict[str, Path], today: dt.date,
                 result: RegisterResult) -> dict[str, Path]:
    """The books to write, after each one whose file is not the one lzdocs wrote — the clerk typed 份数 or 送达 notes
    into it in WPS, or put a file of that name there — is renamed beside it (…（手工修改稿-2026-12-05）.xlsx) and
    recorded, never overwritten; a warning says where. A book whose file cannot be moved (open in WPS on Windows)
    is left out, with the warning to close it."""
    from lzdocs.fsutil import move_without_replacing, sha256_file
    from lzdocs.integrity.manifest import hashed
    from lzdocs.store import files

    with store.read() as conn:
        recorded = {key: files.recorded(conn, ws.relative(path)) for key, path in paths.items() if path.exists()}
    kept: list[tuple[Path, str, int]] = []
    for key, row in recorded.items():
        path = paths[key]
        if path.is_dir():  # nothing edited: a folder of the book's name, which no rewrite can replace
            del paths[key]
            result.failed.append(path)
            result.warnings.append(f"{path.name}：同名的文件夹占着这个位置，本次未更新；请把文件夹“{path}”改名或移走后"
                                   "运行 lzdocs register")
            continue
        try:
            if row is not None and sha256_file(path) == row["sha256"]:
                continue
            moved = move_without_replacing(path, path.parent, f"{path.stem}（手工修改稿-{today.isoformat()}）",
                                           path.suffix)
        except FileNotFoundError:  # gone meanwhile: nothing to keep
            continue
        except OSError as exc:
            del paths[key]
            result.failed.append(path)
            result.warnings.append(f"{path.name}：被手工修改过，但无法移到一旁保存（{from_os_error(exc)}；文件可能正在 "
                                   "Excel/WPS 中打开），本次未更新；请关闭该文件后运行 lzdocs register")
            continue
        try:
            kept.append((moved, *hashed(moved)))  # as kept: the clerk may have saved it once more before the move
        except OSError:  # kept all the same; verify names it a file nothing recorded
            pass
        result.warnings.append(f"{path.name} 在上次生成后被手工修改过：修改过的文件已另存为 {moved.name}，没有丢失；"
                               f"{path.name} 按档案库重新生成。登记簿每次都由档案库重新生成，手工填写的内容不会带入，"
                               "需要手工填写的请另存为其他文件名后再编辑")
    if kept:
        with interrupts.deferred(), store.begin() as conn:  # a kept copy is recorded: verify knows it as the clerk's
            for moved, sha, size in kept:
                files.record(conn, ws.relative(moved), sha, size, EDITED, store.now())
    return paths


def _write_books(ws: Workspace, store: Store, year: int, today: dt.date, paths: dict[str, Path],
                 result: RegisterResult, helper: Helper | None = None) -> None:
    """Write the files of ``paths`` (keys of :func:`register_paths`) from one read of the database (the 公示表 by
    ``helper``, if given, from the rows the 汇总 reads)."""
    school = ws.school
    with store.read() as conn:
        status, order, roster = None, [], None
        if paths.keys() & {"risks", "status", "publicity"}:  # the roster's state, and its order for the risk lists
            roster = ws.roster()
            status = roster_status(conn, roster, year, today, ws.settings.deadline(year))
            order = status.recorded_order()
        # the 汇总 and the 公示表 list the same risk points: when both are written, one read of them serves both
        both = paths.keys() >= {"risks", "publicity"}
        posted = None
        if "publicity" in paths:  # the 公示期 it was posted with, if it was (documents/publicity_post.py)
            from lzdocs.documents.publicity_post import posted_period

            posted = posted_period(conn, year)
        shared = _shared(ws, year, today, paths["publicity"], helper, posted) if both and helper is not None else None
        table, failed = _publicity_table(ws, year, today, paths["publicity"], posted) if both and not shared else \
            (None, None)
        seen = shared.feed if shared else (lambda r: table.add(publicity_row(r))) if table is not None else None
        builders: dict[str, Callable[[str], StreamingBook]] = {
            "risks": lambda label: risk_book_with_sheets(conn, ws, year, today, status, order, label, school,
                                                         seen=seen, roster=roster),
            "status": lambda label: status_book(status, label, school),
            "documents": lambda label: documents_book(conn, year, today, label, school),
            "warnings": lambda label: warnings_book(conn, year, today, label, school, ws.settings),
        }
        try:
            for key, build in builders.items():
                if key in paths:
                    interrupts.stop_step()  # Ctrl-C twice after the work was saved: the books left wait, marked
                    path = paths[key]
                    with build(path.name) as book:
                        if key == "risks" and shared:  # its rows all read: the helper writes the 公示表 meanwhile
                            shared.finish()
                        _attempt(result, path, partial(book.save, path, before_replace=_noting(ws, path)))
                        result.warnings.extend(book.warnings)
            if "publicity" in paths:
                interrupts.stop_step()
                path, rows = paths["publicity"], ()  # its rows added as the 汇总 read them

                def here() -> list[str]:  # the 公示表 written by this process: its rows read again if not given
                    nonlocal table, failed, rows
                    if table is None and failed is None:
                        table, failed = _publicity_table(ws, year, today, path, posted)
                        rows = publicity_rows(conn, year, order)
                    return _save_publicity(table, failed, path, rows, _noting(ws, path, "publicity"))

                write = partial(shared.save, here) if shared else here
                _attempt(result, path, lambda: result.warnings.extend(write()))
        finally:
            if table is not None:
                table.close()
            if shared is not None:  # cut short: the helper ended, a 公示表 it put in place meanwhile recorded
                shared.settle(result.files)


def _shared(ws: Workspace, year: int, today: dt.date, path: Path, helper: Helper,
            posted: tuple[dt.date, dt.date] | None = None) -> SharedPublicity | None:
    """The 公示表 at ``path``, to be written by ``helper`` from the rows the 汇总 reads; None when its variables
    cannot be worked out (it is then written here, which says why). ``posted``: see ``publicity_period``."""
    from lzdocs.documents.publicity import TEMPLATE_NAME, publicity_context
    from lzdocs.documents.register_helper import SharedPublicity

    try:
        context = publicity_context(ws, year, today, posted=posted)
        template = ws.template(TEMPLATE_NAME)
    except Exception:
        return None
    return SharedPublicity(helper, path, template, path.name, context, ws.prepared_templates,
                           (str(placing.journal_of(ws)), ws.relative(path)))


def _publicity_table(ws: Workspace, year: int, today: dt.date, path: Path,
                     posted: tuple[dt.date, dt.date] | None = None) -> tuple[PublicityTable | None, Exception | None]:
    """The 公示表 rendered from its template, its rows to be added; or why it could not be, said where the 公示表 is
    written (by :func:`_save_publicity`, inside :func:`_attempt`): a broken template costs the 公示表 alone."""
    from lzdocs.documents.publicity import TEMPLATE_NAME, PublicityTable, publicity_context

    try:
        return PublicityTable(ws.template(TEMPLATE_NAME), path.name, publicity_context(ws, year, today, posted=posted),
                              cache_dir=ws.prepared_templates), None
    except Exception as exc:
        return None, exc


def _save_publicity(table: PublicityTable | None, failed: Exception | None, path: Path,
                    rows: Iterable[dict], before_replace: Callable[[Path], None] | None = None) -> list[str]:
    if failed is not None:
        raise failed
    return table.save(path, rows, before_replace=before_replace)


def risk_book_with_sheets(conn: Connection, ws: Workspace, year: int, today: dt.date, status: SubmissionStatus,
                          order: list[str], label: str, school: str = "", *,
                          seen: Callable[[Mapping], None] | None = None, roster: Roster | None = None) -> StreamingBook:
    """The 汇总表 with its 变化 sheet (documents/changes_sheet.py) and 质量 sheet (documents/quality_sheet.py);
    those modules load only when the 汇总表 is written (a letter's registers do not need them). ``seen``: see
    :func:`risk_book`; ``roster``: the workspace's, when the caller has read it. The units' changes are worked out
    once, for the 变化 sheet and the quality review's 与上年相同."""
    from lzdocs.documents.changes_sheet import add_changes_sheet
    from lzdocs.documents.quality_sheet import add_quality_sheet, year_review
    from lzdocs.dynamics.changes import threshold_of, year_changes

    roster = ws.roster() if roster is None else roster
    review = year_review(conn, year, ws, roster)  # given the 汇总's rows as it reads them: one read for both
    feeds = [feed for feed in (seen, review.add_row if review is not None else None) if feed is not None]
    book = risk_book(conn, year, today, status, label, school, seen=_each(feeds))
    try:
        changes = year_changes(conn, year, threshold_of(ws.settings), unit_order=order, current=roster.current)
    except BaseException:
        book.close()
        raise
    book = add_changes_sheet(book, conn, year, order, ws.settings, school, roster.current, found=changes)
    return add_quality_sheet(book, conn, year, order, ws, school, roster=roster, changes=changes, review=review)


def _each(calls: list[Callable[[Mapping], None]]) -> Callable[[Mapping], None] | None:
    """One call making each of ``calls`` in turn (None for none)."""
    if len(calls) < 2:
        return calls[0] if calls else None

    def each(row: Mapping) -> None:
        for call in calls:
            call(row)

    return each


def _record(ws: Workspace, store: Store, result: RegisterResult, publicity: Path | None,
            settled: dict[str, str] | None = None) -> None:
    """The files just rewritten, hashed and recorded in the manifest in one transaction (docs/product.md §12.1) —
    also when a later book failed; one not replaced keeps its row. ``settled``: the marks of forms taken or
    returned that this rewrite has caught up with (store/pending.py)."""
    with interrupts.deferred():  # a file put in place is recorded, whenever Ctrl-C comes: else verify calls it foreign
        record_written(store, ws.relative, [(path, "publicity" if path == publicity else "register")
                                            for path in result.files])
    if settled:
        with store.begin() as conn:
            pending.clear(conn, settled)


def remove_stale_parts(paths, *, older_than: float = 600) -> None:
    """Delete temporary files a killed run left beside our outputs (a running writer's are younger, by the
    file system's clock: ``stale_files``)."""
    parts = [part for path in paths if path.parent.is_dir()
             for part in path.parent.glob(f".{path.stem}.*.part{path.suffix}")]
    for part in stale_files(parts, older_than):
        try:
            part.unlink()
        except OSError:
            pass


def _attempt(result: RegisterResult, path: Path, write: Callable[[], None]) -> None:
    before = file_identity(path)
    try:
        write()
    except PermissionError as exc:
        result.failed.append(path)
        if path.parent.is_dir() and not os.access(path.parent, os.W_OK):  # a read-only folder, not a file in use
            result.warnings.append(f"{path.name}：未能生成：{from_os_error(exc)}")
        else:
            result.warnings.append(f"{path.name}：无法替换（文件可能正在 Excel/WPS/Word 中打开），本次未更新；"
                                   "请关闭该文件后运行 lzdocs register")
    except LzdocsError as exc:
        result.failed.append(path)
        result.warnings.append(f"{path.name}：未能生成：{exc}")
    except OSError as exc:
        result.failed.append(path)
        result.warnings.append(f"{path.name}：未能生成：{from_os_error(exc)}")
    except BaseException:  # Ctrl-C: a file already renamed into place is recorded all the same
        if file_identity(path) != before:
            result.files.append(path)
        raise
    else:
        result.files.append(path)


def file_identity(path: Path) -> tuple | None:
    """Which file is at ``path`` (a rename puts another in its place), None when there is none."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size


# --- 汇总表: 汇总, 统计, 历史 ----------------------------------------------------------------------------
@cache
def _risk_columns() -> tuple[Column, ...]:
    """The 汇总's columns, from the packaged risk form (read once a process: every rebuild lists them)."""
    from lzdocs.forms.schema import risk_kind

    kind = risk_kind()
    styles = {"seq": "center", "category": "center", "level": "center", "owner": "center"}
    fields = [kind.field(k) for k in ("seq", "post", "duties", "risk", "category", "level", "measures", "owner")]
    return (Column("单位", 16), *(Column(f.label, f.width, styles.get(f.key, "text")) for f in fields),
            Column("填表日期", 12, "date"))


SOURCE_COLUMN = Column("来源文件", 44, "path", printed=False)
HISTORY_COLUMNS = [Column("替换时间", 16, "datetime"), Column("收取时间", 16, "datetime", printed=False), SOURCE_COLUMN,
                   Column("被替换为", 44, "path", printed=False)]  # printed: the 汇总 columns and when it was replaced


_LEVEL_COLUMN = 6  # position of 风险等级 in the rows below
_ROW_STYLES = {level: [None] * _LEVEL_COLUMN + [style] for level, style in LEVEL_STYLES.items()}


def _seq(value):
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() and len(text) < 10 else (text or None)


def _risk_values(r) -> list:
    filled = r["filled_date"] or (r["received_at"].date() if r["received_at"] else None)
    return [r["unit"], _seq(r["seq"]), r["post"], r["duties"], r["risk"], r["category"],
            LEVEL_NAMES.get(r["level"], r["level"]), r["measures"], r["owner"], filled]


def _source(r) -> str:
    return r["stored_as"] or r["original_name"]


def risk_book(conn: Connection, year: int, today: dt.date, status: SubmissionStatus, label: str,
              school: str = "", *, seen: Callable[[Mapping], None] | None = None) -> StreamingBook:
    """汇总 (current risk points), 统计 (counts by unit × level, with a chart) and 历史 (superseded rows, when
    there are any). File names are in columns after the printed ones. ``seen``: called with each current risk point
    as the 汇总 lists it (the 公示表 lists the same ones, in the same order)."""
    from lzdocs.dynamics import cases
    from lzdocs.store import history
    from lzdocs.store import submissions as subs_q

    columns = _risk_columns()
    order = status.recorded_order()
    book = StreamingBook(label, today)
    try:
        summary = book.add_sheet("汇总", [*columns, cases.occurred_column(), SOURCE_COLUMN],
                                 title=f"{school}{year}年廉政风险点汇总表", subtitle="")
        stats = book.add_sheet("统计", STAT_COLUMNS, title=f"{school}{year}年廉政风险点统计表", subtitle="",
                               autofilter=False)
        counts: dict[str, Counter] = {}
        occurred = cases.Occurred(conn, until=today)
        for r in subs_q.current_risks(conn, year=year, unit_order=order):
            summary.append([*_risk_values(r), cases.occurred_mark(occurred(r)), _source(r)],
                           _ROW_STYLES.get(r["level"]))
            if (by_level := counts.get(r["unit"])) is None:
                by_level = counts[r["unit"]] = Counter()
            by_level[r["level"]] += 1
            if seen is not None:
                seen(r)
        totals = sum(counts.values(), Counter())
        summary.set_subtitle(f"共 {len(counts)} 个单位、{sum(totals.values())} 个风险点（"
                             + "、".join(f"{LEVEL_NAMES[k]} {totals[k]} 个" for k in LEVEL_NAMES)
                             + f"）；每个单位以最新报送的表为准；统计日期：{chinese_date(today)}")
        write_stats(stats, counts, today, status)
        # Risk rows are stored with their form, only when it is accepted, under its kind and year: without a
        # superseded form of the year (a cheap look) there is no row for 历史, and its query (ordered by the
        # roster: a CASE over every unit, costly to compile) is not made.
        if history.superseded_forms(conn, year):
            write_history(book, subs_q.superseded_risks(conn, year=year, unit_order=order), columns,
                          f"{school}{year}年廉政风险点历史版本")
        cases.add_case_sheet(book, conn, year, today, school)
    except BaseException:
        book.close()
        raise
    return book


def write_history(book: StreamingBook, risks: Iterable, columns: Sequence[Column], title: str) -> None:
    """历史: the superseded risk points; no sheet at all when there are none (LibreOffice prints even a hidden
    sheet, and an empty one would be a page of headers)."""
    history, n = None, 0
    for n, r in enumerate(risks, 1):  # noqa: B007 - n read after
        if history is None:
            history = book.add_sheet("历史", [*columns, *HISTORY_COLUMNS], title=title, subtitle="")
        history.append([*_risk_values(r), r["replaced_at"], r["received_at"], _source(r),
                        r["replaced_by_file"] or r["replaced_by_name"]], _ROW_STYLES.get(r["level"]))
    if history is not None:
        history.set_subtitle(f"以下 {n} 个风险点所在的表已被同一单位较新的表替换，仅存档备查，不计入汇总和统计")


# narrow enough that the table and the chart beside it print one page wide at 70 % or more
STAT_COLUMNS = [Column("单位", 20), Column("一级", 10, "number"), Column("二级", 10, "number"),
                Column("三级", 10, "number"), Column("合计", 10, "total"), Column("备注", 16, "center")]
CHART_ROWS = 16  # rows of default height the chart covers
CHART_WIDTH_PT, CHART_HEIGHT_PT = 283.5, 212.6  # 10 × 7.5 cm


def _stats_note(unit: UnitStatus | None) -> tuple[str, str | None]:
    """The mark of a unit's 统计 row, and its style."""
    if unit is None or not unit.on_roster:
        return "不在单位名单中", None
    if unit.state == MISSING:
        return STATE_NAMES[MISSING], STATE_STYLES[MISSING]
    return "", None


def write_stats(sheet: StreamingSheet, counts: dict[str, Counter], today: dt.date, status: SubmissionStatus) -> None:
    """Counts by unit × level as values for every roster unit (one that has not reported: 0, marked 未报送),
    a 合计 row, a by-level block and a bar chart of that block under it."""
    totals: Counter = Counter()
    units = {u.unit: u for u in status.units}
    renamed = status.lines or {u.recorded_as: u.unit for u in status.units if u.recorded_as}  # rows' name → line
    by_unit: dict[str, Counter] = {}
    for recorded, c in counts.items():
        by_unit.setdefault(renamed.get(recorded, recorded), Counter()).update(c)
    for unit in [*units, *(u for u in by_unit if u not in units)]:
        c = by_unit.get(unit, Counter())
        note, style = _stats_note(units.get(unit))
        sheet.append([units[unit].label if unit in units else unit, c[1], c[2], c[3], sum(c.values()), note],
                     [None] * 5 + [style])
        totals.update(c)
    grand = sum(totals.values())
    sheet.append(["合计", totals[1], totals[2], totals[3], grand, ""],
                 ["total_text", "total", "total", "total", "total", "total_text"])
    sheet.set_subtitle(f"当前风险点按单位、等级统计；统计日期：{chinese_date(today)}")
    sheet.append([])
    head = sheet.append(["风险等级", "风险点数", "占比"], ["header"] * 3)
    for level in LEVEL_NAMES:
        share = totals[level] / grand if grand else 0
        sheet.append([LEVEL_NAMES[level], totals[level], share], [LEVEL_STYLES[level], "number", "percent"])
    sheet.add_chart(_level_chart(sheet, head), width_pt=CHART_WIDTH_PT, rows=CHART_ROWS)


def _level_chart(sheet: StreamingSheet, head: int):
    """A column chart of the by-level block under the header row ``head`` (1-based), bars in the level colours."""
    name = sheet.ws.name
    chart = sheet.book.new_chart({"type": "column"})
    chart.add_series({"name": [name, head - 1, 1], "categories": [name, head, 0, head + 2, 0],
                      "values": [name, head, 1, head + 2, 1],
                      "points": [{"fill": {"color": f"#{LEVEL_COLOURS[level]}"}} for level in LEVEL_NAMES]})
    chart.set_title({"name": "各等级风险点数"})
    chart.set_y_axis({"name": "风险点数", "min": 0, "major_gridlines": {"visible": True}})
    chart.set_legend({"none": True})
    chart.set_size({"width": CHART_WIDTH_PT * 4 / 3, "height": CHART_HEIGHT_PT * 4 / 3})  # pixels at 96 dpi
    return chart


# --- 报送情况登记表 --------------------------------------------------------------------------------------
STATUS_COLUMNS = [Column("序号", 6, "center"), Column("单位", 20), Column("报送状态", 10, "center"),
                  Column("收到日期", 12, "date"), Column("当前版本收取时间", 16, "datetime"),
                  Column("填表日期", 12, "date"), Column("版本数", 8, "number"),
                  Column("风险点数", 9, "number"), Column("退回次数", 8, "number"),
                  Column("最近退回时间", 16, "datetime"), Column("最近退回原因", 40), Column("备注", 18),
                  # the first take's time is for the archive; the clerk's page has the arrival day (收到日期: the
                  # day a form came, which says on time or late; 收取时间: when lzdocs took it in, maybe days later)
                  Column("首次收取时间", 16, "datetime", printed=False), Column("当前文件", 44, "path", printed=False)]


def status_book(status: SubmissionStatus, label: str, school: str = "") -> StreamingBook:
    """Every roster unit: submitted on time, late or missing against the deadline, with files and rejections."""
    book = StreamingBook(label, status.today)
    deadline = chinese_date(status.deadline) if status.deadline else "未设置"
    counts = Counter(u.state for u in status.units)
    sheet = book.add_sheet("报送情况", STATUS_COLUMNS, title=f"{school}{status.year}年廉政风险点报送情况登记表",
                           subtitle=f"报送截止日期：{deadline}；按时报送 {counts[SUBMITTED]} 个、逾期报送 "
                                    f"{counts[LATE]} 个、未报送 {counts[MISSING]} 个（按收到日期即表格到达之日判断；"
                                    f"收取时间是收取入库之时）；统计日期：{chinese_date(status.today)}")
    for n, u in enumerate(status.units, 1):
        sheet.append([n, u.label, u.state_name, u.arrived, u.last_received, u.filled_date,
                      u.versions, u.risks, u.rejections, u.last_rejected_at, u.last_rejection, _status_note(u, status),
                      u.first_received, u.file],
                     [None, None, STATE_STYLES[u.state]])
    return book


def _status_note(u, status: SubmissionStatus) -> str:
    notes = []
    if not u.on_roster:
        notes.append("不在单位名单中")
    if u.state == LATE and status.deadline:
        notes.append(f"逾期 {(u.arrived - status.deadline).days} 天")
    if u.state == MISSING and status.deadline and status.today <= status.deadline:
        notes.append("截止日期未到")
    return "；".join(notes)


# --- 发文登记簿 and 预警处置台账 ------------------------------------------------------------------------
DOCUMENT_COLUMNS = [Column("顺序号", 8, "center"), Column("成文日期", 12, "date"), Column("文号", 24),
                    Column("标题", 40), Column("主送单位", 20), Column("文种", 16, "center"),
                    Column("份数", 6, "number"), Column("状态", 8, "center"), Column("备注", 20),
                    Column("文件", 44, "path", printed=False)]
WARNING_COLUMNS = [Column("文号", 18), Column("单位", 10), Column("文种", 10),
                   Column("发出日期", 10, "date"), Column("回复期限", 10, "date"), Column("回复日期", 10, "date"),
                   Column("状态", 7, "center"),
                   # the follow-up of each warning (lzdocs.dynamics.warnings); narrow, so that all 14
                   # columns print on one A4 landscape page (names and notes wrap)
                   Column("核查日期", 10, "date"), Column("核查人", 7, "center"), Column("核查结果", 7, "center"),
                   Column("办结日期", 10, "date"), Column("处置状态", 8, "center"), Column("逾期环节", 8),
                   Column("备注", 12)]


def documents_book(conn: Connection, year: int, today: dt.date, label: str, school: str = "") -> StreamingBook:
    """发文登记簿: every letter and notice numbered in ``year``, in order of issue."""
    book = StreamingBook(label, today)
    sheet = book.add_sheet("发文登记簿", DOCUMENT_COLUMNS, title=f"{school}{year}年发文登记簿")
    for n, d in enumerate(docs_q.list_documents(conn, year), 1):
        notice = d["kind"] == "notice"  # a notice keeps its 文种 (通知, 通报 …) in the note
        sheet.append([n, d["issued"], d["number"], d["title"], d["recipient"], kind_name(d["kind"], d["note"]),
                      d["copies"], _document_state(d), _document_note(d, "" if notice else d["note"]), d["file"]],
                     [None] * 7 + ["bad" if d["status"] == docs_q.VOID else None])
    return book


def _document_state(d) -> str:
    return "作废" if d["status"] == docs_q.VOID else "有效"


def _document_note(d, note: str) -> str:
    """备注: a 作废 with its date and reason, a number assigned elsewhere, then the document's own note."""
    notes = []
    if d["status"] == docs_q.VOID:
        notes.append(f"{chinese_date(d['voided'])}作废：{d['void_reason']}")
    if d["origin"] == docs_q.ASSIGNED:
        notes.append("文号由外部编定")
    return "；".join([*notes, note] if note else notes)


def warnings_book(conn: Connection, year: int, today: dt.date, label: str, school: str = "",
                  settings: Settings | None = None) -> StreamingBook:
    """预警处置台账: letters that expect a reply, with their state on ``today``."""
    deadlines = Deadlines.from_settings(settings) if settings is not None else Deadlines()
    book = StreamingBook(label, today)
    rows = docs_q.list_warnings(conn, year)
    live = [w for w in rows if w["status"] != docs_q.VOID]  # a voided number was never a warning (as the 总结 counts)
    overdue = sum(reply_state(w["replied"], w["reply_due"], today) == "已逾期" for w in live)
    voided = f"（另有作废 {len(rows) - len(live)} 件）" if len(rows) > len(live) else ""
    sheet = book.add_sheet("预警处置台账", WARNING_COLUMNS, title=f"{school}{year}年预警处置台账",
                           subtitle=f"共 {len(live)} 件{voided}，已逾期未回复 {overdue} 件，整改核查、办结逾期 "
                                    f"{_later_overdue(live, today, deadlines)} 件；统计日期：{chinese_date(today)}")
    for w in rows:
        state = "作废" if w["status"] == docs_q.VOID else reply_state(w["replied"], w["reply_due"], today, w["kind"])
        sheet.append([w["number"], w["unit"], kind_name(w["kind"]), w["issued"], w["reply_due"], w["replied"],
                      state, *follow_up_cells(w, today, deadlines), _reply_note(w, state, today)],
                     [None] * 6 + [REPLY_STYLES[state]])
    return book


def _later_overdue(rows, today: dt.date, deadlines: Deadlines) -> int:
    """Warnings overdue at the check or the closing."""
    return sum(1 for w in rows if (overdue(w, today, deadlines) or {}).get("step") in ("check", "close"))


def follow_up_cells(w, today: dt.date, deadlines: Deadlines) -> list:
    """核查日期, 核查人, 核查结果, 办结日期, 处置状态, 逾期环节 of a 预警处置台账 row."""
    late = overdue(w, today, deadlines)
    where = f"{late['step_name']}逾期 {late['days_overdue']} 天" if late else ""
    return [w["checked"], w["checked_by"], w["check_result"], w["closed"], state_name(w), where]


def _reply_note(w, state: str, today: dt.date) -> str:
    notes = [w["note"]] if w["note"] else []
    if state == "已逾期":
        notes.append(f"已逾期 {(today - w['reply_due']).days} 天")
    elif state not in ("未到期", "作废") and w["reply_due"] and w["replied"] > w["reply_due"]:
        notes.append(f"逾期 {(w['replied'] - w['reply_due']).days} 天后{state.removeprefix('已')}")
    return "；".join(notes)


# --- 公示表 ------------------------------------------------------------------------------------------
def publicity_rows(conn: Connection, year: int, order: list[str]) -> Iterator[dict]:
    """The current risk points as the 公示表 prints them (streamed from the database)."""
    from lzdocs.store import submissions as subs_q

    return map(publicity_row, subs_q.current_risks(conn, year=year, unit_order=order))


def publicity_row(r) -> dict:
    """A current risk point as the 公示表 prints it."""
    filled = r["filled_date"]
    return {"unit": r["unit"], "seq": r["seq"], "post": r["post"], "duties": r["duties"], "risk": r["risk"],
            "category": r["category"], "level": LEVEL_NAMES.get(r["level"], r["level"]),
            "measures": r["measures"], "owner": r["owner"], "filled_date": chinese_date(filled) if filled else ""}

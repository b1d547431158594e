"""文号 allocation and issuing: a number is taken only when the document is rendered, recorded and in place; drafts,
numbers assigned elsewhere, and 作废."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from glob import escape as glob_escape
from pathlib import Path
from typing import TYPE_CHECKING

from lzdocs import interrupts
from lzdocs.errors import FieldError, LzdocsError, from_os_error
from lzdocs.fsutil import (
    fsync_file,
    keep_inside,
    move_without_replacing,
    place_new,
    rename_no_replace,
    sha256_file,
    unique_path,
)
from lzdocs.integrity.manifest import record_written
from lzdocs.store import Store, files, pending, sql
from lzdocs.store import documents as q
from lzdocs.store.db import DatabaseUnavailable
from lzdocs.store.kept import DRAFT_DIR, VOID_DIR
from lzdocs.textutil import chinese_date, safe_filename

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

NUMBER_RE = re.compile(r"^(?P<code>.+)〔(?P<year>\d{4})〕(?P<seq>[1-9]\d{0,5})号$")  # 序号 up to 999999


@dataclass(frozen=True)
class DocumentNumber:
    """文号 = 机关代字 + 〔YYYY〕 + n + 号 — no leading zeros, no 第."""

    code: str
    year: int
    seq: int

    def __str__(self) -> str:
        return f"{self.code}〔{self.year}〕{self.seq}号"

    @classmethod
    def parse(cls, text: str) -> DocumentNumber | None:
        m = NUMBER_RE.match(text.strip().replace("[", "〔").replace("]", "〕"))
        return cls(m["code"], int(m["year"]), int(m["seq"])) if m else None


def unknown_number(conn, number: str, shown: str | None = None) -> FieldError:
    """The error of a 文号 the 发文登记簿 does not hold, its hint from what it does hold: how far that 机关代字's
    numbers of the year go, or which codes the year has (never an example that may be the very number asked)."""
    parsed = DocumentNumber.parse(number)
    message = f"发文登记簿中没有文号“{shown or number}”"
    if parsed is None:
        return FieldError(message, hint="文号的写法如 机关代字〔年份〕序号号，请核对")
    last = q.next_seq(conn, parsed.code, parsed.year) - 1
    if last:
        return FieldError(message, hint=f"{parsed.code}〔{parsed.year}〕的文号编到 {last} 号，请核对文号")
    codes = q.codes_of(conn, parsed.year)
    return FieldError(message, hint=f"{parsed.year} 年度用过的机关代字：{'、'.join(codes)}；请核对文号" if codes
                      else f"{parsed.year} 年度还没有发文，请核对文号中的年份")


def year_of(text: str) -> int | None:
    """The year of a 文号 as written, None when it is not one (the change is then refused for another reason)."""
    parsed = DocumentNumber.parse(text)
    return parsed.year if parsed else None


@dataclass(frozen=True)
class DraftNumber:
    """What a draft (草稿) prints where its 文号 will be: the 机关代字 and year, no number taken."""

    code: str
    year: int
    seq = None

    def __str__(self) -> str:
        return f"{self.code}〔{self.year}〕（草稿）"


@dataclass(frozen=True)
class IssuedDocument:
    number: DocumentNumber | DraftNumber
    path: Path
    sha256: str
    document_id: int | None  # None for a draft: no row (only its file in the manifest)
    warnings: list[str] = field(default_factory=list)  # Chinese, e.g. a back-dated document

    @property
    def draft(self) -> bool:
        return isinstance(self.number, DraftNumber)


class DurableRenames:
    """Puts issued files in place after their commit — fsync, then rename — on a few threads.

    For batches: the fsyncs of several letters then share the file system's journal commits instead of
    waiting for one disk flush per letter inside the write lock. The final names were taken under the
    lock and hold the number, so nothing else can take them. ``close()`` (or leaving the ``with``) waits
    for every file and raises the first failure.
    """

    def __init__(self, workers: int = 4):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lzdocs-fsync")
        self._pending: list[Future] = []

    def submit(self, partial: Path, final: Path) -> None:
        self._pending.append(self._pool.submit(_finish, partial, final, durable=True))

    def close(self) -> None:
        with interrupts.deferred():  # Ctrl-C waits for the letters recorded to be in place (a second: at once)
            self._pool.shutdown(wait=True)
        for future in self._pending:
            try:
                future.result()
            except OSError as exc:
                raise LzdocsError(f"文书已登记，但文件未能写入磁盘：{from_os_error(exc).message}",
                                  hint="请检查磁盘空间和文件夹权限；未完成的文件以 .part 结尾留在原文件夹") from exc

    def __enter__(self) -> DurableRenames:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _put_in_place(partial: Path, final: Path) -> None:
    fsync_file(partial)
    os.replace(partial, final)


def _finish(partial: Path, final: Path, *, durable: bool = False) -> None:
    """The rename after the commit (``durable``: the file fsynced first); another process's ``finish_leftovers``
    — the next letter of the kind, issued meanwhile — may have done it a moment before."""
    try:
        (_put_in_place if durable else os.replace)(partial, final)
    except FileNotFoundError:
        if not final.exists():
            raise


_PARTIAL = re.compile(r"^\.(?P<stem>.+)\.[0-9a-f]{8}\.part(?P<suffix>\.\w+)$")


def _recorded_name(final: Path, workspace_root: Path | None) -> str:
    """How the 发文登记簿 records a document's file: relative to the workspace, with forward slashes."""
    return final.relative_to(workspace_root).as_posix() if workspace_root else str(final)


def finish_leftovers(store: Store, folder: Path, workspace_root: Path | None = None) -> list[Path]:
    """Put in place the files of documents that were recorded but not yet renamed when a process died.

    A ``.part`` file whose document row exists with the same SHA-256 is renamed to the recorded name
    (if that name is free). One without a row is the remains of a render that died or rolled back, and is
    removed — decided while holding the archive's write lock, which every render in progress holds from its
    number to its commit: no age, so no file time is ever compared with a clock.
    """
    done: list[Path] = []
    orphans: list[tuple[Path, str]] = []  # (.part file, the name its document would be recorded under)
    if not folder.is_dir():
        return done
    for partial in folder.iterdir():
        m = _PARTIAL.match(partial.name)
        if not m:
            continue
        final = folder / f"{m['stem']}{m['suffix']}"
        relative = _recorded_name(final, workspace_root)
        with store.read() as conn:
            row = q.find_document_by_file(conn, relative)
        try:
            if row is not None and not os.path.lexists(final) and sha256_file(partial) == row["sha256"]:
                if row["status"] == q.VOID:  # voided while its file waited here: it goes where void puts files
                    done += _void_leftover(store, partial, row, folder.parent / VOID_DIR, workspace_root)
                else:
                    _put_in_place(partial, final)
                    done.append(final)
            elif row is None:
                orphans.append((partial, relative))
        except FileNotFoundError:  # another process finished it meanwhile
            continue
    if orphans:
        with store.begin() as conn:  # no render is in progress while we hold this
            for partial, relative in orphans:
                if q.find_document_by_file(conn, relative) is None:
                    partial.unlink(missing_ok=True)
    return done


def unplaced_name(partial: str) -> str | None:
    """The name a document's file takes once put in place, for the hidden file a render writes first
    (``.内工大纪建〔2026〕3号-计财处.1a2b3c4d.part.docx`` → ``内工大纪建〔2026〕3号-计财处.docx``); None for any
    other name."""
    m = _PARTIAL.match(partial)
    return f"{m['stem']}{m['suffix']}" if m else None


def _void_leftover(store: Store, partial: Path, row, folder: Path, workspace_root: Path | None) -> list[Path]:
    """The file of a number voided before it was put in place (its run killed after the commit; the void found no
    file): moved into 作废/ under a name of its own, in one step (no empty placeholder, which a kill would leave under
    a real name), and recorded there, as ``void`` would have done."""
    final = Path(row["file"])
    target = recorded = None
    try:
        with store.begin() as conn:
            now = q.find_document(conn, row["number"])
            if now is None or now["file"] != row["file"] or now["status"] != q.VOID:  # settled meanwhile
                return []
            fsync_file(partial)
            target = move_without_replacing(partial, folder, final.stem, final.suffix)
            recorded = _recorded_name(target, workspace_root)
            _void_file_moved(store, conn, now, recorded)
    except BaseException:
        if target is not None and (recorded is None or _archive_says(
                store, row["number"], lambda doc: doc["file"] == recorded) is False):
            rename_no_replace(target, partial)  # not recorded there: back where the next letter looks for it
        raise
    return [target]


def issue_document(store: Store, *, kind: str, code: str, year: int, title: str, recipient: str,
                   issued: dt.date, folder: Path, stem: Callable[[DocumentNumber], str],
                   render: Callable[[DocumentNumber, Path], bytes | None], reply_due: dt.date | None = None,
                   ledger: bool = False, unit: str | None = None, note: str = "", workspace_root: Path | None = None,
                   suffix: str = ".docx", finisher: DurableRenames | None = None, draft: bool = False,
                   assigned: DocumentNumber | None = None,
                   guard: Callable[[Connection], None] | None = None,
                   content: str | None = None) -> IssuedDocument:
    """Take the next 文号 (or the ``assigned`` one), render the document with it, record it, then put the file in place.

    The number is taken inside one write transaction that also holds the render: a render that raises
    rolls the transaction back, so the number is not consumed and no file is left. Two processes
    serialise on the database's write lock, so numbers are never duplicated or skipped.
    ``render(number, path)`` writes the file; it may return the bytes it wrote to save reading the file
    back for its SHA-256 (already fsynced, unless a ``finisher`` is given: then the finisher fsyncs and
    renames the file after the commit, and the file is in place once the finisher is closed).
    A ``draft`` takes no number and no row, only its file is recorded in the manifest: see :func:`write_draft`.
    ``guard(conn)`` runs first under the write lock and may refuse (raise) what another process did meanwhile: a
    unit sent the same 催报通知 by a second ``urge`` running at once. ``content``, a batch row's fingerprint, is kept in
    the issue's event: the same row run again is known by it (store/letters.py ``SentRows``).
    """
    if workspace_root is not None:  # a link out of the workspace on the way: refused before a number is taken
        keep_inside(workspace_root, folder.parent / DRAFT_DIR if draft else folder)
    if draft:  # no number, no row: only its file is recorded in the manifest (docs/product.md §12.1)
        preview = write_draft(DraftNumber(code, year), folder.parent / DRAFT_DIR, stem, render, suffix=suffix)
        record_written(store, lambda p: _recorded_name(p, workspace_root), [(preview.path, "draft")])
        return preview
    if assigned and (assigned.code, assigned.year) != (code, year):
        raise FieldError(f"文号 {assigned} 不是{code}〔{year}〕的文号", hint="文号的机关代字和年份须与这份文书一致")
    folder.mkdir(parents=True, exist_ok=True)
    prepared = False  # the transaction's work done: only its commit is left
    try:
        with store.begin(year=year) as conn:
            if guard is not None:
                guard(conn)
            following = q.next_seq(conn, code, year)
            number = _claim(conn, assigned) if assigned else DocumentNumber(code, year, following)
            never_used(conn, number, [folder, folder.parent / VOID_DIR], archive=store.url)
            warnings = _backdated(conn, number, issued) + _jump(number, following)
            final = unique_path(folder, safe_filename(stem(number)), suffix)
            partial = folder / f".{final.stem}.{uuid.uuid4().hex[:8]}.part{suffix}"
            try:
                written = render(number, partial)
                if isinstance(written, bytes):  # the renderer says what it wrote: no second read
                    sha = hashlib.sha256(written).hexdigest()
                else:
                    if finisher is None:
                        fsync_file(partial)
                    sha = sha256_file(partial)
                relative = _recorded_name(final, workspace_root)
                doc_id = q.add_document(conn, kind=kind, code=code, year=year, seq=number.seq, number=str(number),
                                        title=title, recipient=recipient, issued=issued, file=relative, sha256=sha,
                                        note=note, created_at=store.now(), origin=q.ASSIGNED if assigned else "auto")
                size = len(written) if isinstance(written, bytes) else partial.stat().st_size
                files.record(conn, relative, sha, size, "document", store.now(),
                             document_id=doc_id)  # docs/product.md §12.1
                if reply_due is not None or ledger:  # ledger: a way of warning, followed even with no deadline
                    q.add_warning(conn, document_id=doc_id, unit=unit or recipient, kind=kind, issued=issued,
                                  reply_due=reply_due)
                pending.mark(conn, year, pending.LETTER_BOOKS)  # rewritten after the commit, or by the next run
                store.log(conn, "issue", str(number), after={"kind": kind, "title": title, "recipient": recipient,
                                                              "file": relative, "assigned": bool(assigned),
                                                              **({"content": content} if content else {})})
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            prepared = True
    except BaseException:
        if not prepared:  # rolled back before its commit, its file removed
            raise
        # The commit failed. Recorded all the same (only its answer was lost): the letter is issued, its file
        # goes in place. Not recorded: its file goes. Cannot tell (the database still away): the hidden file stays
        # for the next letter of this kind, which finishes or removes it by what the archive says.
        recorded = _archive_says(store, str(number), lambda doc: doc["id"] == doc_id and doc["sha256"] == sha)
        if recorded is None:
            raise _unknown(f"{number}（{title}）", f"发文登记簿里有没有 {number}：有就不要重发（它的文件在下一份同类"
                                                   "文书发出时放到位），没有再重新发文") from None
        if recorded is False:
            partial.unlink(missing_ok=True)
            raise
    interrupts.reporting(f"{number}（{title}）已发出")  # a Ctrl-C from here on (or taken in above) loses no report
    if finisher is not None:
        finisher.submit(partial, final)
    else:
        _finish(partial, final)  # after commit: a number on paper always has its row
    return IssuedDocument(number, final, sha, doc_id, warnings)


def _unknown(what: str, check: str) -> DatabaseUnavailable:
    """The commit of ``what`` failed and the archive cannot be read to tell whether it went through: running the
    same command again could do it twice, so the clerk is told to look first."""
    return DatabaseUnavailable(f"与数据库的连接在提交时中断，{what}是否已经登记无法确定",
                               hint=f"数据库恢复后，先查看{check}")


def _archive_says(store: Store, number: str, test: Callable[[dict], bool]) -> bool | None:
    """``test`` of ``number``'s row in the archive now (False when it has none); None when the archive cannot be
    read to tell — what a commit whose answer was lost did."""
    try:
        with store.read() as conn:
            doc = q.find_document(conn, number)
    except LzdocsError:
        return None
    return doc is not None and test(doc)


def _claim(conn: Connection, number: DocumentNumber) -> DocumentNumber:
    """An assigned number, refused when it was used or voided before (checked under the write lock)."""
    used = q.document_with_seq(conn, number.code, number.year, number.seq)
    if used is None:
        return number
    if used["status"] == q.VOID:
        raise FieldError(f"文号 {number} 已于{chinese_date(used['voided'])}作废（{used['void_reason']}），"
                         "作废的文号不能再用",
                         hint="请向编号的部门另取一个文号")
    raise FieldError(f"文号 {number} 已经用过：{chinese_date(used['issued'])}发给{used['recipient'] or '—'}的"
                     f"《{used['title']}》", hint="请核对文号；同一文号只能用一次")


def never_used(conn: Connection, number: DocumentNumber, folders: list[Path], *, archive: str) -> None:
    """Refuse a number the archive does not hold but that was used: its issue is in the event log (its record taken
    out of the database), or a file of it lies in the kind's folder or 作废/ (an older copy of lzdocs.db put back).
    Issued again, two documents would carry one 文号; the archive is no longer what lzdocs wrote, and says so.
    ``archive``: the database's address (``Store.url``), by which the event log's numbers are kept for the process."""
    event = _issued_events(conn, archive, number.code, number.year).get(number.seq)
    found = None if event else _file_of(number, folders)
    if (event or found) is None or q.document_with_seq(conn, number.code, number.year, number.seq) is not None:
        return
    if event:
        raise FieldError(f"文号 {number} 已经用过（{event}），但档案库中没有它的记录：档案库被改动过（记录被删除）。"
                         "为免两份文书同一文号，没有发文", hint="请运行 lzdocs verify 检查档案，从备份核对")
    raise FieldError(f"{found}，档案库中却没有这个文号。为免两份文书同一文号，没有发文",
                     hint="若是从备份中拷回了旧的 lzdocs.db：请把现在的 lzdocs.db 放回，要用备份请用 lzdocs restore "
                          "恢复到一个新文件夹；若这个文件不是 lzdocs 发的：请把它移出这个文件夹后重试（lzdocs verify "
                          "列出档案记录之外的文件）")


_ISSUED: dict[tuple[str, str, int], dict[int, str]] = {}  # (archive, code, year) → seq → the event log's word


def _issued_events(conn: Connection, archive: str, code: str, year: int) -> dict[int, str]:
    """The numbers of ``code`` and ``year`` the event log's issues name, read once a process: what it issues later
    is in the database, asked first (and a number issued since by another process has its row there too)."""
    if (archive, code, year) not in _ISSUED:
        prefix, found = f"{code}〔{year}〕", {}
        for row in sql.rows(conn, "SELECT subject FROM events WHERE action = 'issue'"):
            parsed = DocumentNumber.parse(row["subject"]) if row["subject"].startswith(prefix) else None
            if parsed is not None and (parsed.code, parsed.year) == (code, year):
                found[parsed.seq] = "事件记录中有它的发文"
        _ISSUED[archive, code, year] = found
    return _ISSUED[archive, code, year]


def _file_of(number: DocumentNumber, folders: list[Path]) -> str | None:
    """Where a file named by ``number`` (``<文号>-<单位>.docx``, ``<文号>.pdf`` …) lies in ``folders``, if one does."""
    text = str(number)
    for folder in folders:
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.startswith(text) and entry.name[len(text):len(text) + 1] in ("-", ".", "_", "（") \
                            and entry.is_file(follow_symlinks=False):  # (a link is none of lzdocs's files)
                        return f"{folder.name}文件夹中已有文号 {number} 的文件 {entry.name}"
        except OSError:  # no such folder yet
            continue
    return None


def _jump(number: DocumentNumber, following: int) -> list[str]:
    """A warning when an assigned number leaves numbers unused before it: the automatic numbers continue after it
    for good, and an archivist asks after every gap in the 文号."""
    if number.seq <= following:
        return []
    gap = number.seq - following
    skipped = f"{following}号" if gap == 1 else f"{following}—{number.seq - 1}号（共 {gap} 个）"
    return [f"文号 {number} 比下一个自动编号 {number.code}〔{number.year}〕{following}号 大 {gap} 个：{skipped}空着，"
            f"此后自动编号从 {number.seq + 1} 号接着编；如果空着的文号在别处已编发，请用 --number 逐个登记，"
            "不再使用的可用 lzdocs void 作废（发文登记簿中注明空号和原因）；"
            "如果文号写错了，请用 lzdocs void 作废它并说明原因"]


def _backdated(conn: Connection, number: DocumentNumber, issued: dt.date) -> list[str]:
    """A warning when the document is dated before the previous number of its 机关代字 (倒签)."""
    before = q.previous_document(conn, number.code, number.year, number.seq)
    if before is None or issued >= before["issued"]:
        return []
    return [f"成文日期{chinese_date(issued)}早于上一个文号 {before['number']} 的成文日期"
            f"{chinese_date(before['issued'])}：这份文书是倒签的，请核对成文日期"]


def check_assigned(number: DocumentNumber, *, code: str, year: int, known: dict[str, str]) -> None:
    """An assigned 文号 must carry a 机关代字 of this workspace (``known``: code → what it numbers), the code of
    the document being issued, and the year of its 成文日期; a FieldError in Chinese otherwise."""
    if number.code not in known:
        codes = "、".join(f"{c}（{what}）" for c, what in known.items()) or "无"
        raise FieldError(f"文号 {number} 的机关代字“{number.code}”不是本工作区的机关代字",
                         hint=f"lzdocs.toml 中的机关代字：{codes}")
    if number.code != code:
        raise FieldError(f"文号 {number} 的机关代字“{number.code}”是{known[number.code]}的机关代字，"
                         f"不是这份文书的（{code}）", hint=f"这份文书的文号应为 {code}〔{year}〕n号")
    if number.year != year:
        raise FieldError(f"文号 {number} 的年份（{number.year}）与成文日期的年份（{year}）不同",
                         hint="请核对文号，或用 --date 写明成文日期")


def write_draft(number: DraftNumber, folder: Path, stem: Callable, render: Callable, *,
                suffix: str = ".docx") -> IssuedDocument:
    """A preview (草稿): rendered with 草稿 where the 文号 goes and marked 草稿 on every page, made whole under a
    hidden name in ``folder`` (outbox/<year>/草稿/) and moved onto the first free name in one step
    (``fsutil.place_new``), so two clerks' drafts never collide and a process killed midway leaves no empty file
    under a draft's name. No number is taken and nothing is recorded here (``issue_document`` then records the file
    in the manifest, after it is in place: the write lock is taken only for that)."""
    from lzdocs.documents.draft_mark import mark_draft

    def write(partial: Path) -> None:
        render(number, partial)
        mark_draft(partial)
        fsync_file(partial)

    final = place_new(folder, safe_filename(stem(number)), suffix, write)
    return IssuedDocument(number, final, sha256_file(final), None)


@dataclass(frozen=True)
class VoidedDocument:
    """A number marked 作废: the row stays in the 发文登记簿; its files (the .docx and any PDF) moved to 作废/."""

    number: str
    title: str
    recipient: str
    issued: dt.date
    voided: dt.date
    reason: str
    files: list[Path]
    missing: list[str]  # the recorded file, when it was not found (moved or deleted by hand)


def void_document(store: Store, number: str, *, reason: str, voided: dt.date, workspace_root: Path,
                  year_dir: Callable[[int], Path]) -> VoidedDocument:
    """作废: mark ``number`` void with the reason and date, and move its file to ``year_dir(year)/作废/``.

    The move happens under the write lock, before the commit, into a name taken without replacing anything;
    if the update or the commit fails the files are moved back (unless the number reads as void all the same, or
    the archive cannot be read to tell: see the end). The number stays recorded, so it is never issued
    again. (A process killed between the move and the commit leaves the file in 作废/ and the number not void:
    running the same ``void`` again finds the file there by its SHA-256 and records it.)"""
    reason = " ".join(reason.split())
    if not reason:
        raise FieldError("作废须写明原因", hint="用 --reason 写明原因，例如 --reason 测试时误发")
    moves: list[tuple[Path, Path]] = []  # (from, to) of each file moved, to put back if the commit fails
    prepared = False  # the transaction's work done: only its commit is left
    with store.read() as conn:
        doc = q.find_document(conn, number)
    if doc is not None and doc["file"]:  # its file still hidden, its run killed after the commit: put in place first
        finish_leftovers(store, (workspace_root / doc["file"]).parent, workspace_root)
    try:
        with store.begin(year=year_of(number)) as conn:
            doc = q.find_document(conn, number)
            if doc is None:
                return _void_skipped(store, conn, number, reason, voided, year_dir)
            if doc["status"] == q.VOID:
                settled = _settle_void_file(store, conn, doc, year_dir(doc["year"]) / VOID_DIR, workspace_root)
                if settled is None:
                    raise FieldError(f"文号 {number} 已于{chinese_date(doc['voided'])}作废（{doc['void_reason']}）")
                return settled
            if voided < doc["issued"]:
                raise FieldError(f"作废日期{chinese_date(voided)}早于成文日期{chinese_date(doc['issued'])}")
            document, folder = workspace_root / doc["file"], year_dir(doc["year"]) / VOID_DIR
            keep_inside(workspace_root, folder)
            _move_to_void(document, folder, moves)
            moved = dict(moves).get(document) or _moved_before(document, folder, doc["sha256"])
            recorded = _recorded_name(moved, workspace_root) if moved else doc["file"]
            q.void_document(conn, doc["id"], reason=reason, voided=voided, file=recorded)
            for source, target in [*moves, *([(document, moved)] if moved and not moves else [])]:
                files.move(conn, _recorded_name(source, workspace_root), _recorded_name(target, workspace_root),
                           role="voided")
            pending.mark(conn, doc["year"], pending.LETTER_BOOKS)
            store.log(conn, "void", number, before={"status": doc["status"], "file": doc["file"]},
                      after={"status": q.VOID, "reason": reason, "voided": voided, "file": recorded})
            prepared = True
    except BaseException:
        # Before the commit: rolled back, the files go back. A commit that failed: if the number reads as void all
        # the same (only the answer was lost), the void is done and its files stay in 作废/; if it cannot be read
        # (the database still away), they stay there too — the same void run again finds them by their SHA-256
        # and records it (above) — and the clerk is told to look first.
        void = _archive_says(store, number, lambda doc: doc["status"] == q.VOID) if prepared and moves else False
        if void is False:
            for source, target in reversed(moves):
                rename_no_replace(target, source)
            raise
        if void is None:
            raise _unknown(f"{number}的作废", f"发文登记簿里 {number} 是否已标为作废，没有就再运行一次同样的"
                                              " lzdocs void") from None
    return VoidedDocument(number, doc["title"], doc["recipient"], doc["issued"], voided, reason,
                          [target for _, target in moves] or ([moved] if moved else []),
                          [] if moved or not doc["file"] else [doc["file"]])  # a 批评教育 has no file


SKIPPED = "skipped"  # the kind of a number never issued, left out when a later one was assigned, and voided


def _void_skipped(store: Store, conn: Connection, number: str, reason: str, voided: dt.date,
                  year_dir: Callable[[int], Path]) -> VoidedDocument:
    """作废 of a number left empty (空号): an assigned number (``--number``) jumped past it, so the next automatic
    number follows the assigned one and this one is never issued. Recorded 作废 with its reason — an archivist asks
    after every gap in the 文号 — without a file. A number beyond the last one used is no gap: refused as unknown;
    nor is one the event log or a file of the year shows issued (its record gone: :func:`never_used`)."""
    parsed = DocumentNumber.parse(number)
    if parsed is None:
        raise unknown_number(conn, number)
    folder = year_dir(parsed.year)
    kinds = [f for f in folder.iterdir() if f.is_dir() and not f.is_symlink()] if folder.is_dir() else []
    used = _issued_events(conn, store.url, parsed.code, parsed.year).get(parsed.seq) or _file_of(parsed, kinds)
    if used:
        raise FieldError(f"文号 {number} 已经用过（{used}），发文登记簿中却没有它：它不是空号，没有作废",
                         hint="档案库可能被改动过，或被换成了旧的副本：请运行 lzdocs verify 检查")
    if parsed.seq >= q.next_seq(conn, parsed.code, parsed.year):
        raise unknown_number(conn, number)
    q.add_document(conn, kind=SKIPPED, code=parsed.code, year=parsed.year, seq=parsed.seq, number=number,
                   title="空号", recipient="", issued=voided, file="", sha256="", note="", copies=0,
                   created_at=store.now(), origin="auto", status=q.VOID, void_reason=reason, voided=voided)
    pending.mark(conn, parsed.year, pending.LETTER_BOOKS)
    store.log(conn, "void", number, before={"status": None}, after={"status": q.VOID, "reason": reason,
                                                                     "voided": voided, "skipped": True})
    return VoidedDocument(number, "空号", "", voided, voided, reason, [], [])


def _settle_void_file(store: Store, conn: Connection, doc, folder: Path,
                      workspace_root: Path) -> VoidedDocument | None:
    """A number voided whose file went into 作废/ and was not recorded there — the next letter moving the file that
    waited hidden (``_void_leftover``) killed, or its commit's answer lost, between the move and the commit: found
    by its name and SHA-256 and recorded where it is, as that letter would have done. None when there is no such
    file (the number is simply void)."""
    found = _moved_before(workspace_root / doc["file"], folder, doc["sha256"]) if doc["file"] else None
    if found is None:
        return None
    _void_file_moved(store, conn, doc, _recorded_name(found, workspace_root))
    pending.mark(conn, doc["year"], pending.LETTER_BOOKS)  # the 发文登记簿 names its file
    return VoidedDocument(doc["number"], doc["title"], doc["recipient"], doc["issued"], doc["voided"],
                          doc["void_reason"], [found], [])


def _void_file_moved(store: Store, conn: Connection, doc, recorded: str) -> None:
    """The voided document ``doc`` (its row as read in this transaction) recorded with its file at ``recorded``, in
    作废/: its row, the manifest and the event."""
    q.void_document(conn, doc["id"], reason=doc["void_reason"], voided=doc["voided"], file=recorded)
    files.move(conn, doc["file"], recorded, role="voided")
    store.log(conn, "void_file", doc["number"], before={"file": doc["file"]}, after={"file": recorded})


def _moved_before(document: Path, folder: Path, sha256: str) -> Path | None:
    """The document's file already in 作废/ (a void killed after its move, before its commit), found by its name
    and SHA-256; None when it is not there."""
    if document.exists() or not folder.is_dir():
        return None
    for candidate in sorted(folder.glob(f"{glob_escape(document.stem)}*{document.suffix}")):
        if candidate.is_file() and sha256_file(candidate) == sha256:
            return candidate
    return None


def _move_to_void(document: Path, folder: Path, moves: list[tuple[Path, Path]]) -> None:
    """Move the document and its PDF copy (same name, .pdf) into ``folder``, never over a file there; each move
    done is added to ``moves`` as (from, to) at once, so that a later failure can put it back."""
    for source in (document, document.with_suffix(".pdf")):
        if source.is_file():
            moves.append((source, move_without_replacing(source, folder, source.stem, source.suffix)))

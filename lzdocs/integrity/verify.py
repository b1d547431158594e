"""``lzdocs verify``: the archive checked against itself — the events' chain, every recorded file, strays, SQLite."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from lzdocs.errors import describe_os_error
from lzdocs.fsutil import is_undecodable, sha256_file, stale_files
from lzdocs.ingest import claims as cl
from lzdocs.integrity.findings import Finding, Report
from lzdocs.store import chain
from lzdocs.store import files as manifest
from lzdocs.store.kept import DRAFT_DIR, VOID_DIR, YEAR_FOLDER
from lzdocs.store.years import closures

if TYPE_CHECKING:
    from lzdocs.store import Store
    from lzdocs.workspace import Workspace

# An unrecorded file that is empty or hidden (``.name.1a2b3c4d.part.docx``, ``.<hex>.part.docx``) is a write in progress
# (a name reserved, a temp file beside its place) while it is younger than this, by its own file system's clock —
# the age after which registers.remove_stale_parts also takes such a file for a leftover.
IN_PROGRESS = 600
CONFIRM_AFTER = 0.5  # seconds before a finding about a file is looked at again (a rewrite and its row: milliseconds)
CONFIRM_WAIT = 60  # seconds the second look waits for a rebuild of the registers under way

STRAY = "档案记录中没有这个文件（不是 lzdocs 写入的）：请核实它从哪里来；verify 不会移动或删除它"
# …in a year's 草稿/: most likely a draft whose writing was cut off before it was recorded (drafts take no number)
STRAY_DRAFT = ("草稿文件夹里有一份档案记录中没有的文件：多半是写草稿的程序在登记前中断留下的草稿"
               "（草稿不编文号、不算发文），也可能是别人放进来的；核实后不需要的可以删除；verify 不会移动或删除它")
# Said of a register or 公示表 that is not as recorded: what a rebuild stopped by a second Ctrl-C (or a power cut)
# between writing it and recording it leaves.
REGENERATE = "；它由档案生成，核实后运行 lzdocs register 即可按档案重新生成并记录"
LEFTOVER = "写入中断留下的空文件或临时文件，档案记录中没有：请核实后处理；verify 不会移动或删除它"
UNFINISHED = "一次收取在归档途中中断（处理它的程序已退出）：运行一次 lzdocs ingest 即可完成，请勿手动移动或删除"
MISSING = "文件不见了（被删除、改名或移走）"
STRANDED_VOID = ("作废的文书移到这里后没有登记上（登记的位置是 {}，内容相同；移动它的程序在登记前中断了）："
                 "对这个文号再运行一次 lzdocs void 即可补记，请勿手动移动或删除")
UNPLACED = ("文书已登记，文件还在隐藏的临时名下（发文的程序在登记后、放到位前中断了）：运行一次 lzdocs register"
            "（或下一次发同类文书、作废这个文号时）自动放到位，请勿手动移动或删除")
REBUILT = ("登记簿重建时中断（放到位后、登记前）：这是 lzdocs 重新生成的文件，不是改动；"
           "运行一次 lzdocs register 即可登记，请勿手动移动或删除")
TAKEN_BACK = ("退回的文件不在退回文件夹里了：报送单位把它取回修改时如此，收到它改好的表后自动了结"
              "（不再列出）；否则文件不见了，请从备份找回")
# Said of a 总结 changed since lzdocs wrote it, and of a .docx in a 总结 folder that it did not write: the clerk's 定稿.
FINAL = ("；若是本处修改好的总结定稿，请运行 lzdocs summary --final \"{}\" 登记它（登记以前，与记录不符的文件不进备份，"
         "归档也不知道取哪一份）")
# …and in a year its 归档 package closed, where ``--final`` is refused until the year is reopened.
FINAL_CLOSED = ("；若是本处修改好的总结定稿：{year} 年度已归档关闭，要登记它须先 lzdocs archive --reopen {year} "
                "--reason 原因 重新打开，再运行 lzdocs summary --final \"{path}\"，然后重新归档")
NOT_FINAL = "；若不是，请从备份核对"
UNLISTED = "收文或发文记录指向这个文件，但文件清单中没有它（清单被改动过，或升级到第 8 版时它已不在）"
REPLACED = "原来在这里的文件（{}{}）不见了，这个名字现在是另一个文件的"
WHAT = {"submission": "收文记录 #", "document": "发文记录 #"}


def verify(ws: Workspace, store: Store, *, year: int | None = None) -> Report:
    """Check the archive of ``ws``: its files only under outbox/<year>/ when ``year`` is given; the chain whole."""
    started = time.perf_counter()
    report = Report()
    check_chain(store, report)
    check_records(store, report)
    check_files(ws, store, report, year)
    check_database(store, report)
    report.seconds = time.perf_counter() - started
    return report


# --- the events' chain ----------------------------------------------------------------------------------------
def check_chain(store: Store, report: Report) -> None:
    """Each event's hash recomputed and linked to the one before; the last one against the recorded head. Each
    break is named where it happens, with the time of the last intact event before it."""
    count, previous, last_good = 0, None, None
    with store.read() as conn:
        head_id, head_hash = chain.head(conn)
        for event in chain.stored_events(conn):
            count += 1
            found = list(_event_findings(event, previous, head_id, last_good))
            report.findings += found
            if not any(f.kind in ("event_changed", "event_inserted") for f in found):
                last_good = chain.moment(event["at"])
            previous = event
    last_id = previous["id"] if previous else 0
    if head_id > last_id:
        gone = f"事件 #{last_id + 1}" + (f"—#{head_id}" if head_id > last_id + 1 else "")
        report.findings.append(Finding("event_missing", gone, f"已被删除（lzdocs 记下的最后一个事件是 #{head_id}）",
                                       last_good))
    elif previous and head_hash != previous["hash"] and all(f.subject != f"事件 #{last_id}" for f in report.findings):
        report.findings.append(Finding("event_changed", f"事件 #{last_id}",
                                       "与 lzdocs 记下的最后一个事件不符：被替换过", last_good))
    report.checked["events"] = count


def _event_findings(event: dict, previous: dict | None, head_id: int, last_good: str | None) -> Iterator[Finding]:
    subject = f"事件 #{event['id']}"
    if event["id"] > head_id:
        yield Finding("event_inserted", subject, f"不是 lzdocs 记下的：在它记下的最后一个事件 #{head_id} 之后插入",
                      last_good)
        return
    if event["hash"] is None:
        yield Finding("event_inserted", subject, "没有校验值，不是 lzdocs 记下的：是后来插入的", last_good)
        return
    if chain.event_hash(event["prev_hash"], event) != event["hash"]:
        yield Finding("event_changed", subject, "内容被改动过（与记录时的校验值不符）", last_good)
    before = previous["id"] if previous else 0
    if event["prev_hash"] != (previous["hash"] if previous else None):
        if event["id"] > before + 1:
            gone = f"事件 #{before + 1}" + (f"—#{event['id'] - 1}" if event["id"] > before + 2 else "")
            yield Finding("event_missing", gone, f"已被删除（事件 #{event['id']} 接不上它前面的事件）", last_good)
        else:
            yield Finding("chain_broken", subject,
                          f"与前一个事件 #{before} 接不上：其间有事件被删除、插入或改动过", last_good)


# --- the records the events tell of --------------------------------------------------------------------------
TAKEN = ("accepted", "rejected", "duplicate")  # the events of a form taken (``after.submission``: its record)
RECORD_GONE = ("事件 #{} 记下了{}，数据库中却没有它的记录：数据库被改动过（记录被删除）；"
               "请从备份核对，不要在此之后继续发文")


def check_records(store: Store, report: Report) -> None:
    """Each document the event log says was issued (its 文号) and each form it says was taken (its submission) still in
    the database: a record deleted from the tables, with its file, leaves the chain whole and every file as
    recorded — and its 文号 free to be issued again (documents/numbering.never_used refuses that)."""
    import json

    from lzdocs.store import sql

    with store.read() as conn:
        numbers = {row["number"] for row in sql.rows(conn, "SELECT number FROM documents")}
        forms = {row["id"] for row in sql.rows(conn, "SELECT id FROM submissions")}
        marks = ", ".join(f"'{action}'" for action in ("issue", *TAKEN))
        events = sql.rows(conn, f"SELECT id, action, subject, after FROM events WHERE action IN ({marks}) ORDER BY id")
    # an event the chain's check named as inserted or changed is not lzdocs's word on what it did
    forged = {f.subject for f in report.findings if f.kind in ("event_inserted", "event_changed")}
    for event in events:
        if f"事件 #{event['id']}" in forged:
            continue
        if event["action"] == "issue":
            if event["subject"] not in numbers:
                report.findings.append(Finding("record_missing", f"发文记录 {event['subject']}",
                                               RECORD_GONE.format(event["id"], "这份文书的发文")))
            continue
        try:
            taken = json.loads(event["after"] or "{}").get("submission")
        except (ValueError, AttributeError):  # an event changed by hand: the chain's check names it
            continue
        if isinstance(taken, int) and taken not in forms:
            report.findings.append(Finding("record_missing", f"{WHAT['submission']}{taken}（{event['subject']}）",
                                           RECORD_GONE.format(event["id"], "这份表格的收取")))


# --- the files ------------------------------------------------------------------------------------------------
def check_files(ws: Workspace, store: Store, report: Report, year: int | None) -> None:
    """Every recorded file there with its size and SHA-256; nothing unrecorded in the archive folders."""
    prefix = f"{ws.relative(ws.year_dir(year))}/" if year is not None else None
    with store.read() as conn:
        recorded = {row["path"]: row for row in manifest.all_files(conn)}
        named = manifest.named_by_rows(conn)
        closed = {row["year"] for row in closures(conn) if row["reopened_at"] is None}
    live, unfinished = _claimed(ws)
    entries = list(ws.archive_files(year))  # listed once: for the hidden files of letters, then for strays
    unplaced = _unplaced(ws, entries, recorded)
    root, checked, size = str(ws.root), 0, 0
    findings: list[Finding] = []
    for path, row in recorded.items():
        if (prefix and not path.startswith(prefix)) or path in live:
            continue
        checked, size = checked + 1, size + row["size"]
        finding = (Finding("unfinished", path, UNFINISHED) if path in unfinished
                   else _file_finding(os.path.join(root, path), row, closed))
        if finding:
            findings.append(finding)
    findings += _strays(ws, entries, recorded, live | set(unplaced.values()), unfinished,  # named with their document
                        closed)
    confirmed = _rebuilt(ws, _confirmed(ws, store, findings))  # not put in place by a batch meanwhile
    report.findings += _stranded_in_void(ws, [Finding("unfinished", f.subject, UNPLACED)
                                              if f.kind == "missing" and f.subject in unplaced else f
                                              for f in confirmed], recorded)
    report.findings += _unaccounted(named, recorded, prefix, live | unfinished)
    report.checked.update(files=checked, bytes=size)


def _rebuilt(ws: Workspace, findings: list[Finding]) -> list[Finding]:
    """A register or 公示表 changed or unrecorded that is the very file a rewrite of the registers noted before it put
    it in place, and was killed before recording (documents/placing.py): said as such, with the command that records
    it — not as a change to the archive. (Looked at after ``_confirmed``: a rewrite under way has recorded its files
    by then, so a journal still there is a killed one's.)"""
    from lzdocs.documents import placing

    if not any(f.kind in ("changed", "stray") for f in findings):
        return findings
    ours = placing.ours(ws, placing.noted(placing.journal_of(ws)))
    return [Finding("unfinished", f.subject, REBUILT) if f.kind in ("changed", "stray") and f.subject in ours else f
            for f in findings]


def _stranded_in_void(ws: Workspace, findings: list[Finding], recorded: dict) -> list[Finding]:
    """A recorded file missing, and a file nothing recorded in a 作废/ folder with its name and bytes: a voided
    document's file moved there by a letter killed before its commit. Both said as such, with the way to record it
    (``lzdocs void`` on the number again: documents/numbering.py ``_settle_void_file``)."""
    missing = {recorded[f.subject]["sha256"]: f for f in findings if f.kind == "missing" and f.subject in recorded}
    strays = [f for f in findings if f.kind == "stray" and PurePosixPath(f.subject).parent.name == VOID_DIR]
    if not missing or not strays:
        return findings
    said: dict[int, Finding] = {}
    for stray in strays:
        try:
            was = missing.get(sha256_file(ws.root / stray.subject))
        except OSError:
            continue
        if was is not None and PurePosixPath(stray.subject).name.startswith(PurePosixPath(was.subject).stem):
            said[id(was)] = replace(was, message=f"{MISSING}；同样内容的文件在 {stray.subject}")
            said[id(stray)] = replace(stray, message=STRANDED_VOID.format(was.subject))
    return [said.get(id(f), f) for f in findings]


def _unaccounted(named: list, recorded: dict, prefix: str | None, in_flight: set[str]) -> list[Finding]:
    """A file that a submission keeps or a document is, but whose manifest row is gone or now belongs to another
    file at the same name (deleted, then its name taken again): missing all the same."""
    findings = []
    for path, what, ident in named:
        if (prefix and not path.startswith(prefix)) or path in in_flight:
            continue
        row = recorded.get(path)
        if row is None:
            findings.append(Finding("missing", path, UNLISTED))
        elif row[f"{what}_id"] is not None and row[f"{what}_id"] != ident:
            findings.append(Finding("missing", path, REPLACED.format(WHAT[what], ident)))
    return findings


def _file_finding(path: str, row: dict, closed: set[int] = frozenset()) -> Finding | None:
    """What is wrong with the recorded file at ``path``: missing, another size, other bytes; None when it holds.
    One ``lstat`` (a link or device is never opened) and, when the size is right, one read. ``closed``: the years
    closed by their 归档 package (what to do with an edited 总结 depends on it)."""
    since = chain.moment(row["recorded_at"])
    subject = row["path"]
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            return Finding("changed", subject, "已不是普通文件（被换成了链接、文件夹或设备）", since)
        if st.st_size != row["size"]:
            return _changed(subject, f"内容被改动过：现在 {st.st_size} 字节，记录时 {row['size']} 字节", since, row,
                            closed)
        with open(path, "rb", buffering=0, opener=_no_follow) as fh:
            if hashlib.file_digest(fh, "sha256").hexdigest() != row["sha256"]:
                return _changed(subject, "内容被改动过：大小未变，但 SHA-256 与记录时不同", since, row, closed)
    except FileNotFoundError:
        if _may_be_taken_back(row):
            return Finding("taken_back", subject, TAKEN_BACK, since)
        return Finding("missing", subject, MISSING, since)
    except OSError as exc:
        return Finding("unreadable", subject, f"无法读取：{describe_os_error(exc)}", since)
    return None


def _may_be_taken_back(row: dict) -> bool:
    """A returned file, or its 错误说明, gone from 退回/ itself: its unit took it back to correct it, as the
    错误说明 says (a unit takes both as often as the file alone). Not one settled into 退回/已处理/ since: its corrected
    form came, and nobody has a reason to take it from there."""
    from lzdocs.ingest.returned import SETTLED

    return row["role"] in ("returned", "explanation") and SETTLED not in PurePosixPath(row["path"]).parts


def _changed(subject: str, message: str, since, row: dict, closed: set[int]) -> Finding:
    """A recorded file with other bytes; a register or 公示表 is made from the archive, and says how to make it
    again (a rebuild stopped by a second Ctrl-C, or a power cut, leaves one rewritten but not recorded); a 总结
    the clerk may have edited since (docs/product.md §12.3) says what that means."""
    if row["role"] in ("register", "publicity"):
        message += REGENERATE
    elif row["role"] == "summary":
        message += _final_hint(subject, closed) + NOT_FINAL
    return Finding("changed", subject, message, since)


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))


def _unplaced(ws: Workspace, entries: list[tuple[str, os.DirEntry]], recorded: dict) -> dict[str, str]:
    """Documents recorded whose file still waits under its hidden name, with the recorded bytes (the letter's run
    was killed after its commit, before the rename; the next letter of its kind, or its void, puts it in place):
    recorded path → hidden file's path."""
    from lzdocs.documents.numbering import unplaced_name

    found = {}
    for path, entry in entries:
        name = unplaced_name(entry.name)
        final = f"{path.rsplit('/', 1)[0]}/{name}" if name and "/" in path else None
        row = recorded.get(final) if final else None
        if row is not None and row["document_id"] is not None and not os.path.lexists(os.path.join(ws.root, final)):
            try:
                if entry.is_file(follow_symlinks=False) and sha256_file(entry.path) == row["sha256"]:
                    found[final] = path
            except OSError:
                continue
    return found


def _strays(ws: Workspace, entries: list[tuple[str, os.DirEntry]], recorded: dict, live: set[str],
            unfinished: set[str], closed: set[int]) -> list[Finding]:
    """Files in the archive folders (``entries``) that nothing recorded; a write in progress (see IN_PROGRESS) is
    not one."""
    findings, maybe_in_progress = [], {}
    for path, entry in entries:
        if path in recorded or path in live:
            continue
        if path in unfinished:
            findings.append(Finding("unfinished", path, UNFINISHED))
        elif entry.name.startswith(".") or _empty(entry):
            maybe_in_progress[Path(entry.path)] = path
        elif _in_drafts(path):
            findings.append(Finding("draft_left", path, STRAY_DRAFT))  # drafts count for nothing: a note
        else:
            findings.append(Finding("stray", path, STRAY + _what_to_do(ws, path, closed)))
    for leftover in stale_files(maybe_in_progress, IN_PROGRESS):
        findings.append(Finding("stray", maybe_in_progress[leftover], LEFTOVER))
    return findings


def _in_drafts(path: str) -> bool:
    """Is ``path`` (relative to the workspace) a file of a year's 草稿/ folder (outbox/<year>/草稿/<name>)?"""
    parts = PurePosixPath(path).parts
    return (len(parts) == 4 and parts[0] == "outbox" and YEAR_FOLDER.fullmatch(parts[1]) is not None
            and parts[2] == DRAFT_DIR)


def _what_to_do(ws: Workspace, path: str, closed: set[int]) -> str:
    """What a file nothing recorded may be, and what then to do: a register rebuilt but not recorded (a second
    Ctrl-C), or the clerk's 定稿 of a 总结 saved beside the one lzdocs wrote; a name that is not UTF-8 says so."""
    from lzdocs.documents.summary_final import summary_year

    if is_undecodable(path):
        return "；文件名或所在文件夹名不是 UTF-8 编码（可能是从 GBK 压缩包解出的），备份不会带上它"
    if _made_from_archive(ws, path):
        return REGENERATE
    if path.lower().endswith(".docx") and summary_year(ws, ws.root / path) is not None:
        return _final_hint(path, closed)
    return ""


def _final_hint(path: str, closed: set[int]) -> str:
    """How to record the 总结 at ``path`` (relative to the workspace: outbox/<year>/总结/…) as the office's 定稿 —
    after reopening its year when its 归档 package closed it."""
    year = _year_of(path)
    if year in closed:
        return FINAL_CLOSED.format(year=year, path=path)
    return FINAL.format(path)


def _year_of(path: str) -> int | None:
    """The year of a path relative to the workspace (outbox/<year>/…): its first part of four digits."""
    return next((int(part) for part in PurePosixPath(path).parts if part.isdigit() and len(part) == 4), None)


def _made_from_archive(ws: Workspace, path: str) -> bool:
    """Is ``path`` (relative to the workspace) one of the registers or the 公示表 of its year?"""
    from lzdocs.documents.registers import register_paths

    year = _year_of(path)
    return year is not None and path in {ws.relative(p) for p in register_paths(ws, year).values()}


def _empty(entry: os.DirEntry) -> bool:
    try:
        st = entry.stat(follow_symlinks=False)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size == 0


def _claimed(ws: Workspace) -> tuple[set[str], set[str]]:
    """Paths in the archive that ingests hold (a name reserved, the copy beside it): (those of a live process — an
    ingest in flight, not a finding —, those of one that died — finished by the next ingest)."""
    live: set[str] = set()
    dead: set[str] = set()
    for folder in cl.leftovers(ws.work / "claims"):
        lock = cl.Claim(folder.name, str(folder), "", "", None)
        try:
            held = lock.hold()
        except OSError:  # its owner removed the folder meanwhile: finished
            continue
        try:
            claim = cl.Claim.load(folder)  # with the lock held: an owner that finished has removed its intent
        finally:
            lock.let_go()
        if claim is not None:
            (dead if held else live).update(ws.relative(Path(p)) for p in (claim.dest, claim.partial, *claim.reserved)
                                            if p)
    return live, dead


# The findings about a file, each looked at once more (``_confirmed``): a returned file taken back is one too — a
# unit's corrected form settles it into 退回/已处理/ while verify looks, its row following the move.
LOOKED_AGAIN = ("changed", "missing", "stray", "taken_back", "draft_left")


def _confirmed(ws: Workspace, store: Store, findings: list[Finding]) -> list[Finding]:
    """The findings about files that still hold when looked at again, their rows read anew: a register rewritten
    (file then row) or a letter put in place (row then file) while we looked is no finding. A rebuild of the
    registers writes its files and then their rows under the registers' writer lock, which may take longer than
    ``CONFIRM_AFTER`` on a busy machine: the second look is taken with that lock held (waiting up to
    ``CONFIRM_WAIT``), when no rebuild is half done."""
    if not any(f.kind in LOOKED_AGAIN for f in findings):
        return findings
    from filelock import Timeout

    from lzdocs.documents.registers import writer_lock

    time.sleep(CONFIRM_AFTER)
    lock = writer_lock(ws)
    try:
        lock.acquire(timeout=CONFIRM_WAIT)
    except (Timeout, OSError):  # a rebuild that never ends, or a workspace we may only read: look without it
        return _looked_at_again(ws, store, findings)
    try:
        return _looked_at_again(ws, store, findings)
    finally:
        lock.release()


def _looked_at_again(ws: Workspace, store: Store, findings: list[Finding]) -> list[Finding]:
    kept = []
    with store.read() as conn:
        for finding in findings:
            if finding.kind not in LOOKED_AGAIN:
                kept.append(finding)
                continue
            # (a name that is not UTF-8 is in no manifest: the database cannot even be asked for it)
            row = None if is_undecodable(finding.subject) else manifest.recorded(conn, finding.subject)
            path = os.path.join(ws.root, finding.subject)
            if row is not None:
                still = _file_finding(path, dict(row)) is not None
            else:  # a recorded file whose row moved on meanwhile (settled, voided) no longer is one
                still = finding.kind in ("stray", "draft_left") and os.path.lexists(path)
            if still:
                kept.append(finding)
    return kept


# --- the database ---------------------------------------------------------------------------------------------
def check_database(store: Store, report: Report) -> None:
    """SQLite's own integrity check of the database file (other databases check themselves)."""
    problems = store.integrity_check()
    if problems is None:
        return
    report.checked["database"] = 1
    if problems:
        shown = "；".join(problems[:3]) + ("……" if len(problems) > 3 else "")
        report.findings.append(Finding("database", store.file.name if store.file else "数据库",
                                       f"数据库文件已损坏（SQLite 完整性检查：{shown}）：请从备份恢复"))

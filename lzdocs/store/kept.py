"""Which archive a workspace keeps (docs/product.md §5, "One workspace, one archive").

Once its archive holds records, a workspace records in its work folder the archive's identity
(``Store.archive_id``) and where it is (``Store.place``). Every command opens the archive through
``Store.for_workspace``, which refuses — before the schema is made or upgraded, before anything is written — an archive
that is not that one:

- lzdocs.db deleted, moved away or not copied along, or an empty database in its place: a new archive would be
  made — letters numbered from 1 again (a second 内工大纪建〔2026〕1号), the registers rewritten empty, the forms
  already filed unknown to it. The workspace's own files tell the same when the record went too (.lzdocs deleted):
  issued letters and received forms under outbox/<year>/;
- another archive in its place: a new file, one copied from another workspace, a ``[database] url`` that names
  another server or schema;
- the SQLite file taken up again after the archive moved to a server: the same archive, but an old copy of it,
  which would number a letter the server has numbered already.

The same archive elsewhere is welcome, and the record follows it: the file put back, the workspace moved or copied,
a backup restored, the archive copied to a server (``lzdocs db copy`` carries its identity). An archive without
records yet is not kept: a workspace only tried out may be pointed at the school's server. An archive from before
identities passes only when the inbox's record (lzdocs/ingest/owner.py) names it this workspace's, and takes back
the identity recorded."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lzdocs.errors import StoreError, describe_os_error
from lzdocs.fsutil import DamagedRecord, read_record, record_text, write_atomic

if TYPE_CHECKING:
    from lzdocs.store.db import Store
    from lzdocs.workspace import Workspace

log = logging.getLogger("lzdocs.store")

RECORD = "archive.json"  # in the workspace's work folder (.lzdocs): {"archive", "place", "database", "left"}
# Folders of outbox/<year>/ whose files only an archive makes, each with its record: received forms
# (ingest/pipeline.py: RECEIVED), the files of voided numbers (VOID_DIR: documents/numbering.py moves them there), and
# one folder per kind of letter and notice (documents/kinds.py). Not the registers, the 公示表, drafts or the 总结 —
# made without one — nor anything a clerk puts there by hand.
RECEIVED_DIR, VOID_DIR = "收文", "作废"
DRAFT_DIR = "草稿"  # outbox/<year>/草稿/: previews that took no number (documents/numbering.py write_draft)
YEAR_FOLDER = re.compile(r"\d{4}", re.ASCII)  # the name of an outbox/<year>/ folder


class NotThisArchive(StoreError):
    """The workspace's archive is missing, or another archive stands in its place: refused, nothing written."""


@dataclass(frozen=True)
class There:
    """What the database holds, read without changing it: the archive's identity, whether it has records, where."""

    archive: str | None
    records: bool
    place: str | None  # a server's own id, when it has one (``Store.place``); a SQLite file's, always


def record_path(ws: Workspace) -> Path:
    """Where the record is (its folder not made: a workspace only read, as by the status page, stays as it is)."""
    from lzdocs.workspace import WORK_DIR

    return ws.root / WORK_DIR / RECORD


def recorded(ws: Workspace) -> dict | None:
    """The archive the workspace records (None before it had records). Opened once, without following a link; a
    record that is not the JSON written here is refused (NotThisArchive), never taken for no record."""
    path = record_path(ws)
    try:
        return read_record(path, "archive")
    except DamagedRecord:
        raise NotThisArchive(f"工作区记录所用档案库的文件“{path}”已损坏（不是 lzdocs 写的内容），本次未打开档案库",
                             hint=f"请确认 lzdocs.db 是本工作区原来的档案库，然后删除 {path} 后重新运行") from None
    except OSError as exc:
        raise StoreError(f"无法读取工作区的档案库记录“{path}”：{describe_os_error(exc)}",
                         hint="请检查工作区文件夹的权限后重新运行") from exc


def record_folders() -> set[str]:
    from lzdocs.documents.kinds import KINDS, NOTICE_KINDS

    return {RECEIVED_DIR, VOID_DIR, *(k.name for k in KINDS.values()), *NOTICE_KINDS}


def kept_files(ws: Workspace) -> list[str]:
    """The folders of outbox/<year>/ that hold what only an archive makes — received forms, issued letters and
    notices (``2026/收文``…, ``record_folders``)."""
    found, ours = [], record_folders()
    try:
        years = sorted(p for p in ws.outbox.iterdir() if YEAR_FOLDER.fullmatch(p.name) and p.is_dir())
        for year in years:
            for folder in sorted(p for p in year.iterdir() if p.is_dir() and p.name in ours):
                if any(_kept(p) for p in folder.rglob("*")):
                    found.append(f"{year.name}/{folder.name}")
    except OSError:
        pass
    return found


def _kept(path: Path) -> bool:
    """A file put in place after its record was committed: not a name reserved (empty), nor one being written (a
    hidden ``.….part``, a marker) — another process's ingest or letter a moment before its first commit."""
    return not path.name.startswith(".") and path.is_file() and path.stat().st_size > 0


# --- the checks -----------------------------------------------------------------------------------------------
def before_opening(ws: Workspace) -> None:
    """Refuse to make a new SQLite archive, its file not there, for a workspace that kept one: it is lost."""
    from lzdocs.store.db import sqlite_file

    file = sqlite_file(ws.db_url)
    if file is None or file.exists():
        return
    found, files = recorded(ws), kept_files(ws)
    if found is None and not files:
        return
    if not file.parent.is_dir():
        raise NotThisArchive(f"档案库所在的文件夹 {file.parent} 不存在，本次什么也没有改动",
                             hint="请检查网络共享是否已连接、盘符是否正确，或 lzdocs.toml 的 [database] url 是否写对")
    raise NotThisArchive(f"找不到本工作区的档案库 {file}。" + _had(ws, found, files)
                         + "新建一个空的会让文号从 1 号重新编、登记簿被改写成空的，所以没有新建，本次什么也没有改动",
                         hint=f"请把原来的 {file.name} 放回 {file.parent}（或用 lzdocs restore 从备份恢复出工作区）；"
                              + _afresh(ws, found, files))


def opening(ws: Workspace, store: Store) -> dict | None:
    """The database connected, before its schema is made or upgraded: the archive the workspace keeps, or refused.
    Returns the record (for ``opened``)."""
    found = recorded(ws)
    files = [] if found is not None else kept_files(ws)
    if found is None and not files:
        return None
    from lzdocs.store.db import shown_url

    there, shown = look(store), shown_url(store.url)
    if not there.records:
        files = files or kept_files(ws)
        raise NotThisArchive(f"{shown} 里没有档案（是一个空的数据库）。" + _had(ws, found, files)
                             + "在空的数据库里接着做，文号会从 1 号重新编、登记簿会被改写成空的，本次什么也没有改动",
                             hint="请把原来的档案库放回（lzdocs.db 从备份恢复，或在 lzdocs.toml 的 [database] url "
                                  "写回原来的数据库）；要把档案库搬到这个数据库，先把 url 改回原来的，运行 "
                                  f"lzdocs db copy --to 新地址，再改 url；{_afresh(ws, found, files)}")
    if found is None:
        return found
    if there.archive is None:  # an archive from before identities: this one's old backup, or another's
        if _inbox_names(ws, found["archive"]):
            return found  # a backup of this workspace from before identities, restored: it takes its identity back
        raise NotThisArchive(
            f"{shown} 里的档案库是旧版本 lzdocs 建的，没有身份记录，不能确认它就是本工作区原来的档案库，"
            "本次什么也没有改动",
            hint="请把原来的档案库放回；若它确是本工作区的（如从旧备份恢复），删除 "
                 f"{record_path(ws)} 后重新运行")
    if there.archive != found["archive"]:
        was = found.get("database")
        raise NotThisArchive(
            f"{shown} 里的档案库不是本工作区原来的档案库（数据库被换过：新建的，或从别处复制来的"
            + (f"；原来的在 {was}" if isinstance(was, str) and was != shown else "") + "），本次什么也没有改动",
            hint="请把原来的档案库放回（lzdocs.db 从备份恢复，或在 lzdocs.toml 的 [database] url 写回原来的数据库）；"
                 f"若确要改用这个档案库，删除 {record_path(ws)} 后重新运行")
    left = found.get("left")
    if there.place is not None and isinstance(left, list) and there.place in left:
        raise NotThisArchive(
            f"{shown} 是本档案库搬到数据库服务器（{found.get('database') or '服务器'}）之前的旧文件：搬过以后只用"
            "服务器上的档案，旧文件再记的文书、表格服务器上没有，会重复编文号，本次什么也没有改动",
            hint="请在 lzdocs.toml 的 [database] url 写上服务器的地址（即 lzdocs db copy --to 的地址）；若决定不搬、"
                 "仍用这个文件，先请管理员删除服务器上的那一份（留着它，日后 url 再指向它时会重复编文号），"
                 f"再删除 {record_path(ws)} 后重新运行")
    if (newer := _newer_in_file(found, there, store)) is not None:
        raise NotThisArchive(
            f"本工作区上次用的档案库文件 {newer['file']} 里有 {shown} 上没有的记录（最后一条：{newer['at']} "
            f"{newer['action']} {newer['subject']}）：两边是同一个档案库的两份副本，各自记过东西，换到这里会丢掉"
            "那些记录，并会重复编文号，本次什么也没有改动",
            hint="请在 lzdocs.toml 的 [database] url 写回那个文件，继续用它；要改用服务器，先请管理员清空服务器上的"
                 "那一份，再用 lzdocs db copy --to 服务器地址 把文件里的档案复制过去")
    return found


def _newer_in_file(found: dict, there: There, store: Store) -> dict | None:
    """The last event of the SQLite file this workspace used last, when the server it opens now is another copy of
    the same archive without it: the file was written after the copy (server → file → server, or a workspace
    restored from a backup of the server and pointed back at it) — each copy numbered letters of its own. None when
    the server holds it (it is ahead or the same), or the file cannot be read here to tell. A copy of a workspace's
    folder used beside the original (file and file) is not looked at: both copies stay usable for reading."""
    import sqlite3
    from contextlib import closing

    from lzdocs.store.db import computer

    then = str(found.get("place") or "")
    if not then.startswith("sqlite:") or there.place is None or not there.place.startswith("server:"):
        return None
    machine, _, path = then.removeprefix("sqlite:").partition(":")
    if machine != computer() or not os.path.isfile(path):
        return None
    from lzdocs.store import sql
    from lzdocs.store.chain import HEAD
    from lzdocs.store.meta import ARCHIVE_ID

    # Read only, nothing of it changed: without a -wal beside it the file is whole and is read as immutable (no
    # -wal or -shm made next to it, nor needed in a folder this computer may only read); with one, through it.
    wal = os.path.exists(f"{path}-wal")
    try:
        with closing(sqlite3.connect(_read_only_uri(path, immutable=not wal), uri=True, timeout=5)) as old:
            archive = old.execute("SELECT value FROM meta WHERE key = ?", (ARCHIVE_ID,)).fetchone()
            if archive is None or archive[0] != found.get("archive"):  # another archive now: not this one's copy
                return None
            head = old.execute("SELECT value FROM meta WHERE key = ?", (HEAD,)).fetchone()
            event_id, _, digest = str(head[0] if head else "").partition(" ")
            last = old.execute("SELECT at, action, subject FROM events WHERE id = ? AND hash = ?",
                               (event_id, digest)).fetchone()
    except sqlite3.Error:
        return None
    if last is None:
        return None
    with store.read() as conn:
        held = sql.scalar(conn, "SELECT id FROM events WHERE id = :id AND hash = :hash",
                          {"id": int(event_id), "hash": digest})
    if held is not None:
        return None
    return {"file": path, "at": str(last[0])[:19].replace("T", " "), "action": ACTIONS.get(last[1], last[1]),
            "subject": last[2]}


def _read_only_uri(path: str, *, immutable: bool) -> str:
    """A ``file:`` URI SQLite opens read only, for a path of this system — a Windows share's ``\\\\server\\share``
    too (``file:////server/share/…``: ``Path.as_uri`` makes it ``file://server/…``, which SQLite refuses)."""
    from urllib.parse import quote

    text = path.replace("\\", "/")
    text = text if text.startswith("/") else f"/{text}"  # D:/档案/lzdocs.db → /D:/档案/lzdocs.db
    return f"file://{quote(text, safe='/:')}?mode=ro" + ("&immutable=1" if immutable else "")


# What an event's action is, as a clerk says it (the last record a copy holds and another lacks).
ACTIONS = {"issue": "发文", "accepted": "收表", "rejected": "退回", "duplicate": "重复报送", "settled": "退回了结",
           "taken_back": "单位取回退回的表", "void": "作废文号", "void_file": "作废文件", "reply": "登记回复",
           "talk": "登记谈话", "check": "整改核查", "close": "办结", "link": "关联风险点", "review": "复核",
           "case_add": "登记案例", "case_void": "作废案例", "summary": "生成总结", "summary_final": "登记总结定稿",
           "summary_final_files": "用定稿生成上报材料",
           "archive": "归档", "reopen": "重新打开年度"}


def opened(ws: Workspace, store: Store, found: dict | None) -> bool:
    """The archive open and up to date: recorded once it holds records, and where it is now when it moved (the file
    put in another folder, the archive copied to a server). A workspace that cannot be written, or a server that
    cannot be (a read-only account for the status page), goes without. True when the archive is recorded (or was
    already); False while it has no records (``Store.begin`` records it after its first commit)."""
    from lzdocs.store.db import shown_url

    try:
        mine = store.archive_id(create=False)
        if mine is None and found is not None:  # passed by ``opening``: the inbox names it this workspace's
            mine = store.archive_id(adopt=found["archive"])
        if mine is None or (found is None and not store.has_records()):
            return False
        value = {"archive": mine, "place": store.place, "database": shown_url(store.url),
                 "left": _left(found, store.place)}
    except StoreError as exc:
        log.debug("工作区的档案库记录未能更新：%s", exc)
        return True
    if found == value:
        return True
    try:
        record_path(ws).parent.mkdir(exist_ok=True)
        write_atomic(record_path(ws), record_text(value))
    except OSError as exc:
        log.debug("工作区的档案库记录未能写入：%s", describe_os_error(exc))
    return True


def moved(ws: Workspace, source: Store, target: Store) -> bool:
    """``db copy`` from the workspace's SQLite file to a server, checked: the workspace keeps the server's copy from
    now on, and the file is an old copy (refused by ``opening`` until the url names the server) — a letter numbered
    in the file after the copy would be numbered again on the server, where the file's later records are not. A
    copy to another file is only a copy. True when the move is recorded."""
    from lzdocs.store.db import shown_url

    if source.file is None or target.file is not None:
        return False
    mine = source.archive_id(create=False)
    if mine is None:  # nothing recorded yet: nothing to number twice
        return False
    try:
        before = recorded(ws)
    except StoreError:  # unreadable or damaged since the archive was opened for the copy: the move is what
        before = None  # matters now (its earlier moves, unreadable, are lost with it)
    value = {"archive": mine, "place": target.place, "database": shown_url(target.url),
             "left": _left(before or {"place": source.place}, target.place)}
    record_path(ws).parent.mkdir(exist_ok=True)
    write_atomic(record_path(ws), record_text(value))
    return True


def _inbox_names(ws: Workspace, archive: str) -> bool:
    """The inbox's record (lzdocs/ingest/owner.py) names ``archive`` as this very workspace's, on this computer."""
    from lzdocs.ingest import claims
    from lzdocs.store.db import computer

    try:
        owner = claims.inbox_owner(ws.work)
    except (claims.DamagedOwner, OSError):
        return False
    return (owner is not None and owner["archive"] == archive and owner.get("workspace") == str(ws.root)
            and owner.get("machine", computer()) == computer())


def _left(found: dict | None, place: str) -> list[str]:
    """The SQLite files this archive moved away from to a server (``db copy``): old copies from then on, refused.
    A copy made back from the server to a file is another place, and welcome."""
    left = [p for p in (found or {}).get("left", ()) if isinstance(p, str) and p != place]
    then = str((found or {}).get("place") or "")
    if then.startswith("sqlite:") and place.startswith("server:") and then not in left:
        left.append(then)
    return left


def look(store: Store) -> There:
    """The archive in ``store``'s database as it is, by reading only (nothing made, nothing upgraded)."""
    from lzdocs.store import meta, sql
    from lzdocs.store.db import database_error, database_errors

    try:
        with store.read() as conn:
            tables = sql.tables(conn)
            records = "events" in tables and sql.scalar(conn, "SELECT id FROM events LIMIT 1") is not None
            if meta.TABLE not in tables:
                return There(None, records, None)
            archive = meta.get_meta(conn, meta.ARCHIVE_ID)
            server = meta.get_meta(conn, meta.DATABASE_ID) if store.file is None else None
    except database_errors() as exc:  # not a database, damaged, the server away: said as on any opening
        raise database_error(store.url, exc) from exc
    place = store.place if store.file is not None else (f"server:{server}" if server else None)
    return There(archive, records, place)


# --- what the messages say ------------------------------------------------------------------------------------
def _had(ws: Workspace, found: dict | None, files: list[str]) -> str:
    """What tells that the workspace had an archive."""
    if found is not None:
        return f"这个工作区已经建过档案库（记录在 {record_path(ws)}）。"
    return f"这个工作区已经有档案（outbox 里的 {'、'.join(files[:4])}{' 等' if len(files) > 4 else ''}）。"


def _afresh(ws: Workspace, found: dict | None, files: list[str]) -> str:
    """How to start an empty archive when the old one is truly given up: its record deleted, its files moved out
    (a new archive would take them for files nobody recorded)."""
    steps = ([f"删除 {record_path(ws)}"] if found is not None else []) + \
            ([f"把 outbox 里原来的年度文件夹（{'、'.join(sorted({f.split('/')[0] for f in files}))}）移出工作区"]
             if files else [])
    return f"若原来的档案确已不用、要从空档案库重新开始，{'，并'.join(steps)}后重新运行"

"""Backups (docs/product.md §12.2): snapshots of the database and the files it records, linked between runs; restore."""

from __future__ import annotations

import datetime as dt
import errno
import json
import logging
import os
import re
import shutil
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from glob import escape as glob_escape
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from lzdocs import interrupts
from lzdocs.errors import ConfigError, LzdocsError, describe_read_error, from_os_error
from lzdocs.fsutil import NO_LINKS, copy_stream, fsync_dir, record_text, sha256_file, write_atomic, write_new_file
from lzdocs.integrity.findings import Finding
from lzdocs.store.kept import VOID_DIR
from lzdocs.workspace import BACKUP_DATABASE, BACKUP_MANIFEST

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lzdocs.store import Store
    from lzdocs.workspace import Workspace

MANIFEST, DATABASE = BACKUP_MANIFEST, BACKUP_DATABASE  # what makes a folder a snapshot (the inbox checks know it too)
FORMAT = 1
PARTIAL = ".partial"  # a snapshot being written: DEST/.<name>.partial/, renamed to DEST/<name>/ when complete
WRITING = ".lock"  # DEST/.<name>.lock, held while that snapshot is written: the system lets go if the process dies
SETTLED_DIR = "已处理"  # where a returned file moves after it was recorded (a voided document: VOID_DIR)
CONFIG = "lzdocs.toml"
OWN_FILES = (CONFIG, "units.csv", "units.xlsx")  # the workspace's own files, with templates/ and forms/
OWN_FOLDERS = ("templates", "forms")
RESTORED_FOLDERS = ("inbox", "inbox/退回", "outbox", "templates", "forms")  # made empty when the backup had none
REBUILT = ("register", "publicity")  # roles in the manifest of what restore rebuilds (not copied)
SETTLE_WAIT = 3.0  # seconds to wait for a file recorded a moment before the snapshot to be renamed into place
OUTSIDE = "在工作区以外（收件文件夹设在工作区外？），没有备份"
GONE = "档案库记录的文件不见了，没有备份"
CHANGED = "内容与档案库记录的 SHA-256 不一致（被改动过？），没有备份；请检查这个文件"
# …of a file whose recorded bytes an earlier snapshot holds: those are kept in this one too
KEPT_GONE = "档案库记录的文件不见了；这次备份里放的是上一次备份中完好的那一份，可从备份找回"
KEPT_CHANGED = "与档案库记录的不一致（大小不同，被改动过？）；这次备份里放的是上一次备份中完好的那一份，请检查这个文件"
BAD_NAME = "文件名不是 UTF-8 编码（可能是从 GBK 压缩包解出的），没有备份；请把它改名后再备份"
SERVER = "server"  # manifest "database" of a snapshot of an archive at a [database] url ("file": lzdocs.db)
_URL = re.compile(r"[A-Za-z][\w+.-]*://[^\s\"']+")  # a database URL written in lzdocs.toml
_SNAPSHOT_NAME = re.compile(r"^(\d{8}-\d{6})(?:-(\d+))?$", re.ASCII)

Progress = Callable[[int, int, str], None]
log = logging.getLogger("lzdocs.backup")


class BackupError(LzdocsError):
    """A backup cannot be taken or restored: the destination, the snapshot or a file of it is not as it must be."""


class DamagedBackup(BackupError):
    """A file of a snapshot differs from its manifest (exit code 1: the backup, not the command, is wrong)."""

    exit_code = 1


@dataclass(frozen=True)
class ArchivedFile:
    """A file the database snapshot knows: workspace path (``/``), its recorded SHA-256 (None when the database
    does not record one), and its role (original, duplicate, returned, document, void, pdf,
    explanation, register; ``workspace`` for lzdocs.toml, the roster, templates/ and forms/)."""

    path: str
    sha256: str | None
    role: str


def archived_files(conn: Connection, ws: Workspace | None) -> list[ArchivedFile]:
    """Every file the database behind ``conn`` records, from its manifest (the ``files`` table, docs/product.md
    §12.1), each with its SHA-256 — except the registers and 公示表, which carry no hash here: they are rebuilt from
    the data at restore (one rewritten after the snapshot would otherwise disagree with it). The one place that
    decides what a snapshot refers to: everything else of a backup is independent of where this list comes from."""
    from lzdocs.store.files import all_files

    return [ArchivedFile(f["path"], None if f["role"] in REBUILT else f["sha256"], f["role"])
            for f in all_files(conn)]


@dataclass
class BackupResult:
    """One snapshot written: where, what it holds (manifest entries), how each file got there, what was left out."""

    snapshot: Path
    entries: list[dict] = field(default_factory=list)
    registers: list[str] = field(default_factory=list)  # rebuilt at restore, not copied
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, how: str) -> int:
        return sum(1 for e in self.entries if e["how"] == how)

    def bytes(self, how: str | None = None) -> int:
        return sum(e["size"] for e in self.entries if how is None or e["how"] == how)

    def as_dict(self) -> dict:
        return {"snapshot": str(self.snapshot), "files": len(self.entries), "copied": self.count("copied"),
                "linked": self.count("linked"), "bytes": self.bytes(), "bytes_copied": self.bytes("copied"),
                "registers": self.registers, "findings": [f.as_dict() for f in self.findings],
                "seconds": round(self.seconds, 3)}


# --- the snapshots of a destination -------------------------------------------------------------------------
def snapshots(dest: Path) -> list[Path]:
    """The complete snapshots in ``dest``, oldest first (a folder named by its time, holding a manifest)."""
    if not dest.is_dir():
        return []
    found = [(m[1], int(m[2] or 1), p) for p in dest.iterdir()
             if (m := _SNAPSHOT_NAME.match(p.name)) and (p / MANIFEST).is_file()]
    return [p for *_, p in sorted(found)]


def _new_name(dest: Path, now: dt.datetime) -> str:
    """A name that sorts after every snapshot's in ``dest``, complete or being written: the time now, or, when that
    is taken or earlier (the clock of another machine backing up here, or one set back), the newest name numbered
    on (-02, -03…). Names then sort in the order the backups were made, and restore takes the last one made."""
    base, n = now.strftime("%Y%m%d-%H%M%S"), 1
    names = (p.name.removeprefix(".").removesuffix(PARTIAL).removesuffix(WRITING) for p in dest.iterdir())
    newest = max(((m[1], int(m[2] or 1)) for name in names if (m := _SNAPSHOT_NAME.match(name))), default=None)
    if newest is not None and newest >= (base, n):
        base, n = newest[0], newest[1] + 1
    return base if n == 1 else f"{base}-{n:02d}"


def read_manifest(snapshot: Path) -> dict:
    try:
        data = json.loads((snapshot / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DamagedBackup(f"备份 {snapshot} 的清单 {MANIFEST} 无法读取：{describe_read_error(exc)}",
                            hint="请换用另一份备份（同一备份文件夹中较早的时间文件夹）") from exc
    if (not isinstance(data, dict) or not isinstance(data.get("files"), list) or data.get("format") != FORMAT
            or not all(type(y) is int for y in data.get("years", []))):
        raise DamagedBackup(f"备份 {snapshot} 的清单 {MANIFEST} 不是 lzdocs 备份清单",
                            hint="请换用另一份备份")
    return data


# --- taking a backup ------------------------------------------------------------------------------------------
def server_url(ws: Workspace) -> str:
    """The ``[database] url`` of a workspace whose archive is on a database server ('' for its own lzdocs.db)."""
    return str(ws.settings.get("database", "url", "") or "").strip()


def database_file(ws: Workspace) -> Path:
    """The workspace's own lzdocs.db (an archive on a server is copied instead: ``server_snapshot``)."""
    from lzdocs.store.db import sqlite_file

    path = sqlite_file(ws.db_url)
    if not path.is_file():  # none made yet: the first command that opens the archive makes it
        raise ConfigError(f"找不到档案库文件 {path}，这个工作区还没有档案可备份",
                          hint="收取表格（lzdocs ingest）或发出文书之后再备份")
    return path


def check_destination(ws: Workspace, dest: Path) -> None:
    """The destination is a folder (made when missing) outside the workspace: a backup inside it would be archived
    in the next one and never be safe from the disk it protects against; and outside the inbox (``outside``)."""
    outside(ws, dest, "备份文件夹", "备份里的文件", "请把备份放在工作区以外，最好是另一块磁盘")


def outside(ws: Workspace, dest: Path, what: str, its_files: str, hint: str) -> None:
    """``dest`` (``what``: 备份文件夹, 归档文件夹) neither in the workspace nor holding it, and not in the inbox — which
    may lie outside the workspace, and whose every file ingest takes for a form (``its_files`` would be taken
    apart); a ConfigError saying which, with ``hint``."""
    here, there = ws.root.resolve(), Path(dest).resolve()
    if there.is_relative_to(ws.inbox.resolve()):
        raise ConfigError(f"{what}“{dest}”在收件文件夹“{ws.inbox}”里（收表时会把{its_files}当作报送的表格取走）",
                          hint=hint)
    if there == here or there.is_relative_to(here) or here.is_relative_to(there):
        raise ConfigError(f"{what}“{dest}”与工作区“{ws.root}”重叠", hint=hint)
    if dest.exists() and not dest.is_dir():
        raise ConfigError(f"备份位置“{dest}”是一个文件，不是文件夹", hint="请写一个文件夹路径")


def take_backup(ws: Workspace, dest: Path, now: dt.datetime, progress: Progress | None = None, *,
                store: Store | None = None) -> BackupResult:
    """A new snapshot DEST/<time>/ of the workspace ``ws``: the database through SQLite's backup API, the files it
    records (each checked against its recorded hash), the workspace's own files, and ``manifest.json``. A file
    already in the previous snapshot with the same hash is hard-linked from it (copied where links are not
    possible); nothing of an earlier snapshot is ever changed.

    An archive on a database server (``store``, opened on it) is copied into the snapshot as an lzdocs.db of its
    own, and the snapshot's lzdocs.toml names none (``standalone_settings``): restored, the workspace keeps its
    archive in that file and never writes into the server's."""
    from lzdocs.store.archived import read_snapshot, recorded_years, schema_version, snapshot_database

    started = time.monotonic()
    check_destination(ws, dest)
    server = server_url(ws)
    if server and store is None:
        raise ValueError("an archive on a server is backed up through its open Store")
    source = None if server else database_file(ws)
    settings = standalone_settings(ws, server) if server else None  # refused before anything is written
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for left in clear_interrupted(dest):
            log.info("已清除上次中断的备份留下的未完成文件夹 %s", left.name)
        earlier = snapshots(dest)
        name, work, writing = _begin(dest, now)
    except OSError as exc:
        raise from_os_error(exc) from exc
    try:
        if server:
            server_snapshot(store, work / DATABASE, now, progress)
        else:
            snapshot_database(source, work / DATABASE)
        with read_snapshot(work / DATABASE) as conn:
            files, years, version = archived_files(conn, ws), recorded_years(conn), schema_version(conn)
        writer = SnapshotWriter(ws.root, work, earlier[-1] if earlier else None, progress)
        own = [f for f in own_files(ws) if settings is None or f.path != CONFIG]
        result = writer.write(files + own)
        result.entries.insert(0, writer.entry(DATABASE, "database", "copied", work / DATABASE))
        if settings is not None:
            write_new_file(work / CONFIG, settings, durable=False)  # made durable with the rest (_flush)
            result.entries.insert(1, writer.entry(CONFIG, "workspace", "copied", work / CONFIG))
        write_atomic(work / MANIFEST, record_text(
            {"format": FORMAT, "created": now.isoformat(timespec="seconds"), "workspace": str(ws.root),
             "database": SERVER if server else "file",
             "schema_version": version, "years": years, "files": result.entries, "registers": result.registers,
             "findings": [f.as_dict() for f in result.findings]}, indent=1))
        _flush(work)
        work.rename(dest / name)
        fsync_dir(dest)
    except BaseException as exc:
        shutil.rmtree(work, ignore_errors=True)
        if isinstance(exc, OSError):
            raise from_os_error(exc) from exc
        raise
    finally:
        writing.done()  # after the rename: a snapshot complete or removed is no other backup's to clear
    result.snapshot, result.seconds = dest / name, time.monotonic() - started
    return result


def server_snapshot(store: Store, target: Path, now: dt.datetime, progress: Progress | None = None) -> None:
    """The archive on the server that ``store`` is open on, as the SQLite file ``target`` (which must not exist):
    every row read in one snapshot of the server while other machines go on writing, then counted and hashed on
    both sides (store/copy.py, as ``lzdocs db copy``); a self-contained file (rollback journal, no -wal).
    ``progress`` is told the rows copied, table by table (a large archive takes a while before the files)."""
    from lzdocs.store import Store
    from lzdocs.store.copy import TABLE_NAMES, copy_archive
    from lzdocs.store.db import sqlite_url

    partial = target.with_name(f".{target.name}.part")
    copy = Store(sqlite_url(partial), now=lambda: now, wal=False)
    try:
        report = copy_archive(store, copy, progress and (
            lambda done, whole, table: progress(done, whole, f"复制数据库：{TABLE_NAMES.get(table, table)}")))
    finally:
        copy.close()
    if not report.ok:
        differ = [TABLE_NAMES.get(name, name) for name, t in report.tables.items()
                  if t["source"] != t["target"] or not t["same"]]
        raise BackupError(f"从数据库复制出的档案与数据库里的不一致（{'、'.join(differ)}），备份没有完成",
                          hint="请再备份一次；仍然如此，请检查数据库服务器")
    partial.rename(target)


def standalone_settings(ws: Workspace, url: str) -> bytes:
    """The workspace's lzdocs.toml for a snapshot of an archive on a server: the same settings, the ``[database] url``
    emptied — restored, the workspace keeps its archive in the snapshot's own lzdocs.db and never writes into the
    server's, which the office may still be using. The line says which server it was (without the password).
    ConfigError, before the backup starts, when the url is written in a way this cannot rewrite."""
    import tomllib

    from lzdocs.store.db import shown_url
    from lzdocs.textutil import decode_text

    lines = decode_text((ws.root / CONFIG).read_bytes()).splitlines(keepends=True)
    section, found = None, False
    for i, line in enumerate(lines):
        header = re.match(r"\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$", line)
        if header:
            section = header.group(1).strip("\"' ")
        elif section == "database" and not found and re.match(r"\s*url\s*=", line):
            end = "\r\n" if line.endswith("\r\n") else "\n"
            lines[i] = f'url = ""  # 备份时档案库在 {shown_url(url)}；恢复出的工作区用自己的 lzdocs.db{end}'
            found = True
        elif section == "database":  # an earlier server's url kept as a comment: its password must not go along
            lines[i] = _URL.sub(lambda m: shown_url(m.group()), line)
    text = "".join(lines)
    try:
        emptied = found and tomllib.loads(text).get("database", {}).get("url") == ""
    except ValueError:
        emptied = False
    if not emptied:
        raise ConfigError("备份要为恢复出的工作区改写 lzdocs.toml 的 [database] url，但它的写法认不出",
                          hint='请把这一项写成单独的两行：[database] 一行、url = "数据库地址" 一行，再备份')
    return text.encode("utf-8")


class WorkLock:
    """The lock beside a folder being written — a snapshot's DEST/.<name>.lock, a restore's, a 归档 package's — held
    while it is, let go by the system when the process dies. A file system that cannot lock (some shares) goes
    without: the work is done all the same, and what a killed one left is not cleared."""

    def __init__(self, path: Path):
        from filelock import FileLock

        self.path, self.lock = path, FileLock(str(path), timeout=0)

    def take(self) -> bool:
        """Held now by us (or the file system cannot lock); False: another backup holds it."""
        from filelock import Timeout

        try:
            self.lock.acquire()
        except Timeout:
            return False
        except (OSError, NotImplementedError):
            self.lock = None
        return True

    def done(self) -> None:
        if self.lock is not None:
            self.lock.release()
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass


def _begin(dest: Path, now: dt.datetime) -> tuple[str, Path, WorkLock]:
    """The new snapshot's name, its folder being written (made) and the lock held while it is."""
    for attempt in range(20):  # another backup to the same DEST may take the name between choosing and making it
        name = _new_name(dest, now)
        writing = WorkLock(dest / f".{name}{WRITING}")
        if not writing.take():
            continue
        work = dest / f".{name}{PARTIAL}"
        try:
            work.mkdir()
            return name, work, writing
        except FileExistsError:
            writing.done()
            if attempt == 19:
                raise
    raise FileExistsError(errno.EEXIST, "备份文件夹里的名称一直被占用", str(dest))


def clear_interrupted(dest: Path) -> list[Path]:
    """Remove what a backup killed part-way left in ``dest`` (its folder DEST/.<name>.partial/, its lock), and
    return the folders removed. Only a folder whose lock is there and held by no process: a backup writing now
    holds its own, and a folder without one (a version before locks, or another program's) is left as it is. They
    are copies, never the workspace's files; a complete snapshot is never touched."""
    return remove_unheld(sorted(dest.glob(f".*{WRITING}")), lambda lock: lock.with_name(
        lock.name.removesuffix(WRITING) + PARTIAL))


def remove_unheld(locks: Iterable[Path], work_of: Callable[[Path], Path]) -> list[Path]:
    """What processes killed while writing left (copies — of a snapshot, a restore, a 归档 package): for each lock
    in ``locks`` held by no process, its folder ``work_of(lock)`` and the lock are removed; a folder being written
    now is held by its writer, and one without a lock (a version before locks, another program's) is never asked
    about. Returns the folders removed."""
    removed = []
    for lock in locks:
        writing = WorkLock(lock)
        if not writing.take() or writing.lock is None:  # being written, or no telling on this file system
            continue
        try:
            work = work_of(lock)
            if work.is_dir() and not work.is_symlink():
                shutil.rmtree(work, ignore_errors=True)
                removed.append(work)
        finally:
            writing.done()
    return removed


class SnapshotWriter:
    """Puts the files of one snapshot into its folder: linked from the previous snapshot when it holds the same
    bytes, else copied from the workspace and hashed on the way."""

    def __init__(self, root: Path, work: Path, previous: Path | None, progress: Progress | None):
        self.root, self.work, self.previous = root, work, previous
        self.progress = progress or (lambda i, total, name: None)
        self.by_hash: dict[str, str] = {}  # sha256 → path in the previous snapshot
        try:
            earlier = read_manifest(previous)["files"] if previous is not None else []
        except BackupError:  # a damaged previous snapshot: this one is copied whole
            earlier = []
        for entry in earlier:
            if isinstance(entry, dict) and isinstance(entry.get("sha256"), str) and _safe(entry.get("path", "")):
                self.by_hash.setdefault(entry["sha256"], entry["path"])
        self.links = True
        self.listings: dict[Path, list[str]] = {}

    def write(self, files: list[ArchivedFile]) -> BackupResult:
        result = BackupResult(self.work)
        todo = [f for f in files if f.role not in REBUILT]
        result.registers = sorted({f.path for f in files if f.role in REBUILT})
        done: set[str] = set()
        waiting: list[ArchivedFile] = []
        for i, item in enumerate(todo, 1):
            interrupts.check()  # between files: a Ctrl-C that was swallowed stops here
            self.progress(i, len(todo), item.path)
            if item.path in done:
                continue
            if not _safe(item.path):
                result.findings.append(Finding("outside", item.path, OUTSIDE))
                continue
            if not _utf8(item.path):  # a manifest cannot name it (a GBK name on a Linux share)
                shown = item.path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                result.findings.append(Finding("name", shown, BAD_NAME))
                continue
            entry = self.put(item)
            if entry is not None and entry["how"] == "linked" and item.sha256 is not None:
                self._still_there(item, entry, result.findings)
            if entry is None and item.sha256 is None:  # a PDF or 错误说明 moved with its file, or never made
                entry = next(filter(None, (self.put(item, c) for c in self._moved(item))), None)
            if entry is None and item.sha256 is not None:
                waiting.append(item)
            elif entry is not None:
                result.entries.append(entry)
                done.add(item.path)
        result.entries += self.settle(waiting, result.findings)
        return result

    def put(self, item: ArchivedFile, source: Path | None = None) -> dict | None:
        """Link or copy one file into the snapshot; None when its bytes are not those recorded (or it is gone)."""
        source = source or self.root / item.path
        target = self.work / item.path
        sha = item.sha256
        if sha is None:  # no hash in the database: the file as it is now
            if not source.is_file() or source.is_symlink():
                return None
            sha = sha256_file(source)
        if sha in self.by_hash and self._link(self.previous / self.by_hash[sha], target, sha):
            return self.entry(item.path, item.role, "linked", target, sha)
        if not source.is_file() or source.is_symlink():
            return None
        copied = _copy_hashed(source, target)
        if copied != sha and item.sha256 is not None:
            target.unlink()
            return None
        return self.entry(item.path, item.role, "copied", target, copied)

    def settle(self, waiting: list[ArchivedFile], findings: list[Finding]) -> list[dict]:
        """Files whose bytes were not those recorded: one committed a moment before the snapshot is renamed into
        place within moments (wait for it); a returned file settled or a document voided since sits in 已处理/ or
        作废/ (take it from there, by its hash). Any other is left out and named, never backed up changed."""
        entries, deadline = [], time.monotonic() + SETTLE_WAIT
        while waiting:
            self.listings.clear()  # a move may have happened while we waited
            still = []
            for item in waiting:
                entry = self.put(item) or next(filter(None, (self.put(item, c) for c in self._moved(item))), None)
                if entry:
                    entries.append(entry)
                else:
                    still.append(item)
            waiting = still
            if not waiting or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        for item in waiting:
            gone = not (self.root / item.path).exists()
            findings.append(Finding("missing" if gone else "changed", item.path, GONE if gone else CHANGED))
        return entries

    def _still_there(self, item: ArchivedFile, entry: dict, findings: list[Finding]) -> None:
        """A file linked from the previous snapshot by its recorded hash, its copy in the workspace not read: still
        there, and of its size? (A copy deleted or changed since is named, as a first backup names it, its good bytes
        kept all the same; one moved to 已处理/ or 作废/ meanwhile is no finding. Bytes changed in place at the same
        size are ``verify``'s to find: it reads every file.)"""
        try:
            st = os.lstat(self.root / item.path)
            if stat.S_ISREG(st.st_mode) and st.st_size == entry["size"]:
                return
            gone = False
        except OSError:
            gone = True
        if any(c.stat().st_size == entry["size"] for c in self._moved(item)):
            return
        findings.append(Finding("missing" if gone else "changed", item.path, KEPT_GONE if gone else KEPT_CHANGED))

    def _moved(self, item: ArchivedFile) -> list[Path]:
        """Where a recorded file may have moved since: 退回/已处理/ and outbox/<year>/作废/, same name or numbered."""
        path = PurePosixPath(item.path)
        folders = [self.root / path.parent / SETTLED_DIR]
        if len(path.parts) > 2 and path.parts[0] == "outbox":
            folders.append(self.root / "outbox" / path.parts[1] / VOID_DIR)
        return [folder / name for folder in folders for name in self._listing(folder)
                if name.startswith(path.stem) and name.endswith(path.suffix) and (folder / name).is_file()]

    def _listing(self, folder: Path) -> list[str]:
        """The names in ``folder``, sorted (an exact name before its numbered twins), read once per backup."""
        if folder not in self.listings:
            self.listings[folder] = sorted(os.listdir(folder)) if folder.is_dir() else []
        return self.listings[folder]

    def _link(self, earlier: Path, target: Path, sha: str) -> bool:
        """Hard-link ``earlier`` (same bytes, the previous snapshot's manifest says); copy it where links are not
        possible. False when it is not there or not what its manifest says (then the workspace is read again)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        if self.links:
            try:
                os.link(earlier, target)
                return True
            except FileNotFoundError:
                return False
            except OSError as exc:
                if exc.errno not in NO_LINKS:
                    raise
                self.links = False
        if not earlier.is_file() or _copy_hashed(earlier, target) != sha:
            target.unlink(missing_ok=True)
            return False
        return True

    def entry(self, path: str, role: str, how: str, target: Path, sha: str | None = None) -> dict:
        return {"path": path, "role": role, "size": target.stat().st_size, "sha256": sha or sha256_file(target),
                "how": how}


def _copy_hashed(source: Path, target: Path) -> str:
    """Copy ``source`` to the new file ``target``; the SHA-256 of the bytes copied. Made durable by ``_flush``
    once for the whole folder before it is renamed complete (an fsync per file made a backup 20 times slower)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(source, "rb") as fin, open(target, "xb") as fout:
        digest = copy_stream(fin, fout)
        if not hasattr(os, "sync"):  # Windows: no flush of everything at once
            fout.flush()
            os.fsync(fout.fileno())
    return digest


def _flush(folder: Path) -> None:
    """Everything written into ``folder`` on disk before it is renamed complete (one sync, not one per file)."""
    if hasattr(os, "sync"):
        os.sync()
    fsync_dir(folder)


def own_files(ws: Workspace) -> list[ArchivedFile]:
    """lzdocs.toml, the roster, the quality rules file ([quality] rules_file), templates/ and forms/ as they are
    now (they are not in the database; a later edit is in the next backup)."""
    rules = ws.settings.text("quality", "rules_file", "质量规则.toml").strip().replace("\\", "/")
    names = [*OWN_FILES, *([rules] if _safe(rules) else [])]
    found = [ArchivedFile(n, None, "workspace") for n in names if (ws.root / n).is_file()]
    for folder in OWN_FOLDERS:
        base = ws.root / folder
        if base.is_dir():
            found += [ArchivedFile(p.relative_to(ws.root).as_posix(), None, "workspace")
                      for p in sorted(base.rglob("*")) if p.is_file() and not p.is_symlink()]
    return found


def _utf8(path: str) -> bool:
    try:
        path.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _safe(path: str) -> bool:
    """A relative path that stays inside the folder it is joined to (a manifest from elsewhere is not trusted)."""
    pure = PurePosixPath(path)
    return bool(path) and not pure.is_absolute() and ".." not in pure.parts and ":" not in path and "\\" not in path


# --- restoring --------------------------------------------------------------------------------------------------
@dataclass
class Restored:
    """A workspace restored from a snapshot: how many files and bytes (each checked against the manifest), the
    registers rebuilt from the restored database and what that had to say."""

    snapshot: Path
    workspace: Path
    created: str
    files: int = 0
    bytes: int = 0
    registers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "snapshot": str(self.snapshot), "workspace": str(self.workspace),
                "seconds": round(self.seconds, 3)}


def find_snapshot(src: Path) -> Path:
    """``src`` itself when it is one snapshot, else the newest complete snapshot in it."""
    if not src.is_dir():
        raise BackupError(f"找不到备份文件夹“{src}”", hint="请写 lzdocs backup 用过的备份文件夹，或其中一个时间文件夹")
    if (src / MANIFEST).is_file():
        return src
    found = snapshots(src)
    if not found:
        raise BackupError(f"“{src}”里没有完整的 lzdocs 备份（没有带 {MANIFEST} 的时间文件夹）",
                          hint="请写 lzdocs backup 用过的备份文件夹，或其中一个时间文件夹")
    return found[-1]


def check_new_workspace(new: Path) -> None:
    if new.resolve() == Path.cwd().resolve():  # the restore replaces the folder: not the one the shell is in
        raise BackupError("不能恢复到命令行当前所在的文件夹（恢复完成时要用新文件夹替换它）",
                          hint="请写新文件夹的完整路径，如 lzdocs restore E:\\廉政档案备份 D:\\恢复的工作区")
    if new.is_symlink():
        raise BackupError(f"“{new}”是一个链接（快捷方式），恢复只写入真正的新文件夹",
                          hint="请写一个还不存在的文件夹，恢复后用 lzdocs -w 该文件夹 使用")
    if new.exists() and (not new.is_dir() or any(new.iterdir())):
        what = "是一个已有的文件" if not new.is_dir() else "已存在且不是空文件夹"
        raise BackupError(f"“{new}”{what}：恢复只写入新的文件夹，不会覆盖或混入已有的文件",
                          hint="请写一个还不存在的（或空的）文件夹，恢复后用 lzdocs -w 该文件夹 使用")


def _register_years(manifest: dict) -> list[int]:
    """The years whose registers restore writes: those the snapshot recorded, and each year it had registers of —
    also where a backup of an older version counted only forms and documents (a year of cases alone)."""
    years = {int(y) for y in manifest.get("years", [])}
    for path in manifest.get("registers", []):
        parts = str(path).split("/")
        if len(parts) > 2 and parts[0] == "outbox" and parts[1].isascii() and parts[1].isdigit() and len(parts[1]) == 4:
            years.add(int(parts[1]))
    return sorted(years)


def restore_into(src: Path, new: Path, rebuild: Callable[[Path, list[int]], object],
                 progress: Progress | None = None) -> Restored:
    """Restore the snapshot ``src`` (or the newest in it) as the new workspace ``new``: every file is copied into a
    folder beside ``new`` and checked against the manifest's size and SHA-256; ``rebuild(folder, years)`` then
    writes the registers from the restored database (returns an office ``Rebuilt``); only then is the folder
    renamed to ``new``. A damaged file stops the restore and leaves nothing behind."""
    started = time.monotonic()
    check_new_workspace(new)
    snapshot = find_snapshot(src)
    if new.resolve().is_relative_to(snapshot.resolve()):
        raise BackupError(f"“{new}”在备份文件夹“{snapshot}”里面：恢复会改动这份备份",
                          hint="请把恢复的工作区放在备份文件夹以外，如 D:\\恢复的工作区")
    manifest = read_manifest(snapshot)
    temp = new.parent / f".{new.name}.restoring-{os.getpid()}"
    try:
        new.parent.mkdir(parents=True, exist_ok=True)
        remove_unheld(new.parent.glob(f".{glob_escape(new.name)}.restoring-*.lock"),  # of restores killed
                      lambda lock: lock.with_name(lock.name.removesuffix(".lock")))
        writing = WorkLock(_restoring_lock(temp))  # held while this restore runs: let go when its process dies
        writing.take()
        shutil.rmtree(temp, ignore_errors=True)  # our own leftover of a restore killed before
        temp.mkdir()
    except OSError as exc:
        raise from_os_error(exc) from exc
    try:
        restored = Restored(snapshot, new, str(manifest.get("created", "")))
        _restore_files(snapshot, manifest, temp, restored, progress or (lambda i, total, name: None))
        rebuilt = rebuild(temp, _register_years(manifest))
        _check_recorded(snapshot, manifest, temp)
        restored.registers = [p.resolve().relative_to(temp.resolve()).as_posix() for p in rebuilt.files]
        restored.warnings = [*rebuilt.warnings, *_left_out(manifest), *_shared_inbox(temp), *_was_on_server(manifest)]
        _flush(temp)
        check_new_workspace(new)  # nobody put anything there meanwhile
        if new.exists():
            new.rmdir()
        temp.rename(new)
        fsync_dir(new.parent)
    except BaseException as exc:
        shutil.rmtree(temp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise from_os_error(exc) from exc
        raise
    finally:
        writing.done()
    restored.seconds = time.monotonic() - started
    return restored


def _restoring_lock(temp: Path) -> Path:
    """The lock beside a restore's folder ``.<name>.restoring-<pid>``."""
    return Path(f"{temp}.lock")


def _left_out(manifest: dict) -> list[str]:
    """The archive's files the backup could not take (its findings: gone, changed, outside the workspace, a name not
    UTF-8), said again: the restored workspace has none of them, and its verify names each as missing."""
    said = {GONE, CHANGED, OUTSIDE, BAD_NAME}
    left = [f for f in manifest.get("findings") or [] if isinstance(f, dict) and f.get("message") in said]
    if not left:
        return []
    shown = "；".join(f"{f.get('subject')}（{f.get('message', '').split('，')[0]}）" for f in left[:5])
    more = f"等 {len(left)} 个" if len(left) > 5 else ""
    return [f"备份时有文件没有备份：{shown}{more}。恢复出的工作区里没有这些文件，lzdocs verify 会把它们列为不见了；"
            "请从更早的备份或原来的工作区找回"]


def _was_on_server(manifest: dict) -> list[str]:
    """What a workspace restored from a snapshot of an archive on a server should know: it has its own copy."""
    if manifest.get("database") != SERVER:
        return []
    return ["备份时档案库在 lzdocs.toml 的 [database] url 所指的数据库里；恢复出的工作区使用自己的 lzdocs.db"
            "（备份时那个档案库的副本），不会写入原来的数据库。要接替原来的数据库服务器，先用 "
            "lzdocs db copy --to 新数据库地址 复制到一个空的数据库，再把地址写进 lzdocs.toml 的 [database] url；"
            "不要把地址改回原来那个还在用的数据库：两边各自编的文号会重号"]


def _shared_inbox(root: Path) -> list[str]:
    """A warning when the restored lzdocs.toml names an inbox outside the restored workspace: it is the original's
    inbox, and an ingest in the restored workspace would take the office's forms from it."""
    import tomllib

    try:
        written = str(tomllib.loads((root / "lzdocs.toml").read_text(encoding="utf-8"))["inbox"]["path"])
    except (OSError, ValueError, KeyError, TypeError):
        return []
    inbox = root / os.path.expandvars(written)
    if inbox.resolve().is_relative_to(root.resolve()):
        return []
    return [f"恢复的 lzdocs.toml 中 [inbox] path 仍指向“{written}”，与原工作区共用收件文件夹：在恢复的工作区里收表"
            "会取走原工作区的表格。只核对备份时不要运行 ingest 或 watch；要接替原工作区时，先停掉原工作区的监视"]


def _check_recorded(snapshot: Path, manifest: dict, temp: Path) -> None:
    """Each restored file the database records has the SHA-256 the database recorded for it: the manifest lies in
    the same folder as the files, and whoever changed a file there could have changed its hash in it too."""
    from lzdocs.store.archived import read_snapshot

    listed = {PurePosixPath(e["path"]).as_posix(): e.get("sha256") for e in manifest["files"]}
    with read_snapshot(temp / DATABASE) as conn:
        recorded = archived_files(conn, None)
    for path, sha in ((f.path, f.sha256) for f in recorded):
        if sha and listed.get(path, sha) != sha:
            raise DamagedBackup(f"备份已损坏：{path} 与档案库记录的 SHA-256 不一致（备份里的文件和清单都被改动过？），"
                                "没有恢复任何文件", hint=f"请换用另一份备份（{snapshot.parent} 中较早的时间文件夹）")


def _restore_files(snapshot: Path, manifest: dict, temp: Path, restored: Restored, progress: Progress) -> None:
    entries = manifest["files"]
    if not any(isinstance(e, dict) and e.get("path") == DATABASE for e in entries):
        raise DamagedBackup(f"备份 {snapshot} 的清单中没有档案库 {DATABASE}", hint="请换用另一份备份")
    seen: set[str] = set()
    for i, entry in enumerate(entries, 1):
        path = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(path, str) or not _safe(path):
            raise DamagedBackup(f"备份清单中有不安全的路径“{path}”，拒绝恢复", hint="请换用另一份备份")
        if PurePosixPath(path).as_posix() in seen:
            raise DamagedBackup(f"备份已损坏：备份清单中 {path} 出现了两次，没有恢复任何文件", hint="请换用另一份备份")
        seen.add(PurePosixPath(path).as_posix())
        progress(i, len(entries), path)
        source = snapshot / path
        other = f"请换用另一份备份（{snapshot.parent} 中较早的时间文件夹）"
        if not source.is_file():
            raise DamagedBackup(f"备份已损坏：缺少文件 {path}，没有恢复任何文件", hint=other)
        digest = _copy_hashed(source, temp / path)
        if digest != entry.get("sha256") or (temp / path).stat().st_size != entry.get("size"):
            raise DamagedBackup(f"备份已损坏：{path} 的内容与备份清单记录的 SHA-256 不一致，没有恢复任何文件",
                                hint=other)
        restored.files += 1
        restored.bytes += entry["size"]
    for folder in RESTORED_FOLDERS:
        (temp / folder).mkdir(parents=True, exist_ok=True)

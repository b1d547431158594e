"""Which archive a workspace keeps (docs/product.md §5, "One workspace, one archive").

A workspace records, in its work folder, the identity (``Store.archive_id``) of the archive it was first opened with.
From then on an archive that is not that one is refused, by every command, before anything is written:

- lzdocs.db deleted, moved away or not copied along: a new, empty archive would be made in its place — letters
  numbered from 1 again (a second 内工大纪建〔2026〕1号), the registers rewritten empty, the forms already filed
  unknown to it;
- another archive put in its place: a new file, one copied from another workspace, a ``[database] url`` that names
  another server or schema.

The same archive elsewhere is welcome: a backup restored (``lzdocs restore``), the file put back, the archive copied
to a server (``lzdocs db copy`` carries its identity). An archive from before identities is left to the inbox's
record (lzdocs/ingest/owner.py), which gives it the identity it had. The refusal says how to go on: put the archive
back, or — the old one truly given up — delete the record, as with the inbox's."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lzdocs.errors import StoreError, describe_os_error
from lzdocs.fsutil import NotRegularFile, open_regular, write_atomic

if TYPE_CHECKING:
    from lzdocs.store.db import Store
    from lzdocs.workspace import Workspace

log = logging.getLogger("lzdocs.store")

RECORD = "archive.json"  # in the workspace's work folder (.lzdocs): {"archive": identity, "database": as shown}


class NotThisArchive(StoreError):
    """The workspace's archive is missing, or another archive stands in its place: refused, nothing written."""


def record_path(ws: Workspace) -> Path:
    """Where the record is (its folder not made: a workspace only read, as by the status page, stays as it is)."""
    from lzdocs.workspace import WORK_DIR

    return ws.root / WORK_DIR / RECORD


def recorded(ws: Workspace) -> dict | None:
    """The archive the workspace records (None before its first opening). Opened once, without following a link;
    a record that is not the JSON written here is refused (NotThisArchive), never taken for no record."""
    path = record_path(ws)
    try:
        with open_regular(path) as fh:
            data = fh.read(65536)
    except FileNotFoundError:
        return None
    except NotRegularFile:
        data = b""
    except OSError as exc:
        raise StoreError(f"无法读取工作区的档案库记录“{path}”：{describe_os_error(exc)}",
                         hint="请检查工作区文件夹的权限后重新运行") from exc
    try:
        found = json.loads(data.decode("utf-8"))
    except ValueError:
        found = None
    if not (isinstance(found, dict) and isinstance(found.get("archive"), str)):
        raise NotThisArchive(f"工作区记录所用档案库的文件“{path}”已损坏（不是 lzdocs 写的内容），本次未打开档案库",
                             hint=f"请确认 lzdocs.db 是本工作区原来的档案库，然后删除 {path} 后重新运行")
    return found


def before_opening(ws: Workspace) -> None:
    """Refuse to make a new SQLite archive, its file not there, for a workspace that kept one: it is lost."""
    from lzdocs.store.db import sqlite_file

    file = sqlite_file(ws.db_url)
    if file is None or file.exists():
        return
    found = recorded(ws)
    if found is None:
        return
    path = record_path(ws)
    raise NotThisArchive(
        f"找不到本工作区的档案库 {file}。这个工作区已经建过档案库（记录在 {path}），新建一个空的会让文号从 1 号重新编、"
        "登记簿被改写成空的，所以没有新建，本次什么也没有改动",
        hint=f"请把原来的 {file.name} 放回 {file.parent}（或用 lzdocs restore 从备份恢复出工作区）；"
             f"若原来的档案确已不用、要从空档案库重新开始，删除 {path} 后重新运行")


def after_opening(ws: Workspace, store: Store) -> None:
    """The opened archive is the one the workspace keeps (NotThisArchive otherwise); recorded on first opening."""
    from lzdocs.store.db import shown_url

    found = recorded(ws)
    mine = store.archive_id(create=False)
    if found is None:
        if mine is not None:
            _record(ws, {"archive": mine, "database": shown_url(store.url)})
        return
    if mine == found["archive"] or (mine is None and store.has_records()):
        return  # an archive from before identities: the inbox's record tells whose it is (lzdocs/ingest/owner.py)
    path, shown = record_path(ws), shown_url(store.url)
    was = found.get("database")
    raise NotThisArchive(
        f"{shown} 里的档案库不是本工作区原来的档案库（数据库被换过：新建的，或从别处复制来的"
        + (f"；原来的在 {was}" if isinstance(was, str) and was != shown else "") + "），本次什么也没有改动",
        hint="请把原来的档案库放回（lzdocs.db 从备份恢复，或在 lzdocs.toml 的 [database] url 写回原来的数据库）；"
             f"若确要改用这个档案库，删除 {path} 后重新运行")


def _record(ws: Workspace, value: dict) -> None:
    """Write the record; a workspace that cannot be written (a read-only copy) goes without it."""
    try:
        record_path(ws).parent.mkdir(exist_ok=True)
        write_atomic(record_path(ws), json.dumps(value, ensure_ascii=False))
    except OSError as exc:
        log.debug("工作区的档案库记录未能写入：%s", describe_os_error(exc))

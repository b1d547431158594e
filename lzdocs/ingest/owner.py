"""Which archive an inbox feeds (docs/product.md §4).

The first archive to take from an inbox records itself in the inbox's work folder (``claims.bind_inbox``): its
identity (``Store.archive_id``), its workspace and computer, its database (``Store.place``) and the inbox folder.
From then on:

- another archive is refused: two archives on one share would split the units' forms between them;
- a copy of this archive — same identity, another database: the workspace copied or restored to another folder, the
  SQLite file used from another computer, the old SQLite file taken up again after the move to a server, a second
  copy on another server — is refused the same way, unless the record plainly does not concern this inbox: it came
  with the inbox, copied or moved inside its workspace, or the database it names is gone from this computer (the
  workspace moved). Then, as when the workspace moved its archive to a server, the record is rewritten.

Without this, each of two copies would miss what the other took, and one's recovery could undo a claim the other
had recorded (its archived copy removed)."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lzdocs.errors import ConfigError
from lzdocs.fsutil import same_file
from lzdocs.ingest import claims as cl
from lzdocs.store.db import computer, same_place

if TYPE_CHECKING:
    from lzdocs.store import Store
    from lzdocs.workspace import Workspace

log = logging.getLogger("lzdocs.ingest")


@dataclass(frozen=True)
class Here:
    """This workspace, computer, database and inbox, as an inbox's record names them."""

    workspace: str
    host: str  # the computer's name, as shown
    machine: str  # the computer, as compared (``computer()``)
    database: str  # ``Store.place``
    inbox: str  # the inbox folder, links resolved

    @classmethod
    def of(cls, ws: Workspace, store: Store) -> Here:
        return cls(str(ws.root), socket.gethostname(), computer(), store.place, os.path.realpath(ws.inbox))

    def record(self, archive: str) -> dict:
        return {"archive": archive, "workspace": self.workspace, "host": self.host, "machine": self.machine,
                "database": self.database, "inbox": self.inbox}

    def same_computer(self, owner: dict) -> bool:
        """A record names this computer: by its machine id where the record has one (a computer renamed is the same
        computer), else by name."""
        return owner.get("machine") == self.machine if owner.get("machine") else owner.get("host") == self.host

    def same_workspace(self, owner: dict) -> bool:
        return owner.get("workspace") == self.workspace and self.same_computer(owner)

    def same_database(self, owner: dict) -> bool:
        """The record names this very database. One written before records named it names it by its workspace
        and computer (a server's: any, as then)."""
        recorded = owner.get("database")
        if recorded is None:
            return self.database.startswith("server:") or self.same_workspace(owner)
        return same_place(recorded, self.database)


def check(ws: Workspace, store: Store, *, dry_run: bool = False) -> None:
    """Make sure the inbox feeds this archive: recorded as this archive's on first use; refused (ConfigError,
    nothing taken) when another archive's or another copy's. ``dry_run``: checked as a run would, nothing written.
    An inbox not there (a share not connected) is bound when it is."""
    if not ws.inbox.is_dir():
        return
    record = ws.work / cl.OWNER
    try:
        owner = cl.inbox_owner(ws.work)
    except cl.DamagedOwner:
        raise ConfigError(f"收件文件夹记录所属档案库的文件“{record}”已损坏（不是 lzdocs 写的内容），本次不收取",
                          hint=f"请确认这个收件文件夹只给本工作区用，然后删除 {record} 后重新运行") from None
    here = Here.of(ws, store)
    mine = store.archive_id(create=False)
    if mine is None:
        # An archive with records but no identity yet is one from before identities — a backup of this workspace
        # restored after its inbox was recorded — and takes the identity recorded for this workspace. An archive
        # just made (lzdocs.db deleted or replaced by a new one) is refused below, before it makes an identity of
        # its own (which would rule out the adoption once the old file is put back).
        ours = owner is not None and here.same_workspace(owner) and store.has_records()
        if owner is not None and not ours:
            _refuse_another(ws, owner, here, record)
        if dry_run:
            return
        mine = store.archive_id(adopt=owner["archive"] if ours else None)
    if owner is None and not dry_run:  # the first archive to take from it (or another, first by a moment)
        owner = cl.bind_inbox(ws.work, here.record(mine))
    if owner is None:
        return
    if owner["archive"] != mine:
        _refuse_another(ws, owner, here, record)
    if here.same_database(owner):
        return
    why = _not_this_inbox(ws, owner, here)
    if why is None:
        _refuse_copy(ws, store, owner, here, record)
    if not dry_run:
        cl.bind_inbox(ws.work, here.record(mine), replacing=owner)
        log.info("收件文件夹的所属记录改为本工作区（%s）", why)


def owns(ws: Workspace, store: Store) -> bool:
    """The inbox is recorded as this very archive's (not another's, not a copy's)."""
    owner = cl.inbox_owner(ws.work)
    return owner is not None and owner["archive"] == store.archive_id() and Here.of(ws, store).same_database(owner)


def _not_this_inbox(ws: Workspace, owner: dict, here: Here) -> str | None:
    """Why a record naming another database of this archive does not stand in the way (None: it does).

    - This workspace moved its archive to a server (``db copy``): the record names its SQLite file.
    - The record came with the inbox: on this computer, it names an inbox inside its workspace, and this inbox is
      at the same place inside this workspace, and is another folder — the workspace copied or moved, or a backup
      restored, with its inbox inside. On another computer a path says nothing (a share has other names there).
    - The SQLite file it names is gone from this computer: the workspace moved (or was renamed)."""
    recorded = owner.get("database") or ""
    if here.database.startswith("server:") and recorded.startswith("sqlite:") and here.same_workspace(owner):
        return "档案库已移到数据库服务器"
    if not here.same_computer(owner):
        return None
    then_root, inside = owner.get("workspace"), _inside(here.inbox, str(ws.root))
    if then_root and inside is not None:
        then_inbox = owner.get("inbox") or str(Path(then_root) / inside)
        if _inside(then_inbox, then_root) == inside and not same_file(then_inbox, here.inbox):
            return "收件文件夹随工作区复制或搬来"
    if recorded.startswith("sqlite:") and owner.get("machine"):
        path = recorded.split(":", 2)[2]
        if not os.path.lexists(path):
            return f"原来的档案库 {path} 已不在这台电脑上，工作区已搬走"
    return None


def _inside(folder: str, root: str) -> Path | None:
    """Where ``folder`` is inside ``root`` (as written, or with links resolved), None when it is not."""
    for base in (root, os.path.realpath(root)):
        if Path(folder).is_relative_to(base):
            return Path(folder).relative_to(base)
    return None


def _refuse_copy(ws: Workspace, store: Store, owner: dict, here: Here, record: Path) -> None:
    """A copy of the archive (or the same SQLite file from another computer) on an inbox recorded as the other
    one's: refused, saying which one and how to retire it."""
    recorded = owner.get("database") or ""
    retire = f"删除 {record} 后重新运行"
    if recorded.startswith("server:") and not here.database.startswith("server:"):
        raise ConfigError(f"收件文件夹“{ws.inbox}”记着的是本档案库在数据库服务器上的那一份，"
                          f"本工作区现在用的却是 SQLite 文件 {store.file}；本次不收取",
                          hint="请在 lzdocs.toml 的 [database] url 写回服务器的地址；"
                               f"若确要改回用这个 SQLite 文件，{retire}")
    if recorded.startswith("server:"):
        raise ConfigError(f"收件文件夹“{ws.inbox}”记着的是本档案库在另一个数据库（另一台服务器或另一个 schema）上的"
                          "那一份：同一个档案库被复制到了两个数据库，两处都收取会各缺对方收下的表格；本次不收取",
                          hint=f"请在 lzdocs.toml 的 [database] url 写原来那个数据库；若原来那个已不再使用，{retire}")
    if owner.get("workspace") == here.workspace and not here.same_computer(owner):
        raise ConfigError(f"收件文件夹“{ws.inbox}”记着的是电脑 {owner.get('host')} 上的本工作区，这台电脑"
                          f"（{here.host}）不是它（另一台电脑，或重装过系统）：一个 SQLite 档案库（lzdocs.db）"
                          "不能从两台电脑收取；本次不收取",
                          hint="多台电脑共用请改用 PostgreSQL（lzdocs db copy）；若工作区已换到这台电脑、"
                               f"原来那台不再收取，{retire}")
    where = "、".join(str(owner[k]) for k in ("workspace", "host") if owner.get(k))
    raise ConfigError(f"收件文件夹“{ws.inbox}”记着的是本档案库的另一份（{where}）：同一个档案库被复制或恢复"
                      "到了两处，两处都收取会各缺对方收下的表格；本工作区不从这里收取",
                      hint=f"请只用其中一份收取。若那一份已不再使用（工作区已搬到这里，或已从备份恢复到这里），{retire}")


def _refuse_another(ws: Workspace, owner: dict, here: Here, record: Path) -> None:
    setting = "--inbox 另写" if ws.chosen_inbox is not None else "lzdocs.toml 的 [inbox] path 另设"
    if here.same_workspace(owner):
        raise ConfigError(f"收件文件夹“{ws.inbox}”记着的是本工作区以前的档案库，不是现在的 lzdocs.db"
                          "（数据库被换过：新建的，或从别处复制来的）；本次不收取",
                          hint=f"请把原来的 lzdocs.db 放回；若原来的档案库确已不用，删除 {record} 后重新运行")
    where = "、".join(str(owner[k]) for k in ("workspace", "host") if owner.get(k))
    raise ConfigError(f"收件文件夹“{ws.inbox}”已是另一个档案库（{where}）的收件文件夹，本工作区不从这里收取",
                      hint=f"两个档案库共用一个收件文件夹，各单位报送的表格会被分到两处。请在 {setting}"
                           f"一个收件文件夹；若那个档案库已不再使用，删除 {record} 后重新运行")

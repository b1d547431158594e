"""``lzdocs summary --final FILE``: the 总结 as the office finished it (定稿), recorded in the archive.

``lzdocs summary`` writes a draft; the clerk edits it in WPS, in place or saved under another name. Until that
version is recorded, ``verify`` reports it (changed, or not written by lzdocs), ``backup`` leaves it out (its bytes are
not the recorded ones) and ``archive`` cannot tell which to take. Recording it makes it one of the archive's files:
its bytes in the manifest, an event that keeps the bytes it replaces, and the numbers it carries — those of the
summary it was finished from — by which ``archive`` still tells whether they hold (integrity/items.py
``stale_numbers``). The newest 定稿 is the one ``archive`` takes; a draft written after it makes the choice the
clerk's (``choose_summary``)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lzdocs.documents.summary_report import SUMMARY_DIR, SUMMARY_EVENT
from lzdocs.errors import ConfigError, LzdocsError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lzdocs.office import Office
    from lzdocs.workspace import Workspace

FINAL_EVENT = "summary_final"  # events.action: {"year", "sha256", "how", "of", and the numbers of "of" (as summary)}
NUMBERS = ("today", "figures", "units", "points")  # what a summary event keeps of its numbers (summary_report._record)
HOW = {"edited": "在原处修改的总结", "beside": "总结文件夹中另存的文件", "copied": "已复制进总结文件夹",
       "again": "已登记的文件，定为定稿", "same": "已是登记的定稿，内容相同，没有再登记"}


@dataclass
class FinalResult:
    year: int
    file: Path  # the 定稿, in outbox/<year>/总结/
    sha256: str
    size: int
    how: str  # a key of HOW
    of: str | None = None  # the summary lzdocs wrote whose numbers it carries (workspace-relative); None: none written
    warnings: list[str] = field(default_factory=list)
    pdf: Path | None = None  # its PDF (``--pdf``)
    package: Path | None = None  # the 上报 folder made from it (``--package``), as summary_report makes one
    archive: Path | None = None  # the same as a .zip
    contents: list[Path] = field(default_factory=list)

    def as_dict(self, relative) -> dict:
        return {"year": self.year, "file": relative(self.file), "sha256": self.sha256, "size": self.size,
                "how": self.how, "of": self.of, "pdf": relative(self.pdf) if self.pdf else None,
                "package": relative(self.package) if self.package else None,
                "archive": relative(self.archive) if self.archive else None,
                "contents": [p.name for p in self.contents], "warnings": self.warnings}


def summary_year(ws: Workspace, path: Path) -> int | None:
    """The year whose 总结 folder (outbox/<year>/总结/) ``path`` lies in, else None."""
    try:
        folder = Path(os.path.realpath(path.parent))
        outbox = Path(os.path.realpath(ws.outbox))
    except OSError:
        return None
    if folder.name == SUMMARY_DIR and folder.parent.parent == outbox and folder.parent.name.isdigit():
        return int(folder.parent.name)
    return None


def is_summary_name(name: str) -> bool:
    """A name ``archive`` looks at in a 总结 folder: a .docx (any case), not hidden, not Word's lock file (~$…), in
    UTF-8 (no manifest can name another: ``verify`` reports it)."""
    from lzdocs.fsutil import is_undecodable

    return name.lower().endswith(".docx") and not name.startswith((".", "~$")) and not is_undecodable(name)


def final_paths(conn: Connection, year: int) -> dict[str, int]:
    """The files recorded as ``year``'s 定稿 (workspace-relative) → the id of the event that last did so, when the
    manifest still holds the bytes it recorded (a file rewritten since by ``summary`` under that name is no 定稿)."""
    from sqlalchemy import select

    from lzdocs.store import files
    from lzdocs.store.schema import events

    found: dict[str, int] = {}
    query = select(events.c.id, events.c.subject, events.c.after).where(events.c.action == FINAL_EVENT)
    for event_id, subject, after in conn.execute(query.order_by(events.c.id)):
        written = json.loads(after) if after else {}
        row = files.recorded(conn, subject)
        if written.get("year") == year and row is not None and row["sha256"] == written.get("sha256"):
            found[subject] = event_id
        else:
            found.pop(subject, None)
    return found


def newest_summary(conn: Connection, rows: list[dict]) -> dict:
    """Of the recorded summaries ``rows`` (manifest rows), the one recorded last: by the events that wrote or
    recorded each (``summary``, ``summary_final``) — their order is the archive's own, whatever the clocks of the
    machines that wrote them say — then by the time recorded (one recorded by ``archive --summary``, without an
    event, counts as before them)."""
    from sqlalchemy import func, select

    from lzdocs.store.schema import events

    query = (select(events.c.subject, func.max(events.c.id))
             .where(events.c.action.in_([SUMMARY_EVENT, FINAL_EVENT]), events.c.subject.in_([r["path"] for r in rows]))
             .group_by(events.c.subject))
    order = dict(conn.execute(query).all())
    return max(rows, key=lambda r: (order.get(r["path"], 0), r["recorded_at"], r["path"]))


def record_final(office: Office, given: Path, year: int) -> FinalResult:
    """Record ``given`` as ``year``'s 定稿: a .docx in outbox/<year>/总结/ (edited in place, or saved beside), or one
    from anywhere else, copied in under its own name (``_01`` … when the name is taken; never replacing a file)."""
    from lzdocs.store import files
    from lzdocs.store.years import require_open

    ws = office.ws
    folder = ws.year_dir(year) / SUMMARY_DIR
    _check_folder(ws, folder)
    inside = summary_year(ws, given) == year
    _check_name(given, inside)
    data = _read_docx(ws, given)
    digest, size = hashlib.sha256(data).hexdigest(), len(data)
    prefix = ws.relative(folder) + "/"
    with office.store.read() as conn:
        require_open(conn, year)  # a closed year's summary is in its 归档 package (YearClosed)
        _not_another_file(conn, ws, given)
        finals = final_paths(conn, year)
        latest = max(finals, key=finals.get) if finals else None
        rows = {r["path"]: r for r in files.all_files(conn, prefix=prefix) if r["role"] == "summary"}
        newest = newest_summary(conn, list(rows.values()))["path"] if rows else None
        if inside:
            target = folder / given.name
            row = rows.get(ws.relative(target))
        else:  # the same bytes recorded and on disk already: that file, not a second copy
            target = _on_disk_with(ws, [p for p, r in rows.items() if r["sha256"] == digest], digest)
            row = rows.get(ws.relative(target)) if target is not None else None
        of, numbers = _numbers_of(conn, ws, year, target if row is not None else None)
    if row is not None and row["sha256"] == digest:  # already the 定稿 archive takes, or made it once more
        how = "same" if ws.relative(target) == latest == newest else "again"
    else:
        how = "edited" if row is not None else "beside" if inside else "copied"
    result = FinalResult(year, target if how != "copied" else given, digest, size, how, of)
    if how == "same":
        result.warnings += _stale_note(office, year, target, ws.root / of) if of else []
        return result
    if how == "copied":
        result.file = target = _copy_in(folder, given, data)
    committing: list[bool] = []
    try:
        with office.store.begin(year=year) as conn:
            if how == "copied":  # another --final of the same file recorded it meanwhile: that one
                twin = _on_disk_with(ws, [r["path"] for r in files.all_files(conn, prefix=prefix)
                                          if r["role"] == "summary" and r["sha256"] == digest
                                          and r["path"] != ws.relative(target)], digest)  # (not this copy)
                if twin is not None:
                    target.unlink(missing_ok=True)
                    result.file, result.how = twin, "same"
                    return result
            files.record(conn, ws.relative(target), digest, size, "summary", office.store.now())
            office.store.log(conn, FINAL_EVENT, ws.relative(target),
                             before={"sha256": row["sha256"], "size": row["size"]} if row else None,
                             after={"year": year, "sha256": digest, "how": how, "of": of, **numbers})
            committing.append(True)
    except BaseException:
        if how == "copied" and not committing:  # not recorded: no foreign file left behind (verify, archive)
            target.unlink(missing_ok=True)
        raise
    if of is None:
        result.warnings.append(f"{year} 年度还没有用 lzdocs summary 生成过总结，定稿中的数字无从核对；"
                               "归档时按这一份归档")
    else:
        result.warnings += _stale_note(office, year, target, ws.root / of)
    return result


def _check_folder(ws: Workspace, folder: Path) -> None:
    """The year's 总结 folder lies in the workspace (a link to elsewhere would put the 定稿 outside the archive)."""
    try:
        outside = not Path(os.path.realpath(folder)).is_relative_to(os.path.realpath(ws.root))
    except OSError:
        outside = False
    if outside:
        raise ConfigError(f"{ws.relative(folder)} 指向工作区以外的文件夹，定稿不能登记在那里",
                          hint=f"请把 {ws.relative(folder)} 改回工作区里的普通文件夹后再登记")


def _check_name(given: Path, inside: bool) -> None:
    """Names no 定稿 can have: not UTF-8 (no manifest can name it), Word's lock file, a hidden file beside."""
    from lzdocs.fsutil import display_name, is_undecodable

    name = given.name
    if is_undecodable(name):
        raise ConfigError(f"文件名“{display_name(name)}”不是 UTF-8 编码（可能是从 GBK 压缩包解出的），不能登记",
                          hint="请在 WPS 或 Word 中把它另存为一个新的文件名，再登记")
    if name.startswith("~$"):
        raise ConfigError(f"“{name}”是 WPS/Word 打开文档时留下的临时文件，不是总结本身",
                          hint="请写总结文件本身的名称（不带 ~$）")
    if inside and name.startswith("."):
        raise ConfigError(f"“{name}”是隐藏文件，归档时不会取它", hint="请把它改名（去掉开头的点）后再登记")


def _not_another_file(conn: Connection, ws: Workspace, given: Path) -> None:
    """A file the archive keeps as something else (a form received, a letter, the 公示表…), or one in the inbox, is
    no 总结."""
    from lzdocs.store import files

    try:
        real = Path(os.path.realpath(given))
        in_inbox = real.is_relative_to(os.path.realpath(ws.inbox))
    except OSError:
        in_inbox = False
    if in_inbox:
        raise ConfigError(f"“{given}”在收件文件夹里，是报送的表格，不是总结",
                          hint="请把定稿放在收件文件夹以外（如桌面），再登记")
    row = files.recorded(conn, ws.relative(given))
    if row is not None and row["role"] != "summary":
        raise ConfigError(f"“{ws.relative(given)}”在档案中记为其他文件（{ROLE_NAMES.get(row['role'], row['role'])}），"
                          "不是总结", hint="请写改好的总结定稿的位置")


ROLE_NAMES = {"original": "收到的表格", "duplicate": "重复报送的表格", "returned": "退回的表格", "document": "文书",
              "register": "登记簿", "publicity": "公示表", "posted": "已发布的公示表", "pdf": "PDF",
              "package": "上报材料", "explanation": "错误说明", "edited": "改过的登记簿"}


def _on_disk_with(ws: Workspace, paths: list[str], digest: str) -> Path | None:
    """The first of ``paths`` (workspace-relative) whose file is there with the bytes ``digest``."""
    from lzdocs.fsutil import NotRegularFile, open_regular

    for path in paths:
        try:
            with open_regular(ws.root / path) as fh:
                if hashlib.file_digest(fh, "sha256").hexdigest() == digest:
                    return ws.root / path
        except (OSError, NotRegularFile):
            continue
    return None


def _read_docx(ws: Workspace, path: Path) -> bytes:
    """The bytes of the .docx at ``path``, read once without following a link, and whole: every part as its
    checksum says, the document part XML; ConfigError saying what to do."""
    from lzdocs.fsutil import NotRegularFile, display_path, open_regular
    from lzdocs.ooxml.safety import Limits, check_zip_limits, parse_xml

    shown = display_path(str(path))
    if path.suffix.lower() != ".docx":
        raise ConfigError(f"“{shown}”不是 .docx 文件", hint="请在 WPS 或 Word 中把定稿另存为 .docx（Word 文档）再登记")
    limits = Limits.from_settings(ws.settings)
    try:
        with open_regular(path) as fh:
            data = fh.read(limits.max_file_bytes + 1)
    except FileNotFoundError:
        raise ConfigError(f"找不到文件“{shown}”", hint="请检查文件名和所在文件夹；文件名含空格时请加引号") from None
    except NotRegularFile:
        raise ConfigError(f"“{shown}”不是普通文件（是快捷方式、链接或文件夹）",
                          hint="请写定稿文件本身的位置") from None
    except OSError as exc:
        raise ConfigError(f"读不了“{shown}”：{exc.strerror or exc}",
                          hint="请确认文件没有在 WPS/Word 中以独占方式打开，并且有读取权限") from None
    if len(data) > limits.max_file_bytes:
        raise ConfigError(f"“{shown}”超过 {limits.max_file_bytes // 2**20} MB，不像是一份总结",
                          hint="请确认选对了文件；确实需要时调大 lzdocs.toml 中 [limits] max_file_mb")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            check_zip_limits(package.infolist(), len(data), limits)
            whole = package.testzip() is None and "word/document.xml" in package.namelist()
            if whole:
                parse_xml(package.read("word/document.xml"), "word/document.xml")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, ValueError, EOFError, OSError, LzdocsError):
        whole = False  # damaged, encrypted, no package at all, or over the limits
    if not whole:
        raise ConfigError(f"“{shown}”不是完整的 Word 文档（.docx），可能已损坏、设了打开密码或只是改了扩展名",
                          hint="请在 WPS 或 Word 中打开它，去掉密码后另存为 .docx，再登记")
    return data


def _numbers_of(conn: Connection, ws: Workspace, year: int, itself: Path | None) -> tuple[str | None, dict]:
    """The summary lzdocs wrote whose numbers the 定稿 carries — ``itself`` when it is one recorded already (a
    summary edited in place, a 定稿 named again), else the newest of ``year`` — and those numbers as its event
    recorded them ({} when none was written)."""
    from sqlalchemy import select

    from lzdocs.store.schema import events

    query = select(events.c.subject, events.c.after).where(events.c.action.in_([SUMMARY_EVENT, FINAL_EVENT]))
    subjects = [ws.relative(itself), None] if itself is not None else [None]
    for subject in subjects:  # itself when it has numbers (one recorded by ``archive --summary`` has none)
        chosen = query.where(events.c.subject == subject) if subject is not None else query
        for found, after in conn.execute(chosen.order_by(events.c.id.desc())):
            written = json.loads(after) if after else {}
            if written.get("year") == year and written.get("figures"):
                source = written.get("of") or found  # a 定稿 of a 定稿 carries the first one's numbers
                return source, {key: written[key] for key in NUMBERS if key in written}
    return None, {}


def _copy_in(folder: Path, given: Path, data: bytes) -> Path:
    """``data`` into ``folder`` under ``given``'s name (``_01`` … when taken; a hidden name shown): written whole
    under a hidden name first, then moved onto a free name in one step — a process killed midway leaves no empty
    file under a real name, which ``archive`` would take for a 总结."""
    from lzdocs.fsutil import place_new, write_new_file

    return place_new(folder, given.stem.lstrip(".") or "总结定稿", ".docx", lambda path: write_new_file(path, data))


def _stale_note(office: Office, year: int, final: Path, source: Path) -> list[str]:
    """A 提醒 when the numbers the 定稿 carries (those of ``source``, the summary it was finished from) no longer
    hold: what ``archive`` would refuse it for."""
    from lzdocs.integrity.items import stale_numbers

    with office.store.read() as conn:
        stale = stale_numbers(conn, office.ws, year, final)
    if not stale:
        return []
    return [f"定稿中的数字是按 {source.name} 生成时统计的，之后档案库有了变化（{stale}）；请运行 lzdocs summary "
            f"--year {year} 重新生成，按新的数字改好后再登记定稿"]

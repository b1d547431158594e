"""``lzdocs summary --final FILE``: the 总结 as the office finished it (定稿), recorded in the archive.

``lzdocs summary`` writes a draft; the clerk edits it in WPS, in place or saved under another name. Until that
version is recorded, ``verify`` reports it (changed, or not written by lzdocs), ``backup`` leaves it out (its bytes are
not the recorded ones) and ``archive`` cannot tell which to take. Recording it makes it one of the archive's files:
its bytes in the manifest, an event that keeps the bytes it replaces, and the numbers it carries — those of the
summary it was finished from — by which ``archive`` still tells whether they hold (integrity/items.py
``stale_numbers``)."""

from __future__ import annotations

import io
import os
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lzdocs.documents.summary_report import SUMMARY_DIR, SUMMARY_EVENT
from lzdocs.errors import ConfigError

if TYPE_CHECKING:
    from lzdocs.office import Office
    from lzdocs.workspace import Workspace

FINAL_EVENT = "summary_final"  # events.action: {"year", "sha256", "how", "of", and the numbers of "of" (as summary)}
NUMBERS = ("today", "figures", "units", "points")  # what a summary event keeps of its numbers (summary_report._record)
HOW = {"edited": "在原处修改的总结", "beside": "总结文件夹中的定稿", "copied": "定稿（已复制到总结文件夹）",
       "same": "已登记过的定稿（内容相同，没有再登记）"}


@dataclass
class FinalResult:
    year: int
    file: Path  # the 定稿, in outbox/<year>/总结/
    sha256: str
    size: int
    how: str  # a key of HOW
    of: str | None = None  # the summary lzdocs wrote whose numbers it carries (workspace-relative); None: none written
    warnings: list[str] = field(default_factory=list)

    def as_dict(self, relative) -> dict:
        return {"year": self.year, "file": relative(self.file), "sha256": self.sha256, "size": self.size,
                "how": self.how, "of": self.of, "warnings": self.warnings}


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


def record_final(office: Office, given: Path, year: int) -> FinalResult:
    """Record ``given`` as ``year``'s 定稿: a .docx in outbox/<year>/总结/ (edited in place, or saved beside), or one
    from anywhere else, copied in under its own name (``_01`` … when the name is taken; never replacing a file)."""
    from lzdocs.store import files
    from lzdocs.store.years import require_open

    ws = office.ws
    folder = ws.year_dir(year) / SUMMARY_DIR
    data = _read_docx(ws, given)
    digest, size = _sha256(data), len(data)
    with office.store.read() as conn:
        require_open(conn, year)  # a closed year's summary is in its 归档 package (YearClosed)
        inside = summary_year(ws, given) == year
        row = files.recorded(conn, ws.relative(folder / given.name)) if inside else None
        of, numbers = _numbers_of(conn, ws, year, folder / given.name if row else None)
        if not inside:
            same = [r for r in files.all_files(conn, prefix=ws.relative(folder) + "/")
                    if r["role"] == "summary" and r["sha256"] == digest]
            if same:
                return FinalResult(year, ws.root / same[-1]["path"], digest, size, "same", of)
    if row is not None and row["role"] != "summary":
        raise ConfigError(f"{ws.relative(folder / given.name)} 在档案中记为其他文件（{row['role']}），不是总结",
                          hint="请把定稿另存为一个新的文件名，再用 --final 登记")
    if row is not None and row["sha256"] == digest:
        return FinalResult(year, folder / given.name, digest, size, "same", of)
    how = "copied" if not inside else "edited" if row is not None else "beside"
    target = _copy_in(folder, given, data) if how == "copied" else folder / given.name
    result = FinalResult(year, target, digest, size, how, of)
    try:
        with office.store.begin(year=year) as conn:
            files.record(conn, ws.relative(target), digest, size, "summary", office.store.now())
            office.store.log(conn, FINAL_EVENT, ws.relative(target),
                             before={"sha256": row["sha256"], "size": row["size"]} if row else None,
                             after={"year": year, "sha256": digest, "how": how, "of": of, **numbers})
    except BaseException:
        if how == "copied":  # not recorded: no foreign file left behind (verify, archive)
            target.unlink(missing_ok=True)
        raise
    if of is None:
        result.warnings.append(f"{year} 年度还没有用 lzdocs summary 生成过总结，定稿中的数字无从核对；"
                               "归档时按这一份归档")
    else:
        result.warnings += _stale_note(office, year, target, ws.root / of)
    return result


def _read_docx(ws: Workspace, path: Path) -> bytes:
    """The bytes of the .docx at ``path``, read once without following a link; ConfigError saying what to do."""
    from lzdocs.fsutil import NotRegularFile, display_path, open_regular

    shown = display_path(str(path))
    if path.suffix.lower() != ".docx":
        raise ConfigError(f"“{shown}”不是 .docx 文件", hint="请在 WPS 或 Word 中把定稿另存为 .docx（Word 文档）再登记")
    limit = ws.settings.limit("max_file_mb", 50) * 2**20
    try:
        with open_regular(path) as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise ConfigError(f"找不到文件“{shown}”", hint="请检查文件名和所在文件夹；文件名含空格时请加引号") from None
    except NotRegularFile:
        raise ConfigError(f"“{shown}”不是普通文件（是快捷方式、链接或文件夹）",
                          hint="请写定稿文件本身的位置") from None
    except OSError as exc:
        raise ConfigError(f"读不了“{shown}”：{exc.strerror or exc}",
                          hint="请确认文件没有在 WPS/Word 中以独占方式打开，并且有读取权限") from None
    if len(data) > limit:
        raise ConfigError(f"“{shown}”超过 {limit // 2**20} MB，不像是一份总结",
                          hint="请确认选对了文件；确实需要时调大 lzdocs.toml 中 [limits] max_file_mb")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            whole = "word/document.xml" in package.namelist()
    except (zipfile.BadZipFile, ValueError):
        whole = False
    if not whole:
        raise ConfigError(f"“{shown}”不是完整的 Word 文档（.docx），可能已损坏、设了打开密码或只是改了扩展名",
                          hint="请在 WPS 或 Word 中打开它，去掉密码后另存为 .docx，再登记")
    return data


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _numbers_of(conn, ws: Workspace, year: int, itself: Path | None) -> tuple[str | None, dict]:
    """The summary lzdocs wrote whose numbers the 定稿 carries — ``itself`` when it is one edited in place, else the
    newest of ``year`` — and those numbers as its event recorded them ({} when none was written)."""
    import json

    from sqlalchemy import select

    from lzdocs.store.schema import events

    query = select(events.c.subject, events.c.after).where(events.c.action.in_([SUMMARY_EVENT, FINAL_EVENT]))
    if itself is not None:
        query = query.where(events.c.subject == ws.relative(itself))
    for subject, after in conn.execute(query.order_by(events.c.id.desc())):
        written = json.loads(after) if after else {}
        if written.get("year") == year and written.get("figures"):
            source = written.get("of") or subject  # a 定稿 of a 定稿 carries the first one's numbers
            return source, {key: written[key] for key in NUMBERS if key in written}
    return None, {}


def _copy_in(folder: Path, given: Path, data: bytes) -> Path:
    """``data`` written into ``folder`` under ``given``'s name (``_01`` … when taken), whole or not at all."""
    from lzdocs.fsutil import reserve_name, write_new_file

    target = reserve_name(folder, given.stem, ".docx")
    partial = folder / f".{uuid.uuid4().hex}.docx"
    try:
        write_new_file(partial, data)
        os.replace(partial, target)
    except BaseException:
        target.unlink(missing_ok=True)  # still the empty placeholder
        raise
    finally:
        partial.unlink(missing_ok=True)
    return target


def _stale_note(office: Office, year: int, final: Path, source: Path) -> list[str]:
    """A 提醒 when the numbers the 定稿 carries (those of ``source``, the summary it was finished from) no longer
    hold: what ``archive`` would refuse it for."""
    from lzdocs.integrity.items import stale_numbers

    with office.store.read() as conn:
        stale = stale_numbers(conn, office.ws, year, final)
    if not stale:
        return []
    return [f"定稿中的数字是按 {source.name} 生成时统计的，之后档案库有了变化（{stale}）；请核对修改，"
            f"或运行 lzdocs summary --year {year} 重新生成后再定稿"]

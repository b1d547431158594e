"""文号 allocation and issuing: a number is taken only when the document is rendered, recorded and in place."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lzdocs.errors import LzdocsError
from lzdocs.fsutil import fsync_file, sha256_file, unique_path
from lzdocs.store import Store
from lzdocs.store import documents as q
from lzdocs.textutil import safe_filename

NUMBER_RE = re.compile(r"^(?P<code>.+)〔(?P<year>\d{4})〕(?P<seq>[1-9]\d*)号$")


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


@dataclass(frozen=True)
class IssuedDocument:
    number: DocumentNumber
    path: Path
    sha256: str
    document_id: int


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
        self._pending.append(self._pool.submit(_put_in_place, partial, final))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        for future in self._pending:
            try:
                future.result()
            except OSError as exc:
                raise LzdocsError(f"文书已登记，但文件未能写入磁盘：{exc}",
                                  hint="请检查磁盘空间和文件夹权限；未完成的文件以 .part 结尾留在原文件夹") from exc

    def __enter__(self) -> DurableRenames:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _put_in_place(partial: Path, final: Path) -> None:
    fsync_file(partial)
    os.replace(partial, final)


def _finish(partial: Path, final: Path) -> None:
    """The rename after the commit; another process's ``finish_leftovers`` may have done it a moment before."""
    try:
        os.replace(partial, final)
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
            if row is not None and not final.exists() and sha256_file(partial) == row["sha256"]:
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


def issue_document(store: Store, *, kind: str, code: str, year: int, title: str, recipient: str,
                   issued: dt.date, folder: Path, stem: Callable[[DocumentNumber], str],
                   render: Callable[[DocumentNumber, Path], bytes | None], reply_due: dt.date | None = None,
                   unit: str | None = None, note: str = "", workspace_root: Path | None = None,
                   suffix: str = ".docx", finisher: DurableRenames | None = None) -> IssuedDocument:
    """Take the next 文号, render the document with it, record it, then put the file in place.

    The number is taken inside one write transaction that also holds the render: a render that raises
    rolls the transaction back, so the number is not consumed and no file is left. Two processes
    serialise on the database's write lock, so numbers are never duplicated or skipped.
    ``render(number, path)`` writes the file; it may return the bytes it wrote to save reading the file
    back for its SHA-256 (already fsynced, unless a ``finisher`` is given: then the finisher fsyncs and
    renames the file after the commit, and the file is in place once the finisher is closed).
    """
    folder.mkdir(parents=True, exist_ok=True)
    with store.begin() as conn:
        number = DocumentNumber(code, year, q.next_seq(conn, code, year))
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
                                    note=note, created_at=store.now())
            if reply_due is not None:
                q.add_warning(conn, document_id=doc_id, unit=unit or recipient, kind=kind, issued=issued,
                              reply_due=reply_due)
            store.log(conn, "issue", str(number), after={"kind": kind, "title": title, "recipient": recipient,
                                                          "file": relative})
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    if finisher is not None:
        finisher.submit(partial, final)
    else:
        _finish(partial, final)  # after commit: a number on paper always has its row
    return IssuedDocument(number, final, sha, doc_id)

"""One file's way through ingest, in the crash-safe order of docs/product.md §4: copy → fsync → record → rename."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from pathlib import Path
from typing import Callable, Iterable

from lzdocs.clock import Clock
from lzdocs.errors import ConfigError, Problem, RejectedFile, error, warning
from lzdocs.forms.checks import check_form
from lzdocs.forms.reader import read_form
from lzdocs.forms.schema import load_kinds
from lzdocs.fsutil import copy_durably, fsync_dir, sha256_file, unique_path, write_atomic
from lzdocs.ingest import claims as cl
from lzdocs.ingest.claims import Claim
from lzdocs.ingest.outcome import Outcome
from lzdocs.ingest.scan import is_ignored, walk
from lzdocs.ooxml.safety import Limits
from lzdocs.store import Store
from lzdocs.store import submissions as subs
from lzdocs.textutil import safe_filename
from lzdocs.workspace import Workspace

log = logging.getLogger("lzdocs.ingest")

RECEIVED = "收文"
DUPLICATES = "重复报送"
EXPLANATION = ".错误说明.txt"


class _CrashPoints:
    """Test-only: ``LZDOCS_CRASH_AT=step[:n]`` kills the process (SIGKILL) the n-th time it reaches ``step``."""

    def __init__(self, spec: str | None):
        self.step, _, n = (spec or "").partition(":")
        self.remaining = int(n or 1)

    def __call__(self, step: str) -> None:
        if self.step and step == self.step:
            self.remaining -= 1
            if self.remaining <= 0:
                import signal

                os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


class Ingest:
    """Processes files into the archive. Construct per run; ``touched_years`` says which registers to rebuild."""

    def __init__(self, ws: Workspace, store: Store, *, today: dt.date | None = None,
                 now: Callable[[], dt.datetime] = Clock().now,
                 progress: Callable[[int, int, str], None] | None = None):
        self.ws, self.store, self.now = ws, store, now
        self.today = today or now().date()
        self.roster = ws.roster()
        self.kinds = load_kinds(ws.root / "forms")
        self.limits = Limits.from_settings(ws.settings)
        self.soffice_timeout = int(ws.settings.get("limits", "soffice_timeout", 90))
        self.progress = progress or (lambda i, n, name: None)
        self.claims_dir = ws.work / "claims"
        self.touched_years: set[int] = set()
        self.crash = _CrashPoints(os.environ.get("LZDOCS_CRASH_AT"))

    # --- entry points -----------------------------------------------------------------------
    def run_inbox(self, *, dry_run: bool = False) -> list[Outcome]:
        """Every candidate file in the inbox (and its subfolders), oldest first."""
        inbox = self.ws.inbox
        if not inbox.is_dir():
            if inbox.is_file():
                raise ConfigError(f"收件文件夹“{inbox}”是一个文件，不是文件夹",
                                  hint="请把这个文件改名或移走，或改写 lzdocs.toml 的 [inbox] path")
            raise ConfigError(f"收件文件夹不存在：{inbox}", hint="请检查 lzdocs.toml 的 [inbox] path，或网络共享是否已连接")
        if not dry_run:
            self.recover()
        files, ignored = walk(inbox)
        outcomes = [Outcome(self._display(p), "ignored") for p in ignored]
        for i, path in enumerate(files, 1):
            self.progress(i, len(files), path.name)
            outcomes.append(self.preview(path) if dry_run else self.take_inbox_file(path))
        return [o for o in outcomes if o is not None]

    def run_paths(self, paths: Iterable[Path], *, dry_run: bool = False) -> list[Outcome]:
        """Files and folders given by the user: read from a copy, never moved or changed."""
        if not dry_run:
            self.recover()
        files: list[Path] = []
        outcomes: list[Outcome] = []
        for path in paths:
            path = Path(path)
            if path.is_dir():
                found, ignored = walk(path, skip_own=path.resolve() == self.ws.inbox.resolve())
                outcomes += [Outcome(self._display(p), "ignored") for p in ignored]
                files += found
            elif path.is_file():
                if is_ignored(path.name):
                    outcomes.append(Outcome(self._display(path), "ignored"))
                else:
                    files.append(path)
            else:
                outcomes.append(Outcome(self._display(path), "rejected", problems=[
                    error("找不到这个文件或文件夹，请检查路径是否写对")]))
        for i, path in enumerate(files, 1):
            self.progress(i, len(files), path.name)
            if dry_run:
                outcomes.append(self.preview(path))
            else:
                claim = cl.claim_by_copy(self.claims_dir, path, self._display(path))
                outcomes.append(self.process(claim))
        return outcomes

    def take_inbox_file(self, path: Path) -> Outcome | None:
        """Claim one inbox file by rename and process it; None when another process claimed it first."""
        claim = cl.claim_by_rename(self.claims_dir, path, self._display(path))
        if claim is None:
            return None
        self.crash("claimed")
        return self.process(claim)

    def preview(self, path: Path) -> Outcome:
        """--dry-run: what would happen, without claiming, storing or moving anything."""
        source = self._display(path)
        duplicate = self._duplicate_of(sha256_file(path))
        if duplicate:
            return Outcome(source, "duplicate", duplicate["unit"], duplicate["year"], duplicate["filled_date"],
                           problems=[self._duplicate_warning(duplicate)])
        checked, problems, unit, year = self._read_and_check(path)
        if checked is None:
            return Outcome(source, "rejected", unit, year, problems=problems)
        return Outcome(source, "accepted", checked.unit, checked.year, checked.filled_date, len(checked.rows),
                       problems=problems)

    # --- one file ---------------------------------------------------------------------------
    def process(self, claim: Claim) -> Outcome:
        try:
            return self._process(claim)
        finally:
            claim.let_go()  # on success the claim is gone; on an error recovery may take it up

    def _process(self, claim: Claim) -> Outcome:
        sha = sha256_file(claim.file)
        duplicate = self._duplicate_of(sha)
        if duplicate:
            return self._settle_duplicate(claim, sha, duplicate)
        checked, problems, unit, year = self._read_and_check(claim.file)
        base = dict(sha256=sha, received_at=self.now(), original_name=claim.original_name, source=claim.source,
                    claim=claim.token, problems=json.dumps([p.as_dict() for p in problems], ensure_ascii=False))
        if checked is None:
            dest = self._rejected_dest(claim) if claim.from_inbox else None
            self._settle(claim, dest, dict(base, status="rejected", kind="risk", unit=unit,
                                           year=year or self.today.year), [], problems)
            return Outcome(claim.source, "rejected", unit, year, stored_as=self._rel(dest), problems=problems)
        folder = self.ws.year_dir(checked.year) / RECEIVED / safe_filename(checked.unit)
        dest = unique_path(folder, *self._split(claim.original_name))
        new_id, replaced = self._settle(claim, dest, dict(
            base, status="accepted", kind=checked.kind.key, unit=checked.unit, year=checked.year,
            filled_date=checked.filled_date), checked.rows, problems)
        self.touched_years.add(checked.year)
        return Outcome(claim.source, "accepted", checked.unit, checked.year, checked.filled_date, len(checked.rows),
                       supersedes=self._supersedes_label(replaced), stored_as=self._rel(dest), problems=problems)

    def _read_and_check(self, path: Path):
        """(CheckedForm or None, problems, unit, year) — never raises for a bad file."""
        try:
            raw = read_form(path, self.kinds, self.limits, soffice_timeout=self.soffice_timeout)
            checked = check_form(raw, self.roster, received=self.today, today=self.today)
            return checked, checked.problems, checked.unit, checked.year
        except RejectedFile as exc:
            return None, exc.problems, exc.unit, exc.year
        except MemoryError:
            return None, [error("文件内容过大，无法读取；请删除多余内容后另存再报送")], None, None
        except Exception as exc:  # a reader bug must not strand the file: reject it with the reason logged
            log.error("读取 %s 时出现意外错误（%s），已退回", path.name, type(exc).__name__, exc_info=True)
            return None, [error(f"读取时出现意外错误（{type(exc).__name__}），文件未入库；"
                                "请用 WPS/Word/Excel 打开后另存为 .docx/.xlsx 再报送，或联系管理员")], None, None

    def _settle(self, claim: Claim, dest: Path | None, values: dict, rows: list[dict],
                problems: list[Problem]) -> tuple[int, int | None]:
        """Copy → fsync → record (one transaction) → rename → release: the order that survives a crash."""
        if dest is not None:
            claim.dest = str(dest)
            claim.partial = str(dest.with_name(f".{dest.name}.{claim.token[:12]}.part"))
            claim.save()
            self.crash("before-copy")
            copy_durably(claim.file, Path(claim.partial))
            self.crash("after-copy")
        with self.store.begin() as conn:
            new_id, replaced = subs.add_submission(conn, rows=rows, stored_as=self._rel(dest), **values)
            self.store.log(conn, values["status"], claim.original_name, after={
                "submission": new_id, "unit": values.get("unit"), "year": values.get("year"),
                "rows": len(rows), "stored_as": self._rel(dest), "supersedes": replaced})
        self.crash("after-commit")
        self._finish(claim, values["status"], problems)
        return new_id, replaced

    def _finish(self, claim: Claim, status: str, problems: list[Problem]) -> None:
        """Steps after the commit; idempotent, so recovery can run them again."""
        if claim.partial and Path(claim.partial).exists():
            os.replace(claim.partial, claim.dest)
            fsync_dir(Path(claim.dest).parent)  # the archived copy is durable before the claim goes
        self.crash("after-rename")
        note = Path(f"{claim.dest}{EXPLANATION}") if status == "rejected" and claim.dest else None
        if note and not note.exists():
            write_atomic(note, explanation(claim.original_name, problems, self.now()).encode("utf-8-sig"))
        cl.release(claim)

    def _settle_duplicate(self, claim: Claim, sha: str, first) -> Outcome:
        dest = None
        if claim.from_inbox:
            folder = self.ws.year_dir(first["year"]) / RECEIVED / safe_filename(first["unit"]) / DUPLICATES
            dest = unique_path(folder, *self._split(claim.original_name))
        problems = [self._duplicate_warning(first)]
        self._settle(claim, dest, dict(sha256=sha, received_at=self.now(), original_name=claim.original_name,
                                       source=claim.source, claim=claim.token, status="duplicate",
                                       kind=first["kind"], unit=first["unit"], year=first["year"],
                                       filled_date=first["filled_date"],
                                       problems=json.dumps([p.as_dict() for p in problems], ensure_ascii=False)),
                     [], problems)
        return Outcome(claim.source, "duplicate", first["unit"], first["year"], first["filled_date"],
                       stored_as=self._rel(dest), problems=problems)

    # --- recovery ---------------------------------------------------------------------------
    def recover(self, *, origin: Path | None = None) -> int:
        """Finish or roll back claims left by a process that died; returns how many there were.

        A claim whose lock a live process holds is left alone: its owner is still working on it.

        With ``origin``, only the claims of that inbox file (a watcher retrying a take that failed half-way)."""
        found = cl.leftovers(self.claims_dir)
        if origin is not None:
            found = [f for f in found if (c := Claim.load(f)) is not None and c.origin == str(origin)]
        recovered = 0
        for folder in found:
            claim = Claim.load(folder) or cl.orphan(folder, self.ws.inbox) or Claim("", str(folder), "", "", None)
            if not claim.hold():  # a live process (a watcher, another ingest) is working on it
                continue
            recovered += 1
            if not claim.original_name:  # died before the file moved in: nothing of the user's is in there
                cl.release(claim)
                continue
            with self.store.read() as conn:
                decided = subs.by_claim(conn, claim.token)
            if decided is None:
                cl.put_back(claim)
                log.info("恢复：%s 放回收件夹重新处理", claim.original_name)
            else:
                self._finish(claim, decided["status"], [Problem(**p) for p in json.loads(decided["problems"])])
                log.info("恢复：%s 已完成归档", claim.original_name)
        return recovered

    # --- small helpers ----------------------------------------------------------------------
    def _duplicate_of(self, sha: str):
        with self.store.read() as conn:
            return subs.accepted_by_hash(conn, sha)

    @staticmethod
    def _duplicate_warning(first) -> Problem:
        return warning(f"与已收文件《{first['original_name']}》（{first['received_at']:%Y-%m-%d %H:%M} 收到）内容完全相同，"
                       "未重复入库；无需重复报送")

    def _rejected_dest(self, claim: Claim) -> Path:
        return unique_path(self.ws.rejected, *self._split(claim.original_name))

    def _supersedes_label(self, replaced: int | None) -> str | None:
        if replaced is None:
            return None
        with self.store.read() as conn:
            old = subs.get(conn, replaced)
        return old["stored_as"] or old["original_name"]

    @staticmethod
    def _split(name: str) -> tuple[str, str]:
        path = Path(name)
        return safe_filename(path.stem), path.suffix.lower()[:10]

    def _rel(self, path: Path | None) -> str | None:
        return None if path is None else self.ws.relative(path)

    def _display(self, path: Path) -> str:
        return self.ws.relative(path)


def explanation(name: str, problems: list[Problem], when: dt.datetime) -> str:
    """The 错误说明.txt a clerk opens beside a returned file (CRLF, for Notepad)."""
    errors = [p for p in problems if p.severity == "error"]
    notes = [p for p in problems if p.severity != "error"]
    lines = [f"文件：{name}", f"处理时间：{when:%Y-%m-%d %H:%M}", "处理结果：退回，未入库", "",
             "存在以下问题，请修改后重新报送（放回收件文件夹即可）："]
    lines += [f"{i}. {p.describe()}" for i, p in enumerate(errors, 1)]
    if notes:
        lines += ["", "另有以下提醒（不影响收取）："]
        lines += [f"{i}. {p.describe()}" for i, p in enumerate(notes, 1)]
    lines += ["", "如有疑问，请联系纪委办公室。", ""]
    return "\r\n".join(lines)

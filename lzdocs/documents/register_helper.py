"""The 公示表 written by a helper process from the rows the 汇总表 reads, while the ingest writes the 汇总表.

After an ingest's run a reader process is idle (lzdocs/forms/ahead.py ``Helper``), and the registers are rewritten
on one core. The 汇总 reads the year's current risk points once, and the 公示表 lists the same ones: here the rows the
汇总 reads are handed to the helper as they are read (``SharedPublicity.feed``), a few thousand at a time, and it
renders the 公示表 — its template, its rows, the file (``save``) — on the other core: the same rows from the same read
of the archive, so the two still agree. (The quality review of those rows stays with the 汇总, which needs its flags
for the 质量 sheet: given the helper as well, it kept the 汇总 waiting for them, and the rewrite was no shorter.)

Whatever fails in the helper — it died, or the 公示表 could not be written there — is done again here, from this
process's own read, as it is without a helper: a helper only ever saves time, and says nothing the clerk would see
(a broken template is reported as the 公示表 written here reports it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lzdocs.forms.ahead import Helper

log = logging.getLogger(__name__)

# What the 公示表 (``registers.publicity_row``) reads of a current risk point
FIELDS = ("unit", "seq", "post", "duties", "risk", "category", "level", "measures", "owner", "filled_date")
ROWS_AT_ONCE = 5000  # rows per message (about a megabyte): the first after the helper has rendered the template


class SharedPublicity:
    """The 公示表 at ``path``, rendered by ``helper`` from ``template`` (with ``label``, ``context`` and the template
    cache ``cache_dir``, as :class:`PublicityTable` takes them) and the rows the 汇总 reads (``feed``, in the order
    read; ``finish`` once they are all read); ``working`` is False once the helper failed, and ``save`` then writes
    it here."""

    def __init__(self, helper: Helper, path: Path, template: Path, label: str, context: dict,
                 cache_dir: Path | None, placing: tuple[str, str] | None = None):
        from lzdocs.forms.ahead import HelperGone

        self.helper, self.path = helper, path
        self.placing = placing or ()  # (the journal, the file's path in the workspace): documents/placing.py
        self.pending: list[tuple] = []
        self.pick = itemgetter(*FIELDS)
        self.saving: int | None = None  # the ticket of the helper's answer, once asked to write the file
        self.before: tuple | None = None  # the file at ``path`` then (``registers.file_identity``)
        self.working = True
        try:
            helper.tell(start, template, label, context, cache_dir)  # rendered there while the 汇总 begins here
        except HelperGone as exc:
            self._failed(exc)

    def feed(self, row: Mapping) -> None:
        """One current risk point as the 汇总 reads it."""
        if self.working:
            self.pending.append(self.pick(row))
            if len(self.pending) >= ROWS_AT_ONCE:
                self._send()

    def finish(self) -> None:
        """Every row given: the helper writes the 公示表 now, while the 汇总 is saved here."""
        from lzdocs.documents.registers import file_identity
        from lzdocs.forms.ahead import HelperGone

        self._send()
        if self.working and self.saving is None:
            self.before = file_identity(self.path)
            try:
                self.saving = self.helper.ask(save, str(self.path), *self.placing)
            except HelperGone as exc:
                self._failed(exc)

    def save(self, here: Callable[[], list[str]]) -> list[str]:
        """The 公示表 written (by the helper; if it failed, by ``here()`` in this process); its warnings."""
        from lzdocs.forms.ahead import HelperGone

        self.finish()
        if self.working:
            try:
                warnings = self.helper.result(self.saving)
                self.saving = None
                return warnings
            except HelperGone as exc:
                self._failed(exc)
        return here()

    def settle(self, written: list[Path]) -> None:
        """However the registers' writing ended: a 公示表 the helper was asked to write and has not been heard of since
        (a Ctrl-C, an error in between) is not left to it — it is ended, and writes nothing more, before the
        registers' lock is let go — and if it put the file in place meanwhile, that file is ``written`` (recorded in
        the manifest, as any register replaced)."""
        from lzdocs.documents.registers import file_identity

        if self.saving is None:
            return
        self.saving, self.working = None, False
        self.helper.close(stop=True)
        if file_identity(self.path) != self.before and self.path not in written:
            written.append(self.path)

    def _send(self) -> None:
        from lzdocs.forms.ahead import HelperGone

        if self.pending:
            rows, self.pending = self.pending, []
            try:
                self.helper.tell(give_rows, rows)
            except HelperGone as exc:
                self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        log.debug("公示表的辅助进程未能完成（%s），改由本进程写", exc)
        self.working = False
        self.pending = []


# --- in the helper ---------------------------------------------------------------------------------
_job: dict[str, Any] = {}  # the 公示表 being written


def start(template: Path, label: str, context: dict, cache_dir: Path | None) -> None:
    from lzdocs.documents.publicity import PublicityTable

    _close()
    _job["table"] = PublicityTable(template, label, context, cache_dir=cache_dir)


def give_rows(rows: list[tuple]) -> None:
    from lzdocs.documents.registers import publicity_row

    table = _job["table"]
    for values in rows:
        table.add(publicity_row(dict(zip(FIELDS, values, strict=True))))


def save(path: str, journal: str | None = None, relative: str = "") -> list[str]:
    from lzdocs.documents import placing

    table = _job.pop("table")
    noting = None if journal is None else lambda tmp: placing.note(journal, relative, "publicity", tmp)
    try:
        return table.save(Path(path), before_replace=noting)
    finally:
        table.close()


def _close() -> None:
    table = _job.pop("table", None)
    if table is not None:
        table.close()

"""The 公示表 written by a reader process kept after an ingest's run (lzdocs/documents/register_helper.py,
lzdocs/forms/ahead.py ``Helper``), from the rows the 汇总表 reads, while the ingest writes the 汇总表: the very file the
ingest writes itself, and written all the same — by the ingest — when the helper dies or fails."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import time
import zipfile
from pathlib import Path

import pytest
from docx import Document

from lzdocs.documents import register_helper, registers
from lzdocs.documents.registers import register_paths
from lzdocs.forms import ahead
from lzdocs.office import Office
from lzdocs.workspace import SAMPLE, Workspace
from tests.conftest import SAMPLE_ROWS, use_readers
from tests.ingest.invariant import assert_each_input_exactly_once
from tests.ingest.test_read_ahead import UNITS

TODAY = dt.date(2026, 11, 28)
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def _ingest(root: Path, make_form, readers: int, n: int = 12) -> tuple[Workspace, object, list[bytes]]:
    """A new workspace with ``n`` forms in its inbox, ingested with ``readers`` reader processes."""
    ws = use_readers(Workspace.init(root, SAMPLE)[0].root, readers)
    given = [make_form(ws.inbox / f"{i:02d}{'.docx' if i % 2 else '.xlsx'}", unit=UNITS[i % 8],
                       date=dt.date(2026, 11, 1 + i // 8)).read_bytes() for i in range(n)]
    report = Office(ws.root, today=TODAY).ingest()
    assert_each_input_exactly_once(ws, given)
    return ws, report, given


def _written(ws: Workspace) -> dict[str, bytes]:
    """The 公示表's body, and the 汇总 sheet of the 汇总表 (its other sheets show when each form came: another time in
    each workspace)."""
    paths = register_paths(ws, TODAY.year)
    with zipfile.ZipFile(paths["publicity"]) as docx, zipfile.ZipFile(paths["risks"]) as xlsx:
        return {"公示表": docx.read("word/document.xml"), "汇总": xlsx.read("xl/worksheets/sheet1.xml")}


@pytest.fixture
def helped(monkeypatch):
    """How each 公示表 shared with a helper ended: written there (True) or here (False). A run keeps a helper only
    when a reader has nothing in hand as it ends: here it ends once each reader has answered what it was asked (in
    a run of a few forms, the ingest reads them itself while the reader starts, and asks it all the same)."""
    close = ahead.ReadAhead.close

    def idle_first(self, *, stop=False, keep=False):
        for worker in self.workers:
            while worker.receive(wait=True):
                pass
        return close(self, stop=stop, keep=keep)

    monkeypatch.setattr(ahead.ReadAhead, "close", idle_first)
    found: list[bool] = []
    save = register_helper.SharedPublicity.save

    def spy(self, here):
        try:
            return save(self, here)
        finally:
            found.append(self.working)

    monkeypatch.setattr(register_helper.SharedPublicity, "save", spy)
    return found


@pytest.fixture
def alone(tmp_path_factory, make_form) -> dict[str, bytes]:
    """The registers of the forms ingested without a reader process: the 公示表 written by the ingest itself."""
    ws, report, _ = _ingest(tmp_path_factory.mktemp("alone") / "ws", make_form, 0)
    assert not report.registers.warnings
    return _written(ws)


def test_the_publicity_written_by_the_helper_is_the_one_the_ingest_writes(tmp_path, make_form, helped, alone):
    ws, report, _ = _ingest(tmp_path / "ws", make_form, 1)
    assert helped == [True]  # written by the helper
    assert not report.registers.warnings
    assert _written(ws) == alone
    rows = [[c.text for c in r.cells] for r in Document(register_paths(ws, TODAY.year)["publicity"]).tables[0].rows]
    assert len(rows) == 1 + 8 * 3 and {r[0] for r in rows[1:]} == set(UNITS)  # a header, each unit's three points


def test_the_publicity_the_helper_put_in_place_is_noted_before_its_rename(tmp_path, make_form, helped, monkeypatch):
    """The helper notes the 公示表's hash in the rewrite's journal before its rename, as this process notes its own
    books (documents/placing.py): a rewrite killed before its record leaves every file it put in place known as
    lzdocs's, and the next one records them."""
    from lzdocs.documents import placing

    def killed(*args, **kw):
        raise SystemExit("killed")

    monkeypatch.setattr(registers, "_record", killed)
    with pytest.raises(SystemExit):
        _ingest(tmp_path / "ws", make_form, 1)
    assert helped == [True]
    ws = Workspace.open(tmp_path / "ws")
    noted = {e["path"]: e["role"] for e in placing.noted(placing.journal_of(ws))}
    assert placing.ours(ws, placing.noted(placing.journal_of(ws))) == noted == {
        ws.relative(path): "publicity" if key == "publicity" else "register"
        for key, path in register_paths(ws, TODAY.year).items()}
    monkeypatch.undo()
    with Office(ws.root, today=TODAY) as office:
        office.registers()
        assert office.verify().findings == []


@pytest.mark.slow  # a real process killed or signalled (the quick loop leaves those out)
@pytest.mark.parametrize("when", ["as-it-starts", "before-it-saves"])
def test_a_helper_that_dies_costs_only_time(tmp_path, make_form, helped, alone, monkeypatch, when):
    """The helper killed as it is given the 公示表, or once it has all its rows: the ingest writes the 公示表 itself,
    from its own read — the same file — and says nothing of it."""
    def kill(helper: ahead.Helper) -> None:
        if helper.worker.process.is_alive():
            os.kill(helper.worker.process.pid, signal.SIGKILL)
            helper.worker.process.join(10)

    if when == "as-it-starts":
        tell = ahead.Helper.tell

        def killed_first(self, function, *args):
            if function is register_helper.start:
                kill(self)
            return tell(self, function, *args)

        monkeypatch.setattr(ahead.Helper, "tell", killed_first)
    else:
        finish = register_helper.SharedPublicity.finish

        def killed_then(self):
            kill(self.helper)
            return finish(self)

        monkeypatch.setattr(register_helper.SharedPublicity, "finish", killed_then)
    ws, report, _ = _ingest(tmp_path / "ws", make_form, 1)
    assert helped == [False]  # written here
    assert not report.registers.warnings
    assert _written(ws) == alone


def test_a_broken_publicity_template_is_said_as_without_a_helper(tmp_path, make_form, helped):
    """The helper cannot render the 公示表's template: the ingest tries it itself and says why it could not, as it
    does without a helper; the other registers are written."""
    warnings = {}
    for readers in (0, 1):
        root = tmp_path / f"readers-{readers}"
        ws = use_readers(Workspace.init(root, SAMPLE)[0].root, readers)
        doc = Document()
        doc.add_paragraph("{{ title }}")  # no row loop
        doc.save(ws.templates / "公示表.docx")
        given = [make_form(ws.inbox / f"{i:02d}.docx", unit=UNITS[i % 8]).read_bytes() for i in range(12)]
        report = Office(ws.root, today=TODAY).ingest()
        assert_each_input_exactly_once(ws, given)
        warnings[readers] = report.registers.warnings
        assert not register_paths(ws, TODAY.year)["publicity"].exists()
        assert register_paths(ws, TODAY.year)["risks"].exists()
    assert helped == [False]
    assert warnings[1] == warnings[0] and any("表格行循环" in w for w in warnings[1])


def test_a_helper_answers_in_the_order_asked_and_a_failure_is_said_and_sticks(tmp_path):
    """The protocol itself, on a real reader process: answers in the order asked; a function that fails makes its
    answer — and every one after it — a HelperGone naming the failure; a helper that died is HelperGone at once."""
    from lzdocs.forms.schema import load_kinds
    from lzdocs.ooxml.safety import Limits

    reading = ahead.ReadAhead(1, load_kinds(tmp_path / "forms"), Limits(), 10.0, tmp_path)
    helper = reading.close(keep=True)
    assert helper is not None
    try:
        first, second = helper.ask(os.getpid), helper.ask(len, "四个汉字")
        assert helper.result(second) == 4 and helper.result(first) not in (None, os.getpid())  # its own process
        helper.tell(int, "不是数字")  # fails, unseen
        after = helper.ask(len, "ab")
        with pytest.raises(ahead.HelperGone, match="ValueError"):
            helper.result(after)
        with pytest.raises(ahead.HelperGone, match="ValueError"):
            helper.result(helper.ask(len, "ab"))
    finally:
        helper.close()
    assert not helper.worker.process.is_alive()
    with pytest.raises(ahead.HelperGone):
        helper.ask(len, "ab")


def _more_forms(ws: Workspace, make_form) -> list[bytes]:
    """A second round of forms (their bytes), the measures of each row changed: every unit's 公示表 rows change."""
    rows = [dict(r, measures=r["measures"] + "（已修订）") for r in SAMPLE_ROWS]
    return [make_form(ws.inbox / f"{i:02d}.docx", unit=UNITS[i % 8], rows=rows,
                      date=dt.date(2026, 11, 20)).read_bytes() for i in range(12, 24)]


def _once_replaced(path: Path, then: os.stat_result) -> None:
    """Until the file at ``path`` is another than ``then`` (the helper has put its 公示表 in place)."""
    deadline = time.monotonic() + 20
    while os.stat(path).st_ino == then.st_ino and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.mark.parametrize("where", ["as-the-summary-is-saved", "waiting-for-the-helper"])
def test_a_ctrl_c_after_the_helper_was_asked_for_the_publicity_leaves_every_register_recorded(
        tmp_path, make_form, helped, monkeypatch, where):
    """Ctrl-C after the helper was asked to write the 公示表 — as the 汇总 is saved, the helper done meanwhile, or
    while the ingest waits for its answer: the helper is ended before the registers' lock is let go (it writes
    nothing after), and a 公示表 it put in place is recorded like any register replaced — ``verify`` finds nothing
    changed behind the archive's back."""
    ws, _, given = _ingest(tmp_path / "ws", make_form, 1)
    publicity = register_paths(ws, TODAY.year)["publicity"]
    first = os.stat(publicity)
    given += _more_forms(ws, make_form)
    if where == "as-the-summary-is-saved":
        attempt = registers._attempt

        def ctrl_c(result, path, write):
            if path.name.endswith("汇总表.xlsx"):
                _once_replaced(publicity, first)
                raise KeyboardInterrupt
            return attempt(result, path, write)

        monkeypatch.setattr(registers, "_attempt", ctrl_c)
    else:
        finish = register_helper.SharedPublicity.finish

        def then_ctrl_c(self):
            finish(self)
            _once_replaced(publicity, first)
            monkeypatch.setattr(ahead.Helper, "result", lambda helper, ticket: (_ for _ in ()).throw(KeyboardInterrupt))

        monkeypatch.setattr(register_helper.SharedPublicity, "finish", then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        Office(ws.root, today=TODAY).ingest()
    monkeypatch.undo()
    assert_each_input_exactly_once(ws, given)  # the forms were all taken before the registers' Ctrl-C
    assert os.stat(publicity).st_ino != first.st_ino  # the helper's 公示表, in place
    assert "（已修订）" in "".join(c.text for r in Document(publicity).tables[0].rows for c in r.cells)
    report = Office(ws.root, today=TODAY).verify()
    assert report.ok, [f.as_dict() for f in report.findings]


def test_a_value_that_cannot_be_sent_is_helper_gone_for_good(tmp_path):
    """A call whose arguments cannot be pickled is HelperGone (whoever asked does the work itself), and so is every
    call after it: the helper never runs a later step without an earlier one."""
    from lzdocs.forms.schema import load_kinds
    from lzdocs.ooxml.safety import Limits

    helper = ahead.ReadAhead(1, load_kinds(tmp_path / "forms"), Limits(), 10.0, tmp_path).close(keep=True)
    try:
        with pytest.raises(ahead.HelperGone, match="pickle"):
            helper.tell(len, lambda: 0)
        with pytest.raises(ahead.HelperGone, match="pickle"):
            helper.ask(len, "ab")
    finally:
        helper.close()
    assert not helper.worker.process.is_alive()

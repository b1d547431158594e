"""A claim folder kept by ``claims.Slots`` is the next claim's, its intent's spares with it: they still hold the
intents of the claim the folder served before. The intent is not fsynced, so after a power cut intent.json may show
one of those — another claim's, settled long ago, whose token is not the folder's name. Recovery must not take it for
this folder's claim: it would find that claim's record, "finish" it, and remove the folder with the file in it —
an original the archive never kept.

Invariant: every input's bytes (by SHA-256) exactly once in the archive, in 退回/, or still in the inbox."""

from __future__ import annotations

import json
import uuid

from lzdocs import Office
from lzdocs.store import submissions as subs
from tests.conftest import TODAY
from tests.ingest.invariant import assert_each_input_exactly_once


def test_an_intent_of_the_claim_the_folder_served_before_is_not_this_claims(workspace, make_form):
    first = make_form(workspace.inbox / "计财处.docx").read_bytes()
    with Office(workspace, today=TODAY) as office:
        [outcome] = office.ingest().outcomes
        assert outcome.status == "accepted"
        with office.store.read() as conn:
            done = subs.get(conn, 1)
        archive = office.store.archive_id()
    # the folder, kept and renamed, now the claim of 基建处's form, whose intent the power cut took back to the
    # version its spare held: the 计财处 claim's, as it stood once its names were reserved
    folder = workspace.work / "claims" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    second = make_form(folder / "基建处.xlsx", unit="基建处").read_bytes()
    dest = workspace.root / done["stored_as"]
    (folder / "intent.json").write_text(json.dumps({
        "token": done["claim"], "folder": str(folder), "original_name": "计财处.docx", "source": "计财处.docx",
        "origin": str(workspace.inbox / "计财处.docx"), "dest": str(dest),
        "partial": str(dest.parent / f".{done['claim']}.part"), "file_name": None, "reserved": [str(dest)],
        "marker": None, "archive": archive, "workspace": str(workspace.root)}), encoding="utf-8")
    with Office(workspace, today=TODAY) as office:
        report = office.ingest()
    assert [(o.status, o.unit) for o in report.outcomes] == [("accepted", "基建处")]
    assert_each_input_exactly_once(workspace, [first, second])

"""Every ingest of an inbox in these tests states the invariant of ingest (docs/design.md, "Tests and measures"):
each input's bytes exactly once in the archive, in 退回/, or still in the inbox.

An ingest of the inbox only moves bytes. The files under outbox/<year>/收文, in 退回/ and in the inbox, counted by
SHA-256 (``invariant.kept``), are the same before and after each run, whatever the test itself checks; no copy in
flight (``.part``) and no new claim is left behind. A run may find what an interrupted one left: the empty names it
reserved in the archive or in 退回/ (those its claims name) and its copies in flight are no one's bytes (an empty form
is never archived; the original is in its claim), and recovery removes them; a file a claim holds is counted once
with its copy in the archive, if any (``|``: the larger count of each hash), as recovery puts it back or lets it
go once archived. The races, crash and recovery tests that run ingests in other processes state the invariant
themselves (``invariant.assert_each_input_exactly_once``)."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from tests.ingest.invariant import kept, sha

EMPTY = hashlib.sha256(b"").hexdigest()


def held_by_claims(claims_dir) -> tuple[Counter, set[str]]:
    """(SHA-256 → copies of the files claims hold, their records and locks aside; the claims' names)."""
    from lzdocs.ingest.claims import INTENT, LOCK

    found: Counter = Counter()
    folders = [f for f in claims_dir.iterdir() if f.is_dir()] if claims_dir.exists() else []
    for path in (p for f in folders for p in f.iterdir()):
        # the claimed file; not the claim's own records (its intent's spares, dot-files, as claims.orphan says)
        own = path.name in (INTENT, LOCK) or path.name.startswith(".")
        if not own and path.is_file() and not path.is_symlink():
            found[sha(path.read_bytes())] += 1
    return found, {f.name for f in folders}


def conserved(ingest) -> tuple[Counter, set[str]]:
    """What an ingest of the inbox must keep (the bytes in the archive, 退回/, the inbox and the claims), and the
    claims."""
    from lzdocs.ingest import claims as cl

    ws = ingest.ws
    archived = [p for p in ws.outbox.rglob("*") if "收文" in p.parts and p.is_file() and not p.is_symlink()]
    held = [cl.Claim.load(f) for f in ingest.claims_dir.iterdir()] if ingest.claims_dir.is_dir() else []
    named = {name for claim in held if claim for name in claim.reserved}  # 退回/ keeps empty files sent: only these
    archived += [p for p in ws.rejected.rglob("*") if str(p) in named and p.is_file() and not p.is_symlink()]
    reserved = Counter(EMPTY for p in archived if p.stat().st_size == 0)
    in_flight = Counter(sha(p.read_bytes()) for p in archived if p.name.endswith(".part"))
    claimed, claims = held_by_claims(ingest.claims_dir)
    return (kept(ws) - reserved - in_flight) | claimed, claims


@pytest.fixture(autouse=True)
def each_input_exactly_once(monkeypatch):
    from lzdocs.ingest.pipeline import Ingest

    run_inbox = Ingest.run_inbox

    def checked(self, *args, **kw):
        before, claims_before = conserved(self)
        try:
            return run_inbox(self, *args, **kw)
        finally:
            after, claims_after = conserved(self)
            assert after == before, (f"ingest of the inbox lost or made bytes: lost {dict(before - after)}, "
                                     f"made {dict(after - before)}")
            assert not list(self.ws.root.rglob("*.part")), "a copy in flight was left behind"
            assert claims_after <= claims_before, f"claims left behind: {claims_after - claims_before}"

    monkeypatch.setattr(Ingest, "run_inbox", checked)

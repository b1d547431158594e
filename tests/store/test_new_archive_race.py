"""Several lzdocs opening a workspace whose archive does not exist yet, at the same moment (two clerks' ingests, a
watcher starting as a command runs): each waits for the one creating it, as for any transaction, and goes on —
never "locked for a minute" at once, never a half-made archive."""

from __future__ import annotations

import multiprocessing

import pytest

from lzdocs.store import Store
from lzdocs.store.meta import SCHEMA_VERSION
from lzdocs.workspace import SAMPLE, Workspace

OPENERS = 3
ROUNDS = 10


def _opener(root: str, ready, results) -> None:
    ready.wait()
    try:
        store = Store.for_workspace(Workspace.open(root))
        try:
            with store.read() as conn:
                results.put((conn.exec_driver_sql("PRAGMA journal_mode").scalar(), store.archive_id()))
        finally:
            store.close()
    except Exception as exc:  # said in the assertion, whatever it is
        results.put(f"{type(exc).__name__}: {exc}")


def _open_at_once(ws: Workspace) -> list[object]:
    """Each of ``OPENERS`` processes opens the archive once they are all ready: (journal mode, archive id), or the
    error it met."""
    mp = multiprocessing.get_context("fork")  # started once, then released together: the race made likely
    ready, results = mp.Barrier(OPENERS), mp.Queue()
    procs = [mp.Process(target=_opener, args=(str(ws.root), ready, results)) for _ in range(OPENERS)]
    for proc in procs:
        proc.start()
    found = [results.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(30)
    return found


@pytest.mark.slow  # processes
def test_lzdocs_opening_a_new_archive_at_once_all_go_on(tmp_path):
    for round_ in range(ROUNDS):
        ws, _ = Workspace.init(tmp_path / f"ws{round_}", SAMPLE)
        assert not (ws.root / "lzdocs.db").exists()
        results = _open_at_once(ws)
        assert [r for r in results if isinstance(r, str)] == [], f"round {round_}: {results}"
        assert {mode for mode, _ in results} == {"wal"}
        assert len({archive for _, archive in results}) == 1  # one archive, one identity
        store = Store.for_workspace(ws)
        with store.read() as conn:
            from lzdocs.store.meta import get_meta

            assert get_meta(conn, "schema_version") == str(SCHEMA_VERSION)
        store.close()

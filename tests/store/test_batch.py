"""Store.batch: several write transactions committed as one (an ingest commits a few times a second, not once a
form) — each a savepoint that fails alone, what follows a commit done only after it, undone when it fails."""

from __future__ import annotations

import sqlite3

import pytest

from lzdocs.errors import StoreError
from lzdocs.store import meta
from tests.conftest import at_commit


def _set(store, key: str, value: str) -> None:
    with store.begin() as conn:
        meta.set_meta(conn, key, value)


def _committed(store, key: str) -> str | None:
    """What another connection (another process) reads."""
    db = sqlite3.connect(store.file)
    try:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    finally:
        db.close()
    return row and row[0]


def test_writes_are_committed_together_and_what_follows_them_only_after(store):
    done = []
    with store.batch():
        _set(store, "a", "1")
        store.after_commit(lambda: done.append(("a", _committed(store, "a"))))
        _set(store, "b", "2")
        store.after_commit(lambda: done.append(("b", _committed(store, "b"))))
        with store.read() as conn:  # the batch reads what it wrote
            assert meta.get_meta(conn, "b") == "2"
        assert _committed(store, "a") is None and done == []  # nothing committed yet, nothing followed
        store.flush(older_than=3600)  # not that old: still open
        assert done == []
        store.flush()
        assert done == [("a", "1"), ("b", "2")]  # each after the commit, in order
        _set(store, "c", "3")
    assert _committed(store, "c") == "3"


def test_a_step_that_fails_is_undone_alone(store):
    with store.batch():
        _set(store, "a", "1")
        with pytest.raises(ZeroDivisionError), store.begin() as conn:
            meta.set_meta(conn, "b", "2")
            raise ZeroDivisionError("a step that fails")
        _set(store, "c", "3")
    assert (_committed(store, "a"), _committed(store, "b"), _committed(store, "c")) == ("1", None, "3")


def test_a_commit_that_fails_undoes_every_step_and_does_not_do_what_follows(store):
    happened = []
    with at_commit(lambda raw: (_ for _ in ()).throw(sqlite3.OperationalError("disk I/O error"))), \
            pytest.raises(StoreError), store.batch():
        for key in "ab":
            _set(store, key, "1")
            store.after_commit(lambda k=key: happened.append(("done", k)), lambda k=key: happened.append(("undone", k)))
    assert happened == [("undone", "a"), ("undone", "b")]
    assert _committed(store, "a") is None and _committed(store, "b") is None
    _set(store, "d", "4")  # the store goes on
    assert _committed(store, "d") == "4"


def test_an_exception_that_ends_the_batch_commits_what_was_done(store):
    happened = []
    with pytest.raises(KeyboardInterrupt), store.batch():
        _set(store, "a", "1")
        store.after_commit(lambda: happened.append("done"))
        raise KeyboardInterrupt  # Ctrl-C between two files: the first one's records and its finish are kept
    assert happened == ["done"] and _committed(store, "a") == "1"


@pytest.mark.both_backends
def test_outside_a_batch_or_on_a_server_what_follows_a_commit_follows_each(store):
    happened = []
    with store.batch():  # on PostgreSQL every begin commits on its own
        _set(store, "a", "1")
        store.after_commit(lambda: happened.append("done"))
        if store.dialect == "postgresql":
            assert happened == ["done"]
    _set(store, "b", "2")
    store.after_commit(lambda: happened.append("at once"))
    assert happened == ["done", "at once"]


def test_a_step_left_open_by_a_ctrl_c_undoes_nothing_of_a_later_batch_when_it_is_collected(store):
    """A Ctrl-C between a step's savepoint and its block leaves the step open, its ``with`` never exited; the step is
    only collected later — at exit, or in a watcher while the same connection serves the next batch, whose first
    savepoint has the same name. Collected, it undoes nothing there and says nothing (no "Exception ignored")."""
    import gc
    import sys

    with store.batch():
        _set(store, "a", "1")
        left = store.begin()
        left.__enter__()  # the savepoint opened; the block never ran
    assert _committed(store, "a") == "1"
    unraisable = []
    hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        with store.batch():
            _set(store, "b", "2")  # this batch's first savepoint: the name the one left open had
            del left
            gc.collect()
            _set(store, "c", "3")
    finally:
        sys.unraisablehook = hook
    assert (_committed(store, "b"), _committed(store, "c")) == ("2", "3") and unraisable == []

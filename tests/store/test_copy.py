"""``lzdocs db copy`` while another machine writes: every table of the source is read in one snapshot, so the
copy is the archive as it was at one moment — a letter recorded meanwhile is in it whole or not at all."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from lzdocs.store import Store, chain, copy, documents, files, schema

CODE = "内工大纪建"


def _issue(store: Store, seq: int) -> None:
    """A letter as another machine records it: its document, its file in the manifest and its event, together."""
    number = f"{CODE}〔2026〕{seq}号"
    path = f"outbox/2026/纪律检查建议书/{number}.docx"
    with store.begin() as conn:
        document = documents.add_document(
            conn, kind="suggestion", code=CODE, year=2026, seq=seq, number=number, title="纪律检查建议书",
            recipient="计划财务处", issued=dt.date(2026, 11, 20), file=path, sha256=f"{seq:064d}",
            created_at=store.now())
        files.record(conn, path, f"{seq:064d}", 100 + seq, "document", store.now(), document_id=document)
        store.log(conn, "letter", number)


def _counts(store: Store) -> dict[str, int]:
    with store.read() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar()
                for t in (schema.documents, schema.files, schema.events)}


@pytest.mark.both_backends
def test_a_letter_recorded_while_the_copy_reads_is_left_out_whole(store, backend, tmp_path, request, monkeypatch):
    """Between the copy's read of ``documents`` and of ``files`` (which names a document) another machine records
    a letter. Read table by table, the copy took the new file row without its document (PostgreSQL: an
    IntegrityError on files_document_id_fkey) or counted the source again after the letter (not the same)."""
    _issue(store, 1)
    before = _counts(store)
    url = (request.getfixturevalue("postgres_server").new_schema() if backend == "postgresql"
           else f"sqlite:///{(tmp_path / '新档案库.db').as_posix()}")
    other = Store(store.url)  # another machine, writing into the same archive meanwhile
    written = []
    read = copy._batches

    def batches(conn, table, source=None):
        yield from read(conn, table, source)
        if table.name == "documents" and not written:  # the source's documents read, its files not yet
            _issue(other, 2)
            written.append(table.name)

    monkeypatch.setattr(copy, "_batches", batches)
    target = Store(url)
    try:
        report = copy.copy_archive(store, target)
        assert written and report.ok, report.tables
        assert _counts(target) == before  # the archive as it was when the copy began: no part of the letter
        assert _counts(store) == {name: count + 1 for name, count in before.items()}  # which the source has
        with target.read() as conn:
            assert chain.head(conn)[0] == before["events"]  # the chain's head names the last event copied
            assert documents.find_document(conn, f"{CODE}〔2026〕2号") is None
        _issue(store, 3)  # the snapshot's connection, back in the pool, writes again (not READ ONLY any more)
    finally:
        target.close()
        other.close()

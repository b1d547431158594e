"""SQL compiled once per process for every SQLite archive it opens (lzdocs/store/db.py: ``_SharedStatements``):
each archive still reads and writes its own file, and a PostgreSQL archive keeps its engine's own cache."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lzdocs.store import Store
from lzdocs.store.schema import meta


def _value(store: Store, key: str):
    """(the value of ``key`` in the archive's meta table, whether SQLAlchemy found the statement compiled)."""
    with store.read() as conn:
        result = conn.execute(select(meta.c.value).where(meta.c.key == key))
        hit = result.context.cache_hit == conn.dialect.CACHE_HIT
        return result.scalar(), hit


def test_a_second_archive_uses_the_first_ones_compiled_sql_and_still_reads_its_own_rows(tmp_path):
    stores = [Store(f"sqlite:///{tmp_path / name / 'lzdocs.db'}") for name in ("甲", "乙")]
    try:
        for store, school in zip(stores, ("甲校", "乙校"), strict=True):
            with store.begin() as conn:
                conn.execute(meta.insert().values(key="shared-statements-test", value=school))
        first, second = (_value(store, "shared-statements-test") for store in stores)
        assert first[0] == "甲校" and second == ("乙校", True)  # compiled for 甲, run on 乙's own file
        assert stores[0].engine.dialect is not stores[1].engine.dialect
    finally:
        for store in stores:
            store.close()


@pytest.mark.postgres
def test_a_postgresql_archive_keeps_the_cache_of_its_own_engine(postgres_server):
    store = Store(postgres_server.new_schema())
    try:
        assert store.engine.get_execution_options().get("compiled_cache") is None
        assert _value(store, "schema_version")[0] is not None
    finally:
        store.close()

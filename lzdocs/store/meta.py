"""The ``meta`` table's rows: the schema version, the archive's identity, the events' chain head, the registers
waiting to be rewritten (lzdocs/store/pending.py) — read and written in plain SQL (lzdocs/store/sql.py)."""

from __future__ import annotations

from lzdocs.store import sql

SCHEMA_VERSION = 10
SCHEMA_REVISION = f"{SCHEMA_VERSION:04d}"  # its Alembic revision (lzdocs/store/migrations/versions/)
TABLE = "meta"
ARCHIVE_ID = "archive_id"  # the archive's identity, made with it (``Store.archive_id``)
DATABASE_ID = "database_id"  # this database's own, which ``db copy`` does not carry (``Store.place``)


def get_meta(conn, key: str) -> str | None:
    """One ``meta`` row's value, None when there is none."""
    return sql.scalar(conn, 'SELECT value FROM meta WHERE "key" = :key', {"key": key})


def set_meta(conn, key: str, value: str) -> None:
    """Write one ``meta`` row (replaced if there, else added), in the caller's transaction."""
    params = {"key": key, "value": value}
    if not sql.run(conn, 'UPDATE meta SET value = :value WHERE "key" = :key', params):
        sql.run(conn, 'INSERT INTO meta ("key", value) VALUES (:key, :value)', params)

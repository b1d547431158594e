"""Alembic's environment for lzdocs: always given an open connection (``lzdocs.store.migrations.config``)."""

from alembic import context

from lzdocs.store.schema import metadata

connection = context.config.attributes["connection"]
# batch mode: SQLite cannot ALTER most things, Alembic then copies the table; PostgreSQL alters in place.
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

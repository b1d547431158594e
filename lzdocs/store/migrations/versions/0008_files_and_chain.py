"""Tamper evidence (docs/product.md §12.1): the files manifest, and the events' hash chain — computed over
the events recorded so far; the files already in the archive folders are hashed as they are on disk now (basis
``upgrade``), each tied to the submission or document that names it.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import context, op

from lzdocs.store import chain

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("basis", sa.String(length=16), server_default=sa.text("'written'"), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("path"),
    )
    op.add_column("events", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("events", sa.Column("hash", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    chain.chain_all(conn)
    workspace, now = context.config.attributes.get("workspace"), context.config.attributes.get("now")
    if workspace is not None:
        from lzdocs.store.upgrade import record_as_found

        record_as_found(conn, workspace, now)

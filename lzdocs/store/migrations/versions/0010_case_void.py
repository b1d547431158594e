"""作废 of a case recorded by mistake (``lzdocs case void``, docs/product.md 动态管理): the row stays, with the day it
was voided and why; a case whose ``voided`` is set is counted nowhere. Every case recorded before is in force.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("voided", sa.Date(), nullable=True))
    op.add_column("cases", sa.Column("void_reason", sa.Text(), nullable=True))

"""Baseline: the schema of version 7 (the tables of docs/product.md §5), each table and index created only when it
is missing — a new archive gets them all; an archive from before Alembic keeps its own and gains the new ones.

Revision ID: 0007
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = None
branch_labels = None
depends_on = None


def missing(table: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(table)


def missing_index(table: str, name: str) -> bool:
    return name not in {i["name"] for i in sa.inspect(op.get_bind()).get_indexes(table)}


def upgrade() -> None:
    if missing("documents"):
        op.create_table("documents",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("kind", sa.String(length=64), nullable=False),
            sa.Column("code", sa.String(length=100), nullable=False),
            sa.Column("year", sa.Integer(), nullable=False),
            sa.Column("seq", sa.Integer(), nullable=False),
            sa.Column("number", sa.String(length=200), nullable=False),
            sa.Column("title", sa.Text(), nullable=False),
            sa.Column("recipient", sa.Text(), nullable=False),
            sa.Column("issued", sa.Date(), nullable=False),
            sa.Column("file", sa.Text(), nullable=False),
            sa.Column("sha256", sa.String(length=64), nullable=False),
            sa.Column("copies", sa.Integer(), nullable=False),
            sa.Column("note", sa.Text(), nullable=False),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("status", sa.String(length=16), server_default=sa.text("'issued'"), nullable=False),
            sa.Column("origin", sa.String(length=16), server_default=sa.text("'auto'"), nullable=False),
            sa.Column("void_reason", sa.Text(), nullable=True),
            sa.Column("voided", sa.Date(), nullable=True),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("code", "year", "seq", name="uq_documents_number"),
            sa.UniqueConstraint("number")
        )
    if missing("events"):
        op.create_table("events",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("at", sa.DateTime(), nullable=False),
            sa.Column("actor", sa.String(length=200), nullable=False),
            sa.Column("action", sa.String(length=64), nullable=False),
            sa.Column("subject", sa.Text(), nullable=False),
            sa.Column("before", sa.Text(), nullable=True),
            sa.Column("after", sa.Text(), nullable=True),
            sa.PrimaryKeyConstraint("id")
        )
    if missing("meta"):
        op.create_table("meta",
            sa.Column("key", sa.String(length=64), nullable=False),
            sa.Column("value", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("key")
        )
    if missing("submissions"):
        op.create_table("submissions",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("sha256", sa.String(length=64), nullable=False),
            sa.Column("kind", sa.String(length=64), nullable=False),
            sa.Column("status", sa.String(length=16), nullable=False),
            sa.Column("unit", sa.String(length=200), nullable=True),
            sa.Column("year", sa.Integer(), nullable=True),
            sa.Column("filled_date", sa.Date(), nullable=True),
            sa.Column("received_at", sa.DateTime(), nullable=False),
            sa.Column("arrived_on", sa.Date(), nullable=True),
            sa.Column("original_name", sa.Text(), nullable=False),
            sa.Column("source", sa.Text(), nullable=False),
            sa.Column("stored_as", sa.Text(), nullable=True),
            sa.Column("claim", sa.String(length=64), nullable=True),
            sa.Column("rows", sa.Integer(), nullable=False),
            sa.Column("problems", sa.Text(), nullable=False),
            sa.Column("supersedes", sa.Integer(), nullable=True),
            sa.Column("superseded_by", sa.Integer(), nullable=True),
            sa.Column("accepted_sha256", sa.String(length=64), nullable=True),
            sa.ForeignKeyConstraint(["superseded_by"], ["submissions.id"], ),
            sa.ForeignKeyConstraint(["supersedes"], ["submissions.id"], ),
            sa.PrimaryKeyConstraint("id")
        )
    if missing_index("submissions", "ix_submissions_sha"):
        op.create_index("ix_submissions_sha", "submissions", ["sha256"], unique=False)
    if missing_index("submissions", "ix_submissions_unit_year"):
        op.create_index("ix_submissions_unit_year", "submissions", ["kind", "unit", "year"], unique=False)
    if missing_index("submissions", "ux_submissions_accepted_sha"):
        op.create_index("ux_submissions_accepted_sha", "submissions", ["accepted_sha256"], unique=True)
    if missing("units"):
        op.create_table("units",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("name", sa.String(length=200), nullable=False),
            sa.Column("aliases", sa.Text(), nullable=False),
            sa.Column("head", sa.String(length=100), nullable=False),
            sa.Column("leader", sa.String(length=100), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("name")
        )
    if missing("risks"):
        op.create_table("risks",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("submission_id", sa.Integer(), nullable=False),
            sa.Column("kind", sa.String(length=64), nullable=False),
            sa.Column("unit", sa.String(length=200), nullable=False),
            sa.Column("year", sa.Integer(), nullable=False),
            sa.Column("row_no", sa.Integer(), nullable=True),
            sa.Column("seq", sa.Text(), nullable=True),
            sa.Column("post", sa.Text(), nullable=True),
            sa.Column("duties", sa.Text(), nullable=True),
            sa.Column("risk", sa.Text(), nullable=True),
            sa.Column("category", sa.Text(), nullable=True),
            sa.Column("level", sa.Integer(), nullable=True),
            sa.Column("measures", sa.Text(), nullable=True),
            sa.Column("owner", sa.Text(), nullable=True),
            sa.Column("extra", sa.Text(), nullable=False),
            sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"], ),
            sa.PrimaryKeyConstraint("id")
        )
    if missing_index("risks", "ix_risks_submission"):
        op.create_index("ix_risks_submission", "risks", ["submission_id"], unique=False)
    if missing("warnings"):
        op.create_table("warnings",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("document_id", sa.Integer(), nullable=False),
            sa.Column("unit", sa.String(length=200), nullable=False),
            sa.Column("kind", sa.String(length=64), nullable=False),
            sa.Column("issued", sa.Date(), nullable=False),
            sa.Column("reply_due", sa.Date(), nullable=True),
            sa.Column("replied", sa.Date(), nullable=True),
            sa.Column("note", sa.Text(), nullable=False),
            sa.Column("checked", sa.Date(), nullable=True),
            sa.Column("checked_by", sa.Text(), nullable=True),
            sa.Column("check_result", sa.String(length=16), nullable=True),
            sa.Column("closed", sa.Date(), nullable=True),
            sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("document_id")
        )
    if missing("cases"):
        op.create_table("cases",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("unit", sa.String(length=200), nullable=False),
            sa.Column("year", sa.Integer(), nullable=False),
            sa.Column("date", sa.Date(), nullable=False),
            sa.Column("post", sa.Text(), nullable=False),
            sa.Column("risk_text", sa.Text(), nullable=False),
            sa.Column("case_type", sa.Text(), nullable=False),
            sa.Column("handling", sa.Text(), nullable=False),
            sa.Column("analysis", sa.Text(), nullable=False),
            sa.Column("measures", sa.Text(), nullable=False),
            sa.Column("risk_id", sa.Integer(), nullable=True),
            sa.Column("match_score", sa.Integer(), nullable=True),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.ForeignKeyConstraint(["risk_id"], ["risks.id"], ),
            sa.PrimaryKeyConstraint("id")
        )
    if missing_index("cases", "ix_cases_risk"):
        op.create_index("ix_cases_risk", "cases", ["risk_id"], unique=False)
    if missing_index("cases", "ix_cases_unit_year"):
        op.create_index("ix_cases_unit_year", "cases", ["unit", "year"], unique=False)
    if missing("reviews"):
        op.create_table("reviews",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("submission_id", sa.Integer(), nullable=False),
            sa.Column("risk_id", sa.Integer(), nullable=True),
            sa.Column("unit", sa.String(length=200), nullable=False),
            sa.Column("post", sa.Text(), nullable=False),
            sa.Column("risk", sa.Text(), nullable=False),
            sa.Column("reviewed", sa.Date(), nullable=False),
            sa.Column("result", sa.String(length=16), nullable=False),
            sa.Column("problem", sa.Text(), nullable=False),
            sa.Column("remedy", sa.Text(), nullable=False),
            sa.Column("row_no", sa.Integer(), nullable=True),
            sa.ForeignKeyConstraint(["risk_id"], ["risks.id"], ),
            sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"], ),
            sa.PrimaryKeyConstraint("id")
        )
    if missing_index("reviews", "ix_reviews_unit"):
        op.create_index("ix_reviews_unit", "reviews", ["unit"], unique=False)
    if missing("warning_risks"):
        op.create_table("warning_risks",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("warning_id", sa.Integer(), nullable=False),
            sa.Column("risk_id", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(["risk_id"], ["risks.id"], ),
            sa.ForeignKeyConstraint(["warning_id"], ["warnings.id"], ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("warning_id", "risk_id", name="uq_warning_risks")
        )

"""Tables of the archive (docs/product.md §5) and the schema version; migrations are in lzdocs/store/migrations."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import (
                        Column,
                        Date,
                        DateTime,
                        ForeignKey,
                        Index,
                        Integer,
                        MetaData,
                        String,
                        Table,
                        Text,
                        UniqueConstraint,
                        text,
)

# The version and the meta rows are read without SQLAlchemy (a letter does not load it): lzdocs/store/meta.py.
from lzdocs.store.meta import ARCHIVE_ID, DATABASE_ID, SCHEMA_REVISION, SCHEMA_VERSION, get_meta, set_meta  # noqa: F401

metadata = MetaData()

meta = Table(
    "meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
def unit_is(column, unit: str | Collection[str]):
    """The condition picking one unit's rows by ``column``: a name, or the names its rows may be recorded under
    (``Roster.recorded_names``: a unit renamed keeps its old rows under the old name)."""
    return column == unit if isinstance(unit, str) else column.in_(list(unit))


units = Table(
    "units", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("aliases", Text, nullable=False, default=""),
    Column("head", String(100), nullable=False, default=""),
    Column("leader", String(100), nullable=False, default=""),
)

# One row per file that reached a decision: accepted (current or superseded) or rejected.
submissions = Table(
    "submissions", metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("kind", String(64), nullable=False, default="risk"),
    Column("status", String(16), nullable=False),  # accepted | rejected
    Column("unit", String(200)),
    Column("year", Integer),
    Column("filled_date", Date),
    Column("received_at", DateTime, nullable=False),  # when lzdocs took the file
    # The day the form arrived (the watcher's first sight, the file's modification day if earlier, or the day the
    # clerk gave with --received): on time or late is judged by it. NULL in archives before schema 3.
    Column("arrived_on", Date),
    Column("original_name", Text, nullable=False),
    Column("source", Text, nullable=False),  # where the file was found, as given
    Column("stored_as", Text),  # workspace-relative path of the kept original
    Column("claim", String(64)),  # the claim token of the ingest run that took it
    Column("rows", Integer, nullable=False, default=0),
    Column("problems", Text, nullable=False, default="[]"),  # JSON list of Problem dicts
    Column("supersedes", Integer, ForeignKey("submissions.id")),
    Column("superseded_by", Integer, ForeignKey("submissions.id")),
    # The SHA-256 of an accepted submission, else NULL: unique, so the same bytes arriving twice at once are
    # told apart inside the transaction (the second is a duplicate), not by a look-up before it.
    Column("accepted_sha256", String(64)),
)
Index("ix_submissions_sha", submissions.c.sha256)
Index("ux_submissions_accepted_sha", submissions.c.accepted_sha256, unique=True)
Index("ix_submissions_unit_year", submissions.c.kind, submissions.c.unit, submissions.c.year)

risks = Table(
    "risks", metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("kind", String(64), nullable=False, default="risk"),
    Column("unit", String(200), nullable=False),
    Column("year", Integer, nullable=False),
    Column("row_no", Integer),
    Column("seq", Text),
    Column("post", Text),
    Column("duties", Text),
    Column("risk", Text),
    Column("category", Text),
    Column("level", Integer),
    Column("measures", Text),
    Column("owner", Text),
    Column("extra", Text, nullable=False, default="{}"),  # JSON: fields of other form kinds
)
Index("ix_risks_submission", risks.c.submission_id)

# 发文登记簿: every letter and notice with its 文号.
documents = Table(
    "documents", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(64), nullable=False),  # suggestion | accountability | talk | rectify | urge | notice …
    Column("code", String(100), nullable=False),  # 机关代字
    Column("year", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("number", String(200), nullable=False, unique=True),  # 文号 as printed
    Column("title", Text, nullable=False),
    Column("recipient", Text, nullable=False, default=""),
    Column("issued", Date, nullable=False),
    Column("file", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("copies", Integer, nullable=False, default=1),
    Column("note", Text, nullable=False, default=""),
    Column("created_at", DateTime, nullable=False),
    # 3: issued | void (作废: the row stays, the number is never issued again); auto | assigned (文号 from elsewhere)
    Column("status", String(16), nullable=False, server_default=text("'issued'")),
    Column("origin", String(16), nullable=False, server_default=text("'auto'")),
    Column("void_reason", Text),
    Column("voided", Date),
    UniqueConstraint("code", "year", "seq", name="uq_documents_number"),
)

# 预警处置台账: letters that expect a reply.
warnings = Table(
    "warnings", metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False, unique=True),
    Column("unit", String(200), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("issued", Date, nullable=False),
    Column("reply_due", Date),
    Column("replied", Date),
    Column("note", Text, nullable=False, default=""),
    # 6: the follow-up of a warning: the check on its rectification (核查) and its closing (办结)
    Column("checked", Date),
    Column("checked_by", Text),
    Column("check_result", String(16)),  # 已整改 | 未整改
    Column("closed", Date),
)

# 6: the risk points a warning concerns (a risk row of one year's form).
warning_risks = Table(
    "warning_risks", metadata,
    Column("id", Integer, primary_key=True),
    Column("warning_id", Integer, ForeignKey("warnings.id"), nullable=False),
    Column("risk_id", Integer, ForeignKey("risks.id"), nullable=False),
    UniqueConstraint("warning_id", "risk_id", name="uq_warning_risks"),
)

# 违纪违规案例与事后分析 (后期处置): each case, and the current risk point it was matched to, if any.
cases = Table(
    "cases", metadata,
    Column("id", Integer, primary_key=True),
    Column("unit", String(200), nullable=False),
    Column("year", Integer, nullable=False),  # the year of ``date``
    Column("date", Date, nullable=False),
    Column("post", Text, nullable=False),
    Column("risk_text", Text, nullable=False),
    Column("case_type", Text, nullable=False),
    Column("handling", Text, nullable=False),
    Column("analysis", Text, nullable=False),
    Column("measures", Text, nullable=False),
    Column("risk_id", Integer, ForeignKey("risks.id")),  # the matched risk point (flagged 已发生), or NULL
    Column("match_score", Integer),  # its similarity, 0–100
    Column("created_at", DateTime, nullable=False),
    # 10: 作废 (lzdocs case void): the row stays, counted nowhere; NULL while the case is in force
    Column("voided", Date),
    Column("void_reason", Text),
)
Index("ix_cases_unit_year", cases.c.unit, cases.c.year)
Index("ix_cases_risk", cases.c.risk_id)

# 复核: one row per risk point a 落实情况 form (kind "check") reported on; never updated (docs/product.md 动态管理).
reviews = Table(
    "reviews", metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),  # the 落实情况 form
    Column("risk_id", Integer, ForeignKey("risks.id")),  # the current risk point it was matched to, else NULL
    Column("unit", String(200), nullable=False),
    Column("post", Text, nullable=False),
    Column("risk", Text, nullable=False),
    Column("reviewed", Date, nullable=False),  # the form's 检查日期, else the day it was received
    Column("result", String(16), nullable=False),  # 已落实 | 部分落实 | 未落实
    Column("problem", Text, nullable=False, default=""),
    Column("remedy", Text, nullable=False, default=""),
    Column("row_no", Integer),
)
Index("ix_reviews_unit", reviews.c.unit)

# 9: years closed by their 归档 package (lzdocs archive, docs/product.md §12.3): a year is closed while it has a row
# with no ``reopened_at``; ``lzdocs archive --reopen`` sets it (both are events too).
year_closures = Table(
    "year_closures", metadata,
    Column("id", Integer, primary_key=True),
    Column("year", Integer, nullable=False),
    Column("closed_at", DateTime, nullable=False),
    Column("package", Text, nullable=False),  # where the package was written, as given
    Column("items", Integer, nullable=False),
    Column("manifest_sha256", String(64), nullable=False),  # of 清单.json: what the package proves itself against
    Column("reopened_at", DateTime),
    Column("reopen_reason", Text),
)
Index("ix_year_closures_year", year_closures.c.year)

# Append-only audit log.
events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", Text, nullable=False, default=""),
    Column("before", Text),
    Column("after", Text),
    # 8: the hash chain (docs/product.md §12.1): ``hash`` = SHA-256 of ``prev_hash`` and this event's content
    Column("prev_hash", String(64)),
    Column("hash", String(64)),
)

# 8: the archive's manifest (docs/product.md §12.1): every file lzdocs wrote into outbox/<year>/ and inbox/退回/.
files = Table(
    "files", metadata,
    Column("id", Integer, primary_key=True),
    Column("path", Text, nullable=False, unique=True),  # workspace-relative, forward slashes
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    # original | duplicate | returned | explanation | document | voided | draft | pdf | register | publicity |
    # summary | package | found (in the archive at the upgrade to version 8, written by no recorded step)
    Column("role", String(32), nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("basis", String(16), nullable=False, server_default=text("'written'")),  # written | upgrade (hashed then)
    Column("submission_id", Integer, ForeignKey("submissions.id")),
    Column("document_id", Integer, ForeignKey("documents.id")),
)

# Before Alembic (versions 2–7): version → SQL statements taking the schema from version-1 to version. They run
# only for archives of those versions, after the baseline revision has made the tables they lack. New versions are
# Alembic revisions in lzdocs/store/migrations/versions/.
LEGACY_MIGRATIONS: dict[int, list[str]] = {
    # 2: accepted_sha256. Identical accepted files recorded before it (two ingests at once) keep their rows;
    # the first of them holds the hash.
    2: ["ALTER TABLE submissions ADD COLUMN accepted_sha256 VARCHAR(64)",
        "UPDATE submissions SET accepted_sha256 = sha256 WHERE id IN "
        "(SELECT MIN(id) FROM submissions WHERE status = 'accepted' GROUP BY sha256)",
        "CREATE UNIQUE INDEX ux_submissions_accepted_sha ON submissions (accepted_sha256)"],
    # 3: 作废 and assigned numbers. Every document recorded before was issued with an automatic number.
    3: ["ALTER TABLE documents ADD COLUMN status VARCHAR(16) NOT NULL DEFAULT 'issued'",
        "ALTER TABLE documents ADD COLUMN origin VARCHAR(16) NOT NULL DEFAULT 'auto'",
        "ALTER TABLE documents ADD COLUMN void_reason TEXT",
        "ALTER TABLE documents ADD COLUMN voided DATE"],
    # 4: arrived_on. Forms recorded before it arrived, as far as anyone knows, when they were taken.
    4: ["ALTER TABLE submissions ADD COLUMN arrived_on DATE",
        "UPDATE submissions SET arrived_on = date(received_at)"],
    # 5: 复核 recorded from 落实情况 forms. Nothing before it was a review.
    5: ["CREATE TABLE IF NOT EXISTS reviews (id INTEGER NOT NULL PRIMARY KEY, "
        "submission_id INTEGER NOT NULL REFERENCES submissions (id), risk_id INTEGER REFERENCES risks (id), "
        "unit VARCHAR(200) NOT NULL, post TEXT NOT NULL, risk TEXT NOT NULL, reviewed DATE NOT NULL, "
        "result VARCHAR(16) NOT NULL, problem TEXT NOT NULL, remedy TEXT NOT NULL, row_no INTEGER)",
        "CREATE INDEX IF NOT EXISTS ix_reviews_unit ON reviews (unit)"],
    # 6: follow-up of warnings; warnings step by step.
    6: ["ALTER TABLE warnings ADD COLUMN checked DATE",
        "ALTER TABLE warnings ADD COLUMN checked_by TEXT",
        "ALTER TABLE warnings ADD COLUMN check_result VARCHAR(16)",
        "ALTER TABLE warnings ADD COLUMN closed DATE",
        "CREATE TABLE IF NOT EXISTS warning_risks (id INTEGER NOT NULL PRIMARY KEY, "
        "warning_id INTEGER NOT NULL REFERENCES warnings (id), risk_id INTEGER NOT NULL REFERENCES risks (id), "
        "CONSTRAINT uq_warning_risks UNIQUE (warning_id, risk_id))",
        # talks issued before were not in the 预警处置台账: they join it, due on a day nobody recorded
        "INSERT INTO warnings (document_id, unit, kind, issued, note) SELECT id, recipient, kind, issued, '' "
        "FROM documents WHERE kind = 'talk' AND id NOT IN (SELECT document_id FROM warnings)"],
    # 7: cases: a new table only, which the baseline revision makes (with its indexes); nothing to
    # alter.
    7: [],
}

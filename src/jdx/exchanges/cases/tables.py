"""NamUs case import as stored: jobs and their cases, created cases, cancellation requests, limits.

A case's NamUs number is its type and its row id (``MP`` + 34938): the id is the number, so
no second sequence or post-insert update is needed, and a number parses back to its row.
"""

from __future__ import annotations

import sqlalchemy as sa

from jdx.store.tables import Json, Timestamp, metadata

BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")  # SQLite: INTEGER PRIMARY KEY = rowid

# One row per accepted job; a refused job (over a limit, unreadable) leaves no row at all.
import_jobs = sa.Table(
    "import_jobs",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("agency_id", sa.ForeignKey("agencies.id"), nullable=False),
    sa.Column("realm", sa.String(4), nullable=False),  # prod | test: never mixed
    sa.Column("idempotency_key", sa.String(200)),
    sa.Column("body_sha256", sa.String(64), nullable=False),  # a reused key must send the same
    sa.Column("format", sa.String(4), nullable=False),  # json | xml
    sa.Column("size", sa.Integer, nullable=False),  # bytes of the request body
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("created", sa.Integer, nullable=False, server_default="0"),  # cases created
    sa.Column("requested", sa.Integer, nullable=False, server_default="0"),  # cancellations
    sa.Column("rejected", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("finished_at", Timestamp),
    sa.UniqueConstraint("agency_id", "realm", "idempotency_key"),
    # The jobs-per-24-hours limit counts an agency's recent jobs.
    sa.Index("ix_import_jobs_agency_recent", "agency_id", "created_at"),
    sa.CheckConstraint("state in ('received', 'processing', 'complete')", name="state"),
)

# Every case of a job, with the moment it reached each state: the seed's "logged, validated and
# queued for submission", and the outcome the client reads back.
import_job_cases = sa.Table(
    "import_job_cases",
    metadata,
    sa.Column("job_id", sa.ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),  # position in the job, from 1
    sa.Column("record_type", sa.String(12), nullable=False),  # missing|unidentified|cancellation
    sa.Column("client_case_number", sa.String(50)),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("errors", Json, nullable=False),
    sa.Column("record", Json),  # kept until processed; the created case holds it afterwards
    sa.Column("case_id", sa.BigInteger),  # the case created, the duplicate's or the cancelled one
    sa.Column("cancellation_id", sa.BigInteger),
    sa.Column("received_at", Timestamp, nullable=False),
    sa.Column("validated_at", Timestamp),
    sa.Column("queued_at", Timestamp),
    sa.Column("processed_at", Timestamp),
    sa.CheckConstraint(
        "state in ('received', 'validated', 'queued', 'created', 'rejected')", name="state"
    ),
)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("id", BigId, primary_key=True),  # the number of MP<id> / UP<id>
    sa.Column("case_type", sa.String(2), nullable=False),  # MP | UP
    sa.Column("agency_id", sa.ForeignKey("agencies.id"), nullable=False),  # the owner (importer)
    sa.Column("realm", sa.String(4), nullable=False),
    sa.Column("client_case_number", sa.String(50), nullable=False),
    sa.Column("state", sa.String(2), nullable=False),  # NCIC state of last contact / found
    sa.Column("region", sa.String(40), nullable=False, index=True),  # the RPS's review queue
    sa.Column("published", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("record", Json, nullable=False),
    sa.Column("job_id", sa.BigInteger),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    # Review (review.py): pending -> (returned -> pending)* -> published; closed once an RPS
    # approves a cancellation request, as its reason says. ``published`` is review_state ==
    # 'published', kept for the readers that predate the review.
    sa.Column("review_state", sa.String(10), nullable=False, server_default="pending"),
    sa.Column("closed_reason", sa.String(10)),  # cancelled | resolved, when closed
    sa.Column("review_note", sa.Text),  # the RPS's note of the last return
    # The investigating agency's permission to publish, as the RPS recorded it.
    sa.Column("permission_by", sa.String(200)),  # who at the agency granted it
    sa.Column("permission_note", sa.Text),
    sa.Column("permission_recorded_by", sa.String(100)),
    sa.Column("permission_at", Timestamp),
    sa.Column("published_by", sa.String(100)),
    sa.Column("published_at", Timestamp),
    # Import is one-way: the same agency case number twice is a duplicate, not an update.
    sa.UniqueConstraint("agency_id", "realm", "case_type", "client_case_number"),
    sa.CheckConstraint("case_type in ('MP', 'UP')", name="case_type"),
    sa.CheckConstraint(
        "review_state in ('pending', 'returned', 'published', 'closed')", name="review_state"
    ),
    # The RPS review queue: a region's cases in one state.
    sa.Index("ix_cases_region_review", "region", "review_state"),
)

# Every edit of a case before publication: who, when, through which channel, and each changed
# field (a dotted path, lists as ``path[1].field``) with its value before and after.
case_edits = sa.Table(
    "case_edits",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("case_id", sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),  # edit | permission | publish | ...
    sa.Column("fields", Json, nullable=False),  # the changed paths
    sa.Column("before", Json, nullable=False),  # {path: value}
    sa.Column("after", Json, nullable=False),
    sa.Column("note", sa.Text),
)

# Agencies besides the entering one that may view and edit a case before publication.
case_contributors = sa.Table(
    "case_contributors",
    metadata,
    sa.Column("case_id", sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "agency_id", sa.ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
    sa.Column("added_by", sa.String(100), nullable=False),
    sa.Column("added_at", Timestamp, nullable=False),
)

cancellation_requests = sa.Table(
    "cancellation_requests",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("case_id", sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("agency_id", sa.ForeignKey("agencies.id"), nullable=False),
    sa.Column("region", sa.String(40), nullable=False, index=True),  # the jurisdictional RPS
    sa.Column("reason", sa.String(10), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("state", sa.String(10), nullable=False, server_default="pending"),
    sa.Column("reviewer_note", sa.Text),
    sa.Column("job_id", sa.BigInteger),  # when it came inside a job
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("decided_at", Timestamp),
    sa.CheckConstraint("reason in ('cancelled', 'resolved')", name="reason"),
    sa.CheckConstraint("state in ('pending', 'approved', 'rejected')", name="state"),
)

# Per import account; an account without a row has the defaults of the settings.
client_limits = sa.Table(
    "client_limits",
    metadata,
    sa.Column("agency_id", sa.ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("max_cases_per_job", sa.Integer, nullable=False, server_default="100"),
    sa.Column("max_job_bytes", sa.Integer, nullable=False),
    sa.Column("max_jobs_per_day", sa.Integer, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

# An import account is an agency with a sponsor and the import permission (the seed: "active and
# sponsored user accounts ... that have import permissions"); active/suspended is the agency's own
# ``active`` flag, which suspends every channel of the agency at once.
import_accounts = sa.Table(
    "import_accounts",
    metadata,
    sa.Column("agency_id", sa.ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("sponsor", sa.String(200), nullable=False),  # sponsoring person or agency
    sa.Column("can_import", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("updated_at", Timestamp, nullable=False),
)

# The client certificates an account may present (server-to-server: key AND certificate). The
# fingerprint is the SHA-256 of the certificate's DER, lower-case hex; one certificate belongs to
# one account only.
client_certificates = sa.Table(
    "client_certificates",
    metadata,
    sa.Column("fingerprint", sa.String(64), primary_key=True),
    sa.Column(
        "agency_id",
        sa.ForeignKey("agencies.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("subject", sa.String(500), nullable=False),
    sa.Column("added_at", Timestamp, nullable=False),
)

# The state-to-region table an administrator changes (``jdx namus regions set``). While it is
# empty the configured default applies (``namus_regions_file`` or the demo table); the first
# change copies that default in, so the table then holds every state.
regions = sa.Table(
    "regions",
    metadata,
    sa.Column("state", sa.String(2), primary_key=True),  # NCIC state code
    sa.Column("region", sa.String(40), nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

# What register(hub) declares as the exchange's tables (hub.Exchange.tables).
TABLES = (
    import_jobs,
    import_job_cases,
    cases,
    case_edits,
    case_contributors,
    cancellation_requests,
    client_limits,
    import_accounts,
    client_certificates,
    regions,
)

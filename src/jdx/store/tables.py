"""Tables every exchange shares: agencies, credentials, domain tables and the audit log.

Each exchange defines its own tables in ``exchanges/<name>/tables.py`` on the same ``metadata``,
so that one Alembic history migrates them all.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSON, JSONB

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# JSON documents: JSONB on PostgreSQL (indexable, compact), JSON text on SQLite.
Json = sa.JSON().with_variant(JSONB(), "postgresql")
# JSON documents the hub only writes and reads whole (stop records and their issues): json on
# PostgreSQL, the text as written, its keys in the order they were written. jsonb parses every
# document into its binary form on the way in (almost half of the server's work per stored
# stop, migration 0011) and reorders an object's keys; nothing queries inside these documents.
PlainJson = sa.JSON().with_variant(JSON(), "postgresql")
Timestamp = sa.DateTime(timezone=True)
# The largest row id: ids are BIGINT on PostgreSQL, and SQLite's integers are 64-bit signed too.
# A larger number from outside (a URL, a case number) names no row; passed to the database
# driver it is an error (OverflowError on SQLite), so it is refused before any query (issue 16).
MAX_ID = 2**63 - 1
# The largest id of the tables whose ids are INTEGER, 32 bits on PostgreSQL: agencies and users
# (a larger number is refused by PostgreSQL as "integer out of range", even in a WHERE clause).
MAX_SMALL_ID = 2**31 - 1

agencies = sa.Table(
    "agencies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ori", sa.String(9), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("emails", Json, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", Timestamp, nullable=False),
    # How the agency's points of contact hear of processed files: per file, or a daily digest.
    sa.Column("notify", sa.String(10), nullable=False, server_default="immediate"),
    sa.CheckConstraint("notify in ('immediate', 'daily')", name="notify"),
)

# SFTP access: only agencies with the channel enabled have a row. The user name is the ORI.
sftp_accounts = sa.Table(
    "sftp_accounts",
    metadata,
    sa.Column("agency_id", sa.ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("password_hash", sa.String(200)),  # scrypt, see security/passwords.py; or none
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", Timestamp, nullable=False),
)

sftp_keys = sa.Table(
    "sftp_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "agency_id", sa.ForeignKey("agencies.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("public_key", sa.Text, nullable=False),  # OpenSSH one-line form, whatever was sent
    sa.Column("fingerprint", sa.String(100), nullable=False),  # SHA256:...
    sa.Column("comment", sa.String(200), nullable=False, server_default=""),
    sa.Column("added_at", Timestamp, nullable=False),
    sa.UniqueConstraint("agency_id", "fingerprint"),
)

# Mail to send, written in the transaction that decides it; sent (once) by the notifier.
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("key", sa.String(200), nullable=False, unique=True),  # what makes it "once"
    sa.Column("agency_id", sa.ForeignKey("agencies.id", ondelete="CASCADE"), index=True),
    sa.Column("recipients", Json, nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    # A text file sent with the mail (a long NamUs job's case-by-case results: issue 19)
    sa.Column("attachment_name", sa.String(100)),
    sa.Column("attachment", sa.Text),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("due_at", Timestamp, nullable=False, index=True),  # now, or the digest's hour
    # When the notifier handed the mail over: to the SMTP server, or to the file in written_to.
    sa.Column("sent_at", Timestamp),
    # The .eml file the mail was written to instead of sent (no SMTP server set); null: sent.
    sa.Column("written_to", sa.String(1000)),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.String(500)),
    # Part of the agency's daily digest rather than a mail of its own.
    sa.Column("digest", sa.Boolean, nullable=False, server_default=sa.false()),
    # A notifier's lease on the row while it sends: another notifier leaves the row alone until
    # claimed_until, and only the holder of claim_token may mark it sent (see notify/notifier.py).
    sa.Column("claimed_until", Timestamp),
    sa.Column("claim_token", sa.String(32)),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_id", sa.String(24), primary_key=True),
    sa.Column(
        "agency_id", sa.ForeignKey("agencies.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("realm", sa.String(4), nullable=False),  # prod | test
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("revoked_at", Timestamp),
    sa.CheckConstraint("realm in ('prod', 'test')", name="realm"),
)

domain_tables = sa.Table(
    "domain_tables",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("source", sa.String(500), nullable=False),
    sa.Column("loaded_at", Timestamp, nullable=False),
)

domain_values = sa.Table(
    "domain_values",
    metadata,
    sa.Column(
        "table_name", sa.ForeignKey("domain_tables.name", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("code", sa.String(100), primary_key=True),
    sa.Column("attrs", Json, nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("at", Timestamp, nullable=False, index=True),
    sa.Column("exchange", sa.String(20), nullable=False),
    sa.Column("realm", sa.String(4)),
    sa.Column("actor", sa.String(100), nullable=False),  # ORI, admin user, or "anonymous"
    sa.Column("ori", sa.String(9), index=True),  # whose record
    sa.Column("channel", sa.String(20), nullable=False),  # http, sftp, cli, portal
    sa.Column("action", sa.String(30), nullable=False),  # submit, update, read, validate, ...
    sa.Column("subject", sa.String(100)),  # the record's id as the sender knows it
    sa.Column("record_id", sa.BigInteger),  # the hub's id of the record, when there is one
    sa.Column("outcome", sa.String(60), nullable=False),
    sa.Column("codes", sa.String(500), nullable=False, server_default=""),
    sa.Column("detail", Json),
)

# The nodes of a hub on PostgreSQL (store/nodes.py): each one's heartbeat, and who took over
# the workflows of one that stopped beating (takeover.py). Times are the database's clock, so
# that nodes whose clocks differ still agree on who is late.
nodes = sa.Table(
    "nodes",
    metadata,
    sa.Column("node_id", sa.String(100), primary_key=True),  # JDX_NODE_ID, DBOS' executor id
    sa.Column("version", sa.String(50), nullable=False),  # the jdx release it runs
    # DBOS' application version: a node recovers only the workflows of the version it runs.
    sa.Column("workflow_version", sa.String(100)),
    sa.Column("started_at", Timestamp, nullable=False),
    sa.Column("last_seen_at", Timestamp, nullable=False),
    sa.Column("taken_over_by", sa.String(100)),
    sa.Column("taken_over_at", Timestamp),
)

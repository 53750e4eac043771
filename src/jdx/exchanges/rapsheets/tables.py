"""The exchange's tables: the Rap-Merge table, responders, receivers' preferences, outbox and log.

All merge state lives here, not in a process (seed 2.5: "NLETS maintains a Rap-Merge table"), so
a restart, or another node on the same PostgreSQL database, carries on where the last left off.
"""

from __future__ import annotations

import sqlalchemy as sa

from jdx.store.tables import Json, Timestamp, metadata

_Id = sa.BigInteger().with_variant(sa.Integer, "sqlite")

# Delivery formats (seed 2.7): the transmission format, or a presentation of it.
FORMATS = ("transmission", "presentation-html", "presentation-text")
_FORMAT_CHECK = "in ('transmission', 'presentation-html', 'presentation-text')"

# One row per merge in progress, made from an EL01/FL01 notification and removed once the
# merged record is delivered or the entry times out. A row only exists while active, so the
# unique ``merge_key`` is the seed's "one active request per requester and FBI/SID numbers".
rap_merge = sa.Table(
    "rap_merge",
    metadata,
    sa.Column("id", _Id, primary_key=True),
    sa.Column("merge_key", sa.String(400), nullable=False, unique=True),
    sa.Column("requester_ori", sa.String(9), nullable=False, index=True),
    sa.Column("fbi_number", sa.String(20)),
    sa.Column("sid_numbers", Json, nullable=False),  # every SID of the notification
    sa.Column("notifier_ori", sa.String(9), nullable=False),  # who sent the notification
    sa.Column("kind", sa.String(1), nullable=False),  # E | F (the header's first letter)
    # [{"label", "source", "fbi_number", "sid_number"}]: the responders not marked DECEASED.
    sa.Column("expected", Json, nullable=False),
    # [{"responder", "sender_ori", "received_at", "document"}] in order of receipt; the document
    # is the portion in transmission format 2.00, whatever format it arrived in, or null for a
    # plain-text portion (delivered as received; "text_message_id" names that delivery).
    sa.Column("received", Json, nullable=False),
    sa.Column("format", sa.String(20)),  # the request's delivery format, if it named one
    sa.Column("state", sa.String(10), nullable=False),  # waiting | merging
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("deadline_at", Timestamp, nullable=False, index=True),
    sa.CheckConstraint("state in ('waiting', 'merging')", name="state"),
    sa.CheckConstraint("kind in ('E', 'F')", name="kind"),
    sa.CheckConstraint(f"format is null or format {_FORMAT_CHECK}", name="format"),
    # The delivery log keeps the ids of deleted (completed) entries: SQLite must never hand one
    # out again, as it does without AUTOINCREMENT (migration 0014); PostgreSQL's sequence never
    # does.
    sqlite_autoincrement=True,
)

# The preference table of seed 2.1/2.5: the format each receiver wants its rap sheets in.
rap_receivers = sa.Table(
    "rap_receivers",
    metadata,
    sa.Column("ori", sa.String(9), primary_key=True),
    sa.Column("format", sa.String(20), nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.CheckConstraint(f"format {_FORMAT_CHECK}", name="format"),
)

# The responders' registry (seed 2.5: "NLETS also retains information regarding each criminal
# history responder"), kept by the operator (``jdx rapsheet responders``): the state whose record
# each ORI answers for. A rap sheet is taken as the portion of its *sender's* state, never of the
# state its content names (issue 16); an ORI not listed here (nor an FBI/III ORI of
# ``rap_notifiers``, the FBI's responders) sends no rap sheet at all. Several ORIs may answer for
# one state (a repository's primary and backup systems); one ORI answers for one state only.
rap_responders = sa.Table(
    "rap_responders",
    metadata,
    sa.Column("ori", sa.String(9), primary_key=True),
    sa.Column("state", sa.String(2), nullable=False, index=True),  # NCIC two-letter code
    sa.Column("added_at", Timestamp, nullable=False),
)

# What the hub delivered to a receiver, for it to fetch over HTTP. Bytes, because a plain-text
# portion is passed through exactly as received (seed 2.2). Rows past their retention
# (``rap_outbox_days`` after the first fetch, ``rap_outbox_unfetched_days`` unfetched) are
# deleted by the time-out sweep; their delivery-log rows stay.
rap_outbox = sa.Table(
    "rap_outbox",
    metadata,
    sa.Column("id", _Id, primary_key=True),
    sa.Column("receiver_ori", sa.String(9), nullable=False, index=True),
    # Who sent it, as authenticated: the responder's ORI for a forwarded sheet or text, the hub
    # (``JDX``) for a record it merged (issue 16, migration 0015).
    sa.Column("sender_ori", sa.String(9), nullable=False),
    sa.Column("message_id", sa.String(40), nullable=False, unique=True),
    sa.Column("format", sa.String(20), nullable=False),  # a FORMATS value, or "plain-text"
    sa.Column("content_type", sa.String(60), nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False, index=True),
    sa.Column("fetched_at", Timestamp, index=True),  # the retention sweep reads both dates
)

# Seed 2.5: "Log entries ... contain only identifying information, not detailed criminal history
# contents." Ids, ORIs, the transaction type and times: no name, number or event of the subject
# (not even the FBI number, which identifies the person rather than the message).
rap_delivery_log = sa.Table(
    "rap_delivery_log",
    metadata,
    sa.Column("id", _Id, primary_key=True),
    # notified | merged | ignored | refused | delivered | forwarded | timed-out | cleared |
    # purged | text-counted (refused: a portion of another person than the merge's, issue 15)
    sa.Column("event", sa.String(12), nullable=False),
    sa.Column("transaction_type", sa.String(10), nullable=False),  # EL01 | FL01 | STDRAP
    sa.Column("merge_id", sa.BigInteger, index=True),
    sa.Column("originating_id", sa.String(9), nullable=False),  # the sender's ORI
    sa.Column("destination_id", sa.String(9), nullable=False),  # the receiver's ORI
    sa.Column("message_id", sa.String(40)),  # the rap_outbox message, for deliveries
    sa.Column("logged_at", Timestamp, nullable=False, index=True),
)

# What register(hub) declares as the exchange's tables (hub.Exchange.tables).
TABLES = (rap_merge, rap_receivers, rap_responders, rap_outbox, rap_delivery_log)

"""Stop records (AB 953) as stored: the record as sent, its status and its current issues."""

from __future__ import annotations

import sqlalchemy as sa

from jdx.store.tables import Json, Timestamp, metadata

stops = sa.Table(
    "stops",
    metadata,
    # The DOJ record id the hub assigns and returns in the DOJRecordID header.
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("realm", sa.String(4), nullable=False),  # prod | test: never mixed
    sa.Column("ori", sa.String(9), nullable=False),
    sa.Column("lea_record_id", sa.String(50), nullable=False),
    sa.Column("batch_id", sa.String(50)),
    sa.Column("officer_uid", sa.String(20), nullable=False),
    sa.Column("stop_date", sa.Date, nullable=False),
    sa.Column("stop_time", sa.String(8), nullable=False),  # HH:MM:SS
    sa.Column("dictionary_id", sa.String(20), nullable=False),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("record", Json, nullable=False),
    sa.Column("issues", Json, nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # 1 on insert, +1 on every update
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    # Duplicate check 1 of the seed, and the key an update is matched on.
    sa.UniqueConstraint("realm", "ori", "lea_record_id"),
    # Duplicate check 2: ORI + officer + date + time (not unique: a record may be updated onto it).
    sa.Index("ix_stops_officer_moment", "realm", "ori", "officer_uid", "stop_date", "stop_time"),
    sa.CheckConstraint(
        "status in ('Successful Submission', 'Submitted with Errors', 'NFIA')", name="status"
    ),
)

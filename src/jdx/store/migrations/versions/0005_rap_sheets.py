"""rap sheets: merge table, receivers, outbox, delivery log

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 03:43:21.471964
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rap_delivery_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event", sa.String(length=12), nullable=False),
        sa.Column("transaction_type", sa.String(length=10), nullable=False),
        sa.Column("merge_id", sa.BigInteger(), nullable=True),
        sa.Column("originating_id", sa.String(length=9), nullable=False),
        sa.Column("destination_id", sa.String(length=9), nullable=False),
        sa.Column("message_id", sa.String(length=40), nullable=True),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rap_delivery_log")),
    )
    with op.batch_alter_table("rap_delivery_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rap_delivery_log_logged_at"), ["logged_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rap_delivery_log_merge_id"), ["merge_id"], unique=False
        )

    op.create_table(
        "rap_merge",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("merge_key", sa.String(length=400), nullable=False),
        sa.Column("requester_ori", sa.String(length=9), nullable=False),
        sa.Column("fbi_number", sa.String(length=20), nullable=True),
        sa.Column(
            "sid_numbers", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("notifier_ori", sa.String(length=9), nullable=False),
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column(
            "expected", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "received", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("format", sa.String(length=20), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "format is null or format in ('transmission', 'presentation-html', 'presentation-text')",
            name=op.f("ck_rap_merge_format"),
        ),
        sa.CheckConstraint("kind in ('E', 'F')", name=op.f("ck_rap_merge_kind")),
        sa.CheckConstraint("state in ('waiting', 'merging')", name=op.f("ck_rap_merge_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rap_merge")),
        sa.UniqueConstraint("merge_key", name=op.f("uq_rap_merge_merge_key")),
    )
    with op.batch_alter_table("rap_merge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rap_merge_deadline_at"), ["deadline_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_rap_merge_requester_ori"), ["requester_ori"], unique=False
        )

    op.create_table(
        "rap_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("receiver_ori", sa.String(length=9), nullable=False),
        sa.Column("message_id", sa.String(length=40), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rap_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_rap_outbox_message_id")),
    )
    with op.batch_alter_table("rap_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rap_outbox_receiver_ori"), ["receiver_ori"], unique=False
        )

    op.create_table(
        "rap_receivers",
        sa.Column("ori", sa.String(length=9), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "format in ('transmission', 'presentation-html', 'presentation-text')",
            name=op.f("ck_rap_receivers_format"),
        ),
        sa.PrimaryKeyConstraint("ori", name=op.f("pk_rap_receivers")),
    )


def downgrade() -> None:
    op.drop_table("rap_receivers")
    with op.batch_alter_table("rap_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rap_outbox_receiver_ori"))

    op.drop_table("rap_outbox")
    with op.batch_alter_table("rap_merge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rap_merge_requester_ori"))
        batch_op.drop_index(batch_op.f("ix_rap_merge_deadline_at"))

    op.drop_table("rap_merge")
    with op.batch_alter_table("rap_delivery_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rap_delivery_log_merge_id"))
        batch_op.drop_index(batch_op.f("ix_rap_delivery_log_logged_at"))

    op.drop_table("rap_delivery_log")

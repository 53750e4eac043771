"""Indexes on the rap sheet outbox's dates, which the retention sweep reads every round

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 05:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rap_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rap_outbox_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_rap_outbox_fetched_at"), ["fetched_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rap_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rap_outbox_fetched_at"))
        batch_op.drop_index(batch_op.f("ix_rap_outbox_created_at"))

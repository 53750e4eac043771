"""rap sheets: the responders' registry, and the sender of every outbox delivery (issue 16)

``rap_responders`` lists the ORIs that answer for a state's record (``jdx rapsheet responders``):
a rap sheet is taken as its authenticated sender's state's portion, and one from an ORI not
listed (nor an FBI/III ORI) is refused. It starts empty: after the upgrade the operator registers
each state repository's ORI before that state's portions are accepted again.

``rap_outbox.sender_ori`` names who sent each delivery. Existing rows take it from the delivery
log, whose ``delivered`` row was written in the same transaction as the outbox row and names
the same sender (``originating_id``); a row without one (none is known) gets ``UNKNOWN`` rather
than a guess. SQLite cannot make a column NOT NULL in place, so the batch copies the table.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rap_responders",
        sa.Column("ori", sa.String(length=9), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ori", name=op.f("pk_rap_responders")),
    )
    with op.batch_alter_table("rap_responders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rap_responders_state"), ["state"], unique=False)

    with op.batch_alter_table("rap_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender_ori", sa.String(length=9), nullable=True))
    op.execute(
        "UPDATE rap_outbox SET sender_ori = coalesce(("
        "SELECT min(l.originating_id) FROM rap_delivery_log l "
        "WHERE l.message_id = rap_outbox.message_id AND l.event = 'delivered'), 'UNKNOWN')"
    )
    with op.batch_alter_table("rap_outbox", schema=None) as batch_op:
        batch_op.alter_column("sender_ori", existing_type=sa.String(length=9), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("rap_outbox", schema=None) as batch_op:
        batch_op.drop_column("sender_ori")
    with op.batch_alter_table("rap_responders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rap_responders_state"))
    op.drop_table("rap_responders")

"""outbox: the file a mail was written to when no SMTP server is set

Such a mail was never sent: ``jdx mail list`` and the log say where it was written instead.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("written_to", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("written_to")

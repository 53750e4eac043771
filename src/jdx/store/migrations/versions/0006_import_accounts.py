"""NamUs import accounts (sponsor, import permission) and their client certificates

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 04:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_accounts",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("sponsor", sa.String(length=200), nullable=False),
        sa.Column("can_import", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_import_accounts_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_import_accounts")),
    )
    op.create_table(
        "client_certificates",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_client_certificates_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_client_certificates")),
    )
    with op.batch_alter_table("client_certificates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_client_certificates_agency_id"), ["agency_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("client_certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_certificates_agency_id"))
    op.drop_table("client_certificates")
    op.drop_table("import_accounts")

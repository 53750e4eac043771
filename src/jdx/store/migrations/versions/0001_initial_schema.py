"""initial schema: agencies, keys, domain tables, audit log, stops

Revision ID: 0001
Revises:
Create Date: 2026-11-24 11:05:04.214554
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ori", sa.String(length=9), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "emails", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("ori", name=op.f("uq_agencies_ori")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exchange", sa.String(length=20), nullable=False),
        sa.Column("realm", sa.String(length=4), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("ori", sa.String(length=9), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=True),
        sa.Column("record_id", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.String(length=60), nullable=False),
        sa.Column("codes", sa.String(length=500), server_default="", nullable=False),
        sa.Column(
            "detail", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_ori"), ["ori"], unique=False)

    op.create_table(
        "domain_tables",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_domain_tables")),
    )
    op.create_table(
        "stops",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("realm", sa.String(length=4), nullable=False),
        sa.Column("ori", sa.String(length=9), nullable=False),
        sa.Column("lea_record_id", sa.String(length=50), nullable=False),
        sa.Column("batch_id", sa.String(length=50), nullable=True),
        sa.Column("officer_uid", sa.String(length=20), nullable=False),
        sa.Column("stop_date", sa.Date(), nullable=False),
        sa.Column("stop_time", sa.String(length=8), nullable=False),
        sa.Column("dictionary_id", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column(
            "record", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "issues", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status in ('Successful Submission', 'Submitted with Errors', 'NFIA')",
            name=op.f("ck_stops_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stops")),
        sa.UniqueConstraint(
            "realm", "ori", "lea_record_id", name=op.f("uq_stops_realm_ori_lea_record_id")
        ),
    )
    with op.batch_alter_table("stops", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stops_officer_moment",
            ["realm", "ori", "officer_uid", "stop_date", "stop_time"],
            unique=False,
        )

    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(length=24), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("realm", sa.String(length=4), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("realm in ('prod', 'test')", name=op.f("ck_api_keys_realm")),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_api_keys_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_keys")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_agency_id"), ["agency_id"], unique=False)

    op.create_table(
        "domain_values",
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column(
            "attrs", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["table_name"],
            ["domain_tables.name"],
            name=op.f("fk_domain_values_table_name_domain_tables"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("table_name", "code", name=op.f("pk_domain_values")),
    )


def downgrade() -> None:

    op.drop_table("domain_values")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_agency_id"))

    op.drop_table("api_keys")
    with op.batch_alter_table("stops", schema=None) as batch_op:
        batch_op.drop_index("ix_stops_officer_moment")

    op.drop_table("stops")
    op.drop_table("domain_tables")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_ori"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
    op.drop_table("agencies")

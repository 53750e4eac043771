"""bulk channel: sftp accounts, outbox, stop files

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 12:13:31.291188
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column(
            "recipients", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_outbox_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_due_at"), ["due_at"], unique=False)

    op.create_table(
        "sftp_accounts",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_sftp_accounts_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_sftp_accounts")),
    )
    op.create_table(
        "sftp_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=100), nullable=False),
        sa.Column("comment", sa.String(length=200), server_default="", nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_sftp_keys_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sftp_keys")),
        sa.UniqueConstraint(
            "agency_id", "fingerprint", name=op.f("uq_sftp_keys_agency_id_fingerprint")
        ),
    )
    with op.batch_alter_table("sftp_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sftp_keys_agency_id"), ["agency_id"], unique=False)

    op.create_table(
        "stop_files",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("realm", sa.String(length=4), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("ori", sa.String(length=9), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("successful", sa.Integer(), server_default="0", nullable=False),
        sa.Column("with_errors", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rejected", sa.Integer(), server_default="0", nullable=False),
        sa.Column("file_error", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state in ('received', 'processing', 'done', 'failed')",
            name=op.f("ck_stop_files_state"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_stop_files_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stop_files")),
        sa.UniqueConstraint(
            "realm", "ori", "file_name", name=op.f("uq_stop_files_realm_ori_file_name")
        ),
    )
    with op.batch_alter_table("stop_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stop_files_agency_id"), ["agency_id"], unique=False)

    op.create_table(
        "stop_file_chunks",
        sa.Column("file_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["stop_files.id"],
            name=op.f("fk_stop_file_chunks_file_id_stop_files"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("file_id", "chunk", name=op.f("pk_stop_file_chunks")),
    )
    op.create_table(
        "stop_file_errors",
        sa.Column("file_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("rows", sa.String(length=100), nullable=False),
        sa.Column("lea_record_id", sa.String(length=100), nullable=False),
        sa.Column("fatal", sa.Boolean(), nullable=False),
        sa.Column(
            "issues", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "source", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["stop_files.id"],
            name=op.f("fk_stop_file_errors_file_id_stop_files"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("file_id", "seq", name=op.f("pk_stop_file_errors")),
    )
    with op.batch_alter_table("stops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_id", sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f("ix_stops_file_id"), ["file_id"], unique=False)
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notify", sa.String(length=10), server_default="immediate", nullable=False)
        )
        batch_op.create_check_constraint("notify", "notify in ('immediate', 'daily')")


def downgrade() -> None:
    with op.batch_alter_table("stops", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stops_file_id"))
        batch_op.drop_column("file_id")
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_agencies_notify"), type_="check")
        batch_op.drop_column("notify")

    op.drop_table("stop_file_errors")
    op.drop_table("stop_file_chunks")
    with op.batch_alter_table("stop_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stop_files_agency_id"))

    op.drop_table("stop_files")
    with op.batch_alter_table("sftp_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sftp_keys_agency_id"))

    op.drop_table("sftp_keys")
    op.drop_table("sftp_accounts")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_due_at"))
        batch_op.drop_index(batch_op.f("ix_outbox_agency_id"))

    op.drop_table("outbox")

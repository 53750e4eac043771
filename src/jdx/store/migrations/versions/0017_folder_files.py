"""The stop-data folders in the database (issue 17): files belong to the cluster, not a node.

With PostgreSQL every node of the hub reads and writes the agencies' INPUT, OUTPUT and DOJ
layout folders and the hub's processing, archive and refused files here
(``exchanges/stops/file_store.py``, ``DatabaseStore``); SQLite keeps them on disk and has the
tables empty. Files already on a node's disk are brought in by ``jdx files import``.

The parts are compressed with lz4 where the server has it, as stop records are (0010): pglz took
four times as long to store 50 MiB of pipe-delimited stops (docs/benchmarks.md, "Files in the
database"). Random bytes (an XLSX is a zip) are stored as they are either way.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-12 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "folder_contents",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_folder_contents")),
    )
    op.create_table(
        "folder_content_parts",
        sa.Column(
            "content_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["folder_contents.id"],
            name=op.f("fk_folder_content_parts_content_id_folder_contents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("content_id", "part", name=op.f("pk_folder_content_parts")),
    )
    op.create_table(
        "folder_names",
        sa.Column("folder", sa.String(length=500), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column(
            "content_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["folder_contents.id"],
            name=op.f("fk_folder_names_content_id_folder_contents"),
        ),
        sa.PrimaryKeyConstraint("folder", "name", name=op.f("pk_folder_names")),
    )
    op.create_index(
        op.f("ix_folder_names_content_id"), "folder_names", ["content_id"], unique=False
    )

    if _has_lz4():
        op.execute("ALTER TABLE folder_content_parts ALTER COLUMN data SET COMPRESSION lz4")


def _has_lz4() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    methods = bind.execute(
        sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
    ).scalar()
    return "lz4" in (methods or [])


def downgrade() -> None:
    op.drop_index(op.f("ix_folder_names_content_id"), table_name="folder_names")
    op.drop_table("folder_names")
    op.drop_table("folder_content_parts")
    op.drop_table("folder_contents")

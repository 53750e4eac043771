"""People and roles (users, an RPS's regions), the state-to-region table as data, and the case
review: review state, permission to publish, contributors and the audited edits

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 19:05:49.657984
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "regions",
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_regions")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role <> 'client' or agency_id is not null", name=op.f("ck_users_client_agency")
        ),
        sa.CheckConstraint("role in ('client', 'rps', 'admin')", name=op.f("ck_users_role")),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_users_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_agency_id"), ["agency_id"], unique=False)

    op.create_table(
        "case_contributors",
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_case_contributors_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_contributors_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", "agency_id", name=op.f("pk_case_contributors")),
    )
    with op.batch_alter_table("case_contributors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_contributors_agency_id"), ["agency_id"], unique=False
        )

    op.create_table(
        "case_edits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "before",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "after",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_edits_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_edits")),
    )
    with op.batch_alter_table("case_edits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_edits_case_id"), ["case_id"], unique=False)

    op.create_table(
        "user_regions",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_regions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "region", name=op.f("pk_user_regions")),
    )
    with op.batch_alter_table("user_regions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_regions_region"), ["region"], unique=False)

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "review_state", sa.String(length=10), server_default="pending", nullable=False
            )
        )
        batch_op.add_column(sa.Column("closed_reason", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("review_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("permission_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("permission_note", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("permission_recorded_by", sa.String(length=100), nullable=True)
        )
        batch_op.add_column(sa.Column("permission_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("published_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_cases_region_review", ["region", "review_state"], unique=False)
        batch_op.create_check_constraint(
            "review_state", "review_state in ('pending', 'returned', 'published', 'closed')"
        )
    # Cases published before the review existed keep their state.
    op.execute("UPDATE cases SET review_state = 'published' WHERE published")


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_cases_review_state"), type_="check")
        batch_op.drop_index("ix_cases_region_review")
        batch_op.drop_column("published_at")
        batch_op.drop_column("published_by")
        batch_op.drop_column("permission_at")
        batch_op.drop_column("permission_recorded_by")
        batch_op.drop_column("permission_note")
        batch_op.drop_column("permission_by")
        batch_op.drop_column("review_note")
        batch_op.drop_column("closed_reason")
        batch_op.drop_column("review_state")

    with op.batch_alter_table("user_regions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_regions_region"))

    op.drop_table("user_regions")
    with op.batch_alter_table("case_edits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_edits_case_id"))

    op.drop_table("case_edits")
    with op.batch_alter_table("case_contributors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_contributors_agency_id"))

    op.drop_table("case_contributors")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_agency_id"))

    op.drop_table("users")
    op.drop_table("regions")

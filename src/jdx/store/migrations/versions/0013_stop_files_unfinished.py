"""stop_files: a partial index on the files not yet answered (issue 14)

The small-file lane (``exchanges/stops/small_files.py``) looks for waiting and stored one-stop
files every round: without the index that was a scan of every file ever received.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

UNFINISHED = sa.text("finished_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_stop_files_unfinished",
        "stop_files",
        ["state", "id"],
        sqlite_where=UNFINISHED,
        postgresql_where=UNFINISHED,
    )


def downgrade() -> None:
    op.drop_index("ix_stop_files_unfinished", table_name="stop_files")

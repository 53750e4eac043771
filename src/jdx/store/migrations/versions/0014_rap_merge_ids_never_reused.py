"""rap_merge: a merge id is never handed out twice (issue 15)

A Rap-Merge entry is deleted once its record is delivered (seed 2.5), and the delivery log keeps
its id. On SQLite the id was an ``INTEGER PRIMARY KEY`` without ``AUTOINCREMENT``, which takes
the largest id *present* plus one: after a completed merge, the next merge got the same id, and
the log showed three merges as merge 1. ``AUTOINCREMENT`` takes the largest id *ever* handed out
(kept in ``sqlite_sequence``). Adding it means copying the table (SQLite cannot alter a column),
so the batch below recreates it. The sequence then starts above every id already in the log, so
that no merge made after the upgrade takes the id of one made before it.

PostgreSQL needs nothing: the id comes from a sequence, which never goes back.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-09 10:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _recreate(autoincrement: bool) -> None:
    with op.batch_alter_table(
        "rap_merge", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _recreate(True)
    op.execute("DELETE FROM sqlite_sequence WHERE name = 'rap_merge'")
    op.execute(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'rap_merge', max("
        "coalesce((SELECT max(id) FROM rap_merge), 0), "
        "coalesce((SELECT max(merge_id) FROM rap_delivery_log), 0))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _recreate(False)

"""PostgreSQL: stop records and their issues as json instead of jsonb

The hub never queries inside a stop's record or issues (no operator, no index on them): it
writes them (the web service's ``INSERT ... SELECT FROM unnest``, batch files' COPY) and reads
them whole. jsonb parses every document into its binary form on the way in: measured with this
schema, COPY of 200,000 stops (1.5 kB record each) in chunks of 1,000 cost the server 33.5 µs of
CPU per row with jsonb (27,800 rows/s), 18.1 µs with json (51,000 rows/s). json keeps the text
as written, so a record read back also keeps the key order it was stored in (jsonb reorders an
object's keys). The record column keeps its compression (lz4 since 0010). SQLite: nothing to do.

On a large table this rewrites the table (ACCESS EXCLUSIVE lock, all stops re-parsed and
re-written): operators run it in a maintenance window (measured: 198,331 stops, 311 MB, 9.4 s up
and 8.9 s down on a loaded 2-core machine). The downgrade fails if a stop stored meanwhile holds
U+0000 in a string, which json takes and jsonb refuses: correct or remove such records first.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 16:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _compression() -> str:
    """``stops.record``'s compression method: "" (the server's default), "p" (pglz), "l" (lz4)."""
    return str(
        op.get_bind()
        .execute(
            sa.text(
                "SELECT attcompression FROM pg_attribute "
                "WHERE attrelid = 'stops'::regclass AND attname = 'record'"
            )
        )
        .scalar()
        or ""
    )


def _retype(kind: str) -> None:
    """Both columns to ``kind`` in one rewrite of the table, the record's compression kept."""
    if op.get_bind().dialect.name != "postgresql":
        return
    before = _compression()
    op.execute(
        f"ALTER TABLE stops ALTER COLUMN record TYPE {kind} USING record::{kind}, "
        f"ALTER COLUMN issues TYPE {kind} USING issues::{kind}"
    )
    if _compression() != before:
        method = {"l": "lz4", "p": "pglz"}.get(before, "default")
        op.execute(f"ALTER TABLE stops ALTER COLUMN record SET COMPRESSION {method}")


def upgrade() -> None:
    _retype("json")


def downgrade() -> None:
    _retype("jsonb")

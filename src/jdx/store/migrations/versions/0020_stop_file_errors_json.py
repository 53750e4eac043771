"""PostgreSQL: the error rows of stop files (``stop_file_errors``) as json instead of jsonb

Their ``source`` is the record as an agency sent it, and a JSON text may hold U+0000 (``\\u0000``)
in a key or a string: json takes it, jsonb refuses it (PostgreSQL's text cannot hold NUL), and a
rejected record holding one failed its request with a 500 (found by schemathesis). The stored
stops have been json since 0011 for the same reason and for speed; the hub never queries inside
an error row either: it writes them and reads them whole for the error files. SQLite: nothing to
do.

The downgrade fails if an error row stored meanwhile holds U+0000: remove such files' error rows
first (their error files are in OUTPUT already).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 17:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _retype(kind: str) -> None:
    """Both document columns to ``kind`` in one rewrite of the table."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"ALTER TABLE stop_file_errors ALTER COLUMN issues TYPE {kind} USING issues::{kind}, "
        f"ALTER COLUMN source TYPE {kind} USING source::{kind}"
    )


def upgrade() -> None:
    _retype("json")


def downgrade() -> None:
    _retype("jsonb")

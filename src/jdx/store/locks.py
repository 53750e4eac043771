"""Database locks that hold across processes and hosts, never in-process locks.

One agency's submissions are processed one at a time (the seed's synchronous protocol) by every
node of the hub: PostgreSQL takes a transaction-scoped advisory lock on the agency; SQLite has one
writer at a time already (write transactions begin IMMEDIATE), which is stricter and enough.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa


def lock_key(*parts: str) -> int:
    """A stable signed 64-bit key: the same on every node and every Python process."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_agency(conn: sa.Connection, realm: str, ori: str, what: str = "agency") -> None:
    """``what`` names the agency's work that must go one at a time; work under another name
    (a case job's acceptance beside the creation of an earlier job's cases) runs beside it."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(what, realm, ori)}
        )

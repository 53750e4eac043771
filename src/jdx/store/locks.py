"""Database locks that hold across processes and hosts, never in-process locks.

One agency's submissions are processed one at a time (the seed's synchronous protocol) by every
node of the hub: PostgreSQL takes a transaction-scoped advisory lock on the agency; SQLite has one
writer at a time already (write transactions begin IMMEDIATE), which is stricter and enough.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from jdx.store.bulk import raw_connection


def lock_key(*parts: str) -> int:
    """A stable signed 64-bit key: the same on every node and every Python process."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_agency(conn: sa.Connection, realm: str, ori: str, what: str = "agency") -> None:
    """``what`` names the agency's work that must go one at a time; work under another name
    (a case job's acceptance beside the creation of an earlier job's cases) runs beside it.

    On PostgreSQL the statement goes through the driver's own cursor: inside a pipeline
    (``raw_connection(conn).pipeline()``) it is sent with the statements after it, which the
    server runs once it holds the lock."""
    if conn.dialect.name == "postgresql":
        cursor = raw_connection(conn).cursor()
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(what, realm, ori)])

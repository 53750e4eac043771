"""API keys: shown once, stored as a hash, looked up by a public key id.

A key reads ``jdx_<realm>_<key id>_<secret>``. The secret is 256 random bits, so a plain SHA-256
of it is as strong as a slow password hash would be (nobody can enumerate 2^256 secrets), and it
keeps authentication to one indexed lookup and one constant-time comparison per request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa

from jdx.store.tables import agencies, api_keys

REALMS = ("prod", "test")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an agency, through a key of one realm."""

    agency_id: int
    ori: str
    name: str
    realm: str
    active: bool


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_key(conn: sa.Connection, agency_id: int, realm: str) -> str:
    if realm not in REALMS:
        raise ValueError(f"realm must be one of {REALMS}")
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    conn.execute(
        api_keys.insert().values(
            key_id=key_id,
            agency_id=agency_id,
            realm=realm,
            secret_hash=_hash(secret),
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    return f"jdx_{realm}_{key_id}_{secret}"


def revoke_keys(conn: sa.Connection, agency_id: int) -> int:
    result = conn.execute(
        api_keys.update()
        .where(
            api_keys.c.agency_id == agency_id,
            api_keys.c.revoked_at.is_(None),
        )
        .values(revoked_at=dt.datetime.now(dt.UTC))
    )
    return result.rowcount


_LOOKUP = (
    sa.select(
        api_keys.c.secret_hash,
        api_keys.c.realm,
        agencies.c.id,
        agencies.c.ori,
        agencies.c.name,
        agencies.c.active,
    )
    .join(agencies, agencies.c.id == api_keys.c.agency_id)
    .where(api_keys.c.key_id == sa.bindparam("key_id"), api_keys.c.revoked_at.is_(None))
)


def authenticate(conn: sa.Connection, presented: str) -> Principal | None:
    """The principal a key belongs to, or None for a malformed, unknown or revoked key."""
    parts = presented.split("_", 3)
    if len(parts) != 4 or parts[0] != "jdx" or parts[1] not in REALMS:
        return None
    _, realm, key_id, secret = parts
    row = conn.execute(_LOOKUP, {"key_id": key_id}).first()
    if row is None or row.realm != realm:
        return None
    if not hmac.compare_digest(row.secret_hash, _hash(secret)):
        return None
    return Principal(
        agency_id=row.id, ori=row.ori, name=row.name, realm=row.realm, active=row.active
    )


class KeyCache:
    """Keys looked up, and the principals of keys checked in the last ``ttl`` seconds.

    :meth:`principal` and :meth:`check` look the key up now, its agency's standing with it
    (``standing.py``): every route that answers from them refuses a suspended agency at the next
    request, on every node. :meth:`cached` spares the web service's submissions that query for
    ``ttl`` seconds: it is trusted for who the key is, never for whether its agency may act,
    which the store asks again in the transaction that would write (``StopService``).

    Only keys of active agencies are kept (a wrong key, or a suspended agency's, is looked up
    every time, so a reinstatement is seen at once too), under the SHA-256 of the key rather
    than the key itself. Revoking a key reaches every process within ``ttl``; ``forget``
    applies it at once in this process.
    """

    MAX_ENTRIES = 10_000

    def __init__(self, engine: sa.Engine, ttl: float) -> None:
        self.engine = engine
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Principal]] = {}

    def cached(self, presented: str) -> Principal | None:
        """The principal of a key checked less than ``ttl`` ago, without a query; None when
        the key must be looked up (:meth:`principal` does)."""
        entry = self._entries.get(_hash(presented)) if self.ttl > 0 else None
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def principal(self, presented: str) -> Principal | None:
        """The key looked up now (as :meth:`check`), kept for :meth:`cached`."""
        if self.ttl <= 0:
            return self.check(presented)
        digest = _hash(presented)
        moment = time.monotonic()
        principal = self.check(presented)
        if principal is None or not principal.active:
            self._entries.pop(digest, None)
            return principal
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()  # crude but bounded: many distinct valid keys are rare
        self._entries[digest] = (moment + self.ttl, principal)
        return principal

    def forget(self) -> None:
        self._entries.clear()

    def check(self, presented: str) -> Principal | None:
        """The key looked up now, past the cache."""
        from jdx.store.engine import read_only

        with self.engine.connect() as conn:
            return authenticate(read_only(conn), presented)

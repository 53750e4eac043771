"""One-time recovery codes: each stands in for an authenticator code once (issue 19).

Shown once, when the authenticator is enrolled, and stored only as SHA-256 digests: a code is
80 random bits, which needs no slow hash (like session tokens and API keys), so a copy of the
database opens nothing. A code is marked used in the same statement that checks it is unused,
so two log-ins racing with one code cannot both succeed.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

import sqlalchemy as sa

from jdx.store.queries import now
from jdx.store.tables import Timestamp, metadata

COUNT = 10
GROUPS, GROUP_LENGTH = 4, 4  # xxxx-xxxx-xxxx-xxxx: 16 base32 characters, 80 bits
_SHAPE = re.compile(r"^[a-z2-7]{16}$")

recovery_codes = sa.Table(
    "recovery_codes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("used_at", Timestamp),
)


def _normal(code: str) -> str:
    """A code as typed (any case, dashes or spaces) in its stored form; "" if not one."""
    cleaned = re.sub(r"[\s-]", "", code).lower()
    return cleaned if _SHAPE.match(cleaned) else ""


def _digest(normal: str) -> str:
    return hashlib.sha256(normal.encode()).hexdigest()


def looks_like_one(code: str) -> bool:
    """A recovery code's shape, not an authenticator's six digits."""
    return bool(_normal(code))


def issue(conn: sa.Connection, user_id: int, count: int = COUNT) -> list[str]:
    """New codes for the user, replacing any earlier ones; returned once, never stored."""
    conn.execute(recovery_codes.delete().where(recovery_codes.c.user_id == user_id))
    codes = []
    moment = now()
    for _ in range(count):
        raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()
        codes.append("-".join(raw[i : i + GROUP_LENGTH] for i in range(0, len(raw), GROUP_LENGTH)))
        conn.execute(
            recovery_codes.insert().values(
                user_id=user_id, code_hash=_digest(raw), created_at=moment
            )
        )
    return codes


def use(conn: sa.Connection, user_id: int, code: str) -> bool:
    """Whether the code is one of the user's unused ones; if so it is used up now."""
    normal = _normal(code)
    if not normal:
        return False
    return bool(
        conn.execute(
            recovery_codes.update()
            .where(
                recovery_codes.c.user_id == user_id,
                recovery_codes.c.code_hash == _digest(normal),
                recovery_codes.c.used_at.is_(None),
            )
            .values(used_at=now())
        ).rowcount
    )


def remaining(conn: sa.Connection, user_id: int) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count())
            .select_from(recovery_codes)
            .where(recovery_codes.c.user_id == user_id, recovery_codes.c.used_at.is_(None))
        ).scalar_one()
    )

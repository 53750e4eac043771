"""The portal's secrets: a person's password and TOTP second factor, and server-side sessions.

Kept apart from ``users`` (who a person is and may do) so that nothing reading users touches a
secret. Sessions live in the database, not in a signed cookie, so that every node behind the
proxy sees the same ones and logging out or suspending a user ends them at once everywhere. The
cookie holds a random token; the table holds only its SHA-256 (like API keys, 256 random bits
need no slow hash), so a copy of the database opens no session.

A login is two steps: the password opens a session at stage ``password`` that can do nothing but
offer the TOTP code; the code turns it into a ``full`` session under a new token (a token seen
before the second factor is worth nothing after it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from jdx.security import recovery, totp
from jdx.security.passwords import hash_password, needs_rehash, verify_password
from jdx.security.users import users
from jdx.store.queries import now
from jdx.store.tables import Timestamp, metadata

MIN_PASSWORD = 12
# Wrong *codes* in a row before the account locks. Only someone who knows the password reaches
# the code, so only they can lock it; wrong passwords never lock (security/throttle.py delays
# them instead, and strangers' failures never stop the owner: issue 16).
MAX_FAILURES = 5
LOCK_FOR = dt.timedelta(minutes=15)
PENDING_FOR = dt.timedelta(minutes=5)  # between the password and the code
SESSION_FOR = dt.timedelta(hours=8)  # a working day, whatever the activity
IDLE_FOR = dt.timedelta(minutes=30)
_TOUCH_EVERY = dt.timedelta(seconds=60)  # last_seen is written at most this often

user_credentials = sa.Table(
    "user_credentials",
    metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    # argon2id, or scrypt until the next login (passwords.py); none: cannot log in
    sa.Column("password_hash", sa.String(200)),
    sa.Column("totp_secret", sa.String(64)),  # base32; none: not enrolled, cannot log in
    sa.Column("totp_last_step", sa.BigInteger),  # the last step used: a replayed code is refused
    sa.Column("failed_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", Timestamp),
    sa.Column("updated_at", Timestamp, nullable=False),
)

web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("stage", sa.String(8), nullable=False),  # password | full
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("last_seen_at", Timestamp, nullable=False),
    sa.CheckConstraint("stage in ('password', 'full')", name="stage"),
)


class CredentialError(ValueError):
    """A password or enrolment the hub refuses, said to the operator."""


@dataclass(frozen=True)
class Session:
    user_id: int
    stage: str
    csrf: str
    token: str
    stale: bool = False  # last seen over a minute ago: worth a touch()


@dataclass(frozen=True)
class Attempt:
    """The outcome of a password or code: a user id, or why not (said the same for every
    wrong password, unknown user and missing enrolment, so that no one learns who exists)."""

    user_id: int | None
    locked_until: dt.datetime | None = None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands timestamps back without their zone; they are stored in UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _ensure(conn: sa.Connection, user_id: int) -> None:
    if (
        conn.execute(
            sa.select(user_credentials.c.user_id).where(user_credentials.c.user_id == user_id)
        ).first()
        is None
    ):
        conn.execute(user_credentials.insert().values(user_id=user_id, updated_at=now()))


def set_password(conn: sa.Connection, user_id: int, password: str) -> None:
    """Store a new password (argon2id); unlocks the account and ends the user's sessions."""
    if len(password) < MIN_PASSWORD:
        raise CredentialError(f"a password has at least {MIN_PASSWORD} characters")
    _ensure(conn, user_id)
    conn.execute(
        user_credentials.update()
        .where(user_credentials.c.user_id == user_id)
        .values(
            password_hash=hash_password(password),
            failed_attempts=0,
            locked_until=None,
            updated_at=now(),
        )
    )
    end_user_sessions(conn, user_id)


def enrol_totp(conn: sa.Connection, user_id: int, *, but: str | None = None) -> str:
    """A new TOTP secret for the user (the old one stops working); returns it, once. The user's
    sessions end, but for ``but`` (the portal session that asked for it)."""
    secret = totp.generate_secret()
    _ensure(conn, user_id)
    conn.execute(
        user_credentials.update()
        .where(user_credentials.c.user_id == user_id)
        .values(totp_secret=secret, totp_last_step=None, updated_at=now())
    )
    end_user_sessions(conn, user_id, but=but)
    return secret


@dataclass(frozen=True)
class Enrolment:
    """A new second factor, as shown once: the secret and the recovery codes."""

    secret: str
    recovery_codes: list[str]


def enrol(conn: sa.Connection, user_id: int, *, but: str | None = None) -> Enrolment:
    """A new TOTP secret and new recovery codes (earlier ones stop working)."""
    secret = enrol_totp(conn, user_id, but=but)
    return Enrolment(secret, recovery.issue(conn, user_id))


def _credentials(conn: sa.Connection, user_id: int) -> sa.Row[tuple[object, ...]] | None:
    return conn.execute(
        sa.select(user_credentials).where(user_credentials.c.user_id == user_id)
    ).first()


def _failed(conn: sa.Connection, user_id: int, failures: int, moment: dt.datetime) -> Attempt:
    locked = moment + LOCK_FOR if failures >= MAX_FAILURES else None
    conn.execute(
        user_credentials.update()
        .where(user_credentials.c.user_id == user_id)
        .values(failed_attempts=0 if locked else failures, locked_until=locked)
    )
    return Attempt(None, locked)


@dataclass(frozen=True)
class Holder:
    """What a password is checked against: read first, so that the hash runs outside any write
    transaction (a 0.1 s hash must not hold the database's write lock)."""

    user_id: int
    active: bool
    password_hash: str | None
    totp_secret: str | None
    locked_until: dt.datetime | None


def holder_of(conn: sa.Connection, username: str) -> Holder | None:
    row = conn.execute(
        sa.select(users.c.id, users.c.active, user_credentials)
        .join(user_credentials, user_credentials.c.user_id == users.c.id)
        .where(users.c.username == username.strip())
    ).first()
    if row is None:
        return None
    return Holder(row.id, row.active, row.password_hash, row.totp_secret, _aware(row.locked_until))


def password_opens(holder: Holder | None, password: str, moment: dt.datetime) -> Attempt:
    """The user whose (active, enrolled, unlocked) account the password opens. Always exactly
    one hash with the current parameters, whoever the holder (passwords.py): no enumeration by
    timing. Raises passwords.Busy when no hashing slot frees up."""
    if holder is None:
        verify_password(password, None)
        return Attempt(None)
    if holder.locked_until is not None and holder.locked_until > moment:
        verify_password(password, None)
        return Attempt(None, holder.locked_until)
    if not verify_password(password, holder.password_hash):
        return Attempt(None)
    if not holder.active or not holder.totp_secret:
        return Attempt(None)
    return Attempt(holder.user_id)


def rehashed(holder: Holder, password: str) -> str | None:
    """A new argon2id hash when the stored one (scrypt, older parameters) is due for one."""
    if holder.password_hash and needs_rehash(holder.password_hash):
        return hash_password(password)
    return None


def store_rehash(conn: sa.Connection, holder: Holder, new_hash: str) -> None:
    """Replace the hash the password was just checked against (unless it changed meanwhile)."""
    conn.execute(
        user_credentials.update()
        .where(
            user_credentials.c.user_id == holder.user_id,
            user_credentials.c.password_hash == holder.password_hash,
        )
        .values(password_hash=new_hash, updated_at=now())
    )


def check_password(conn: sa.Connection, username: str, password: str) -> Attempt:
    """:func:`holder_of`, :func:`password_opens` and the re-hash, on one connection (the CLI,
    tests); the portal runs the steps itself, the hash outside its transaction."""
    holder = holder_of(conn, username)
    attempt = password_opens(holder, password, now())
    if attempt.user_id is not None and holder is not None:
        fresh = rehashed(holder, password)
        if fresh is not None:
            store_rehash(conn, holder, fresh)
    return attempt


def check_code(conn: sa.Connection, user_id: int, code: str) -> Attempt:
    """Whether the TOTP code is the user's, unused and current, or one of the user's unused
    recovery codes (used up now: recovery.py); a wrong one counts a failure either way."""
    moment = now()
    row = _credentials(conn, user_id)
    if row is None or not row.totp_secret:
        return Attempt(None)
    locked = _aware(row.locked_until)
    if locked is not None and locked > moment:
        return Attempt(None, locked)
    values: dict[str, object] = {"failed_attempts": 0, "locked_until": None}
    if recovery.looks_like_one(code):
        if not recovery.use(conn, user_id, code):
            return _failed(conn, user_id, row.failed_attempts + 1, moment)
    else:
        step = totp.matching_step(
            row.totp_secret, code, last_step=row.totp_last_step, moment=moment.timestamp()
        )
        if step is None:
            return _failed(conn, user_id, row.failed_attempts + 1, moment)
        values["totp_last_step"] = step
    conn.execute(
        user_credentials.update().where(user_credentials.c.user_id == user_id).values(**values)
    )
    return Attempt(user_id)


def open_session(conn: sa.Connection, user_id: int, stage: str) -> Session:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    moment = now()
    conn.execute(
        web_sessions.insert().values(
            token_hash=_hash(token),
            user_id=user_id,
            stage=stage,
            csrf=csrf,
            created_at=moment,
            expires_at=moment + (PENDING_FOR if stage == "password" else SESSION_FOR),
            last_seen_at=moment,
        )
    )
    return Session(user_id, stage, csrf, token)


def session_of(conn: sa.Connection, token: str) -> Session | None:
    """The live session of a cookie's token: not expired, not idle, its user still active.

    Only reads (a page view takes no write lock); :func:`touch` records the activity when
    ``Session.stale`` says it is due.
    """
    if not token:
        return None
    moment = now()
    row = conn.execute(
        sa.select(web_sessions, users.c.active)
        .join(users, users.c.id == web_sessions.c.user_id)
        .where(web_sessions.c.token_hash == _hash(token))
    ).first()
    if row is None:
        return None
    expires, seen = _aware(row.expires_at), _aware(row.last_seen_at)
    assert expires is not None and seen is not None
    if not row.active or expires <= moment or seen + IDLE_FOR <= moment:
        return None
    return Session(row.user_id, row.stage, row.csrf, token, moment - seen >= _TOUCH_EVERY)


def touch(conn: sa.Connection, token: str) -> None:
    conn.execute(
        web_sessions.update()
        .where(web_sessions.c.token_hash == _hash(token))
        .values(last_seen_at=now())
    )


def end_session(conn: sa.Connection, token: str) -> None:
    conn.execute(web_sessions.delete().where(web_sessions.c.token_hash == _hash(token)))


def end_user_sessions(conn: sa.Connection, user_id: int, *, but: str | None = None) -> int:
    """End every session of a user (suspension, new password or second factor); ``but``: the
    token of the session that asked for the change, which goes on."""
    query = web_sessions.delete().where(web_sessions.c.user_id == user_id)
    if but is not None:
        query = query.where(web_sessions.c.token_hash != _hash(but))
    return conn.execute(query).rowcount


def csrf_matches(session: Session, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(session.csrf, presented or "")


def sweep(conn: sa.Connection) -> int:
    """Delete expired and idle sessions (refused anyway; this keeps the table small)."""
    moment = now()
    return conn.execute(
        web_sessions.delete().where(
            (web_sessions.c.expires_at <= moment)
            | (web_sessions.c.last_seen_at <= moment - IDLE_FOR)
        )
    ).rowcount

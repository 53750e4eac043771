"""SFTP accounts: which agencies may log in, with which password hash and public keys.

Only agencies with a row in ``sftp_accounts`` that is enabled get an SFTP user; the user name is
the ORI. Public keys are accepted in the OpenSSH one-line form and in RFC 4716 (the
"---- BEGIN SSH2 PUBLIC KEY ----" form that ssh.com-style agency tools export); both are stored
in the OpenSSH form and matched by their SHA-256 fingerprint.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncssh
import sqlalchemy as sa

from jdx.security import standing, throttle
from jdx.security.passwords import hash_password, needs_rehash, verify_password
from jdx.store.engine import write_transaction
from jdx.store.queries import StoreError, now
from jdx.store.tables import agencies, sftp_accounts, sftp_keys


@dataclass(frozen=True)
class PublicKey:
    fingerprint: str
    comment: str
    openssh: str


def parse_public_key(text: str | bytes) -> PublicKey:
    """One public key, OpenSSH or RFC 4716; StoreError for anything else (or a private key)."""
    if "PRIVATE KEY" in (text.decode(errors="replace") if isinstance(text, bytes) else text):
        # asyncssh would take the public half, but a private key must never travel to the hub
        raise StoreError("that is a private key: send the public key (.pub) only")
    try:
        key = asyncssh.import_public_key(text)
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise StoreError(f"not an SSH public key (OpenSSH or RFC 4716): {exc}") from None
    comment = key.get_comment() or ""
    key.set_comment(None)  # the comment is kept apart; the stored line is the key alone
    openssh = key.export_public_key("openssh").decode().strip()
    return PublicKey(key.get_fingerprint("sha256"), comment[:200], openssh)


def enable(conn: sa.Connection, agency_id: int, password: str | None = None) -> None:
    """Create or re-enable the agency's account; a given password replaces the old one."""
    values: dict[str, object] = {"enabled": True}
    if password is not None:
        values["password_hash"] = hash_password(password)
    updated = conn.execute(
        sftp_accounts.update().where(sftp_accounts.c.agency_id == agency_id).values(**values)
    ).rowcount
    if not updated:
        conn.execute(sftp_accounts.insert().values(agency_id=agency_id, created_at=now(), **values))


def disable(conn: sa.Connection, agency_id: int) -> bool:
    """Refuse the agency's logins from now on (keys and password are kept); False: no account."""
    result = conn.execute(
        sftp_accounts.update().where(sftp_accounts.c.agency_id == agency_id).values(enabled=False)
    )
    return bool(result.rowcount)


def is_enabled(conn: sa.Connection, agency_id: int) -> bool:
    query = sa.select(sftp_accounts.c.enabled).where(sftp_accounts.c.agency_id == agency_id)
    return bool(conn.execute(query).scalar())


def add_key(conn: sa.Connection, agency_id: int, text: str | bytes) -> PublicKey:
    key = parse_public_key(text)
    exists = sa.select(sftp_keys.c.id).where(
        sftp_keys.c.agency_id == agency_id, sftp_keys.c.fingerprint == key.fingerprint
    )
    if conn.execute(exists).first() is None:
        conn.execute(
            sftp_keys.insert().values(
                agency_id=agency_id,
                public_key=key.openssh,
                fingerprint=key.fingerprint,
                comment=key.comment,
                added_at=now(),
            )
        )
    return key


def list_keys(conn: sa.Connection, agency_id: int) -> list[PublicKey]:
    rows = conn.execute(
        sa.select(sftp_keys).where(sftp_keys.c.agency_id == agency_id).order_by(sftp_keys.c.id)
    )
    return [PublicKey(r.fingerprint, r.comment, r.public_key) for r in rows]


def remove_key(conn: sa.Connection, agency_id: int, fingerprint: str) -> bool:
    result = conn.execute(
        sftp_keys.delete().where(
            sftp_keys.c.agency_id == agency_id, sftp_keys.c.fingerprint == fingerprint
        )
    )
    return bool(result.rowcount)


# --- logins ------------------------------------------------------------------------------------

# A suspended agency's account is no account (standing.ACTS): its login is refused, and takes
# as long as any refused login, so the refusal tells a stranger nothing.
_ACCOUNT = (
    sa.select(agencies.c.id, sftp_accounts.c.password_hash)
    .join(sftp_accounts, sftp_accounts.c.agency_id == agencies.c.id)
    .where(agencies.c.ori == sa.bindparam("ori"), sftp_accounts.c.enabled.is_(True), standing.ACTS)
)


CHANNEL = "sftp"  # the throttle's name for SFTP accounts (security/throttle.py)


def password_login(engine: sa.Engine, username: str, password: str, address: str) -> bool:
    """Whether ``username`` (an ORI) has an enabled account with this password, as the throttle
    allows from ``address``: an address that waits, or a guarded account (failures from
    elsewhere) seen from an address without a recent success, is refused before any hash. SFTP
    has no second factor, so a guarded account takes no password from a new address; its own
    known-good addresses and its public keys still work. Raises passwords.Busy (nothing counted)
    when no hashing slot frees up."""
    name, moment = username.upper()[:100], now()
    with engine.connect() as conn:
        verdict = throttle.check(conn, CHANNEL, name, address, moment)
        row = conn.execute(_ACCOUNT, {"ori": name}).first()
    ok, fresh = False, None
    if not (verdict.wait or verdict.guarded):
        stored = row.password_hash if row else None
        ok = verify_password(password, stored)
        fresh = hash_password(password) if ok and stored and needs_rehash(stored) else None
    with write_transaction(engine) as conn:
        if not ok:
            throttle.failed(conn, verdict, moment)
            return False
        throttle.succeeded(conn, CHANNEL, name, address, moment)
        if fresh is not None and row is not None:
            conn.execute(
                sftp_accounts.update()
                .where(sftp_accounts.c.agency_id == row.id, sftp_accounts.c.password_hash == stored)
                .values(password_hash=fresh)
            )
    return True


def key_succeeded(engine: sa.Engine, username: str, address: str) -> None:
    """A key login makes the address known-good for the account, as a password login does
    (called once the signature is verified, never for a key merely offered: a public key is
    public)."""
    with write_transaction(engine) as conn:
        throttle.succeeded(conn, CHANNEL, username.upper()[:100], address, now())


def key_login(engine: sa.Engine, username: str, fingerprint: str) -> bool:
    """Whether ``username`` (an ORI) has an enabled account holding the key of this fingerprint."""
    query = (
        sa.select(sftp_keys.c.id)
        .join(sftp_accounts, sftp_accounts.c.agency_id == sftp_keys.c.agency_id)
        .join(agencies, agencies.c.id == sftp_keys.c.agency_id)
        .where(
            agencies.c.ori == username.upper(),
            sftp_accounts.c.enabled.is_(True),
            sftp_keys.c.fingerprint == fingerprint,
            standing.ACTS,
        )
    )
    with engine.connect() as conn:
        return conn.execute(query).first() is not None

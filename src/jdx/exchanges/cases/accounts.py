"""Import accounts and their client certificates.

Server-to-server access to the import API needs a key of an active, sponsored import account
with the import permission AND a client certificate registered to that same account. The
certificate itself is verified (chain, validity) by the TLS proxy in front of the hub; the hub
checks that the verified certificate is one the account registered, by the SHA-256 fingerprint
of its DER encoding.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

import sqlalchemy as sa

from jdx.exchanges.cases.tables import client_certificates, import_accounts
from jdx.store.queries import now

_PEM = re.compile(
    rb"-----BEGIN CERTIFICATE-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END CERTIFICATE-----"
)


class CertificateError(ValueError):
    """Not a PEM certificate."""


@dataclass(frozen=True, slots=True)
class Account:
    agency_id: int
    sponsor: str
    can_import: bool


@dataclass(frozen=True, slots=True)
class Certificate:
    fingerprint: str
    subject: str
    added_at: str


def certificate_der(pem: bytes) -> bytes:
    """The DER of the first certificate of a PEM text."""
    found = _PEM.search(pem)
    if found is None:
        raise CertificateError("no PEM certificate (-----BEGIN CERTIFICATE-----)")
    try:
        return base64.b64decode(b"".join(found.group(1).split()), validate=True)
    except binascii.Error as exc:
        raise CertificateError(f"the PEM certificate is not valid base64: {exc}") from None


def fingerprint(pem: bytes) -> str:
    """SHA-256 of the certificate's DER, lower-case hex (what `openssl x509 -fingerprint
    -sha256` shows, without the colons)."""
    return hashlib.sha256(certificate_der(pem)).hexdigest()


def normalize_fingerprint(text: str) -> str:
    return text.replace(":", "").strip().lower()


def subject_of(pem: bytes) -> str:
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(certificate_der(pem))
    except ValueError as exc:
        raise CertificateError(f"not an X.509 certificate: {exc}") from None
    return cert.subject.rfc4514_string()


def set_account(
    conn: sa.Connection, agency_id: int, *, sponsor: str | None, can_import: bool | None
) -> Account:
    """Create or change an agency's import account; a new one needs a sponsor."""
    current = get_account(conn, agency_id)
    if current is None:
        if not sponsor:
            raise ValueError("a new import account needs a sponsor (--sponsor)")
        conn.execute(
            import_accounts.insert().values(
                agency_id=agency_id,
                sponsor=sponsor,
                can_import=bool(can_import),
                updated_at=now(),
            )
        )
    else:
        changes: dict[str, object] = {"updated_at": now()}
        if sponsor:
            changes["sponsor"] = sponsor
        if can_import is not None:
            changes["can_import"] = can_import
        conn.execute(
            import_accounts.update()
            .where(import_accounts.c.agency_id == agency_id)
            .values(**changes)
        )
    account = get_account(conn, agency_id)
    assert account is not None
    return account


def get_account(conn: sa.Connection, agency_id: int) -> Account | None:
    row = conn.execute(
        sa.select(import_accounts).where(import_accounts.c.agency_id == agency_id)
    ).first()
    if row is None:
        return None
    return Account(row.agency_id, row.sponsor, bool(row.can_import))


def add_certificate(conn: sa.Connection, agency_id: int, pem: bytes) -> Certificate:
    """Register a certificate to an account; ValueError if another account holds it."""
    fp = fingerprint(pem)
    subject = subject_of(pem)[:500]
    owner = certificate_owner(conn, fp)
    if owner is not None and owner != agency_id:
        raise ValueError(f"certificate {fp} is registered to another account")
    if owner is None:
        conn.execute(
            client_certificates.insert().values(
                fingerprint=fp, agency_id=agency_id, subject=subject, added_at=now()
            )
        )
    return next(c for c in list_certificates(conn, agency_id) if c.fingerprint == fp)


def list_certificates(conn: sa.Connection, agency_id: int) -> list[Certificate]:
    rows = conn.execute(
        sa.select(client_certificates)
        .where(client_certificates.c.agency_id == agency_id)
        .order_by(client_certificates.c.added_at, client_certificates.c.fingerprint)
    )
    return [Certificate(r.fingerprint, r.subject, r.added_at.isoformat()) for r in rows]


def remove_certificate(conn: sa.Connection, agency_id: int, fp: str) -> bool:
    result = conn.execute(
        client_certificates.delete().where(
            client_certificates.c.agency_id == agency_id,
            client_certificates.c.fingerprint == normalize_fingerprint(fp),
        )
    )
    return result.rowcount > 0


def certificate_owner(conn: sa.Connection, fp: str) -> int | None:
    owner = conn.execute(
        sa.select(client_certificates.c.agency_id).where(client_certificates.c.fingerprint == fp)
    ).scalar_one_or_none()
    return int(owner) if owner is not None else None

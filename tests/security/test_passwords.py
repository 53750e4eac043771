"""Password hashes: argon2id with OWASP's parameters; scrypt hashes from before still verify."""

from __future__ import annotations

import base64
import hashlib
import secrets

import pytest

from jdx.security import passwords


def scrypt_hash(password: str) -> str:
    """A hash as the hub stored them before issue 16 (scrypt, N=2^14, r=8, p=1)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=2**14, r=8, p=1, maxmem=64 * 1024**2, dklen=32
    )
    encode = base64.b64encode
    return f"scrypt${2**14}$8$1${encode(salt).decode()}${encode(digest).decode()}"


def test_new_hashes_are_argon2id_with_owasp_parameters() -> None:
    stored = passwords.hash_password("a portal password")
    # OWASP Password Storage Cheat Sheet: m=19456 KiB (19 MiB), t=2, p=1
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords.verify_password("a portal password", stored)
    assert not passwords.verify_password("another password", stored)
    assert not passwords.needs_rehash(stored)


def test_scrypt_hashes_still_verify_and_are_due_for_a_rehash() -> None:
    stored = scrypt_hash("an older password")
    assert passwords.verify_password("an older password", stored)
    assert not passwords.verify_password("a wrong password", stored)
    assert passwords.needs_rehash(stored)


@pytest.mark.parametrize(
    "stored", [None, "", "garbage", "scrypt$1$2$3", "$argon2id$v=19$broken", "scrypt$" + "x$" * 5]
)
def test_a_missing_or_malformed_hash_matches_nothing_after_the_same_work(
    stored: str | None,
) -> None:
    before = passwords.derivations.copy()
    assert not passwords.verify_password("whatever", stored)
    assert passwords.derivations - before == {passwords.PARAMETERS: 1}


def test_no_free_hashing_slot_is_busy() -> None:
    saved = (passwords.current_limit().at_once, passwords.current_limit().wait)
    passwords.limit_concurrency(1, 0.05)
    try:
        with passwords.hashing_slot(), pytest.raises(passwords.Busy):
            passwords.verify_password("whatever", None)
    finally:
        passwords.limit_concurrency(*saved)

"""Passwords (SFTP accounts): stored as scrypt hashes with a random salt, never in clear.

Unlike API keys (256 random bits, see ``keys.py``), a password may be chosen by a person, so it
gets a slow, memory-hard hash. The stored form names its parameters, so they can be raised
later without invalidating the hashes already stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# 16 MiB and ~50 ms per check: slow for a guesser, fine for one login.
_N, _R, _P = 2**14, 8, 1
_SCHEME = "scrypt"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=128 * n * r * p + 1024**2, dklen=32
    )


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64) for a new password."""
    salt = secrets.token_bytes(16)
    digest = _derive(password, salt, _N, _R, _P)
    return f"{_SCHEME}${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored``; a missing or malformed hash matches nothing.

    Without a hash the work is still done, so that an unknown user takes as long to refuse as
    a wrong password (no user enumeration by timing).
    """
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
        if scheme != _SCHEME:
            raise ValueError(scheme)
        expected = base64.b64decode(digest)
        computed = _derive(password, base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        _derive(password, b"\0" * 16, _N, _R, _P)
        return False
    return hmac.compare_digest(expected, computed)


def generate_password() -> str:
    """A password for an agency's SFTP account: 128 random bits, URL-safe characters."""
    return secrets.token_urlsafe(16)

"""Passwords (portal users, SFTP accounts): argon2id hashes with a random salt, never in clear.

Unlike API keys (256 random bits, see ``keys.py``), a password may be chosen by a person, so it
gets a slow, memory-hard hash: argon2id with OWASP's Password Storage Cheat Sheet parameters
(19 MiB of memory, 2 passes, 1 lane; about 0.1 s per check on a busy dev machine). The stored form
(``$argon2id$v=19$m=19456,t=2,p=1$salt$hash``) names its parameters, so they can be raised later:
:func:`needs_rehash` then says which stored hashes to replace at the owner's next login.

Hashes from before issue 16 (``scrypt$n$r$p$salt$hash``, N=2^14) are still verified, and
re-hashed to argon2id at the owner's next successful login (:func:`needs_rehash`).

Every check, of a known user or not, costs one argon2id with the current parameters: an unknown
user or a missing hash is checked against a dummy hash made with the same parameters, so the
time of a refusal says nothing about whether the user exists.

The hashing is capped per process (:func:`limit_concurrency`): at most ``at_once`` hashes run
together, and an attempt that finds no free slot within ``wait`` seconds raises :class:`Busy`
(the portal answers 503 with Retry-After; SFTP refuses the attempt). A flood of logins thus costs
at most ``at_once`` times 19 MiB and ``at_once`` cores, whatever the number of threads asking.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import secrets
import threading
from collections import Counter
from collections.abc import Iterator

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP Password Storage Cheat Sheet (argon2id): "a minimum configuration of 19 MiB of memory,
# an iteration count of 2, and 1 degree of parallelism".
MEMORY_KIB, PASSES, LANES = 19_456, 2, 1
_hasher = PasswordHasher(
    time_cost=PASSES, memory_cost=MEMORY_KIB, parallelism=LANES, hash_len=32, salt_len=16,
    type=Type.ID,
)  # fmt: skip
PARAMETERS = f"argon2id m={MEMORY_KIB},t={PASSES},p={LANES}"
_LEGACY = "scrypt"

# How many key derivations this process ran, by parameters: the operator's view of the load
# (and the tests' proof that an unknown user costs the same hash as a known one).
derivations: Counter[str] = Counter()


class Busy(RuntimeError):
    """Every hashing slot stayed taken for the whole wait: try again later."""

    retry_after = 1


class _Slots:
    """The per-process cap on concurrent hashing. Per process, not per cluster: what it guards
    is this machine's memory and cores."""

    def __init__(self, at_once: int, wait: float) -> None:
        self.at_once, self.wait = at_once, wait
        self.semaphore = threading.BoundedSemaphore(at_once)


_slots = _Slots(4, 5.0)


def limit_concurrency(at_once: int, wait: float) -> None:
    """At most ``at_once`` hashes at a time in this process; wait ``wait`` s for a slot."""
    global _slots
    if (_slots.at_once, _slots.wait) != (at_once, wait):
        _slots = _Slots(at_once, wait)


def current_limit() -> _Slots:
    return _slots


@contextlib.contextmanager
def hashing_slot() -> Iterator[None]:
    """One of the process's hashing slots, held for the block; Busy when none frees up in time."""
    slots = _slots  # the one acquired is the one released, even if the limit changes meanwhile
    if not slots.semaphore.acquire(timeout=slots.wait):
        raise Busy("every password hashing slot is taken")
    try:
        yield
    finally:
        slots.semaphore.release()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    derivations[f"scrypt n={n},r={r},p={p}"] += 1
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=128 * n * r * p + 1024**2, dklen=32
    )


def hash_password(password: str) -> str:
    """The argon2id hash of a new password (Busy when every hashing slot stays taken)."""
    with hashing_slot():
        derivations[PARAMETERS] += 1
        return _hasher.hash(password)


_dummy: str | None = None


def _dummy_hash() -> str:
    """A hash of a random password with the current parameters, made once per process."""
    global _dummy
    if _dummy is None:
        _dummy = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy


def _verify_scrypt(password: str, stored: str) -> bool:
    _scheme, n, r, p, salt, digest = stored.split("$")
    if int(n) > 2**20 or int(r) > 16 or int(p) > 4:
        raise ValueError("scrypt parameters out of range")  # a forged row must not eat memory
    computed = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    return hmac.compare_digest(base64.b64decode(digest), computed)


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored``; a missing or malformed hash matches nothing,
    after the same work as a wrong password (Busy when every hashing slot stays taken)."""
    with hashing_slot():
        if stored and stored.startswith(f"{_LEGACY}$"):
            try:
                return _verify_scrypt(password, stored)
            except ValueError:
                pass
        elif stored and stored.startswith("$argon2"):
            derivations[PARAMETERS] += 1  # the stored hash's own, current ones or not
            try:
                return _hasher.verify(stored, password)
            except (VerificationError, InvalidHashError):  # a mismatch is a VerificationError
                return False
        derivations[PARAMETERS] += 1
        with contextlib.suppress(VerifyMismatchError):
            _hasher.verify(_dummy_hash(), password)
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a hash that just verified should be replaced: scrypt, or older argon2 settings."""
    if not stored.startswith("$argon2id$"):
        return True
    try:
        return _hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def generate_password() -> str:
    """A password for an agency's SFTP account: 128 random bits, URL-safe characters."""
    return secrets.token_urlsafe(16)

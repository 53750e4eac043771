"""Identifiers as the hub compares and writes them: SSN digits, FBI numbers/UCNs and SIDs
without the spaces and dashes real records put in them, a SID with its state's prefix.

Real states send ``220-56-5860`` and ``TX 0134-6790``; the 2.00 format writes one spelling, and
the merge matches portions by these numbers, so every door normalises through here.
"""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"[\s\-./]")
_STATE_PREFIX = re.compile(r"[A-Z]{2}")


def compact(value: str) -> str:
    """Upper case, without spaces, dashes, dots or slashes."""
    return _PUNCTUATION.sub("", value).upper()


def ssn(value: str) -> str | None:
    """The nine digits of a social security number, or None when it has not nine."""
    digits = compact(value)
    return digits if re.fullmatch(r"\d{9}", digits) else None


def fbi_number(value: str) -> str:
    """An FBI number or UCN as letters and digits."""
    return compact(value)


def sid(value: str, state: str = "") -> str:
    """A state identification number with its two-letter state prefix: added from ``state``
    (the responding state) when the number has none."""
    number = compact(value)
    if state and not _STATE_PREFIX.match(number[:2]):
        return f"{state.upper()}{number}"
    return number


def is_fbi_number(value: str) -> bool:
    """Whether a normalised number fits the 2.00 format's FBI number (up to 12 characters)."""
    return bool(_FBI.fullmatch(value))


def is_sid(value: str) -> bool:
    return bool(_SID.fullmatch(value))


_FBI = re.compile(r"[A-Z0-9]{1,12}")
_SID = re.compile(r"[A-Z0-9]{1,14}")

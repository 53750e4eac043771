"""The subject's numbers in one form, wherever they are compared or written (issue 15).

States and the FBI send the same number in several spellings: ``220-56-5860`` and ``220565860``,
``901100 ca1`` and ``901100CA1``, ``TX-01346790``, ``TX01346790`` and, from Texas, ``01346790``.
Compared as received, one person's portions look like two people's and a Rap-Merge entry misses
its portion; merged as received, one number appears twice. Every comparison and every merged
number goes through the functions below.

The forms follow the element dictionary (seed 3.2): an SSN is "nine consecutive numeric
characters with no embedded punctuation"; the FBI number (EFTS 2.014, the UCN in later
specifications) and the SID (EFTS 2.015) are letters and digits, shown upper case in every
example.
"""

from __future__ import annotations

import dataclasses
import re

from jdx.exchanges.rapsheets.model import Identification, RapSheet
from jdx.exchanges.rapsheets.transmission import pattern

# What a sender puts between the parts of a number; nothing else is removed, so a number
# with any other character stays unequal to every clean one instead of being guessed at.
_SEPARATORS = re.compile(r"[\s\-]+")
_STATE = re.compile(r"[A-Z]{2}")
_SSN = re.compile(r"[0-9]{9}")  # ASCII digits: str.isdigit() also takes "²" and "٣"


def _compact(value: str) -> str:
    return _SEPARATORS.sub("", value).upper()


def normal_ssn(value: str | None) -> str | None:
    """The SSN as nine digits; None when it is not nine digits once separators are gone."""
    if value is None:
        return None
    digits = _compact(value)
    return digits if _SSN.fullmatch(digits) else None


def normal_fbi_number(value: str | None) -> str | None:
    """The FBI number (UCN) upper case, without spaces or dashes; None when empty."""
    if value is None:
        return None
    return _compact(value) or None


def normal_sid(value: str | None) -> str | None:
    """The SID upper case, without spaces or dashes; None when empty."""
    if value is None:
        return None
    return _compact(value) or None


def state_code(value: str | None) -> str | None:
    """Two letters that can be a state's code (``TX``), from an ORI or a SID; else None."""
    if not value:
        return None
    head = value.strip()[:2].upper()
    return head if _STATE.fullmatch(head) else None


def sid_matches(a: str | None, b: str | None, state: str | None = None) -> bool:
    """Whether two SIDs are the same number: equal once normalised or, when the issuing
    ``state`` is known, equal once its two-letter prefix is set aside (``TX01346790`` and
    ``01346790`` from Texas). Only the known state's prefix is set aside: the digits of two
    states' SIDs can coincide, and ``OH01346790`` is not Texas's ``01346790``."""
    left, right = normal_sid(a), normal_sid(b)
    if left is None or right is None:
        return False
    if left == right:
        return True
    prefix = state_code(state)
    if prefix is None:
        return False
    return left.removeprefix(prefix) == right.removeprefix(prefix)


def state_sid(value: str, state: str | None) -> str:
    """The SID normalised and, when it has no two-letter prefix and the issuing ``state`` is
    known, with that state's: the form the 2.00 schema requires (``[A-Z]{2}[A-Z0-9]{1,10}``)
    and the one the notification names. Unreadable values stay as received."""
    sid = normal_sid(value)
    if sid is None:
        return value
    prefix = state_code(state)
    return sid if prefix is None or state_code(sid) else prefix + sid


def normalised_identification(ident: Identification, state: str | None = None) -> Identification:
    """``ident`` with its FBI number, SIDs and SSNs each in one spelling (``state``: the
    sender's, for SIDs sent without their prefix). An SSN that is not nine digits is kept as
    received: a number is never dropped because it is misspelt."""
    return dataclasses.replace(
        ident,
        fbi_number=normal_fbi_number(ident.fbi_number),
        sid_numbers=tuple(dict.fromkeys(state_sid(s, state) for s in ident.sid_numbers)),
        ssns=tuple(dict.fromkeys(normal_ssn(s) or s for s in ident.ssns)),
    )


def normalised_numbers(sheet: RapSheet, state: str | None = None) -> RapSheet:
    """The sheet with every subject number in one spelling: the identification's and those
    of the requests its introduction echoes (``state``: the sender's)."""
    requests = tuple(
        dataclasses.replace(
            r,
            fbi_number=normal_fbi_number(r.fbi_number),
            sid_number=state_sid(r.sid_number, state) if r.sid_number else None,
        )
        for r in sheet.introduction.requests
    )
    return dataclasses.replace(
        sheet,
        introduction=dataclasses.replace(sheet.introduction, requests=requests),
        identification=normalised_identification(sheet.identification, state),
    )


# What the 2.00 format can write (its XSD's FbiNumber and SidNumber): a number that does not fit
# is carried by readers as source data instead, so the record stays valid and nothing is lost.


def is_fbi_number(value: str) -> bool:
    """Whether a normalised number fits the 2.00 format's FBI number."""
    return bool(pattern("FbiNumber").fullmatch(value))


def is_sid(value: str) -> bool:
    """Whether a normalised number fits the 2.00 format's SID."""
    return bool(pattern("SidNumber").fullmatch(value))

"""Whether rap sheet portions are one person's record: the rule every merge applies first (issue 15).

The seed merges the portions the FBI/III named for one FBI number (2.3), and "only one FBI number
is specified per criminal history". A portion without an FBI number is still a portion (the FBI
number is mandatory only without a SID, 3.2), so the FBI number alone cannot tell whether it is
the same person. The rule, in order:

1. Two portions that both carry an FBI number (the UCN) are one person exactly when the numbers
   are equal; two different numbers are two people, whatever else agrees.
2. When one lacks it, the portion must agree with the identity the *notification* carries for
   it (the service: the SID the EL01/FL01 names for that responder, see :func:`check_notified`),
   the notification being the FBI/III's own statement of who the record is about.
3. With no notification (``jdx rapsheet merge``), a portion without an FBI number must share a
   SID with another portion, or agree with it on a name (surname and first given name, case
   set aside) *and* a date of birth (see :func:`check_same_subject`). A name alone is not
   enough: two John Joneses are two people until a date of birth says otherwise.

Everything else is refused as a different subject, with a message that names what differs.
Invariants, tested as properties: portions of one person pass in any order; a portion of
another person (another FBI number, or none with other SIDs, names and dates of birth) is
refused in any order. The messages carry the portions' own numbers, for the sender or the
operator; the delivery log never records them (seed 2.5).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from jdx.exchanges.rapsheets.identifiers import normal_fbi_number, normal_sid, sid_matches
from jdx.exchanges.rapsheets.model import Identification


class MergeError(ValueError):
    """The portions cannot be merged into one record."""


class DifferentSubject(MergeError):
    """A portion is not the record of the subject the others (or the notification) are about."""


@dataclass(frozen=True, slots=True)
class Notified:
    """The identity a notification carries for one expected portion.

    ``sid_numbers``: the SID the notification names for the portion's responder (or every SID
    it names, for a portion that answers no state's line); ``state``: the state the portion
    comes from (its sender's ORI), by which a SID sent without its prefix is still read.
    """

    fbi_number: str | None
    sid_numbers: tuple[str, ...]
    responder: str | None = None  # the responder's source, as the notification names it
    state: str | None = None


def described(ident: Identification) -> str:
    """The numbers that identify a portion, as a message shows them."""
    fbi = normal_fbi_number(ident.fbi_number)
    if fbi:
        return f"FBI {fbi}"
    sids = _sids(ident)
    if not sids:
        return "no FBI number, no SID"
    return f"no FBI number, SID {', '.join(sorted(sids))}"


def _sids(ident: Identification) -> set[str]:
    return {s for s in (normal_sid(n) for n in ident.sid_numbers) if s}


def _name_keys(ident: Identification) -> set[tuple[str, str]]:
    """(surname, first given name), case set aside; names without a given name say too little."""
    keys = set()
    for name in ident.names:
        given = (name.first or "").split()
        surname = " ".join(name.last.split()).casefold()
        if surname and given:
            keys.add((surname, given[0].casefold()))
    return keys


def _birthdates(ident: Identification) -> set[str]:
    return {d.strip() for d in ident.birthdates if d and d.strip()}


def shares_sid(a: Identification, b: Identification, state: str | None = None) -> bool:
    return any(sid_matches(x, y, state) for x in a.sid_numbers for y in b.sid_numbers)


def shares_name_and_birthdate(a: Identification, b: Identification) -> bool:
    return bool(_name_keys(a) & _name_keys(b)) and bool(_birthdates(a) & _birthdates(b))


def _linked(a: Identification, b: Identification) -> bool:
    """One person by rule 1 or 3 (FBI numbers never differ here: :func:`_one_fbi_number`)."""
    fa, fb = normal_fbi_number(a.fbi_number), normal_fbi_number(b.fbi_number)
    if fa and fb:
        return fa == fb
    return shares_sid(a, b) or shares_name_and_birthdate(a, b)


def _one_fbi_number(portions: Sequence[tuple[int, Identification]]) -> None:
    first: tuple[int, str] | None = None
    for position, ident in portions:
        fbi = normal_fbi_number(ident.fbi_number)
        if fbi is None:
            continue
        if first is None:
            first = (position, fbi)
        elif fbi != first[1]:
            raise DifferentSubject(
                f"portion {position} (FBI {fbi}) and portion {first[0]} (FBI {first[1]}) name "
                "different FBI numbers: they are two people's records"
            )


def _positions(items: Iterable[tuple[int, Identification]]) -> str:
    listed = [f"{p} ({described(i)})" for p, i in items]
    return ("portion " if len(listed) == 1 else "portions ") + ", ".join(listed)


def check_same_subject(idents: Sequence[Identification]) -> None:
    """Refuse (:class:`DifferentSubject`) unless the portions are one person's (rules 1 and 3).

    The portions are one person when every one is linked to the first by a chain of pairs
    that each agree: the groups such chains make do not depend on the order of arrival, so
    neither does the refusal; the message names the first portion, in the order given, that
    is outside the first one's group. Positions count from 1.
    """
    portions = list(enumerate(idents, 1))
    _one_fbi_number(portions)
    if not portions:
        return
    group = [portions[0]]
    rest = portions[1:]
    grown = True
    while grown:
        joined = [p for p in rest if any(_linked(p[1], g[1]) for g in group)]
        rest = [p for p in rest if p not in joined]
        group.extend(joined)
        grown = bool(joined)
    if rest:
        position, ident = rest[0]
        group.sort(key=lambda p: p[0])
        raise DifferentSubject(
            f"portion {position} ({described(ident)}) shares no SID, and no name with a date "
            f"of birth, with {_positions(group)}: it is another person's record"
        )


def check_notified(ident: Identification, notified: Notified, *, portion: str) -> None:
    """Refuse (:class:`DifferentSubject`) a portion that is not the notified subject's (rules
    1 and 2); ``portion`` names it in the message (e.g. ``"the portion from TX0000000"``).

    The message names the portion's numbers and, of the notification's, only the FBI number
    the responders were asked about: the SIDs of the other states are theirs to give.
    """
    fbi = normal_fbi_number(ident.fbi_number)
    wanted = normal_fbi_number(notified.fbi_number)
    if fbi and wanted:
        if fbi != wanted:
            raise DifferentSubject(
                f"{portion} ({described(ident)}) names another FBI number than the "
                f"notification (FBI {wanted}): it is another person's record"
            )
        return
    if any(
        sid_matches(s, n, notified.state) for s in ident.sid_numbers for n in notified.sid_numbers
    ):
        return
    whose = f" for {notified.responder}" if notified.responder else ""
    raise DifferentSubject(
        f"{portion} ({described(ident)}) carries neither the FBI number nor the SID the "
        f"notification names{whose}: it is not the record of the subject being merged"
    )

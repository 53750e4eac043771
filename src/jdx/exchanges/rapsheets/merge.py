"""Content merge of rap sheet portions into one national rap sheet (seed 2.5, 2.6, Tables 1-3).

The general rule (2.6): an element is a duplicate only when every subfield is identical, except
the subfields that carry the reporting agency or date; Tables 1-3 then name each exception, and
each has its function below. Two decisions make the merge a function of the *set* of portions,
not of their arrival order, and so testable as a property:

- the seed says the order of occurrences in the identification "has no significance", so each
  merged list comes out in one canonical order (sorted), whatever the order of receipt;
- where a rule keeps one of several matching items (height, photo, SMT...), it keeps the same one
  whichever came first: the most recent date, then the canonical order.

Only two things depend on arrival, both by the seed's word: caveats stay in order of receipt
(2.6.1), and agency information keeps the first occurrence of an ORI (2.6.4).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from jdx.exchanges.rapsheets.identifiers import normal_fbi_number, normal_sid, normal_ssn
from jdx.exchanges.rapsheets.identity import DifferentSubject as DifferentSubject
from jdx.exchanges.rapsheets.identity import MergeError as MergeError
from jdx.exchanges.rapsheets.identity import check_same_subject
from jdx.exchanges.rapsheets.model import (
    AgencyInfo,
    CaveatInfo,
    Cycle,
    EyeColorInfo,
    HairColorInfo,
    HeightInfo,
    Holding,
    Identification,
    Introduction,
    MiscId,
    RapSheet,
    Residence,
    SmtInfo,
    WeightInfo,
)
from jdx.exchanges.rapsheets.summary import highest_iffs

T = TypeVar("T")
C = TypeVar("C", EyeColorInfo, HairColorInfo)

# "Up to N ... may be accommodated" (Tables 1-3): the capacities of NLETS' merge. jdx keeps every
# item (dropping part of a criminal history is worse than a long one, and 2.7 says the format
# limits nothing) and reports where a merged sheet exceeds them: see :func:`over_limits`.
LIMITS = {
    "requests": 100,
    "caveats": 20,
    "names": 100,
    "sid_numbers": 10,
    "ssns": 10,
    "misc_ids": 20,
    "drivers_licenses": 5,
    "birthplaces": 20,
    "citizenships": 20,
    "birthdates": 10,
    "sexes": 3,
    "races": 5,
    "heights": 10,
    "weights": 10,
    "eye_colors": 10,
    "hair_colors": 10,
    "fp_pattern_classes": 5,
    "photos": 10,
    "dna": 20,
    "smts": 100,
    "employments": 20,
    "residences": 20,
    "cautions": 5,
    "offender_notices": 20,
    "comments": 10,
    "agencies": 100,
}


def _canon(item: object) -> str:
    # repr of a frozen dataclass of strings, ints and tuples is a total, stable order.
    return repr(item)


def _latest(dates: Iterable[str | None]) -> str | None:
    return max((d for d in dates if d), default=None)


def distinct(items: Iterable[T]) -> tuple[T, ...]:
    """Exact-match duplicates suppressed (the general rule), in canonical order."""
    return tuple(sorted(set(items), key=_canon))


def _groups(items: Iterable[T], key: Callable[[T], Hashable]) -> list[list[T]]:
    out: dict[Hashable, list[T]] = {}
    for item in items:
        out.setdefault(key(item), []).append(item)
    return list(out.values())


def _most_recent(group: list[T], date: Callable[[T], str | None]) -> T:
    """The item a duplicate group keeps: most recent date, then canonical order."""
    return min(group, key=lambda i: (_negate(date(i)), _canon(i)))


def _negate(date: str | None) -> str:
    # A sort key that puts the most recent CCYYMMDD first and undated last.
    return "".join(chr(ord("9") - ord(c) + ord("0")) for c in date) if date else "~"


def merge_heights(items: Iterable[HeightInfo]) -> tuple[HeightInfo, ...]:
    """Only the height must match (601 feet-inches is 73 inches); the most recent date stays."""
    kept = []
    for group in _groups(items, lambda h: h.inches):
        best = _most_recent(group, lambda h: h.date)
        kept.append(dataclasses.replace(best, date=_latest(h.date for h in group)))
    return distinct(kept)


def merge_weights(items: Iterable[WeightInfo]) -> tuple[WeightInfo, ...]:
    """Only the weight must match; the most recent date stays."""
    kept = [_most_recent(g, lambda w: w.date) for g in _groups(items, lambda w: int(w.weight))]
    return distinct(kept)


def _connected(items: Iterable[T], same: Callable[[T, T], bool]) -> list[list[T]]:
    """Items joined into groups wherever ``same`` links two of them, directly or by a chain.

    "Either item matches" (colour, photo) is not transitive; its connected groups are, and
    they are the same whatever order the items arrive in.
    """
    groups: list[list[T]] = []
    for item in sorted(set(items), key=_canon):
        joined = [g for g in groups if any(same(item, other) for other in g)]
        groups = [g for g in groups if g not in joined] + [[item, *(i for g in joined for i in g)]]
    return groups


def merge_colors(items: Iterable[C]) -> tuple[C, ...]:
    """Eye and hair colour: a duplicate if *either* item, colour or date, matches (Table 2).

    Each connected group keeps its most recent report.
    """

    def same(a: C, b: C) -> bool:
        return _color(a) == _color(b) or bool(a.date and a.date == b.date)

    return distinct(_most_recent(g, lambda i: i.date) for g in _connected(items, same))


def _color(item: EyeColorInfo | HairColorInfo) -> str:
    return item.eye_color if isinstance(item, EyeColorInfo) else item.hair_color


def merge_holdings_by_agency(items: Iterable[Holding]) -> tuple[Holding, ...]:
    """Photo: a duplicate when the agency ORI *or* the agency name matches; most recent date."""
    kept = []
    for group in _connected(items, _same_agency):
        best = _most_recent(group, lambda h: h.date)
        kept.append(dataclasses.replace(best, date=_latest(h.date for h in group)))
    return distinct(kept)


def _same_agency(a: Holding, b: Holding) -> bool:
    return bool(
        (a.agency_ori and a.agency_ori == b.agency_ori)
        or (a.agency_name and a.agency_name == b.agency_name)
    )


def merge_smts(items: Iterable[SmtInfo]) -> tuple[SmtInfo, ...]:
    """Scars, marks, tattoos: the SMT text (or code) and the agency ORI identify a duplicate."""
    kept = []
    for group in _groups(items, lambda s: (s.smt, s.code, s.agency_ori)):
        best = _most_recent(group, lambda s: s.date)
        kept.append(dataclasses.replace(best, date=_latest(s.date for s in group)))
    return distinct(kept)


def _absorb_unspecified(
    items: Iterable[T], key: Callable[[T], Hashable], optional: Callable[[T], object]
) -> tuple[T, ...]:
    """Items equal on ``key``: those with the optional part all stay; one without it is a
    duplicate of one with it ("if specified, it is retained")."""
    kept: list[T] = []
    for group in _groups(set(items), key):
        specified = [i for i in group if optional(i) is not None]
        kept.extend(specified or group[:1])
    return distinct(kept)


def merge_misc_ids(items: Iterable[MiscId]) -> tuple[MiscId, ...]:
    """The number and, if specified, the type must match; a specified type is retained."""
    return _absorb_unspecified(items, lambda m: m.number, lambda m: m.type)


def merge_residences(items: Iterable[Residence]) -> tuple[Residence, ...]:
    """The address and, if provided, the date identify duplicates; a lone date is retained."""
    return _absorb_unspecified(items, lambda r: r.address, lambda r: r.date)


def _fbi_number(idents: Sequence[Identification]) -> str | None:
    numbers = {n for n in (normal_fbi_number(i.fbi_number) for i in idents) if n}
    if len(numbers) > 1:
        # "Only one FBI number is specified per criminal history": two mean two people. The
        # identity check refuses this first; this is the last guard of the merged record.
        raise DifferentSubject(
            f"the portions name different FBI numbers: {', '.join(sorted(numbers))}"
        )
    return next(iter(numbers), None)


def _numbers(values: Iterable[str], normal: Callable[[str], str | None]) -> tuple[str, ...]:
    """Numbers in one spelling each, so that one number sent two ways is kept once; a value
    the normaliser cannot read (an SSN of eight digits) is kept as received, never dropped."""
    return distinct((normal(v) or v.strip()) for v in values)


def merge_identification(idents: Sequence[Identification], *, as_of: str) -> Identification:
    def every(name: str) -> list[Any]:
        return [item for i in idents for item in getattr(i, name)]

    def kept(name: str) -> tuple[Any, ...]:
        return distinct(every(name))

    iffs = [i.iffs_disqualified for i in idents if i.iffs_disqualified]
    return Identification(
        names=kept("names"),
        fbi_number=_fbi_number(idents),
        sid_numbers=_numbers(every("sid_numbers"), normal_sid),
        correctional_numbers=kept("correctional_numbers"),
        ssns=_numbers(every("ssns"), normal_ssn),
        misc_ids=merge_misc_ids(every("misc_ids")),
        drivers_licenses=kept("drivers_licenses"),
        birthplaces=kept("birthplaces"),
        birthdates=kept("birthdates"),
        citizenships=kept("citizenships"),
        sexes=kept("sexes"),
        races=kept("races"),
        heights=merge_heights(every("heights")),
        weights=merge_weights(every("weights")),
        eye_colors=merge_colors(every("eye_colors")),
        hair_colors=merge_colors(every("hair_colors")),
        skin_tones=kept("skin_tones"),
        fp_pattern_classes=kept("fp_pattern_classes"),
        palm_prints=kept("palm_prints"),
        photos=merge_holdings_by_agency(every("photos")),
        dna=kept("dna"),
        smts=merge_smts(every("smts")),
        employments=kept("employments"),
        residences=merge_residences(every("residences")),
        # Never checked for duplicates (Table 2): every one stays, in canonical order.
        cautions=tuple(sorted(every("cautions"), key=_canon)),
        iffs_disqualified=highest_iffs(iffs, as_of=as_of),
        offender_notices=tuple(sorted(every("offender_notices"), key=_canon)),
        comments=tuple(sorted(every("comments"), key=_canon)),
        ethnicities=kept("ethnicities"),
        blood_types=kept("blood_types"),
        marital_statuses=kept("marital_statuses"),
        # A registration reported by any responder stands: "false" from one state does not
        # undo another state's registry.
        registered_offender=max(
            (i.registered_offender for i in idents if i.registered_offender), default=None
        ),
        death_dates=kept("death_dates"),
        protection_orders=kept("protection_orders"),
        source_data=kept("source_data"),
    )


def merge_introductions(intros: Sequence[Introduction]) -> Introduction:
    """Requests de-duplicated on every item; caveats never, in order of receipt (2.6.1)."""
    return Introduction(
        requests=distinct(r for i in intros for r in i.requests),
        caveats=tuple(c for i in intros for c in i.caveats),
    )


def merge_cycles(cycles: Iterable[Cycle]) -> tuple[Cycle, ...]:
    """Cycles whole, earliest event date first (2.6.3).

    A cycle identical in every element to another is the same event reported twice (the FBI
    and a state, or one portion sent twice) and is kept once: the general rule of 2.6.
    """
    by_date: dict[str, list[Cycle]] = {}
    for item in set(cycles):
        by_date.setdefault(item.earliest_date, []).append(item)
    # The order of (date, canonical form), but the canonical form (the repr of a whole cycle,
    # most of a merge's time when computed for every cycle) only where cycles share a date.
    ordered: list[Cycle] = []
    for date in sorted(by_date):
        same = by_date[date]
        ordered.extend(same if len(same) == 1 else sorted(same, key=_canon))
    return tuple(ordered)


def merge_agencies(lists: Iterable[Iterable[AgencyInfo]]) -> tuple[AgencyInfo, ...]:
    """Sorted by ORI; an ORI in several portions keeps the first occurrence's contact data."""
    first: dict[str, AgencyInfo] = {}
    for agencies in lists:
        for agency in agencies:
            first.setdefault(agency.agency_ori, agency)
    return tuple(first[ori] for ori in sorted(first))


def merge_rap_sheets(
    portions: Sequence[RapSheet], *, as_of: str | None = None, notified: bool = False
) -> RapSheet:
    """One composite rap sheet from the portions, in order of receipt.

    The portions must be one person's (:func:`~jdx.exchanges.rapsheets.identity.check_same_subject`,
    else :class:`DifferentSubject`), unless ``notified``: the service checked each against the
    EL01/FL01 notification as it arrived (``identity.check_notified``), and the notification,
    not the portions' names and dates, says whose record they are. Two FBI numbers are
    refused either way.

    A portion equal to one already received is the same responder's sheet sent twice and is
    ignored (seed 2.3: "duplicate responder state rap sheets being ignored"). The summary is
    not merged: the hub makes it on delivery (2.6.5), so the result has none.
    ``as_of`` (CCYYMMDD, default today in UTC) picks the IFFS precedence (before or after
    13 May 2001).
    """
    unique: list[RapSheet] = []
    for portion in portions:
        if portion not in unique:
            unique.append(portion)
    if not notified:
        # On the portions as given, so that the message counts them as the caller does.
        check_same_subject([p.identification for p in portions])
    day = as_of or datetime.now(UTC).strftime("%Y%m%d")
    return RapSheet(
        introduction=merge_introductions([p.introduction for p in unique]),
        identification=merge_identification([p.identification for p in unique], as_of=day),
        cycles=merge_cycles(c for p in unique for c in p.cycles),
        agencies=merge_agencies(p.agencies for p in unique),
        source_data=distinct(item for p in unique for item in p.source_data),
        summary=None,
    )


def add_timeout_caveat(sheet: RapSheet, missing: Sequence[str]) -> RapSheet:
    """The sheet with one caveat per portion that did not arrive in time (seed 2.5).

    ``missing`` names each portion as the notification did, e.g. ``"TEXAS - STATE
    ID/TX01346790"``; the caveats go after those of the states, in the order given.
    """
    added = tuple(
        CaveatInfo(
            caveat=(
                f"INCOMPLETE RECORD: the portion from {label} was not received before the "
                "time limit and is not included."
            )
        )
        for label in missing
    )
    intro = dataclasses.replace(sheet.introduction, caveats=sheet.introduction.caveats + added)
    return dataclasses.replace(sheet, introduction=intro)


def add_text_caveat(sheet: RapSheet, passed: Sequence[str]) -> RapSheet:
    """The sheet with one caveat per expected portion that arrived as plain text (seed 2.2:
    passed through unprocessed), saying it was delivered separately and is not merged in."""
    added = tuple(
        CaveatInfo(
            caveat=(
                f"SEPARATE PORTION: the portion from {label} was received as plain text and "
                "delivered separately; it is not merged into this record."
            )
        )
        for label in passed
    )
    intro = dataclasses.replace(sheet.introduction, caveats=sheet.introduction.caveats + added)
    return dataclasses.replace(sheet, introduction=intro)


def over_limits(sheet: RapSheet) -> dict[str, int]:
    """Elements of a merged sheet that hold more items than Tables 1-3 accommodate."""
    counts = {
        "requests": len(sheet.introduction.requests),
        "caveats": len(sheet.introduction.caveats),
        "agencies": len(sheet.agencies),
    }
    for name in LIMITS:
        if hasattr(sheet.identification, name):
            counts[name] = len(getattr(sheet.identification, name))
    return {name: n for name, n in counts.items() if n > LIMITS[name]}

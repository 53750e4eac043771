"""The summary record of seed 2.6.5, Table 4: counted from the cycles, never merged.

Every total is a recount of the sheet as delivered, so a single-state sheet and a merged one get
their summary the same way, and a test can recount independently and compare.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Iterator

from jdx.exchanges.rapsheets import severity as severity_table
from jdx.exchanges.rapsheets.model import (
    CONVICTED,
    FAILURE_TO_APPEAR,
    REVOCATIONS,
    Charge,
    RapSheet,
    Severity,
    SeverityCounts,
    Summary,
    SummaryCaution,
)

# IFFS (Identification for Firearm Sales) precedence, highest first (Tables 2 and 4).
IFFS_CUTOVER = "20010513"
IFFS_BEFORE = ("F", "X", "M")
IFFS_AFTER = ("D", "X", "C")

_FIELD_OF = {
    Severity.FELONY: "felony",
    Severity.MISDEMEANOR: "misdemeanor",
    Severity.LOCAL_ORDINANCE: "local_ordinance",
    Severity.OTHER: "other",
    Severity.UNKNOWN: "unknown",
}


def highest_iffs(values: Iterable[str], *, as_of: str) -> str | None:
    """The highest IFFS value: F > X > M before 13 May 2001, D > X > C from that day on.

    The seed does not say what becomes of a code of the other era; jdx ranks such codes below
    every code of the current era (in their own era's order), so they never outrank a current
    value yet are not lost when nothing else was reported.
    """
    era, other = (IFFS_BEFORE, IFFS_AFTER) if as_of < IFFS_CUTOVER else (IFFS_AFTER, IFFS_BEFORE)
    order = era + tuple(v for v in other if v not in era)
    ranked = [v for v in values if v in order]
    return min(ranked, key=order.index) if ranked else None


def _counts(severities: Iterable[Severity]) -> SeverityCounts:
    tally = Counter(_FIELD_OF[s] for s in severities)
    return SeverityCounts(**tally)


def summarize(sheet: RapSheet, *, as_of: str) -> Summary:
    """Table 4 for the sheet. Charges and convictions count each charge once, whatever its
    number of counts; "arrests" are the cycles that hold an arrest segment."""
    cycles = sheet.cycles
    court_charges = [ch for c in cycles for court in c.courts for ch in court.charges]
    dates = [c.earliest_date for c in cycles if c.earliest_date]
    ident = sheet.identification
    return Summary(
        cautions=tuple(SummaryCaution(c.caution, c.date) for c in ident.cautions),
        iffs_disqualified=highest_iffs(
            [ident.iffs_disqualified] if ident.iffs_disqualified else [], as_of=as_of
        ),
        total_arrests=sum(1 for c in cycles if c.arrests),
        total_charges=_counts(
            ch.severity for c in cycles for arrest in c.arrests for ch in arrest.charges
        ),
        total_convictions=_counts(
            ch.severity for ch in court_charges if ch.action_type == CONVICTED
        ),
        total_failures_to_appear=sum(
            1 for ch in court_charges if ch.action_type == FAILURE_TO_APPEAR
        ),
        total_revocations=sum(1 for ch in court_charges if ch.action_type in REVOCATIONS),
        first_event_date=min(dates, default=None),
        last_event_date=max(dates, default=None),
        unknown_severity_codes=unknown_severity_codes(sheet),
    )


def unknown_severity_codes(sheet: RapSheet) -> tuple[str, ...]:
    """The severity codes of the sheet's charges that no row of the severity table knows."""
    found = {
        charge.severity_class
        for charge in all_charges(sheet)
        if charge.severity_class and not severity_table.is_known(charge.severity_class)
    }
    return tuple(sorted(found))


def all_charges(sheet: RapSheet) -> Iterator[Charge]:
    """Every charge of every segment of every cycle."""
    for cycle in sheet.cycles:
        for segments in (
            cycle.arrests,
            cycle.juvenile,
            cycle.prosecutions,
            cycle.courts,
            cycle.custody,
            cycle.supervision,
        ):
            for segment in segments:
                yield from segment.charges
        for sentencing in cycle.sentencings:
            for sentence in sentencing.sentences:
                yield from sentence.charges


def with_summary(sheet: RapSheet, *, as_of: str) -> RapSheet:
    """The sheet as delivered: its summary last (seed 2.7)."""
    return dataclasses.replace(sheet, summary=summarize(sheet, as_of=as_of))

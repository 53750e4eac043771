"""The severity table (data, not code): state classes to Table 4's classes, unknown codes
named in the summary rather than silently counted as Other."""

from __future__ import annotations

import dataclasses

import pytest

from jdx.exchanges.rapsheets import severity
from jdx.exchanges.rapsheets.model import Severity
from jdx.exchanges.rapsheets.summary import summarize
from tests.exchanges.rapsheets.builders import cycle, sheet


@pytest.mark.parametrize(
    ("code", "state", "expected"),
    [
        ("FA", "", Severity.FELONY),
        ("F3", "TX", Severity.FELONY),
        ("FS", "TX", Severity.FELONY),
        ("FH", "NC", Severity.FELONY),
        ("MD", "", Severity.MISDEMEANOR),
        ("PM", "HI", Severity.MISDEMEANOR),
        ("VL", "", Severity.OTHER),
        ("LO", "", Severity.LOCAL_ORDINANCE),
        ("felony", "", Severity.FELONY),
        (None, "", Severity.UNKNOWN),
    ],
)
def test_state_classes_map_to_the_seed_classes(
    code: str | None, state: str, expected: Severity
) -> None:
    found = severity.classify(code, state)
    assert found.severity is expected and found.known


def test_a_state_row_wins_over_the_row_for_every_state() -> None:
    assert severity.classify("FC", "TX").label == "Capital felony"
    assert severity.classify("FC", "HI").label == "Class C felony"


def test_an_unknown_code_counts_as_unknown_and_is_named_in_the_summary() -> None:
    assert severity.classify("ZQ", "TX") == severity.Classified(Severity.UNKNOWN, None, False)
    base = cycle("20010101")
    charge = dataclasses.replace(
        base.arrests[0].charges[0], severity=Severity.UNKNOWN, severity_class="ZQ"
    )
    arrest = dataclasses.replace(base.arrests[0], charges=(charge,))
    record = sheet("TX", "TX01346790", cycles=(dataclasses.replace(base, arrests=(arrest,)),))
    summary = summarize(record, as_of="20261206")
    assert summary.total_charges.unknown == 1 and summary.total_charges.other == 0
    assert summary.unknown_severity_codes == ("ZQ",)

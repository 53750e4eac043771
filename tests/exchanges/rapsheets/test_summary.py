"""The summary record of Table 4."""

from __future__ import annotations

from jdx.exchanges.rapsheets.model import CautionInfo, Cycle, Severity, SeverityCounts
from jdx.exchanges.rapsheets.summary import highest_iffs, summarize
from tests.exchanges.rapsheets.builders import cycle, sheet

F, M, L = Severity.FELONY, Severity.MISDEMEANOR, Severity.LOCAL_ORDINANCE


def test_table_4_counts() -> None:
    s = sheet(
        "TX",
        "TX1",
        cautions=(CautionInfo("ARMED", "19990101", "TX"), CautionInfo("ESCAPE RISK")),
        iffs_disqualified="D",
        cycles=(
            cycle(
                "19990101",
                charges=(("THEFT", F, 3), ("DUI", M, None)),
                actions=((F, "310"), (M, "401")),
            ),
            cycle(
                "20030505",
                charges=(("LITTER", L, None),),
                actions=((L, "310"), (M, "501"), (M, "504")),
            ),
            Cycle(earliest_date="20100101"),  # a cycle without an arrest segment
        ),
    )
    summary = summarize(s, as_of="20240101")
    assert [c.caution for c in summary.cautions] == ["ARMED", "ESCAPE RISK"]
    assert summary.iffs_disqualified == "D"
    assert summary.total_arrests == 2
    assert summary.total_charges == SeverityCounts(felony=1, misdemeanor=1, local_ordinance=1)
    assert summary.total_convictions == SeverityCounts(felony=1, local_ordinance=1)
    assert summary.total_failures_to_appear == 1
    assert summary.total_revocations == 2
    assert (summary.first_event_date, summary.last_event_date) == ("19990101", "20100101")


def test_an_empty_record_has_zero_counts_and_no_dates() -> None:
    summary = summarize(sheet("TX", "TX1"), as_of="20240101")
    assert summary.total_arrests == 0 and summary.first_event_date is None


def test_iffs_precedence_before_and_after_13_may_2001() -> None:
    assert highest_iffs(["M", "X", "F"], as_of="20010512") == "F"
    assert highest_iffs(["M", "X"], as_of="20010512") == "X"
    assert highest_iffs(["C", "X", "D"], as_of="20010513") == "D"
    assert highest_iffs(["C", "X"], as_of="20240101") == "X"
    assert highest_iffs(["C"], as_of="20240101") == "C"
    # A code of the other era never outranks one of the current era, but is not lost.
    assert highest_iffs(["F", "C"], as_of="20240101") == "C"
    assert highest_iffs(["F"], as_of="20240101") == "F"
    assert highest_iffs([], as_of="20240101") is None

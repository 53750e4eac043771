"""Properties of the merge and the summary, over generated portions."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from jdx.exchanges.rapsheets.merge import merge_rap_sheets
from jdx.exchanges.rapsheets.model import (
    AgencyInfo,
    CautionInfo,
    CaveatInfo,
    EyeColorInfo,
    HairColorInfo,
    HeightInfo,
    Holding,
    MiscId,
    RapSheet,
    Residence,
    Severity,
    SmtInfo,
    SubjectName,
    WeightInfo,
)
from jdx.exchanges.rapsheets.summary import summarize
from tests.exchanges.rapsheets.builders import FBI, cycle, sheet

AS_OF = "20240101"
dates = st.sampled_from([None, "19900101", "19950505", "20000101"])
some_dates = st.sampled_from(["19900101", "19950505", "20000101", "20100101"])


def few(strategy: st.SearchStrategy[object]) -> st.SearchStrategy[tuple[object, ...]]:
    return st.lists(strategy, max_size=3).map(tuple)


cycles = st.builds(
    cycle,
    some_dates,
    ori=st.sampled_from(["TX1010000", "NC0000001"]),
    charges=few(
        st.tuples(
            st.sampled_from(["THEFT", "DUI"]),
            st.sampled_from(list(Severity)),
            st.sampled_from([None, 2]),
        )
    ),
    actions=few(
        st.tuples(
            st.sampled_from(list(Severity)), st.sampled_from(["310", "401", "501", "504", "999"])
        )
    ),
)
# One contact per ORI: "first occurrence wins" is then the same whichever portion comes first.
agencies = st.sampled_from(["TX1010000", "NC0000001", "CA0190000"]).map(
    lambda ori: AgencyInfo(ori, f"AGENCY {ori}", phone="555")
)


@st.composite
def portions(draw: st.DrawFn) -> RapSheet:
    state = draw(st.sampled_from(["TX", "NC", "CA"]))
    return sheet(
        state,
        draw(st.sampled_from(["TX1", "NC2", "CA3"])),
        caveat=draw(st.sampled_from([None, "USE GOVERNED BY LAW", "SEALED IN PART"])),
        cycles=draw(few(cycles)),
        agencies=draw(few(agencies)),
        names=draw(
            few(
                st.builds(
                    SubjectName,
                    st.sampled_from(["JONES", "SMITH"]),
                    st.sampled_from([None, "JOHN"]),
                )
            )
        ),
        misc_ids=draw(
            few(
                st.builds(
                    MiscId, st.sampled_from([None, "Army", "Passport"]), st.sampled_from(["1", "2"])
                )
            )
        ),
        heights=draw(
            few(
                st.sampled_from(
                    [
                        HeightInfo("601", None),
                        HeightInfo("73", "inches", "19990101"),
                        HeightInfo("510", "feetinches", "20000101"),
                    ]
                )
            )
        ),
        weights=draw(few(st.builds(WeightInfo, st.sampled_from(["180", "200"]), st.none(), dates))),
        eye_colors=draw(
            few(st.builds(EyeColorInfo, st.sampled_from(["Blue", "Brown", "Green"]), dates))
        ),
        hair_colors=draw(few(st.builds(HairColorInfo, st.sampled_from(["Black", "Brown"]), dates))),
        photos=draw(
            few(
                st.builds(
                    Holding,
                    st.sampled_from([None, "TX1010000"]),
                    st.sampled_from(["PD", "SO"]),
                    st.none(),
                    st.none(),
                    dates,
                )
            )
        ),
        smts=draw(
            few(
                st.builds(
                    SmtInfo,
                    st.sampled_from(["TX1010000", "NC0000001"]),
                    st.none(),
                    st.sampled_from(["SC ARM", "TAT"]),
                    st.none(),
                    st.none(),
                    st.none(),
                    dates,
                )
            )
        ),
        residences=draw(few(st.builds(Residence, st.sampled_from(["1 MAIN", "2 OAK"]), dates))),
        cautions=draw(few(st.builds(CautionInfo, st.sampled_from(["ARMED", "ESCAPE"])))),
        iffs_disqualified=draw(st.sampled_from([None, "D", "X", "C"])),
    )


def without_caveat_order(sheet_: RapSheet) -> RapSheet:
    caveats = tuple(sorted(sheet_.introduction.caveats, key=repr))
    return dataclasses.replace(
        sheet_, introduction=dataclasses.replace(sheet_.introduction, caveats=caveats)
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(portions(), min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_merge_does_not_depend_on_arrival_order_but_for_caveats(
    parts: list[RapSheet], rnd: object
) -> None:
    shuffled = list(parts)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    first = merge_rap_sheets(parts, as_of=AS_OF)
    second = merge_rap_sheets(shuffled, as_of=AS_OF)
    assert without_caveat_order(first) == without_caveat_order(second)


def strip_undeduplicated(sheet_: RapSheet) -> RapSheet:
    """The copy another responder would send: everything but what is never de-duplicated."""
    ident = dataclasses.replace(
        sheet_.identification, cautions=(), offender_notices=(), comments=()
    )
    intro = dataclasses.replace(sheet_.introduction, caveats=())
    return dataclasses.replace(sheet_, identification=ident, introduction=intro)


@settings(max_examples=150, deadline=None)
@given(portions())
def test_merging_a_record_with_itself_gives_the_same_record(part: RapSheet) -> None:
    record = merge_rap_sheets([part], as_of=AS_OF)
    assert merge_rap_sheets([record], as_of=AS_OF) == record
    assert merge_rap_sheets([record, record], as_of=AS_OF) == record
    assert merge_rap_sheets([record, strip_undeduplicated(record)], as_of=AS_OF) == record


@settings(max_examples=150, deadline=None)
@given(st.lists(portions(), min_size=1, max_size=3))
def test_summary_equals_a_recount(parts: list[RapSheet]) -> None:
    record = merge_rap_sheets(parts, as_of=AS_OF)
    summary = summarize(record, as_of=AS_OF)
    arrests = charges = convictions = fta = revocations = 0
    for c in record.cycles:
        arrests += bool(c.arrests)
        for segment in c.arrests:
            charges += len(segment.charges)
        for court in c.courts:
            for charge in court.charges:
                convictions += charge.action_type == "310"
                fta += charge.action_type == "401"
                revocations += charge.action_type in {"501", "502", "503", "504"}
    assert summary.total_arrests == arrests
    assert summary.total_charges.total == charges
    assert summary.total_convictions.total == convictions
    assert (summary.total_failures_to_appear, summary.total_revocations) == (fta, revocations)
    assert [c.caution for c in summary.cautions] == [
        c.caution for c in record.identification.cautions
    ]
    if record.cycles:
        assert summary.first_event_date == record.cycles[0].earliest_date
        assert summary.last_event_date == record.cycles[-1].earliest_date
    assert record.identification.fbi_number == FBI


def test_caveats_are_generated_so_that_their_order_is_what_differs() -> None:
    a, b = sheet("TX", "TX1", caveat="A"), sheet("NC", "NC2", caveat="B")
    assert merge_rap_sheets([a, b], as_of=AS_OF) != merge_rap_sheets([b, a], as_of=AS_OF)
    assert CaveatInfo("TX", "A") in merge_rap_sheets([a, b], as_of=AS_OF).introduction.caveats

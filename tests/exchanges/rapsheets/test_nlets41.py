"""Nlets Rap Sheet 4.1 portions read into the model; plain text passed through untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from jdx.exchanges.rapsheets.merge import merge_rap_sheets
from jdx.exchanges.rapsheets.model import CustodySegment, Severity
from jdx.exchanges.rapsheets.nlets41 import court_action_type
from jdx.exchanges.rapsheets.portions import PlainTextRapSheet, read_portion
from jdx.exchanges.rapsheets.summary import summarize
from jdx.exchanges.rapsheets.transmission import (
    RapSheetFormatError,
    read_rap_sheet,
    write_rap_sheet,
)
from tests.exchanges.rapsheets.builders import sheet

FIXTURES = Path(__file__).parent / "fixtures"


def nlets41() -> object:
    return read_portion((FIXTURES / "nlets41-tx.xml").read_bytes())


def test_identification_and_introduction_are_read() -> None:
    s = nlets41()
    assert not isinstance(s, PlainTextRapSheet)
    ident = s.identification  # type: ignore[union-attr]
    assert ident.fbi_number == "901100" and ident.sid_numbers == ("TX01346790",)
    assert ident.names[0].last == "JONES" and ident.names[0].middle == "P"
    assert ident.birthdates == ("19530212",) and ident.ssns == ("220565860",)
    assert ident.sexes == ("Unknown",)  # 4.1 "Other" is not a 2.00 code
    # "Blonde Or Strawberry" is 2.00's Blonde; the code as sent is kept in the source data.
    assert ident.hair_colors[0].hair_color == "Blonde"
    assert ("rap:PersonHairColorText", "Blonde Or Strawberry") in {
        (i.path, i.value) for i in ident.source_data
    }
    assert ident.heights[0].inches == 73 and ident.weights[0].weight == "180"
    assert ident.cautions[0].caution == "ARMED AND DANGEROUS"
    intro = s.introduction  # type: ignore[union-attr]
    assert intro.caveats[0].state == "TX"
    assert intro.requests[0].purpose_code == "C" and intro.requests[0].fbi_number == "901100"


def test_cycles_segments_agencies_and_disposition_codes() -> None:
    s = nlets41()
    first, second = s.cycles  # type: ignore[union-attr]
    assert first.earliest_date == "19990101"
    assert first.arrests[0].agency_ori == "TX2270100"
    assert first.arrests[0].charges[0].severity is Severity.FELONY
    assert first.arrests[0].charges[0].counts == 2
    assert first.courts[0].court_ori == "TX227015J"
    assert first.courts[0].charges[0].action_type == "310"
    assert first.custody == (CustodySegment(None, "(not stated)", "19990401", "STATE PRISON"),)
    assert second.courts[0].charges[0].action_type == "501"
    assert [a.agency_ori for a in s.agencies] == ["TX2270100", "TX227015J"]  # type: ignore[union-attr]


def test_a_41_portion_writes_valid_200_and_merges_with_a_200_portion() -> None:
    s = nlets41()
    assert read_rap_sheet(write_rap_sheet(s)) == s  # type: ignore[arg-type]
    merged = merge_rap_sheets([s, sheet("NC", "NC0142585A")], as_of="20240101")  # type: ignore[list-item]
    assert merged.identification.sid_numbers == ("NC0142585A", "TX01346790")
    summary = summarize(merged, as_of="20240101")
    assert summary.total_convictions.felony == 1 and summary.total_revocations == 1


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("GUILTY", "310"),
        ("NOT GUILTY", None),
        ("CONVICTED", "310"),
        ("FAILED TO APPEAR", "401"),
        ("PAROLE REVOKED", "502"),
        ("SUPERVISION REVOKED", "504"),
        ("LACK OF PROS", None),
        (None, None),
    ],
)
def test_court_action_type_from_disposition_text(text: str | None, code: str | None) -> None:
    assert court_action_type(text) == code


def test_plain_text_passes_through_byte_for_byte() -> None:
    data = (FIXTURES / "plain-nc.txt").read_bytes()
    assert read_portion(data) == PlainTextRapSheet(data)


def test_xml_that_is_no_rap_sheet_is_refused_not_passed_through() -> None:
    with pytest.raises(RapSheetFormatError, match="neither rapSheet"):
        read_portion(b"<Stop/>")
    with pytest.raises(RapSheetFormatError, match="DOCTYPE"):
        read_portion(
            b'<!DOCTYPE x [<!ENTITY a "b">]><rap:RapSheet xmlns:rap="http://nlets.org/niem2/rapsheet/1.0"/>'
        )

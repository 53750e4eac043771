"""The transmission format 2.00: round trip, the XSD, and hostile documents refused."""

from __future__ import annotations

import pytest
from lxml import etree

from jdx.exchanges.rapsheets.model import (
    CautionInfo,
    EyeColorInfo,
    HeightInfo,
    Holding,
    MiscId,
    RequestRef,
    Residence,
    Severity,
    SmtInfo,
    WeightInfo,
)
from jdx.exchanges.rapsheets.summary import with_summary
from jdx.exchanges.rapsheets.transmission import (
    RapSheetFormatError,
    read_rap_sheet,
    schema,
    to_element,
    write_rap_sheet,
)
from tests.exchanges.rapsheets.builders import cycle, sheet


def full_sheet() -> object:
    base = sheet(
        "TX",
        "TX01346790",
        caveat="Use governed by state and federal law.",
        cycles=(cycle("19990101", actions=((Severity.FELONY, "310"),)),),
        misc_ids=(MiscId("Army Serial", "24680357"),),
        birthdates=("19530212",),
        sexes=("Male",),
        races=("White",),
        heights=(HeightInfo("601", "feetinches", "19940704"), HeightInfo("75", "inches")),
        weights=(WeightInfo("180", "pounds", "19970321"),),
        eye_colors=(EyeColorInfo("Blue", "19880321"),),
        photos=(Holding(agency_ori="CA0000012", format="NIST", link="Fax request"),),
        smts=(SmtInfo(agency_name="LAPD", smt="TATTOO LEFT ARM"),),
        residences=(Residence("1 MAIN ST, AUSTIN TX", "20000101"),),
        cautions=(CautionInfo("ARMED", "19990101", "TX"),),
        iffs_disqualified="D",
    )
    from dataclasses import replace

    intro = replace(
        base.introduction,
        requests=(RequestRef("901100", "TX01346790", "JONES, JOHN", "C", "AL 911137"),),
    )
    return with_summary(replace(base, introduction=intro), as_of="20240101")


def test_round_trip_is_exact_and_the_output_validates_against_the_xsd() -> None:
    original = full_sheet()
    data = write_rap_sheet(original)  # type: ignore[arg-type]
    assert schema().validate(etree.fromstring(data))
    assert read_rap_sheet(data) == original
    assert write_rap_sheet(read_rap_sheet(data)) == data


def test_root_carries_namespace_and_the_mandatory_version() -> None:
    root = to_element(full_sheet())  # type: ignore[arg-type]
    assert root.tag == "{http://www.nlets.org/formats/rapsheet}rapSheet"
    assert root.get("version") == "2.00"


def test_a_sheet_without_the_namespace_is_read() -> None:
    data = write_rap_sheet(full_sheet()).replace(  # type: ignore[arg-type]
        b' xmlns="http://www.nlets.org/formats/rapsheet"', b""
    )
    assert read_rap_sheet(data) == full_sheet()


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ((b'version="2.00"', b'version="1.01"'), "version"),
        ((b"<sex>Male</sex>", b"<sex>M</sex>"), "sex"),
        ((b"<birthdate>19530212</birthdate>", b"<birthdate>1953-02-12</birthdate>"), "birthdate"),
        (
            (b"<chargeSeverity>Felony</chargeSeverity>", b"<chargeSeverity>Big</chargeSeverity>"),
            "chargeSeverity",
        ),
    ],
)
def test_invalid_documents_are_refused_naming_line_and_element(
    change: tuple[bytes, bytes], needle: str
) -> None:
    data = write_rap_sheet(full_sheet()).replace(*change)  # type: ignore[arg-type]
    with pytest.raises(RapSheetFormatError, match=rf"line \d+: .*{needle}"):
        read_rap_sheet(data)


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<rapSheet version="2.00">&lol2;</rapSheet>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rapSheet version="2.00">&x;</rapSheet>"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (BOMB, "DOCTYPE"),
        (EXTERNAL, "DOCTYPE"),
        (b"<rapSheet" + b"<a>" * 40 + b"</a>" * 40 + b"</rapSheet>", "well-formed"),
        (b"<rapSheet>" + b"<a>" * 40 + b"</a>" * 40 + b"</rapSheet>", "deeper"),
        (b"<rapSheet>" + b" " * (9 * 1024 * 1024) + b"</rapSheet>", "larger"),
        (b"", "empty"),
        (b"<other/>", "not rapSheet"),
    ],
)
def test_hostile_and_broken_xml_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(RapSheetFormatError, match=message):
        read_rap_sheet(data)


def test_markup_characters_and_carriage_returns_survive_the_writer() -> None:
    from jdx.exchanges.rapsheets.model import CommentInfo, HeightInfo, SubjectName

    awkward = 'O\'BRIEN <"A&B"> ]]>\r\nLINE\tTAB'
    rap = sheet(
        "TX",
        "TX01",
        names=(SubjectName(awkward, "JOHN"),),
        heights=(HeightInfo("73", "inches", "20200101"),),
        comments=(CommentInfo(comment=awkward, state="TX"),),
    )
    data = write_rap_sheet(rap)
    assert b'unit="inches"' in data and b"&amp;" in data and b"&lt;" in data
    assert read_rap_sheet(data) == rap

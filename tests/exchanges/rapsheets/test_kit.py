"""The participants' kit (issue 15): schema, reference, samples true to the hub, notifications."""

from __future__ import annotations

from importlib import resources

import pytest
from lxml import etree

from jdx.exchanges.rapsheets import kit
from jdx.exchanges.rapsheets.notification import parse_notification
from jdx.exchanges.rapsheets.transmission import read_rap_sheet, validate

SCHEMA_FILE = resources.files("jdx.exchanges.rapsheets").joinpath("schema", "rapsheet-2.00.xsd")


@pytest.fixture(scope="module")
def built() -> dict[str, kit.Document]:
    return kit.build_kit()


def test_the_kit_holds_schema_reference_samples_conversions_notifications_readme(
    built: dict[str, kit.Document],
) -> None:
    samples = kit.sample_files()
    assert "nlets41-minimal.xml" in samples
    assert set(built) == {
        "rapsheet-2.00.xsd",
        "rapsheet-2.00.html",
        *samples,
        *(kit.converted_name(name) for name in samples),
        "notification-fl01.txt",
        "notification-el01.txt",
        "README.txt",
    }
    assert all(content for content, _media in built.values())
    assert built["rapsheet-2.00.html"][1].startswith("text/html")
    assert built["notification-fl01.txt"][1].startswith("text/plain")


def test_the_xsd_is_the_projects_byte_for_byte(built: dict[str, kit.Document]) -> None:
    assert built["rapsheet-2.00.xsd"] == (SCHEMA_FILE.read_bytes(), "application/xml")


def test_every_sample_in_2_00_validates_against_the_projects_xsd(
    built: dict[str, kit.Document],
) -> None:
    """What keeps the samples true as the reader evolves: each is converted when the kit is
    built, and what the hub writes must pass the schema it publishes."""
    for name, data in kit.sample_files().items():
        assert built[name] == (data, "application/xml")
        converted, media = built[kit.converted_name(name)]
        assert media == "application/xml"
        validate(etree.fromstring(converted))
        assert read_rap_sheet(converted).summary is not None, name  # as delivered


def test_a_sample_the_reader_refuses_is_an_error_naming_it() -> None:
    broken = {
        "nlets41-good.xml": kit.sample_files()["nlets41-minimal.xml"],
        "nlets41-bad.xml": b"<rap:RapSheet xmlns:rap='urn:other'/>",
        "ojbc-text.xml": b"not xml at all",
    }
    with pytest.raises(kit.KitError) as caught:
        kit.build_kit(samples=broken)
    assert [p.split(" is ")[0] for p in caught.value.problems] == [
        "sample nlets41-bad.xml",
        "sample ojbc-text.xml",
    ]
    assert "refused by the hub's reader" in str(caught.value)


def test_the_notification_samples_parse_as_the_seed_defines_them(
    built: dict[str, kit.Document],
) -> None:
    fl01 = parse_notification(built["notification-fl01.txt"][0].decode())
    assert fl01.kind == "F" and fl01.requester_ori == "AKAST0100"
    assert [(r.source, r.fbi_number, r.sid_number, r.deceased) for r in fl01.responders] == [
        ("FBI", "901100", None, False),
        ("NORTH CAROLINA", None, "NC0142585A", True),
        ("TEXAS", None, "TX01346790", False),
    ]
    el01 = parse_notification(built["notification-el01.txt"][0].decode())
    assert el01.kind == "E" and not any(r.fbi_number for r in el01.responders)
    assert [r.source for r in el01.expected] == ["TEXAS"]


def test_the_minimal_sample_is_the_texas_portion_the_fl01_expects(
    built: dict[str, kit.Document],
) -> None:
    fl01 = parse_notification(built["notification-fl01.txt"][0].decode())
    sheet = read_rap_sheet(built["nlets41-minimal.rapsheet-2.00.xml"][0])
    assert fl01.portion_of(sheet) == fl01.responders[2]


def test_the_readme_names_every_file_the_endpoints_and_where_the_41_xsd_comes_from(
    built: dict[str, kit.Document],
) -> None:
    readme = built["README.txt"][0].decode()
    assert all(f"\n  {name}\n      " in readme for name in built)
    for endpoint in (
        "POST /chri/v1/notifications",
        "POST /chri/v1/rapsheets?destination=ORI",
        "GET  /chri/v1/outbox",
        "PUT  /chri/v1/preference",
    ):
        assert endpoint in readme
    assert "Get it from Nlets" in readme
    assert all(len(line) <= 100 for line in readme.splitlines())

"""The merge service with real-world 4.1 portions (issue 15): a Texas record of 10 cycles and 75
charges, North Carolina's and the FBI's portions of the same person, notified, received in
turn and delivered as one valid 2.00 record that keeps what a reader decides from."""

from __future__ import annotations

from importlib import resources

import pytest

from jdx.exchanges.rapsheets.service import RapSheetService
from jdx.exchanges.rapsheets.summary import all_charges
from jdx.hub import Hub
from tests.conftest import AgencyFixture, new_agency
from tests.exchanges.rapsheets.test_service import (
    delivered_sheet,
    notification,
    register_responders,
)

SAMPLES = resources.files("jdx.exchanges.rapsheets").joinpath("samples")
PORTIONS = (
    ("nlets41-state-full.xml", "TX2270100"),
    ("nlets41-state-nc.xml", "NC0920000"),
    ("nlets41-fbi.xml", "DCFBIWA00"),
)


@pytest.fixture
def service(hub: Hub) -> RapSheetService:
    register_responders(hub)
    return hub.service(RapSheetService)


def test_three_real_portions_are_delivered_as_one_record_that_keeps_their_content(
    service: RapSheetService, hub: Hub
) -> None:
    requester: AgencyFixture = new_agency(hub, "Requester")
    text = notification(
        requester.ori,
        "901100",
        [("TEXAS", "TX01346790"), ("NORTH CAROLINA", "NC0142585A")],
        fbi_too=True,
    )
    entry = service.notify(text, sender_ori="DCFBIWA00")
    assert len(entry.expected) == 3
    outcomes = [
        service.receive_rap_sheet(
            SAMPLES.joinpath(name).read_bytes(), sender_ori=sender, destination=requester.ori
        ).outcome
        for name, sender in PORTIONS
    ]
    assert outcomes == ["merged", "merged", "delivered"]
    sheet, _ = delivered_sheet(service, requester.ori)  # parsed and validated against the XSD
    charges = list(all_charges(sheet))
    assert len(sheet.cycles) == 15 and len(charges) == 88  # two cycles sent twice, kept once
    assert not [c for c in charges if c.description == "(not stated)"]
    assert sum(len(c.statutes) for c in charges) >= 80
    assert sheet.summary is not None and sheet.summary.total_charges.felony > 0
    assert set(sheet.identification.sid_numbers) >= {"TX01346790", "NC0142585A"}

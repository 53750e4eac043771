"""The criminal history API: notifications, rap sheets and each receiver's own outbox."""

from __future__ import annotations

from typing import Any

import pytest

from jdx.exchanges.rapsheets.service import RapSheetService
from jdx.hub import Hub
from tests.conftest import AgencyFixture, new_agency
from tests.exchanges.rapsheets.test_service import fbi_number, notification, portion

XML = {"Content-Type": "application/xml"}


def allow_notifier(hub: Hub, monkeypatch: pytest.MonkeyPatch, ori: str) -> None:
    """Make ``ori`` one of the FBI/III ORIs that may send notifications, for one test."""
    monkeypatch.setattr(hub.settings, "rap_notifiers", [*hub.settings.rap_notifiers, ori])


def state_responder(hub: Hub, name: str, state: str) -> AgencyFixture:
    """A new agency the operator registered as ``state``'s rap sheet responder (issue 16)."""
    responder = new_agency(hub, name)
    hub.service(RapSheetService).add_responder(responder.ori, state)
    return responder


def _post_sheet(client: Any, sender: AgencyFixture, to: str, data: bytes) -> Any:
    return client.post(
        f"/chri/v1/rapsheets?destination={to}", content=data, headers={**sender.auth(), **XML}
    )


def test_notification_two_portions_and_the_outbox_in_the_preferred_format(
    client: Any, hub: Hub, agency: AgencyFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    fbi_iii = new_agency(hub, "FBI/III")
    texas, ohio = state_responder(hub, "Texas", "TX"), state_responder(hub, "Ohio", "OH")
    allow_notifier(hub, monkeypatch, fbi_iii.ori)
    put = client.put(
        "/chri/v1/preference", json={"format": "presentation-html"}, headers=agency.auth()
    )
    assert put.status_code == 200, put.text
    fbi = fbi_number()
    text = notification(agency.ori, fbi, [("TEXAS", "TX01"), ("OHIO", "OH02")], fbi_too=False)
    made = client.post("/chri/v1/notifications", content=text, headers=fbi_iii.auth())
    assert made.status_code == 201, made.text
    assert made.json()["expected"] == ["TEXAS - STATE ID/TX01", "OHIO - STATE ID/OH02"]
    first = _post_sheet(client, texas, agency.ori, portion("TEXAS", "TX01", fbi, "19950101"))
    assert first.status_code == 202, first.text
    assert first.json()["outcome"] == "merged"
    assert first.json()["missing"] == ["OHIO - STATE ID/OH02"]
    last = _post_sheet(client, ohio, agency.ori, portion("OHIO", "OH02", fbi, "19900101"))
    assert last.json()["outcome"] == "delivered"
    listing = client.get("/chri/v1/outbox", headers=agency.auth()).json()
    (item,) = listing["items"]
    assert item["format"] == "presentation-html" and item["fetched_at"] is None
    content = client.get(item["href"], headers=agency.auth())
    assert content.status_code == 200
    assert content.headers["content-type"].startswith("text/html")
    assert "TX01" in content.text and "OH02" in content.text
    (again,) = client.get("/chri/v1/outbox", headers=agency.auth()).json()["items"]
    assert again["fetched_at"] is not None
    new = client.get("/chri/v1/outbox?unfetched=true", headers=agency.auth()).json()["items"]
    assert new == []


def test_a_receiver_sees_only_its_own_outbox(
    client: Any, hub: Hub, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    hub.service(RapSheetService).add_responder(other_agency.ori, "TX")
    sent = _post_sheet(
        client, other_agency, agency.ori, portion("TEXAS", "TX01", fbi_number(), "19950101")
    )
    assert sent.json()["outcome"] == "forwarded"
    (item,) = client.get("/chri/v1/outbox", headers=agency.auth()).json()["items"]
    assert client.get("/chri/v1/outbox", headers=other_agency.auth()).json()["items"] == []
    stolen = client.get(item["href"], headers=other_agency.auth())
    assert stolen.status_code == 404
    assert client.get(item["href"]).status_code == 401
    assert client.get(item["href"], headers=agency.auth("test")).status_code == 403


def test_a_duplicate_notification_gets_409_naming_the_active_entry(
    client: Any,
    hub: Hub,
    agency: AgencyFixture,
    other_agency: AgencyFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    allow_notifier(hub, monkeypatch, other_agency.ori)
    text = notification(agency.ori, fbi_number(), [("TEXAS", "TX01")], fbi_too=False)
    first = client.post("/chri/v1/notifications", content=text, headers=other_agency.auth())
    second = client.post("/chri/v1/notifications", content=text, headers=other_agency.auth())
    assert second.status_code == 409
    assert second.json()["merge_id"] == first.json()["merge_id"]


def test_only_the_fbi_iii_may_send_notifications(
    client: Any, hub: Hub, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    assert hub.settings.rap_notifiers == ["DCFBIWA00"]  # the documented default
    text = notification(agency.ori, fbi_number(), [("TEXAS", "TX01")], fbi_too=False)
    refused = client.post("/chri/v1/notifications", content=text, headers=other_agency.auth())
    assert refused.status_code == 403
    error = refused.json()["detail"]
    assert other_agency.ori in error and "only the FBI/III" in error
    assert "rap_notifiers" in error


def test_broken_notifications_and_hostile_xml_are_refused_with_a_clear_error(
    client: Any, hub: Hub, agency: AgencyFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    allow_notifier(hub, monkeypatch, agency.ori)
    bad = client.post("/chri/v1/notifications", content="QL01\nXX\nEND\n", headers=agency.auth())
    assert bad.status_code == 400
    assert "EL01 or FL01" in bad.json()["detail"]
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><rapSheet>&b;</rapSheet>'
    )
    refused = _post_sheet(client, agency, agency.ori, bomb)
    assert refused.status_code == 400
    assert "DOCTYPE and ENTITY declarations are not allowed" in refused.json()["detail"]
    nowhere = client.post(
        "/chri/v1/rapsheets?destination=bad", content=b"text", headers=agency.auth()
    )
    assert nowhere.status_code == 400


def test_a_portion_of_another_person_gets_409_naming_the_reason_and_changes_nothing(
    client: Any, hub: Hub, agency: AgencyFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    fbi_iii = new_agency(hub, "FBI/III")
    texas, ohio = state_responder(hub, "Texas", "TX"), state_responder(hub, "Ohio", "OH")
    allow_notifier(hub, monkeypatch, fbi_iii.ori)
    fbi, stranger = fbi_number(), fbi_number()
    text = notification(agency.ori, fbi, [("TEXAS", "TX01"), ("OHIO", "OH02")], fbi_too=False)
    made = client.post("/chri/v1/notifications", content=text, headers=fbi_iii.auth())
    merge_id = made.json()["merge_id"]
    first = _post_sheet(client, texas, agency.ori, portion("TEXAS", "TX01", fbi, "19950101"))
    assert first.json()["missing"] == ["OHIO - STATE ID/OH02"]
    # Ohio's SID, another person's FBI number: not the subject the FBI/III notified.
    refused = _post_sheet(client, ohio, agency.ori, portion("OHIO", "OH02", stranger, "19900101"))
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert (body["merge_id"], body["reason"]) == (merge_id, "different-subject")
    assert f"Merge {merge_id} refused the portion" in body["detail"]
    assert f"(FBI {stranger}) names another FBI number than the notification" in body["detail"]
    assert client.get("/chri/v1/outbox", headers=agency.auth()).json()["items"] == []
    # The merge goes on: Ohio's own portion completes it, without the refused one's cycle.
    last = _post_sheet(client, ohio, agency.ori, portion("OHIO", "OH02", fbi, "19800101"))
    assert last.status_code == 202 and last.json()["outcome"] == "delivered"
    (item,) = client.get("/chri/v1/outbox", headers=agency.auth()).json()["items"]
    content = client.get(item["href"], headers=agency.auth()).text
    assert "19800101" in content and "19900101" not in content and stranger not in content

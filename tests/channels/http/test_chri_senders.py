"""Issue 16, findings 2 and 3: a rap sheet's sender is who it authenticated as.

What an attacker with a production key saw before: a portion whose *content* named the awaited
state was taken as that state's (finding 2), and plain text went into any outbox, even of an ORI
no agency has, without the receiver seeing who sent it (finding 3).
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from jdx.exchanges.rapsheets.tables import rap_delivery_log, rap_merge
from jdx.exchanges.rapsheets.transmission import write_rap_sheet
from jdx.hub import Hub
from tests.channels.http.test_chri import allow_notifier, state_responder
from tests.conftest import AgencyFixture, new_agency
from tests.exchanges.rapsheets.builders import cycle, sheet
from tests.exchanges.rapsheets.test_service import fbi_number, notification, portion

XML = {"Content-Type": "application/xml"}
TEXT = {"Content-Type": "text/plain"}
PLAIN = b"OHIO CRIMINAL HISTORY\r\nIN PLAIN TEXT\r\n"


def _post(client: Any, sender: AgencyFixture, to: str, data: bytes, kind: dict[str, str]) -> Any:
    return client.post(
        f"/chri/v1/rapsheets?destination={to}", content=data, headers={**sender.auth(), **kind}
    )


def _outbox(client: Any, receiver: AgencyFixture) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/chri/v1/outbox", headers=receiver.auth()).json()[
        "items"
    ]
    return items


def _log(hub: Hub, originating: str) -> list[tuple[str, int | None, str, str, str | None]]:
    with hub.engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                rap_delivery_log.c.event,
                rap_delivery_log.c.merge_id,
                rap_delivery_log.c.originating_id,
                rap_delivery_log.c.destination_id,
                rap_delivery_log.c.message_id,
            )
            .where(rap_delivery_log.c.originating_id == originating)
            .order_by(rap_delivery_log.c.id)
        ).all()
    return [tuple(r) for r in rows]


@pytest.fixture
def merge(
    client: Any, hub: Hub, agency: AgencyFixture, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, AgencyFixture, AgencyFixture]:
    """A merge for ``agency`` waiting for Texas's and Ohio's portions, Texas's received: its
    id, the FBI number, and the two states' registered responders."""
    fbi_iii = new_agency(hub, "FBI/III")
    allow_notifier(hub, monkeypatch, fbi_iii.ori)
    texas, ohio = state_responder(hub, "Texas", "TX"), state_responder(hub, "Ohio", "OH")
    fbi = fbi_number()
    text = notification(agency.ori, fbi, [("TEXAS", "TX01"), ("OHIO", "OH02")], fbi_too=False)
    made = client.post("/chri/v1/notifications", content=text, headers=fbi_iii.auth())
    assert made.status_code == 201, made.text
    first = _post(client, texas, agency.ori, portion("TEXAS", "TX01", fbi, "19950101"), XML)
    assert first.json()["missing"] == ["OHIO - STATE ID/OH02"]
    return made.json()["merge_id"], fbi, texas, ohio


def _still_waiting_for_ohio(hub: Hub, merge_id: int) -> None:
    with hub.engine.connect() as conn:
        row = conn.execute(sa.select(rap_merge).where(rap_merge.c.id == merge_id)).one()
    assert [p["responder"] for p in row.received] == ["TEXAS - STATE ID/TX01"]


def test_a_portion_naming_the_awaited_state_from_another_agency_is_refused(
    client: Any, hub: Hub, agency: AgencyFixture, merge: tuple[int, str, AgencyFixture, Any]
) -> None:
    merge_id, fbi, _, ohio = merge
    attacker = new_agency(hub, "Any agency with a production key")
    # Finding 2: Ohio's SID and the subject's FBI number, with a cycle Ohio never reported.
    forged = portion("OHIO", "OH02", fbi, "20200101")
    refused = _post(client, attacker, agency.ori, forged, XML)
    assert refused.status_code == 403, refused.text
    assert refused.json()["reason"] == "not-a-responder"
    assert (
        f"Agency {attacker.ori} is not a registered rap sheet responder"
        in (refused.json()["detail"])
    )
    # Nothing delivered, nothing merged: the merge still waits for Ohio.
    assert _outbox(client, agency) == []
    _still_waiting_for_ohio(hub, merge_id)
    # The real Ohio completes it, and the record holds Ohio's cycle, not the forged one.
    last = _post(client, ohio, agency.ori, portion("OHIO", "OH02", fbi, "19800101"), XML)
    assert last.status_code == 202 and last.json()["outcome"] == "delivered", last.text
    (item,) = _outbox(client, agency)
    content = client.get(item["href"], headers=agency.auth()).text
    assert "19800101" in content and "20200101" not in content
    # The refusal is in the log by ids only (seed 2.5): who, to whom, no merge taken.
    assert _log(hub, attacker.ori) == [("refused", None, attacker.ori, agency.ori, None)]


def test_a_registered_state_cannot_send_another_states_portion(
    client: Any, hub: Hub, agency: AgencyFixture, merge: tuple[int, str, AgencyFixture, Any]
) -> None:
    merge_id, fbi, texas, ohio = merge
    # Texas is a registered responder, but for Texas: Ohio's record is Ohio's to send.
    forged = portion("OHIO", "OH02", fbi, "20200101")
    refused = _post(client, texas, agency.ori, forged, XML)
    assert refused.status_code == 403, refused.text
    assert refused.json()["reason"] == "another-state"
    assert refused.json()["detail"] == (
        f"Agency {texas.ori} answers for TX only, and the sheet names SID OH02 of another "
        "state: a state sends its own record."
    )
    _still_waiting_for_ohio(hub, merge_id)
    assert _outbox(client, agency) == []
    last = _post(client, ohio, agency.ori, portion("OHIO", "OH02", fbi, "19800101"), XML)
    assert last.json()["outcome"] == "delivered"
    assert ("refused", None, texas.ori, agency.ori, None) in _log(hub, texas.ori)


def test_a_states_sheet_is_never_taken_as_the_fbis_portion(
    client: Any, hub: Hub, agency: AgencyFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    fbi_iii = new_agency(hub, "FBI/III")
    allow_notifier(hub, monkeypatch, fbi_iii.ori)
    texas, ohio = state_responder(hub, "Texas", "TX"), state_responder(hub, "Ohio", "OH")
    fbi = fbi_number()
    text = notification(agency.ori, fbi, [("TEXAS", "TX01")], fbi_too=True)
    assert client.post("/chri/v1/notifications", content=text, headers=fbi_iii.auth()).is_success
    # Ohio, not named by the notification, sends a record with the FBI number and no SID: the
    # FBI's line matched it by the FBI number before. It is Ohio's record, merged as such.
    no_sid = write_rap_sheet(
        sheet("OHIO", "OH9", cycles=(cycle("19850101"),), fbi_number=fbi, sid_numbers=())
    )
    taken = _post(client, ohio, agency.ori, no_sid, XML)
    assert taken.status_code == 202, taken.text
    assert taken.json()["responder"] is None
    assert f"FBI - FBI/{fbi}" in taken.json()["missing"]
    # Texas's own portion without a SID answers Texas's line: the sender says whose it is.
    tx_no_sid = write_rap_sheet(
        sheet("TEXAS", "TX9", cycles=(cycle("19900101"),), fbi_number=fbi, sid_numbers=())
    )
    answered = _post(client, texas, agency.ori, tx_no_sid, XML)
    assert answered.json()["responder"] == "TEXAS - STATE ID/TX01"
    assert answered.json()["missing"] == [f"FBI - FBI/{fbi}"]


def test_plain_text_to_an_ori_no_agency_has_is_refused(client: Any, hub: Hub) -> None:
    ohio = state_responder(hub, "Ohio", "OH")
    for data, kind in ((PLAIN, TEXT), (portion("OHIO", "OH02", fbi_number(), "19800101"), XML)):
        refused = _post(client, ohio, "ZZ9999999", data, kind)
        assert refused.status_code == 404, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json() == {
            "type": "/problems#receiver-refused",
            "title": "Receiver cannot take this",
            "status": 404,
            "detail": "No agency ZZ9999999: rap sheets go only to agencies of the hub.",
            "instance": "/chri/v1/rapsheets",
            "reason": "unknown-receiver",
        }
    assert _log(hub, ohio.ori) == [("refused", None, ohio.ori, "ZZ9999999", None)] * 2


def test_plain_text_to_an_agency_awaiting_no_rap_sheet_is_refused(
    client: Any, hub: Hub, agency: AgencyFixture
) -> None:
    ohio = state_responder(hub, "Ohio", "OH")
    refused = _post(client, ohio, agency.ori, PLAIN, TEXT)
    assert refused.status_code == 409, refused.text
    assert refused.json()["reason"] == "not-awaiting"
    assert f"Agency {agency.ori} awaits no rap sheet" in refused.json()["detail"]
    assert _outbox(client, agency) == []
    # Once the agency says which format it wants, it receives rap sheets, text included.
    put = client.put("/chri/v1/preference", json={"format": "transmission"}, headers=agency.auth())
    assert put.status_code == 200
    sent = _post(client, ohio, agency.ori, PLAIN, TEXT)
    assert sent.status_code == 202 and sent.json()["outcome"] == "forwarded", sent.text


def test_plain_text_from_an_agency_that_is_no_responder_is_refused(
    client: Any, hub: Hub, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    put = client.put("/chri/v1/preference", json={"format": "transmission"}, headers=agency.auth())
    assert put.status_code == 200
    refused = _post(client, other_agency, agency.ori, PLAIN, TEXT)
    assert refused.status_code == 403, refused.text
    assert refused.json()["reason"] == "not-a-responder"
    assert _outbox(client, agency) == []


def test_plain_text_to_a_requester_with_an_active_request_is_delivered(
    client: Any, hub: Hub, agency: AgencyFixture, merge: tuple[int, str, AgencyFixture, Any]
) -> None:
    merge_id, _, _, ohio = merge
    sent = _post(client, ohio, agency.ori, PLAIN, TEXT)  # no preference: the request is enough
    assert sent.status_code == 202, sent.text
    assert (sent.json()["merge_id"], sent.json()["responder"]) == (
        merge_id,
        "OHIO - STATE ID/OH02",
    )


def test_the_outbox_names_the_sender_of_every_delivery(
    client: Any, hub: Hub, agency: AgencyFixture, merge: tuple[int, str, AgencyFixture, Any]
) -> None:
    _, fbi, texas, ohio = merge
    # A forward (after the merge completes, Texas's second sheet is single-state) and a merge.
    last = _post(client, ohio, agency.ori, portion("OHIO", "OH02", fbi, "19800101"), XML)
    assert last.json()["outcome"] == "delivered"
    late = _post(client, texas, agency.ori, portion("TEXAS", "TX01", fbi, "19950101"), XML)
    assert late.json()["outcome"] == "forwarded"
    # The merge is done: text now needs the receiver's preference (issue 16).
    put = client.put("/chri/v1/preference", json={"format": "transmission"}, headers=agency.auth())
    assert put.status_code == 200
    text = _post(client, ohio, agency.ori, PLAIN, TEXT)
    assert text.status_code == 202, text.text
    assert [i["sender_ori"] for i in _outbox(client, agency)] == [ohio.ori, texas.ori, "JDX"]
    for item in _outbox(client, agency):
        fetched = client.get(item["href"], headers=agency.auth())
        assert fetched.headers["X-Sender-Ori"] == item["sender_ori"]
        if item["sender_ori"] == texas.ori:  # the envelope says the same
            assert f"<jdx:originatingId>{texas.ori}</jdx:originatingId>" in fetched.text

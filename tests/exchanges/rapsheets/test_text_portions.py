"""Plain-text portions from expected responders (seed 2.2, 2.4, 2.5): passed through unprocessed,
and counted toward completing their merge, with a caveat in the merged record."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from lxml import etree

from jdx.exchanges.rapsheets.model import RapSheet
from jdx.exchanges.rapsheets.present import SOAP_NS
from jdx.exchanges.rapsheets.service import RapSheetService
from jdx.exchanges.rapsheets.tables import rap_delivery_log, rap_merge
from jdx.exchanges.rapsheets.transmission import read_rap_sheet, write_rap_sheet
from jdx.hub import Hub
from tests.conftest import new_agency
from tests.exchanges.rapsheets.builders import cycle, sheet
from tests.exchanges.rapsheets.test_service import (
    fbi_number,
    notification,
    portion,
    register_responders,
)

TEXT = b"NORTH CAROLINA CRIMINAL HISTORY\r\nOHIO RECORD IN PLAIN TEXT\r\n"
LATER = dt.timedelta(days=1)


def _service(hub: Hub) -> RapSheetService:
    register_responders(hub)
    return hub.service(RapSheetService)


def _deliveries(service: RapSheetService, ori: str) -> tuple[list[bytes], list[RapSheet]]:
    """The requester's plain-text deliveries and its merged (transmission format) ones."""
    texts: list[bytes] = []
    sheets: list[RapSheet] = []
    for item in reversed(service.outbox(ori)):
        message = service.fetch(ori, item.id)
        assert message is not None and message.body is not None
        if message.format == "plain-text":
            texts.append(message.body)
            continue
        body = etree.fromstring(message.body).find(f"{{{SOAP_NS}}}Body")
        assert body is not None
        sheets.append(read_rap_sheet(etree.tostring(body[0])))
    return texts, sheets


def _fbi_portion(fbi: str, date: str) -> bytes:
    """The FBI's portion: the FBI number and no SID."""
    return write_rap_sheet(
        sheet("DC", "DC0", cycles=(cycle(date),), fbi_number=fbi, sid_numbers=())
    )


def _caveats(sheet: RapSheet) -> list[str]:
    return [c.caveat or "" for c in sheet.introduction.caveats]


def _active(hub: Hub, merge_id: int) -> bool:
    with hub.engine.connect() as conn:
        query = sa.select(rap_merge.c.id).where(rap_merge.c.id == merge_id)
        return conn.execute(query).first() is not None


def test_a_text_portion_from_the_last_responder_completes_the_merge(hub: Hub) -> None:
    service, requester = _service(hub), new_agency(hub, "Requester").ori
    fbi = fbi_number()
    text = notification(requester, fbi, [("TEXAS", "TX01"), ("OHIO", "OH02")], fbi_too=False)
    entry = service.notify(text, sender_ori="DCFBIWA00")
    first = service.receive_rap_sheet(
        portion("TEXAS", "TX01", fbi, "19950101"), sender_ori="TX0000000", destination=requester
    )
    assert first.outcome == "merged"
    last = service.receive_rap_sheet(TEXT, sender_ori="OH0000000", destination=requester)
    assert (last.outcome, last.merge_id, last.responder) == (
        "delivered",
        entry.id,
        "OHIO - STATE ID/OH02",
    )
    assert not _active(hub, entry.id)
    texts, (merged,) = _deliveries(service, requester)
    assert texts == [TEXT]  # byte for byte, never processed (2.2)
    assert [c.earliest_date for c in merged.cycles] == ["19950101"]  # the text is not merged in
    (caveat,) = _caveats(merged)
    assert "OHIO - STATE ID/OH02 was received as plain text and delivered separately" in caveat
    with hub.engine.connect() as conn:
        events = conn.execute(
            sa.select(rap_delivery_log.c.event).where(rap_delivery_log.c.merge_id == entry.id)
        ).scalars()
        assert "text-counted" in set(events)


def test_a_text_portion_first_then_the_fbis_xml_portion(hub: Hub) -> None:
    service, requester = _service(hub), new_agency(hub, "Requester").ori
    fbi = fbi_number()
    service.notify(
        notification(requester, fbi, [("TEXAS", "TX01")], fbi_too=True), sender_ori="DCFBIWA00"
    )
    first = service.receive_rap_sheet(TEXT, sender_ori="TX0000000", destination=requester)
    assert first.outcome == "forwarded" and first.responder == "TEXAS - STATE ID/TX01"
    assert first.missing == (f"FBI - FBI/{fbi}",)
    again = service.receive_rap_sheet(TEXT, sender_ori="TX0000000", destination=requester)
    assert (again.outcome, again.merge_id) == ("forwarded", None)  # already answered: not counted
    last = service.receive_rap_sheet(
        _fbi_portion(fbi, "19900101"), sender_ori="DCFBIWA00", destination=requester
    )
    assert last.outcome == "delivered"
    texts, (merged,) = _deliveries(service, requester)
    assert texts == [TEXT, TEXT]
    assert any("TEXAS - STATE ID/TX01 was received as plain text" in c for c in _caveats(merged))


def test_only_text_portions_deliver_no_merged_record(hub: Hub) -> None:
    service, requester = _service(hub), new_agency(hub, "Requester").ori
    fbi = fbi_number()
    entry = service.notify(
        notification(requester, fbi, [("TEXAS", "TX01")], fbi_too=True), sender_ori="DCFBIWA00"
    )
    service.receive_rap_sheet(TEXT, sender_ori="DCFBIWA00", destination=requester)
    last = service.receive_rap_sheet(TEXT, sender_ori="TX0000000", destination=requester)
    assert (last.outcome, last.merge_id) == ("forwarded", entry.id)
    assert not _active(hub, entry.id)
    assert _deliveries(service, requester) == ([TEXT, TEXT], [])


def test_text_from_an_unexpected_or_ambiguous_sender_is_only_forwarded(hub: Hub) -> None:
    service, requester = _service(hub), new_agency(hub, "Requester").ori
    one, two = fbi_number(), fbi_number()
    entry = service.notify(
        notification(requester, one, [("TEXAS", "TX01")], fbi_too=False), sender_ori="DCFBIWA00"
    )
    stranger = service.receive_rap_sheet(TEXT, sender_ori="CA0000000", destination=requester)
    assert (stranger.outcome, stranger.merge_id) == ("forwarded", None)
    service.notify(
        notification(requester, two, [("TEXAS", "TX02")], fbi_too=False), sender_ori="DCFBIWA00"
    )
    # Texas owes a portion to both merges, and text is never read: it counts toward neither.
    unclear = service.receive_rap_sheet(TEXT, sender_ori="TX0000000", destination=requester)
    assert (unclear.outcome, unclear.merge_id) == ("forwarded", None)
    assert _active(hub, entry.id)


def test_time_out_after_a_text_portion(hub: Hub) -> None:
    service, requester = _service(hub), new_agency(hub, "Requester").ori
    fbi = fbi_number()
    states = [("TEXAS", "TX01"), ("OHIO", "OH02")]
    entry = service.notify(
        notification(requester, fbi, states, fbi_too=True), sender_ori="DCFBIWA00"
    )
    service.receive_rap_sheet(TEXT, sender_ori="OH0000000", destination=requester)
    service.receive_rap_sheet(
        portion("TEXAS", "TX01", fbi, "19950101"), sender_ori="TX0000000", destination=requester
    )
    report = service.sweep_timeouts(at=entry.deadline_at + LATER)
    assert entry.id in report.delivered
    _, (merged,) = _deliveries(service, requester)
    text_caveat, missing = _caveats(merged)
    assert "OHIO - STATE ID/OH02 was received as plain text" in text_caveat
    assert f"FBI - FBI/{fbi} was not received before the time limit" in missing
    # Only text arrived before the time limit: it was delivered already; the entry is cleared.
    other = new_agency(hub, "Requester").ori
    cleared = service.notify(
        notification(other, fbi, [("OHIO", "OH02")], fbi_too=True), sender_ori="DCFBIWA00"
    )
    service.receive_rap_sheet(TEXT, sender_ori="OH0000000", destination=other)
    assert cleared.id in service.sweep_timeouts(at=cleared.deadline_at + LATER).cleared
    assert _deliveries(service, other) == ([TEXT], [])

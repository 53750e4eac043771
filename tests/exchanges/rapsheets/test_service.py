"""Merge processing on the database (seed 2.3-2.5): entries, portions, time-outs, the log.

Each test has its own requester agency, and entries are matched within their requester, so tests
sharing a worker's database never take each other's portions.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from lxml import etree

from jdx.exchanges.rapsheets.merge import MergeError
from jdx.exchanges.rapsheets.model import RapSheet, Severity, SubjectName
from jdx.exchanges.rapsheets.present import ENVELOPE_NS, SOAP_NS
from jdx.exchanges.rapsheets.service import (
    DuplicateRequest,
    NotifierRefused,
    PortionRefused,
    RapSheetService,
)
from jdx.exchanges.rapsheets.tables import rap_delivery_log, rap_merge
from jdx.exchanges.rapsheets.transmission import (
    NAMESPACE,
    RapSheetFormatError,
    read_rap_sheet,
    write_rap_sheet,
)
from jdx.hub import Hub, create_hub
from jdx.settings import Settings
from jdx.store.queries import add_agency
from jdx.store.tables import agencies
from tests.conftest import AgencyFixture, new_agency
from tests.exchanges.rapsheets.builders import cycle, sheet

FIXTURES = Path(__file__).parent / "fixtures"
LATER = dt.timedelta(days=1)  # past any time limit


def fbi_number() -> str:
    return str(secrets.randbelow(9_000_000) + 1_000_000)


def notification(requester: str, fbi: str, sids: list[tuple[str, str]], *, fbi_too: bool) -> str:
    lines = [
        f"{'F' if fbi_too else 'E'}L01HEADERXXXX01234",
        requester,
        f"THIS INTERSTATE IDENTIFICATION INDEX RESPONSE IS THE RESULT OF YOUR REQUEST FOR FBI/{fbi} .",
        "INDIVIDUAL'S RECORD WILL BE COMPLETE WHEN ALL RESPONSES ARE RECEIVED FROM THE FOLLOWING",
    ]
    if fbi_too:
        lines.append(f" FBI - FBI/{fbi}")
    lines += [f" {state} - STATE ID/{sid}" for state, sid in sids]
    return "\n".join([*lines, "END", ""])


def portion(state: str, sid: str, fbi: str, date: str, **ident: object) -> bytes:
    """A state's portion in transmission format 2.00, with one cycle dated ``date``."""
    cycles = (cycle(date, ori=f"{state[:2]}1010000"),)
    return write_rap_sheet(sheet(state, sid, cycles=cycles, fbi_number=fbi, **ident))


# The state repositories the tests send portions from, as the operator registers them (issue
# 16: a rap sheet is its sender's state's portion, and only registered responders send one).
STATE_RESPONDERS = {
    "TX0000000": "TX",
    "OH0000000": "OH",
    "NC0000000": "NC",
    "CA0000000": "CA",
    "TX2270100": "TX",
    "NC0920000": "NC",
}


def register_responders(hub: Hub, responders: dict[str, str] = STATE_RESPONDERS) -> None:
    """Make each ORI an agency (once per database) and a registered responder for its state."""
    service = hub.service(RapSheetService)
    with hub.engine.begin() as conn:
        known = set(conn.execute(sa.select(agencies.c.ori)).scalars())
        for ori in responders.keys() - known:
            add_agency(conn, ori, f"State repository {ori}")
    for ori, state in responders.items():
        service.add_responder(ori, state)


@pytest.fixture
def service(hub: Hub) -> RapSheetService:
    register_responders(hub)
    return hub.service(RapSheetService)


@pytest.fixture
def requester(hub: Hub) -> AgencyFixture:
    return new_agency(hub, "Requester")


def delivered_sheet(service: RapSheetService, ori: str) -> tuple[RapSheet, etree._Element]:
    (item,) = service.outbox(ori)
    message = service.fetch(ori, item.id)
    assert message is not None and message.body is not None
    assert message.content_type == "application/xml"
    envelope = etree.fromstring(message.body)
    body = envelope.find(f"{{{SOAP_NS}}}Body")
    assert body is not None
    return read_rap_sheet(etree.tostring(body[0])), envelope


def test_notification_and_two_portions_give_one_merged_delivery(
    service: RapSheetService, requester: AgencyFixture
) -> None:
    fbi = fbi_number()
    text = notification(requester.ori, fbi, [("TEXAS", "TX01"), ("OHIO", "OH02")], fbi_too=False)
    entry = service.notify(text, sender_ori="DCFBIWA00")
    assert entry.expected == ("TEXAS - STATE ID/TX01", "OHIO - STATE ID/OH02")
    first = service.receive_rap_sheet(
        portion("TEXAS", "TX01", fbi, "19950101"), sender_ori="TX0000000", destination=requester.ori
    )
    assert (first.outcome, first.missing) == ("merged", ("OHIO - STATE ID/OH02",))
    assert service.outbox(requester.ori) == []
    last = service.receive_rap_sheet(
        portion("OHIO", "OH02", fbi, "19900101"), sender_ori="OH0000000", destination=requester.ori
    )
    assert (last.outcome, last.merge_id) == ("delivered", entry.id)
    merged, envelope = delivered_sheet(service, requester.ori)
    assert [c.earliest_date for c in merged.cycles] == ["19900101", "19950101"]
    assert merged.identification.sid_numbers == ("OH02", "TX01")
    assert merged.summary is not None and merged.summary.total_arrests == 2
    key = envelope.find(f".//{{{ENVELOPE_NS}}}destinationId")
    assert key is not None and key.text == requester.ori
    with service.engine.connect() as conn:
        left = conn.execute(sa.select(rap_merge).where(rap_merge.c.id == entry.id)).first()
    assert left is None  # "removes the transaction from the Rap-Merge table"


def test_preferred_format_of_the_receiver_and_of_the_request(
    service: RapSheetService, requester: AgencyFixture
) -> None:
    fbi = fbi_number()
    service.set_receiver_format(requester.ori, "presentation-text")
    service.notify(
        notification(requester.ori, fbi, [("TEXAS", "TX01")], fbi_too=False), sender_ori="DCFBIWA00"
    )
    service.receive_rap_sheet(
        portion("TEXAS", "TX01", fbi, "19950101"), sender_ori="TX0000000", destination=requester.ori
    )
    (item,) = service.outbox(requester.ori)
    assert (item.format, item.content_type) == ("presentation-text", "text/plain; charset=utf-8")
    fbi = fbi_number()
    text = notification(requester.ori, fbi, [("TEXAS", "TX09")], fbi_too=False)
    service.notify(text, sender_ori="DCFBIWA00", format="presentation-html")
    service.receive_rap_sheet(
        portion("TEXAS", "TX09", fbi, "19950101"), sender_ori="TX0000000", destination=requester.ori
    )
    newest = service.outbox(requester.ori)[0]
    assert newest.format == "presentation-html"  # the request's format beats the preference
    message = service.fetch(requester.ori, newest.id)
    assert message is not None and message.body is not None and b"<html" in message.body.lower()


def test_a_sheet_without_an_entry_is_forwarded_directly(
    service: RapSheetService, requester: AgencyFixture
) -> None:
    receipt = service.receive_rap_sheet(
        portion("TEXAS", "TX01", fbi_number(), "19950101"),
        sender_ori="TX0000000",
        destination=requester.ori,
    )
    assert (receipt.outcome, receipt.merge_id) == ("forwarded", None)
    forwarded, envelope = delivered_sheet(service, requester.ori)
    assert forwarded.summary is not None  # 2.1: single-state sheets get their summary too
    origin = envelope.find(f".//{{{ENVELOPE_NS}}}originatingId")
    assert origin is not None and origin.text == "TX0000000"


def test_plain_text_and_nlets41_portions(
    service: RapSheetService, requester: AgencyFixture
) -> None:
    text = (FIXTURES / "plain-nc.txt").read_bytes()
    # A single-state answer in plain text, to a receiver that chose its format (issue 16: text
    # goes only to a requester with an active request or a receiver with a preference).
    service.set_receiver_format(requester.ori, "transmission")
    assert (
        service.receive_rap_sheet(text, sender_ori="NC0000000", destination=requester.ori).outcome
        == "forwarded"
    )
    (item,) = service.outbox(requester.ori)
    message = service.fetch(requester.ori, item.id)
    assert message is not None and message.body == text  # byte for byte (2.2)
    nlets = (FIXTURES / "nlets41-tx.xml").read_bytes()
    receipt = service.receive_rap_sheet(nlets, sender_ori="TX0000000", destination=requester.ori)
    assert receipt.outcome == "forwarded"
    assert len(service.outbox(requester.ori)) == 2


def test_time_out_with_a_portion_adds_a_caveat_naming_the_missing_one(
    service: RapSheetService, requester: AgencyFixture
) -> None:
    fbi = fbi_number()
    text = notification(requester.ori, fbi, [("TEXAS", "TX01"), ("OHIO", "OH02")], fbi_too=True)
    entry = service.notify(text, sender_ori="DCFBIWA00")
    service.receive_rap_sheet(
        portion("TEXAS", "TX01", fbi, "19950101"), sender_ori="TX0000000", destination=requester.ori
    )
    # not yet (other tests' merges may have run out by now: this one has not)
    assert entry.id not in service.sweep_timeouts(at=service.clock()).delivered
    report = service.sweep_timeouts(at=entry.deadline_at + dt.timedelta(seconds=1))
    assert entry.id in report.delivered
    merged, _ = delivered_sheet(service, requester.ori)
    caveats = [c.caveat or "" for c in merged.introduction.caveats]
    assert [c for c in caveats if "INCOMPLETE" in c] == [
        f"INCOMPLETE RECORD: the portion from FBI - FBI/{fbi} was not received before the time "
        "limit and is not included.",
        "INCOMPLETE RECORD: the portion from OHIO - STATE ID/OH02 was not received before the "
        "time limit and is not included.",
    ]
    # A portion after the time-out is single-state (2.5).
    late = service.receive_rap_sheet(
        portion("OHIO", "OH02", fbi, "19900101"), sender_ori="OH0000000", destination=requester.ori
    )
    assert (late.outcome, late.merge_id) == ("forwarded", None)
    assert len(service.outbox(requester.ori)) == 2


def test_time_out_with_nothing_received_clears_the_entry(
    service: RapSheetService, requester: AgencyFixture
) -> None:
    fbi = fbi_number()
    entry = service.notify(
        notification(requester.ori, fbi, [("TEXAS", "TX01")], fbi_too=False), sender_ori="DCFBIWA00"
    )
    report = service.sweep_timeouts(at=entry.deadline_at + LATER)
    assert entry.id in report.cleared
    assert service.outbox(requester.ori) == []
    # The same request may now be made again.
    service.notify(
        notification(requester.ori, fbi, [("TEXAS", "TX01")], fbi_too=False), sender_ori="DCFBIWA00"
    )


def test_a_second_active_request_with_the_same_key_is_refused_naming_the_first(
    service: RapSheetService, requester: AgencyFixture
) -> None:
    text = notification(requester.ori, fbi_number(), [("TEXAS", "TX01")], fbi_too=False)
    entry = service.notify(text, sender_ori="DCFBIWA00")
    with pytest.raises(DuplicateRequest) as caught:
        service.notify(text, sender_ori="DCFBIWA00")
    assert caught.value.merge_id == entry.id
    assert str(entry.id) in str(caught.value)


def test_a_duplicate_responder_sheet_is_ignored(
    service: RapSheetService, requester: AgencyFixture
) -> None:
    fbi = fbi_number()
    text = notification(requester.ori, fbi, [("TEXAS", "TX01"), ("OHIO", "OH02")], fbi_too=False)
    service.notify(text, sender_ori="DCFBIWA00")
    data = portion("TEXAS", "TX01", fbi, "19950101")
    service.receive_rap_sheet(data, sender_ori="TX0000000", destination=requester.ori)
    again = service.receive_rap_sheet(data, sender_ori="TX0000000", destination=requester.ori)
    assert again.outcome == "ignored"


def test_portions_of_two_people_are_refused(
    service: RapSheetService, requester: AgencyFixture
) -> None:
    fbi = fbi_number()
    text = notification(requester.ori, fbi, [("TEXAS", "TX01"), ("OHIO", "OH02")], fbi_too=False)
    service.notify(text, sender_ori="DCFBIWA00")
    service.receive_rap_sheet(
        portion("TEXAS", "TX01", fbi, "19950101"), sender_ori="TX0000000", destination=requester.ori
    )
    other = portion("OHIO", "OH02", fbi_number(), "19900101")  # same SID, another FBI number
    with pytest.raises(MergeError):
        service.receive_rap_sheet(other, sender_ori="OH0000000", destination=requester.ori)


def test_a_restart_in_the_middle_of_a_merge_loses_nothing(
    settings: Settings, service: RapSheetService, requester: AgencyFixture
) -> None:
    fbi = fbi_number()
    text = notification(requester.ori, fbi, [("TEXAS", "TX01"), ("OHIO", "OH02")], fbi_too=False)
    entry = service.notify(text, sender_ori="DCFBIWA00")
    service.receive_rap_sheet(
        portion("TEXAS", "TX01", fbi, "19950101"), sender_ori="TX0000000", destination=requester.ori
    )
    restarted = create_hub(settings)  # a new process: new engine, new service, nothing shared
    try:
        fresh = restarted.service(RapSheetService)
        last = fresh.receive_rap_sheet(
            portion("OHIO", "OH02", fbi, "19900101"),
            sender_ori="OH0000000",
            destination=requester.ori,
        )
        assert (last.outcome, last.merge_id) == ("delivered", entry.id)
        merged, _ = delivered_sheet(fresh, requester.ori)
        assert merged.identification.sid_numbers == ("OH02", "TX01")
    finally:
        restarted.dispose()


def test_the_delivery_log_holds_no_record_content(
    service: RapSheetService, requester: AgencyFixture
) -> None:
    fbi = fbi_number()
    text = notification(requester.ori, fbi, [("TEXAS", "TX71"), ("OHIO", "OH72")], fbi_too=True)
    entry = service.notify(text, sender_ori="DCFBIWA00")
    secret = {
        "names": (SubjectName("QUIXOTEZ", "ALONSOQ"),),
        "birthdates": ("19620229",),
    }
    service.receive_rap_sheet(
        portion("TEXAS", "TX71", fbi, "19950101", **secret),
        sender_ori="TX0000000",
        destination=requester.ori,
    )
    service.receive_rap_sheet(
        portion("OHIO", "OH72", fbi, "19900101", **secret),
        sender_ori="OH0000000",
        destination=requester.ori,
    )
    service.sweep_timeouts(at=entry.deadline_at + LATER)  # the FBI's portion never came
    service.receive_rap_sheet(
        portion("TEXAS", "TX71", fbi, "19950101", **secret),
        sender_ori="TX0000000",
        destination=requester.ori,
    )
    with service.engine.connect() as conn:
        rows = conn.execute(
            sa.select(rap_delivery_log).where(rap_delivery_log.c.destination_id == requester.ori)
        ).all()
    assert {r.event for r in rows} >= {"notified", "merged", "timed-out", "delivered", "forwarded"}
    everything = " ".join(str(value) for row in rows for value in row)
    for content in (
        "QUIXOTEZ",
        "ALONSOQ",
        "19620229",
        fbi,
        "TX71",
        "OH72",
        "THEFT",
        str(Severity.FELONY),
    ):
        assert content not in everything


def test_hostile_xml_is_refused(service: RapSheetService, requester: AgencyFixture) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><rapSheet>&b;</rapSheet>'
    )
    with pytest.raises(RapSheetFormatError, match="DOCTYPE"):
        service.receive_rap_sheet(bomb, sender_ori="TX0000000", destination=requester.ori)
    broken = f'<rapSheet xmlns="{NAMESPACE}" version="2.00"><bogus/></rapSheet>'.encode()
    with pytest.raises(RapSheetFormatError):
        service.receive_rap_sheet(broken, sender_ori="TX0000000", destination=requester.ori)
    assert service.outbox(requester.ori) == []


def test_the_sweep_runs_periodically_beside_serve(
    settings: Settings, requester: AgencyFixture
) -> None:
    quick = settings.model_copy(update={"rap_timeout_seconds": 0.01, "rap_sweep_seconds": 0.05})
    node = create_hub(quick)
    try:
        service = node.service(RapSheetService)
        text = notification(requester.ori, fbi_number(), [("TEXAS", "TX01")], fbi_too=False)
        entry = service.notify(text, sender_ori="DCFBIWA00")
        stop = node.periodic_job("rap-merge-sweep").start()
        try:
            for _ in range(100):
                with node.engine.connect() as conn:
                    row = conn.execute(sa.select(rap_merge.c.id).where(rap_merge.c.id == entry.id))
                    if row.first() is None:
                        break
                time.sleep(0.05)
            else:
                pytest.fail("the sweep did not clear the expired entry")
        finally:
            stop()
    finally:
        node.dispose()


def test_two_nodes_sweeping_at_once_deliver_a_timed_out_merge_once(
    settings: Settings, service: RapSheetService, requester: AgencyFixture
) -> None:
    import threading

    fbi = fbi_number()
    text = notification(requester.ori, fbi, [("TEXAS", "TX01"), ("OHIO", "OH02")], fbi_too=False)
    entry = service.notify(text, sender_ori="DCFBIWA00")
    service.receive_rap_sheet(
        portion("TEXAS", "TX01", fbi, "19950101"), sender_ori="TX0000000", destination=requester.ori
    )
    other = create_hub(settings)  # a second node: its own engine and pool
    try:
        nodes: list[RapSheetService] = [service, other.service(RapSheetService)]
        start = threading.Barrier(2)
        reports = []

        def sweep(node: RapSheetService) -> None:
            start.wait()
            reports.append(node.sweep_timeouts(at=entry.deadline_at + LATER))

        threads = [threading.Thread(target=sweep, args=(n,)) for n in nodes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        other.dispose()
    assert sum(r.delivered.count(entry.id) for r in reports) == 1
    assert len(service.outbox(requester.ori)) == 1


def test_only_the_notifier_oris_may_open_a_merge(
    service: RapSheetService, requester: AgencyFixture
) -> None:
    text = notification(requester.ori, fbi_number(), [("TEXAS", "TX01")], fbi_too=False)
    with pytest.raises(NotifierRefused, match="TX0000000 may not send EL01/FL01"):
        service.notify(text, sender_ori="TX0000000")
    assert service.notify(text, sender_ori="dcfbiwa00").expected == ("TEXAS - STATE ID/TX01",)


def test_the_notifier_setting_takes_oris_only() -> None:
    assert Settings(rap_notifiers=["dcfbiwa00", "WVFBI0000"]).rap_notifiers == [
        "DCFBIWA00",
        "WVFBI0000",
    ]
    with pytest.raises(ValueError, match="not ORIs"):
        Settings(rap_notifiers=["FBI"])


# --- issue 15: one person per merge, one id per merge ----------------------------------------


def _entry_state(service: RapSheetService, merge_id: int) -> tuple[object, ...]:
    with service.engine.connect() as conn:
        row = conn.execute(sa.select(rap_merge).where(rap_merge.c.id == merge_id)).one()
    return (row.state, row.received, row.expected)


def _log(service: RapSheetService, requester: str) -> list[tuple[str, int | None, str]]:
    with service.engine.connect() as conn:
        rows = conn.execute(
            sa.select(rap_delivery_log)
            .where(rap_delivery_log.c.destination_id == requester)
            .order_by(rap_delivery_log.c.id)
        ).all()
    return [(r.event, r.merge_id, r.originating_id) for r in rows]


def test_a_portion_of_another_person_is_refused_stored_nowhere_and_logged_by_id(
    service: RapSheetService, requester: AgencyFixture
) -> None:
    fbi, stranger = fbi_number(), fbi_number()
    text = notification(requester.ori, fbi, [("TEXAS", "TX01"), ("OHIO", "OH02")], fbi_too=False)
    entry = service.notify(text, sender_ori="DCFBIWA00")
    service.receive_rap_sheet(
        portion("TEXAS", "TX01", fbi, "19950101"), sender_ori="TX0000000", destination=requester.ori
    )
    before = _entry_state(service, entry.id)
    other = portion("OHIO", "OH02", stranger, "19900101", names=(SubjectName("ROE", "RICHARD"),))
    with pytest.raises(PortionRefused) as caught:
        service.receive_rap_sheet(other, sender_ori="OH0000000", destination=requester.ori)
    assert isinstance(caught.value, MergeError) and caught.value.merge_id == entry.id
    assert f"the portion from OH0000000 (FBI {stranger}) names another FBI number" in str(
        caught.value
    )
    assert _entry_state(service, entry.id) == before  # nothing of it stored, still waiting
    assert service.outbox(requester.ori) == []
    assert _log(service, requester.ori)[-1] == ("refused", entry.id, "OH0000000")
    with service.engine.connect() as conn:
        logged = " ".join(str(v) for row in conn.execute(sa.select(rap_delivery_log)) for v in row)
    for content in (stranger, "ROE", "RICHARD", "OH02", "19900101"):
        assert content not in logged
    # Ohio's own portion still completes the merge.
    last = service.receive_rap_sheet(
        portion("OHIO", "OH02", fbi, "19900101"), sender_ori="OH0000000", destination=requester.ori
    )
    assert (last.outcome, last.merge_id) == ("delivered", entry.id)


def test_a_second_fbi_number_is_refused_when_the_notification_names_none(
    service: RapSheetService, requester: AgencyFixture
) -> None:
    text = "\n".join(
        [
            "EL01HEADERXXXX01234",
            requester.ori,
            "THIS INTERSTATE IDENTIFICATION INDEX RESPONSE IS THE RESULT OF YOUR REQUEST FOR SID/TX01 .",
            " TEXAS - STATE ID/TX01",
            " OHIO - STATE ID/OH02",
            "END",
        ]
    )
    entry = service.notify(text, sender_ori="DCFBIWA00")
    service.receive_rap_sheet(
        portion("TEXAS", "TX01", fbi_number(), "19950101"),
        sender_ori="TX0000000",
        destination=requester.ori,
    )
    before = _entry_state(service, entry.id)
    with pytest.raises(PortionRefused, match="different FBI numbers"):
        service.receive_rap_sheet(
            portion("OHIO", "OH02", fbi_number(), "19900101"),
            sender_ori="OH0000000",
            destination=requester.ori,
        )
    assert _entry_state(service, entry.id) == before


def test_numbers_in_another_spelling_still_find_their_merge(
    service: RapSheetService, requester: AgencyFixture
) -> None:
    # Nlets 4.1 leaves numbers as the state keys them (the 2.00 schema fixes their form):
    # Texas sends its SID without the state prefix and no FBI number, the FBI its number dashed.
    nlets = (FIXTURES / "nlets41-tx.xml").read_text()
    fbi_tag = "<nc:IdentificationID>901100</nc:IdentificationID>"
    sid_tag = "<nc:IdentificationID>TX01346790</nc:IdentificationID>"
    texas = nlets.replace(fbi_tag, "<nc:IdentificationID/>").replace(
        sid_tag, "<nc:IdentificationID>0134 6790</nc:IdentificationID>"
    )
    from_fbi = nlets.replace(fbi_tag, "<nc:IdentificationID>901-100</nc:IdentificationID>").replace(
        sid_tag, "<nc:IdentificationID/>"
    )
    text = notification(requester.ori, "901100", [("TEXAS", "TX01346790")], fbi_too=True)
    entry = service.notify(text, sender_ori="DCFBIWA00")
    first = service.receive_rap_sheet(
        texas.encode(), sender_ori="TX0000000", destination=requester.ori
    )
    assert (first.outcome, first.merge_id, first.responder) == (
        "merged",
        entry.id,
        "TEXAS - STATE ID/TX01346790",
    )
    last = service.receive_rap_sheet(
        from_fbi.encode(), sender_ori="DCFBIWA00", destination=requester.ori
    )
    assert (last.outcome, last.merge_id, last.responder) == (
        "delivered",
        entry.id,
        "FBI - FBI/901100",
    )
    merged, _ = delivered_sheet(service, requester.ori)
    # One spelling of each in the record delivered, valid 2.00 (delivered_sheet reads it).
    assert merged.identification.fbi_number == "901100"
    assert merged.identification.sid_numbers == ("TX01346790",)


def test_three_merges_one_after_the_other_get_three_merge_ids(
    service: RapSheetService, requester: AgencyFixture
) -> None:
    ids = []
    for n in range(3):
        fbi = fbi_number()
        text = notification(requester.ori, fbi, [("TEXAS", f"TXQ{n}Z")], fbi_too=False)
        entry = service.notify(text, sender_ori="DCFBIWA00")
        done = service.receive_rap_sheet(
            portion("TEXAS", f"TXQ{n}Z", fbi, "19950101", birthdates=("19620229",)),
            sender_ori="TX0000000",
            destination=requester.ori,
        )
        assert done.outcome == "delivered"  # the entry is deleted: its id must not come back
        ids.append(entry.id)
    assert len(set(ids)) == 3
    log = _log(service, requester.ori)
    assert [m for e, m, _ in log if e == "notified"] == ids
    assert {m for e, m, _ in log if e == "delivered"} == set(ids)
    with service.engine.connect() as conn:
        logged = " ".join(str(v) for row in conn.execute(sa.select(rap_delivery_log)) for v in row)
    for content in ("19620229", "TXQ0Z", "TXQ2Z", "JONES"):  # still no record content
        assert content not in logged

"""Outbox retention: the time-out sweep deletes old deliveries and keeps their log entries."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from jdx.exchanges.rapsheets.service import RapSheetService
from jdx.exchanges.rapsheets.tables import rap_delivery_log, rap_outbox
from jdx.hub import Hub
from jdx.store.queries import now
from tests.conftest import new_agency
from tests.exchanges.rapsheets.test_service import fbi_number, portion, register_responders


def _service_at(hub: Hub, moment: dt.datetime) -> RapSheetService:
    return RapSheetService(hub.engine, hub.settings, clock=lambda: moment)


def _deliver(hub: Hub, requester: str, days_ago: float, *, fetched: bool) -> str:
    """One forwarded sheet delivered ``days_ago``, fetched the same day if ``fetched``."""
    then = _service_at(hub, now() - dt.timedelta(days=days_ago))
    data = portion("TEXAS", "TX01", fbi_number(), "19950101")
    receipt = then.receive_rap_sheet(data, sender_ori="TX0000000", destination=requester)
    assert receipt.message_id is not None
    if fetched:
        (item,) = [m for m in then.outbox(requester) if m.message_id == receipt.message_id]
        assert then.fetch(requester, item.id) is not None
    return receipt.message_id


def test_the_sweep_deletes_deliveries_past_their_retention_and_keeps_the_log(hub: Hub) -> None:
    settings = hub.settings
    assert (settings.rap_outbox_days, settings.rap_outbox_unfetched_days) == (30, 90)
    register_responders(hub)
    requester = new_agency(hub, "Requester").ori
    old_fetched = _deliver(hub, requester, 31, fetched=True)
    recent_fetched = _deliver(hub, requester, 29, fetched=True)
    old_unfetched = _deliver(hub, requester, 60, fetched=False)  # not fetched: kept longer
    lost = _deliver(hub, requester, 91, fetched=False)
    report = RapSheetService(hub.engine, settings).sweep_timeouts()
    assert {old_fetched, lost} <= set(report.purged)
    assert not {recent_fetched, old_unfetched} & set(report.purged)
    with hub.engine.connect() as conn:
        left = conn.execute(
            sa.select(rap_outbox.c.message_id).where(rap_outbox.c.receiver_ori == requester)
        )
        assert set(left.scalars()) == {recent_fetched, old_unfetched}
        log = conn.execute(
            sa.select(rap_delivery_log.c.event, rap_delivery_log.c.message_id).where(
                rap_delivery_log.c.destination_id == requester
            )
        ).all()
    events = {(e, m) for e, m in log}
    for message_id in (old_fetched, recent_fetched, old_unfetched, lost):
        assert ("delivered", message_id) in events  # the log outlives the content
    assert {m for e, m in events if e == "purged"} == {old_fetched, lost}

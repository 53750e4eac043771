"""The dashboards' rap-sheet figures (issue 19): merge events per day, merges waiting."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from jdx.exchanges.rapsheets import figures
from jdx.exchanges.rapsheets.service import RapSheetService
from tests.conftest import AgencyFixture
from tests.exchanges.rapsheets.test_service import (
    LATER,
    fbi_number,
    notification,
    portion,
    requester,
    service,
)

__all__ = ["requester", "service"]  # the fixtures, used by name


def test_merges_per_day_and_the_merges_waiting(
    service: RapSheetService, requester: AgencyFixture
) -> None:
    fbi, other = fbi_number(), fbi_number()
    merged = service.notify(
        notification(requester.ori, fbi, [("TEXAS", "TX01")], fbi_too=False), sender_ori="DCFBIWA00"
    )
    service.receive_rap_sheet(
        portion("TEXAS", "TX01", fbi, "19950101"), sender_ori="TX0000000", destination=requester.ori
    )
    waiting = service.notify(
        notification(requester.ori, other, [("TEXAS", "TX02"), ("OHIO", "OH03")], fbi_too=False),
        sender_ori="DCFBIWA00",
    )
    service.receive_rap_sheet(
        portion("TEXAS", "TX02", other, "19950101"),
        sender_ori="TX0000000",
        destination=requester.ori,
    )
    today = dt.datetime.now(dt.UTC).date()
    with service.engine.connect() as conn:
        left = {w.merge_id: w for w in figures.waiting_merges(conn)}
        before = _events(conn, today)
    assert merged.id not in left
    assert (left[waiting.id].expected, left[waiting.id].received) == (2, 1)
    assert left[waiting.id].requester_ori == requester.ori
    assert before[(today, "merged")] >= 2  # a portion of each
    swept_at = waiting.deadline_at + LATER
    deadline_day = swept_at.date()
    service.sweep_timeouts(at=swept_at)
    with service.engine.connect() as conn:
        after = _events(conn, deadline_day)
        assert waiting.id not in {w.merge_id for w in figures.waiting_merges(conn)}
    assert after[(deadline_day, "timed-out")] >= 1


def _events(conn: sa.Connection, day: dt.date) -> dict[tuple[dt.date, str], int]:
    return {
        (d.day, d.event): d.count for d in figures.merge_events_per_day(conn, days=1, today=day)
    }

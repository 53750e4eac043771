"""The rap-sheet figures of the dashboards: the merge events of each day (portions merged,
merges that timed out and were delivered with a caveat, merges cleared with nothing received),
and the merges waiting now with their deadlines.

From the delivery log (identifying information only, seed 2.5) and the merge table: an
administrator's view (rap sheets have no agency portal).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from jdx.exchanges.rapsheets.tables import rap_delivery_log, rap_merge

EVENTS = ("merged", "timed-out", "cleared")


@dataclass(frozen=True)
class MergeDay:
    day: dt.date
    event: str  # one of EVENTS
    count: int


@dataclass(frozen=True)
class WaitingMerge:
    merge_id: int
    requester_ori: str
    expected: int
    received: int
    created_at: dt.datetime
    deadline_at: dt.datetime


def merge_events_per_day(conn: sa.Connection, *, days: int, today: dt.date) -> list[MergeDay]:
    since = dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time(), tzinfo=dt.UTC)
    day = sa.func.date(rap_delivery_log.c.logged_at)
    query = (
        sa.select(day, rap_delivery_log.c.event, sa.func.count())
        .where(rap_delivery_log.c.event.in_(EVENTS), rap_delivery_log.c.logged_at >= since)
        .group_by(day, rap_delivery_log.c.event)
        .order_by(day, rap_delivery_log.c.event)
    )
    return [
        MergeDay(d if isinstance(d, dt.date) else dt.date.fromisoformat(d), e, n)
        for d, e, n in conn.execute(query)
    ]


def waiting_merges(conn: sa.Connection) -> list[WaitingMerge]:
    """The merges still waiting for portions, the nearest deadline first."""
    query = sa.select(
        rap_merge.c.id,
        rap_merge.c.requester_ori,
        rap_merge.c.expected,
        rap_merge.c.received,
        rap_merge.c.created_at,
        rap_merge.c.deadline_at,
    ).order_by(rap_merge.c.deadline_at, rap_merge.c.id)
    return [
        WaitingMerge(i, ori, len(expected or []), len(received or []), created, deadline)
        for i, ori, expected, received, created, deadline in conn.execute(query)
    ]

"""The stop-data figures of the dashboards: stops per day by channel and status, error rates and
the commonest error codes per agency, batch file processing times.

Each figure is one grouped query, scoped like every list: an agency's own (``ori``) or, for an
administrator, every agency's (``ori=None``). Days are the days the hub received the stops
(``created_at``, UTC): the trend an agency's submissions follow, whatever the stop dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from jdx.exchanges.stops.listing import issue_codes
from jdx.exchanges.stops.records import STATUS_ERRORS
from jdx.exchanges.stops.tables import stop_files, stops


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    channel: str
    status: str
    stops: int


@dataclass(frozen=True)
class AgencyErrors:
    ori: str
    stops: int
    with_errors: int

    @property
    def rate(self) -> float:
        return self.with_errors / self.stops if self.stops else 0.0


@dataclass(frozen=True)
class FileTime:
    file_id: int
    file_name: str
    records: int
    seconds: float


def _since(days: int, today: dt.date) -> dt.datetime:
    return dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time(), tzinfo=dt.UTC)


def _scope(query: sa.Select[Any], realm: str, ori: str | None) -> sa.Select[Any]:
    query = query.where(stops.c.realm == realm)
    return query if ori is None else query.where(stops.c.ori == ori)


def stops_per_day(
    conn: sa.Connection, realm: str, ori: str | None, *, days: int, today: dt.date
) -> list[DayCount]:
    """Stops received on each of the last ``days`` days, by channel and status."""
    day = sa.func.date(stops.c.created_at)
    query = _scope(
        sa.select(day, stops.c.channel, stops.c.status, sa.func.count())
        .where(stops.c.created_at >= _since(days, today))
        .group_by(day, stops.c.channel, stops.c.status)
        .order_by(day, stops.c.channel, stops.c.status),
        realm,
        ori,
    )
    return [
        DayCount(d if isinstance(d, dt.date) else dt.date.fromisoformat(d), ch, st, n)
        for d, ch, st, n in conn.execute(query)
    ]


def error_rates(
    conn: sa.Connection, realm: str, ori: str | None, *, days: int, today: dt.date
) -> list[AgencyErrors]:
    """Per agency: stops received in the last ``days`` days, and how many have errors now."""
    with_errors = sa.func.sum(sa.case((stops.c.status == STATUS_ERRORS, 1), else_=0))
    query = _scope(
        sa.select(stops.c.ori, sa.func.count(), with_errors)
        .where(stops.c.created_at >= _since(days, today))
        .group_by(stops.c.ori)
        .order_by(stops.c.ori),
        realm,
        ori,
    )
    return [AgencyErrors(o, n, int(e or 0)) for o, n, e in conn.execute(query)]


def top_error_codes(
    conn: sa.Connection, realm: str, ori: str | None, *, days: int, today: dt.date, limit: int = 10
) -> list[tuple[str, int]]:
    """The commonest error codes of the stops received in the last ``days`` days (the stops'
    current errors: a corrected record no longer counts)."""
    element, code = issue_codes(conn)
    query = _scope(
        sa.select(code, sa.func.count())
        .select_from(stops)
        .join(element, sa.true())
        .where(stops.c.created_at >= _since(days, today))
        .group_by(code)
        .order_by(sa.func.count().desc(), code)
        .limit(limit),
        realm,
        ori,
    )
    return [(str(c), int(n)) for c, n in conn.execute(query)]


def file_times(
    conn: sa.Connection, realm: str, agency_id: int | None, *, days: int, today: dt.date
) -> list[FileTime]:
    """Batch files finished in the last ``days`` days: records and seconds from receipt to
    answer, oldest first."""
    query = (
        sa.select(
            stop_files.c.id,
            stop_files.c.file_name,
            stop_files.c.total,
            stop_files.c.received_at,
            stop_files.c.finished_at,
        )
        .where(
            stop_files.c.realm == realm,
            stop_files.c.finished_at.is_not(None),
            stop_files.c.finished_at >= _since(days, today),
        )
        .order_by(stop_files.c.finished_at, stop_files.c.id)
    )
    if agency_id is not None:
        query = query.where(stop_files.c.agency_id == agency_id)
    return [
        FileTime(i, name, total, (finished - received).total_seconds())
        for i, name, total, received, finished in conn.execute(query)
    ]

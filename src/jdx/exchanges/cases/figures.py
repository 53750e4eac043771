"""The NamUs figures of the dashboards: import jobs per day, and how long each region's review
queue has waited.

Scoped like the lists: an agency's own (``agency_id``) or every agency's (None); the review
queue by the regions an actor may see (``regions``; None for all).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa

from jdx.exchanges.cases.tables import cases, import_jobs

# The review states a case waits in for an RPS.
WAITING = ("pending",)


@dataclass(frozen=True)
class JobDay:
    day: dt.date
    jobs: int
    cases: int  # created by those jobs
    rejected: int


@dataclass(frozen=True)
class QueueAge:
    region: str
    waiting: int
    oldest: dt.datetime | None

    def oldest_days(self, now: dt.datetime) -> float:
        return (now - self.oldest).total_seconds() / 86400 if self.oldest else 0.0


def _date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def jobs_per_day(
    conn: sa.Connection, realm: str, agency_id: int | None, *, days: int, today: dt.date
) -> list[JobDay]:
    since = dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time(), tzinfo=dt.UTC)
    day = sa.func.date(import_jobs.c.created_at)
    query = (
        sa.select(
            day,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(import_jobs.c.created), 0),
            sa.func.coalesce(sa.func.sum(import_jobs.c.rejected), 0),
        )
        .where(import_jobs.c.realm == realm, import_jobs.c.created_at >= since)
        .group_by(day)
        .order_by(day)
    )
    if agency_id is not None:
        query = query.where(import_jobs.c.agency_id == agency_id)
    return [JobDay(_date(d), n, int(c), int(r)) for d, n, c, r in conn.execute(query)]


def review_queue_ages(
    conn: sa.Connection, realm: str, regions: Collection[str] | None
) -> list[QueueAge]:
    """Per region: cases waiting for review, and when the oldest of them came in."""
    query = (
        sa.select(cases.c.region, sa.func.count(), sa.func.min(cases.c.created_at))
        .where(cases.c.realm == realm, cases.c.review_state.in_(WAITING))
        .group_by(cases.c.region)
        .order_by(cases.c.region)
    )
    if regions is not None:
        query = query.where(cases.c.region.in_(regions))
    return [QueueAge(r, n, _aware(o)) for r, n, o in conn.execute(query)]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives back naive UTC; PostgreSQL aware."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value

"""The audit log searched by an administrator: by agency, actor, exchange, action, outcome and
day, newest first, paged with the total, or streamed whole for an export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from jdx.store.paging import Page, fetch_page
from jdx.store.tables import audit_log

COLUMNS = (
    "id",
    "at",
    "exchange",
    "realm",
    "actor",
    "ori",
    "channel",
    "action",
    "subject",
    "record_id",
    "outcome",
    "codes",
)
STREAM_BATCH = 1000


@dataclass(frozen=True)
class AuditFilter:
    ori: str | None = None
    actor: str | None = None
    exchange: str | None = None
    action: str | None = None
    outcome: str | None = None  # the start of the outcome ("accepted", "refused: ...")
    subject: str | None = None
    day_from: dt.date | None = None
    day_to: dt.date | None = None


def _query(where: AuditFilter) -> sa.Select[Any]:
    query = sa.select(*(audit_log.c[c] for c in COLUMNS)).order_by(audit_log.c.id.desc())
    for column in ("ori", "actor", "exchange", "action", "subject"):
        value = getattr(where, column)
        if value:
            query = query.where(audit_log.c[column] == value)
    if where.outcome:
        query = query.where(audit_log.c.outcome.startswith(where.outcome, autoescape=True))
    if where.day_from is not None:
        start = dt.datetime.combine(where.day_from, dt.time(), tzinfo=dt.UTC)
        query = query.where(audit_log.c.at >= start)
    if where.day_to is not None:
        end = dt.datetime.combine(where.day_to + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        query = query.where(audit_log.c.at < end)
    return query


def search(
    conn: sa.Connection, where: AuditFilter, *, limit: int, offset: int
) -> Page[dict[str, Any]]:
    return fetch_page(
        conn, _query(where), limit=limit, offset=offset, row=lambda r: dict(r._mapping)
    )


def iter_entries(conn: sa.Connection, where: AuditFilter) -> Iterator[dict[str, Any]]:
    streamed = conn.execution_options(stream_results=True, yield_per=STREAM_BATCH)
    for row in streamed.execute(_query(where)):
        yield dict(row._mapping)

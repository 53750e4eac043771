"""Delivery (seed 2.7): a rap sheet in its receiver's format, into the outbox, with a log entry.

Everything here runs inside the caller's transaction, so that a delivery, its log entry and the
removal of the Rap-Merge entry it completes commit together or not at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa

from jdx.exchanges.rapsheets.model import RapSheet
from jdx.exchanges.rapsheets.present import STDRAP, EnvelopeHeader, render, write_envelope
from jdx.exchanges.rapsheets.summary import with_summary
from jdx.exchanges.rapsheets.tables import rap_delivery_log, rap_outbox, rap_receivers

DeliveryFormat = Literal["transmission", "presentation-html", "presentation-text"]
DEFAULT_FORMAT: DeliveryFormat = "transmission"
# The hub's own id as the originator of a composite record: no single responder sent it.
HUB_ID = "JDX"

CONTENT_TYPES = {
    "transmission": "application/xml",
    "presentation-html": "text/html; charset=utf-8",
    "presentation-text": "text/plain; charset=utf-8",
    "plain-text": "text/plain",
}


@dataclass(frozen=True, slots=True)
class Route:
    """Who a delivery is from and to, and under which key (the envelope's routing header)."""

    originating_id: str
    destination_id: str
    message_key: str
    merge_id: int | None = None


def receiver_format(conn: sa.Connection, ori: str, requested: str | None = None) -> DeliveryFormat:
    """The request's format if it named one, else the receiver's preference, else transmission
    (seed 2.1: the format "may be contained in the original request ... or in a preference
    table")."""
    if requested is not None:
        return checked_format(requested)
    stored = conn.execute(
        sa.select(rap_receivers.c.format).where(rap_receivers.c.ori == ori)
    ).scalar_one_or_none()
    return checked_format(stored) if stored else DEFAULT_FORMAT


def checked_format(value: str) -> DeliveryFormat:
    if value == "transmission":
        return "transmission"
    if value == "presentation-html":
        return "presentation-html"
    if value == "presentation-text":
        return "presentation-text"
    raise ValueError(f"unknown delivery format {value!r}")


def format_sheet(
    sheet: RapSheet, fmt: DeliveryFormat, route: Route, message_id: str, *, as_of: str
) -> bytes:
    """The sheet with a summary counted now (2.6.5: the hub makes it, for single- and
    multi-source records alike; one a sender included is replaced), in ``fmt``."""
    sheet = with_summary(dataclasses.replace(sheet, summary=None), as_of=as_of)
    if fmt == "presentation-html":
        return render(sheet, "html").encode()
    if fmt == "presentation-text":
        return render(sheet, "text").encode()
    header = EnvelopeHeader(
        message_key=route.message_key,
        originating_id=route.originating_id,
        destination_id=route.destination_id,
        message_id=message_id,
    )
    return write_envelope(sheet, header)


def deliver(
    conn: sa.Connection,
    route: Route,
    body: bytes,
    fmt: str,
    *,
    at: dt.datetime,
    message_id: str | None = None,
) -> str:
    """Put ``body`` in the receiver's outbox, naming its sender (the route's originator: who
    authenticated, or the hub for a merged record), and log the delivery; returns the message
    id."""
    message_id = message_id or uuid.uuid4().hex
    conn.execute(
        rap_outbox.insert().values(
            receiver_ori=route.destination_id,
            sender_ori=route.originating_id,
            message_id=message_id,
            format=fmt,
            content_type=CONTENT_TYPES[fmt],
            body=body,
            created_at=at,
        )
    )
    log_event(conn, "delivered", route, at=at, message_id=message_id)
    return message_id


def deliver_sheet(
    conn: sa.Connection,
    sheet: RapSheet,
    route: Route,
    *,
    at: dt.datetime,
    requested: str | None = None,
) -> str:
    """Format ``sheet`` as its receiver wants it and deliver it."""
    fmt = receiver_format(conn, route.destination_id, requested)
    message_id = uuid.uuid4().hex
    body = format_sheet(sheet, fmt, route, message_id, as_of=at.strftime("%Y%m%d"))
    return deliver(conn, route, body, fmt, at=at, message_id=message_id)


def log_event(
    conn: sa.Connection,
    event: str,
    route: Route,
    *,
    at: dt.datetime,
    transaction_type: str = STDRAP,
    message_id: str | None = None,
) -> None:
    """One delivery-log row: ids, ORIs, type and time only (seed 2.5: never record content)."""
    conn.execute(
        rap_delivery_log.insert().values(
            event=event,
            transaction_type=transaction_type,
            merge_id=route.merge_id,
            originating_id=route.originating_id,
            destination_id=route.destination_id,
            message_id=message_id,
            logged_at=at,
        )
    )


def purge_outbox(
    conn: sa.Connection,
    fetched_before: dt.datetime,
    made_before: dt.datetime,
    *,
    at: dt.datetime,
    limit: int,
) -> list[str]:
    """Delete up to ``limit`` deliveries first fetched before ``fetched_before`` or never
    fetched and made before ``made_before``; log each (``purged``) and return their message
    ids. The log rows of the deliveries stay. On PostgreSQL rows another node is purging are
    skipped."""
    query = (
        sa.select(rap_outbox.c.id, rap_outbox.c.message_id, rap_outbox.c.receiver_ori)
        .where(
            sa.or_(
                rap_outbox.c.fetched_at < fetched_before,
                sa.and_(rap_outbox.c.fetched_at.is_(None), rap_outbox.c.created_at < made_before),
            )
        )
        .order_by(rap_outbox.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = conn.execute(query).all()
    if rows:
        conn.execute(rap_outbox.delete().where(rap_outbox.c.id.in_([r.id for r in rows])))
    for row in rows:
        route = Route(HUB_ID, row.receiver_ori, "OUTBOX-RETENTION")
        log_event(conn, "purged", route, at=at, message_id=row.message_id)
    return [row.message_id for row in rows]

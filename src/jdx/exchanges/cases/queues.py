"""The review queues as lists (issue 19): the cases and the cancellation requests awaiting an
RPS (or the administrator, or a client's own), searched, paged with a total, and exported whole.

Who sees which rows is asked here before any filter, once for the portal, its exports and the
API: the administrator every region; an RPS its regions (a region named that is not its own is
refused, never silently emptied); a client the cases its agency entered or contributes to, and
its own agency's cancellation requests. The queues are oldest first: the longest waiting on top.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from jdx.exchanges.cases.process import parse_case_number
from jdx.exchanges.cases.review_read import Forbidden, Invalid, cancellation_view, summary
from jdx.exchanges.cases.tables import cancellation_requests as requests
from jdx.exchanges.cases.tables import case_contributors, cases
from jdx.security.actors import Actor
from jdx.store.paging import Page, fetch_page
from jdx.store.tables import agencies

KINDS = ("cases", "cancellations")
CASE_TYPES = ("MP", "UP")

# The columns of a queue's rows, in the order of its exports (the keys of review_read.summary and
# of a cancellation request's view, with the agency's ORI and case number).
CASE_COLUMNS = (
    "case_number",
    "case_type",
    "agency",
    "client_case_number",
    "state",
    "region",
    "review_state",
    "permission_recorded",
    "published",
    "closed_reason",
    "job_id",
    "created_at",
    "updated_at",
)
CANCELLATION_COLUMNS = (
    "id",
    "case_number",
    "agency",
    "client_case_number",
    "reason",
    "note",
    "region",
    "state",
    "reviewer_note",
    "job_id",
    "created_at",
    "decided_at",
)


@dataclass(frozen=True)
class QueueFilter:
    """A search of a queue: each field narrows it; None leaves it open."""

    ori: str | None = None  # the entering (requesting) agency
    case_type: str | None = None  # MP | UP
    region: str | None = None  # one of the actor's regions (any, for the administrator)
    received_from: dt.date | None = None  # imported (requested) on or after this day, UTC
    received_to: dt.date | None = None  # that day included
    # part of the agency's case number or the agency's name, or the hub's case number (MP12)
    text: str | None = None


def in_regions(
    actor: Actor, region: str | None, column: sa.ColumnElement[Any]
) -> sa.ColumnElement[bool]:
    """An RPS's (or the administrator's) rows: of one region when named, which must be theirs."""
    if region is not None:
        if not actor.sees_region(region):
            raise Forbidden(f"region {region} is not one of yours")
        return column == region
    if actor.role == "rps":
        return column.in_(sorted(actor.regions))
    return sa.true()


def visible_cases(actor: Actor, region: str | None) -> sa.ColumnElement[bool]:
    """The cases the actor sees: a client its agency's and those it contributes to."""
    if actor.role == "client":
        contributed = sa.select(case_contributors.c.case_id).where(
            case_contributors.c.agency_id == actor.agency_id
        )
        return sa.or_(cases.c.agency_id == actor.agency_id, cases.c.id.in_(contributed))
    return in_regions(actor, region, cases.c.region)


def cases_query(
    actor: Actor, where: QueueFilter, review_states: tuple[str, ...] | None
) -> sa.Select[Any]:
    """The cases the actor sees in ``review_states`` (None: any) that match ``where``."""
    query = (
        sa.select(cases, agencies.c.ori)
        .join(agencies, agencies.c.id == cases.c.agency_id)
        .where(cases.c.realm == actor.effective_realm, visible_cases(actor, where.region))
        .order_by(cases.c.created_at, cases.c.id)
    )
    if review_states:
        query = query.where(cases.c.review_state.in_(review_states))
    return query.where(*_searched(where, cases.c.created_at, cases.c.case_type, cases.c.id))


def cancellations_query(actor: Actor, where: QueueFilter) -> sa.Select[Any]:
    """The pending cancellation requests the actor decides on (a client: its own)."""
    if actor.role == "client":
        own = requests.c.agency_id == actor.agency_id
    else:
        own = in_regions(actor, where.region, requests.c.region)
    query = (
        sa.select(requests, cases.c.case_type, cases.c.client_case_number, agencies.c.ori)
        .join(cases, cases.c.id == requests.c.case_id)
        .join(agencies, agencies.c.id == requests.c.agency_id)
        .where(own, requests.c.state == "pending", cases.c.realm == actor.effective_realm)
        .order_by(requests.c.created_at, requests.c.id)
    )
    return query.where(*_searched(where, requests.c.created_at, cases.c.case_type, cases.c.id))


def case_row(row: sa.Row[Any]) -> dict[str, Any]:
    return summary(row)


def cancellation_row(row: sa.Row[Any]) -> dict[str, Any]:
    return {
        **cancellation_view(row, row.case_type),
        "agency": row.ori,
        "client_case_number": row.client_case_number,
    }


def queue_query(
    actor: Actor, kind: str, where: QueueFilter, review_states: tuple[str, ...] | None = None
) -> tuple[sa.Select[Any], Callable[[sa.Row[Any]], dict[str, Any]]]:
    """The queue of ``kind`` (cases: in ``review_states``, None for any) and how a row of it
    reads; a region named that is not the actor's is refused here, before any query runs."""
    if kind == "cancellations":
        return cancellations_query(actor, where), cancellation_row
    if kind != "cases":
        raise Invalid(f"a queue is of {' or '.join(KINDS)}")
    return cases_query(actor, where, review_states), case_row


def queue_page(
    conn: sa.Connection,
    actor: Actor,
    kind: str,
    where: QueueFilter,
    *,
    review_states: tuple[str, ...] | None = None,
    limit: int,
    offset: int,
) -> Page[dict[str, Any]]:
    """One page of the queue, with the count of all its rows."""
    query, row = queue_query(actor, kind, where, review_states)
    return fetch_page(conn, query, limit=limit, offset=offset, row=row)


def _searched(
    where: QueueFilter,
    received: sa.ColumnElement[Any],
    case_type: sa.ColumnElement[Any],
    case_id: sa.ColumnElement[Any],
) -> list[sa.ColumnElement[bool]]:
    """The conditions of ``where`` on a queue whose rows were received at ``received``."""
    found: list[sa.ColumnElement[bool]] = []
    if where.ori:
        found.append(agencies.c.ori == where.ori)
    if where.case_type:
        found.append(case_type == where.case_type)
    if where.received_from is not None:
        found.append(received >= _start_of(where.received_from))
    if where.received_to is not None:
        found.append(received < _start_of(where.received_to + dt.timedelta(days=1)))
    if where.text:
        text = where.text.lower()
        matches = [
            sa.func.lower(cases.c.client_case_number).contains(text, autoescape=True),
            sa.func.lower(agencies.c.name).contains(text, autoescape=True),
        ]
        number = parse_case_number(where.text.upper())
        if number is not None:  # the hub's own case number, as the queue shows it
            matches.append(sa.and_(case_type == number[0], case_id == number[1]))
        found.append(sa.or_(*matches))
    return found


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)

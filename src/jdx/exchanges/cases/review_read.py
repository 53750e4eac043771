"""What the case review reads: who may see a case, its summary and full view, its history.

The rules of visibility live here once, for the API and the portal alike: the administrator sees
everything; an RPS the cases of its regions; a client the cases its agency entered or
contributes to. A case outside them is answered as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from jdx.exchanges.cases.process import case_number, parse_case_number
from jdx.exchanges.cases.tables import cancellation_requests as requests
from jdx.exchanges.cases.tables import case_contributors, case_edits, cases
from jdx.security.actors import Actor
from jdx.store.tables import agencies


class ReviewError(Exception):
    """A review request refused; ``status`` is the HTTP answer's."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ReviewError):
    """No such record, or one the actor may not see (never told apart)."""

    status = 404


class Forbidden(ReviewError):
    """The actor sees the record but may not do this to it."""

    status = 403


class Conflict(ReviewError):
    """Not in this state (publish without permission, edit after publication, ...)."""

    status = 409


class Invalid(ReviewError):
    """A request missing what it needs (a note, an agency that exists)."""

    status = 422


EDITABLE = ("pending", "returned")


@dataclass(frozen=True)
class Loaded:
    row: Any  # the cases row, with the entering agency's ``ori``
    contributors: frozenset[int]  # agency ids

    @property
    def number(self) -> str:
        return str(case_number(self.row.case_type, self.row.id))


def is_reviewer(actor: Actor, row: Any) -> bool:
    return actor.role in ("admin", "rps") and actor.sees_region(row.region)


def is_entering(actor: Actor, row: Any) -> bool:
    return actor.owns(row.agency_id)


def is_party(actor: Actor, loaded: Loaded) -> bool:
    """The entering agency or a contributor: a client who edits before publication."""
    return actor.role == "client" and (
        actor.agency_id == loaded.row.agency_id or actor.agency_id in loaded.contributors
    )


def sees(actor: Actor, loaded: Loaded) -> bool:
    return is_reviewer(actor, loaded.row) or is_party(actor, loaded)


def actions(actor: Actor, loaded: Loaded) -> dict[str, bool]:
    """What the actor may do to the case now: the portal shows these buttons, no others."""
    row, state = loaded.row, loaded.row.review_state
    reviewer, party = is_reviewer(actor, row), is_party(actor, loaded)
    return {
        "edit": (party and state in EDITABLE) or (reviewer and state != "closed"),
        "record_permission": reviewer and state in EDITABLE,
        "publish": reviewer and state == "pending" and row.permission_at is not None,
        "return": reviewer and state == "pending",
        "resubmit": (party or reviewer) and state == "returned",
        "add_contributor": (reviewer or is_entering(actor, row)) and state != "closed",
    }


def load(conn: sa.Connection, actor: Actor, number: str, *, lock: bool = False) -> Loaded:
    """The case the actor may see, or NotFound."""
    parsed = parse_case_number(number)
    missing = NotFound(f"no case {number}")
    if parsed is None:
        raise missing
    query = (
        sa.select(cases, agencies.c.ori)
        .join(agencies, agencies.c.id == cases.c.agency_id)
        .where(
            cases.c.case_type == parsed[0],
            cases.c.id == parsed[1],
            cases.c.realm == actor.effective_realm,
        )
    )
    row = conn.execute(query.with_for_update(of=cases) if lock else query).first()
    if row is None:
        raise missing
    found = Loaded(row, contributors_of(conn, row.id))
    if not sees(actor, found):
        raise missing
    return found


def contributors_of(conn: sa.Connection, case_id: int) -> frozenset[int]:
    return frozenset(
        conn.execute(
            sa.select(case_contributors.c.agency_id).where(case_contributors.c.case_id == case_id)
        ).scalars()
    )


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def summary(row: Any) -> dict[str, Any]:
    """A line of a queue or list: numbers and states only."""
    return {
        "case_number": case_number(row.case_type, row.id),
        "case_type": row.case_type,
        "client_case_number": row.client_case_number,
        "agency": row.ori,
        "state": row.state,
        "region": row.region,
        "review_state": row.review_state,
        "published": row.published,
        "closed_reason": row.closed_reason,
        "permission_recorded": row.permission_at is not None,
        "job_id": row.job_id,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def full(conn: sa.Connection, actor: Actor, loaded: Loaded) -> dict[str, Any]:
    row = loaded.row
    permission = None
    if row.permission_at is not None:
        permission = {
            "granted_by": row.permission_by,
            "note": row.permission_note,
            "recorded_by": row.permission_recorded_by,
            "recorded_at": iso(row.permission_at),
        }
    return {
        **summary(row),
        "review_note": row.review_note,
        "permission": permission,
        "published_by": row.published_by,
        "published_at": iso(row.published_at),
        "contributors": oris(conn, loaded.contributors),
        "cancellations": [
            cancellation_view(r, row.case_type)
            for r in conn.execute(
                sa.select(requests).where(requests.c.case_id == row.id).order_by(requests.c.id)
            )
        ],
        "actions": actions(actor, loaded),
        "record": row.record,
        "history": history_of(conn, row.id),
    }


def oris(conn: sa.Connection, agency_ids: Iterable[int]) -> list[str]:
    ids = list(agency_ids)
    if not ids:
        return []
    return sorted(
        conn.execute(sa.select(agencies.c.ori).where(agencies.c.id.in_(ids))).scalars().all()
    )


def cancellation_view(r: Any, case_type: str) -> dict[str, Any]:
    return {
        "id": r.id,
        "case_number": case_number(case_type, r.case_id),
        "reason": r.reason,
        "note": r.note,
        "region": r.region,
        "state": r.state,
        "reviewer_note": r.reviewer_note,
        "job_id": r.job_id,
        "created_at": iso(r.created_at),
        "decided_at": iso(r.decided_at),
    }


def history_of(conn: sa.Connection, case_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(case_edits).where(case_edits.c.case_id == case_id).order_by(case_edits.c.id)
    )
    return [
        {
            "at": iso(r.at),
            "actor": r.actor,
            "role": r.role,
            "channel": r.channel,
            "action": r.action,
            "fields": r.fields,
            "before": r.before,
            "after": r.after,
            "note": r.note,
        }
        for r in rows
    ]

"""The mails of a cancellation request asked on its own (``POST /namus/v1/cancellations``) and
of the RPS's decision on any request (issue 19).

A request that came in a job is told to the RPS in the job's mail (``results.reviewer_mails``);
one asked on its own gets a mail of its own, to the RPS of the case's region (the
administrators when the region has none): both are ``reviewer_mail.mail_reviewers``'s. The decision goes to the agency that asked, as its
other NamUs mail does (now or in its daily digest). Like every mail: case numbers, states and
links only, never the record nor the notes (free text that may name a person: the API and the
portal show them).
"""

from __future__ import annotations

import sqlalchemy as sa

from jdx.exchanges.cases.process import case_number
from jdx.exchanges.cases.reviewer_mail import ReviewerMail, mail_reviewers
from jdx.exchanges.cases.tables import cancellation_requests, cases
from jdx.notify.mail import notify_agency
from jdx.store.tables import agencies


def _request(conn: sa.Connection, request_id: int) -> sa.Row[tuple[object, ...]]:
    return conn.execute(
        sa.select(cancellation_requests, cases.c.case_type, cases.c.realm, agencies.c.ori)
        .join(cases, cases.c.id == cancellation_requests.c.case_id)
        .join(agencies, agencies.c.id == cancellation_requests.c.agency_id)
        .where(cancellation_requests.c.id == request_id)
    ).one()


def request_mails(conn: sa.Connection, request_id: int, public_url: str) -> int:
    """Queue a mail to each RPS of the request's region; returns how many were queued. A test-
    realm request is nobody's to review (as a test-realm job's cases are not)."""
    r = _request(conn, request_id)
    if r.realm != "prod":
        return 0
    number = case_number(r.case_type, r.case_id)
    base = public_url.rstrip("/")
    return mail_reviewers(
        conn,
        [r.region],
        f"case-cancellation-{request_id}",
        lambda _regions: ReviewerMail(
            f"NamUs cancellation request {request_id} from {r.ori}: {number} "
            f"({r.reason}) in {r.region}",
            f"{r.ori} asks to close case {number} as {r.reason} (cancellation request "
            f"{request_id}, region {r.region}).\n\n"
            f"The case: {base}/portal/cases/{number}\n"
            f"Decide in the review queue: {base}/portal/review?kind=cancellations\n",
        ),
    )


def decision_mail(conn: sa.Connection, request_id: int, public_url: str, digest_hour: int) -> bool:
    """Queue the decision's mail to the agency that asked (its points of contact)."""
    r = _request(conn, request_id)
    number = case_number(r.case_type, r.case_id)
    base = public_url.rstrip("/")
    outcome = f"closed as {r.reason}" if r.state == "approved" else "left open"
    return notify_agency(
        conn,
        r.agency_id,
        key=f"case-cancellation-{request_id}-{r.state}",
        subject=f"NamUs cancellation request {request_id}: {r.state} ({number})",
        body=(
            f"Your cancellation request {request_id} for case {number} was {r.state} by the "
            f"regional program specialist of {r.region}: the case is {outcome}.\n\n"
            f"The decision's note: in the portal at {base}/portal/cases/{number}, and over the "
            f"NamUs API at {base}/namus/v1/cancellations/{request_id}\n"
        ),
        digest_hour=digest_hour,
    )

"""Mails to the people who review a region's cases: its RPS, or the administrators when the
region has none.

A job's mail lists each RPS's cases and requests of its regions (``results.reviewer_mails``); a
cancellation request asked on its own is told to its region's
(``cancellation_mail.request_mails``). Both choose the people and queue the mails here, each
mail composed for the regions its reader is told of.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

import sqlalchemy as sa

from jdx.notify.mail import Attachment, enqueue
from jdx.security.users import administrators, reviewers_in


class ReviewerMail(NamedTuple):
    subject: str
    body: str
    attachment: Attachment | None = None


def reviewers_of(conn: sa.Connection, regions: Iterable[str]) -> dict[tuple[str, str], set[str]]:
    """(user name, e-mail) of whom to mail about work in the regions, each with the regions it
    is told of: the regions' RPS; the administrators for a region without any."""
    wanted = set(regions)
    reviewers = reviewers_in(conn, wanted)
    admins = administrators(conn) if wanted - set(reviewers) else []
    people: dict[tuple[str, str], set[str]] = {}
    for region in wanted:
        for person in reviewers.get(region) or admins:
            people.setdefault(person, set()).add(region)
    return people


def mail_reviewers(
    conn: sa.Connection,
    regions: Iterable[str],
    key: str,
    compose: Callable[[set[str]], ReviewerMail],
) -> int:
    """Queue one mail to each reviewer of the regions, ``compose``d for the regions it is told
    of, under the key ``<key>-rps-<user name>`` (queued once); returns how many were queued."""
    queued = 0
    for (username, email), told in sorted(reviewers_of(conn, regions).items()):
        mail = compose(told)
        queued += enqueue(
            conn,
            key=f"{key}-rps-{username}",
            agency_id=None,
            recipients=[email],
            subject=mail.subject,
            body=mail.body,
            attachment=mail.attachment,
        )
    return queued

"""Mail to agencies, queued in the ``outbox`` table inside the transaction that decides it.

What may go in a mail: counts, file names, and where to download results. Never record
content or personal data: a mail leaves the hub's control.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from jdx.notify.messages import SUMMARY_PREFIX
from jdx.store.paging import Page, fetch_page, stream
from jdx.store.queries import now
from jdx.store.tables import agencies, outbox

MAX_BODY = 20_000
# A list longer than a body may hold goes as a text attachment: case numbers and codes only,
# like the body; bounded so that no mail outgrows what mail servers take (10 MB is common).
MAX_ATTACHMENT = 2_000_000


@dataclass(frozen=True)
class Attachment:
    name: str
    text: str


def fitted(body: str, short: str, name: str) -> tuple[str, Attachment | None]:
    """``body`` as the mail's body when it fits in half of MAX_BODY (the rest: room for a
    digest's other notices); otherwise ``short`` (which should say so) with ``body`` attached
    as the text file ``name``."""
    if len(body) <= MAX_BODY // 2:
        return body, None
    return short, Attachment(name, body)


def enqueue(
    conn: sa.Connection,
    *,
    key: str,
    agency_id: int | None,
    recipients: Sequence[str],
    subject: str,
    body: str,
    due_at: dt.datetime | None = None,
    digest: bool = False,
    attachment: Attachment | None = None,
) -> bool:
    """Queue one mail (or one item of a digest); a key queued before is a no-op (False)."""
    if len(body) > MAX_BODY:
        raise ValueError(f"a mail body over {MAX_BODY} characters: mails carry no records")
    if attachment is not None and len(attachment.text) > MAX_ATTACHMENT:
        raise ValueError(f"a mail attachment over {MAX_ATTACHMENT} characters")
    values = {
        "attachment_name": attachment.name if attachment else None,
        "attachment": attachment.text if attachment else None,
        "key": key,
        "agency_id": agency_id,
        "recipients": list(recipients),
        "subject": subject,
        "body": body,
        "created_at": now(),
        "due_at": due_at or now(),
        "digest": digest,
    }
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(outbox).values(values).on_conflict_do_nothing(index_elements=["key"])
    return bool(conn.execute(statement).rowcount)


def notify_agency(
    conn: sa.Connection,
    agency_id: int,
    *,
    key: str,
    subject: str,
    body: str,
    digest_hour: int,
    at: dt.datetime | None = None,
    summary_seconds: float | None = None,
    attachment: Attachment | None = None,
) -> bool:
    """Queue a mail to the agency's points of contact, now or for its daily digest.

    The frequency is the agency's (``agencies.notify``) when the mail is queued: a digest item
    is due at the next ``digest_hour`` (UTC), when the notifier merges the agency's items.
    With ``summary_seconds`` (one-stop files), an agency notified immediately gets the notice
    in a summary instead: an item due that many seconds later, keyed ``summary:<key>``, that
    the notifier merges with the agency's other due items into one mail (``messages.py``).
    """
    row = conn.execute(
        sa.select(agencies.c.emails, agencies.c.notify).where(agencies.c.id == agency_id)
    ).one()
    daily = row.notify == "daily"
    moment = at or now()
    due_at: dt.datetime | None = at
    summary = not daily and summary_seconds is not None
    if daily:
        due_at = next_digest_at(moment, digest_hour)
    elif summary_seconds is not None:
        due_at = moment + dt.timedelta(seconds=summary_seconds)
    return enqueue(
        conn,
        key=f"{SUMMARY_PREFIX}{key}" if summary else key,
        agency_id=agency_id,
        recipients=row.emails,
        subject=subject,
        body=body,
        due_at=due_at,
        digest=daily or summary,
        attachment=attachment,
    )


def next_digest_at(moment: dt.datetime, digest_hour: int) -> dt.datetime:
    """The first ``digest_hour``:00 UTC strictly after ``moment``."""
    moment = moment.astimezone(dt.UTC)
    today = moment.replace(hour=digest_hour, minute=0, second=0, microsecond=0)
    return today if today > moment else today + dt.timedelta(days=1)


# An outbox row as operators read it (``jdx mail list``, the portal's page and its export):
# never the body, which names a case or a person.
OUTBOX_COLUMNS = (
    "id",
    "key",
    "ori",
    "state",
    "digest",
    "recipients",
    "subject",
    "created_at",
    "due_at",
    "sent_at",
    "written_to",
    "attempts",
    "last_error",
)


def _outbox_query(pending: bool) -> sa.Select[Any]:
    query = sa.select(outbox, agencies.c.ori).outerjoin(
        agencies, agencies.c.id == outbox.c.agency_id
    )
    if pending:
        query = query.where(outbox.c.sent_at.is_(None))
    return query.order_by(outbox.c.id.desc())


def _outbox_item(
    r: sa.Row[Any], moment: dt.datetime, max_attempts: int, bodies: bool = False
) -> dict[str, object]:
    item: dict[str, object] = {
        "id": r.id,
        "key": r.key,
        "ori": r.ori,
        "state": _state(r, moment, max_attempts),
        "digest": r.digest,
        "recipients": r.recipients,
        "subject": r.subject,
        "created_at": _utc(r.created_at),
        "due_at": _utc(r.due_at),
        "sent_at": r.sent_at and _utc(r.sent_at),  # written_to's: when it was written
        "written_to": r.written_to,
        "attempts": r.attempts,
        "last_error": r.last_error,
    }
    if bodies:
        item["body"] = r.body
    return item


def list_outbox(
    conn: sa.Connection, *, pending: bool, bodies: bool, max_attempts: int, limit: int = 1000
) -> list[dict[str, object]]:
    """The newest outbox rows with their state, for operators (``jdx mail list``): pending,
    sending, retrying, given up, sent (to the SMTP server) or written (to ``written_to``, an
    ``.eml`` file, when no SMTP server is set)."""
    moment = now()
    rows = conn.execute(_outbox_query(pending).limit(limit))
    return [_outbox_item(r, moment, max_attempts, bodies) for r in rows]


def outbox_page(
    conn: sa.Connection, *, pending: bool, max_attempts: int, limit: int, offset: int
) -> Page[dict[str, object]]:
    """One page of the outbox, newest first, without bodies, with the count of all its rows."""
    moment = now()
    return fetch_page(
        conn,
        _outbox_query(pending),
        limit=limit,
        offset=offset,
        row=lambda r: _outbox_item(r, moment, max_attempts),
    )


def iter_outbox(
    conn: sa.Connection, *, pending: bool, max_attempts: int
) -> Iterator[dict[str, object]]:
    """Every row of the outbox, without bodies, for an export."""
    moment = now()
    yield from stream(conn, _outbox_query(pending), lambda r: _outbox_item(r, moment, max_attempts))


def _state(row: sa.Row[Any], moment: dt.datetime, max_attempts: int) -> str:
    if row.sent_at is not None:
        # No SMTP server set: the mail is in a file of data_dir/outbox, not in anyone's inbox.
        return "sent" if row.written_to is None else "written"
    if row.claimed_until is not None and _utc(row.claimed_until) > moment:
        return "sending"
    if row.attempts >= max_attempts:
        return "given up"
    return "retrying" if row.attempts else "pending"


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes; every time the hub stores is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def retry(conn: sa.Connection, ids: Sequence[int], at: dt.datetime) -> int:
    """Mail an operator sends again: due now, its attempts from 0 (a mail given up after the
    SMTP server was fixed). Sent mail is left alone, and so is mail a notifier is sending now
    (taking its lease would let it be sent twice). The rows changed."""
    changed = conn.execute(
        outbox.update()
        .where(
            outbox.c.id.in_(ids),
            outbox.c.sent_at.is_(None),
            sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until <= at),
        )
        .values(attempts=0, due_at=at, claimed_until=None, claim_token=None)
    )
    return changed.rowcount


def give_up(conn: sa.Connection, ids: Sequence[int], max_attempts: int) -> int:
    """Mail an operator stops: the notifier takes no row whose attempts reached the limit (a
    recipient gone for good). Sent mail is left alone. The rows changed."""
    changed = conn.execute(
        outbox.update()
        .where(outbox.c.id.in_(ids), outbox.c.sent_at.is_(None))
        .values(attempts=max_attempts)
    )
    return changed.rowcount

"""Mail to agencies, queued in the ``outbox`` table inside the transaction that decides it.

What may go in a mail: counts, file names, and where to download results. Never record
content or personal data: a mail leaves the hub's control.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from jdx.store.queries import now
from jdx.store.tables import agencies, outbox

MAX_BODY = 20_000


def enqueue(
    conn: sa.Connection,
    *,
    key: str,
    agency_id: int | None,
    recipients: Sequence[str],
    subject: str,
    body: str,
    due_at: dt.datetime | None = None,
) -> bool:
    """Queue one mail; a key queued before is a no-op (False)."""
    if len(body) > MAX_BODY:
        raise ValueError(f"a mail body over {MAX_BODY} characters: mails carry no records")
    values = {
        "key": key,
        "agency_id": agency_id,
        "recipients": list(recipients),
        "subject": subject,
        "body": body,
        "created_at": now(),
        "due_at": due_at or now(),
    }
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(outbox).values(values).on_conflict_do_nothing(index_elements=["key"])
    return bool(conn.execute(statement).rowcount)


def notify_agency(
    conn: sa.Connection, agency_id: int, *, key: str, subject: str, body: str
) -> bool:
    """Queue a mail to the agency's points of contact, now or for its daily digest."""
    row = conn.execute(
        sa.select(agencies.c.emails, agencies.c.notify).where(agencies.c.id == agency_id)
    ).one()
    return enqueue(
        conn,
        key=key,
        agency_id=agency_id,
        recipients=row.emails,
        subject=subject,
        body=body,
        due_at=None,
    )

"""Web service batches, the bulk web service mode of seed 001: the errors of records a bulk
process sent one by one, collected per agency and written to OUTPUT like a batch file's.

A bulk calling application (``CallingApplication: LEAFTP``, see ``Settings.bulk_calling_apps``)
has no user to read the errors of its answers, so the seed has the hub also "place a copy of the
data validation errors on the DOJ FTP server and send an email to the agency POC". jdx collects
such records, with their errors, into a *web service batch* per agency and realm: a
``stop_files`` row of channel ``bulkws`` with its ``stop_file_errors`` rows, exactly the shape
of a processed file, so that closing it reuses the file path (:func:`batch_files.finish`: error
file as JSON error records, response report, processor log in OUTPUT, the mail queued once).

- :func:`append` runs inside the submission's own transaction, under the agency's lock: the
  record's errors are kept if and only if the record's outcome is committed.
- :func:`close_due` (every minute in ``jdx serve``) closes the batches idle for
  ``bulkws_idle_minutes`` or opened on an earlier UTC day, then finishes them. Closing also takes
  the agency's lock, so no record is appended to a batch that is being closed; a batch closed by
  a process that died before finishing it is finished by the next round, on any node.

No state is added to the schema: an open batch is ``received`` (records still arrive), a closed
one ``processing`` until finished (``done``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from jdx.exchanges.stops.tables import stop_file_chunks, stop_file_errors, stop_files
from jdx.security.keys import Principal
from jdx.store.locks import lock_agency
from jdx.store.queries import now

if TYPE_CHECKING:
    from jdx.exchanges.stops.file_folders import Folders
    from jdx.exchanges.stops.records import SubmissionResult

CHANNEL = "bulkws"
OPEN, CLOSED = "received", "processing"


def batch_name(opened: dt.datetime, ori: str, number: int) -> str:
    """``YYYYMMDDHHMMSS_<ORI>_WS<n>.json``: the batch file convention, so the outputs are
    named like those of a file (``..._errors.json``, ``..._response.txt``, ``..._log.txt``)."""
    return f"{opened:%Y%m%d%H%M%S}_{ori}_WS{number}.json"


def append(
    conn: sa.Connection, principal: Principal, record: Any, result: SubmissionResult
) -> int | None:
    """Keep a bulk caller's record in the agency's open batch if it has errors (warnings alone
    do not count, as in files); the batch's id, or None. The caller holds the agency's lock."""
    issues = [i.as_dict() for i in result.outcome.issues if i.severity != "warning"]
    if not issues:
        return None
    stamp = now()
    batch = conn.execute(
        sa.select(stop_files.c.id).where(
            stop_files.c.realm == principal.realm,
            stop_files.c.ori == principal.ori,
            stop_files.c.channel == CHANNEL,
            stop_files.c.state == OPEN,
        )
    ).scalar()
    if batch is None:
        earlier = conn.execute(
            sa.select(sa.func.count()).where(
                stop_files.c.realm == principal.realm,
                stop_files.c.ori == principal.ori,
                stop_files.c.channel == CHANNEL,
            )
        ).scalar_one()
        batch = conn.execute(
            stop_files.insert().returning(stop_files.c.id),
            {
                "realm": principal.realm,
                "agency_id": principal.agency_id,
                "ori": principal.ori,
                "file_name": batch_name(stamp, principal.ori, int(earlier) + 1),
                "channel": CHANNEL,
                "format": "json",
                "size": 0,
                "sha256": "",
                "state": OPEN,
                "received_at": stamp,
            },
        ).scalar_one()
    seq = (
        1
        + conn.execute(
            sa.select(sa.func.count()).where(stop_file_errors.c.file_id == batch)
        ).scalar_one()
    )
    conn.execute(
        stop_file_errors.insert(),
        {
            "file_id": batch,
            "seq": seq,
            "rows": "",
            "lea_record_id": (result.core.lea_record_id or "")[:100],
            "fatal": result.outcome.is_fatal,
            "issues": issues,
            "source": record if isinstance(record, dict) else None,
        },
    )
    # One "chunk" per record: the counts and the processor log of a file come from these.
    conn.execute(
        stop_file_chunks.insert(), {"file_id": batch, "chunk": seq, "records": 1, "done_at": stamp}
    )
    return int(batch)


def due(conn: sa.Connection, at: dt.datetime, idle: dt.timedelta) -> list[Any]:
    """Open batches idle since ``at - idle`` or opened before ``at``'s UTC day, and closed ones
    not yet finished."""
    last = (
        sa.select(sa.func.max(stop_file_chunks.c.done_at))
        .where(stop_file_chunks.c.file_id == stop_files.c.id)
        .scalar_subquery()
    )
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return list(
        conn.execute(
            sa.select(stop_files.c.id, stop_files.c.realm, stop_files.c.ori, stop_files.c.state)
            .where(
                stop_files.c.channel == CHANNEL,
                sa.or_(
                    stop_files.c.state == CLOSED,
                    sa.and_(
                        stop_files.c.state == OPEN,
                        sa.or_(stop_files.c.received_at < day, last < at - idle),
                    ),
                ),
            )
            .order_by(stop_files.c.id)
        )
    )


def close(engine: sa.Engine, batch: Any) -> bool:
    """Open → closed under the agency's lock (no append can be half-way); False if another
    process closed it first."""
    from jdx.store.engine import write_transaction

    with write_transaction(engine) as conn:
        lock_agency(conn, batch.realm, batch.ori)
        changed = conn.execute(
            stop_files.update()
            .where(stop_files.c.id == batch.id, stop_files.c.state == OPEN)
            .values(state=CLOSED)
        ).rowcount
    return bool(changed)


def close_due(
    engine: sa.Engine,
    folders: Folders,
    *,
    public_url: str,
    digest_hour: int,
    idle_minutes: float,
    at: dt.datetime | None = None,
) -> list[int]:
    """Close and finish the batches that are due; the ids finished. Safe on several nodes at
    once: closing is a compare-and-set, finishing is idempotent and mails once by key."""
    from jdx.exchanges.stops import batch_files

    at = at or now()
    with engine.connect() as conn:
        batches = due(conn, at, dt.timedelta(minutes=idle_minutes))
    finished = []
    for batch in batches:
        if batch.state == OPEN:
            close(engine, batch)
        batch_files.finish(engine, folders, batch.id, public_url, digest_hour=digest_hour)
        finished.append(int(batch.id))
    return finished

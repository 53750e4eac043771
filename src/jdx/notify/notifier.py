"""The notifier: sends the outbox's due mail once, whatever the number of processes and nodes.

Each batch goes in three steps:

1. **claim**, in one short transaction: the due rows that are not sent, not given up and not
   leased by another notifier get a lease (``claimed_until``), a fresh ``claim_token`` and one
   more attempt. PostgreSQL takes them with ``FOR UPDATE SKIP LOCKED``, so notifiers on other
   nodes take other rows instead of waiting; SQLite write transactions begin IMMEDIATE (one
   writer at a time), which serialises claims by itself.
2. **send**, outside any transaction: an SMTP exchange may take a minute and must not hold
   database locks. Each mail's lease is renewed just before it is sent, so a long batch never
   outlives its lease, and a mail whose rows another notifier has taken meanwhile is skipped.
3. **record**: ``sent_at`` if the token is still ours; on failure ``last_error`` and a later
   ``due_at`` (the backoff), or nothing more after ``mail_max_attempts``.

A process that dies after 1 leaves its rows leased; when the lease ends another notifier takes
them. A process that dies after the SMTP server accepted a mail but before 3 makes that mail go
out again: delivery is at least once, and both copies have the same Message-ID (``messages.py``).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from jdx._periodic import Periodic
from jdx.notify.messages import Item, Mail, compose, group
from jdx.notify.transports import SMTP_TIMEOUT, Transport, transport_for
from jdx.settings import Settings
from jdx.store.queries import now
from jdx.store.tables import outbox

log = logging.getLogger("jdx.mail")

# Longer than any send can take (SMTP timeout 60 s per step), short enough to recover soon.
LEASE = dt.timedelta(minutes=10)
# Rows per claim. A digest larger than this goes out as more than one mail.
BATCH = 200
FIRST_RETRY = dt.timedelta(minutes=1)
LAST_RETRY = dt.timedelta(hours=1)


@dataclass
class Report:
    """What one ``send_due`` did: ``mails`` handed over, covering ``items`` outbox rows, of
    which ``written`` were written to outbox files instead of sent (no SMTP server set)."""

    mails: int = 0
    items: int = 0
    failed: int = 0
    gave_up: int = 0
    written: int = 0


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next try: 1, 2, 4 ... minutes, at most an hour."""
    doublings = min(max(attempts - 1, 0), 10)  # bounded: 2**n of a huge n is a huge timedelta
    return min(FIRST_RETRY * (1 << doublings), LAST_RETRY)


class Notifier:
    def __init__(
        self,
        engine: sa.Engine,
        settings: Settings,
        *,
        transport: Callable[[], Transport] | None = None,
        clock: Callable[[], dt.datetime] = now,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.transport = transport or (lambda: transport_for(settings))
        self.clock = clock

    def send_due(self, at: dt.datetime | None = None) -> Report:
        """Send everything due at ``at`` (default: the clock's now), batch after batch."""
        moment = at or self.clock()
        report = Report()
        while True:
            token = uuid.uuid4().hex
            items = self._claim(moment, token)
            if not items:
                return report
            with self.transport() as transport:
                for mail in group(items):
                    self._send_one(transport, mail, moment, token, report)

    def _send_one(
        self, transport: Transport, mail: Mail, moment: dt.datetime, token: str, report: Report
    ) -> None:
        ids = [i.id for i in mail.items]
        if not self._renew(ids, token, moment):
            log.info("mail %s: the lease ran out and another notifier took it", mail.key)
            return
        try:
            if not mail.recipients:
                raise ValueError("no recipients: the agency has no point of contact")
            message = compose(
                mail,
                mail_from=self.settings.mail_from,
                public_url=self.settings.public_url,
                at=moment,
            )
            written_to = transport.send(message, mail.key)
        except Exception as exc:
            # Anything, a bug included, must end the claim: otherwise the rows wait for the lease.
            log.warning("mail %s not sent: %s", mail.key, exc)
            report.failed += 1
            report.gave_up += self._failed(ids, token, moment, f"{type(exc).__name__}: {exc}")
            return
        with self.engine.begin() as conn:
            conn.execute(
                outbox.update()
                .where(outbox.c.id.in_(ids), outbox.c.claim_token == token)
                .values(
                    sent_at=self._later(moment),
                    written_to=written_to and str(written_to),
                    claimed_until=None,
                    claim_token=None,
                    last_error=None,
                )
            )
        if written_to is None:
            log.info("mail %s sent to %d recipient(s)", mail.key, len(mail.recipients))
        else:
            # Not "sent": nobody receives it unless someone picks the file up.
            log.info("mail %s written to %s (no SMTP server set: not sent)", mail.key, written_to)
            report.written += 1
        report.mails += 1
        report.items += len(ids)

    def _renew(self, ids: Sequence[int], token: str, moment: dt.datetime) -> bool:
        """Extend the lease before each mail, so that a long batch (a slow server) never
        outlives its lease; False when the rows are no longer ours."""
        with self.engine.begin() as conn:
            renewed = conn.execute(
                outbox.update()
                .where(outbox.c.id.in_(ids), outbox.c.claim_token == token)
                .values(claimed_until=self._later(moment) + LEASE)
            ).rowcount
        return bool(renewed)

    def _later(self, moment: dt.datetime) -> dt.datetime:
        """The clock's time, or ``moment`` when a caller (a test) runs the notifier ahead."""
        return max(moment, self.clock())

    def _claim(self, moment: dt.datetime, token: str) -> list[Item]:
        due = (
            sa.select(outbox)
            .where(
                outbox.c.sent_at.is_(None),
                outbox.c.due_at <= moment,
                outbox.c.attempts < self.settings.mail_max_attempts,
                sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until <= moment),
            )
            .order_by(outbox.c.due_at, outbox.c.id)
            .limit(BATCH)
        )
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            rows = conn.execute(due).all()
            if not rows:
                return []
            # The attempt counts when claimed, not when it fails: a mail that kills the
            # process each time it is sent still reaches the limit instead of looping forever.
            conn.execute(
                outbox.update()
                .where(outbox.c.id.in_([r.id for r in rows]))
                .values(
                    claimed_until=moment + LEASE,
                    claim_token=token,
                    attempts=outbox.c.attempts + 1,
                )
            )
        return [
            Item(
                r.id,
                r.key,
                r.agency_id,
                list(r.recipients),
                r.subject,
                r.body,
                r.digest,
                (r.attachment_name, r.attachment) if r.attachment is not None else None,
            )
            for r in rows
        ]

    def _failed(self, ids: Sequence[int], token: str, moment: dt.datetime, error: str) -> int:
        """Record the failure and the next try; returns how many rows were given up."""
        limit = self.settings.mail_max_attempts
        gave_up = 0
        with self.engine.begin() as conn:
            rows = conn.execute(
                sa.select(outbox.c.id, outbox.c.key, outbox.c.attempts).where(
                    outbox.c.id.in_(ids), outbox.c.claim_token == token
                )
            ).all()
            for row in rows:
                values: dict[str, object] = {
                    "claimed_until": None,
                    "claim_token": None,
                    "last_error": error[:500],
                }
                if row.attempts >= limit:
                    gave_up += 1
                    log.error("mail %s: giving up after %d attempts: %s", row.key, limit, error)
                else:
                    values["due_at"] = moment + backoff(row.attempts)
                conn.execute(outbox.update().where(outbox.c.id == row.id).values(values))
        return gave_up

    def periodic(self) -> Periodic:
        """Send what is due every ``mail_poll_seconds`` (run by ``Hub.start``)."""
        return Periodic(
            "jdx-notifier",
            self.settings.mail_poll_seconds,
            self.send_due,
            log=log.name,
            stop_timeout=SMTP_TIMEOUT + 5,  # a send in progress may take one SMTP timeout
        )

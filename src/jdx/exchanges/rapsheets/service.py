"""Merge processing as a service (seed 2.3-2.5): notifications, portions, time-outs, the outbox.

Every step is one database transaction over the Rap-Merge table (``tables.py``): a notification
inserts an entry; a portion is stored with its entry, and the portion that completes the entry is
merged, delivered and the entry removed in the same commit; the time-out sweep does the same for
expired entries. Nothing lives in the process, so a restart, or another node, loses nothing.

Concurrency: on PostgreSQL a portion locks its entry (``FOR UPDATE``) and the sweep skips locked
entries (``SKIP LOCKED``), so two portions of one merge are applied one after the other and a
merge being completed is never also timed out; on SQLite the process's writer lock and
``BEGIN IMMEDIATE`` serialise writers (``store/engine.py``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa

from jdx.exchanges.rapsheets.delivery import (
    HUB_ID,
    Route,
    checked_format,
    deliver,
    deliver_sheet,
    log_event,
    purge_outbox,
)
from jdx.exchanges.rapsheets.identifiers import (
    normal_fbi_number,
    normalised_numbers,
    sid_matches,
    state_code,
)
from jdx.exchanges.rapsheets.identity import DifferentSubject, Notified, check_notified
from jdx.exchanges.rapsheets.merge import add_text_caveat, add_timeout_caveat, merge_rap_sheets
from jdx.exchanges.rapsheets.model import RapSheet
from jdx.exchanges.rapsheets.notification import Notification, Responder, parse_notification
from jdx.exchanges.rapsheets.portions import PlainTextRapSheet, read_portion
from jdx.exchanges.rapsheets.tables import rap_merge, rap_outbox, rap_receivers
from jdx.exchanges.rapsheets.transmission import read_rap_sheet, write_rap_sheet
from jdx.settings import Settings
from jdx.store.engine import read_only, write_transaction
from jdx.store.queries import now

log = logging.getLogger("jdx.rapsheets")

Outcome = Literal["forwarded", "merged", "delivered", "ignored"]
# Expired entries looked at per sweep round; the rest wait for the next round.
SWEEP_BATCH = 100
# Outbox deliveries past their retention deleted per sweep round.
PURGE_BATCH = 1000


class DuplicateRequest(Exception):
    """A requester already has an active merge for the same FBI/SID numbers (seed 2.3)."""

    def __init__(self, merge_id: int, merge_key: str) -> None:
        super().__init__(
            f"merge {merge_id} is already active for requester and numbers {merge_key}; "
            "a requester may have one active request per FBI/SID numbers"
        )
        self.merge_id = merge_id


class PortionRefused(DifferentSubject):
    """A portion an active merge refused: it is not the record of the subject the notification
    named (issue 15). Nothing of it was stored; the delivery log holds a ``refused`` event."""

    def __init__(self, merge_id: int, reason: str) -> None:
        super().__init__(f"merge {merge_id} refused the portion: {reason}")
        self.merge_id = merge_id
        self.reason = reason


class NotifierRefused(PermissionError):
    """The sender is not one of the FBI/III ORIs allowed to send notifications (seed 2.3)."""

    def __init__(self, sender_ori: str) -> None:
        super().__init__(
            f"agency {sender_ori} may not send EL01/FL01 notifications: only the FBI/III does "
            "(the ORIs of the hub's rap_notifiers setting)"
        )
        self.sender_ori = sender_ori


@dataclass(frozen=True, slots=True)
class MergeEntry:
    """What a notification created: the entry's id, what it waits for and until when."""

    id: int
    requester_ori: str
    expected: tuple[str, ...]
    deadline_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Receipt:
    """What became of a received rap sheet."""

    outcome: Outcome
    merge_id: int | None = None
    message_id: str | None = None  # the delivery, when this sheet caused one
    responder: str | None = None  # the expected portion it was taken as
    missing: tuple[str, ...] = ()


@dataclass
class SweepReport:
    delivered: list[int] = field(default_factory=list)
    cleared: list[int] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)  # message ids deleted from outboxes


@dataclass(frozen=True, slots=True)
class ReceiverFormat:
    """A row of the preference table: the format a receiver wants its rap sheets in."""

    ori: str
    format: str
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    message_id: str
    format: str
    content_type: str
    created_at: dt.datetime
    fetched_at: dt.datetime | None
    body: bytes | None = None


def merge_key(notification: Notification) -> str:
    requester, fbi, sids = notification.merge_key
    return f"{requester}|{fbi or ''}|{','.join(sids)}"


def _expected_json(responders: Sequence[Responder]) -> list[dict[str, Any]]:
    return [
        {
            "label": r.label,
            "source": r.source,
            "fbi_number": r.fbi_number,
            "sid_number": r.sid_number,
        }
        for r in responders
    ]


def responder_of(
    expected: Sequence[dict[str, Any]], sheet: RapSheet, state: str | None = None
) -> str | None:
    """The expected portion ``sheet`` is, by label: a state's by its SID first (a state's sheet
    carries the FBI number too), else the FBI's by the FBI number. Numbers are compared in
    one spelling; ``state`` (the sender's) lets a SID sent without its prefix count."""
    fbi, sids = sheet.key_numbers
    for item in expected:
        if any(sid_matches(item["sid_number"], sid, state) for sid in sids):
            return str(item["label"])
    for item in expected:
        if _same_fbi(item["fbi_number"], fbi):
            return str(item["label"])
    return None


def _same_fbi(a: str | None, b: str | None) -> bool:
    left = normal_fbi_number(a)
    return left is not None and left == normal_fbi_number(b)


def notified_identity(row: Any, responder: str | None, state: str | None) -> Notified:
    """The identity the notification of ``row`` carries for a portion taken as ``responder``:
    the FBI number asked about and that responder's SID; for a portion of no state's line
    (the FBI's, or one matched by a number of the narrative), every SID the notification
    names."""
    fbi = row.fbi_number or next((e["fbi_number"] for e in row.expected if e["fbi_number"]), None)
    item = next((e for e in row.expected if e["label"] == responder), None)
    if item is not None and item["sid_number"]:
        return Notified(fbi, (item["sid_number"],), item["source"], state)
    return Notified(fbi, tuple(row.sid_numbers), None, state)


def _entries_of(conn: sa.Connection, requester: str) -> list[Any]:
    """The requester's active entries, oldest first; locked on PostgreSQL until the
    transaction ends (SQLite's write transaction holds the whole database already)."""
    query = (
        sa.select(rap_merge).where(rap_merge.c.requester_ori == requester).order_by(rap_merge.c.id)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return list(conn.execute(query))


def _matches(row: Any, sheet: RapSheet, state: str | None = None) -> bool:
    """Seed 2.3: portions are selected for a merge by the FBI number or the SIDs, each in one
    spelling (``state``, the sender's, reads a SID sent without its prefix)."""
    fbi, sids = sheet.key_numbers
    return _same_fbi(row.fbi_number, fbi) or any(
        sid_matches(mine, theirs, state) for mine in sids for theirs in row.sid_numbers
    )


class RapSheetService:
    def __init__(
        self, engine: sa.Engine, settings: Settings, *, clock: Callable[[], dt.datetime] = now
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock

    # --- notifications (2.3) ----------------------------------------------------------------

    def notify(self, text: str, *, sender_ori: str, format: str | None = None) -> MergeEntry:
        """Create the Rap-Merge entry of an EL01/FL01 message.

        Raises :class:`NotifierRefused` when ``sender_ori`` is not an FBI/III ORI of
        ``rap_notifiers``, :class:`NotificationError` for a malformed message and
        :class:`DuplicateRequest` when the same requester and numbers are already being merged:
        the seed calls that case "unpredictable"; jdx refuses the second request and keeps
        merging the first.
        """
        if sender_ori.upper() not in self.settings.rap_notifiers:
            log.warning("EL01/FL01 notification from %s refused: not a notifier", sender_ori)
            raise NotifierRefused(sender_ori)
        notification = parse_notification(text)
        requested = checked_format(format) if format is not None else None
        key = merge_key(notification)
        at = self.clock()
        deadline = at + dt.timedelta(seconds=self.settings.rap_timeout_seconds)
        expected = _expected_json(notification.expected)
        try:
            with write_transaction(self.engine) as conn:
                merge_id = conn.execute(
                    rap_merge.insert()
                    .values(
                        merge_key=key,
                        requester_ori=notification.requester_ori,
                        fbi_number=notification.fbi_number,
                        sid_numbers=sorted(notification.merge_key[2]),
                        notifier_ori=sender_ori,
                        kind=notification.kind,
                        expected=expected,
                        received=[],
                        format=requested,
                        state="waiting",
                        created_at=at,
                        deadline_at=deadline,
                    )
                    .returning(rap_merge.c.id)
                ).scalar_one()
                route = Route(sender_ori, notification.requester_ori, key, merge_id)
                log_event(conn, "notified", route, at=at, transaction_type=notification.header[:4])
        except sa.exc.IntegrityError:
            with self.engine.connect() as conn:
                existing = (
                    read_only(conn)
                    .execute(sa.select(rap_merge.c.id).where(rap_merge.c.merge_key == key))
                    .scalar_one_or_none()
                )
            if existing is None:  # removed in the meantime: the caller may simply retry
                raise
            raise DuplicateRequest(existing, key) from None
        return MergeEntry(
            merge_id,
            notification.requester_ori,
            tuple(e["label"] for e in expected),
            deadline,
        )

    # --- portions (2.4, 2.5) ------------------------------------------------------------------

    def receive_rap_sheet(self, data: bytes, *, sender_ori: str, destination: str) -> Receipt:
        """Take a responder's rap sheet addressed to ``destination`` (the requester).

        Plain text goes straight through, unprocessed (2.2, 2.4), and counts as the portion of
        the expected responder that sent it (see :meth:`_text_entry`); an XML sheet (2.00 or
        4.1; hostile or invalid XML raises :class:`RapSheetFormatError`) joins the active merge
        whose numbers it carries, or, with none (early, late or single-state, 2.5), is
        delivered on its own.

        A portion of another person than the merge's subject (issue 15) raises
        :class:`PortionRefused` once its ``refused`` log entry is committed: nothing of the
        portion is stored and the entry goes on waiting as before.
        """
        portion = read_portion(data)
        at = self.clock()
        with write_transaction(self.engine) as conn:
            if isinstance(portion, PlainTextRapSheet):
                return self._pass_text(conn, portion, sender_ori, destination, at)
            state = state_code(sender_ori)
            # One spelling of every number before it is compared, stored or forwarded.
            portion = normalised_numbers(portion, state)
            row = self._entry_for(conn, destination, portion, state)
            if row is None:
                route = Route(sender_ori, destination, f"STDRAP-{sender_ori}")
                message_id = deliver_sheet(conn, portion, route, at=at)
                log_event(conn, "forwarded", route, at=at, message_id=message_id)
                return Receipt("forwarded", message_id=message_id)
            try:
                return self._merge_into(conn, row, portion, sender_ori, at)
            except DifferentSubject as exc:
                # Raised before _merge_into writes anything; the refusal itself is logged
                # (ids only, seed 2.5) and committed, then reported to the sender.
                route = Route(sender_ori, row.requester_ori, row.merge_key, row.id)
                log_event(conn, "refused", route, at=at)
                refused = PortionRefused(row.id, str(exc))
        raise refused

    def _entry_for(
        self, conn: sa.Connection, requester: str, sheet: RapSheet, state: str | None
    ) -> Any | None:
        return next(
            (row for row in _entries_of(conn, requester) if _matches(row, sheet, state)), None
        )

    def _pass_text(
        self,
        conn: sa.Connection,
        text: PlainTextRapSheet,
        sender_ori: str,
        destination: str,
        at: dt.datetime,
    ) -> Receipt:
        """Forward plain text as received; if it is an expected responder's portion, record
        that the responder answered, and complete the merge if it was the last one."""
        found = self._text_entry(conn, destination, sender_ori)
        row, label = found if found else (None, None)
        route = Route(
            sender_ori,
            destination,
            row.merge_key if row else f"STDRAP-{sender_ori}",
            row.id if row else None,
        )
        message_id = deliver(conn, route, text.data, "plain-text", at=at)
        log_event(conn, "forwarded", route, at=at, message_id=message_id)
        if row is None:
            return Receipt("forwarded", message_id=message_id)
        received = [
            *row.received,
            {
                "responder": label,
                "sender_ori": sender_ori,
                "received_at": at.isoformat(),
                "document": None,  # plain text: delivered above, never merged
                "text_message_id": message_id,
            },
        ]
        log_event(conn, "text-counted", route, at=at, message_id=message_id)
        missing = _missing(row.expected, received)
        if missing:
            conn.execute(
                rap_merge.update()
                .where(rap_merge.c.id == row.id)
                .values(received=received, state="merging")
            )
            return Receipt("forwarded", row.id, message_id, label, missing)
        merged = _composite(received, at)
        if merged is None:  # every portion came as text: nothing to merge
            conn.execute(rap_merge.delete().where(rap_merge.c.id == row.id))
            log_event(conn, "cleared", route, at=at)
            return Receipt("forwarded", row.id, message_id, label)
        return Receipt("delivered", row.id, self._complete(conn, row, merged, at), label)

    def _text_entry(
        self, conn: sa.Connection, requester: str, sender_ori: str
    ) -> tuple[Any, str] | None:
        """The one active entry of ``requester`` that still waits for a portion ``sender_ori``
        may send, with that portion's label; None if none or several do (text is never read,
        so the sender is all there is to go by): a state's portion comes from an ORI of its
        state (the two letters that begin its ORI begin the SID), the FBI's from an FBI/III ORI
        (``rap_notifiers``)."""
        sender = sender_ori.upper()
        found: list[tuple[Any, str]] = []
        for row in _entries_of(conn, requester):
            have = {p["responder"] for p in row.received}
            for item in row.expected:
                if item["label"] in have:
                    continue
                if item["sid_number"]:
                    own = item["sid_number"][:2].upper() == sender[:2]
                else:
                    own = sender in self.settings.rap_notifiers
                if own:
                    found.append((row, str(item["label"])))
        return found[0] if len(found) == 1 else None

    def _merge_into(
        self, conn: sa.Connection, row: Any, sheet: RapSheet, sender_ori: str, at: dt.datetime
    ) -> Receipt:
        route = Route(sender_ori, row.requester_ori, row.merge_key, row.id)
        state = state_code(sender_ori)
        responder = responder_of(row.expected, sheet, state)
        # Issue 15: the notification says whose record this merge is; a portion of anyone
        # else is refused (DifferentSubject) before anything is written.
        check_notified(
            sheet.identification,
            notified_identity(row, responder, state),
            portion=f"the portion from {sender_ori}",
        )
        received = list(row.received)
        if responder is not None and any(p["responder"] == responder for p in received):
            # 2.3: "duplicate responder state rap sheets being ignored".
            log_event(conn, "ignored", route, at=at)
            return Receipt("ignored", row.id, responder=responder)
        received.append(
            {
                "responder": responder,
                "sender_ori": sender_ori,
                "received_at": at.isoformat(),
                "document": write_rap_sheet(sheet).decode(),
            }
        )
        merged = _composite(received, at)  # DifferentSubject: two FBI numbers, refused
        assert merged is not None  # this portion is XML
        log_event(conn, "merged", route, at=at)
        missing = _missing(row.expected, received)
        if missing:
            conn.execute(
                rap_merge.update()
                .where(rap_merge.c.id == row.id)
                .values(received=received, state="merging")
            )
            return Receipt("merged", row.id, responder=responder, missing=missing)
        message_id = self._complete(conn, row, merged, at)
        return Receipt("delivered", row.id, message_id=message_id, responder=responder)

    def _complete(self, conn: sa.Connection, row: Any, merged: RapSheet, at: dt.datetime) -> str:
        """Deliver the composite record and remove the entry (2.5), in the caller's commit."""
        route = Route(HUB_ID, row.requester_ori, row.merge_key, row.id)
        message_id = deliver_sheet(conn, merged, route, at=at, requested=row.format)
        conn.execute(rap_merge.delete().where(rap_merge.c.id == row.id))
        return message_id

    # --- time-outs (2.5) -----------------------------------------------------------------------

    def sweep_timeouts(self, at: dt.datetime | None = None) -> SweepReport:
        """Deliver or clear every entry past its deadline at ``at`` (default: now).

        Each entry is claimed and finished in its own transaction, so an entry that cannot be
        finished (logged) does not hold up the others, and one another node has locked is left
        to that node.
        """
        moment = at or self.clock()
        report = SweepReport()
        with self.engine.connect() as conn:
            ids = (
                read_only(conn)
                .execute(
                    sa.select(rap_merge.c.id)
                    .where(rap_merge.c.deadline_at <= moment)
                    .order_by(rap_merge.c.deadline_at, rap_merge.c.id)
                    .limit(SWEEP_BATCH)
                )
                .scalars()
                .all()
            )
        for merge_id in ids:
            try:
                self._time_out(merge_id, moment, report)
            except Exception:
                log.exception("rap merge %s could not be timed out; next round retries", merge_id)
        try:
            report.purged.extend(self.purge_outbox(moment))
        except Exception:
            log.exception("rap outbox could not be purged; next round retries")
        return report

    def purge_outbox(self, at: dt.datetime | None = None) -> list[str]:
        """Delete deliveries past their retention at ``at`` (default: now); their message ids.

        A fetched delivery is kept ``rap_outbox_days`` after its first fetch, one never fetched
        ``rap_outbox_unfetched_days`` after delivery. Each deletion is logged (``purged``: ids
        and ORIs, as every log entry); the delivery log itself is never purged here.
        """
        moment = at or self.clock()
        fetched_before = moment - dt.timedelta(days=self.settings.rap_outbox_days)
        made_before = moment - dt.timedelta(days=self.settings.rap_outbox_unfetched_days)
        with write_transaction(self.engine) as conn:
            return purge_outbox(conn, fetched_before, made_before, at=moment, limit=PURGE_BATCH)

    def _time_out(self, merge_id: int, moment: dt.datetime, report: SweepReport) -> None:
        query = sa.select(rap_merge).where(
            rap_merge.c.id == merge_id, rap_merge.c.deadline_at <= moment
        )
        with write_transaction(self.engine) as conn:
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = conn.execute(query).first()
            if row is None:  # completed meanwhile, or another node holds it
                return
            at = max(moment, self.clock())
            merged = _composite(row.received, at)
            if merged is None:  # nothing received, or only plain text (already delivered)
                conn.execute(rap_merge.delete().where(rap_merge.c.id == row.id))
                route = Route(row.notifier_ori, row.requester_ori, row.merge_key, row.id)
                log_event(conn, "cleared", route, at=at)
                report.cleared.append(row.id)
                return
            merged = add_timeout_caveat(merged, _missing(row.expected, row.received))
            route = Route(HUB_ID, row.requester_ori, row.merge_key, row.id)
            log_event(conn, "timed-out", route, at=at)
            self._complete(conn, row, merged, at)
            report.delivered.append(row.id)

    # --- receivers and their outbox (2.7) ---------------------------------------------------

    def set_receiver_format(self, ori: str, fmt: str) -> None:
        """Record the format ``ori`` wants its rap sheets in (the preference table)."""
        values = {"format": checked_format(fmt), "updated_at": self.clock()}
        with write_transaction(self.engine) as conn:
            updated = conn.execute(
                rap_receivers.update().where(rap_receivers.c.ori == ori).values(values)
            ).rowcount
            if not updated:
                conn.execute(rap_receivers.insert().values(ori=ori, **values))

    def receivers(self) -> list[ReceiverFormat]:
        """The preference table: every receiver that chose a format, by ORI."""
        with self.engine.connect() as conn:
            rows = (
                read_only(conn)
                .execute(sa.select(rap_receivers).order_by(rap_receivers.c.ori))
                .all()
            )
        return [ReceiverFormat(r.ori, r.format, r.updated_at) for r in rows]

    def outbox(self, ori: str, *, limit: int = 100, unfetched: bool = False) -> list[OutboxMessage]:
        """``ori``'s deliveries, newest first, without their bodies; ``unfetched``: only those
        not fetched yet (what a receiver polling for new rap sheets asks for)."""
        columns = [c for c in rap_outbox.c if c.name not in ("body", "receiver_ori")]
        own = [rap_outbox.c.receiver_ori == ori]
        if unfetched:
            own.append(rap_outbox.c.fetched_at.is_(None))
        with self.engine.connect() as conn:
            rows = (
                read_only(conn)
                .execute(
                    sa.select(*columns).where(*own).order_by(rap_outbox.c.id.desc()).limit(limit)
                )
                .all()
            )
        return [OutboxMessage(**row._mapping) for row in rows]

    def fetch(self, ori: str, message: int) -> OutboxMessage | None:
        """One of ``ori``'s deliveries with its body, marked fetched; None if not ``ori``'s."""
        own = (rap_outbox.c.id == message, rap_outbox.c.receiver_ori == ori)
        with write_transaction(self.engine) as conn:
            row = conn.execute(sa.select(rap_outbox).where(*own)).first()
            if row is None:
                return None
            fetched = row.fetched_at
            if fetched is None:  # the first fetch is the one that counts
                fetched = self.clock()
                conn.execute(rap_outbox.update().where(*own).values(fetched_at=fetched))
        data = {k: v for k, v in row._mapping.items() if k != "receiver_ori"}
        return OutboxMessage(**{**data, "fetched_at": fetched})


def _composite(received: Sequence[dict[str, Any]], at: dt.datetime) -> RapSheet | None:
    """The merge of the XML portions received, with a caveat per portion that came as plain
    text (delivered separately); None without any XML portion. Raises :class:`MergeError`."""
    sheets = [read_rap_sheet(p["document"].encode()) for p in received if p["document"]]
    if not sheets:
        return None
    # Each portion was checked against the notification as it arrived (_merge_into).
    merged = merge_rap_sheets(sheets, as_of=at.strftime("%Y%m%d"), notified=True)
    texts = [str(p["responder"]) for p in received if not p["document"]]
    return add_text_caveat(merged, texts) if texts else merged


def _missing(
    expected: Sequence[dict[str, Any]], received: Sequence[dict[str, Any]]
) -> tuple[str, ...]:
    have = {p["responder"] for p in received}
    return tuple(e["label"] for e in expected if e["label"] not in have)

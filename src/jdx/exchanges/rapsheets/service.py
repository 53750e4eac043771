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
import re
from collections.abc import Callable, Iterator, Sequence
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
from jdx.exchanges.rapsheets.tables import rap_merge, rap_outbox, rap_receivers, rap_responders
from jdx.exchanges.rapsheets.transmission import read_rap_sheet, write_rap_sheet
from jdx.settings import Settings
from jdx.store.engine import read_only, write_transaction
from jdx.store.paging import Page, fetch_page, stream
from jdx.store.queries import now
from jdx.store.tables import agencies

log = logging.getLogger("jdx.rapsheets")

Outcome = Literal["forwarded", "merged", "delivered", "ignored"]
# The responder an FBI/III ORI (``rap_notifiers``) answers as: the notification's FBI line.
FBI = "FBI"
# Expired entries looked at per sweep round; the rest wait for the next round.
SWEEP_BATCH = 100
# Outbox deliveries past their retention deleted per sweep round.
PURGE_BATCH = 1000
_ORI = re.compile(r"[A-Z0-9]{9}")
_STATE = re.compile(r"[A-Z]{2}")


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


class SenderRefused(PermissionError):
    """The authenticated sender may not send this rap sheet (issue 16): it is not a registered
    responder (``not-a-responder``), or the sheet is the record of another state than the one
    it answers for (``another-state``). Nothing of it was stored; the delivery log holds a
    ``refused`` event."""

    def __init__(self, message: str, *, reason: str, merge_id: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.merge_id = merge_id


class ReceiverRefused(LookupError):
    """The destination may not receive this rap sheet (issue 16): no agency has that ORI
    (``unknown-receiver``), or plain text is sent to an agency that awaits no rap sheet
    (``not-awaiting``: no active request, no format preference). Logged ``refused``."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.merge_id: int | None = None


@dataclass(frozen=True, slots=True)
class RegisteredResponder:
    """A row of the responders' registry: the state ``ori`` answers for."""

    ori: str
    state: str
    added_at: dt.datetime


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


# A delivery as a list shows it: everything but its body (and its receiver, the caller).
OUTBOX_COLUMNS = (
    "id",
    "message_id",
    "sender_ori",
    "format",
    "content_type",
    "created_at",
    "fetched_at",
)


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    message_id: str
    sender_ori: str  # as authenticated; the hub's id (JDX) for a record it merged
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


def _answers(item: dict[str, Any], responder: str) -> bool:
    """Whether the expected portion ``item`` is ``responder``'s to send: the FBI line (no SID)
    the FBI's, a state's line the state's whose two letters begin its SID (seed 3.2's
    ``CA99999978``, the notification's ``STATE ID/TX01346790``)."""
    sid = item["sid_number"]
    return state_code(sid) == responder if sid else responder == FBI


def responder_of(expected: Sequence[dict[str, Any]], sheet: RapSheet, responder: str) -> str | None:
    """The expected portion ``sheet`` is, by label, given who sent it (issue 16): ``responder``
    is the sender's registered state or :data:`FBI`, never what the content claims, so a
    sheet answers only a line of its sender's. A state's line by its SID (or, for a sheet
    without a SID, the state's only line); the FBI's line by the FBI number. Numbers are
    compared in one spelling; a SID sent without its state's prefix counts."""
    fbi, sids = sheet.key_numbers
    own = [item for item in expected if _answers(item, responder)]
    if responder == FBI:
        found = next((i for i in own if _same_fbi(i["fbi_number"], fbi)), None)
    else:
        found = next(
            (i for i in own if any(sid_matches(i["sid_number"], s, responder) for s in sids)),
            own[0] if len(own) == 1 and not sids else None,
        )
    return str(found["label"]) if found else None


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


def _not_a_responder(sender_ori: str) -> SenderRefused:
    return SenderRefused(
        f"agency {sender_ori} is not a registered rap sheet responder: only the ORIs registered "
        "for a state (jdx rapsheet responders add) and the FBI/III's (rap_notifiers) send rap "
        "sheets",
        reason="not-a-responder",
    )


def _text_entry(entries: Sequence[Any], responder: str) -> tuple[Any, str] | None:
    """The one active entry among ``entries`` (the requester's) that still waits for a portion
    ``responder`` (the sender's registered state, or :data:`FBI`) answers, with that portion's
    label; None if none or several do (text is never read, so its sender is all there is to
    go by)."""
    found: list[tuple[Any, str]] = []
    for row in entries:
        have = {p["responder"] for p in row.received}
        for item in row.expected:
            if item["label"] not in have and _answers(item, responder):
                found.append((row, str(item["label"])))
    return found[0] if len(found) == 1 else None


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

        The sender is who it authenticated as (issue 16): a registered responder for a state
        (:meth:`add_responder`) or an FBI/III ORI (``rap_notifiers``), else
        :class:`SenderRefused`; ``destination`` must be an agency of the hub, else
        :class:`ReceiverRefused`.

        Plain text goes straight through, unprocessed (2.2, 2.4), to a receiver that awaits rap
        sheets (an active request or a format preference, else :class:`ReceiverRefused`), and
        counts as the portion of the expected responder that sent it (see :func:`_text_entry`).
        An XML sheet (2.00 or 4.1; hostile or invalid XML raises :class:`RapSheetFormatError`)
        must be its sender's state's record (a SID of another state: :class:`SenderRefused`);
        it joins the active merge whose numbers it carries, as its sender's portion, or, with
        none (early, late or single-state, 2.5), is delivered on its own.

        A portion of another person than the merge's subject (issue 15) raises
        :class:`PortionRefused`. Every refusal is raised once its ``refused`` log entry is
        committed: nothing of the sheet is stored and a merge goes on waiting as before.
        """
        at = self.clock()
        with self.engine.connect() as conn:
            # Before the sheet is parsed: a stranger's XML costs the hub nothing but this query
            # (and its 403 does not depend on what it sent). _receive checks again, in the
            # transaction that uses the answer.
            responder = self._responder_of(read_only(conn), sender_ori)
        refused: Exception
        if responder is None:
            refused = _not_a_responder(sender_ori)
        else:
            portion = read_portion(data)
            with write_transaction(self.engine) as conn:
                try:
                    return self._receive(conn, portion, sender_ori, destination, at)
                except (SenderRefused, ReceiverRefused, PortionRefused) as exc:
                    # Raised before anything is written; the refusal is logged below.
                    refused = exc
        # The refusal is logged (ids only, seed 2.5) and committed, then reported to the sender.
        merge_id = getattr(refused, "merge_id", None)
        with write_transaction(self.engine) as conn:
            route = Route(sender_ori, destination, f"STDRAP-{sender_ori}", merge_id)
            log_event(conn, "refused", route, at=at)
        raise refused

    def _receive(
        self,
        conn: sa.Connection,
        portion: RapSheet | PlainTextRapSheet,
        sender_ori: str,
        destination: str,
        at: dt.datetime,
    ) -> Receipt:
        responder = self._responder_of(conn, sender_ori)
        if responder is None:  # taken off the registry since the first look
            raise _not_a_responder(sender_ori)
        known = conn.execute(sa.select(agencies.c.id).where(agencies.c.ori == destination)).first()
        if known is None:
            raise ReceiverRefused(
                f"no agency {destination}: rap sheets go only to agencies of the hub",
                reason="unknown-receiver",
            )
        if isinstance(portion, PlainTextRapSheet):
            return self._pass_text(conn, portion, sender_ori, responder, destination, at)
        state = None if responder == FBI else responder
        # One spelling of every number before it is compared, stored or forwarded.
        portion = normalised_numbers(portion, state)
        if state is not None:
            # The FBI's record lists every state's SID; a state sends its own record only.
            others = [s for s in portion.identification.sid_numbers if state_code(s) != state]
            if others:
                raise SenderRefused(
                    f"agency {sender_ori} answers for {state} only, and the sheet names "
                    f"SID {', '.join(others)} of another state: a state sends its own record",
                    reason="another-state",
                )
        row = self._entry_for(conn, destination, portion, state)
        if row is None:
            route = Route(sender_ori, destination, f"STDRAP-{sender_ori}")
            message_id = deliver_sheet(conn, portion, route, at=at)
            log_event(conn, "forwarded", route, at=at, message_id=message_id)
            return Receipt("forwarded", message_id=message_id)
        try:
            return self._merge_into(conn, row, portion, sender_ori, responder, at)
        except DifferentSubject as exc:
            # Raised before _merge_into writes anything.
            raise PortionRefused(row.id, str(exc)) from None

    def _responder_of(self, conn: sa.Connection, sender_ori: str) -> str | None:
        """Who ``sender_ori`` answers as: :data:`FBI` for an FBI/III ORI, its registered
        state, or None (not a responder)."""
        sender = sender_ori.upper()
        if sender in self.settings.rap_notifiers:
            return FBI
        state: str | None = conn.execute(
            sa.select(rap_responders.c.state).where(rap_responders.c.ori == sender)
        ).scalar_one_or_none()
        return state

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
        responder: str,
        destination: str,
        at: dt.datetime,
    ) -> Receipt:
        """Forward plain text as received to a receiver that awaits rap sheets; if it is an
        expected responder's portion, record that the responder answered, and complete the
        merge if it was the last one."""
        entries = _entries_of(conn, destination)
        if not entries and not self._has_preference(conn, destination):
            # Text is never read, so nothing but the receiver's own request or its choice of a
            # format says it wants what the text is (issue 16: no pushing into any outbox).
            raise ReceiverRefused(
                f"agency {destination} awaits no rap sheet (no active request, no format "
                "preference): plain text goes only to a requester or a receiver that set its "
                "format (PUT /chri/v1/preference)",
                reason="not-awaiting",
            )
        found = _text_entry(entries, responder)
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

    @staticmethod
    def _has_preference(conn: sa.Connection, ori: str) -> bool:
        query = sa.select(rap_receivers.c.ori).where(rap_receivers.c.ori == ori)
        return conn.execute(query).first() is not None

    def _merge_into(
        self,
        conn: sa.Connection,
        row: Any,
        sheet: RapSheet,
        sender_ori: str,
        sender: str,
        at: dt.datetime,
    ) -> Receipt:
        route = Route(sender_ori, row.requester_ori, row.merge_key, row.id)
        state = None if sender == FBI else sender
        responder = responder_of(row.expected, sheet, sender)
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

    # --- responders (2.5: "NLETS also retains information regarding each ... responder") -------

    def add_responder(self, ori: str, state: str) -> RegisteredResponder:
        """Register ``ori`` as a responder for ``state`` (a two-letter code): its rap sheets are
        taken as that state's portions (registering it again moves it to ``state``). Raises
        ValueError, naming what is wrong, for a malformed ORI or state, an ORI no agency has,
        or an FBI/III ORI (those answer for the FBI)."""
        ori, state = ori.strip().upper(), state.strip().upper()
        if not _ORI.fullmatch(ori):
            raise ValueError(f"{ori!r} is not an ORI (9 letters and digits)")
        if not _STATE.fullmatch(state):
            raise ValueError(f"{state!r} is not a state's two-letter code (e.g. TX)")
        if ori in self.settings.rap_notifiers:
            raise ValueError(
                f"{ori} is an FBI/III ORI (rap_notifiers): it answers for the FBI, not a state"
            )
        at = self.clock()
        with write_transaction(self.engine) as conn:
            if conn.execute(sa.select(agencies.c.id).where(agencies.c.ori == ori)).first() is None:
                raise ValueError(f"no agency {ori}; add it first (jdx agency add)")
            updated = conn.execute(
                rap_responders.update()
                .where(rap_responders.c.ori == ori)
                .values(state=state, added_at=at)
            ).rowcount
            if not updated:
                conn.execute(rap_responders.insert().values(ori=ori, state=state, added_at=at))
        log.info("rap sheet responder %s registered for %s", ori, state)
        return RegisteredResponder(ori, state, at)

    def remove_responder(self, ori: str) -> bool:
        """Take ``ori`` off the registry; False if it was not on it."""
        ori = ori.strip().upper()
        with write_transaction(self.engine) as conn:
            removed = conn.execute(
                rap_responders.delete().where(rap_responders.c.ori == ori)
            ).rowcount
        if removed:
            log.info("rap sheet responder %s removed", ori)
        return bool(removed)

    def responders(self) -> list[RegisteredResponder]:
        """The registry, by state then ORI."""
        with self.engine.connect() as conn:
            rows = (
                read_only(conn)
                .execute(
                    sa.select(rap_responders).order_by(rap_responders.c.state, rap_responders.c.ori)
                )
                .all()
            )
        return [RegisteredResponder(r.ori, r.state, r.added_at) for r in rows]

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
        return self.outbox_page(ori, limit=limit, offset=0, unfetched=unfetched).items

    def outbox_page(
        self, ori: str, *, limit: int, offset: int, unfetched: bool = False
    ) -> Page[OutboxMessage]:
        """One page of :meth:`outbox`, with the count of all of ``ori``'s deliveries asked."""
        with self.engine.connect() as conn:
            return fetch_page(
                read_only(conn),
                _outbox_query(ori, unfetched),
                limit=limit,
                offset=offset,
                row=lambda row: OutboxMessage(**row._mapping),
            )

    def iter_outbox(self, ori: str, *, unfetched: bool = False) -> Iterator[dict[str, Any]]:
        """Every delivery of :meth:`outbox_page` as a row of ``OUTBOX_COLUMNS`` (an export;
        no body, nothing marked fetched)."""
        with self.engine.connect() as conn:
            yield from stream(
                read_only(conn), _outbox_query(ori, unfetched), lambda r: dict(r._mapping)
            )

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


def _outbox_query(ori: str, unfetched: bool) -> sa.Select[Any]:
    """``ori``'s deliveries (only those not fetched yet: ``unfetched``), newest first; never
    their bodies."""
    own = [rap_outbox.c.receiver_ori == ori]
    if unfetched:
        own.append(rap_outbox.c.fetched_at.is_(None))
    return (
        sa.select(*(rap_outbox.c[c] for c in OUTBOX_COLUMNS))
        .where(*own)
        .order_by(rap_outbox.c.id.desc())
    )


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

"""Review and publication of imported cases, and the RPS's decision on cancellation requests.

A case is created ``pending`` and unpublished. The RPS of its region records the investigating
agency's permission to publish and publishes it, or returns it to the entering party with a note;
the entering party (or a contributor) edits it and resubmits it. Approving a cancellation request
closes the case, as cancelled or resolved. Every change is a row of ``case_edits`` (the case's
history) and of the audit log; every read of a case by a person or a client is audited too.

Every method takes the :class:`~jdx.security.actors.Actor` first and refuses with a
:class:`ReviewError`: :class:`NotFound` also for a case the actor may not see, so that nobody
learns of another region's or another agency's cases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal

import sqlalchemy as sa

from jdx.codecs.paths import diff
from jdx.exchanges.cases import codes
from jdx.exchanges.cases.cancellation_mail import decision_mail
from jdx.exchanges.cases.jobs import CaseImport, error
from jdx.exchanges.cases.process import parse_case_number, place_state
from jdx.exchanges.cases.queues import (
    QueueFilter,
    case_row,
    cases_query,
    queue_page,
    queue_query,
)
from jdx.exchanges.cases.regions import load_regions, region_of, region_table
from jdx.exchanges.cases.review_read import (
    EDITABLE,
    Conflict,
    Forbidden,
    Invalid,
    Loaded,
    NotFound,
    ReviewError,
    actions,
    cancellation_view,
    full,
    history_of,
    is_entering,
    is_party,
    is_reviewer,
    load,
)
from jdx.exchanges.cases.tables import cancellation_requests as requests
from jdx.exchanges.cases.tables import case_contributors, case_edits, cases
from jdx.security.actors import Actor
from jdx.settings import Settings
from jdx.store.engine import read_only, write_transaction
from jdx.store.paging import Page, fetch_page, stream
from jdx.store.queries import audit, get_agency, now

__all__ = ["CaseReview", "Conflict", "Forbidden", "Invalid", "NotFound", "ReviewError"]

CHANGED_NUMBER = codes.CHANGED_NUMBER.code
RECORD_TYPES = {"MP": "missing", "UP": "unidentified"}
QUEUE_LIMIT = 500


class CaseReview:
    """The review service (``hub.service(CaseReview)``), for the API and the portal."""

    def __init__(self, engine: sa.Engine, importer: CaseImport, settings: Settings) -> None:
        self.engine = engine
        self.importer = importer
        self.settings = settings

    @property
    def default_regions(self) -> Mapping[str, str]:
        return load_regions(self.settings.namus_regions_file)

    # --- reading ------------------------------------------------------------------------------

    def queue(
        self,
        actor: Actor,
        kind: Literal["cases", "cancellations"] = "cases",
        region: str | None = None,
        *,
        channel: str = "portal",
    ) -> list[dict[str, Any]]:
        """What awaits the actor, its first QUEUE_LIMIT rows: an RPS's (administrator's)
        pending cases or cancellation requests; a client's unpublished cases or its pending
        requests."""
        where = QueueFilter(region=region)
        return self.queue_page(
            actor, kind, where, limit=QUEUE_LIMIT, offset=0, channel=channel
        ).items

    def queue_page(
        self,
        actor: Actor,
        kind: str,
        where: QueueFilter,
        *,
        limit: int,
        offset: int,
        channel: str = "portal",
    ) -> Page[dict[str, Any]]:
        """One page of the queue of ``kind`` searched by ``where``, with its total."""
        with write_transaction(self.engine) as conn:
            found = queue_page(
                conn,
                actor,
                kind,
                where,
                review_states=_awaiting(actor),
                limit=limit,
                offset=offset,
            )
            if kind == "cases":  # every read of a case is audited; a request is no case
                self._audit(conn, actor, None, "list", kind, f"{len(found.items)} shown", channel)
        return found

    def export_queue(
        self, actor: Actor, kind: str, where: QueueFilter, *, channel: str = "portal"
    ) -> Iterator[dict[str, Any]]:
        """The whole queue of :meth:`queue_page`, streamed; refused (a region not the actor's)
        at once, audited as the export starts."""
        query, row = queue_query(actor, kind, where, _awaiting(actor))
        return self._exported(actor, kind, query, row, channel)

    def _exported(
        self,
        actor: Actor,
        kind: str,
        query: sa.Select[Any],
        row: Callable[[sa.Row[Any]], dict[str, Any]],
        channel: str,
    ) -> Iterator[dict[str, Any]]:
        with write_transaction(self.engine) as conn:
            self._audit(conn, actor, None, "export", kind, "exported", channel)
        with self.engine.connect() as conn:
            yield from stream(read_only(conn), query, row)

    def list_cases(
        self,
        actor: Actor,
        *,
        review_states: tuple[str, ...] | None = None,
        limit: int = QUEUE_LIMIT,
        offset: int = 0,
        channel: str = "portal",
    ) -> Page[dict[str, Any]]:
        """One page of the cases the actor sees, oldest first, as summaries (no record), with
        the count of all of them."""
        query = cases_query(actor, QueueFilter(), review_states)
        with write_transaction(self.engine) as conn:
            found = fetch_page(conn, query, limit=limit, offset=offset, row=case_row)
            self._audit(conn, actor, None, "list", "cases", f"{len(found.items)} shown", channel)
        return found

    def export_cases(
        self,
        actor: Actor,
        *,
        review_states: tuple[str, ...] | None = None,
        channel: str = "portal",
    ) -> Iterator[dict[str, Any]]:
        """The whole list of :meth:`list_cases`, streamed; audited as the export starts."""
        query = cases_query(actor, QueueFilter(), review_states)
        return self._exported(actor, "cases", query, case_row, channel)

    def case(self, actor: Actor, case_number: str, *, channel: str = "portal") -> dict[str, Any]:
        """The case with its review state, permission, contributors, history and the actions
        the actor may take; the read is audited (a refused one too)."""
        with write_transaction(self.engine) as conn:
            try:
                loaded = load(conn, actor, case_number)
            except NotFound:
                self._audit(conn, actor, None, "read", case_number[:100], "not found", channel)
                shown = None
            else:
                shown = full(conn, actor, loaded)
                self._audit(conn, actor, loaded, "read", loaded.number, "shown", channel)
        if shown is None:
            raise NotFound(f"no case {case_number}")
        return shown

    def history(self, actor: Actor, case_number: str) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            conn = read_only(c)
            return history_of(conn, load(conn, actor, case_number).row.id)

    # --- changing -----------------------------------------------------------------------------

    def edit_case(
        self, actor: Actor, case_number: str, record: Any, *, channel: str = "portal"
    ) -> dict[str, Any]:
        """Replace the case's record, re-validated with its dictionary: on errors nothing
        changes and the errors are returned; otherwise the changed fields are audited."""
        parsed = parse_case_number(case_number)
        if parsed is None:
            raise NotFound(f"no case {case_number}")
        record_type = RECORD_TYPES[parsed[0]]
        checked = self.importer.check(record_type, record)
        with write_transaction(self.engine) as conn:
            loaded = load(conn, actor, case_number, lock=True)
            row = loaded.row
            if not actions(actor, loaded)["edit"]:
                self._refuse(actor, loaded, "edit")
            answer: dict[str, Any] = {"case_number": loaded.number, "changed": [], "errors": []}
            if checked.errors:
                return {**answer, "errors": checked.errors}
            if checked.client_case_number != row.client_case_number:
                message = (
                    f"the agency case number is {row.client_case_number!r} and cannot change: "
                    "cancellation requests and duplicates find the case by it"
                )
                return {**answer, "errors": [error(CHANGED_NUMBER, "caseNumber", message)]}
            before, after = diff(row.record, checked.record)
            if not before:
                return answer
            state = place_state(record_type, checked.record)
            region = region_of(region_table(conn, self.default_regions), state)
            conn.execute(
                cases.update()
                .where(cases.c.id == row.id)
                .values(record=checked.record, state=state, region=region, updated_at=now())
            )
            self._record(conn, actor, loaded, "edit", channel, before, after)
        return {**answer, "changed": list(before), "region": region}

    def add_contributor(
        self, actor: Actor, case_number: str, agency_ori: str, *, channel: str = "portal"
    ) -> dict[str, Any]:
        """Let another agency view and edit the case before publication."""
        with write_transaction(self.engine) as conn:
            loaded = load(conn, actor, case_number, lock=True)
            if not (is_reviewer(actor, loaded.row) or is_entering(actor, loaded.row)):
                raise Forbidden("only the RPS or the entering agency adds contributors")
            if loaded.row.review_state == "closed":
                raise Conflict(f"case {loaded.number} is closed")
            agency = get_agency(conn, agency_ori.strip())
            if agency is None:
                raise Invalid(f"no agency {agency_ori}")
            if agency.id == loaded.row.agency_id:
                raise Conflict(f"{agency.ori} entered case {loaded.number}")
            if agency.id not in loaded.contributors:
                conn.execute(
                    case_contributors.insert().values(
                        case_id=loaded.row.id,
                        agency_id=agency.id,
                        added_by=actor.name,
                        added_at=now(),
                    )
                )
                self._record(
                    conn, actor, loaded, "contributor", channel, {}, {"contributor": agency.ori}
                )
            return full(conn, actor, load(conn, actor, case_number))

    def record_permission(
        self,
        actor: Actor,
        case_number: str,
        granted_by: str,
        note: str | None = None,
        *,
        channel: str = "portal",
    ) -> dict[str, Any]:
        """The RPS records the investigating agency's permission to publish (who granted it)."""
        granted_by = granted_by.strip()
        if not granted_by:
            raise Invalid("say who at the investigating agency granted the permission")
        values = {
            "permission_by": granted_by[:200],
            "permission_note": (note or "").strip() or None,
            "permission_recorded_by": actor.name,
            "permission_at": now(),
        }
        return self._transition(
            actor, case_number, "permission", channel, EDITABLE, values, note=note
        )

    def publish(self, actor: Actor, case_number: str, *, channel: str = "portal") -> dict[str, Any]:
        """The RPS publishes a pending case whose permission is recorded."""
        values = {
            "review_state": "published",
            "published": True,
            "published_by": actor.name,
            "published_at": now(),
        }
        return self._transition(actor, case_number, "publish", channel, ("pending",), values)

    def return_case(
        self, actor: Actor, case_number: str, note: str, *, channel: str = "portal"
    ) -> dict[str, Any]:
        """Back to the entering party, with the note saying what to change."""
        if not note.strip():
            raise Invalid("a returned case needs a note for the entering party")
        values = {"review_state": "returned", "review_note": note.strip()}
        return self._transition(
            actor, case_number, "return", channel, ("pending",), values, note=note
        )

    def resubmit(
        self, actor: Actor, case_number: str, note: str | None = None, *, channel: str = "portal"
    ) -> dict[str, Any]:
        """The entering party (or a contributor) sends a returned case back for review."""
        values = {"review_state": "pending"}
        return self._transition(
            actor, case_number, "resubmit", channel, ("returned",), values, note=note
        )

    def _transition(
        self,
        actor: Actor,
        case_number: str,
        action: str,
        channel: str,
        allowed: tuple[str, ...],
        values: dict[str, Any],
        *,
        note: str | None = None,
    ) -> dict[str, Any]:
        with write_transaction(self.engine) as conn:
            loaded = load(conn, actor, case_number, lock=True)
            row = loaded.row
            reviewer = is_reviewer(actor, row)
            if not (reviewer or (action == "resubmit" and is_party(actor, loaded))):
                raise Forbidden(f"only the RPS of region {row.region} may {action} this case")
            if row.review_state not in allowed:
                raise Conflict(
                    f"case {loaded.number} is {row.review_state}; {action} needs it "
                    + " or ".join(allowed)
                )
            if action == "publish" and row.permission_at is None:
                raise Conflict(
                    f"case {loaded.number} has no recorded permission to publish from the "
                    "investigating agency: record it first"
                )
            before = {k: _plain(getattr(row, k)) for k in values}
            after = {k: _plain(v) for k, v in values.items()}
            conn.execute(
                cases.update().where(cases.c.id == row.id).values(**values, updated_at=now())
            )
            self._record(conn, actor, loaded, action, channel, before, after, note=note)
            return full(conn, actor, load(conn, actor, case_number))

    def decide_cancellation(
        self, actor: Actor, request_id: int, approve: bool, note: str, *, channel: str = "portal"
    ) -> dict[str, Any]:
        """The RPS approves (the case is closed, cancelled or resolved as the request says) or
        rejects a pending request; the client reads the outcome and the note back."""
        if not note.strip():
            raise Invalid("a decision on a cancellation request needs a note")
        with write_transaction(self.engine) as conn:
            found = conn.execute(
                sa.select(requests, cases.c.case_type, cases.c.realm)
                .join(cases, cases.c.id == requests.c.case_id)
                .where(requests.c.id == request_id)
                .with_for_update(of=requests)
            ).first()
            if found is None or found.realm != actor.effective_realm:
                raise NotFound(f"no cancellation request {request_id}")
            if not (actor.role in ("admin", "rps") and actor.sees_region(found.region)):
                if actor.owns(found.agency_id):
                    raise Forbidden("the RPS of the case's region decides on the request")
                raise NotFound(f"no cancellation request {request_id}")
            if found.state != "pending":
                raise Conflict(f"cancellation request {request_id} is {found.state} already")
            decided = "approved" if approve else "rejected"
            conn.execute(
                requests.update()
                .where(requests.c.id == request_id)
                .values(state=decided, reviewer_note=note.strip(), decided_at=now())
            )
            number = f"{found.case_type}{found.case_id}"
            admin = Actor(role="admin", name=actor.name, realm=actor.realm)
            loaded = load(conn, admin, number, lock=True)
            change: dict[str, Any] = {"cancellation": f"{request_id} {decided}"}
            if approve:
                closing = {"review_state": "closed", "closed_reason": found.reason}
                conn.execute(
                    cases.update()
                    .where(cases.c.id == found.case_id)
                    .values(**closing, published=False, updated_at=now())
                )
                change.update(closing)
            before = {k: _plain(getattr(loaded.row, k, None)) for k in change}
            self._record(conn, actor, loaded, "cancellation", channel, before, change, note=note)
            s = self.settings
            decision_mail(conn, request_id, s.public_url, s.digest_hour)
            row = conn.execute(sa.select(requests).where(requests.c.id == request_id)).one()
            # with the agency, as the queue shows it: the portal swaps the queue's row for it
            return {
                **cancellation_view(row, found.case_type),
                "agency": loaded.row.ori,
                "client_case_number": loaded.row.client_case_number,
            }

    # --- the record of what happened ------------------------------------------------------------

    def _refuse(self, actor: Actor, loaded: Loaded, action: str) -> None:
        state = loaded.row.review_state
        if actor.role == "client" and state not in EDITABLE:
            raise Conflict(f"case {loaded.number} is {state}: only the RPS changes it now")
        if state == "closed":
            raise Conflict(f"case {loaded.number} is closed")
        raise Forbidden(f"you may not {action} case {loaded.number}")

    def _record(
        self,
        conn: sa.Connection,
        actor: Actor,
        loaded: Loaded,
        action: str,
        channel: str,
        before: dict[str, Any],
        after: dict[str, Any],
        *,
        note: str | None = None,
    ) -> None:
        conn.execute(
            case_edits.insert().values(
                case_id=loaded.row.id,
                at=now(),
                actor=actor.name,
                role=actor.role,
                channel=channel,
                action=action,
                fields=list(after),
                before=before,
                after=after,
                note=(note or "").strip() or None,
            )
        )
        self._audit(conn, actor, loaded, action, loaded.number, "done", channel, fields=list(after))

    def _audit(
        self,
        conn: sa.Connection,
        actor: Actor,
        loaded: Loaded | None,
        action: str,
        subject: str,
        outcome: str,
        channel: str,
        **detail: Any,
    ) -> None:
        audit(
            conn,
            exchange="cases",
            realm=actor.effective_realm,
            actor=actor.name[:100],
            ori=loaded.row.ori if loaded else None,
            channel=channel,
            action=action,
            subject=subject,
            record_id=loaded.row.id if loaded else None,
            outcome=outcome,
            detail={"role": actor.role, **detail},
        )


def _awaiting(actor: Actor) -> tuple[str, ...]:
    """The review states of the cases that await the actor: a client's cases until they are
    published, and the RPS's pending ones."""
    return ("pending", "returned") if actor.role == "client" else ("pending",)


def _plain(value: Any) -> Any:
    """A value as the JSON of the history shows it."""
    return value.isoformat() if hasattr(value, "isoformat") else value

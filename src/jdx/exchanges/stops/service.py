"""Submit, update, read and check stop records: the seed's Central Data Validation Service.

Every channel (web service, bulk files, upload) calls :meth:`StopService.submit_stop`. One call is
one unit of work: the relational checks, the write and the audit record commit together or not
at all, under a per-agency lock, so that one agency's submissions are processed one at a time
(the seed's synchronous protocol) while other agencies proceed.

This module runs submissions: their paths, transactions, locks and audit. The records they pass
around are in ``records.py``, the relational rules in ``rules.py``, the rows a submission writes
in ``rows.py``, the SQL in ``queries.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
import sqlalchemy as sa

from jdx.dictionary import Issue, Outcome
from jdx.dictionary.shape import canonical
from jdx.exchanges.stops import queries as Q
from jdx.exchanges.stops import web_service_batches
from jdx.exchanges.stops.errors import suspended
from jdx.exchanges.stops.queries import StoreLookups
from jdx.exchanges.stops.records import (
    FAMILY,
    CoreAttributes,
    Disposition,
    Op,
    StoredStop,
    Submission,
    SubmissionResult,
)
from jdx.exchanges.stops.rows import audit_rows, new_rows, prepare
from jdx.exchanges.stops.rules import add_issues, status_of
from jdx.exchanges.stops.tables import stops
from jdx.security.keys import Principal
from jdx.security.standing import suspended_among
from jdx.store.bulk import (
    JsonText,
    StatisticsKeeper,
    insert_rows,
    reserve_ids,
)
from jdx.store.engine import read_only, write_transaction
from jdx.store.locks import lock_agency
from jdx.store.queries import audit, audit_many
from jdx.validation import ValidationService

STATISTICS_SECONDS = 10.0


class StopService:
    def __init__(
        self,
        engine: sa.Engine,
        validation: ValidationService,
        *,
        bulk_workers: int = 1,
        bulk_columnar: bool = True,
    ) -> None:
        self.engine = engine
        self.validation = validation
        # Pipe-delimited files read, checked and bound as columns (``columnar_files.py``).
        self.bulk_columnar = bulk_columnar
        # Processes that bind and validate batch files' records (``batch_workers.py``), started on
        # the first file; 0: the file's own process does it all.
        self.bulk_workers = bulk_workers
        self.file_pool: Any = None  # batch_workers.CheckPool, created by batch_workers.pool_for
        # The planner's statistics of ``stops`` kept current while the web service and batch
        # files fill it: before a new table's first ANALYZE (autovacuum comes by once a minute
        # at best), the duplicate lookups walk the wrong index, every stop of the agency
        # (measured: 6 ms instead of 0.05 ms at 9,000 stops). In a thread of its own, so that
        # no request or chunk waits for an ANALYZE.
        self.statistics = StatisticsKeeper(engine, stops, STATISTICS_SECONDS, background=True)

    def close(self) -> None:
        """Stop the batch files' worker processes, if any were started."""
        if self.file_pool is not None:
            self.file_pool.close()
            self.file_pool = None

    def serial_key(self, principal: Principal) -> tuple[str, ...]:
        """The agency whose submissions the store processes one at a time (its lock)."""
        return (principal.realm, principal.ori)

    # --- checking -----------------------------------------------------------------------------

    def check_data(self, record: Any) -> Outcome:
        """Data validations only: the dictionary of the record's era."""
        return self.validation.validate(FAMILY, record)

    def would_be(self, principal: Principal, record: Any, op: Op) -> SubmissionResult:
        """Data and relational validations, read-only: what a submission would get."""
        core = CoreAttributes.of(record)
        outcome = self.check_data(record)
        with self.engine.connect() as conn:
            if suspended_among(read_only(conn), [principal.agency_id]):
                return _refused(principal, core)
            lookups = StoreLookups(read_only(conn), principal.realm)
            add_issues(record, outcome, core, op, principal.ori, lookups)
        if outcome.is_fatal:
            return SubmissionResult(Disposition.REJECTED, outcome, core)
        return SubmissionResult(
            Disposition.STORED, outcome, core, status=status_of(outcome, record, op)
        )

    # --- submitting ---------------------------------------------------------------------------

    def submit_stop(
        self,
        principal: Principal,
        record: Any,
        op: Op,
        *,
        channel: str,
        calling_app: str | None = None,
        extra_issues: Iterable[Issue] = (),
        bulk: bool = False,
        data: Outcome | None = None,
    ) -> SubmissionResult:
        """Validate and store one stop record; nothing is written when a fatal error is found.

        ``extra_issues`` are fatal problems the channel found before the record (a header that
        disagrees with the body); they are reported and audited with the rest. ``bulk``: the
        caller is a bulk process, so a record with errors also goes into the agency's web
        service batch (``web_service_batches.py``), in this same transaction. ``data``: the
        outcome of :meth:`check_data` when the caller ran it already (``extra_issues``
        included).
        """
        item = Submission(principal, record, op, data, calling_app, bulk)
        if data is None:
            item.data = self.check_data(record)  # CPU work outside the lock
            item.data.issues[:0] = list(extra_issues)
        with write_transaction(self.engine) as conn:
            if suspended_among(conn, [principal.agency_id]):
                result = _refused(principal, CoreAttributes.of(record))
                audit_many(conn, audit_rows([(item, result)], channel))
                return result
            lock_agency(conn, principal.realm, CoreAttributes.of(record).ori or principal.ori)
            result = self.submit_checked(conn, principal, record, op, item.outcome, channel=channel)
            self._record(conn, [(item, result)], channel)
        return result

    def submit_stops(
        self, items: Sequence[Submission], *, channel: str, brief_lock_wait: bool = False
    ) -> list[SubmissionResult]:
        """:meth:`submit_stop` for several submissions whose data checks are done, processed
        one after another in the order given and committed together (one commit, hence one
        disk flush, for all of them: the web service groups the requests that queued for the
        same agency's lock). Each agency's lock is held from its first record to the commit,
        so every record sees all that were before it, as with separate calls; the results
        are those separate calls would give. Nothing is committed if anything fails.

        ``brief_lock_wait``: on PostgreSQL an agency's lock that is busy elsewhere (another
        worker's group: milliseconds; a batch file's chunk: much longer) is waited for
        :data:`queries.BRIEF_LOCK_WAIT_MS` at most, and the whole group then fails: the web
        service's shared group, which must not be held up by one agency, then stores each
        agency's part in a queue of its own, which waits as long as the lock takes
        (``Grouper``'s split)."""
        self.statistics.check()
        # The canonical copies before the locks: a fifth of a group's time, which the agency's
        # other requests (another worker's; on SQLite, every writer's) need not wait for.
        copies = {id(m): self.canonical_copy(m) for m in items}
        done: dict[int, SubmissionResult] = {}
        with write_transaction(self.engine) as conn:
            # The web service trusts a key for a few seconds without a query (KeyCache.cached),
            # never its agency's standing: asked here, in the transaction that would write, a
            # suspension committed before it refuses the agency's submissions (standing.py).
            suspended = suspended_among(conn, {item.principal.agency_id for item in items})
            refused = [i for i in items if i.principal.agency_id in suspended]
            for item in refused:
                done[id(item)] = _refused(item.principal, CoreAttributes.of(item.record))
            if refused:
                audit_many(conn, audit_rows([(i, done[id(i)]) for i in refused], channel))
            acting = [i for i in items if i.principal.agency_id not in suspended]
            if acting:
                self._store_group(conn, acting, copies, done, channel, brief_lock_wait)
        return [done[id(item)] for item in items]

    def _store_group(
        self,
        conn: sa.Connection,
        items: Sequence[Submission],
        copies: dict[int, dict[str, Any] | None],
        done: dict[int, SubmissionResult],
        channel: str,
        brief_lock_wait: bool,
    ) -> None:
        """The stores of :meth:`submit_stops`, for submissions of agencies that act."""
        by_agency: dict[tuple[str, str], list[Submission]] = {}
        for item in items:
            by_agency.setdefault((item.principal.realm, item.principal.ori), []).append(item)
        # Several agencies' submissions share a transaction (one commit, and the fixed cost of
        # a group, for all), their locks taken in a fixed order: no deadlock.
        groups = sorted(by_agency.items())
        if conn.dialect.name == "postgresql" and _pipelined(items):
            self._submit_new_pipelined(conn, items, groups, copies, done, channel, brief_lock_wait)
            return
        if brief_lock_wait and conn.dialect.name == "postgresql":
            conn.exec_driver_sql(Q.LIMIT_LOCK_WAIT)
        for (realm, ori), mine in groups:
            lock_agency(conn, realm, ori)
            entries = [(m.record, m.op, m.outcome) for m in mine]
            results = self.submit_batch(
                conn,
                mine[0].principal,
                entries,
                channel=channel,
                copies=[copies[id(m)] for m in mine],
            )
            done.update((id(m), r) for m, r in zip(mine, results, strict=True))
        pairs = [(item, done[id(item)]) for item in items]
        self._record(conn, pairs, channel)

    def canonical_copy(self, item: Submission) -> dict[str, Any] | None:
        """The record as it is stored (see :func:`canonical`), when its data checks let it be
        stored at all."""
        if item.outcome.is_fatal:
            return None
        return canonical(self.validation.dictionaries[item.outcome.dictionary_id], item.record)

    def _submit_new_pipelined(
        self,
        conn: sa.Connection,
        items: Sequence[Submission],
        groups: list[tuple[tuple[str, str], list[Submission]]],
        copies: dict[int, dict[str, Any] | None],
        done: dict[int, SubmissionResult],
        channel: str,
        brief_lock_wait: bool,
    ) -> None:
        """:meth:`submit_stops` for new records on PostgreSQL, in two round trips: the locks,
        the duplicate look-ups and the new ids sent together (:func:`queries.look_up_pipelined`);
        then the INSERTs of the stops and of their audit records and the commit together
        (:func:`queries.store_pipelined`)."""
        asks = [(m[0].principal, [CoreAttributes.of(i.record) for i in m]) for _, m in groups]
        new = sum(not m.outcome.is_fatal for _, g in groups for m in g)
        knowns, ids = Q.look_up_pipelined(conn, asks, new, brief_lock_wait)
        rows: list[dict[str, Any]] = []
        for (_, mine), known in zip(groups, knowns, strict=True):
            principal = mine[0].principal
            results = new_rows(
                self.validation.dictionaries,
                principal,
                [(m.record, m.op, m.outcome) for m in mine],
                known,
                StoreLookups(conn, principal.realm, known),
                ids,
                rows,
                channel,
                copies=[copies[id(m)] for m in mine],
            )
            done.update((id(m), r) for m, r in zip(mine, results, strict=True))
        pairs = [(item, done[id(item)]) for item in items]
        Q.store_pipelined(conn, rows, audit_rows(pairs, channel))

    def _record(
        self, conn: sa.Connection, pairs: list[tuple[Submission, SubmissionResult]], channel: str
    ) -> None:
        """The audit records of submissions, and bulk callers' records in their batches."""
        audit_many(conn, audit_rows(pairs, channel))
        for item, result in pairs:
            if item.bulk:
                web_service_batches.append(conn, item.principal, item.record, result)

    def submit_checked(
        self,
        conn: sa.Connection,
        principal: Principal,
        record: Any,
        op: Op,
        data: Outcome,
        *,
        channel: str,
        file_id: int | None = None,
        stored: dict[str, Any] | None = None,
    ) -> SubmissionResult:
        """The relational checks and the write of a record whose data checks are done, inside
        the caller's transaction, which holds the agency's lock (a batch file shares one
        transaction among the records of a chunk)."""
        core = CoreAttributes.of(record)
        lookups = StoreLookups(conn, principal.realm)
        outcome = add_issues(record, data, core, op, principal.ori, lookups)
        if outcome.is_fatal:
            return SubmissionResult(Disposition.REJECTED, outcome, core)
        return self._store(
            conn,
            principal,
            record,
            op,
            outcome,
            core,
            lookups.existing,
            channel,
            file_id,
            stored,
        )

    def submit_batch(
        self,
        conn: sa.Connection,
        principal: Principal,
        entries: Sequence[tuple[dict[str, Any], Op, Outcome]],
        *,
        channel: str,
        file_id: int | None = None,
        shaped: bool = False,
        copies: Sequence[dict[str, Any] | None] | None = None,
    ) -> list[SubmissionResult]:
        """:meth:`submit_checked` for many records in one transaction, with the same results.

        ``shaped``: the records are in canonical form already (read from XLSX or delimited
        rows, see ``test_records_read_from_rows_are_already_canonical``), so the copy that
        :func:`canonical` would make is skipped; it was a fifth of a batch file's time.
        ``copies``: the canonical copies, made already (:meth:`canonical_copy`).

        New records (the whole of a typical file) take two queries for the duplicate checks of
        all of them, one for their ids and one multi-row INSERT, instead of three statements
        each. A batch with an update goes record by record: an update can move a stop onto
        another's moment, which only the database answers exactly.
        """
        if any(op is not Op.INSERT for _, op, _ in entries):
            return [
                self.submit_checked(
                    conn,
                    principal,
                    r,
                    op,
                    d,
                    channel=channel,
                    file_id=file_id,
                    stored=copies[n] if copies is not None else None,
                )
                for n, (r, op, d) in enumerate(entries)
            ]
        cores = [CoreAttributes.of(r) for r, _, _ in entries]
        known = Q.load(conn, principal, cores)
        ids = iter(reserve_ids(conn, stops, sum(not d.is_fatal for _, _, d in entries)))
        rows: list[dict[str, Any]] = []
        results = new_rows(
            self.validation.dictionaries,
            principal,
            entries,
            known,
            StoreLookups(conn, principal.realm, known),
            ids,
            rows,
            channel,
            file_id,
            shaped=shaped,
            copies=copies,
        )
        insert_rows(conn, stops, rows)
        return results

    def _store(
        self,
        conn: sa.Connection,
        principal: Principal,
        record: dict[str, Any],
        op: Op,
        outcome: Outcome,
        core: CoreAttributes,
        existing: Any,
        channel: str,
        file_id: int | None = None,
        stored: dict[str, Any] | None = None,
    ) -> SubmissionResult:
        dictionary = self.validation.dictionaries[outcome.dictionary_id]
        status = status_of(outcome, record, op)
        result, values = prepare(
            dictionary,
            principal,
            record,
            op,
            outcome,
            core,
            status,
            channel,
            file_id,
            stored=stored,
        )
        if isinstance(values["record"], JsonText):  # one row at a time: SQLAlchemy serializes
            values["record"] = orjson.loads(values["record"].text)
        result.doj_record_id = Q.write_one(conn, values, existing)
        result.created = existing is None
        return result

    # --- reading ------------------------------------------------------------------------------

    def get_stop(
        self, principal: Principal, lea_record_id: str, *, channel: str
    ) -> StoredStop | None:
        """An agency's own record (never another's); every read is audited."""
        with self.engine.begin() as conn:
            row = conn.execute(
                Q.SELECT_STOP,
                {"realm": principal.realm, "ori": principal.ori, "lea": lea_record_id},
            ).first()
            audit(
                conn,
                exchange="stops",
                realm=principal.realm,
                actor=principal.ori,
                ori=principal.ori,
                channel=channel,
                action="read",
                subject=lea_record_id,
                record_id=row.id if row else None,
                outcome="found" if row else "not found",
            )
        return None if row is None else StoredStop.of_row(row)


def _refused(principal: Principal, core: CoreAttributes) -> SubmissionResult:
    """The answer to a submission of a suspended agency: nothing written."""
    return SubmissionResult(Disposition.REJECTED, Outcome([suspended(principal.ori)]), core)


def _pipelined(items: Sequence[Submission]) -> bool:
    """Whether :meth:`StopService._submit_new_pipelined` takes a group: new records only (an
    update reads its record first), none from a bulk caller (its batch is written apart), and
    few enough for the look-ups of :func:`queries.ask_few`."""
    return len(items) <= Q.FEW and all(i.op is Op.INSERT and not i.bulk for i in items)

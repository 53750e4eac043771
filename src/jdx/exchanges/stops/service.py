"""Submit, update, read and check stop records: the seed's Central Data Validation Service rules.

Every channel (web service, bulk files, upload) calls :meth:`StopService.submit_stop`. One call is
one unit of work: the relational checks, the write and the audit record commit together or not
at all, under a per-agency lock, so that one agency's submissions are processed one at a time
(the seed's synchronous protocol) while other agencies proceed.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa

from jdx.dictionary import Issue, Outcome
from jdx.dictionary.compiler import as_text, parse_date
from jdx.dictionary.shape import canonical
from jdx.exchanges.stops import bulkws
from jdx.exchanges.stops import errors as E
from jdx.exchanges.stops.tables import stops
from jdx.security.keys import Principal
from jdx.store.bulk import (
    JsonText,
    StatisticsKeeper,
    draw_ids,
    insert_rows,
    raw_connection,
    reserve_ids,
    rows_matching,
)
from jdx.store.engine import read_only, write_transaction
from jdx.store.locks import lock_agency
from jdx.store.queries import audit, audit_many, now
from jdx.store.tables import agencies
from jdx.validation import ValidationService

FAMILY = "stop"
STATUS_OK = "Successful Submission"
STATUS_ERRORS = "Submitted with Errors"
STATUS_NFIA = "NFIA"
STATISTICS_SECONDS = 10.0
# How long a group of several agencies' submissions waits for one agency's lock before it is
# split (``submit_stops``): far above another worker's group (a few ms), far below a batch
# file's chunk.
MIXED_LOCK_WAIT_MS = 50
LIMIT_LOCK_WAIT = f"SET LOCAL lock_timeout = '{MIXED_LOCK_WAIT_MS}ms'"


class Op(enum.StrEnum):
    INSERT = "I"
    UPDATE = "U"


class Disposition(enum.StrEnum):
    STORED = "stored"  # inserted or updated, with or without errors
    REJECTED = "rejected"  # a fatal error: nothing was written


@dataclass
class CoreAttributes:
    """The attributes the seed calls core, as sent (None where missing)."""

    ori: str | None
    lea_record_id: str | None
    officer_uid: str | None
    stop_date: str | None
    stop_time: str | None

    @classmethod
    def of(cls, record: Any) -> CoreAttributes:
        if not isinstance(record, dict):
            return cls(None, None, None, None, None)
        officer = record.get("Officer")
        uid = officer.get("UID") if isinstance(officer, dict) else None
        return cls(
            _text(record.get("ORI")),
            _text(record.get("LEARecordID")),
            _text(uid),
            _text(record.get("SDate")),
            _text(record.get("STime")),
        )


# The fields of a record that the relational checks and the row of ``stops`` read (beside the
# record itself, which the row stores whole).
PREPARED_FIELDS = ("ORI", "LEARecordID", "SDate", "STime", "TX_Type", "Is_NFIA", "BatchID")


class Prepared(dict[str, Any]):
    """A record whose data checks ran in another process (a batch file's worker): as a dict,
    only the fields the relational checks and the stored row read (:data:`PREPARED_FIELDS` and
    ``Officer.UID``); ``text`` is the whole record in canonical form as the JSON column's text.
    Handing the record over this way costs a fraction of pickling its ~50 dicts and lists."""

    __slots__ = ("text",)

    def __init__(self, fields: dict[str, Any], text: str) -> None:
        super().__init__(fields)
        self.text = text

    def get(self, key: str, default: Any = None) -> Any:
        # Every handed-back field is present (None when the record has none): a key that is not
        # would silently read as missing, so it fails loudly instead.
        if key not in self:
            raise KeyError(f"{key} is not handed back by the worker process (PREPARED_FIELDS)")
        return super().get(key, default)

    @staticmethod
    def fields_of(record: dict[str, Any]) -> tuple[Any, ...]:
        """What :meth:`of` needs of a record, as a tuple (cheap to pickle)."""
        officer = record.get("Officer")
        uid = officer.get("UID") if isinstance(officer, dict) else None
        return (*(record.get(name) for name in PREPARED_FIELDS), uid)

    @classmethod
    def of(cls, values: tuple[Any, ...], text: str) -> Prepared:
        fields = dict(zip(PREPARED_FIELDS, values, strict=False))
        fields["Officer"] = {"UID": values[-1]}
        return cls(fields, text)


@dataclass
class SubmissionResult:
    disposition: Disposition
    outcome: Outcome
    core: CoreAttributes
    status: str | None = None
    doj_record_id: int | None = None
    created: bool = False
    issues: list[Issue] = field(default_factory=list)

    @property
    def fatal_codes(self) -> list[str]:
        return [i.code for i in self.outcome.issues if i.severity == "fatal"]


@dataclass
class StoredStop:
    doj_record_id: int
    ori: str
    lea_record_id: str
    status: str
    record: dict[str, Any]
    issues: list[dict[str, Any]]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass
class Submission:
    """One stop record to submit, its data checks done (``data``; None until then)."""

    principal: Principal
    record: Any
    op: Op
    data: Outcome | None = None
    calling_app: str | None = None
    bulk: bool = False  # the caller is a bulk process (see submit_stop)

    @property
    def outcome(self) -> Outcome:
        assert self.data is not None, "the data checks come first"
        return self.data


# Statements are built once: building a SQLAlchemy construct per call costs more than running
# it on SQLite. Values go in as bound parameters.
_p = sa.bindparam
FIND_BY_RECORD_ID = sa.select(stops.c.id, stops.c.status, stops.c.version).where(
    stops.c.realm == _p("realm"), stops.c.ori == _p("ori"), stops.c.lea_record_id == _p("lea")
)
FIND_SAME_STOP = (
    sa.select(stops.c.lea_record_id)
    .where(
        stops.c.realm == _p("realm"),
        stops.c.ori == _p("ori"),
        stops.c.officer_uid == _p("uid"),
        stops.c.stop_date == _p("day"),
        stops.c.stop_time == _p("time"),
    )
    .limit(1)
)
_HELD = (stops.c.id, stops.c.status, stops.c.version, stops.c.lea_record_id)
_SAME_STOP = FIND_SAME_STOP.with_only_columns(sa.literal(0).label("by_id"), *_HELD).subquery()
# Both duplicate checks of a new record in one round trip (the agency's lock is held meanwhile).
FIND_FOR_INSERT = sa.union_all(
    sa.select(sa.literal(1).label("by_id"), *_HELD).where(
        stops.c.realm == _p("realm"), stops.c.ori == _p("ori"), stops.c.lea_record_id == _p("lea")
    ),
    sa.select(*_SAME_STOP.c),
)
FIND_LEAS = sa.select(*_HELD).where(
    stops.c.realm == _p("realm"),
    stops.c.ori == _p("ori"),
    stops.c.lea_record_id.in_(_p("leas", expanding=True)),
)
FIND_MOMENTS = sa.select(
    stops.c.officer_uid, stops.c.stop_date, stops.c.stop_time, stops.c.lea_record_id
).where(
    stops.c.realm == _p("realm"),
    stops.c.ori == _p("ori"),
    stops.c.officer_uid.in_(_p("uids", expanding=True)),
    stops.c.stop_date.in_(_p("days", expanding=True)),
)
# Both duplicate checks of a few new records of one or more agencies, PostgreSQL
# (``_Known.ask_few``): for each key a probe of the index made for it (LIMIT 1 keeps the planner
# from turning a probe into a join). Each row names the agency (realm, ORI) it answers for.
FIND_FEW_POSTGRES = """
SELECT k.realm, k.ori, 1, s.id, s.status, s.version, s.lea_record_id,
       NULL::varchar, NULL::date, NULL::varchar
FROM unnest(%(lrealms)b::varchar[], %(loris)b::varchar[], %(leas)b::varchar[]) AS k(realm, ori, lea)
CROSS JOIN LATERAL (
    SELECT id, status, version, lea_record_id FROM stops
    WHERE realm = k.realm AND ori = k.ori AND lea_record_id = k.lea LIMIT 1
) AS s
UNION ALL
SELECT k.realm, k.ori, 0, NULL, NULL, NULL, s.lea_record_id, k.uid, k.day, k.t
FROM unnest(%(mrealms)b::varchar[], %(moris)b::varchar[],
            %(uids)b::varchar[], %(days)b::date[], %(times)b::varchar[])
     AS k(realm, ori, uid, day, t)
CROSS JOIN LATERAL (
    SELECT lea_record_id FROM stops
    WHERE realm = k.realm AND ori = k.ori
      AND officer_uid = k.uid AND stop_date = k.day AND stop_time = k.t
    LIMIT 1
) AS s
"""
FIND_AGENCY = sa.select(agencies.c.id).where(agencies.c.ori == _p("ori"))
INSERT_STOP = stops.insert().returning(stops.c.id)
UPDATE_STOP = stops.update().where(stops.c.id == _p("doj_id"))
SELECT_STOP = sa.select(stops).where(
    stops.c.realm == _p("realm"), stops.c.ori == _p("ori"), stops.c.lea_record_id == _p("lea")
)


def fatal(code: E.ErrorCode, field_path: str = "", **values: Any) -> Issue:
    return Issue(code.code, "fatal", field_path, code.message.format(**values))


class StopService:
    def __init__(
        self, engine: sa.Engine, validation: ValidationService, *, bulk_workers: int = 1
    ) -> None:
        self.engine = engine
        self.validation = validation
        # Processes that bind and validate batch files' records (``filework.py``), started on
        # the first file; 0: the file's own process does it all.
        self.bulk_workers = bulk_workers
        self.file_pool: Any = None  # filework.CheckPool, created by filework.pool_for
        # The planner's statistics of ``stops`` kept current while the web service fills it:
        # before a new table's first ANALYZE (autovacuum comes by once a minute at best), the
        # duplicate lookups walk the wrong index, every stop of the agency (measured: 6 ms
        # instead of 0.05 ms at 9,000 stops).
        self._statistics = StatisticsKeeper(engine, stops, STATISTICS_SECONDS, background=True)

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
            _Relational(read_only(conn), principal, op).add_issues(record, outcome, core)
        if outcome.is_fatal:
            return SubmissionResult(Disposition.REJECTED, outcome, core)
        return SubmissionResult(
            Disposition.STORED, outcome, core, status=_status(outcome, record, op)
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
        service batch (``bulkws.py``), in this same transaction. ``data``: the outcome of
        :meth:`check_data` when the caller ran it already (``extra_issues`` included).
        """
        item = Submission(principal, record, op, data, calling_app, bulk)
        if data is None:
            item.data = self.check_data(record)  # CPU work outside the lock
            item.data.issues[:0] = list(extra_issues)
        with write_transaction(self.engine) as conn:
            lock_agency(conn, principal.realm, CoreAttributes.of(record).ori or principal.ori)
            result = self.submit_checked(conn, principal, record, op, item.outcome, channel=channel)
            self._record(conn, [(item, result)], channel)
        return result

    def submit_stops(self, items: Sequence[Submission], *, channel: str) -> list[SubmissionResult]:
        """:meth:`submit_stop` for several submissions whose data checks are done, processed
        one after another in the order given and committed together (one commit, hence one
        disk flush, for all of them: the web service groups the requests that queued for the
        same agency's lock). Each agency's lock is held from its first record to the commit,
        so every record sees all that were before it, as with separate calls; the results
        are those separate calls would give. Nothing is committed if anything fails."""
        self._statistics.check()
        by_agency: dict[tuple[str, str], list[Submission]] = {}
        for item in items:
            by_agency.setdefault((item.principal.realm, item.principal.ori), []).append(item)
        groups = sorted(by_agency.items())  # locks in a fixed order: no deadlock
        done: dict[int, SubmissionResult] = {}
        # The canonical copies before the locks: a fifth of a group's time, which the agency's
        # other requests (another worker's; on SQLite, every writer's) need not wait for.
        copies = {id(m): self.canonical_copy(m) for m in items}
        # Several agencies' submissions share a transaction (one commit, and the fixed cost of
        # a group, for all), but one agency must not hold up another for long: an agency whose
        # lock is busy elsewhere (another worker's group: milliseconds; a batch file's chunk:
        # much longer) makes the whole group fail after MIXED_LOCK_WAIT_MS, and the web service
        # then stores each agency's part on its own (``Grouper``'s split).
        mixed = len(groups) > 1
        with write_transaction(self.engine) as conn:
            if conn.dialect.name == "postgresql" and _pipelined(items):
                self._submit_new_pipelined(conn, items, groups, copies, done, channel, mixed)
            else:
                if mixed and conn.dialect.name == "postgresql":
                    conn.exec_driver_sql(LIMIT_LOCK_WAIT)
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
        return [done[id(item)] for item in items]

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
        mixed: bool,
    ) -> None:
        """:meth:`submit_stops` for new records on PostgreSQL, in two round trips: the locks,
        the duplicate look-ups and the new ids sent together (psycopg's pipeline: the server
        runs each statement in turn, each with a snapshot of its own, so that the look-ups see
        everything committed before the lock was granted); then the INSERTs of the stops and
        of their audit records and the commit together. One statement after another, the
        same took seven round trips, and on this machine a round trip to a server on the same
        two cores costs 0.4 to 0.9 ms, most of a group's time (measured, see
        docs/benchmarks.md)."""
        raw = raw_connection(conn)
        with raw.pipeline():
            if mixed:
                raw.execute(LIMIT_LOCK_WAIT)
            for realm, ori in (key for key, _ in groups):
                lock_agency(conn, realm, ori)
            principals = [mine[0].principal for _, mine in groups]
            asked = _Known.ask_few(
                conn,
                [(m[0].principal, [CoreAttributes.of(i.record) for i in m]) for _, m in groups],
            )
            drawn = draw_ids(conn, stops, sum(not m.outcome.is_fatal for _, g in groups for m in g))
            knowns = _Known.of_answer(asked, principals)
            ids = iter([new_id for (new_id,) in drawn])
        rows: list[dict[str, Any]] = []
        for (_, mine), known in zip(groups, knowns, strict=True):
            entries = [(m.record, m.op, m.outcome) for m in mine]
            results = self._decide(
                conn,
                mine[0].principal,
                entries,
                known,
                ids,
                rows,
                channel,
                copies=[copies[id(m)] for m in mine],
            )
            done.update((id(m), r) for m, r in zip(mine, results, strict=True))
        pairs = [(item, done[id(item)]) for item in items]
        with raw.pipeline():
            insert_rows(conn, stops, rows)
            self._audit(conn, pairs, channel)
            # The commit in the same round trip; nothing follows it here, and the commit
            # ``write_transaction`` makes next finds nothing left to commit (psycopg's own
            # rule for a connection with no transaction open).
            raw.commit()

    def _record(
        self, conn: sa.Connection, pairs: list[tuple[Submission, SubmissionResult]], channel: str
    ) -> None:
        """The audit records of submissions, and bulk callers' records in their batches."""
        self._audit(conn, pairs, channel)
        for item, result in pairs:
            if item.bulk:
                bulkws.append(conn, item.principal, item.record, result)

    def _audit(
        self, conn: sa.Connection, pairs: list[tuple[Submission, SubmissionResult]], channel: str
    ) -> None:
        audit_many(
            conn,
            [
                {
                    "exchange": "stops",
                    "realm": item.principal.realm,
                    "actor": item.principal.ori,
                    "ori": result.core.ori or item.principal.ori,
                    "channel": channel,
                    "action": "update" if item.op is Op.UPDATE else "submit",
                    "subject": result.core.lea_record_id,
                    "record_id": result.doj_record_id,
                    "outcome": result.status or "rejected",
                    "codes": result.outcome.codes,
                    "detail": {"calling_app": item.calling_app} if item.calling_app else None,
                }
                for item, result in pairs
            ],
        )

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
        relational = _Relational(conn, principal, op)
        outcome = relational.add_issues(record, data, core)
        if outcome.is_fatal:
            return SubmissionResult(Disposition.REJECTED, outcome, core)
        return self._store(
            conn,
            principal,
            record,
            op,
            outcome,
            core,
            relational.existing,
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
        few = len(entries) <= _Known.FEW
        known = (_Known.load_few if few else _Known.load)(conn, principal, cores)
        ids = iter(reserve_ids(conn, stops, sum(not d.is_fatal for _, _, d in entries)))
        rows: list[dict[str, Any]] = []
        results = self._decide(
            conn,
            principal,
            entries,
            known,
            ids,
            rows,
            channel,
            file_id,
            shaped=shaped,
            copies=copies,
        )
        insert_rows(conn, stops, rows)
        return results

    def _decide(
        self,
        conn: sa.Connection,
        principal: Principal,
        entries: Sequence[tuple[dict[str, Any], Op, Outcome]],
        known: _Known,
        ids: Iterator[int],
        rows: list[dict[str, Any]],
        channel: str,
        file_id: int | None = None,
        *,
        shaped: bool = False,
        copies: Sequence[dict[str, Any] | None] | None = None,
    ) -> list[SubmissionResult]:
        """The relational checks of new records against ``known`` and each other, in order;
        each record to store gets the next of ``ids`` and its row appended to ``rows``.
        ``copies``: the records' canonical copies, made before the lock (or None)."""
        results: list[SubmissionResult] = []
        for n, (record, op, data) in enumerate(entries):
            core = CoreAttributes.of(record)
            relational = _Relational(conn, principal, op, known)
            outcome = relational.add_issues(record, data, core)
            if outcome.is_fatal:
                results.append(SubmissionResult(Disposition.REJECTED, outcome, core))
                continue
            result, values = self._prepare(
                principal,
                record,
                op,
                outcome,
                core,
                channel,
                file_id,
                shaped=shaped,
                stored=copies[n] if copies is not None else None,
            )
            values["id"] = result.doj_record_id = next(ids)
            known.add(core, result.status or STATUS_OK, result.doj_record_id)
            rows.append(values)
            results.append(result)
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
        result, values = self._prepare(
            principal, record, op, outcome, core, channel, file_id, stored=stored
        )
        if isinstance(values["record"], JsonText):  # one row at a time: SQLAlchemy serializes
            values["record"] = orjson.loads(values["record"].text)
        if existing is None:
            result.doj_record_id = conn.execute(INSERT_STOP, values).scalar_one()
            result.created = True
        else:
            result.doj_record_id = existing.id
            conn.execute(
                UPDATE_STOP, {**values, "doj_id": existing.id, "version": existing.version + 1}
            )
        return result

    def _prepare(
        self,
        principal: Principal,
        record: dict[str, Any],
        op: Op,
        outcome: Outcome,
        core: CoreAttributes,
        channel: str,
        file_id: int | None,
        *,
        shaped: bool = False,
        stored: dict[str, Any] | None = None,
    ) -> tuple[SubmissionResult, dict[str, Any]]:
        """The result and the row of a record about to be stored (the caller writes it).
        ``stored``: the record's canonical copy (:meth:`canonical_copy`), when made already."""
        dictionary = self.validation.dictionaries[outcome.dictionary_id]
        status = _status(outcome, record, op)
        kept: dict[str, Any] | JsonText
        if stored is not None:
            kept = stored
        elif isinstance(record, Prepared):
            kept = JsonText(record.text)  # canonical already, and serialized
        else:
            kept = record if shaped else canonical(dictionary, record)
        issues = [i.as_dict() for i in outcome.issues]
        stamp = now()
        values: dict[str, Any] = {
            "batch_id": _text(record.get("BatchID")),
            "officer_uid": core.officer_uid,
            "stop_date": parse_date(core.stop_date or "", ("MM/DD/YYYY",)),
            "stop_time": _seconds(core.stop_time or ""),
            "dictionary_id": dictionary.id,
            "status": status,
            "record": kept,
            "issues": issues,
            "channel": channel,
            "file_id": file_id,
            "updated_at": stamp,
        }
        if op is Op.INSERT:
            values.update(
                realm=principal.realm,
                ori=core.ori,
                lea_record_id=core.lea_record_id,
                version=1,
                created_at=stamp,
            )
        result = SubmissionResult(
            Disposition.STORED, outcome, core, status=status, created=op is Op.INSERT
        )
        return result, values

    # --- reading ------------------------------------------------------------------------------

    def get_stop(
        self, principal: Principal, lea_record_id: str, *, channel: str
    ) -> StoredStop | None:
        """An agency's own record (never another's); every read is audited."""
        with self.engine.begin() as conn:
            row = conn.execute(
                SELECT_STOP,
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
        if row is None:
            return None
        return StoredStop(
            row.id,
            row.ori,
            row.lea_record_id,
            row.status,
            row.record,
            row.issues,
            row.version,
            row.created_at,
            row.updated_at,
        )


class _Relational:
    """The seed's relational validations: ORI, duplicate checks, record matching, status."""

    def __init__(
        self, conn: sa.Connection, principal: Principal, op: Op, known: _Known | None = None
    ) -> None:
        self.conn = conn
        self.principal = principal
        self.op = op
        self.known = known  # for new records of a batch: the stored ones, read at once
        self.existing: Any = None  # the row an update applies to

    def add_issues(self, record: Any, outcome: Outcome, core: CoreAttributes) -> Outcome:
        """Relational checks need the core attributes: after a fatal data error, only the ORI."""
        if not outcome.is_fatal:
            outcome.issues.extend(self.check(record, outcome))
        elif core.ori is not None:
            outcome.issues.extend(self.check_ori(core.ori))
        return outcome

    def check_ori(self, ori: str) -> list[Issue]:
        if ori == self.principal.ori:
            return []
        known = self.conn.execute(FIND_AGENCY, {"ori": ori}).first()
        if known is None:
            return [fatal(E.INVALID_ORI, "ORI", ori=ori)]
        return [fatal(E.FOREIGN_ORI, "ORI", own=self.principal.ori, ori=ori)]

    def check(self, record: dict[str, Any], outcome: Outcome) -> list[Issue]:
        core = CoreAttributes.of(record)
        issues = self.check_ori(core.ori or "")
        tx = (_text(record.get("TX_Type")) or "").upper()
        if tx and tx != self.op.value:
            issues.append(
                fatal(
                    E.TX_TYPE_MISMATCH,
                    "TX_Type",
                    tx=tx,
                    expected=self.op.value,
                    verb="an update (PUT)" if self.op is Op.UPDATE else "a new record (POST)",
                )
            )
        if issues:
            return issues
        realm = self.principal.realm
        if self.op is Op.INSERT:
            # A batch read its stored records at once; a single record reads its own.
            known = self.known if self.known is not None else _Known.of_one(self.conn, realm, core)
            held = known.by_lea.get(core.lea_record_id or "")
            if held is not None:
                return [fatal(E.DUPLICATE_RECORD_ID, "LEARecordID", doj_id=held.id)]
            other = known.moments.get(_moment(core))
            if other is not None:
                return [fatal(E.DUPLICATE_STOP, "STime", other=other)]
            if (_text(record.get("Is_NFIA")) or "").upper() == "Y":
                return [Issue(E.NFIA_ON_INSERT.code, "error", "Is_NFIA", E.NFIA_ON_INSERT.message)]
            return []
        row = self.conn.execute(
            FIND_BY_RECORD_ID, {"realm": realm, "ori": core.ori, "lea": core.lea_record_id}
        ).first()
        if row is None:
            return [
                fatal(E.RECORD_MATCHING, "LEARecordID", lea_id=core.lea_record_id, ori=core.ori)
            ]
        if row.status != STATUS_ERRORS:
            return [fatal(E.UPDATE_SUBMITTED, "LEARecordID", status=row.status)]
        self.existing = row
        return []


@dataclass
class _Held:
    """What the relational checks need of a stored record (or of one of the batch, about to be
    stored with its id)."""

    id: int
    status: str
    version: int


class _Known:
    """The stored records a batch of new records could collide with, read in two queries and
    kept current as the batch's own records are accepted."""

    FEW = 100  # records up to which load_few reads them

    def __init__(self) -> None:
        self.by_lea: dict[str, _Held] = {}
        self.moments: dict[tuple[str | None, dt.date | None, str], str] = {}

    @classmethod
    def load(cls, conn: sa.Connection, principal: Principal, cores: list[CoreAttributes]) -> _Known:
        known = cls()
        mine = [c for c in cores if c.ori == principal.ori]
        scope = (stops.c.realm == principal.realm, stops.c.ori == principal.ori)
        leas = sorted({(c.lea_record_id,) for c in mine if c.lea_record_id})
        held = (stops.c.lea_record_id, stops.c.id, stops.c.status, stops.c.version)
        for row in rows_matching(conn, stops, ["lea_record_id"], leas, held, *scope):
            known.by_lea[row.lea_record_id] = _Held(row.id, row.status, row.version)
        moments = sorted(
            {m for m in map(_moment, mine) if m[0] and m[1]}, key=lambda m: (m[0], m[1], m[2])
        )
        keyed = ["officer_uid", "stop_date", "stop_time"]
        found = (*(stops.c[name] for name in keyed), stops.c.lea_record_id)
        for row in rows_matching(conn, stops, keyed, moments, found, *scope):
            known.moments.setdefault(
                (row.officer_uid, row.stop_date, row.stop_time), row.lea_record_id
            )
        return known

    @classmethod
    def load_few(
        cls, conn: sa.Connection, principal: Principal, cores: list[CoreAttributes]
    ) -> _Known:
        """:meth:`load` for a few records (the web service's groups, a small chunk of a file).

        PostgreSQL: :meth:`ask_few`'s one statement, one probe of the right index per key
        (plain ``IN`` lists walked the other index on a table never analysed: 4 ms a look-up at
        5,600 stops). SQLite: plain ``IN`` lists on the indexed columns."""
        if conn.dialect.name == "postgresql":
            return cls.of_answer(cls.ask_few(conn, [(principal, cores)]), [principal])[0]
        known = cls()
        mine = [c for c in cores if c.ori == principal.ori]
        scope = {"realm": principal.realm, "ori": principal.ori}
        leas = sorted({c.lea_record_id for c in mine if c.lea_record_id})
        if leas:
            for row in conn.execute(FIND_LEAS, {**scope, "leas": leas}):
                known.by_lea[row.lea_record_id] = _Held(row.id, row.status, row.version)
        moments = {m for m in map(_moment, mine) if m[0] and m[1]}
        if moments:
            uids = sorted({m[0] for m in moments if m[0]})
            days = sorted({m[1] for m in moments if m[1]})
            for row in conn.execute(FIND_MOMENTS, {**scope, "uids": uids, "days": days}):
                moment = (row.officer_uid, row.stop_date, row.stop_time)
                if moment in moments:
                    known.moments.setdefault(moment, row.lea_record_id)
        return known

    @staticmethod
    def ask_few(conn: sa.Connection, asks: Sequence[tuple[Principal, list[CoreAttributes]]]) -> Any:
        """PostgreSQL: both duplicate look-ups of a few records of each agency asked for, in one
        statement sent at once; its answer (the driver's cursor) read by :meth:`of_answer`. One
        probe of the right index per key; its text is the same for every group, so that the
        driver prepares it. (One statement an agency cost a group of 16 requests of 8 agencies
        3.2 ms of CPU, against 1.9 ms for 16 of one agency.)"""
        leas: set[tuple[str, str, str]] = set()
        moments: set[tuple[str, str, str | None, dt.date | None, str]] = set()
        for principal, cores in asks:
            scope = (principal.realm, principal.ori)
            mine = [c for c in cores if c.ori == principal.ori]
            leas.update((*scope, c.lea_record_id) for c in mine if c.lea_record_id)
            moments.update((*scope, *m) for m in map(_moment, mine) if m[0] and m[1])
        by_lea = sorted(leas)
        by_moment = sorted(moments, key=repr)
        cursor = raw_connection(conn).cursor()
        cursor.execute(
            FIND_FEW_POSTGRES,
            {
                "lrealms": [k[0] for k in by_lea],
                "loris": [k[1] for k in by_lea],
                "leas": [k[2] for k in by_lea],
                "mrealms": [k[0] for k in by_moment],
                "moris": [k[1] for k in by_moment],
                "uids": [k[2] for k in by_moment],
                "days": [k[3] for k in by_moment],
                "times": [k[4] for k in by_moment],
            },
        )
        return cursor

    @classmethod
    def of_answer(cls, cursor: Any, principals: Sequence[Principal]) -> list[_Known]:
        """What :meth:`ask_few` found, one :class:`_Known` per principal asked for, in order."""
        knowns = {(p.realm, p.ori): cls() for p in principals}
        for realm, ori, by_id, doj_id, status, version, lea, uid, day, time in cursor:
            known = knowns[realm, ori]
            if by_id:
                known.by_lea[lea] = _Held(doj_id, status, version)
            else:
                known.moments.setdefault((uid, day, time), lea)
        return [knowns[p.realm, p.ori] for p in principals]

    @classmethod
    def of_one(cls, conn: sa.Connection, realm: str, core: CoreAttributes) -> _Known:
        """What one new record could collide with, in one statement (both duplicate checks)."""
        known = cls()
        moment = _moment(core)
        params: dict[str, Any] = {"realm": realm, "ori": core.ori, "lea": core.lea_record_id}
        params.update(uid=moment[0], day=moment[1], time=moment[2])
        for row in conn.execute(FIND_FOR_INSERT, params):
            if row.by_id:
                known.by_lea[row.lea_record_id] = _Held(row.id, row.status, row.version)
            else:
                known.moments[moment] = row.lea_record_id
        return known

    def add(self, core: CoreAttributes, status: str, doj_id: int) -> None:
        lea = core.lea_record_id or ""
        self.by_lea[lea] = _Held(doj_id, status, 1)
        self.moments.setdefault(_moment(core), lea)


def _pipelined(items: Sequence[Submission]) -> bool:
    """Whether :meth:`StopService._submit_new_pipelined` takes a group: new records only (an
    update reads its record first), none from a bulk caller (its batch is written apart), and
    few enough for the look-ups of ``_Known.ask_few``."""
    return len(items) <= _Known.FEW and all(i.op is Op.INSERT and not i.bulk for i in items)


def _moment(core: CoreAttributes) -> tuple[str | None, dt.date | None, str]:
    """The second duplicate key of the seed: officer, stop date and stop time."""
    return (
        core.officer_uid,
        parse_date(core.stop_date or "", ("MM/DD/YYYY",)),
        _seconds(core.stop_time or ""),
    )


def _status(outcome: Outcome, record: dict[str, Any], op: Op) -> str:
    """NFIA ("no further information available") closes a record that keeps its errors."""
    if not outcome.has_errors:
        return STATUS_OK
    if op is Op.UPDATE and (_text(record.get("Is_NFIA")) or "").upper() == "Y":
        return STATUS_NFIA
    return STATUS_ERRORS


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = as_text(value)
    return text or None


def _seconds(text: str) -> str:
    """HH:MM and HH:MM:SS name the same minute: stored as HH:MM:SS for the duplicate check."""
    return f"{text}:00" if len(text) == 5 else text

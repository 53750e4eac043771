"""Accepting an import job: limits, idempotency, validation, and the job's log of its cases.

:meth:`CaseImport.submit_job` either stores the whole job (its row and one row per case, in
one transaction) or nothing: a job over a limit or a reused idempotency key with another body
is refused before anything is written. Each case is validated here, by the central validation
service with the case dictionaries, so the answer the client gets at once already tells which
cases were queued; creation is the workflow's (``process.py``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from jdx.dictionary.shape import canonical
from jdx.exchanges.cases import CANCELLATION, MISSING, UNIDENTIFIED, codes
from jdx.exchanges.cases.tables import cases, client_limits, import_job_cases, import_jobs
from jdx.security.keys import Principal
from jdx.settings import Settings
from jdx.store.engine import read_only, write_transaction
from jdx.store.locks import lock_agency
from jdx.store.queries import audit, now
from jdx.validation import ValidationService

FAMILIES = {"missing": MISSING, "unidentified": UNIDENTIFIED, "cancellation": CANCELLATION}
DAY = dt.timedelta(hours=24)
# Codes of the job envelope and of the exchange's own checks: NM9xx, beside the dictionaries'.
BAD_TYPE, BAD_RECORD = codes.BAD_TYPE.code, codes.BAD_RECORD.code


class JobRefused(Exception):
    """The whole job is refused and nothing of it is stored; ``status`` is the HTTP answer's."""

    def __init__(self, status: int, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limits:
    max_cases_per_job: int
    max_job_bytes: int
    max_jobs_per_day: int


@dataclass(frozen=True)
class Accepted:
    job_id: int
    replayed: bool  # the same idempotency key and body as an earlier job: that job


@dataclass
class _Case:
    seq: int
    record_type: str
    client_case_number: str | None
    errors: list[dict[str, Any]]
    record: Any


def error(code: str, field: str, message: str) -> dict[str, Any]:
    return {"code": code, "severity": "error", "field": field, "person": None, "message": message}


def client_case_number(record_type: str, record: Any) -> str | None:
    """The client's own number of the case: what duplicates and cancellations are found by."""
    if not isinstance(record, dict):
        return None
    if record_type == "missing":
        agencies = record.get("investigatingAgencies")
        first = agencies[0] if isinstance(agencies, list) and agencies else agencies
        value = first.get("caseNumber") if isinstance(first, dict) else None
    elif record_type == "unidentified":
        ident = record.get("caseIdentification")
        value = ident.get("caseNumber") if isinstance(ident, dict) else None
    else:
        value = record.get("caseNumber") or record.get("idFormatted")
    return str(value).strip()[:50] if value is not None else None


class CaseImport:
    """The exchange's service: the only write path of jobs, cases and cancellation requests."""

    def __init__(self, engine: sa.Engine, validation: ValidationService, settings: Settings):
        self.engine = engine
        self.validation = validation
        self.settings = settings

    def limits(self, agency_id: int) -> Limits:
        with self.engine.connect() as conn:
            row = (
                read_only(conn)
                .execute(sa.select(client_limits).where(client_limits.c.agency_id == agency_id))
                .first()
            )
        if row is None:
            s = self.settings
            return Limits(
                s.namus_max_cases_per_job, s.namus_max_job_bytes, s.namus_max_jobs_per_day
            )
        return Limits(row.max_cases_per_job, row.max_job_bytes, row.max_jobs_per_day)

    def check(self, record_type: Any, record: Any, seq: int = 1) -> _Case:
        """Validate one case of a job (completeness and correctness, nothing relational)."""
        family = FAMILIES.get(record_type) if isinstance(record_type, str) else None
        if family is None:
            message = f"type must be one of {', '.join(FAMILIES)}"
            return _Case(
                seq, str(record_type)[:12], None, [error(BAD_TYPE, "type", message)], record
            )
        if not isinstance(record, dict):
            message = "record must be an object holding the case"
            return _Case(seq, record_type, None, [error(BAD_RECORD, "record", message)], record)
        outcome = self.validation.validate(family, record)
        errors = [i.as_dict() for i in outcome.issues if i.severity != "warning"]
        if not errors:
            record = canonical(self.validation.dictionary_for(family, record), record)
        return _Case(seq, record_type, client_case_number(record_type, record), errors, record)

    def check_all(self, items: Sequence[Any]) -> list[_Case]:
        """Each item of a job (``{"type": ..., "record": ...}``) checked, numbered from 1."""
        return [
            self.check(i.get("type"), i.get("record"), n)
            if isinstance(i, dict)
            else self.check(None, None, n)
            for n, i in enumerate(items, 1)
        ]

    def _within_limits(self, principal: Principal, items: Sequence[Any], size: int) -> Limits:
        """The client's limits, refusing a job over its size or case count, or an empty one."""
        limits = self.limits(principal.agency_id)
        if size > limits.max_job_bytes:
            raise JobRefused(413, f"the job is larger than {limits.max_job_bytes:,} bytes")
        if len(items) > limits.max_cases_per_job:
            raise JobRefused(
                413, f"a job holds at most {limits.max_cases_per_job} cases; this one {len(items)}"
            )
        if not items:
            raise JobRefused(400, "a job holds at least one case")
        return limits

    def submit_job(
        self,
        principal: Principal,
        items: Sequence[Any],
        *,
        size: int,
        sha256: str,
        fmt: str,
        idempotency_key: str | None,
        channel: str,
        received_at: dt.datetime | None = None,
    ) -> Accepted:
        received_at = received_at or now()
        limits = self._within_limits(principal, items, size)
        # Cheap refusals first, without the write lock: a replay or a client over its day.
        with self.engine.connect() as conn:
            early = self._admit(read_only(conn), principal, limits, idempotency_key, sha256)
        if early is not None:
            return early
        checked = self.check_all(items)
        validated_at = now()
        with write_transaction(self.engine) as conn:
            # Acceptances of one agency go one at a time (the daily limit and the idempotency
            # key are decided under this lock), but not behind the creation of its earlier jobs'
            # cases, which re-checks case numbers under the agency's lock: waiting for up to
            # four creation steps made PostgreSQL's acceptance p99 212 ms.
            lock_agency(conn, principal.realm, principal.ori, "case-job-accept")
            again = self._admit(conn, principal, limits, idempotency_key, sha256)
            if again is not None:  # a concurrent retry won the race
                return again
            queued_at = now()
            job_id = conn.execute(
                import_jobs.insert().returning(import_jobs.c.id),
                {
                    "agency_id": principal.agency_id,
                    "realm": principal.realm,
                    "idempotency_key": idempotency_key,
                    "body_sha256": sha256,
                    "format": fmt,
                    "size": size,
                    "state": "received",
                    "total": len(checked),
                    "created_at": received_at,
                },
            ).scalar_one()
            conn.execute(
                import_job_cases.insert(),
                [
                    {
                        "job_id": job_id,
                        "seq": c.seq,
                        "record_type": c.record_type,
                        "client_case_number": c.client_case_number,
                        "state": "rejected" if c.errors else "queued",
                        "errors": c.errors,
                        "record": c.record,
                        "received_at": received_at,
                        "validated_at": validated_at,
                        "queued_at": None if c.errors else queued_at,
                        "processed_at": validated_at if c.errors else None,
                    }
                    for c in checked
                ],
            )
            audit(
                conn,
                exchange="cases",
                realm=principal.realm,
                actor=principal.ori,
                ori=principal.ori,
                channel=channel,
                action="import",
                subject=f"job {job_id}",
                record_id=job_id,
                outcome="accepted",
                codes=sorted({e["code"] for c in checked for e in c.errors}),
                detail={"total": len(checked), "invalid": sum(1 for c in checked if c.errors)},
            )
        return Accepted(job_id, replayed=False)

    def validate_job(
        self, principal: Principal, items: Sequence[Any], *, size: int
    ) -> dict[str, Any]:
        """What :meth:`submit_job` would answer for these cases, storing nothing.

        For the importing parties' own testing and QA (the seed: NamUs "will help facilitate
        testing and QA by external importing parties"): the same limits per job, the same
        completeness and correctness checks, and the relational ones a job meets when it is
        processed (a case imported already, a cancellation of a case that is not the client's),
        read without a lock. It counts toward no daily limit: nothing is imported.
        """
        self._within_limits(principal, items, size)
        checked = self.check_all(items)
        with self.engine.connect() as conn:
            relational = _relational_errors(
                read_only(conn), principal, [c for c in checked if not c.errors]
            )
        with write_transaction(self.engine) as conn:
            audit(
                conn,
                exchange="cases",
                realm=principal.realm,
                actor=principal.ori,
                ori=principal.ori,
                channel="http",
                action="validate",
                subject=f"{len(checked)} cases",
                outcome="validated",
                codes=sorted({e["code"] for c in checked for e in c.errors}),
                detail={"total": len(checked)},
            )
        for c in checked:
            c.errors.extend(relational.get(c.seq, []))
        return {
            "total": len(checked),
            "valid": sum(1 for c in checked if not c.errors),
            "stored": False,
            "cases": [
                {
                    "seq": c.seq,
                    "type": c.record_type,
                    "client_case_number": c.client_case_number,
                    "outcome": "rejected" if c.errors else "would be queued",
                    "errors": c.errors,
                }
                for c in checked
            ],
        }

    def _admit(
        self,
        conn: sa.Connection,
        principal: Principal,
        limits: Limits,
        idempotency_key: str | None,
        sha256: str,
    ) -> Accepted | None:
        """The earlier job of the key (a replay), or None; refuses a client over its day."""
        if idempotency_key:
            row = conn.execute(
                sa.select(import_jobs.c.id, import_jobs.c.body_sha256).where(
                    import_jobs.c.agency_id == principal.agency_id,
                    import_jobs.c.realm == principal.realm,
                    import_jobs.c.idempotency_key == idempotency_key,
                )
            ).first()
            if row is not None:
                if row.body_sha256 != sha256:
                    raise JobRefused(
                        422, f"Idempotency-Key {idempotency_key!r} was used for another job body"
                    )
                return Accepted(row.id, replayed=True)
        moment = now()
        count, oldest = conn.execute(
            sa.select(sa.func.count(), sa.func.min(import_jobs.c.created_at)).where(
                import_jobs.c.agency_id == principal.agency_id,
                import_jobs.c.created_at > moment - DAY,
            )
        ).one()
        if count >= limits.max_jobs_per_day:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=dt.UTC)
            wait = max(1, math.ceil((oldest + DAY - moment).total_seconds()))
            raise JobRefused(
                429,
                f"at most {limits.max_jobs_per_day} jobs in 24 hours; try again in {wait} s",
                retry_after=wait,
            )
        return None


def _relational_errors(
    conn: sa.Connection, principal: Principal, valid: Sequence[_Case]
) -> dict[int, list[dict[str, Any]]]:
    """The errors processing would add to valid cases: duplicates, cancellations of no own case.

    Imported late: ``process`` imports this module.
    """
    from jdx.exchanges.cases.process import (
        CASE_TYPES,
        DUPLICATE,
        case_number,
        refusal_of_cancellation,
    )

    found: dict[int, list[dict[str, Any]]] = {}
    imports = [c for c in valid if c.record_type in CASE_TYPES]
    known = {
        (r.case_type, r.client_case_number): r.id
        for r in conn.execute(
            sa.select(cases.c.id, cases.c.case_type, cases.c.client_case_number).where(
                cases.c.agency_id == principal.agency_id,
                cases.c.realm == principal.realm,
                cases.c.case_type.in_({CASE_TYPES[c.record_type] for c in imports}),
                cases.c.client_case_number.in_({c.client_case_number for c in imports}),
            )
        )
    }
    seen: set[tuple[str, str | None]] = set()
    for c in imports:
        key = (CASE_TYPES[c.record_type], c.client_case_number)
        if key in known:
            message = (
                f"the case {c.client_case_number!r} was imported already as "
                f"{case_number(key[0], known[key])}: import is one-way"
            )
            found[c.seq] = [error(DUPLICATE, "caseNumber", message)]
        elif key in seen:
            message = f"the case {c.client_case_number!r} is in this job twice"
            found[c.seq] = [error(DUPLICATE, "caseNumber", message)]
        seen.add(key)
    for c in valid:
        if c.record_type == "cancellation":
            _, refusal = refusal_of_cancellation(
                conn, principal.agency_id, principal.realm, c.record
            )
            if refusal:
                found[c.seq] = refusal
    return found

"""Processing a queued job: cases created, duplicates refused, cancellations requested.

The job's durable workflow runs :func:`process_in` and ``results.finish_in`` as one step, in one
write transaction; each is idempotent on its own as well: :func:`process` touches only cases
still ``queued`` and moves them on in the transaction that creates their cases, so a run that
committed but was not checkpointed does nothing the second time; ``finish`` queues the result
mail by key, once, and only reads the counts of a job already complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from jdx.exchanges.cases import codes
from jdx.exchanges.cases.jobs import error
from jdx.exchanges.cases.regions import region_of, region_table
from jdx.exchanges.cases.tables import (
    cancellation_requests,
    cases,
    import_job_cases,
    import_jobs,
)
from jdx.store.engine import write_transaction
from jdx.store.locks import lock_agency
from jdx.store.queries import now
from jdx.store.tables import MAX_ID, agencies

CASE_TYPES = {"missing": "MP", "unidentified": "UP"}
DUPLICATE, NO_SUCH_CASE, PENDING = (
    codes.DUPLICATE.code,
    codes.NO_SUCH_CASE.code,
    codes.PENDING.code,
)

_UPDATE = (
    import_job_cases.update()
    .where(
        import_job_cases.c.job_id == sa.bindparam("b_job"),
        import_job_cases.c.seq == sa.bindparam("b_seq"),
    )
    .values(
        state=sa.bindparam("b_state"),
        errors=sa.bindparam("b_errors"),
        case_id=sa.bindparam("b_case"),
        cancellation_id=sa.bindparam("b_cancellation"),
        record=sa.bindparam("b_record"),
        processed_at=sa.bindparam("b_at"),
    )
)


# Built once: a job's queued cases, without their (empty) error lists.
_QUEUED = (
    sa.select(
        import_job_cases.c.seq,
        import_job_cases.c.record_type,
        import_job_cases.c.client_case_number,
        import_job_cases.c.record,
    )
    .where(import_job_cases.c.job_id == sa.bindparam("job"), import_job_cases.c.state == "queued")
    .order_by(import_job_cases.c.seq)
)


def case_number(case_type: str, case_id: int) -> str:
    return f"{case_type}{case_id}"


def parse_case_number(text: str) -> tuple[str, int] | None:
    """(type, id) of a case number such as ``MP34938``; None for anything that cannot be one:
    digits other than ASCII ones (``str.isdigit`` takes "²", which ``int`` refuses), or an id
    beyond the largest a row can have."""
    text = text.strip().upper()
    kind, digits = text[:2], text[2:]
    if kind not in ("MP", "UP") or not (digits.isascii() and digits.isdigit()):
        return None
    if digits.startswith("0") or len(digits) > len(str(MAX_ID)) or int(digits) > MAX_ID:
        return None
    return kind, int(digits)


def place_state(record_type: str, record: Mapping[str, Any]) -> str:
    """The NCIC state of last contact (missing) or where found (unidentified): the region's."""
    where = record["sighting"] if record_type == "missing" else record["circumstances"]
    return str(where["address"]["state"]["displayName"]).upper()


@dataclass
class _Job:
    id: int
    agency_id: int
    realm: str
    ori: str


def process(engine: sa.Engine, default_regions: Mapping[str, str], job_id: int) -> None:
    """Create a job's queued cases; ``default_regions`` applies while no administrator has
    changed the state-to-region table."""
    with write_transaction(engine) as conn:
        process_in(conn, default_regions, job_id)


def process_in(conn: sa.Connection, default_regions: Mapping[str, str], job_id: int) -> None:
    """:func:`process` inside the caller's write transaction (the job workflow's one step)."""
    job = _load(conn, job_id)
    # One agency's jobs one at a time on every node: two jobs holding the same case number
    # must not both create it (the unique key would fail the second mid-job).
    lock_agency(conn, job.realm, job.ori)
    rows = conn.execute(_QUEUED, {"job": job_id}).all()
    conn.execute(
        import_jobs.update()
        .where(import_jobs.c.id == job_id, import_jobs.c.state == "received")
        .values(state="processing")
    )
    if rows:
        moment = now()
        regions = region_table(conn, default_regions)
        updates = _create_cases(
            conn, job, regions, [r for r in rows if r.record_type != "cancellation"], moment
        )
        for r in rows:
            if r.record_type == "cancellation":
                updates.append(_cancellation_update(conn, job, r, moment))
        conn.execute(_UPDATE, updates)


def _create_cases(
    conn: sa.Connection, job: _Job, regions: Mapping[str, str], rows: list[Any], moment: Any
) -> list[dict[str, Any]]:
    """Create the job's new cases in one insert; a case number seen before is a duplicate."""
    numbers = {r.client_case_number for r in rows}
    known: dict[tuple[str, str], int] = {
        (c.case_type, c.client_case_number): c.id
        for c in conn.execute(
            sa.select(cases.c.id, cases.c.case_type, cases.c.client_case_number).where(
                cases.c.agency_id == job.agency_id,
                cases.c.realm == job.realm,
                # case_type too: the unique key's third column, so that the numbers are
                # looked up in the index rather than filtered from every case of the agency.
                cases.c.case_type.in_({CASE_TYPES[r.record_type] for r in rows}),
                cases.c.client_case_number.in_(numbers),
            )
        )
    }
    fresh: list[Any] = []
    first_in_job: dict[tuple[str, str], Any] = {}
    repeats: list[tuple[Any, tuple[str, str]]] = []
    for r in rows:
        key = (CASE_TYPES[r.record_type], r.client_case_number)
        if key in known or key in first_in_job:
            repeats.append((r, key))
        else:
            first_in_job[key] = r
            fresh.append(r)
    if fresh:
        ids = (
            conn.execute(
                cases.insert().returning(cases.c.id, sort_by_parameter_order=True),
                [
                    {
                        "case_type": CASE_TYPES[r.record_type],
                        "agency_id": job.agency_id,
                        "realm": job.realm,
                        "client_case_number": r.client_case_number,
                        "state": (state := place_state(r.record_type, r.record)),
                        "region": region_of(regions, state),
                        "published": False,  # the RPS publishes, with the IA's permission
                        "record": r.record,
                        "job_id": job.id,
                        "created_at": moment,
                        "updated_at": moment,
                    }
                    for r in fresh
                ],
            )
            .scalars()
            .all()
        )
        for r, case_id in zip(fresh, ids, strict=True):
            known[(CASE_TYPES[r.record_type], r.client_case_number)] = case_id
    updates = [
        _row_update(
            job, r, "created", [], known[(CASE_TYPES[r.record_type], r.client_case_number)], moment
        )
        for r in fresh
    ]
    for r, key in repeats:
        existing = case_number(key[0], known[key])
        message = (
            f"the case {r.client_case_number!r} was imported already as {existing}: "
            "import is one-way, ask for a cancellation to withdraw it"
        )
        updates.append(
            _row_update(
                job,
                r,
                "rejected",
                [error(DUPLICATE, "caseNumber", message)],
                known[key],
                moment,
                keep=True,
            )
        )
    return updates


def _row_update(
    job: _Job,
    r: Any,
    state: str,
    errors: list[dict[str, Any]],
    case_id: int | None,
    moment: Any,
    *,
    cancellation_id: int | None = None,
    keep: bool = False,
) -> dict[str, Any]:
    return {
        "b_job": job.id,
        "b_seq": r.seq,
        "b_state": state,
        "b_errors": errors,
        "b_case": case_id,
        "b_cancellation": cancellation_id,
        # A created case holds the record from now on; a refused one keeps it in the job's log.
        "b_record": r.record if keep else None,
        "b_at": moment,
    }


def _cancellation_update(conn: sa.Connection, job: _Job, r: Any, moment: Any) -> dict[str, Any]:
    result = request_cancellation(conn, job.agency_id, job.realm, r.record, job_id=job.id)
    if isinstance(result, list):
        return _row_update(job, r, "rejected", result, None, moment, keep=True)
    case_id, request_id = result
    return _row_update(job, r, "created", [], case_id, moment, cancellation_id=request_id)


def find_own_case(
    conn: sa.Connection, agency_id: int, realm: str, record: Mapping[str, Any]
) -> Any | None:
    """The case a cancellation names, if the agency imported it (another's case: None)."""
    query = sa.select(cases).where(cases.c.agency_id == agency_id, cases.c.realm == realm)
    parsed = parse_case_number(str(record.get("idFormatted") or ""))
    if parsed is not None:
        query = query.where(cases.c.case_type == parsed[0], cases.c.id == parsed[1])
        if record.get("caseNumber"):
            query = query.where(cases.c.client_case_number == str(record["caseNumber"]).strip())
    else:
        query = query.where(
            cases.c.case_type == record.get("caseType"),
            cases.c.client_case_number == str(record.get("caseNumber") or "").strip(),
        )
    return conn.execute(query).first()


def refusal_of_cancellation(
    conn: sa.Connection, agency_id: int, realm: str, record: Mapping[str, Any]
) -> tuple[Any | None, list[dict[str, Any]]]:
    """The case a cancellation request names, and the errors that refuse it (none: it may go)."""
    case = find_own_case(conn, agency_id, realm, record)
    if case is None:
        named = record.get("idFormatted") or f"{record.get('caseType')} {record.get('caseNumber')}"
        return None, [
            error(NO_SUCH_CASE, "idFormatted", f"no case {named} imported by your agency")
        ]
    pending = conn.execute(
        sa.select(cancellation_requests.c.id).where(
            cancellation_requests.c.case_id == case.id,
            cancellation_requests.c.state == "pending",
        )
    ).first()
    if pending is not None:
        message = f"request {pending.id} for {case_number(case.case_type, case.id)} is pending"
        return case, [error(PENDING, "idFormatted", message)]
    return case, []


def request_cancellation(
    conn: sa.Connection,
    agency_id: int,
    realm: str,
    record: Mapping[str, Any],
    *,
    job_id: int | None = None,
) -> tuple[int, int] | list[dict[str, Any]]:
    """(case id, request id) of a new pending request, or the errors that refuse it.

    The request goes to the RPS of the case's region; the case itself is untouched until the
    RPS approves. Only the importing agency may ask, and one request per case is pending at once.
    """
    case, errors = refusal_of_cancellation(conn, agency_id, realm, record)
    if errors or case is None:
        return errors
    request_id = conn.execute(
        cancellation_requests.insert().returning(cancellation_requests.c.id),
        {
            "case_id": case.id,
            "agency_id": agency_id,
            "region": case.region,
            "reason": record["reason"],
            "note": record.get("note"),
            "job_id": job_id,
            "created_at": now(),
        },
    ).scalar_one()
    return case.id, request_id


def _load(conn: sa.Connection, job_id: int) -> _Job:
    row = conn.execute(
        sa.select(import_jobs.c.id, import_jobs.c.agency_id, import_jobs.c.realm, agencies.c.ori)
        .join(agencies, agencies.c.id == import_jobs.c.agency_id)
        .where(import_jobs.c.id == job_id)
    ).one()
    return _Job(row.id, row.agency_id, row.realm, row.ori)

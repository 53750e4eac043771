"""What a client reads back: a job's outcome per case and its cancellation requests;
and the result mail queued when a job completes.

Every read is scoped to the asking agency and realm: another client's job, case or request is
answered exactly as one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from jdx.exchanges.cases.process import case_number
from jdx.exchanges.cases.reviewer_mail import ReviewerMail, mail_reviewers
from jdx.exchanges.cases.tables import cancellation_requests, cases, import_job_cases, import_jobs
from jdx.notify.mail import fitted, notify_agency
from jdx.security.keys import Principal
from jdx.store.engine import read_only, write_transaction
from jdx.store.paging import Page, fetch_page, stream
from jdx.store.queries import now
from jdx.store.tables import agencies


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _utc_iso(value: dt.datetime | None) -> str | None:
    """RFC 3339 with its offset (the lists' ``date-time``): SQLite's timestamps are naive UTC."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()


def finish(engine: sa.Engine, job_id: int, public_url: str, *, digest_hour: int) -> dict[str, int]:
    """Mark the job complete with its counts and queue its result mail (both once)."""
    with write_transaction(engine) as conn:
        return finish_in(conn, job_id, public_url, digest_hour=digest_hour)


def finish_in(
    conn: sa.Connection, job_id: int, public_url: str, *, digest_hour: int
) -> dict[str, int]:
    """:func:`finish` inside the caller's write transaction (the job workflow's one step)."""
    job = conn.execute(sa.select(import_jobs).where(import_jobs.c.id == job_id)).one()
    if job.state == "complete":
        return {
            "total": job.total,
            "created": job.created,
            "requested": job.requested,
            "rejected": job.rejected,
        }
    rows = conn.execute(
        sa.select(
            import_job_cases.c.seq,
            import_job_cases.c.record_type,
            import_job_cases.c.state,
            import_job_cases.c.client_case_number,
            import_job_cases.c.errors,
            import_job_cases.c.case_id,
            import_job_cases.c.cancellation_id,
            cases.c.case_type,
            cases.c.region,
        )
        .outerjoin(cases, cases.c.id == import_job_cases.c.case_id)
        .where(import_job_cases.c.job_id == job_id)
        .order_by(import_job_cases.c.seq)
    ).all()
    counts = {
        "total": len(rows),
        "created": sum(r.state == "created" and r.record_type != "cancellation" for r in rows),
        "requested": sum(r.state == "created" and r.record_type == "cancellation" for r in rows),
        "rejected": sum(r.state == "rejected" for r in rows),
    }
    conn.execute(
        import_jobs.update()
        .where(import_jobs.c.id == job_id)
        .values(state="complete", finished_at=now(), **counts)
    )
    name = f"namus-job-{job_id}-results.txt"
    body, attachment = fitted(
        _mail_body(job_id, rows, counts, public_url),
        _short_body(job_id, counts, name, public_url),
        name,
    )
    notify_agency(
        conn,
        job.agency_id,
        key=f"case-job-{job_id}",
        subject=f"NamUs import job {job_id}: {counts['created']} created, "
        f"{counts['rejected']} rejected",
        body=body,
        digest_hour=digest_hour,
        attachment=attachment,
    )
    if job.realm == "prod":  # test-realm cases are nobody's to review
        ori = conn.execute(
            sa.select(agencies.c.ori).where(agencies.c.id == job.agency_id)
        ).scalar_one()
        reviewer_mails(conn, job_id, ori, rows, public_url)
    return counts


def reviewer_mails(
    conn: sa.Connection, job_id: int, ori: str, rows: Sequence[Any], public_url: str
) -> int:
    """One mail to each RPS of a region the job's new cases and cancellation requests are in,
    listing only those of the RPS's regions; a region without an RPS goes to the
    administrators. Returns the number of mails queued."""
    by_region: dict[str, list[Any]] = {}
    for r in rows:
        if r.state == "created" and r.region is not None:
            by_region.setdefault(r.region, []).append(r)

    def compose(regions: set[str]) -> ReviewerMail:
        mine = sorted((r for g in regions for r in by_region[g]), key=lambda r: r.seq)
        new = sum(r.record_type != "cancellation" for r in mine)
        name = f"namus-job-{job_id}-to-review.txt"
        short = (
            f"Import job {job_id} of {ori} is complete: {len(mine)} cases and requests in your "
            f"regions ({', '.join(sorted(regions))}), listed in the attached {name}.\n\n"
            f"Review queue: {public_url.rstrip('/')}/portal/review\n"
        )
        body, attachment = fitted(
            _reviewer_body(job_id, ori, mine, regions, public_url), short, name
        )
        subject = (
            f"NamUs import job {job_id} from {ori}: {new} new cases, "
            f"{len(mine) - new} cancellation requests in {', '.join(sorted(regions))}"
        )
        return ReviewerMail(subject, body, attachment)

    return mail_reviewers(conn, by_region, f"case-job-{job_id}", compose)


def _reviewer_body(
    job_id: int, ori: str, rows: Sequence[Any], regions: set[str], public_url: str
) -> str:
    """Case numbers, regions and counts only, like the agency's mail."""
    base = public_url.rstrip("/")
    lines = [
        f"Import job {job_id} of {ori} is complete. In your regions "
        f"({', '.join(sorted(regions))}):",
        "",
    ]
    for r in rows:
        number = case_number(r.case_type, r.case_id)
        if r.record_type == "cancellation":
            lines.append(f"  {r.region:<12} cancellation request {r.cancellation_id} for {number}")
        else:
            lines.append(f"  {r.region:<12} {number} to review: {base}/portal/cases/{number}")
    lines += ["", f"Review queue: {base}/portal/review"]
    return "\n".join(lines) + "\n"


def _counts_line(job_id: int, counts: dict[str, int]) -> str:
    return (
        f"Import job {job_id} is complete: {counts['total']} cases, {counts['created']} created, "
        f"{counts['requested']} cancellation requests, {counts['rejected']} rejected."
    )


def _details(job_id: int, public_url: str) -> list[str]:
    base = public_url.rstrip("/")
    return [
        f"Details in the portal: {base}/portal/jobs/{job_id}",
        f"and over the NamUs API: {base}/namus/v1/jobs/{job_id}",
    ]


def _short_body(job_id: int, counts: dict[str, int], name: str, public_url: str) -> str:
    """A long job's mail: the counts; its case-by-case list goes as the attachment."""
    lines = [_counts_line(job_id, counts), ""]
    lines += [f"The result of each case is in the attached {name}.", ""]
    return "\n".join(lines + _details(job_id, public_url)) + "\n"


def _mail_body(job_id: int, rows: Sequence[Any], counts: dict[str, int], public_url: str) -> str:
    """Counts and case numbers only: a mail leaves the hub, so it names no person."""
    lines = [_counts_line(job_id, counts), ""]
    for r in rows:
        yours = f" (your case {r.client_case_number})" if r.client_case_number else ""
        if r.state == "created" and r.record_type == "cancellation":
            number = case_number(r.case_type, r.case_id)
            lines.append(f"{r.seq:>4}  cancellation request {r.cancellation_id} for {number}")
        elif r.state == "created":
            lines.append(f"{r.seq:>4}  created {case_number(r.case_type, r.case_id)}{yours}")
        else:
            codes = ", ".join(sorted({e["code"] for e in r.errors}))
            lines.append(f"{r.seq:>4}  rejected{yours}: {codes}")
    return "\n".join([*lines, "", *_details(job_id, public_url)]) + "\n"


def job_status(engine: sa.Engine, principal: Principal, job_id: int) -> dict[str, Any] | None:
    with engine.connect() as c:
        conn = read_only(c)
        job = conn.execute(
            sa.select(import_jobs).where(
                import_jobs.c.id == job_id,
                import_jobs.c.agency_id == principal.agency_id,
                import_jobs.c.realm == principal.realm,
            )
        ).first()
        if job is None:
            return None
        rows = conn.execute(
            sa.select(
                import_job_cases,
                cases.c.case_type,
                cases.c.review_state,
                cancellation_requests.c.state.label("request_state"),
                cancellation_requests.c.reviewer_note,
            )
            .outerjoin(cases, cases.c.id == import_job_cases.c.case_id)
            .outerjoin(
                cancellation_requests,
                cancellation_requests.c.id == import_job_cases.c.cancellation_id,
            )
            .where(import_job_cases.c.job_id == job_id)
            .order_by(import_job_cases.c.seq)
        ).all()
    return {
        "job_id": job.id,
        "state": job.state,
        "realm": job.realm,
        "format": job.format,
        "size": job.size,
        "total": job.total,
        "created": job.created,
        "requested": job.requested,
        "rejected": job.rejected,
        "created_at": _iso(job.created_at),
        "finished_at": _iso(job.finished_at),
        "cases": [_case_outcome(r) for r in rows],
    }


def _case_outcome(r: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "seq": r.seq,
        "type": r.record_type,
        "client_case_number": r.client_case_number,
        "state": r.state,
        "errors": r.errors,
        "received_at": _iso(r.received_at),
        "validated_at": _iso(r.validated_at),
        "queued_at": _iso(r.queued_at),
        "processed_at": _iso(r.processed_at),
    }
    if r.case_id is not None:
        # For a duplicate this names the existing case; for a cancellation, the case it names.
        out["case_number"] = case_number(r.case_type, r.case_id)
        out["review_state"] = r.review_state
    if r.cancellation_id is not None:
        out["cancellation"] = {
            "id": r.cancellation_id,
            "state": r.request_state,
            "reviewer_note": r.reviewer_note,
        }
    return out


def own_cancellation(
    engine: sa.Engine, principal: Principal, request_id: int
) -> dict[str, Any] | None:
    with engine.connect() as c:
        row = (
            read_only(c)
            .execute(
                sa.select(cancellation_requests, cases.c.case_type)
                .join(cases, cases.c.id == cancellation_requests.c.case_id)
                .where(
                    cancellation_requests.c.id == request_id,
                    cancellation_requests.c.agency_id == principal.agency_id,
                    cases.c.realm == principal.realm,
                )
            )
            .first()
        )
    if row is None:
        return None
    return {
        "id": row.id,
        "case_number": case_number(row.case_type, row.case_id),
        "reason": row.reason,
        "state": row.state,
        "region": row.region,
        "reviewer_note": row.reviewer_note,
        "job_id": row.job_id,
        "created_at": _iso(row.created_at),
        "decided_at": _iso(row.decided_at),
    }


JOB_COLUMNS = (
    "job_id",
    "ori",
    "realm",
    "state",
    "format",
    "total",
    "created",
    "requested",
    "rejected",
    "created_at",
    "finished_at",
)
JOB_STATES = ("received", "processing", "complete")


@dataclass(frozen=True)
class JobFilter:
    """A search of the jobs list: each field narrows it; None leaves it open."""

    ori: str | None = None  # an administrator's choice of agency
    realm: str | None = None
    state: str | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None  # that day included


def _jobs_query(agency_id: int | None, where: JobFilter) -> sa.Select[Any]:
    query = (
        sa.select(import_jobs, agencies.c.ori)
        .join(agencies, agencies.c.id == import_jobs.c.agency_id)
        .order_by(import_jobs.c.id.desc())
    )
    # the client's own agency: asked here, whatever the filter says
    if agency_id is not None:
        query = query.where(import_jobs.c.agency_id == agency_id)
    if where.ori:
        query = query.where(agencies.c.ori == where.ori)
    if where.realm:
        query = query.where(import_jobs.c.realm == where.realm)
    if where.state:
        query = query.where(import_jobs.c.state == where.state)
    if where.received_from is not None:
        start = dt.datetime.combine(where.received_from, dt.time(), tzinfo=dt.UTC)
        query = query.where(import_jobs.c.created_at >= start)
    if where.received_to is not None:
        day_after = where.received_to + dt.timedelta(days=1)
        query = query.where(
            import_jobs.c.created_at < dt.datetime.combine(day_after, dt.time(), tzinfo=dt.UTC)
        )
    return query


def _job_row(r: sa.Row[Any]) -> dict[str, Any]:
    return {
        "job_id": r.id,
        "ori": r.ori,
        "realm": r.realm,
        "state": r.state,
        "format": r.format,
        "total": r.total,
        "created": r.created,
        "requested": r.requested,
        "rejected": r.rejected,
        "created_at": _utc_iso(r.created_at),
        "finished_at": _utc_iso(r.finished_at),
    }


def agency_jobs(
    conn: sa.Connection, agency_id: int | None, where: JobFilter, *, limit: int, offset: int
) -> Page[dict[str, Any]]:
    """One page of an agency's jobs, newest first (None: of every agency, for an
    administrator), with the count of all that match."""
    return fetch_page(conn, _jobs_query(agency_id, where), limit=limit, offset=offset, row=_job_row)


def iter_agency_jobs(
    conn: sa.Connection, agency_id: int | None, where: JobFilter
) -> Iterator[dict[str, Any]]:
    """Every job of the search, for an export."""
    yield from stream(conn, _jobs_query(agency_id, where), _job_row)


def agency_job(engine: sa.Engine, agency_id: int | None, job_id: int) -> dict[str, Any] | None:
    """A job of the agency (None: any agency's) with each case's outcome, as the API shows it."""
    query = (
        sa.select(import_jobs.c.agency_id, import_jobs.c.realm, agencies.c.ori, agencies.c.name)
        .join(agencies, agencies.c.id == import_jobs.c.agency_id)
        .where(import_jobs.c.id == job_id)
    )
    if agency_id is not None:
        query = query.where(import_jobs.c.agency_id == agency_id)
    with engine.connect() as c:
        row = read_only(c).execute(query).first()
    if row is None:
        return None
    owner = Principal(row.agency_id, row.ori, row.name, row.realm, active=True)
    found = job_status(engine, owner, job_id)
    if found is not None:
        found["ori"] = row.ori
    return found

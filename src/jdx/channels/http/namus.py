"""NamUs case import over HTTP (seed 000): jobs, their results, cases and cancellation requests.

``POST /namus/v1/jobs`` answers 202 at once with the job id and its status URL (``Location``);
the job's cases are then processed by its durable workflow. The body is JSON
(``{"cases": [{"type": "missing", "record": {...}}]}``) or XML (``<ImportJob>`` holding one
``<MissingPersonCase>``, ``<UnidentifiedPersonCase>`` or ``<CancellationRequest>`` per case, the
roots of the ICD's XML Schemas), or the same job as a file (bulk upload): multipart ``file=`` or
the raw body, in JSON, XML, XLSX or CSV (``exchanges/cases/upload.py``).

Access (seed 000: "server-to-server (key and certificate) authentication"): the key of an
active, sponsored import account with the import permission AND a client certificate registered
to that account. nginx verifies the certificate (deploy/nginx/jdx.conf) and forwards it in
``X-SSL-Client-Cert`` (URL-escaped PEM) with ``X-SSL-Client-Verify: SUCCESS``; the hub reads
those headers only from the proxy (``app_peer.ProxyTrust``: the Unix socket ``uds``, or a
``trusted_proxies`` address with ``proxy_secret``).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from typing import Annotated, Any, Literal
from urllib.parse import unquote

import orjson
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from jdx.channels.downloads import list_download
from jdx.channels.http.app_peer import from_proxy, peer_of
from jdx.channels.http.common import (
    BodyError,
    Id,
    Limit,
    Offset,
    ProblemError,
    errors,
    problems_of,
    read_body,
    require_principal,
)
from jdx.channels.http.openapi import (
    LOCATION,
    OPAQUE,
    answer,
    answer_header,
    component,
    nullable,
    obj,
)
from jdx.channels.http.paging import (
    FILE_MEDIA,
    Format,
    list_answer,
    page_body,
    page_schema,
    wanted_file,
)
from jdx.codecs.xmlform import (
    XmlFormError,
    element_to_value,
    local_name,
    parse_xml,
    record_to_xml,
)
from jdx.dictionary.icd.jsonschema import json_schema
from jdx.dictionary.icd.sample import sample_record
from jdx.exchanges.cases import accounts, cancellation_mail, process, results
from jdx.exchanges.cases import workflow as case_jobs
from jdx.exchanges.cases.jobs import FAMILIES, CaseImport, JobRefused
from jdx.exchanges.cases.queues import CASE_COLUMNS
from jdx.exchanges.cases.review import CaseReview, ReviewError
from jdx.exchanges.cases.upload import JobFileError, read_job, refuse_nul
from jdx.hub import Hub
from jdx.security.actors import client_actor
from jdx.security.keys import Principal
from jdx.store.engine import read_only, write_transaction
from jdx.store.queries import audit, now


def multipart_file(body: bytes, content_type: str) -> tuple[str, bytes]:
    """(file name, content) of the ``file`` part of a multipart/form-data body.

    Read with the standard library's MIME parser from the body already bounded by the job's
    byte limit, so an upload is limited exactly like a job body."""
    from email.parser import BytesParser
    from email.policy import HTTP

    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ValueError("a multipart/form-data body without parts (no boundary?)")
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            content = part.get_payload(decode=True)
            return part.get_filename() or "", content if isinstance(content, bytes) else b""
    raise ValueError('a multipart upload needs the job file in a part named "file"')


def job_of_request(body: bytes, content_type: str) -> tuple[list[Any], str]:
    """(the job's items, its format) from a job body or an uploaded job file."""
    filename = ""
    if content_type.startswith("multipart/form-data"):
        filename, body = multipart_file(body, content_type)
        content_type = ""
    return read_job(body, filename=filename, content_type=content_type)


REVIEW_STATES = frozenset({"pending", "returned", "published", "closed"})
_STATES = f"({'|'.join(sorted(REVIEW_STATES))})"
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A key of the client's own (up to 200 characters) making a retry safe: the "
    "same key with the same body answers the job it first created (header "
    "Idempotent-Replayed: true); with another body it is refused (422).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}
CASE_OUTCOME = obj(
    {
        "seq": {"type": "integer"},
        "type": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    {"client_case_number": nullable("string"), "state": {"type": "string"}},
)
# A job's states as a type, so that FastAPI refuses (and documents) any other value; a test
# holds it equal to results.JOB_STATES.
JobStateName = Literal["received", "processing", "complete"]
JOB_ITEM = obj(
    {
        "job_id": {"type": "integer"},
        "ori": {"type": "string"},
        "realm": {"type": "string"},
        "state": {"type": "string", "enum": list(results.JOB_STATES)},
        "total": {"type": "integer"},
        "created": {"type": "integer"},
        "requested": {"type": "integer"},
        "rejected": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"},
    },
    {"format": nullable("string"), "finished_at": nullable("string", format="date-time")},
)
CANCELLATION = obj(
    {
        "id": {"type": "integer"},
        "case_number": nullable("string"),
        "state": {"type": "string"},
    },
    {"reason": nullable("string"), "reviewer_note": nullable("string")},
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Text without a NUL character, which no field of a case may hold (refuse_nul); any JSON value
# of a case's record, made of such texts.
WITHOUT_NUL = {"type": "string", "pattern": "^[^\\x00]*$"}
CASE_VALUE: dict[str, Any] = {
    "description": "A value of a case's record: no text or name in it holds a NUL character.",
    "anyOf": [
        WITHOUT_NUL,
        {"type": ["number", "boolean", "null"]},
        {"type": "array", "items": {"$ref": "#/components/schemas/CaseValue"}},
        {
            "type": "object",
            "propertyNames": WITHOUT_NUL,
            "additionalProperties": {"$ref": "#/components/schemas/CaseValue"},
        },
    ],
}


def _bodies(hub: Hub) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The documented request bodies: a job (the envelope, its XML and file forms), a case
    (JSON or XML), a cancellation request; each with the ICD's sample records."""
    dictionaries = {t: hub.validation.families[f].versions[-1][0] for t, f in FAMILIES.items()}
    samples = {t: sample_record(d) for t, d in dictionaries.items()}
    schemas = {t: json_schema(d) for t, d in dictionaries.items()}

    def xml(t: str) -> str:
        text = record_to_xml(dictionaries[t], samples[t]).decode()
        return text.split("?>", 1)[1].strip() if text.startswith("<?xml") else text

    envelope = {
        "type": "object",
        "required": ["cases"],
        "properties": {
            "cases": {
                "type": "array",
                "minItems": 1,
                "maxItems": hub.settings.namus_max_cases_per_job,
                "items": {
                    "type": "object",
                    "required": ["type", "record"],
                    "properties": {
                        "type": {"enum": list(FAMILIES)},
                        "record": {
                            "type": "object",
                            "description": "The case's fields: the case ICD's JSON Schema of "
                            "its type (`jdx icd cases`). A case with errors does not refuse "
                            "the job; its errors are in the job's status. No text or name in "
                            "it may hold a NUL character.",
                            "propertyNames": WITHOUT_NUL,
                            "additionalProperties": component("CaseValue", CASE_VALUE),
                        },
                    },
                },
            }
        },
    }
    job_example = {
        "cases": [{"type": t, "record": samples[t]} for t in ("missing", "unidentified")]
    }
    job_xml = "<ImportJob>" + xml("missing") + xml("unidentified") + "</ImportJob>"
    file_part = {"type": "string", "format": "binary", "description": "The job file."}
    job = {
        "requestBody": {
            "required": True,
            "description": "The job: JSON (the envelope), XML (<ImportJob> holding one "
            "<MissingPersonCase>, <UnidentifiedPersonCase> or <CancellationRequest> a case), "
            "or a job file (XLSX, CSV; JSON or XML too) as the body or a multipart `file`.",
            "content": {
                "application/json": {"schema": envelope, "example": job_example},
                "application/xml": {"schema": OPAQUE, "example": job_xml},
                "text/csv": {"schema": OPAQUE},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": file_part},
                    }
                },
            },
        }
    }
    case = {
        "requestBody": {
            "required": True,
            "description": "The case's whole record, replacing the stored one: JSON, or XML "
            "with the ICD's root element.",
            "content": {
                "application/json": {
                    "schema": {"anyOf": [schemas["missing"], schemas["unidentified"]]},
                    # by the case's type: a missing person's case (MP...), an unidentified one
                    "examples": {
                        t: {"summary": f"A case of type {t}", "value": samples[t]}
                        for t in ("missing", "unidentified")
                    },
                },
                "application/xml": {"schema": OPAQUE, "example": xml("missing")},
            },
        }
    }
    cancellation = {
        "requestBody": {
            "required": True,
            "description": "A cancellation request: the case ICD's cancellation record.",
            "content": {
                "application/json": {
                    "schema": schemas["cancellation"],
                    "example": samples["cancellation"],
                }
            },
        }
    }
    return job, case, cancellation


def parse_record(body: bytes, content_type: str) -> Any:
    """One case as JSON (the record itself) or XML (its ICD root element)."""
    if "xml" in content_type:
        root = parse_xml(body, max_depth=32)
        if local_name(root) not in ("MissingPersonCase", "UnidentifiedPersonCase"):
            raise ValueError("the XML root must be MissingPersonCase or UnidentifiedPersonCase")
        return element_to_value(root)
    try:
        record = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    refuse_nul(record)
    return record


CERT_HEADER = "x-ssl-client-cert"
VERIFY_HEADER = "x-ssl-client-verify"


def forwarded_certificate(request: Request) -> tuple[str | None, str]:
    """(the fingerprint of the client certificate the proxy verified, or None; why not)."""
    sent = request.headers.get(CERT_HEADER, "").strip()
    if not from_proxy(request):
        if sent:
            return None, (
                f"a client certificate header from {peer_of(request) or 'a Unix socket'}, "
                "which is not a trusted proxy, is ignored: connect through the TLS proxy"
            )
        return None, "no client certificate: connect through the TLS proxy with one"
    if not sent or sent in ("-", "(null)"):
        return None, "no client certificate: present the account's certificate in TLS"
    verify = request.headers.get(VERIFY_HEADER, "")
    if verify != "SUCCESS":
        return None, f"the client certificate was not verified by the proxy ({verify or 'NONE'})"
    try:
        return accounts.fingerprint(unquote(sent).encode()), ""
    except accounts.CertificateError as exc:
        return None, f"unreadable client certificate: {exc}"


def router(hub: Hub) -> APIRouter:
    api = APIRouter(prefix="/namus/v1", tags=["NamUs case import"])
    service = hub.service(CaseImport)
    review = hub.service(CaseReview)
    job_body, case_body, cancellation_body = _bodies(hub)

    def principal_of(request: Request) -> Principal:
        principal = require_principal(request, hub.keys.check, "account")
        with hub.engine.connect() as conn:
            account = accounts.get_account(read_only(conn), principal.agency_id)
        if account is None or not account.sponsor:
            raise HTTPException(403, f"Account {principal.ori} is not a sponsored import account.")
        if not account.can_import:
            raise HTTPException(403, f"Account {principal.ori} has no import permission.")
        if hub.settings.namus_require_client_cert:
            fp, why = forwarded_certificate(request)
            if fp is None:
                raise HTTPException(401, f"Client certificate missing: {why}.")
            with hub.engine.connect() as conn:
                owner = accounts.certificate_owner(read_only(conn), fp)
            if owner != principal.agency_id:
                raise HTTPException(
                    403,
                    f"Client certificate {fp} is not registered to account {principal.ori}.",
                )
        return principal

    async def read_job_request(
        request: Request, principal: Principal
    ) -> tuple[bytes, list[Any], str]:
        """The body (within the client's byte limit) and the job's items and format."""
        limits = await run_in_threadpool(service.limits, principal.agency_id)
        try:
            body = await read_body(request, limits.max_job_bytes)
        except BodyError as exc:
            if exc.too_large:
                raise HTTPException(
                    413, f"the job is larger than {limits.max_job_bytes:,} bytes"
                ) from None
            raise HTTPException(400, str(exc)) from None
        try:
            items, fmt = job_of_request(body, request.headers.get("content-type", ""))
        except ValueError as exc:  # JobFileError too: the message names the problem
            parts = exc.problems if isinstance(exc, JobFileError) else ()
            raise ProblemError(
                400,
                f"The job cannot be read: {exc}",
                kind="unreadable-body",
                problems=problems_of((f"body.{f}", m) for f, m in parts) or None,
            ) from None
        return body, items, fmt

    @api.post(
        "/jobs",
        status_code=202,
        operation_id="createCaseJob",
        summary="Import 1 to 100 cases as one job",
        description="Answers at once; the job's cases are then imported by its workflow, and "
        "`GET` of `status_url` tells each case's outcome. A case with errors does not refuse "
        "the job: its errors are in the job's status. Send an `Idempotency-Key` to retry "
        "safely: the same key with the same body answers the first job again.",
        openapi_extra={**job_body, "parameters": [IDEMPOTENCY_KEY]},
        responses={
            202: answer(
                "Accepted: the job's id and where its state is read.",
                obj(
                    {
                        "job_id": {"type": "integer"},
                        "status_url": {"type": "string"},
                        "replayed": {"type": "boolean"},
                    }
                ),
                {"job_id": 1, "status_url": "/namus/v1/jobs/1", "replayed": False},
                headers={
                    "Location": LOCATION,
                    "Idempotent-Replayed": answer_header(
                        "true: the Idempotency-Key named an earlier job, answered again.",
                        enum=["true"],
                    ),
                },
            ),
            **errors(400, 401, 403, 413, 422, 429),
        },
    )
    async def submit_job(request: Request) -> Response:
        received_at = now()
        principal = await run_in_threadpool(principal_of, request)
        body, items, fmt = await read_job_request(request, principal)
        key = request.headers.get("idempotency-key", "").strip()[:200] or None
        try:
            accepted = await run_in_threadpool(
                service.submit_job,
                principal,
                items,
                size=len(body),
                sha256=hashlib.sha256(body).hexdigest(),
                fmt=fmt,
                idempotency_key=key,
                channel="http",
                received_at=received_at,
            )
        except JobRefused as exc:
            headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
            raise HTTPException(exc.status, str(exc), headers=headers) from None
        location = f"/namus/v1/jobs/{accepted.job_id}"
        headers = {"Location": location}
        if accepted.replayed:
            headers["Idempotent-Replayed"] = "true"
        return JSONResponse(
            {"job_id": accepted.job_id, "status_url": location, "replayed": accepted.replayed},
            202,
            headers=headers,
            # Committed already: the queue is told once the answer is on its way.
            background=None
            if accepted.replayed
            else BackgroundTask(case_jobs.enqueue_after_answer, hub, accepted.job_id),
        )

    @api.post(
        "/jobs/validate",
        operation_id="validateCaseJob",
        summary="Check a job as it would be imported, storing nothing (testing and QA)",
        openapi_extra=job_body,
        responses={
            200: answer(
                "Each case's errors, as the import would find them; nothing is stored.",
                obj(
                    {
                        "total": {"type": "integer"},
                        "valid": {"type": "integer"},
                        "stored": {"const": False},
                        "cases": {"type": "array", "items": CASE_OUTCOME},
                    }
                ),
            ),
            **errors(400, 401, 403, 413, 429),
        },
    )
    async def validate_job(request: Request) -> dict[str, Any]:
        principal = await run_in_threadpool(principal_of, request)
        body, items, _ = await read_job_request(request, principal)
        try:
            return await run_in_threadpool(
                functools.partial(service.validate_job, principal, items, size=len(body))
            )
        except JobRefused as exc:
            raise HTTPException(exc.status, str(exc)) from None

    @api.api_route(
        "/jobs/validate",
        methods=["GET", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    def validate_job_other_methods() -> None:
        # Else /jobs/{job_id} takes GET /jobs/validate, and answers 404 for an id "validate".
        raise HTTPException(405, "Only POST checks a job.", headers={"Allow": "POST"})

    @api.get(
        "/jobs",
        operation_id="listCaseJobs",
        summary="The account's jobs in the key's realm, newest first, filtered and paged",
        description="Each job's state and counts; its cases' outcomes with "
        "`GET /namus/v1/jobs/{job_id}`. `total` counts every page; `next` is the next page's "
        "address, null on the last. With `format` (or `Accept: text/csv` or the XLSX media "
        "type) the whole filtered list comes as a file.",
        responses={
            200: answer(
                "One page of the account's jobs, with the total of every page.",
                page_schema(JOB_ITEM),
                more=FILE_MEDIA,
            ),
            **errors(401, 403, 422),
        },
    )
    def list_jobs(
        request: Request,
        state: Annotated[JobStateName | None, Query(description="Only jobs in this state.")] = None,
        received_from: Annotated[dt.date | None, Query(description="YYYY-MM-DD (UTC)")] = None,
        received_to: Annotated[dt.date | None, Query(description="YYYY-MM-DD (UTC)")] = None,
        limit: Limit = 100,
        offset: Offset = 0,
        format: Format = None,
    ) -> Response:
        principal = principal_of(request)
        # the key's agency and realm, whatever the filter says
        where = results.JobFilter(
            realm=principal.realm,
            state=state,
            received_from=received_from,
            received_to=received_to,
        )
        return list_answer(
            hub.engine, request, format, results.JOB_COLUMNS,
            f"jobs_{principal.ori}_{principal.realm}",
            lambda conn: results.agency_jobs(
                conn, principal.agency_id, where, limit=limit, offset=offset
            ),
            lambda conn: results.iter_agency_jobs(conn, principal.agency_id, where),
        )  # fmt: skip

    @api.get(
        "/jobs/{job_id}",
        operation_id="getCaseJob",
        summary="A job's state and the outcome of each of its cases",
        responses={
            200: answer(
                "The job: its state, counts and each case's outcome.",
                obj(
                    {
                        "job_id": {"type": "integer"},
                        "state": {"type": "string"},
                        "realm": {"type": "string"},
                        "format": nullable("string"),
                        "total": {"type": "integer"},
                        "cases": {"type": "array", "items": CASE_OUTCOME},
                    }
                ),
            ),
            **errors(401, 403, 404),
        },
    )
    def job(request: Request, job_id: Id) -> dict[str, Any]:
        principal = principal_of(request)
        status = results.job_status(hub.engine, principal, job_id)
        if status is None:
            raise HTTPException(404, f"no job {job_id} of account {principal.ori}")
        return status

    @api.get(
        "/cases",
        operation_id="listCases",
        summary="The account's cases (entered or contributed), oldest first, paged",
        description="Summaries (no record): read one with `GET /namus/v1/cases/{case_number}`. "
        "`total` counts every page; `next` is the next page's address, null on the last. "
        "With `format` (or `Accept: text/csv` or the XLSX media type) the whole filtered list "
        "comes as a file.",
        responses={
            200: answer(
                "One page of the account's cases, with the total of every page.",
                page_schema({"type": "object"}, items="cases"),
                more=FILE_MEDIA,
            ),
            **errors(400, 401, 403, 422),
        },
    )
    def list_cases(
        request: Request,
        state: str | None = Query(
            None,
            description="Review states, comma-separated: " + ", ".join(sorted(REVIEW_STATES)) + ".",
            json_schema_extra={"pattern": f"^{_STATES}(,{_STATES})*$"},
        ),
        limit: Limit = 100,
        offset: Offset = 0,
        format: Format = None,
    ) -> Any:
        principal = principal_of(request)
        states = tuple(s.strip() for s in state.split(",")) if state else None
        if states and not set(states) <= REVIEW_STATES:
            raise HTTPException(
                400, f"state must be one or more of {', '.join(sorted(REVIEW_STATES))}"
            )
        actor = client_actor(principal)
        fmt = wanted_file(request, format)
        if fmt is not None:
            rows = review.export_cases(actor, review_states=states, channel="http")
            return list_download(fmt, CASE_COLUMNS, rows, f"cases_{principal.ori}")
        found = review.list_cases(
            actor, review_states=states, limit=limit, offset=offset, channel="http"
        )
        # "cases", as the answer has always named its items (clients read it)
        return page_body(request, found, items="cases")

    @api.get(
        "/cases/{case_number}",
        operation_id="getCase",
        summary="One of the account's cases, its review, history",
        responses={
            200: answer("The case, its review and history.", {"type": "object"}),
            **errors(400, 401, 403, 404),
        },
    )
    def case(request: Request, case_number: str) -> dict[str, Any]:
        principal = principal_of(request)
        try:
            return review.case(client_actor(principal), case_number, channel="http")
        except ReviewError as exc:
            raise HTTPException(exc.status, f"{exc.message} of account {principal.ori}") from None

    @api.put(
        "/cases/{case_number}",
        operation_id="updateCase",
        summary="Edit a case before publication (JSON or XML)",
        openapi_extra=case_body,
        responses={
            200: answer(
                "Changed: the fields that changed.",
                obj(
                    {
                        "case_number": {"type": "string"},
                        "changed": {"type": "array", "items": {"type": "string"}},
                        "errors": {"type": "array", "maxItems": 0},
                    }
                ),
            ),
            **errors(400, 401, 403, 404, 409, 413, 422),
        },
    )
    async def edit_case(request: Request, case_number: str) -> Response:
        principal = await run_in_threadpool(principal_of, request)
        limits = await run_in_threadpool(service.limits, principal.agency_id)
        try:
            body = await read_body(request, limits.max_job_bytes)
            record = parse_record(body, request.headers.get("content-type", ""))
        except BodyError as exc:
            raise HTTPException(413 if exc.too_large else 400, str(exc)) from None
        except (ValueError, XmlFormError) as exc:
            raise HTTPException(400, str(exc)) from None
        try:
            outcome = await run_in_threadpool(
                review.edit_case, client_actor(principal), case_number, record, channel="http"
            )
        except ReviewError as exc:
            raise HTTPException(exc.status, exc.message) from None
        if outcome["errors"]:
            raise ProblemError(
                422,
                f"Case {case_number} is not changed: the record has "
                f"{len(outcome['errors'])} error(s), listed in errors.",
                kind="record-errors",
                case_number=outcome["case_number"],
                errors=outcome["errors"],
            )
        return JSONResponse(outcome)

    @api.post(
        "/cancellations",
        status_code=201,
        operation_id="requestCancellation",
        summary="Ask to cancel or resolve an own case",
        openapi_extra=cancellation_body,
        responses={
            201: answer(
                "Requested: the request, to be reviewed.",
                CANCELLATION,
                headers={"Location": LOCATION},
            ),
            **errors(400, 401, 403, 404, 413),
        },
    )
    async def cancel(request: Request) -> Response:
        principal = await run_in_threadpool(principal_of, request)
        try:
            record = orjson.loads(await read_body(request, hub.settings.max_body_bytes))
        except BodyError as exc:
            raise HTTPException(413 if exc.too_large else 400, str(exc)) from None
        except orjson.JSONDecodeError as exc:
            raise HTTPException(400, f"not JSON: {exc}") from None
        try:
            refuse_nul(record)
        except JobFileError as exc:
            raise HTTPException(400, str(exc)) from None
        return await run_in_threadpool(_cancel, principal, record)

    def _cancel(principal: Principal, record: Any) -> Response:
        checked = service.check("cancellation", record)
        if checked.errors:
            raise ProblemError(
                400,
                f"The cancellation request has {len(checked.errors)} error(s), listed in errors.",
                kind="record-errors",
                errors=checked.errors,
            )
        with write_transaction(hub.engine) as conn:
            outcome = process.request_cancellation(
                conn, principal.agency_id, principal.realm, checked.record
            )
            if not isinstance(outcome, list):
                cancellation_mail.request_mails(conn, outcome[1], hub.settings.public_url)
            audit(
                conn,
                exchange="cases",
                realm=principal.realm,
                actor=principal.ori,
                ori=principal.ori,
                channel="http",
                action="cancel",
                subject=str(record.get("idFormatted") or record.get("caseNumber"))[:100],
                outcome="refused" if isinstance(outcome, list) else "requested",
            )
        if isinstance(outcome, list):
            # Another agency's case is answered as a missing one: no one learns whose it is.
            raise ProblemError(
                404,
                "The case to cancel is not one of the account's cases: see errors.",
                kind="record-errors",
                errors=outcome,
            )
        request_id = outcome[1]
        body = results.own_cancellation(hub.engine, principal, request_id)
        return JSONResponse(
            body, 201, headers={"Location": f"/namus/v1/cancellations/{request_id}"}
        )

    @api.get(
        "/cancellations/{request_id}",
        operation_id="getCancellation",
        summary="A cancellation request and its review",
        responses={
            200: answer("The request and its review.", CANCELLATION),
            **errors(401, 403, 404),
        },
    )
    def cancellation(request: Request, request_id: Id) -> dict[str, Any]:
        principal = principal_of(request)
        found = results.own_cancellation(hub.engine, principal, request_id)
        if found is None:
            raise HTTPException(404, f"no cancellation request {request_id} of {principal.ori}")
        return found

    return api

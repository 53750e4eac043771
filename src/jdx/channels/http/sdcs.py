"""The Submit Stop Data Web Service (seed 001, section 2) over HTTP.

POST a new record, PUT an update, in JSON or XML; the response carries the seed's Table 6 headers
and a body in the request's format listing every error. Status codes follow Table 7, with one
deliberate change recorded in docs/conformance.md: a record stored "Submitted with Errors" is
answered 202 (not 304, which cannot carry the error list a client needs).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from jdx.channels.http.common import WWW_AUTHENTICATE, BodyError, bearer_key, read_body
from jdx.channels.http.grouping import Grouper
from jdx.channels.http.openapi import OPAQUE, answer, answer_header, component, nullable, obj
from jdx.codecs.xmlform import XmlFormError, record_from_xml, record_to_xml, to_xml
from jdx.dictionary import Issue
from jdx.dictionary.icd.jsonschema import json_schema
from jdx.dictionary.icd.sample import sample_record
from jdx.exchanges.stops import errors as E
from jdx.exchanges.stops.errors import fatal, suspended
from jdx.exchanges.stops.records import (
    STATUS_ERRORS,
    CoreAttributes,
    Disposition,
    Op,
    Submission,
    SubmissionResult,
)
from jdx.exchanges.stops.service import StopService
from jdx.hub import Hub
from jdx.security.keys import Principal
from jdx.store.queries import audit

log = logging.getLogger("jdx.sdcs")

JSON, XML = "JSON", "XML"
# The stop web service's paths: every answer under them is Table 6's, errors included.
STOPS = "/sdcs/v1/stops"
XML_TYPES = ("application/xml", "text/xml")
# Fatal codes and the status each answers with (Table 7); any other fatal error is a 400.
STATUS_OF_FATAL = {
    E.UNAUTHORIZED.code: 401,
    E.INVALID_ORI.code: 401,
    E.FOREIGN_ORI.code: 403,
    E.DUPLICATE_RECORD_ID.code: 409,
    E.DUPLICATE_STOP.code: 409,
    E.RECORD_MATCHING.code: 404,
    E.UPDATE_SUBMITTED.code: 405,
    E.TOO_LARGE.code: 413,
    E.UNSUPPORTED_MEDIA.code: 415,
    E.INVALID_VERB.code: 404,
    E.SYSTEM_ERROR.code: 500,
}
# Table 5 request headers that must agree with the record, and where the record keeps each.
HEADER_FIELDS = {
    "ORI": "ori",
    "LEARecordID": "lea_record_id",
    "OfficerUID": "officer_uid",
    "StopDate": "stop_date",
    "StopTime": "stop_time",
}
CALLING_APPLICATIONS = ("RMSWS", "LEAFTP")
# The record's LEA record ID in a URL (the sample's for the example).
LeaRecordId = Annotated[
    str,
    Path(
        description="The record's LEA record ID, as in the record.",
        openapi_examples={"sample": {"summary": "The ICD's sample", "value": "24-0001234"}},
    ),
]
# The transaction type a record must carry for each verb (a core check: DV239).
TX_TYPES = {Op.INSERT: "I", Op.UPDATE: "U"}
# The Status of a validation's answer (POST /stops/validate): nothing was stored; what a POST
# of the record would get is in WouldBeStatus (and the header SDCS-Would-Be-Status).
VALIDATED_ONLY = "Validated, not stored"
# The domain tables (empty in the hub) whose checks an answer's record skipped.
SKIPPED_HEADER = "SDCS-Skipped-Checks"
# Threads storing groups: the process's group, and the agencies whose part of a failed group
# is stored on its own.
STORE_THREADS = 16
# The key of the group that every request of a process joins (``grouping.py``): on SQLite all
# writes go one at a time anyway; on PostgreSQL several agencies' requests share a transaction.
GROUP_KEY = ("all",)


@dataclass
class Answer:
    """Everything a response needs, whatever its format."""

    status_code: int
    status: str | None
    issues: list[Issue]
    core: CoreAttributes
    doj_record_id: int | None = None
    record: dict[str, Any] | None = None
    # False for a validation only: the answer is what a POST would get, and says so.
    stored: bool = True


class SdcsRouter(APIRouter):
    """The routes, and their submit handler for :class:`FastPaths`."""

    submit: Callable[[Request, Op, str | None], Awaitable[Response]]


def router(hub: Hub) -> SdcsRouter:
    api = SdcsRouter(prefix="/sdcs/v1", tags=["Stop data (AB 953)"])
    service = hub.service(StopService)
    openapi = _openapi_body(hub, Op.INSERT)

    @api.post(
        "/stops",
        operation_id="submitStop",
        summary="Submit a new stop record (LEA_New_Stop Collection_Data)",
        openapi_extra=openapi,
        responses=_RESPONSES,
    )
    async def post_stop(request: Request) -> Response:
        return await _submit(request, Op.INSERT, None)

    @api.post(
        "/stops/validate",
        operation_id="validateStop",
        summary="Validate a stop record without storing it",
        description="Runs every check a POST runs and answers with the HTTP status and messages "
        "a POST of the record would get, storing nothing: `Status` (and the `SDCS-Status` "
        f"header) is `{VALIDATED_ONLY}`, and `WouldBeStatus` (header `SDCS-Would-Be-Status`) "
        "the status the record would be stored with, or `Rejected`.",
        openapi_extra=openapi,
        responses=_RESPONSES,
    )
    async def validate_stop(request: Request) -> Response:
        return await _submit(request, Op.INSERT, None, dry_run=True)

    @api.put(
        "/stops/{lea_record_id}",
        operation_id="updateStop",
        summary="Update a record submitted with errors (LEA_Updated_Stop Collection_Data)",
        openapi_extra=_openapi_body(hub, Op.UPDATE),
        responses=_RESPONSES,
    )
    async def put_stop(request: Request, lea_record_id: LeaRecordId) -> Response:
        return await _submit(request, Op.UPDATE, lea_record_id)

    @api.get(
        "/stops/{lea_record_id}",
        operation_id="getStop",
        summary="Read one of the agency's own stop records",
        description="The stored record (`Record`), its status and messages, in Table 6's shape; "
        "XML when `Accept` asks for XML only.",
        responses=_READ_RESPONSES,
    )
    async def get_stop(request: Request, lea_record_id: LeaRecordId) -> Response:
        fmt = XML if _accepts_xml(request) else JSON
        return await run_in_threadpool(_read, request, lea_record_id, fmt)

    @api.api_route("/stops", methods=["DELETE", "PATCH", "PUT"], include_in_schema=False)
    @api.api_route(
        "/stops/{lea_record_id}", methods=["DELETE", "PATCH", "POST"], include_in_schema=False
    )
    async def invalid_verb(request: Request) -> Response:
        issue = fatal(E.INVALID_VERB, verb=request.method)
        return _respond(request, Answer(404, None, [issue], CoreAttributes.of(None)), JSON)

    async def _submit(
        request: Request, op: Op, url_id: str | None, dry_run: bool = False
    ) -> Response:
        """One submission. CPU work (parsing, checks, validation) runs here on the event loop;
        queries run in threads: the store's writes in groups (``grouping.py``), anything else
        only when needed (a key not checked lately, the domain tables due for a check)."""
        fmt = _format(request)
        try:
            body = await read_body(request, hub.settings.max_body_bytes)
        except BodyError as exc:
            issue = (
                fatal(E.TOO_LARGE, limit=hub.settings.max_body_bytes)
                if exc.too_large
                else fatal(E.BODY_INVALID, detail=str(exc))
            )
            return _respond(request, _rejected([issue], None), fmt or JSON)
        key = bearer_key(request)
        principal = hub.keys.cached(key) if key is not None and not hub.domains_due() else None
        if principal is None:
            principal = await run_in_threadpool(_principal_of, key)
        if principal is None:
            return await run_in_threadpool(_unauthorized, request, fmt or JSON, op)
        if fmt is None:
            content_type = request.headers.get("content-type", "")
            return _respond(
                request,
                _rejected([fatal(E.UNSUPPORTED_MEDIA, content_type=content_type)], None),
                JSON,
            )
        record, problem = _parse(body, fmt)
        if problem is not None:
            await run_in_threadpool(_audit_refusal, principal, op, [problem])
            return _respond(request, _rejected([problem], None), fmt)
        if not principal.active:
            return _respond(request, _rejected([suspended(principal.ori)], record), fmt)
        header_issues = _check_headers(request, record, url_id, hub.settings.sdcs_strict_headers)
        if dry_run:
            result = await run_in_threadpool(service.would_be, principal, record, op)
            result.outcome.issues[:0] = header_issues
            return _skipped(_respond(request, _answer(result, dry_run=True), fmt))
        calling_app = request.headers.get("CallingApplication")
        data = service.check_data(record)
        data.issues[:0] = header_issues
        # No user reads a bulk process's answers: its errors also go to OUTPUT and mail.
        bulk = (calling_app or "").strip().upper() in bulk_apps
        item = Submission(principal, record, op, data, calling_app, bulk)
        result = await grouper.submit(GROUP_KEY, item)
        log.info(
            "%s %s %s %s -> %s %s",
            principal.ori,
            principal.realm,
            op.name,
            result.core.lea_record_id,
            result.status or "rejected",
            ",".join(result.outcome.codes),
        )
        return _skipped(_respond(request, _answer(result), fmt))

    def _skipped(response: Response) -> Response:
        """A record validated while domain tables are empty: the answer names the tables whose
        checks were skipped (docs/conformance.md, seed 001 decision 19)."""
        empty = hub.validation.missing_domains("stop")
        if empty:
            response.headers[SKIPPED_HEADER] = ", ".join(empty)
        return response

    def _principal_of(key: str | None) -> Principal | None:
        hub.refresh_domains()
        return None if key is None else hub.keys.principal(key)

    def _store_one(item: Submission) -> SubmissionResult:
        return service.submit_stop(
            item.principal,
            item.record,
            item.op,
            channel="http",
            calling_app=item.calling_app,
            bulk=item.bulk,
            data=item.data,
        )

    bulk_apps = {a.upper() for a in hub.settings.bulk_calling_apps}
    # Every request of this process may share a group, which waits for an agency's lock only
    # briefly; a group that fails is split by agency, each part in a queue of the agency's own,
    # which waits for its lock as long as it is busy elsewhere (``StopService.submit_stops``).
    grouper: Grouper[Submission, SubmissionResult] = Grouper(
        lambda items: service.submit_stops(items, channel="http", brief_lock_wait=True),
        _store_one,
        ThreadPoolExecutor(STORE_THREADS, thread_name_prefix="jdx-sdcs-store"),
        split_key=lambda item: service.serial_key(item.principal),
        run_split_group=lambda items: service.submit_stops(items, channel="http"),
    )
    api.submit = _submit

    def _read(request: Request, lea_record_id: str, fmt: str) -> Response:
        principal = _authenticate(request)
        if principal is None:
            return _unauthorized(request, fmt, None)
        if not principal.active:  # reads too: a suspended agency sees nothing (standing.py)
            return _respond(request, _rejected([suspended(principal.ori)], None), fmt)
        stored = service.get_stop(principal, lea_record_id, channel="http")
        if stored is None:
            issue = fatal(E.NO_SUCH_STOP, "LEARecordID", lea_id=lea_record_id, ori=principal.ori)
            return _respond(request, Answer(404, None, [issue], CoreAttributes.of(None)), fmt)
        issues = [
            Issue(i["code"], i["severity"], i["field"], i["message"], i.get("person"))
            for i in stored.issues
        ]
        return _respond(
            request,
            Answer(
                200,
                stored.status,
                issues,
                CoreAttributes.of(stored.record),
                stored.doj_record_id,
                record=stored.record,
            ),
            fmt,
        )

    def _authenticate(request: Request) -> Principal | None:
        key = bearer_key(request)
        if key is None:
            return None
        return hub.keys.principal(key)

    def _unauthorized(request: Request, fmt: str, op: Op | None) -> Response:
        detail = (
            "Send the agency's API key as 'Authorization: Bearer <key>'."
            if bearer_key(request) is None
            else "The API key is not valid."
        )
        with hub.engine.begin() as conn:
            audit(
                conn,
                exchange="stops",
                actor="anonymous",
                channel="http",
                action="read" if op is None else ("update" if op is Op.UPDATE else "submit"),
                ori=None,
                outcome="unauthorized",
                codes=[E.UNAUTHORIZED.code],
                detail={"client": request.client.host if request.client else None},
            )
        response = _respond(request, _rejected([fatal(E.UNAUTHORIZED, detail=detail)], None), fmt)
        response.headers["WWW-Authenticate"] = 'Bearer realm="jdx"'
        return response

    def _audit_refusal(principal: Principal, op: Op, issues: list[Issue]) -> None:
        with hub.engine.begin() as conn:
            audit(
                conn,
                exchange="stops",
                realm=principal.realm,
                actor=principal.ori,
                ori=principal.ori,
                channel="http",
                action="update" if op is Op.UPDATE else "submit",
                outcome="rejected",
                codes=[i.code for i in issues],
            )

    return api


# --- request reading --------------------------------------------------------------------------


def _format(request: Request) -> str | None:
    """JSON or XML from Content-Type, or from the ResourceType header when there is none."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/json", "text/json") or content_type.endswith("+json"):
        return JSON
    if content_type in XML_TYPES or content_type.endswith("+xml"):
        return XML
    if not content_type:
        resource = request.headers.get("ResourceType", "").strip().upper()
        return resource if resource in (JSON, XML) else JSON
    return None


def _accepts_xml(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return any(t in accept for t in XML_TYPES) and "json" not in accept


def _parse(body: bytes, fmt: str) -> tuple[Any, Issue | None]:
    if not body.strip():
        return None, fatal(
            E.BODY_INVALID, detail="The request body is empty; send the stop record as JSON or XML."
        )
    if fmt == JSON:
        try:
            return orjson.loads(body), None
        except orjson.JSONDecodeError as exc:
            return None, fatal(E.BODY_INVALID, detail=f"The body is not valid JSON: {exc}.")
    try:
        root, record = record_from_xml(body)
    except XmlFormError as exc:
        return None, fatal(E.BODY_INVALID, detail=f"The body is not acceptable XML: {exc}.")
    if root != "Stop":
        return None, fatal(E.BODY_INVALID, detail=f"The root element must be <Stop>, not <{root}>.")
    return (record if isinstance(record, dict) else {}), None


def _check_headers(request: Request, record: Any, url_id: str | None, strict: bool) -> list[Issue]:
    """Table 5 headers must agree with the record; in strict mode they must also be sent."""
    core = CoreAttributes.of(record)
    issues: list[Issue] = []
    for header, attr in HEADER_FIELDS.items():
        sent = request.headers.get(header)
        value = getattr(core, attr)
        if sent is None:
            if strict:
                issues.append(fatal(E.MISSING_HEADER, header=header, header_value=None))
            continue
        if value is not None and sent.strip() != value:
            issues.append(
                fatal(E.HEADER_MISMATCH, header, header=header, header_value=sent, body_value=value)
            )
    if url_id is not None and core.lea_record_id is not None and url_id != core.lea_record_id:
        issues.append(
            fatal(
                E.HEADER_MISMATCH,
                "LEARecordID",
                header="URL path",
                header_value=url_id,
                body_value=core.lea_record_id,
            )
        )
    calling = request.headers.get("CallingApplication")
    if calling is not None and calling.strip().upper() not in CALLING_APPLICATIONS:
        issues.append(
            Issue(
                E.HEADER_MISMATCH.code,
                "fatal",
                "CallingApplication",
                f"CallingApplication must be RMSWS or LEAFTP, not {calling!r}.",
            )
        )
    elif calling is None and strict:
        issues.append(fatal(E.MISSING_HEADER, header="CallingApplication"))
    for header in ("BrowserType", "ResourceType"):
        if strict and request.headers.get(header) is None:
            issues.append(fatal(E.MISSING_HEADER, header=header))
    return issues


# --- responses --------------------------------------------------------------------------------


def _rejected(issues: list[Issue], record: Any) -> Answer:
    return Answer(_status_code_of(issues), None, issues, CoreAttributes.of(record))


def _status_code_of(issues: list[Issue]) -> int:
    codes = [STATUS_OF_FATAL.get(i.code, 400) for i in issues if i.severity == "fatal"]
    # The most specific answer wins: authentication, then conflicts and matching, then 400.
    for preferred in (500, 401, 403, 413, 415, 409, 405, 404):
        if preferred in codes:
            return preferred
    return 400


def _answer(result: SubmissionResult, *, dry_run: bool = False) -> Answer:
    issues = result.outcome.issues
    if result.disposition is Disposition.REJECTED:
        return Answer(_status_code_of(issues), None, issues, result.core, stored=not dry_run)
    code = 202 if result.status == STATUS_ERRORS else 200
    if dry_run:
        return Answer(code, result.status, issues, result.core, stored=False)
    return Answer(code, result.status, issues, result.core, result.doj_record_id)


def _respond(request: Request, answer: Answer, fmt: str) -> Response:
    core = answer.core
    status = answer.status or "Rejected"
    body: dict[str, Any] = {
        "Status": status if answer.stored else VALIDATED_ONLY,
        "ORI": core.ori,
        "LEARecordID": core.lea_record_id,
        "DOJRecordID": str(answer.doj_record_id) if answer.doj_record_id else None,
        "OfficerUID": core.officer_uid,
        "StopDate": core.stop_date,
        "StopTime": core.stop_time,
        "Messages": [
            {
                "Code": i.code,
                "Severity": i.severity.upper(),
                "Field": i.field,
                "PersonNumber": i.person,
                "Message": i.message,
            }
            for i in answer.issues
        ],
    }
    if not answer.stored:
        body["WouldBeStatus"] = status
    if answer.record is not None:
        body["Record"] = answer.record
    headers = {
        name: value
        for name, value in (
            ("ORI", core.ori),
            ("LEARecordID", core.lea_record_id),
            ("DOJRecordID", body["DOJRecordID"]),
            ("OfficerUID", core.officer_uid),
            ("StopDate", core.stop_date),
            ("StopTime", core.stop_time),
            ("ResourceType", fmt),
            ("BrowserType", request.headers.get("BrowserType")),
            ("SDCS-Status", body["Status"]),
            ("SDCS-Would-Be-Status", body.get("WouldBeStatus")),
        )
        if value is not None and value.isprintable() and value.isascii()
    }
    if answer.status_code == 405:
        headers["Allow"] = "GET"
    if fmt == XML:
        content = to_xml("StopResponse", {**body, "Messages": {"Message": body["Messages"]}})
        return Response(content, answer.status_code, headers, media_type="application/xml")
    return Response(orjson.dumps(body), answer.status_code, headers, media_type="application/json")


def system_error(request: Request) -> Response:
    """A 500 with a reference the operator finds in the log; never a stack trace."""
    ref = uuid.uuid4().hex[:12]
    log.exception("unexpected error, reference %s", ref)
    fmt = _format(request) or JSON
    return _respond(request, _rejected([fatal(E.SYSTEM_ERROR, ref=ref)], None), fmt)


def _answer_doc(description: str, example: dict[str, Any] | None = None) -> dict[str, Any]:
    """A documented status of the web service: Table 6's body, JSON or XML, and its headers."""
    return answer(
        description,
        component("StopAnswer", STOP_ANSWER),
        example,
        headers=TABLE_6_HEADERS,
        more={"application/xml": {"schema": {"type": "string", "xml": {"name": "StopResponse"}}}},
    )


def _example(status: str, *messages: tuple[str, str, str | None, str]) -> dict[str, Any]:
    return {
        "Status": status,
        "ORI": "CA0370000",
        "LEARecordID": "24-0001234",
        "DOJRecordID": "1" if status in ("Successful Submission", STATUS_ERRORS) else None,
        "OfficerUID": "A12345678",
        "StopDate": "03/15/2024",
        "StopTime": "14:32:00",
        "Messages": [
            {"Code": c, "Severity": sev, "Field": f, "PersonNumber": None, "Message": m}
            for c, sev, f, m in messages
        ],
    }


# Table 6's response headers; a value the record does not have (or that is not printable
# ASCII) is left out, so only ResourceType and SDCS-Status are always there.
TABLE_6_HEADERS: dict[str, dict[str, Any]] = {
    "ORI": answer_header("The record's ORI (Table 6)."),
    "LEARecordID": answer_header("The record's LEA record ID (Table 6)."),
    "DOJRecordID": answer_header(
        "The hub's id of the stored record (Table 6); none when not stored."
    ),
    "OfficerUID": answer_header("The officer's UID (Table 6)."),
    "StopDate": answer_header("The stop's date (Table 6)."),
    "StopTime": answer_header("The stop's time (Table 6)."),
    "ResourceType": answer_header("The body's format (Table 6).", required=True, enum=[JSON, XML]),
    "BrowserType": answer_header("The request's BrowserType, echoed (Table 6)."),
    "SDCS-Status": answer_header("The body's Status.", required=True),
    "SDCS-Would-Be-Status": answer_header("Validation only: the status a POST would get."),
    SKIPPED_HEADER: answer_header("The empty domain tables whose checks the record skipped."),
}
_MESSAGE = obj(
    {
        "Code": {"type": "string", "description": "The error catalogue's code."},
        "Severity": {"type": "string", "enum": ["FATAL", "ERROR", "WARNING"]},
        "Field": nullable("string"),
        "PersonNumber": {"description": "The person (PID) the message is about, if one."},
        "Message": {"type": "string"},
    }
)
# Table 6's body: the core attributes, the status and every message.
STOP_ANSWER: dict[str, Any] = {
    **obj(
        {
            "Status": {"type": "string"},
            "ORI": nullable("string"),
            "LEARecordID": nullable("string"),
            "DOJRecordID": nullable("string"),
            "OfficerUID": nullable("string"),
            "StopDate": nullable("string"),
            "StopTime": nullable("string"),
            "Messages": {"type": "array", "items": _MESSAGE},
        },
        {
            "WouldBeStatus": {
                "type": "string",
                "description": "Validation only: the status a POST of the record would get.",
            },
            "Record": {"type": "object", "description": "GET: the stored record."},
        },
    ),
    "title": "StopAnswer",
    "description": "The web service's answer (seed 001, Table 6), whatever the status; as XML "
    "the same fields under <StopResponse>, each message a <Message> of <Messages>.",
}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: _answer_doc(
        "Stored: Successful Submission (or NFIA on an update).",
        _example("Successful Submission"),
    ),
    202: _answer_doc(
        "Stored with errors: 'Submitted with Errors'. The body lists the errors; "
        "correct them and PUT the record.",
        _example(STATUS_ERRORS, ("DV040", "ERROR", "Location", "Location is required.")),
    ),
    400: _answer_doc(
        "Not stored: body missing or invalid, header disagrees with body, or a "
        "core attribute (LEA record ID, officer UID, stop date, stop time) is invalid.",
        _example("Rejected", ("WS001", "FATAL", None, "The request body is empty.")),
    ),
    401: {
        **_answer_doc("Missing or invalid API key, or an ORI that is not in the ORI table."),
        "headers": {**TABLE_6_HEADERS, **WWW_AUTHENTICATE},
    },
    403: _answer_doc("The key's agency may not submit for this ORI, or is suspended."),
    404: _answer_doc("PUT: no such record to update."),
    405: {
        **_answer_doc("PUT on a record in status Successful Submission or NFIA."),
        "headers": {**TABLE_6_HEADERS, "Allow": answer_header("GET", required=True)},
    },
    409: _answer_doc(
        "POST of a duplicate (same ORI and LEA record ID, or same ORI, officer, date and time)."
    ),
    413: _answer_doc("Body larger than the configured limit."),
    415: _answer_doc("Content-Type other than JSON or XML."),
    500: _answer_doc("Unexpected error; the body gives a reference for support."),
}


_READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: _answer_doc(
        "The record, with its status and messages.",
        {**_example("Successful Submission"), "Record": {"LEARecordID": "24-0001234"}},
    ),
    401: _RESPONSES[401],
    403: _RESPONSES[403],
    404: _answer_doc("No record of the agency with this LEA record ID."),
}


def _openapi_body(hub: Hub, op: Op) -> dict[str, Any]:
    """The request's documentation: the record (the newest stop dictionary's JSON Schema, the
    same record as XML) with the ICD's sample (its TX_Type the verb's: I for a POST, U for a
    PUT), and Table 5's request headers."""
    dictionaries = hub.validation.families["stop"].versions
    newest = dictionaries[-1][0]
    sample = {**sample_record(newest), "TX_Type": TX_TYPES[op]}
    strict = hub.settings.sdcs_strict_headers
    must = (
        " Required: the hub runs with sdcs_strict_headers."
        if strict
        else (
            " Optional here (sdcs_strict_headers is off); when sent, it must agree with the record."
        )
    )
    table_5 = [
        ("ORI", "The record's ORI.", {"type": "string"}),
        ("LEARecordID", "The record's LEA record ID.", {"type": "string"}),
        ("OfficerUID", "The officer's UID.", {"type": "string"}),
        ("StopDate", "The stop's date, as in the record.", {"type": "string"}),
        ("StopTime", "The stop's time, as in the record.", {"type": "string"}),
        ("BrowserType", "Chrome, Edge, Safari, Firefox...", {"type": "string"}),
        ("ResourceType", "The body's format when Content-Type is absent.", {"enum": [JSON, XML]}),
        (
            "CallingApplication",
            "RMSWS (a records system) or LEAFTP (bulk: errors also go to OUTPUT and mail).",
            {"enum": list(CALLING_APPLICATIONS)},
        ),
    ]
    parameters = [
        {
            "name": name,
            "in": "header",
            "required": strict,
            "description": f"Table 5: {text}{must}",
            "schema": schema,
        }
        for name, text, schema in table_5
    ]
    parameters.append(
        {
            "name": "DOJRecordID",
            "in": "header",
            "required": False,
            "description": "Table 5: the hub's id of the record (not checked).",
            "schema": {"type": "string"},
        }
    )
    return {
        "parameters": parameters,
        "requestBody": {
            "required": True,
            "description": "One stop record (Attachment B as JSON, Attachment A as XML). "
            "Records of earlier eras follow their own dictionary: "
            + ", ".join(f"/sdcs/v1/icd/{d.id}.schema.json" for d, *_ in dictionaries)
            + ".",
            "content": {
                "application/json": {"schema": json_schema(newest), "example": sample},
                "application/xml": {
                    "schema": {
                        **OPAQUE,
                        "description": f"The same record as XML, root <Stop>: the XML Schema "
                        f"is /sdcs/v1/icd/{newest.id}.xsd",
                    },
                    "example": record_to_xml(newest, sample).decode(),
                },
            },
        },
    }

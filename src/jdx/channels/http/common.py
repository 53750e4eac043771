"""Small pieces every HTTP route uses: bounded body reading, credentials from headers, the
bounded id and paging parameters, and the one error format of the API routes, RFC 9457's
problem document (``application/problem+json``), with the OpenAPI answers that document it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Annotated, Any

import orjson
from fastapi import Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from jdx.security.keys import Principal
from jdx.security.standing import message as suspended_message
from jdx.store.tables import MAX_ID, MAX_SMALL_ID

# The most rows one page of a listing holds.
MAX_LIMIT = 1000

# A row id in a URL path. Out of range (below 1, above MAX_ID) or not an integer, it can name no
# row: the app answers 404 naming the parameter (``app.invalid_request``), before any query.
Id = Annotated[int, Path(ge=1, le=MAX_ID, description=f"An id: an integer from 1 to {MAX_ID}.")]
# The id of an agency or a user (the portal's administration), whose tables' ids are 32-bit.
SmallId = Annotated[
    int, Path(ge=1, le=MAX_SMALL_ID, description=f"An id: an integer from 1 to {MAX_SMALL_ID}.")
]
# Paging: at most MAX_LIMIT rows a page; the offset is bounded like an id (the database's own
# integer), so no value reaches the database that it cannot take.
Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Rows on the page, from 1 to {MAX_LIMIT}.")
]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="Rows skipped before the page, from 0.")]


PROBLEM_JSON = "application/problem+json"
# The hub's own kinds of problem: ``type`` is this catalogue's address with the kind as its
# fragment (served by ``problem_catalogue``); a problem the HTTP status says all of is
# ``about:blank`` (RFC 9457, section 4.2.1). Each kind: its title, and what it means.
CATALOGUE = "/problems"
KINDS: dict[str, tuple[str, str]] = {
    "invalid-request": (
        "Invalid request",
        "A parameter or a body field is not valid: `problems` names each one (`field`, "
        "`message`), the field as `path.<name>`, `query.<name>`, `header.<name>` or "
        "`body.<path>`.",
    ),
    "unreadable-body": (
        "Unreadable body",
        "The body cannot be read as the route's format (not JSON, not XML, an empty file, a "
        'job whose cases are not `{"type", "record"}`): `problems` names the part.',
    ),
    "record-errors": (
        "The record has errors",
        "The body was read, but the record fails the dictionary's checks: `errors` lists each "
        "error as the ICD's error catalogue gives it (`code`, `severity`, `field`, `message`).",
    ),
    "merge-conflict": (
        "Conflicts with an active merge",
        "A rap-sheet merge is already open for this request, or the sheet's subject is not the "
        "merge's: `merge_id` names the merge.",
    ),
    "sender-refused": (
        "Sender may not send this",
        "The caller authenticated as an ORI that may not send this rap sheet: `reason` says why.",
    ),
    "receiver-refused": (
        "Receiver cannot take this",
        "The destination ORI is unknown or may not receive this rap sheet: `reason` says why.",
    ),
    "server-error": (
        "Unexpected error",
        "The hub failed; `reference` is what the operator finds in the log.",
    ),
}


class FieldProblem(BaseModel):
    """One invalid part of a request: where (``path.job_id``, ``query.limit``, ``body``) and why."""

    field: str
    message: str


class ErrorBody(BaseModel):
    """An RFC 9457 problem document (``application/problem+json``): the body of every error
    outside the stop web service's answers (Table 6) and the portal's pages. ``type`` is
    ``about:blank`` or a kind of the hub's error catalogue (``/problems#<kind>``); ``detail``
    is a sentence for the person reading it; extension members add what the hub knows:
    ``problems`` naming each invalid field, ``merge_id`` of a conflicting merge, ``reason``."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "type": f"{CATALOGUE}#invalid-request",
                "title": "Invalid request",
                "status": 422,
                "detail": "The request is not valid: query.limit: Input should be less than or "
                "equal to 1000.",
                "instance": "/namus/v1/cases",
                "problems": [
                    {
                        "field": "query.limit",
                        "message": "Input should be less than or equal to 1000",
                    }
                ],
            }
        },
    )

    type: str = Field("about:blank", description="The kind of problem: a URI.")
    title: str = Field(
        description="The kind's short summary (the HTTP status phrase for about:blank)."
    )
    status: int = Field(ge=100, le=599, description="The HTTP status code of the answer.")
    detail: str = Field(description="What went wrong with this request, as a sentence.")
    instance: str = Field(description="The path of the request the problem is about.")
    problems: list[FieldProblem] | None = Field(
        None, description="Each invalid part of the request, naming its field."
    )


class ProblemError(HTTPException):
    """An HTTP error the app answers as a problem document of the ``kind`` of the catalogue
    (or ``about:blank``), with ``extensions`` as extension members (``merge_id``, ``problems``)."""

    def __init__(
        self,
        status_code: int,
        detail: str,
        *,
        kind: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(status_code, detail, headers=headers)
        if kind is not None and kind not in KINDS:
            raise ValueError(f"not a kind of the error catalogue: {kind}")
        self.kind = kind
        self.extensions = extensions


def sentence(text: str) -> str:
    """A message as a sentence: a capital first letter and a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def problem(
    request_path: str,
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """The problem document of an error (RFC 9457), ``application/problem+json``."""
    if kind is None:
        type_, title = "about:blank", HTTPStatus(status).phrase
    else:
        type_, title = f"{CATALOGUE}#{kind}", KINDS[kind][0]
    body = {
        "type": type_,
        "title": title,
        "status": status,
        "detail": sentence(detail),
        "instance": request_path,
        **{k: v for k, v in extensions.items() if v is not None},
    }
    return Response(
        orjson.dumps(body), status, headers=dict(headers or {}), media_type=PROBLEM_JSON
    )


def problem_of(request_path: str, exc: HTTPException) -> Response:
    """The problem document of an HTTPException (:class:`ProblemError` or Starlette's own)."""
    if isinstance(exc, ProblemError):
        return problem(
            request_path,
            exc.status_code,
            exc.detail,
            kind=exc.kind,
            headers=exc.headers,
            **exc.extensions,
        )
    detail = str(exc.detail)
    if detail == HTTPStatus(exc.status_code).phrase:  # Starlette's own: no route, no method
        detail = PLAIN_DETAILS.get(exc.status_code, f"The request is refused: {detail}.")
    return problem(request_path, exc.status_code, detail, headers=exc.headers)


def timestamp(value: dt.datetime | None) -> str | None:
    """An answer's date and time as RFC 3339 (OpenAPI's ``date-time``): with its UTC offset,
    which SQLite's naive timestamps (UTC, as the hub writes them) lack."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()


def problems_of(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"field": field, "message": message} for field, message in pairs]


# The detail of an error Starlette raises with its status's phrase alone, as a sentence.
PLAIN_DETAILS = {
    404: "Nothing is at this path: see /docs for the routes of the API.",
    405: "This path does not take the request's method: Allow lists those it takes.",
}
ERROR_DESCRIPTIONS = {
    400: "The request is malformed: a body that cannot be read, a value the route refuses.",
    401: "No valid API key (send it as 'Authorization: Bearer <key>').",
    403: "The key's agency or account may not do this, or is suspended.",
    404: "Not found, or not the caller's: an id out of range names nothing either.",
    405: "The route does not take this method: Allow lists those it takes.",
    408: "The request was not received in time.",
    409: "Conflicts with the state of the resource.",
    413: "The body is larger than the limit.",
    415: "A content type the route does not take.",
    422: "A parameter or body field is invalid: each problem names it.",
    429: "Too many requests: wait for Retry-After seconds.",
    500: "Unexpected error: the body gives a reference for support.",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    }
}
WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": "The scheme to authenticate with: Bearer.",
        "schema": {"type": "string"},
    }
}


def problem_content() -> dict[str, Any]:
    return {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}


def document_errors(openapi: dict[str, Any]) -> None:
    """FastAPI's own 422 (``HTTPValidationError``) out of an OpenAPI document, in place, and
    every error answer documented as the problem document (``application/problem+json``).

    FastAPI documents its 422 on every route with parameters; the hub answers a path parameter
    that is not valid with 404 and anything else with 422 and :class:`ErrorBody`. So a route
    whose parameters are all in its path loses the 422 it never answers (a route that
    validates a body lists 422 in its ``responses`` with :func:`errors`; the schemathesis test
    tells if one does not), and any other gets ErrorBody."""
    ref = "#/components/schemas/HTTPValidationError"
    for operations in openapi.get("paths", {}).values():
        for operation in operations.values():
            answers = operation.get("responses", {})
            answer = answers.get("422")
            if answer is not None and ref in str(answer):
                # FastAPI checks path and query parameters and bodies it reads; the headers
                # documented (Table 5's, Idempotency-Key) are the routes' own to check.
                params = [p for p in operation.get("parameters", []) if p.get("in") != "header"]
                if all(p.get("in") == "path" for p in params):
                    del answers["422"]
                else:
                    answers["422"] = {"description": ERROR_DESCRIPTIONS[422]}
            for code, answer in answers.items():
                # an error without content of its own is a problem document
                if code.startswith(("4", "5")) and "content" not in answer:
                    answer["content"] = problem_content()
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    shown = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(shown.pop("$defs", {}))
    schemas["ErrorBody"] = shown


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of the error statuses a route can answer, each a problem
    document (:class:`ErrorBody`; FastAPI's own 422, ``HTTPValidationError``, is not what the
    hub sends), with the headers some carry (Retry-After on 429, WWW-Authenticate on 401)."""
    answers: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        answer: dict[str, Any] = {
            "description": ERROR_DESCRIPTIONS[code],
            "content": problem_content(),
        }
        if code == 429:
            answer["headers"] = RETRY_AFTER
        answers[code] = answer
    return answers


class BodyError(ValueError):
    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused as soon as it passes ``limit`` bytes (never read whole first)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BodyError("Content-Length is not a number.")
        if int(declared) > limit:
            raise BodyError("too large", too_large=True)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyError("too large", too_large=True)
        chunks.append(chunk)
    return b"".join(chunks)


def bearer_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def require_principal(
    request: Request, lookup: Callable[[str], Principal | None], who: str = "agency"
) -> Principal:
    """The active principal of the request's key: 401 without a valid key, 403 when suspended.

    ``lookup`` is ``hub.keys.principal`` (trusted for the cache time) or ``hub.keys.check``
    (every request looked up).
    """
    key = bearer_key(request)
    principal = lookup(key) if key else None
    if principal is None:
        raise HTTPException(
            401,
            f"Send the {who}'s API key as 'Authorization: Bearer <key>'.",
            headers={"WWW-Authenticate": 'Bearer realm="jdx"'},
        )
    if not principal.active:
        raise HTTPException(403, suspended_message(principal.ori))
    return principal

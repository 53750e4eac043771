"""Small pieces every HTTP route uses: bounded body reading, credentials from headers, the
bounded id and paging parameters, and the error body every route documents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Path, Query, Request
from pydantic import BaseModel
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


class Problem(BaseModel):
    """One invalid part of a request: where (``path.job_id``, ``query.limit``, ``body``) and why."""

    field: str
    message: str


class ErrorBody(BaseModel):
    """The body of every error of the API routes (the stop web service's answers are Table 6's):
    what is wrong, and for a refused parameter or body, each problem naming its field. Some
    errors add fields (a 409 names the merge it conflicts with)."""

    error: str
    problems: list[Problem] | None = None


ERROR_DESCRIPTIONS = {
    400: "The request is malformed: a body that cannot be read, a value the route refuses.",
    401: "No valid API key (send it as 'Authorization: Bearer <key>').",
    403: "The key's agency or account may not do this, or is suspended.",
    404: "Not found, or not the caller's: an id out of range names nothing either.",
    409: "Conflicts with the state of the resource.",
    413: "The body is larger than the limit.",
    415: "A content type the route does not take.",
    422: "A parameter or body field is invalid: each problem names it.",
    429: "Too many requests: wait for Retry-After seconds.",
}


def document_errors(openapi: dict[str, Any]) -> None:
    """FastAPI's own 422 (``HTTPValidationError``) out of an OpenAPI document, in place.

    FastAPI documents it on every route with parameters; the hub answers a path parameter that
    is not valid with 404 and anything else with 422 and :class:`ErrorBody`. So a route whose
    parameters are all in its path loses the 422 it never answers (a route that validates a
    body lists 422 in its ``responses`` with :func:`errors`; the schemathesis test tells if one
    does not), and any other gets ErrorBody."""
    ref = "#/components/schemas/HTTPValidationError"
    for operations in openapi.get("paths", {}).values():
        for operation in operations.values():
            answer = operation.get("responses", {}).get("422")
            if answer is None or ref not in str(answer):
                continue
            params = operation.get("parameters", [])
            if all(p.get("in") == "path" for p in params):
                del operation["responses"]["422"]
            else:
                operation["responses"]["422"] = {
                    "description": ERROR_DESCRIPTIONS[422],
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
                    },
                }
    schemas = openapi.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of the error statuses a route can answer, each with
    :class:`ErrorBody` (FastAPI's own 422, ``HTTPValidationError``, is not what the hub sends)."""
    return {code: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[code]} for code in codes}


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
        raise HTTPException(401, f"Send the {who}'s API key as 'Authorization: Bearer <key>'.")
    if not principal.active:
        raise HTTPException(403, suspended_message(principal.ori))
    return principal

"""An agency's stops and batch files as lists over the API (issue 19): ``GET /sdcs/v1/stops``
and ``GET /sdcs/v1/files``, filtered, newest first, paged with the total and a ``next`` link.

The lists are ``exchanges/stops/listing.py``'s, as the portal's pages and ``jdx export`` read
them, scoped by the key's agency and realm before any filter. ``Accept: text/csv`` or the
spreadsheet's media type (or ``format=csv|xlsx``) gives the whole filtered list as a file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from jdx.channels.downloads import list_download
from jdx.channels.http.common import Limit, Offset, errors, require_principal, timestamp
from jdx.channels.http.openapi import answer, nullable, obj
from jdx.channels.http.paging import page_body, page_schema
from jdx.codecs.list_file import FORMATS
from jdx.exchanges.stops.listing import (
    FILE_COLUMNS,
    FILE_STATES,
    STATUSES,
    STOP_COLUMNS,
    FileFilter,
    StopFilter,
    iter_files,
    iter_stops,
    list_files,
    list_stops,
)
from jdx.hub import Hub
from jdx.security.keys import Principal
from jdx.store.engine import read_only
from jdx.store.paging import Page

ERROR_CODE_PATTERN = r"^[A-Z]{2}[0-9]{3}$"

# The lists' codes as types, so that FastAPI refuses (and documents) any other value; a test
# holds them equal to the listing's own tuples.
StatusName = Literal["Successful Submission", "Submitted with Errors", "NFIA"]
StateName = Literal["received", "processing", "done", "failed"]
FormatName = Literal["csv", "xlsx"]
Status = Annotated[StatusName | None, Query(description="Only stops of this status.")]
Day = Annotated[dt.date | None, Query(description="A stop date, YYYY-MM-DD.")]
Format = Annotated[
    FormatName | None, Query(description="The whole list as a file instead of a page.")
]


STOP_ITEM = obj(
    {
        "id": {"type": "integer"},
        "lea_record_id": {"type": "string"},
        "officer_uid": {"type": "string"},
        "stop_date": {"type": "string", "format": "date"},
        "stop_time": {"type": "string"},
        "status": {"type": "string", "enum": list(STATUSES)},
        "error_codes": {"type": "array", "items": {"type": "string"}},
        "errors": {"type": "integer"},
        "channel": {"type": "string"},
        "version": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
    {"batch_id": nullable("string"), "file_id": nullable("integer")},
)
FILE_ITEM = obj(
    {
        "file_id": {"type": "integer"},
        "file_name": {"type": "string"},
        "channel": {"type": "string"},
        "size": {"type": "integer"},
        "state": {"type": "string", "enum": list(FILE_STATES)},
        "total": {"type": "integer"},
        "successful": {"type": "integer"},
        "with_errors": {"type": "integer"},
        "rejected": {"type": "integer"},
        "received_at": {"type": "string", "format": "date-time"},
    },
    {
        "format": nullable("string"),
        "file_error": nullable("string"),
        "finished_at": nullable("string", format="date-time"),
    },
)
FILE_MEDIA = {media: {"schema": {"type": "string"}} for media in FORMATS.values()}


def router(hub: Hub) -> APIRouter:
    api = APIRouter(prefix="/sdcs/v1", tags=["Stop data lists"])

    def principal_of(request: Request) -> Principal:
        return require_principal(request, hub.keys.check)

    @api.get(
        "/stops",
        operation_id="listStops",
        summary="The agency's stops, newest first, filtered and paged",
        description="Summaries (no record): read one with `GET /sdcs/v1/stops/{lea_record_id}`. "
        "`next` is the next page's address, null on the last. With `format` (or `Accept: "
        "text/csv` or the XLSX media type) the whole filtered list comes as a file.",
        responses={
            200: answer(
                "One page of the list, with the total of every page.",
                page_schema(STOP_ITEM),
                more=FILE_MEDIA,
            ),
            **errors(401, 403, 422),
        },
    )
    async def stops(
        request: Request,
        limit: Limit = 100,
        offset: Offset = 0,
        status: Status = None,
        date_from: Day = None,
        date_to: Day = None,
        officer: Annotated[str | None, Query(max_length=20)] = None,
        error_code: Annotated[str | None, Query(pattern=ERROR_CODE_PATTERN)] = None,
        lea_record_id: Annotated[
            str | None, Query(max_length=50, description="The start of the record id.")
        ] = None,
        format: Format = None,
    ) -> Response:
        principal = await run_in_threadpool(principal_of, request)
        where = StopFilter(status, date_from, date_to, officer, error_code, lea_record_id)
        return await run_in_threadpool(
            _list_answer, request, format, STOP_COLUMNS, f"stops_{principal.ori}_{principal.realm}",
            lambda conn: list_stops(
                conn, principal.ori, principal.realm, where, limit=limit, offset=offset
            ),
            lambda conn: iter_stops(conn, principal.ori, principal.realm, where),
        )  # fmt: skip

    @api.get(
        "/files",
        operation_id="listStopFiles",
        summary="The agency's batch files, newest first, filtered and paged",
        description="Each file's state and counts; its answers with `GET /sdcs/v1/files/{file}`. "
        "`next` is the next page's address, null on the last.",
        responses={
            200: answer(
                "One page of the list, with the total of every page.",
                page_schema(FILE_ITEM),
                more=FILE_MEDIA,
            ),
            **errors(401, 403, 422),
        },
    )
    async def files(
        request: Request,
        limit: Limit = 100,
        offset: Offset = 0,
        state: Annotated[StateName | None, Query(description="Only files in this state.")] = None,
        name: Annotated[str | None, Query(max_length=255, description="Part of the name.")] = None,
        received_from: Annotated[dt.date | None, Query(description="YYYY-MM-DD (UTC)")] = None,
        received_to: Annotated[dt.date | None, Query(description="YYYY-MM-DD (UTC)")] = None,
        format: Format = None,
    ) -> Response:
        principal = await run_in_threadpool(principal_of, request)
        where = FileFilter(state, name, received_from, received_to)
        return await run_in_threadpool(
            _list_answer, request, format, FILE_COLUMNS, f"files_{principal.ori}_{principal.realm}",
            lambda conn: list_files(
                conn, principal.agency_id, principal.realm, where, limit=limit, offset=offset
            ),
            lambda conn: iter_files(conn, principal.agency_id, principal.realm, where),
        )  # fmt: skip

    def _list_answer(
        request: Request,
        format: str | None,
        columns: tuple[str, ...],
        name: str,
        page: Callable[[sa.Connection], Page[dict[str, Any]]],
        every: Callable[[sa.Connection], Iterator[dict[str, Any]]],
    ) -> Response:
        """One page as JSON, or, when a file is asked for, the whole list (``every``)."""
        fmt = _wanted_file(request, format)
        with hub.engine.connect() as c:
            conn = read_only(c)
            if fmt is not None:
                return list_download(fmt, columns, every(conn), name)
            return _page_answer(request, page(conn))

    return api


def _wanted_file(request: Request, format: str | None) -> str | None:
    """The file format asked for: the ``format`` parameter, else an Accept header that names a
    file's media type and not JSON; None: a page."""
    if format is not None:
        return format
    accept = request.headers.get("accept", "")
    if "application/json" in accept:
        return None
    for fmt, media in FORMATS.items():
        if media.split(";")[0] in accept:
            return fmt
    return None


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timestamp(value)
    return value.isoformat() if isinstance(value, dt.date) else value


def _page_answer(request: Request, found: Page[dict[str, Any]]) -> Response:
    return JSONResponse(
        page_body(request, found, lambda item: {k: _json(v) for k, v in item.items()})
    )

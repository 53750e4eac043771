"""An agency's stops and batch files as lists over the API (issue 19): ``GET /sdcs/v1/stops``
and ``GET /sdcs/v1/files``, filtered, newest first, paged with the total and a ``next`` link.

The lists are ``exchanges/stops/listing.py``'s, as the portal's pages and ``jdx export`` read
them, scoped by the key's agency and realm before any filter. ``Accept: text/csv`` or the
spreadsheet's media type (or ``format=csv|xlsx``) gives the whole filtered list as a file.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from jdx.channels.http.common import Limit, Offset, errors, require_principal
from jdx.channels.http.openapi import answer, nullable, obj
from jdx.channels.http.paging import FILE_MEDIA, Format, list_answer, page_schema
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

ERROR_CODE_PATTERN = r"^[A-Z]{2}[0-9]{3}$"

# The lists' codes as types, so that FastAPI refuses (and documents) any other value; a test
# holds them equal to the listing's own tuples.
StatusName = Literal["Successful Submission", "Submitted with Errors", "NFIA"]
StateName = Literal["received", "processing", "done", "failed"]
Status = Annotated[StatusName | None, Query(description="Only stops of this status.")]
Day = Annotated[dt.date | None, Query(description="A stop date, YYYY-MM-DD.")]


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
            list_answer, hub.engine, request, format, STOP_COLUMNS, f"stops_{principal.ori}_{principal.realm}",
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
            list_answer, hub.engine, request, format, FILE_COLUMNS, f"files_{principal.ori}_{principal.realm}",
            lambda conn: list_files(
                conn, principal.agency_id, principal.realm, where, limit=limit, offset=offset
            ),
            lambda conn: iter_files(conn, principal.agency_id, principal.realm, where),
        )  # fmt: skip

    return api

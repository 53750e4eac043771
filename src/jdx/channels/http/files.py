"""Batch files over HTTP: the same processing as SFTP, for agencies that cannot run SFTP.

``PUT /sdcs/v1/files/{file name}`` streams the body to the agency's INPUT folder (the realm is
the key's), then starts the file's workflow exactly as an SFTP upload does; ``GET
/sdcs/v1/files/{id}`` tells its state and counts, with links to the files written into OUTPUT.
The folders are the file store's (``exchanges/stops/file_store.py``): with PostgreSQL, what
one node received any node processes and answers.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from jdx.channels.http.common import Id, errors, require_principal, timestamp
from jdx.channels.http.openapi import LOCATION, answer, nullable, obj
from jdx.exchanges.stops import workflow
from jdx.exchanges.stops.batch_files import ForeignOri, NameError_, parse_name
from jdx.exchanges.stops.file_status import RESULT_SUFFIXES, result_files, stored_so_far
from jdx.exchanges.stops.file_store import PART_BYTES, Key
from jdx.exchanges.stops.tables import stop_files
from jdx.hub import Hub
from jdx.security.keys import Principal
from jdx.store.engine import read_only
from jdx.store.tables import MAX_ID

_DAY = (
    r"[1-9]\d{3}(?:(?:0[13578]|1[02])(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)(?:0[1-9]|[12]\d|30)"
    r"|02(?:0[1-9]|1\d|2[0-8]))"
)
# The convention's names (batch_files.NAME), documented with dates that exist: 29 February is
# left out of the pattern (the hub takes it in a leap year).
FILE_NAME_PATTERN = (
    rf"^{_DAY}(?:[01]\d|2[0-3])[0-5]\d[0-5]\d_[A-Za-z0-9]{{9}}_[A-Za-z0-9][A-Za-z0-9.\-]{{0,49}}"
    r"\.(?:xlsx|xls|csv|txt|xml|json)$"
)
# GET /{file} and PUT /{file} share a path template (OpenAPI: one path, two operations): the
# upload's name in a PUT, the id it answered in a GET.
FileId = Annotated[
    int,
    Path(
        alias="file",
        ge=1,
        le=MAX_ID,
        description=f"The file's id, as the upload answered it: an integer from 1 to {MAX_ID}.",
    ),
]


def router(hub: Hub) -> APIRouter:
    api = APIRouter(prefix="/sdcs/v1/files", tags=["Stop data files (bulk)"])
    folders = workflow.folders_of(hub)

    def principal_of(request: Request) -> Principal:
        return require_principal(request, hub.keys.principal)

    @api.put(
        "/{file}",
        status_code=202,
        operation_id="uploadStopFile",
        summary="Upload a batch file (XLSX, XLS, pipe-delimited, XML or JSON)",
        description="The file's name is the SFTP convention's: "
        "`YYYYMMDDHHMMSS_<ORI>_<LEA batch id>.xlsx|.xls|.csv` or "
        "`YYYYMMDDHHMMSS_<ORI>_<LEA record id>.xml|.json`, with the key's ORI.",
        responses={
            202: answer(
                "Received: the file's id; its status at Location.",
                obj({"file_id": {"type": "integer"}, "message": {"type": "string"}}),
                {"file_id": 1, "message": "received"},
                headers={"Location": LOCATION},
            ),
            200: answer(
                "Received before: the earlier file, its status at Location.",
                obj(
                    {
                        "file_id": {"type": "integer"},
                        "duplicate_of": {"type": "integer"},
                        "received_at": {"type": "string", "format": "date-time"},
                        "message": {"type": "string"},
                    }
                ),
                headers={"Location": LOCATION},
            ),
            **errors(400, 401, 403, 409, 413),
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        },
    )
    async def upload(
        request: Request,
        file_name: str = Path(
            alias="file",
            description="The file's name: YYYYMMDDHHMMSS_<ORI>_<LEA batch or record id>.<ext>.",
            json_schema_extra={"pattern": FILE_NAME_PATTERN},
        ),
    ) -> Response:
        principal = await run_in_threadpool(principal_of, request)
        try:
            parse_name(file_name, principal.ori)
        except NameError_ as exc:
            # another agency's ORI in a well-formed name: 403, as the web service's FOREIGN_ORI
            status = 403 if isinstance(exc, ForeignOri) else 400
            raise HTTPException(status, f"The file name {file_name!r} is refused: {exc}") from None
        limit = hub.settings.max_file_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise HTTPException(413, f"the file is larger than {limit:,} bytes")
        target = folders.input_dir(principal.ori, principal.realm) / file_name
        staged = await run_in_threadpool(folders.store.stage, target)
        size = 0
        try:
            with staged.path.open("wb") as out:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise HTTPException(413, f"the file is larger than {limit:,} bytes")
                    out.write(chunk)
            await run_in_threadpool(staged.commit)  # complete: only now is it in INPUT
        finally:
            staged.discard()
        received = await run_in_threadpool(workflow.receive, hub, principal, target, channel="http")
        if received.duplicate_of is not None and received.first_received is not None:
            # Received before: 200 with the earlier file, whose status and answers are there
            # (docs/conformance.md, seed 001 decision 17).
            earlier = received.duplicate_of
            return JSONResponse(
                {
                    "file_id": earlier,
                    "duplicate_of": earlier,
                    "received_at": timestamp(received.first_received),
                    "message": received.message,
                },
                200,
                headers={"Location": f"/sdcs/v1/files/{earlier}"},
            )
        if received.file_id is None:
            raise HTTPException(received.refusal, f"The file {received.message}")
        return JSONResponse(
            {"file_id": received.file_id, "message": received.message},
            202,
            headers={"Location": f"/sdcs/v1/files/{received.file_id}"},
        )

    @api.get(
        "/{file}",
        operation_id="getStopFile",
        summary="State and counts of an uploaded file, with its results",
        responses={
            200: answer(
                "The file's state, counts and the addresses of its result files.",
                obj(
                    {
                        "file_id": {"type": "integer"},
                        "file_name": {"type": "string"},
                        "state": {"type": "string"},
                        "total": nullable("integer"),
                        "processed": nullable("integer"),
                        "results": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                        },
                    }
                ),
            ),
            **errors(401, 403, 404),
        },
    )
    def status(request: Request, file_id: FileId) -> dict[str, Any]:
        principal = principal_of(request)
        row, processed = _own_file(principal, file_id, progress=True)
        return {
            "file_id": row.id,
            "file_name": row.file_name,
            "realm": row.realm,
            "channel": row.channel,
            "state": row.state,
            "format": row.format,
            "file_error": row.file_error,
            "total": row.total,
            "successful": row.successful,
            "with_errors": row.with_errors,
            "rejected": row.rejected,
            "processed": processed,  # records processed so far; the total once done
            "received_at": timestamp(row.received_at),
            "finished_at": timestamp(row.finished_at),
            "results": {p.name: f"/sdcs/v1/files/{row.id}/results/{p.name}" for p in _results(row)},
        }

    @api.get(
        "/{file_id}/results/{name}",
        operation_id="downloadStopFileResult",
        summary="Download one result file of an upload",
        response_class=Response,
        responses={
            200: answer(
                "The result file (errors as CSV, XLSX, XML or JSON; the response report and "
                "processor log as text).",
                {"type": "string", "format": "binary"},
                media="application/octet-stream",
                more={
                    m: {"schema": {"type": "string"}}
                    for m in sorted({_media_type("x" + s) for s in RESULT_SUFFIXES})
                },
            ),
            **errors(401, 403, 404),
        },
    )
    def result(request: Request, file_id: Id, name: str) -> Response:
        principal = principal_of(request)
        row, _ = _own_file(principal, file_id)
        for key in _results(row):
            if key.name == name:  # only names the hub wrote for this file: no path tricks
                try:
                    content = folders.store.open(key)
                except FileNotFoundError:
                    break  # deleted since (by the agency, or the tidy job)
                return StreamingResponse(
                    _chunks(content),
                    media_type=_media_type(name),
                    headers={"Content-Disposition": f'attachment; filename="{name}"'},
                )
        raise HTTPException(404, f"no result {name!r} for file {file_id}")

    def _own_file(principal: Principal, file_id: int, *, progress: bool = False) -> Any:
        """The file's row, and with ``progress`` the records stored so far. A read-only
        transaction: on SQLite a plain one begins IMMEDIATE and waited for the file's own chunk
        transactions (status polls took up to a second while a file was processed)."""
        with hub.engine.connect() as plain:
            conn = read_only(plain)
            row = conn.execute(
                sa.select(stop_files).where(
                    stop_files.c.id == file_id,
                    stop_files.c.agency_id == principal.agency_id,
                    stop_files.c.realm == principal.realm,
                )
            ).first()
            if row is None:
                raise HTTPException(404, f"no file {file_id} of agency {principal.ori}")
            stored = row.total if row.state in ("done", "failed") else None
            if stored is None and progress:
                stored = stored_so_far(conn, file_id)
        return row, stored

    def _results(row: Any) -> list[Key]:
        return result_files(folders, row.ori, row.realm, row.file_name)

    return api


def _chunks(content: Any) -> Iterator[bytes]:
    with content:
        while data := content.read(PART_BYTES):
            yield data


def _media_type(name: str) -> str:
    """As a file response would say it (by the name; text types get their charset)."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"

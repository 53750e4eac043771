"""Interstate criminal history over HTTP (seed 002): notifications in, rap sheets in, outbox out.

- ``POST /chri/v1/notifications``: an FBI/III EL01/FL01 message (text) opens a merge; only
  the ORIs of the ``rap_notifiers`` setting may send one.
- ``POST /chri/v1/rapsheets?destination=ORI``: a responder's rap sheet (2.00, Nlets 4.1 or text),
  only from an ORI registered for a state (``jdx rapsheet responders``) or an FBI/III ORI, and
  taken as that sender's portion (issue 16).
- ``GET /chri/v1/outbox``, ``GET /chri/v1/outbox/{id}``: the caller's own deliveries.
- ``PUT /chri/v1/preference``: the format the caller wants its rap sheets in.

Callers are agencies (states, the FBI, requesters) with the hub's API keys; the criminal
history exchange has no test realm, so only production keys are accepted.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from jdx.channels.downloads import list_download
from jdx.channels.http.common import (
    BodyError,
    Id,
    Limit,
    Offset,
    ProblemError,
    errors,
    read_body,
    require_principal,
    timestamp,
)
from jdx.channels.http.openapi import OPAQUE, answer, answer_header, nullable, obj
from jdx.channels.http.paging import FILE_MEDIA, Format, page_body, page_schema, wanted_file
from jdx.exchanges.rapsheets.kit import notification_files, sample_files
from jdx.exchanges.rapsheets.merge import MergeError
from jdx.exchanges.rapsheets.notification import NotificationError
from jdx.exchanges.rapsheets.service import (
    OUTBOX_COLUMNS,
    DuplicateRequest,
    NotifierRefused,
    OutboxMessage,
    PortionRefused,
    RapSheetService,
    ReceiverRefused,
    SenderRefused,
)
from jdx.exchanges.rapsheets.tables import FORMATS
from jdx.exchanges.rapsheets.transmission import RapSheetFormatError
from jdx.hub import Hub
from jdx.security.keys import Principal

_ORI = re.compile(r"[A-Z0-9]{9}")
OUTBOX_ITEM = obj(
    {
        "id": {"type": "integer"},
        "message_id": {"type": "string"},
        "sender_ori": {"type": "string"},
        "format": {"type": "string"},
        "content_type": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "fetched_at": nullable("string", format="date-time"),
        "href": {"type": "string"},
    }
)
_TEXT_BODY = {
    "requestBody": {
        "required": True,
        "description": "The FBI/III message as text (UTF-8).",
        "content": {
            "text/plain": {
                "schema": {"type": "string"},
                "example": notification_files()["notification-el01.txt"].decode(),
            }
        },
    }
}
_XML_BODY = {
    "requestBody": {
        "required": True,
        "description": "The rap sheet: Nlets 4.1 or 2.00 XML, or the responder's text.",
        "content": {
            "application/xml": {
                "schema": OPAQUE,
                "example": sample_files()["nlets41-minimal.xml"].decode(),
            },
            "text/plain": {"schema": {"type": "string"}},
        },
    }
}
_ORI_PATTERN = "^[A-Z0-9]{9}$"


class Preference(BaseModel):
    format: str = Field(json_schema_extra={"enum": list(FORMATS)})


def router(hub: Hub) -> APIRouter:
    api = APIRouter(prefix="/chri/v1", tags=["Interstate criminal history"])
    service = hub.service(RapSheetService)

    def principal_of(request: Request) -> Principal:
        principal = require_principal(request, hub.keys.check)
        if principal.realm != "prod":
            raise HTTPException(403, "The criminal history exchange takes production keys only.")
        return principal

    async def body_of(request: Request) -> bytes:
        try:
            return await read_body(request, hub.settings.max_body_bytes)
        except BodyError as exc:
            if exc.too_large:
                raise HTTPException(
                    413, f"larger than {hub.settings.max_body_bytes:,} bytes"
                ) from None
            raise HTTPException(400, str(exc)) from None

    @api.post(
        "/notifications",
        status_code=201,
        operation_id="receiveNotification",
        summary="An FBI/III EL01 or FL01 notification: opens a Rap-Merge entry",
        openapi_extra=_TEXT_BODY,
        responses={
            201: answer(
                "The merge entry opened: whose request, which portions it awaits, until when.",
                obj(
                    {
                        "merge_id": {"type": "integer"},
                        "requester": {"type": "string"},
                        "expected": {"type": "array", "items": {"type": "string"}},
                        "deadline_at": {"type": "string", "format": "date-time"},
                    }
                ),
            ),
            **errors(400, 401, 403, 409, 413, 422),
        },
    )
    async def notification(
        request: Request,
        format: str | None = Query(None, description=f"The request's delivery format: {FORMATS}"),
    ) -> Response:
        principal = await run_in_threadpool(principal_of, request)
        if principal.ori.upper() not in hub.settings.rap_notifiers:
            raise HTTPException(403, str(NotifierRefused(principal.ori)))
        if format is not None and format not in FORMATS:
            raise HTTPException(400, f"format must be one of {', '.join(FORMATS)}")
        try:
            text = (await body_of(request)).decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPException(400, "the notification is not UTF-8 text") from None
        try:
            entry = await run_in_threadpool(
                service.notify, text, sender_ori=principal.ori, format=format
            )
        except NotificationError as exc:
            raise HTTPException(400, f"not an EL01/FL01 notification: {exc}") from None
        except NotifierRefused as exc:
            raise HTTPException(403, str(exc)) from None
        except DuplicateRequest as exc:
            raise ProblemError(
                409, str(exc), kind="merge-conflict", merge_id=exc.merge_id
            ) from None
        return JSONResponse(
            {
                "merge_id": entry.id,
                "requester": entry.requester_ori,
                "expected": list(entry.expected),
                "deadline_at": timestamp(entry.deadline_at),
            },
            201,
        )

    @api.post(
        "/rapsheets",
        status_code=202,
        operation_id="receiveRapSheet",
        summary="A responder's rap sheet (STDRAP): merged, or forwarded to the requester",
        openapi_extra=_XML_BODY,
        responses={
            202: answer(
                "Taken: merged into the open merge, or delivered to the requester.",
                obj(
                    {
                        "outcome": {"type": "string"},
                        "merge_id": nullable("integer"),
                        "responder": nullable("string"),
                        "missing": {"type": "array", "items": {"type": "string"}},
                        "delivered": {"type": "boolean"},
                    }
                ),
            ),
            **errors(400, 401, 403, 404, 409, 413, 422),
        },
    )
    async def rap_sheet(
        request: Request,
        destination: str = Query(
            ...,
            description="The requester's ORI the sheet is sent to (9 letters and digits).",
            json_schema_extra={"pattern": _ORI_PATTERN},
        ),
    ) -> Response:
        principal = await run_in_threadpool(principal_of, request)
        if not _ORI.fullmatch(destination):
            raise HTTPException(400, "destination must be an ORI (9 letters and digits)")
        data = await body_of(request)
        try:
            receipt = await run_in_threadpool(
                service.receive_rap_sheet, data, sender_ori=principal.ori, destination=destination
            )
        except RapSheetFormatError as exc:
            raise HTTPException(400, f"rap sheet refused: {exc}") from None
        except SenderRefused as exc:
            # 403: who the caller authenticated as may not send this sheet (issue 16).
            raise ProblemError(403, str(exc), kind="sender-refused", reason=exc.reason) from None
        except ReceiverRefused as exc:
            status = 404 if exc.reason == "unknown-receiver" else 409
            raise ProblemError(
                status, str(exc), kind="receiver-refused", reason=exc.reason
            ) from None
        except PortionRefused as exc:
            # 409, not 422: the sheet is well formed and would be forwarded had no merge been
            # active; it conflicts with the state of one resource, the merge entry, whose
            # subject the notification fixed (issue 15). The same status as a second request
            # for an active merge, with the same body: what is wrong, and which merge.
            raise ProblemError(
                409,
                str(exc),
                kind="merge-conflict",
                merge_id=exc.merge_id,
                reason="different-subject",
            ) from None
        except MergeError as exc:
            raise HTTPException(422, f"rap sheet refused: {exc}") from None
        return JSONResponse(
            {
                "outcome": receipt.outcome,
                "merge_id": receipt.merge_id,
                "responder": receipt.responder,
                "missing": list(receipt.missing),
                "delivered": receipt.message_id is not None,
            },
            202,
        )

    @api.get(
        "/outbox",
        operation_id="listOutbox",
        summary="The caller's deliveries, newest first, paged",
        description="`total` counts every page; `next` is the next page's address, null on "
        "the last. A receiver polling for new rap sheets asks `unfetched=true`; fetching a "
        "delivery takes it off that list, so such a receiver asks the first page again "
        "rather than following `next`. With `format` (or `Accept: text/csv` or the XLSX "
        "media type) the whole list comes as a file (no content; nothing is marked fetched).",
        responses={
            200: answer(
                "One page of the deliveries, each with the address of its content, with the "
                "total of every page.",
                page_schema(OUTBOX_ITEM, receiver={"type": "string"}),
                more=FILE_MEDIA,
            ),
            **errors(401, 403, 422),
        },
    )
    def outbox(
        request: Request,
        limit: Limit = 100,
        offset: Offset = 0,
        unfetched: bool = Query(False, description="Only deliveries not fetched yet."),
        format: Format = None,
    ) -> Any:
        principal = principal_of(request)
        fmt = wanted_file(request, format)
        if fmt is not None:  # the list, no content: nothing is marked fetched
            rows = service.iter_outbox(principal.ori, unfetched=unfetched)
            return list_download(fmt, OUTBOX_COLUMNS, rows, f"outbox_{principal.ori}")
        found = service.outbox_page(principal.ori, limit=limit, offset=offset, unfetched=unfetched)
        return {"receiver": principal.ori, **page_body(request, found, _listing)}

    @api.get(
        "/outbox/{item_id}",
        operation_id="fetchOutboxItem",
        summary="One delivery's content (marks it fetched)",
        response_class=Response,
        responses={
            200: answer(
                "The rap sheet as delivered, in the receiver's format.",
                {"type": "string"},
                media="application/xml",
                more={
                    "text/html": {"schema": {"type": "string"}},
                    "text/plain": {"schema": {"type": "string"}},
                },
                headers={
                    "X-Message-Id": answer_header("The delivery's message id.", required=True),
                    "X-Sender-Ori": answer_header("The ORI that sent it.", required=True),
                },
            ),
            **errors(401, 403, 404),
        },
    )
    def outbox_item(request: Request, item_id: Id) -> Response:
        principal = principal_of(request)
        message = service.fetch(principal.ori, item_id)
        if message is None or message.body is None:
            raise HTTPException(404, f"no delivery {item_id} for {principal.ori}")
        return Response(
            message.body,
            media_type=message.content_type,
            headers={"X-Message-Id": message.message_id, "X-Sender-Ori": message.sender_ori},
        )

    @api.put(
        "/preference",
        operation_id="setRapSheetFormat",
        summary="The format the caller wants its rap sheets in",
        responses={
            200: answer(
                "Set.",
                obj({"receiver": {"type": "string"}, "format": {"enum": list(FORMATS)}}),
                {"receiver": "CA0370000", "format": "presentation-html"},
            ),
            **errors(400, 401, 403, 422),
        },
    )
    def preference(request: Request, body: Preference) -> dict[str, str]:
        principal = principal_of(request)
        if body.format not in FORMATS:
            raise HTTPException(400, f"format must be one of {', '.join(FORMATS)}")
        service.set_receiver_format(principal.ori, body.format)
        return {"receiver": principal.ori, "format": body.format}

    return api


def _listing(message: OutboxMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "message_id": message.message_id,
        "sender_ori": message.sender_ori,
        "format": message.format,
        "content_type": message.content_type,
        "created_at": timestamp(message.created_at),
        "fetched_at": timestamp(message.fetched_at),
        "href": f"/chri/v1/outbox/{message.id}",
    }

"""The rap sheet participants' kit over HTTP: ``/chri/v1/icd`` (issue 15).

The same documents ``jdx icd rapsheets`` writes, made by the one function that makes them
(``exchanges.rapsheets.kit.build_kit``). Public like the stop data ICD at ``/sdcs/v1/icd``: the
kit holds the schema, its reference and synthetic samples, nothing of any record.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from jdx.channels.http.common import errors
from jdx.channels.http.openapi import answer, obj
from jdx.exchanges.rapsheets.kit import Document, KitError, build_kit, describe
from jdx.hub import Hub

PREFIX = "/chri/v1/icd"
log = logging.getLogger("jdx.http")


@lru_cache(maxsize=1)
def _kit_of(day: str) -> dict[str, Document]:
    """The kit of one day (its 2.00 samples are summarised as delivered that day)."""
    return build_kit(as_of=day)


def kit() -> dict[str, Document]:
    try:
        return _kit_of(datetime.now(UTC).strftime("%Y%m%d"))
    except KitError as exc:
        log.error("the participants' kit cannot be built: %s", exc)
        raise HTTPException(500, f"the participants' kit cannot be built: {exc}") from None


def index() -> dict[str, Any]:
    """Every document of the kit: its URL, media type and what it is."""
    return {
        "documents": {
            name: {"href": f"{PREFIX}/{name}", "media_type": media, "description": describe(name)}
            for name, (_content, media) in kit().items()
        },
        "nlets41_xsd": "not in the kit (its licence keeps it out of the project): get it from Nlets",
    }


def document(name: str) -> Response:
    found = kit().get(name)
    if found is None:
        raise HTTPException(404, f"no document {name!r} in the rap sheet kit; see {PREFIX}")
    content, media = found
    return Response(content, media_type=media)


def router(_hub: Hub) -> APIRouter:
    api = APIRouter(prefix=PREFIX, tags=["Interstate criminal history"])
    api.add_api_route(
        "",
        index,
        methods=["GET"],
        operation_id="listRapSheetKit",
        summary="List the participants' kit",
        responses={
            200: answer(
                "Every document of the kit: its address, media type and what it is.",
                obj({"documents": {"type": "object"}}),
            ),
            500: answer("The kit cannot be built (the operator's log says why)."),
        },
    )
    api.add_api_route(
        "/{name}",
        document,
        methods=["GET"],
        operation_id="getRapSheetKitDocument",
        summary="One document of the kit: XSD, reference, samples, notifications, README",
        response_class=Response,
        responses={
            200: answer(
                "The document, in its own media type.",
                more={
                    m: {"schema": {}}
                    for m in ("application/xml", "text/html", "text/plain", "text/markdown")
                },
            ),
            **errors(404),
            500: answer("The kit cannot be built (the operator's log says why)."),
        },
    )
    return api

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

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from jdx.channels.http.icd_pages import ChapterPages, add_icd_routes, document_response
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


def document(_request: Request, name: str) -> Response | None:
    found = kit().get(name)
    return None if found is None else document_response(*found)


def router(_hub: Hub) -> APIRouter:
    api = APIRouter(prefix=PREFIX, tags=["Interstate criminal history"])
    # The kit's transport chapter and index: no dictionaries; the kit's names, as it says them.
    chapter = ChapterPages("rapsheets", list, lambda: list(kit()), describe)
    add_icd_routes(
        api,
        chapter,
        index,
        document,
        summaries=(
            "List the participants' kit",
            "One document of the kit: XSD, reference, samples, notifications, README",
        ),
        operation_ids=("listRapSheetKit", "getRapSheetKitDocument"),
        not_found=lambda name: f"no document {name!r} in the rap sheet kit; see {PREFIX}",
        listing_model=dict[str, Any],
    )
    return api

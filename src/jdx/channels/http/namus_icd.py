"""The NamUs case import ICD over HTTP: ``/namus/v1/icd`` (issue 18).

The documents ``jdx icd cases`` writes: each case record type's ICD (HTML, schemas, templates,
samples, SQL), the job's upload templates, the transport chapter and the index. Public like
``/sdcs/v1/icd``: it describes records, it holds none.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from jdx.channels.http.common import errors
from jdx.channels.http.icd_pages import HTML_ANSWER, ChapterPages, document_response, wants_html
from jdx.channels.http.icd_transport import describe_document
from jdx.dictionary.icd import DOCUMENTS, render
from jdx.exchanges.cases import CANCELLATION, MISSING, UNIDENTIFIED
from jdx.exchanges.cases.upload import job_templates
from jdx.hub import Hub

PREFIX = "/namus/v1/icd"
TEMPLATE_MEDIA = {
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def router(hub: Hub) -> APIRouter:
    api = APIRouter(prefix=PREFIX, tags=["NamUs case import"])
    dictionaries = {
        d.id: d
        for d in hub.validation.dictionaries.values()
        if d.family in (MISSING, UNIDENTIFIED, CANCELLATION)
    }

    @cache
    def templates() -> dict[str, bytes]:
        return job_templates()

    def names() -> list[str]:
        return [
            *(f"{d}{suffix}" for d in sorted(dictionaries) for suffix in DOCUMENTS),
            *templates(),
        ]

    chapter = ChapterPages("cases", lambda: [dictionaries[d] for d in sorted(dictionaries)], names)

    @cache
    def document(dictionary_id: str, suffix: str) -> bytes:
        return render(dictionaries[dictionary_id], suffix)

    @api.get(
        "",
        summary="List the NamUs case import ICD",
        response_model=dict[str, dict[str, str]],
        responses=HTML_ANSWER,
    )
    def index(request: Request) -> Any:
        if wants_html(request):
            return chapter.index(request)
        return {name: {"href": f"{PREFIX}/{name}", "description": describe_document(name)}
                for name in names()}  # fmt: skip

    @api.get(
        "/{name}",
        summary="One document of the NamUs ICD: HTML, JSON Schema, XSD, templates, sample",
        response_class=Response,
        responses=errors(404),
    )
    def get(request: Request, name: str) -> Response:
        page = chapter.get(request, name)
        if page is not None:
            return page
        if name in templates():
            media = TEMPLATE_MEDIA[name[name.rindex(".") :]]
            return document_response(templates()[name], media)
        for suffix, (_, media) in DOCUMENTS.items():
            if name.endswith(suffix) and name.removesuffix(suffix) in dictionaries:
                return document_response(document(name.removesuffix(suffix), suffix), media)
        raise HTTPException(404, f"no document {name!r} in the NamUs ICD; see {PREFIX}")

    return api

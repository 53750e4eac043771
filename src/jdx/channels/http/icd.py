"""The Interface Control Documents, served as generated from the dictionaries, with the
transport chapter and index of ``icd_pages`` (issue 18)."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from jdx.channels.http.common import errors
from jdx.channels.http.icd_pages import HTML_ANSWER, ChapterPages, document_response, wants_html
from jdx.dictionary.icd import DOCUMENTS, render
from jdx.hub import Hub


def router(hub: Hub) -> APIRouter:
    api = APIRouter(prefix="/sdcs/v1/icd", tags=["Interface Control Document"])
    dictionaries = {d.id: d for d in hub.validation.dictionaries.values() if d.family == "stop"}
    chapter = ChapterPages(
        "stops",
        lambda: [dictionaries[d] for d in sorted(dictionaries)],
        lambda: [f"{d}{suffix}" for d in sorted(dictionaries) for suffix in DOCUMENTS],
    )

    @cache
    def document(dictionary_id: str, suffix: str) -> bytes:
        return render(dictionaries[dictionary_id], suffix)

    @api.get(
        "",
        summary="List the ICD documents",
        response_model=dict[str, dict[str, str]],
        responses=HTML_ANSWER,
    )
    def index(request: Request) -> Any:
        if wants_html(request):
            return chapter.index(request)
        return {
            d: {label: f"/sdcs/v1/icd/{d}{suffix}" for suffix, (label, _) in DOCUMENTS.items()}
            for d in sorted(dictionaries)
        }

    @api.get(
        "/{name}",
        summary="One ICD document: HTML, JSON Schema, XSD, templates, sample",
        responses=errors(404),
    )
    def get(request: Request, name: str) -> Response:
        page = chapter.get(request, name)
        if page is not None:
            return page
        for suffix, (_, media) in DOCUMENTS.items():
            if name.endswith(suffix) and name.removesuffix(suffix) in dictionaries:
                return document_response(document(name.removesuffix(suffix), suffix), media)
        raise HTTPException(404, f"no ICD document {name!r}")

    return api

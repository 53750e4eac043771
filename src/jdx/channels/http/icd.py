"""The Interface Control Documents, served as generated from the dictionaries."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from jdx.channels.http.common import errors
from jdx.channels.http.openapi import answer
from jdx.dictionary.icd import DOCUMENTS, render
from jdx.hub import Hub


def router(hub: Hub) -> APIRouter:
    api = APIRouter(prefix="/sdcs/v1/icd", tags=["Interface Control Document"])
    dictionaries = {d.id: d for d in hub.validation.dictionaries.values() if d.family == "stop"}

    @cache
    def document(dictionary_id: str, suffix: str) -> bytes:
        return render(dictionaries[dictionary_id], suffix)

    @api.get(
        "",
        operation_id="listStopIcdDocuments",
        summary="List the ICD documents",
        responses={
            200: answer(
                "Each dictionary's documents, by label, with their addresses.",
                {"type": "object", "additionalProperties": {"type": "object"}},
            )
        },
    )
    def index() -> dict[str, dict[str, str]]:
        return {
            d: {label: f"/sdcs/v1/icd/{d}{suffix}" for suffix, (label, _) in DOCUMENTS.items()}
            for d in sorted(dictionaries)
        }

    @api.get(
        "/{name}",
        operation_id="getStopIcdDocument",
        summary="One ICD document: HTML, JSON Schema, XSD, templates, sample",
        response_class=Response,
        responses={
            200: answer(
                "The document, in its own media type.",
                more={m.split(";")[0]: {"schema": {}} for _, m in DOCUMENTS.values()},
            ),
            **errors(404),
        },
    )
    def get(name: str) -> Response:
        for suffix, (_, media) in DOCUMENTS.items():
            if name.endswith(suffix) and name.removesuffix(suffix) in dictionaries:
                return Response(document(name.removesuffix(suffix), suffix), media_type=media)
        raise HTTPException(404, f"no ICD document {name!r}")

    return api

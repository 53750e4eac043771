"""The Interface Control Documents, served as generated from the dictionaries, with the
transport chapter and index of ``icd_pages`` (issue 18)."""

from __future__ import annotations

from fastapi import APIRouter

from jdx.channels.http.icd_pages import RecordDocuments, add_record_icd_routes
from jdx.dictionary.icd import DOCUMENTS
from jdx.hub import Hub


def router(hub: Hub) -> APIRouter:
    api = APIRouter(prefix="/sdcs/v1/icd", tags=["Interface Control Document"])
    stops = [d for d in hub.validation.dictionaries.values() if d.family == "stop"]
    icd = RecordDocuments("stops", stops)

    def listing() -> dict[str, dict[str, str]]:
        return {
            d: {label: f"/sdcs/v1/icd/{d}{suffix}" for suffix, (label, _) in DOCUMENTS.items()}
            for d in sorted(icd.dictionaries)
        }

    add_record_icd_routes(
        api,
        icd,
        listing,
        summaries=(
            "List the ICD documents",
            "One ICD document: HTML, JSON Schema, XSD, templates, sample",
        ),
        operation_ids=("listStopIcdDocuments", "getStopIcdDocument"),
        not_found=lambda name: f"no ICD document {name!r}",
    )
    return api

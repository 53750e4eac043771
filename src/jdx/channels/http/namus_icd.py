"""The NamUs case import ICD over HTTP: ``/namus/v1/icd`` (issue 18).

The documents ``jdx icd cases`` writes: each case record type's ICD (HTML, schemas, templates,
samples, SQL), the job's upload templates, the transport chapter and the index. Public like
``/sdcs/v1/icd``: it describes records, it holds none.
"""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter

from jdx.channels.http.icd_pages import RecordDocuments, add_record_icd_routes
from jdx.channels.http.icd_transport import describe_document
from jdx.exchanges.cases import CANCELLATION, MISSING, UNIDENTIFIED
from jdx.exchanges.cases.upload import job_templates
from jdx.hub import Hub

PREFIX = "/namus/v1/icd"
TEMPLATE_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@cache
def templates() -> dict[str, tuple[bytes, str]]:
    """The job's upload templates, with their media types."""
    return {
        name: (content, TEMPLATE_MEDIA[name.rsplit(".", 1)[-1]])
        for name, content in job_templates().items()
    }


def router(hub: Hub) -> APIRouter:
    api = APIRouter(prefix=PREFIX, tags=["NamUs case import"])
    families = (MISSING, UNIDENTIFIED, CANCELLATION)
    cases = [d for d in hub.validation.dictionaries.values() if d.family in families]
    icd = RecordDocuments("cases", cases, templates)

    def listing() -> dict[str, dict[str, str]]:
        return {name: {"href": f"{PREFIX}/{name}", "description": describe_document(name)}
                for name in icd.names()}  # fmt: skip

    add_record_icd_routes(
        api,
        icd,
        listing,
        summaries=(
            "List the NamUs case import ICD",
            "One document of the NamUs ICD: HTML, JSON Schema, XSD, templates, sample",
        ),
        operation_ids=("listCaseIcdDocuments", "getCaseIcdDocument"),
        not_found=lambda name: f"no document {name!r} in the NamUs ICD; see {PREFIX}",
    )
    return api

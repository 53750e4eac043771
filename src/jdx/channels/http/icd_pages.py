"""The ICDs served as browsable HTML (issue 18): ``/sdcs/v1/icd``, ``/namus/v1/icd`` and
``/chri/v1/icd``, each with its index and transport chapter beside the record documents.

The prefix's own URL answers a browser (``Accept`` naming ``text/html``) with the index page and
any other client with the JSON listing it always gave (docs/conformance.md, "Issue 18: the ICD
as integration guide"). The transport chapter is made from the running app's OpenAPI document,
once per app. Every HTML document carries a Content-Security-Policy allowing nothing but its
own inline style block, by its hash: the pages have no script at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from jdx.channels.http.common import errors
from jdx.channels.http.docs import HEADERS, inline_hashes
from jdx.channels.http.icd_transport import CHAPTERS, HTML_MEDIA, INDEX, TRANSPORT, chapter_pages
from jdx.channels.http.openapi import answer
from jdx.dictionary.icd import DOCUMENTS, render
from jdx.dictionary.model import Dictionary

_INLINE_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)
HTML_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The documents: JSON, or the index page for a client that accepts "
        "text/html (a browser).",
        "content": {"text/html": {"schema": {"type": "string"}}},
    }
}


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "").lower()


def document_response(content: bytes, media: str) -> Response:
    """A document of an ICD; an HTML one with a policy allowing only its own style block."""
    if not media.startswith("text/html"):
        return Response(content, media_type=media)
    styles = inline_hashes(_INLINE_STYLE, content.decode()) or "'none'"
    policy = (
        f"default-src 'none'; img-src 'self' data:; style-src {styles}; "
        "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
    )
    return HTMLResponse(content, headers={**HEADERS, "Content-Security-Policy": policy})


class ChapterPages:
    """The transport chapter and index of one ICD, made on first use from the app serving it."""

    def __init__(
        self,
        kind: str,
        dictionaries: Callable[[], list[Dictionary]],
        documents: Callable[[], Iterable[str]],
        describe: Callable[[str], str] | None = None,
    ) -> None:
        self.kind = kind
        self.dictionaries = dictionaries
        self.documents = documents
        self.describe = describe
        self._pages: dict[str, bytes] | None = None

    def pages(self, request: Request) -> dict[str, bytes]:
        if self._pages is None:
            prefix = CHAPTERS[self.kind].icd
            self._pages = chapter_pages(
                self.kind,
                request.app.openapi(),
                request.app.state.hub.settings,
                self.dictionaries(),
                self.documents(),
                href=lambda name: f"{prefix}/{name}",
                describe=self.describe,
            )
        return self._pages

    def get(self, request: Request, name: str) -> Response | None:
        """``transport.html`` or ``index.html``; None for any other name."""
        if name not in (TRANSPORT, INDEX):
            return None
        return document_response(self.pages(request)[name], HTML_MEDIA)

    def index(self, request: Request) -> Response:
        return document_response(self.pages(request)[INDEX], HTML_MEDIA)


class RecordDocuments:
    """The record ICD documents of some dictionaries (``dictionary.icd.DOCUMENTS`` of each),
    each rendered once, and the transport chapter and index beside them (``extra``: any other
    files of the ICD, by name, with their media types)."""

    def __init__(
        self,
        kind: str,
        dictionaries: Iterable[Dictionary],
        extra: Callable[[], dict[str, tuple[bytes, str]]] = dict,
    ) -> None:
        self.dictionaries = {d.id: d for d in dictionaries}
        self.extra = extra
        self.chapter = ChapterPages(
            kind, lambda: [self.dictionaries[d] for d in sorted(self.dictionaries)], self.names
        )
        self._rendered: dict[tuple[str, str], bytes] = {}

    def names(self) -> list[str]:
        ids = sorted(self.dictionaries)
        return [*(f"{d}{suffix}" for d in ids for suffix in DOCUMENTS), *self.extra()]

    def response(self, request: Request, name: str) -> Response | None:
        """The record document ``name``; None when the ICD has none of that name."""
        if name in self.extra():
            return document_response(*self.extra()[name])
        for suffix, (_, media) in DOCUMENTS.items():
            dictionary = self.dictionaries.get(name.removesuffix(suffix))
            if name.endswith(suffix) and dictionary is not None:
                key = (dictionary.id, suffix)
                if key not in self._rendered:
                    self._rendered[key] = render(dictionary, suffix)
                return document_response(self._rendered[key], media)
        return None


def add_icd_routes(
    api: APIRouter,
    chapter: ChapterPages,
    listing: Callable[[], Any],
    document: Callable[[Request, str], Response | None],
    *,
    summaries: tuple[str, str],
    operation_ids: tuple[str, str],
    not_found: Callable[[str], str],
    listing_model: Any,
) -> None:
    """An ICD's two routes on ``api``: its prefix (the index page for a browser, ``listing()``
    for any other client) and ``/{name}`` (``document``, the chapter's pages first; a 404 with
    ``not_found(name)`` when neither has it)."""

    def index(request: Request) -> Any:
        return chapter.index(request) if wants_html(request) else listing()

    def get(request: Request, name: str) -> Response:
        found = chapter.get(request, name) or document(request, name)
        if found is None:
            raise HTTPException(404, not_found(name))
        return found

    api.add_api_route(
        "",
        index,
        methods=["GET"],
        summary=summaries[0],
        operation_id=operation_ids[0],
        response_model=listing_model,
        responses=HTML_ANSWER,
    )
    api.add_api_route(
        "/{name}",
        get,
        methods=["GET"],
        summary=summaries[1],
        operation_id=operation_ids[1],
        response_class=Response,
        responses={
            200: answer(
                "The document, in its own media type (a chapter page: text/html).",
                more={"*/*": {"schema": {}}},
            ),
            **errors(404),
        },
    )


def add_record_icd_routes(
    api: APIRouter,
    icd: RecordDocuments,
    listing: Callable[[], dict[str, dict[str, str]]],
    *,
    summaries: tuple[str, str],
    operation_ids: tuple[str, str],
    not_found: Callable[[str], str],
) -> None:
    """:func:`add_icd_routes` of an ICD of record documents, listed by name."""
    add_icd_routes(
        api,
        icd.chapter,
        listing,
        icd.response,
        summaries=summaries,
        operation_ids=operation_ids,
        not_found=not_found,
        listing_model=dict[str, dict[str, str]],
    )

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

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from jdx.channels.http.docs import HEADERS, inline_hashes
from jdx.channels.http.icd_transport import CHAPTERS, HTML_MEDIA, INDEX, TRANSPORT, chapter_pages
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

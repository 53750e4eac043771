"""The API documentation pages, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), working offline.

FastAPI's own pages load their scripts and styles from a CDN: on a hub without internet access
(or behind a proxy that blocks it) they are blank. These pages load the same tools from the
hub, from the files the ``fastapi-offline`` package ships, and carry a Content-Security-Policy
that lets them reach nothing but the hub.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, HTTPException
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response

from jdx.channels.http.common import CATALOGUE, KINDS

STATIC = Path(fastapi_offline.__file__).parent / "static"
ASSETS = "/docs/static"
# The only files served from STATIC, with their types (no guessing from the file system).
ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}

# What both pages need: the tool's script and styles from the hub, the OpenAPI document and
# "Try it out" requests to the hub (connect-src), the data: images of the tools' styles.
_COMMON = (
    "default-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def inline_hashes(pattern: re.Pattern[str], html: str) -> str:
    """CSP source expressions allowing exactly the inline blocks the page has, no others."""
    return " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in pattern.findall(html)
    )


def _page(html: str, policy: str) -> HTMLResponse:
    return HTMLResponse(html, headers={**HEADERS, "Content-Security-Policy": policy})


def router(*, title: str, openapi_url: str) -> APIRouter:
    docs = APIRouter(include_in_schema=False)

    @docs.get("/docs")
    def swagger_ui() -> HTMLResponse:
        html_bytes = get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} - Swagger UI",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            # No validator badge: by default Swagger UI sends the spec's address to
            # validator.swagger.io for it.
            swagger_ui_parameters={"validatorUrl": None},
        ).body
        html = bytes(html_bytes).decode()
        # The page starts Swagger UI with one inline script: allowed by its hash, not by
        # 'unsafe-inline'. Swagger UI sets its inline styles from script (allowed by CSP).
        policy = (
            f"{_COMMON}; script-src 'self' {inline_hashes(_INLINE_SCRIPT, html)}; style-src 'self'"
        )
        return _page(html, policy)

    @docs.get("/redoc")
    def redoc() -> HTMLResponse:
        html_bytes = get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} - ReDoc",
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,  # fonts.googleapis.com: the system's fonts instead
        ).body
        html = bytes(html_bytes).decode()
        # Two exceptions, both ReDoc's: its styles are <style> elements written at run time
        # (styled-components), which no hash can name, so style-src allows inline styles
        # (styles only: scripts stay 'self'); its search index runs in a worker made from a
        # blob: URL, so worker-src allows blob: and nothing else.
        policy = f"{_COMMON}; script-src 'self'; style-src 'self' 'unsafe-inline'; worker-src blob:"
        return _page(html, policy)

    @docs.get(CATALOGUE)
    def problem_catalogue() -> HTMLResponse:
        """The kinds of problem document (``type``: ``/problems#<kind>``), one anchor each."""
        items = "".join(
            f'<dt id="{kind}"><code>{CATALOGUE}#{kind}</code>: {escape(summary)}</dt>'
            f"<dd>{escape(meaning)}</dd>"
            for kind, (summary, meaning) in KINDS.items()
        )
        html = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(title)}: error catalogue</title></head><body>"
            "<h1>Kinds of error</h1><p>Every error of the API routes (outside the stop web "
            "service's answers, whose shape is the SDCS Table 6) is an RFC 9457 problem "
            "document, <code>application/problem+json</code>, with <code>type</code>, "
            "<code>title</code>, <code>status</code>, <code>detail</code> and "
            "<code>instance</code>. Its <code>type</code> is <code>about:blank</code> when the "
            "HTTP status says all there is to say, or one of these kinds:</p>"
            f"<dl>{items}</dl></body></html>"
        )
        return _page(html, f"{_COMMON}; script-src 'none'; style-src 'none'")

    @docs.get(f"{ASSETS}/{{name}}")
    def asset(name: str) -> Response:
        media = ASSET_TYPES.get(name)
        if media is None:
            raise HTTPException(404, f"No asset {name!r} of the documentation pages.")
        return FileResponse(
            STATIC / name,
            media_type=media,
            headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
        )

    return docs

"""Pages: one Jinja2 environment (autoescape always on) and the headers every page carries."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import jinja2
from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response

HERE = Path(__file__).parent
STATIC = HERE / "static"
STATIC_FILES = {
    "htmx.min.js": "text/javascript; charset=utf-8",
    "portal.css": "text/css; charset=utf-8",
}

# Scripts and styles from the hub only; no frames, no plugins, forms post back to the hub.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,  # every template, whatever its name: nothing a client sent is markup
    trim_blocks=True,
    lstrip_blocks=True,
)


# A list page's choices of rows a page (the first is the default); an offset as far as it goes.
PAGE_SIZES = (20, 50, 100)
MAX_OFFSET = 10**9


def check_window(limit: int, offset: int) -> None:
    """400 naming the parameters for a page size the lists do not offer or a negative offset."""
    if limit not in PAGE_SIZES or not 0 <= offset <= MAX_OFFSET:
        raise HTTPException(400, f"limit is one of {PAGE_SIZES}; offset from 0")


def query_day(text: str | None, name: str) -> dt.date | None:
    """A date a page's query names (``2024-03-15``; empty: none), or 400 naming the parameter."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, f"{name}: {text!r} is not a date (YYYY-MM-DD)") from None


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def page(request: Request, template: str, http_status: int = 200, **context: Any) -> Response:
    viewer = getattr(request.state, "viewer", None)
    html = _env.get_template(template).render(
        request=request, viewer=viewer, csrf=viewer.csrf if viewer else "", **context
    )
    return HTMLResponse(html, http_status, headers=SECURITY_HEADERS)


def static_file(name: str) -> Response:
    media = STATIC_FILES.get(name)
    if media is None:
        return Response("not found", 404, media_type="text/plain")
    return Response(
        (STATIC / name).read_bytes(),
        media_type=media,
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )

"""A page of a list over the API (issue 19): every list answers the same paging contract.

``limit`` and ``offset`` in (``common.Limit``, ``common.Offset``); out come the page's items,
``total`` (the rows of every page), the ``limit`` and ``offset`` the page was cut with, and
``next``: the next page's address (the same query, the offset moved on), null on the last page.
A client follows ``next`` until it is null, or jumps to any page from the total. With
``format=csv|xlsx`` (or an ``Accept`` naming the file's media type and not JSON) a list answers
the whole filtered list as a file instead (:func:`list_answer`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import Query, Request
from fastapi.responses import JSONResponse, Response

from jdx.channels.downloads import list_download
from jdx.channels.http.common import timestamp
from jdx.channels.http.openapi import nullable, obj
from jdx.codecs.list_file import FORMATS
from jdx.store.engine import read_only
from jdx.store.paging import Page

T = TypeVar("T")

FormatName = Literal["csv", "xlsx"]
Format = Annotated[
    FormatName | None, Query(description="The whole list as a file instead of a page.")
]
# A list's answer as a file, beside its JSON page (OpenAPI ``content``).
FILE_MEDIA = {media: {"schema": {"type": "string"}} for media in FORMATS.values()}

# The paging fields of a list's answer, beside its items.
PAGE_FIELDS: dict[str, Any] = {
    "total": {"type": "integer", "minimum": 0},
    "limit": {"type": "integer"},
    "offset": {"type": "integer"},
    "next": nullable("string", format="uri-reference"),
}


def page_schema(item: dict[str, Any], *, items: str = "items", **more: Any) -> dict[str, Any]:
    """The schema of a page of ``item``s (under ``items``), with ``more`` required fields."""
    return obj({items: {"type": "array", "items": item}, **more, **PAGE_FIELDS})


def next_link(request: Request, found: Page[Any]) -> str | None:
    """The address of the page after ``found``: the request's own query, the offset moved."""
    if found.next_offset is None:
        return None
    query = dict(request.query_params)
    query.update(limit=str(found.limit), offset=str(found.next_offset))
    return f"{request.url.path}?{urlencode(query)}"


def page_body(
    request: Request,
    found: Page[T],
    shown: Callable[[T], Any] = lambda item: item,
    *,
    items: str = "items",
) -> dict[str, Any]:
    """The JSON of a page: its items (each as ``shown``) under ``items``, and its paging."""
    return {
        items: [shown(item) for item in found.items],
        "total": found.total,
        "limit": found.limit,
        "offset": found.offset,
        "next": next_link(request, found),
    }


def list_answer(
    engine: sa.Engine,
    request: Request,
    format: str | None,
    columns: tuple[str, ...],
    name: str,
    page: Callable[[sa.Connection], Page[dict[str, Any]]],
    every: Callable[[sa.Connection], Iterator[dict[str, Any]]],
) -> Response:
    """One page as JSON, or, when a file is asked for, the whole list (``every``) as
    ``name.<format>``."""
    fmt = wanted_file(request, format)
    with engine.connect() as c:
        conn = read_only(c)
        if fmt is not None:
            return list_download(fmt, columns, every(conn), name)
        found = page(conn)
    return JSONResponse(
        page_body(request, found, lambda item: {k: _json(v) for k, v in item.items()})
    )


def wanted_file(request: Request, format: str | None) -> str | None:
    """The file format asked for: the ``format`` parameter, else an Accept header that names a
    file's media type and not JSON; None: a page."""
    if format is not None:
        return format
    accept = request.headers.get("accept", "")
    if "application/json" in accept:
        return None
    for fmt, media in FORMATS.items():
        if media.split(";")[0] in accept:
            return fmt
    return None


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timestamp(value)
    return value.isoformat() if isinstance(value, dt.date) else value

"""A page of a list over the API (issue 19): every list answers the same paging contract.

``limit`` and ``offset`` in (``common.Limit``, ``common.Offset``); out come the page's items,
``total`` (the rows of every page), the ``limit`` and ``offset`` the page was cut with, and
``next``: the next page's address (the same query, the offset moved on), null on the last page.
A client follows ``next`` until it is null, or jumps to any page from the total.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Request

from jdx.channels.http.openapi import nullable, obj
from jdx.store.paging import Page

T = TypeVar("T")

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

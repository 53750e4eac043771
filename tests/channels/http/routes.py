"""The hub's routes as a walk sees them: the documented ones from ``/openapi.json`` and every
route of the app's table (the portal, the docs and the landing page are not in OpenAPI).

Shared by the suspension walk (test_suspension.py) and the authorisation matrix
(tests/security/test_authorisation_matrix.py), so both walk the same routes and a new route
reaches both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx2 as httpx

# A value for each path parameter, by its OpenAPI type: any well-formed value, for a walk whose
# caller is refused before anything is looked up.
PLACEHOLDERS = {"integer": "1", "string": "R0000001"}
# Bodies of routes whose body FastAPI checks before the route runs (a 400 there says nothing of
# the caller, but a walk wants the route's own answer).
BODIES = {("PUT", "/chri/v1/preference"): b'{"format": "presentation"}'}


def openapi_routes(
    client: httpx.Client, fill: Callable[[str, str, str], str] | None = None
) -> list[tuple[str, str, str]]:
    """(method, templated path, concrete path) of every documented route.

    ``fill(templated path, parameter name, OpenAPI type)`` gives each path parameter's value (a placeholder by
    default); required query parameters get a placeholder, so the answer is the route's, not
    FastAPI's."""
    found = []
    for template, operations in client.get("/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            types = {p["name"]: p.get("schema", {}).get("type", "string") for p in parameters}

            def value(m: re.Match[str], types: dict[str, str] = types, at: str = template) -> str:
                kind = types[m.group(1)]
                return fill(at, m.group(1), kind) if fill else PLACEHOLDERS[kind]

            path = re.sub(r"\{(\w+)\}", value, template)
            query = [
                f"{p['name']}={PLACEHOLDERS.get(types[p['name']], 'x')}"
                for p in parameters
                if p["in"] == "query" and p.get("required")
            ]
            found.append(
                (method.upper(), template, path + ("?" + "&".join(query) if query else ""))
            )
    return found


def _walk(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI's included router: its own routes
            yield from _walk(route.original_router.routes, prefix + route.include_context.prefix)
            continue
        # HEAD is answered by GET's route (Starlette adds it to a GET route): not a route.
        for method in sorted(set(getattr(route, "methods", None) or ()) - {"HEAD"}):
            yield method, prefix + route.path


def app_routes(app: Any) -> set[tuple[str, str]]:
    """(method, templated path) of every route of the app's table, documented or not."""
    return set(_walk(app.routes))

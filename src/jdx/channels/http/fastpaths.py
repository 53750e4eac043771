"""The web service's hot paths, POST /sdcs/v1/stops and PUT /sdcs/v1/stops/{lea_record_id},
taken straight from the ASGI scope.

They run the very handler of their FastAPI routes (which stay, and document them in OpenAPI),
without FastAPI's routing, middleware stack and dependency solving: measured, those cost about
as much CPU as the rest of a request. Anything else passes on to the app unchanged. Like
Starlette's router, they name the route they took in ``scope["route"]``: the request metrics and
traces name it by its template.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from jdx.exchanges.stops.records import Op

STOPS = "/sdcs/v1/stops"


class FastPaths:
    def __init__(
        self,
        app: ASGIApp,
        submit: Callable[[Request, Op, str | None], Awaitable[Response]],
        on_error: Callable[[Request], Response],
        routes: Mapping[Op, BaseRoute] | None = None,
    ) -> None:
        self.app = app
        self.submit = submit
        self.on_error = on_error
        self.routes = dict(routes or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = _route(scope) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        taken = self.routes.get(route[0])
        if taken is not None:
            scope["route"] = taken
        request = Request(scope, receive)
        try:
            response = await self.submit(request, *route)
        except Exception:
            response = self.on_error(request)
        await response(scope, receive, send)


def hot_routes(routes: Sequence[BaseRoute]) -> dict[Op, BaseRoute]:
    """The FastAPI routes that the hot paths stand in for, among ``routes``."""
    wanted = {("POST", STOPS): Op.INSERT, ("PUT", STOPS + "/{lea_record_id}"): Op.UPDATE}
    found: dict[Op, BaseRoute] = {}
    for route in routes:
        for method in getattr(route, "methods", None) or ():
            op = wanted.get((method, str(getattr(route, "path", ""))))
            if op is not None:
                found[op] = route
    return found


def _route(scope: Scope) -> tuple[Op, str | None] | None:
    """(operation, LEA record id of the URL) when the request is one of the hot paths."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    method = scope["method"]
    if method == "POST" and path == STOPS:
        return Op.INSERT, None
    if method == "PUT" and path.startswith(STOPS + "/"):
        lea_record_id = path[len(STOPS) + 1 :]
        if lea_record_id and "/" not in lea_record_id:
            return Op.UPDATE, lea_record_id
    return None

"""The web service's hot paths, POST /sdcs/v1/stops and PUT /sdcs/v1/stops/{lea_record_id},
taken straight from the ASGI scope.

They run the very handler of their FastAPI routes (which stay, and document them in OpenAPI),
without FastAPI's routing, middleware stack and dependency solving: measured, those cost about
as much CPU as the rest of a request. Anything else passes on to the app unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from jdx.exchanges.stops.records import Op

STOPS = "/sdcs/v1/stops"


class FastPaths:
    def __init__(
        self,
        app: ASGIApp,
        submit: Callable[[Request, Op, str | None], Awaitable[Response]],
        on_error: Callable[[Request], Response],
    ) -> None:
        self.app = app
        self.submit = submit
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = _route(scope) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self.submit(request, *route)
        except Exception:
            response = self.on_error(request)
        await response(scope, receive, send)


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

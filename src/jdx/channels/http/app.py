"""The ASGI application: the routers of the registered exchanges on one FastAPI app."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from jdx.channels import web
from jdx.channels.http import chri, chri_icd, docs, files, icd, namus, sdcs
from jdx.channels.http.app_peer import PEER
from jdx.channels.http.common import document_errors
from jdx.channels.http.fastpaths import FastPaths
from jdx.channels.web import landing
from jdx.hub import Hub, create_hub
from jdx.settings import Settings

log = logging.getLogger("jdx.http")

ROUTERS: dict[str, list[Callable[[Hub], APIRouter]]] = {
    "stops": [sdcs.router, icd.router, files.router],
    "cases": [namus.router, web.router],
    "rapsheets": [chri.router, chri_icd.router],
}


class PeerMiddleware:
    """Keeps the TCP peer's address in ``scope["jdx.peer"]`` before X-Forwarded-For (applied
    from ``trusted_proxies`` only, as uvicorn would) replaces ``scope["client"]``: what a proxy
    forwards, such as the client certificate, is trusted by the peer's address, never by a
    header."""

    def __init__(self, app: ASGIApp, trusted_proxies: list[str]) -> None:
        self.app = ProxyHeadersMiddleware(app, trusted_hosts=trusted_proxies)  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            scope[PEER] = client[0] if client else None
        await self.app(scope, receive, send)  # type: ignore[arg-type]


class HubApp(FastAPI):
    """FastAPI with two layers in front of its own middleware stack: the peer's address kept
    (:class:`PeerMiddleware`), then the stop web service's hot paths (``fastpaths.py``).

    In front, not inside: FastAPI's own layers (the server error handler, its telemetry
    middleware, which looks up the tracer and meter providers on every request, the body
    limit) cost as much as the hot path's own HTTP handling, and the hot paths answer every
    error themselves, body size included."""

    fast_paths: tuple[Callable[..., Awaitable[Response]], Callable[[Request], Response]] | None
    trusted_proxies: list[str]

    def openapi(self) -> dict[str, Any]:
        fresh = self.openapi_schema is None
        schema = super().openapi()
        if fresh:
            document_errors(schema)
        return schema

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        if self.fast_paths is not None:
            submit, on_error = self.fast_paths
            stack = FastPaths(stack, submit=submit, on_error=on_error)
        return PeerMiddleware(stack, trusted_proxies=self.trusted_proxies)


def create_app(settings: Settings | None = None, *, hub: Hub | None = None) -> FastAPI:
    if hub is None:
        if settings is None:
            raise ValueError("create_app needs settings or a hub")
        hub = create_hub(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        hub.refresh_domains(force=True)
        yield

    app = HubApp(
        title="jdx: justice data exchange hub",
        version="0.1.0",
        description="Stop data (AB 953 SDCS), NamUs case import and interstate rap sheets.",
        lifespan=lifespan,
        # /docs and /redoc are the hub's own (docs.py): FastAPI's load their scripts from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.hub = hub
    app.fast_paths = None
    app.trusted_proxies = hub.settings.trusted_proxies
    app.include_router(docs.router(title=app.title, openapi_url=app.openapi_url or "/openapi.json"))
    app.include_router(landing.router(hub))
    for name in hub.exchanges:
        for make_router in ROUTERS.get(name, []):
            router = make_router(hub)
            app.include_router(router)
            if isinstance(router, sdcs.SdcsRouter):
                app.fast_paths = (router.submit, sdcs.system_error)

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, Any]:
        """Up; and the domain tables that are empty, whose checks every answer skips."""
        hub.refresh_domains()
        return {"status": "ok", "empty_domain_tables": hub.validation.missing_domains()}

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if web.is_portal(request):
            return web.error_response(request, exc)
        return JSONResponse({"error": exc.detail}, exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def request_error(request: Request, exc: RequestValidationError) -> Response:
        status, body = invalid_request(exc)
        if web.is_portal(request):
            return web.error_response(request, HTTPException(status, body["error"]))
        return JSONResponse(body, status)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, _exc: Exception) -> Response:
        if request.url.path.startswith("/sdcs/"):
            return sdcs.system_error(request)
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse({"error": "internal error"}, 500)

    return app


def invalid_request(exc: RequestValidationError) -> tuple[int, dict[str, Any]]:
    """The status and body of a request FastAPI refused, each problem naming its parameter.

    A path parameter that is not valid (``/namus/v1/jobs/1e30``: above the largest id, or not
    an integer) names no resource: 404, as an id that does not exist is answered. Anything else
    (a query parameter out of its range, a body field) is 422, the status FastAPI documents for
    every route with parameters."""
    problems = [
        {"field": ".".join(str(p) for p in e.get("loc", ())), "message": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    in_path = any(e.get("loc", ("",))[0] == "path" for e in exc.errors())
    what = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    if in_path:
        return 404, {"error": f"not found: {what}", "problems": problems}
    return 422, {"error": f"invalid request: {what}", "problems": problems}


def app_from_environment() -> FastAPI:
    """The app of one ``jdx serve`` worker process, configured from JDX_* variables."""
    from jdx.settings import load_settings

    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    app = create_app(settings)
    # The hub's long-lived objects (validators, tables, routes) out of the collector's way: a
    # full collection walks them all, stalling the event loop under load (measured, SQLite, one
    # worker, 32 clients: p99 152 and 166 ms without, 64 and 58 ms with; CPU per request alike).
    gc.collect()
    gc.freeze()
    return app

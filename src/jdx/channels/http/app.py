"""The ASGI application: the routers of the registered exchanges on one FastAPI app."""

from __future__ import annotations

import gc
import importlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from jdx import logs
from jdx.channels import web
from jdx.channels.http import docs, metrics, openapi, sdcs
from jdx.channels.http import health as readiness
from jdx.channels.http.app_peer import FROM_PROXY, PEER, SECRET_HEADER, ProxyTrust
from jdx.channels.http.common import (
    ProblemError,
    problem,
    problem_of,
    problems_of,
)
from jdx.channels.http.deadlines import BodyDeadline
from jdx.channels.http.fastpaths import FastPaths, hot_routes
from jdx.channels.http.request_ids import RequestIds
from jdx.channels.web import landing
from jdx.hub import Hub, create_hub
from jdx.settings import Settings
from jdx.tracing import tracer_provider

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

log = logging.getLogger("jdx.http")


def exchange_routers(hub: Hub) -> Iterator[APIRouter]:
    """The routers of every registered exchange, in the order the hub registered them: each
    exchange names the channel modules that serve it (``Exchange.routes``; it may not import
    them itself), and each such module has ``router(hub) -> APIRouter``."""
    for exchange in hub.exchanges.values():
        for name in exchange.routes:
            router = importlib.import_module(name).router(hub)
            if not isinstance(router, APIRouter):
                raise TypeError(f"{name}.router of the {exchange.name} exchange: not an APIRouter")
            yield router


class PeerMiddleware:
    """Keeps the TCP peer's address in ``scope["jdx.peer"]``, decides whether the request came
    from the proxy in front (``scope["jdx.from_proxy"]``, :class:`app_peer.ProxyTrust`), and
    only then applies its X-Forwarded-For and X-Forwarded-Proto (as uvicorn would) to
    ``scope["client"]`` and the scheme: what a proxy forwards, such as the client certificate,
    is trusted by the door the request came through, never by a header."""

    def __init__(self, app: ASGIApp, trust: ProxyTrust) -> None:
        self.app = app
        self.trust = trust
        # the socket's every connection is the proxy's; over TCP, the rightmost untrusted address
        self.via_socket = ProxyHeadersMiddleware(app, trusted_hosts="*")  # type: ignore[arg-type]
        self.via_tcp = ProxyHeadersMiddleware(app, trusted_hosts=list(trust.addresses))  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        scope[PEER] = client[0] if client else None
        trusted = scope[FROM_PROXY] = self.trust.believes(scope)
        # the deployment's secret goes no further than this check (no handler, no log sees it)
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k != SECRET_HEADER]
        if not trusted:
            await self.app(scope, receive, send)
        elif client is None:
            await self.via_socket(scope, receive, send)  # type: ignore[arg-type]
        else:
            await self.via_tcp(scope, receive, send)  # type: ignore[arg-type]


class HubApp(FastAPI):
    """FastAPI with layers in front of its own middleware stack: the request id
    (``request_ids.py``), the span of optional tracing (``jdx/tracing.py``), the request metrics
    (``metrics.py``), the body's time limit, the peer's address kept (:class:`PeerMiddleware`),
    then the stop web service's hot paths (``fastpaths.py``).

    In front, not inside: FastAPI's own layers (the server error handler, its telemetry
    middleware, which looks up the tracer and meter providers on every request, the body
    limit) cost as much as the hot path's own HTTP handling, and the hot paths answer every
    error themselves, body size included."""

    fast_paths: (
        tuple[Callable[..., Awaitable[Response]], Callable[[Request], Response], APIRouter] | None
    )
    proxy_trust: ProxyTrust
    body_deadline: tuple[float, int]  # (request_body_timeout_seconds, request_body_min_rate)
    tracer_provider: TracerProvider | None
    client_certificate: bool  # the NamUs routes take a client certificate (openapi.py)

    def openapi(self) -> dict[str, Any]:
        fresh = self.openapi_schema is None
        schema = super().openapi()
        if fresh:
            openapi.finish(schema, client_certificate=self.client_certificate)
        return schema

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        if self.fast_paths is not None:
            submit, on_error, hot = self.fast_paths
            stack = FastPaths(
                stack, submit=submit, on_error=on_error, routes=hot_routes(hot.routes)
            )
        timeout, min_rate = self.body_deadline
        stack = BodyDeadline(PeerMiddleware(stack, self.proxy_trust), timeout, min_rate)
        stack = metrics.RequestMetrics(stack)
        if self.tracer_provider is not None:
            from starlette.middleware.opentelemetry import OpenTelemetryMiddleware

            stack = OpenTelemetryMiddleware(stack, tracer_provider=self.tracer_provider)
        return RequestIds(stack)


def create_app(
    settings: Settings | None = None,
    *,
    hub: Hub | None = None,
    tracing: TracerProvider | None = None,
) -> FastAPI:
    """The app of ``hub`` (or of a hub made from ``settings``); ``tracing`` is the provider of
    its spans, by default the one the settings ask for (none: ``jdx/tracing.py``)."""
    if hub is None:
        if settings is None:
            raise ValueError("create_app needs settings or a hub")
        hub = create_hub(settings)
    if tracing is None:
        tracing = tracer_provider(hub.settings)

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
        # Spans come from one layer in front of everything (HubApp), the hot paths included,
        # and only when tracing is on; FastAPI's own telemetry would look up the providers on
        # every request for nothing.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        generate_unique_id_function=openapi.operation_id,
    )
    app.state.hub = hub
    app.fast_paths = None
    app.tracer_provider = tracing
    app.client_certificate = hub.settings.namus_require_client_cert
    settings = hub.settings
    app.proxy_trust = ProxyTrust(
        str(settings.uds) if settings.uds else None,
        tuple(settings.trusted_proxies),
        settings.proxy_secret,
    )
    app.body_deadline = (settings.request_body_timeout_seconds, settings.request_body_min_rate)
    app.include_router(docs.router(title=app.title, openapi_url=app.openapi_url or "/openapi.json"))
    app.include_router(landing.router(hub))
    app.include_router(readiness.router(hub))
    app.include_router(metrics.router(hub))
    for router in exchange_routers(hub):
        app.include_router(router)
        if isinstance(router, sdcs.SdcsRouter):
            app.fast_paths = (router.submit, sdcs.system_error, router)

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, Any]:
        """Up; and the domain tables that are empty, whose checks every answer skips."""
        hub.refresh_domains()
        return {"status": "ok", "empty_domain_tables": hub.validation.missing_domains()}

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if web.is_portal(request):
            return web.error_response(request, exc)
        return problem_of(request.url.path, exc)

    @app.exception_handler(RequestValidationError)
    async def request_error(request: Request, exc: RequestValidationError) -> Response:
        refused = invalid_request(exc)
        if web.is_portal(request):
            return web.error_response(request, HTTPException(refused.status_code, refused.detail))
        return problem_of(request.url.path, refused)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, _exc: Exception) -> Response:
        if request.url.path.startswith(sdcs.STOPS):  # the stop web service's Table 6 answer
            return sdcs.system_error(request)
        ref = uuid.uuid4().hex[:12]
        log.exception("unexpected error on %s, reference %s", request.url.path, ref)
        return problem(
            request.url.path,
            500,
            f"The hub failed on this request; tell support the reference {ref}.",
            kind="server-error",
            reference=ref,
        )

    return app


def invalid_request(exc: RequestValidationError) -> ProblemError:
    """The problem of a request FastAPI refused, each of its ``problems`` naming a parameter.

    A path parameter that is not valid (``/namus/v1/jobs/1e30``: above the largest id, or not
    an integer) names no resource: 404, as an id that does not exist is answered. Anything else
    (a query parameter out of its range, a body field) is 422, the status FastAPI documents for
    every route with parameters."""
    problems = problems_of(
        (".".join(str(p) for p in e.get("loc", ())), str(e.get("msg", ""))) for e in exc.errors()
    )
    in_path = any(e.get("loc", ("",))[0] == "path" for e in exc.errors())
    what = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    if in_path:
        return ProblemError(404, f"Nothing is found at this path: {what}", problems=problems)
    return ProblemError(
        422, f"The request is not valid: {what}", kind="invalid-request", problems=problems
    )


def app_from_environment() -> FastAPI:
    """The app of one ``jdx serve`` worker process, configured from JDX_* variables."""
    from jdx import memory
    from jdx.settings import load_settings

    memory.limit_arenas()  # a worker process: before its threads start (jdx.memory)
    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    app = create_app(settings)
    # The hub's long-lived objects (validators, tables, routes) out of the collector's way: a
    # full collection walks them all, stalling the event loop under load (measured, SQLite, one
    # worker, 32 clients: p99 152 and 166 ms without, 64 and 58 ms with; CPU per request alike).
    gc.collect()
    gc.freeze()
    memory.start_trimming()  # one a process: the hub's own already has it with one worker
    return app

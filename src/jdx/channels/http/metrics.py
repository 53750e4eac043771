"""``GET /metrics``: Prometheus's text format, from the official client (prometheus_client).

Two kinds of figures:

- **Requests** (:class:`RequestMetrics`, the outermost layer of the app, so the stop web
  service's hot paths are counted as every other route): ``jdx_http_requests_total`` by method,
  route template and status, and ``jdx_http_request_duration_seconds``, a histogram by method and
  route template. A route is its template (``/sdcs/v1/stops/{lea_record_id}``), never the path
  a client sent: that would make a series per record. A request no route took is ``unmatched``.
  Under ``jdx serve`` every worker process counts in files that ``/metrics`` adds up
  (``metrics_files.py``); in one process (tests, an app built in code) they are counted in
  memory.
- **State** (``metrics_state.py``): files, jobs, queues, mail and merges, counted from the
  database at each scrape.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Counter, Histogram, values
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jdx.channels.http.metrics_state import HubState
from jdx.hub import Hub

UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# From a one-stop answer (about a millisecond) to a large upload (minutes).
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

# The request metrics of this process (in multiprocess mode, their values go to its files).
REQUESTS_REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "jdx_http_requests",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
    registry=REQUESTS_REGISTRY,
)
DURATION = Histogram(
    "jdx_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method and route template",
    ["method", "route"],
    buckets=BUCKETS,
    registry=REQUESTS_REGISTRY,
)


def route_of(scope: Scope) -> str:
    """The template of the route that took the request (``scope["route"]``, set by Starlette's
    router and by the hot paths), else ``unmatched``."""
    route = scope.get("route")
    if route is None:
        return UNMATCHED
    if isinstance(route, Mount):
        return f"{route.path}/{{path}}"
    template = getattr(route, "path_format", None)
    return template if isinstance(template, str) else UNMATCHED


class RequestMetrics:
    """Counts and times every HTTP request (module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # (method, route, status) → the counter and histogram children: labels() looks them up
        # under a lock and converts every value each time; a request here costs a dict look-up.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers for an app that fails before its answer

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            key = (method, route_of(scope), status)
            children = self._children.get(key)
            if children is None:
                children = self._children[key] = (
                    REQUESTS.labels(method, key[1], str(status)),
                    DURATION.labels(method, key[1]),
                )
            children[0].inc()
            children[1].observe(time.perf_counter() - started)


def counted_in_files() -> bool:
    """Whether this process's metric values go to the multiprocess folder: decided by
    prometheus_client when it was imported, by ``PROMETHEUS_MULTIPROC_DIR`` then."""
    return bool(getattr(values.ValueClass, "_multiprocess", False))


def registry(hub: Hub) -> CollectorRegistry:
    """What ``/metrics`` shows: the request metrics of every worker, and the hub's state."""
    shown = CollectorRegistry(auto_describe=False)
    if counted_in_files():
        MultiProcessCollector(shown)  # type: ignore[no-untyped-call]
    else:
        shown.register(_Forward(REQUESTS_REGISTRY))
    shown.register(HubState(hub))
    return shown


class _Forward(Collector):
    """The collectors of another registry (this process's request metrics)."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Any:
        return self.source.collect()


def router(hub: Hub) -> APIRouter:
    shown = registry(hub)
    api = APIRouter()

    @api.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        """Prometheus's text format (or OpenMetrics, when the scraper asks for it)."""
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(shown), headers={"Content-Type": content_type})

    return api

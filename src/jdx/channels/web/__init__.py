"""The portal (issue 4): server-rendered pages (Jinja2, htmx vendored) at ``/portal``.

RPS review of cases and cancellation requests, a client's jobs and results and its job file
uploads, and the administration of users, import accounts, sponsors, regions and limits. Pages
call the exchanges' services with the logged-in user's :class:`~jdx.security.actors.Actor`, so
the portal and the API share one set of rules; every page checks the role on the server.
"""

from __future__ import annotations

from http import HTTPStatus

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from jdx.channels.web import (
    account,
    admin,
    auth,
    dashboard,
    files,
    jobs,
    operations,
    review,
    stops,
)
from jdx.channels.web.render import is_htmx, page, static_file
from jdx.hub import Hub

PREFIX = auth.PREFIX


def router(hub: Hub) -> APIRouter:
    portal = APIRouter(include_in_schema=False)
    portal.include_router(auth.router(hub))
    viewer, role = auth.dependencies(hub)
    for area in (review, jobs, stops, files, dashboard, operations, admin, account):
        portal.include_router(area.router(hub, role))

    @portal.get(f"{PREFIX}/static/{{name}}")
    def static(name: str) -> Response:
        return static_file(name)

    @portal.get(PREFIX)
    @portal.get(f"{PREFIX}/")
    async def home(request: Request) -> Response:
        who = await viewer(request)
        return RedirectResponse(auth.home_of(who.actor), 303)

    return portal


def is_portal(request: Request) -> bool:
    return request.url.path == PREFIX or request.url.path.startswith(f"{PREFIX}/")


def error_response(request: Request, exc: HTTPException) -> Response:
    """A portal error as a page; not logged in: to the login page (htmx: ``HX-Redirect``)."""
    if isinstance(exc, auth.LoginRequired):
        if is_htmx(request):
            return Response(status_code=401, headers={"HX-Redirect": f"{PREFIX}/login"})
        return RedirectResponse(f"{PREFIX}/login", 303)
    template = "_error_fragment.html" if is_htmx(request) else "error.html"
    return page(
        request,
        template,
        exc.status_code,
        status=exc.status_code,
        message=exc.detail,
        # the page's heading: "Not Found" (an unregistered status: "Error")
        phrase=next((s.phrase for s in HTTPStatus if s == exc.status_code), "Error"),
    )

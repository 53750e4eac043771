"""Login (password, then a TOTP code), the session cookie, CSRF and the role check of every page.

Every portal page depends on :func:`viewer` (any logged-in user) or :func:`role` (some roles);
both refuse an unsafe method whose CSRF token (form field ``csrf`` or header ``X-CSRF-Token``,
which the base page gives every htmx request) is not the session's. The cookie is HttpOnly and
SameSite=Strict, and Secure when the request came over https (``X-Forwarded-Proto`` from a
trusted proxy, see ``deploy/nginx/jdx.conf``).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import sqlalchemy as sa
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from jdx.channels.web.render import page
from jdx.hub import Hub
from jdx.security import credentials
from jdx.security.actors import Actor
from jdx.security.standing import Suspended
from jdx.security.users import User, UserError, actor_of, get_user
from jdx.store.engine import read_only, write_transaction
from jdx.store.queries import audit

COOKIE = "jdx_session"
LOGIN_COOKIE = "jdx_login"  # double-submit token of the login form, before any session
PREFIX = "/portal"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
REFUSED = "User name, password or code not accepted."


@dataclass(frozen=True)
class Viewer:
    user: User
    actor: Actor
    csrf: str
    token: str


Dependency = Callable[[Request], Awaitable[Viewer]]  # what a page's ``Depends`` takes


class LoginRequired(HTTPException):
    def __init__(self) -> None:
        super().__init__(401, "log in first")


def _set_cookie(request: Request, response: Response, name: str, value: str, age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _presented_csrf(request: Request, form_value: str | None) -> str | None:
    return request.headers.get("x-csrf-token") or form_value


def _load(hub: Hub, token: str) -> tuple[credentials.Session, User, Actor] | None:
    """The session, user and actor of a cookie; None: log in. A client of a suspended agency
    is told so (403) on every page and form, whatever its session (standing.py)."""
    with hub.engine.connect() as conn:
        session = credentials.session_of(read_only(conn), token)
        if session is None or session.stage != "full":
            return None
        user = get_user(read_only(conn), session.user_id)
        try:
            actor = actor_of(read_only(conn), session.user_id)
        except Suspended as exc:
            raise HTTPException(403, str(exc)) from None
        except UserError:
            return None
    if session.stale:
        with write_transaction(hub.engine) as conn:
            credentials.touch(conn, token)
    assert user is not None
    return session, user, actor


def dependencies(hub: Hub) -> tuple[Dependency, Callable[..., Dependency]]:
    """(``viewer``, ``role(*roles)``): the FastAPI dependencies of every portal page."""

    async def viewer(request: Request) -> Viewer:
        token = request.cookies.get(COOKIE, "")
        found = await run_in_threadpool(_load, hub, token) if token else None
        if found is None:
            raise LoginRequired()
        session, user, actor = found
        if request.method in UNSAFE:
            form_value = None
            if "x-csrf-token" not in request.headers:
                form = await request.form()
                value = form.get("csrf")
                form_value = value if isinstance(value, str) else None
            if not credentials.csrf_matches(session, _presented_csrf(request, form_value)):
                raise HTTPException(403, "the form is stale or not the portal's (CSRF token)")
        found_viewer = Viewer(user, actor, session.csrf, token)
        request.state.viewer = found_viewer
        return found_viewer

    def role(*roles: str) -> Dependency:
        async def check(request: Request) -> Viewer:
            who = await viewer(request)
            if who.actor.role not in roles:
                raise HTTPException(403, "this page is not for your role")
            return who

        return check

    return viewer, role


def home_of(actor: Actor) -> str:
    return {"rps": "/portal/review", "client": "/portal/jobs", "admin": "/portal/admin/users"}[
        actor.role
    ]


def router(hub: Hub) -> APIRouter:
    api = APIRouter(prefix=PREFIX)

    def login_form(request: Request, error: str = "", status: int = 200) -> Response:
        token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
        response = page(request, "auth/login.html", status, login_token=token, error=error)
        _set_cookie(request, response, LOGIN_COOKIE, token, 3600)
        return response

    @api.get("/login", include_in_schema=False)
    def login_page(request: Request) -> Response:
        return login_form(request)

    @api.post("/login", include_in_schema=False)
    def login(
        request: Request,
        username: str = Form(""),
        password: str = Form(""),
        login_token: str = Form(""),
    ) -> Response:
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not expected or not secrets.compare_digest(expected, login_token):
            return login_form(request, "The login form expired: please try again.", 403)
        session = _password_step(hub, username[:100], password[:1000])
        if session is None:
            return login_form(request, REFUSED, 401)
        response = RedirectResponse(f"{PREFIX}/login/code", 303)
        _set_cookie(request, response, COOKIE, session.token, 300)
        return response

    def pending(request: Request) -> credentials.Session | None:
        with hub.engine.connect() as conn:
            session = credentials.session_of(read_only(conn), request.cookies.get(COOKIE, ""))
        return session if session is not None and session.stage == "password" else None

    @api.get("/login/code", include_in_schema=False)
    def code_page(request: Request) -> Response:
        session = pending(request)
        if session is None:
            return RedirectResponse(f"{PREFIX}/login", 303)
        return page(request, "auth/code.html", csrf_token=session.csrf, error="")

    @api.post("/login/code", include_in_schema=False)
    def code(request: Request, code: str = Form(""), csrf: str = Form("")) -> Response:
        session = pending(request)
        if session is None or not credentials.csrf_matches(session, csrf):
            return RedirectResponse(f"{PREFIX}/login", 303)
        full, retry = _code_step(hub, session, code[:20])
        if full is None:
            if retry is None:
                return login_form(request, REFUSED, 401)
            response = page(request, "auth/code.html", 401, csrf_token=retry.csrf, error=REFUSED)
            _set_cookie(request, response, COOKIE, retry.token, 300)
            return response
        response = RedirectResponse(f"{PREFIX}/", 303)
        _set_cookie(
            request, response, COOKIE, full.token, int(credentials.SESSION_FOR.total_seconds())
        )
        response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
        return response

    viewer, _role = dependencies(hub)

    @api.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        who = await viewer(request)
        await run_in_threadpool(_logout, who)
        response = RedirectResponse(f"{PREFIX}/login", 303)
        response.delete_cookie(COOKIE, path=PREFIX)
        return response

    def _logout(who: Viewer) -> None:
        with write_transaction(hub.engine) as conn:
            credentials.end_session(conn, who.token)
            _audit(conn, who.user.username, "logout", True)

    return api


def _password_step(hub: Hub, username: str, password: str) -> credentials.Session | None:
    """A pending session (it can only offer the code) when the password opens the account."""
    with write_transaction(hub.engine) as conn:
        credentials.sweep(conn)
        attempt = credentials.check_password(conn, username, password)
        _audit(conn, username, "login-password", attempt.user_id is not None)
        if attempt.user_id is None:
            return None
        return credentials.open_session(conn, attempt.user_id, "password")


def _code_step(
    hub: Hub, pending: credentials.Session, code: str
) -> tuple[credentials.Session | None, credentials.Session | None]:
    """(the full session the code opens, or None; a new pending one to try again, unless the
    account locked). The pending token ends either way: nothing seen before the second factor
    is worth anything after it."""
    with write_transaction(hub.engine) as conn:
        attempt = credentials.check_code(conn, pending.user_id, code)
        user = get_user(conn, pending.user_id)
        _audit(conn, user.username if user else "?", "login-code", attempt.user_id is not None)
        credentials.end_session(conn, pending.token)
        if attempt.user_id is not None:
            return credentials.open_session(conn, pending.user_id, "full"), None
        if attempt.locked_until is not None:
            return None, None
        return None, credentials.open_session(conn, pending.user_id, "password")


def _audit(conn: sa.Connection, username: str, action: str, ok: bool) -> None:
    audit(
        conn,
        exchange="portal",
        actor=username.strip()[:100] or "anonymous",
        channel="portal",
        action=action,
        outcome="accepted" if ok else "refused",
    )

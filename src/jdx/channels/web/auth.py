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
from jdx.security import credentials, passwords, throttle
from jdx.security.actors import Actor
from jdx.security.standing import Suspended
from jdx.security.users import User, UserError, actor_of, get_user
from jdx.store.engine import read_only, write_transaction
from jdx.store.queries import audit, now

COOKIE = "jdx_session"
LOGIN_COOKIE = "jdx_login"  # double-submit token of the login form, before any session
PREFIX = "/portal"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
REFUSED = "User name, password or code not accepted."
GUARDED = (
    "Too many failed log-ins for this user name from elsewhere: give your authenticator code "
    "together with your password."
)
CHANNEL = "portal"  # the throttle's name for the portal's accounts


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

    def login_form(
        request: Request,
        error: str = "",
        status: int = 200,
        *,
        with_code: bool = False,
        retry_after: int = 0,
    ) -> Response:
        token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
        response = page(
            request, "auth/login.html", status, login_token=token, error=error, with_code=with_code
        )
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
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
        code: str = Form(""),
    ) -> Response:
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not expected or not secrets.compare_digest(expected, login_token):
            return login_form(request, "The login form expired: please try again.", 403)
        step = _password_step(hub, username[:100], password[:1000], code[:40], address_of(request))
        if step.wait:
            error = f"Too many failed log-ins from your address: try again in {step.wait} s."
            return login_form(request, error, 429, retry_after=step.wait)
        if step.busy:
            error = "The hub is busy checking other log-ins: try again in a moment."
            return login_form(request, error, 503, retry_after=passwords.Busy.retry_after)
        if step.session is None:
            error = GUARDED if step.guarded and not code else REFUSED
            return login_form(request, error, 401, with_code=step.guarded)
        if step.session.stage == "full":  # password and code together, on a guarded account
            return _logged_in(request, step.session)
        response = RedirectResponse(f"{PREFIX}/login/code", 303)
        _set_cookie(request, response, COOKIE, step.session.token, 300)
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
        full, retry = _code_step(hub, session, code[:40], address_of(request))
        if full is None:
            if retry is None:
                return login_form(request, REFUSED, 401)
            response = page(request, "auth/code.html", 401, csrf_token=retry.csrf, error=REFUSED)
            _set_cookie(request, response, COOKIE, retry.token, 300)
            return response
        return _logged_in(request, full)

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


def address_of(request: Request) -> str:
    """The client's address (X-Forwarded-For only from a trusted proxy: http/app.py)."""
    return request.client.host if request.client else "unknown"


def _logged_in(request: Request, full: credentials.Session) -> Response:
    response = RedirectResponse(f"{PREFIX}/", 303)
    _set_cookie(request, response, COOKIE, full.token, int(credentials.SESSION_FOR.total_seconds()))
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@dataclass(frozen=True)
class _Step:
    """The password step's outcome: a session, or why not (for the page to say)."""

    session: credentials.Session | None = None  # pending; full when the code came with it
    wait: int = 0  # the address waits this many seconds (429)
    busy: bool = False  # no hashing slot (503)
    guarded: bool = False  # the account wants the code with the password (401, code field)


def _password_step(hub: Hub, username: str, password: str, code: str, address: str) -> _Step:
    """A pending session (it can only offer the code) when the password opens the account; a
    full one when the account is guarded (security/throttle.py) and the code came with it.

    The throttle is asked before the hash: an address that waits costs no hash at all. The hash
    runs outside the write transaction, under the process's cap (passwords.py)."""
    name, moment = username.strip(), now()
    with hub.engine.connect() as conn:
        verdict = throttle.check(read_only(conn), CHANNEL, name, address, moment)
        holder = credentials.holder_of(read_only(conn), name)
    if verdict.wait or (verdict.guarded and not code):
        with write_transaction(hub.engine) as conn:
            throttle.failed(conn, verdict, moment)
            _audit(conn, name, "login-password", False)
        return _Step(wait=verdict.retry_after if verdict.wait else 0, guarded=verdict.guarded)
    try:
        attempt = credentials.password_opens(holder, password, moment)
        fresh = credentials.rehashed(holder, password) if attempt.user_id and holder else None
    except passwords.Busy:
        return _Step(busy=True)  # not the client's failure: nothing counted
    with write_transaction(hub.engine) as conn:
        credentials.sweep(conn)
        throttle.sweep(conn, moment)
        if fresh is not None and holder is not None:
            credentials.store_rehash(conn, holder, fresh)
        user_id = attempt.user_id
        if user_id is not None and verdict.guarded:
            user_id = credentials.check_code(conn, user_id, code).user_id
        _audit(conn, name, "login-password", user_id is not None)
        if user_id is None:
            throttle.failed(conn, verdict, moment)
            return _Step(guarded=verdict.guarded)
        if verdict.guarded:
            throttle.succeeded(conn, CHANNEL, name, address, moment)
            return _Step(credentials.open_session(conn, user_id, "full"))
        return _Step(credentials.open_session(conn, user_id, "password"))


def _code_step(
    hub: Hub, pending: credentials.Session, code: str, address: str
) -> tuple[credentials.Session | None, credentials.Session | None]:
    """(the full session the code opens, or None; a new pending one to try again, unless the
    account locked). The pending token ends either way: nothing seen before the second factor
    is worth anything after it. A full login makes the address known-good for the user."""
    moment = now()
    with write_transaction(hub.engine) as conn:
        attempt = credentials.check_code(conn, pending.user_id, code)
        user = get_user(conn, pending.user_id)
        name = user.username if user else "?"
        _audit(conn, name, "login-code", attempt.user_id is not None)
        credentials.end_session(conn, pending.token)
        if attempt.user_id is not None:
            throttle.succeeded(conn, CHANNEL, name, address, moment)
            return credentials.open_session(conn, pending.user_id, "full"), None
        throttle.failed(conn, throttle.check(conn, CHANNEL, name, address, moment), moment)
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

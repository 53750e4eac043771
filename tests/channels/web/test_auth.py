"""Portal login: password then TOTP, lockout, replayed codes, sessions, CSRF and roles."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.testclient import TestClient

from jdx.hub import Hub
from jdx.security import credentials, totp, users
from jdx.security.credentials import web_sessions
from tests.channels.web.conftest import (
    PASSWORD,
    csrf_of,
    hidden,
    login,
    make_user,
    new_address,
)
from tests.conftest import AgencyFixture


def test_rfc6238_test_vectors() -> None:
    # RFC 6238 appendix B, SHA-1, secret "12345678901234567890" (8 digits there; 6 here).
    import base64

    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp.code_at(secret, 59 // 30) == "287082"
    assert totp.code_at(secret, 1111111109 // 30) == "081804"
    assert totp.code_at(secret, 2000000000 // 30) == "279037"


def test_password_and_code_open_a_session_with_safe_cookie(hub: Hub, portal: Any) -> None:
    rps = make_user(hub, "rps", regions=("region-9",))
    done = login(portal, rps)
    assert done.status_code == 303 and done.headers["location"] == "/portal/"
    cookie = done.headers["set-cookie"]
    assert "jdx_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain http from the test client
    home = portal.get("/portal/", follow_redirects=False)
    assert home.headers["location"] == "/portal/review"
    queue = portal.get("/portal/review")
    assert queue.status_code == 200 and "Review queue" in queue.text
    assert "Content-Security-Policy" in queue.headers
    # the database holds only the token's hash
    token = portal.cookies.get("jdx_session")
    with hub.engine.connect() as conn:
        stored = (
            conn.execute(
                sa.select(web_sessions.c.token_hash).where(web_sessions.c.user_id == rps.id)
            )
            .scalars()
            .all()
        )
    assert stored and token not in stored


def test_cookies_are_secure_behind_the_https_proxy(app: Any) -> None:
    # nginx sets X-Forwarded-Proto; the hub believes it from trusted_proxies only
    with TestClient(app, base_url="http://testserver", client=("127.0.0.1", 50002)) as proxied:
        behind = proxied.get("/portal/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in behind.headers["set-cookie"]
    with TestClient(app, base_url="http://testserver", client=("10.9.8.7", 50002)) as direct:
        forged = direct.get("/portal/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in forged.headers["set-cookie"]


def test_the_password_alone_opens_nothing(hub: Hub, portal: Any) -> None:
    rps = make_user(hub, "rps")
    form = portal.get("/portal/login")
    portal.post(
        "/portal/login",
        data={
            "username": rps.username,
            "password": PASSWORD,
            "login_token": hidden(form.text, "login_token"),
        },
    )
    assert portal.get("/portal/review", follow_redirects=False).headers["location"] == (
        "/portal/login"
    )


def test_wrong_password_unknown_user_and_wrong_code_read_the_same(hub: Hub, portal: Any) -> None:
    rps = make_user(hub, "rps")
    wrong = login(portal, rps, password="not the password at all")
    assert wrong.status_code == 401 and "not accepted" in wrong.text
    form = portal.get("/portal/login")
    unknown = portal.post(
        "/portal/login",
        data={
            "username": "nobody-here",
            "password": PASSWORD,
            "login_token": hidden(form.text, "login_token"),
        },
    )
    assert unknown.status_code == 401 and "not accepted" in unknown.text
    form = portal.get("/portal/login")
    portal.post(
        "/portal/login",
        data={
            "username": rps.username,
            "password": PASSWORD,
            "login_token": hidden(form.text, "login_token"),
        },
    )
    page = portal.get("/portal/login/code")
    bad = portal.post(
        "/portal/login/code", data={"code": "000000", "csrf": hidden(page.text, "csrf")}
    )
    assert bad.status_code == 401 and "not accepted" in bad.text


def test_a_replayed_code_is_refused(hub: Hub, portal: Any, app: Any) -> None:
    rps = make_user(hub, "rps")
    step = totp.step_of()
    code = totp.code_at(rps.secret, step)
    rps.used_steps.add(step)
    with hub.engine.begin() as conn:
        assert credentials.check_code(conn, rps.id, code).user_id == rps.id
        assert credentials.check_code(conn, rps.id, code).user_id is None
    # an older step than one used is refused too, a newer one is fine
    with hub.engine.begin() as conn:
        assert (
            credentials.check_code(conn, rps.id, totp.code_at(rps.secret, step - 1)).user_id is None
        )
        assert (
            credentials.check_code(conn, rps.id, totp.code_at(rps.secret, step + 1)).user_id
            == rps.id
        )
        assert (
            credentials.check_code(conn, rps.id, totp.code_at(rps.secret, step + 5)).user_id is None
        )


def test_repeated_wrong_codes_lock_the_account(hub: Hub, portal: Any, app: Any) -> None:
    # Only someone who knows the password reaches the code: wrong codes lock, wrong passwords
    # never do (test_throttle.py).
    rps = make_user(hub, "rps")
    for _ in range(credentials.MAX_FAILURES):
        form = portal.get("/portal/login")
        first = portal.post(
            "/portal/login",
            data={
                "username": rps.username,
                "password": PASSWORD,
                "login_token": hidden(form.text, "login_token"),
            },
            follow_redirects=False,
        )
        assert first.status_code == 303
        page = portal.get("/portal/login/code")
        wrong = portal.post(
            "/portal/login/code", data={"code": "000000", "csrf": hidden(page.text, "csrf")}
        )
        assert wrong.status_code == 401
    # the right password and code, while locked, from an address that is not waiting
    with TestClient(app, base_url="http://testserver", client=(new_address(), 1)) as other:
        assert login(other, rps).status_code == 401
    with hub.engine.connect() as conn:
        row = conn.execute(
            sa.select(credentials.user_credentials).where(
                credentials.user_credentials.c.user_id == rps.id
            )
        ).one()
    assert row.locked_until is not None
    # an operator's new password unlocks it
    with hub.engine.begin() as conn:
        credentials.set_password(conn, rps.id, PASSWORD)
    with TestClient(app, base_url="http://testserver", client=(new_address(), 1)) as other:
        assert login(other, rps).status_code == 303


def test_logout_ends_the_session_on_the_server(hub: Hub, portal: Any, app: Any) -> None:
    rps = make_user(hub, "rps")
    login(portal, rps)
    token = portal.cookies.get("jdx_session")
    csrf = csrf_of(portal, "/portal/review")
    assert (
        portal.post("/portal/logout", data={"csrf": csrf}, follow_redirects=False).status_code
        == 303
    )
    # the old cookie, replayed by another client (another node alike), opens nothing
    with TestClient(app, base_url="http://testserver", client=("127.0.0.1", 50003)) as other:
        other.cookies.set("jdx_session", token, path="/portal")
        assert other.get("/portal/review", follow_redirects=False).status_code == 303


def test_a_suspended_user_cannot_log_in_and_loses_the_session(hub: Hub, portal: Any) -> None:
    rps = make_user(hub, "rps")
    login(portal, rps)
    assert portal.get("/portal/review").status_code == 200
    with hub.engine.begin() as conn:
        users.set_active(conn, rps.id, False)  # as `jdx users suspend` does
    assert portal.get("/portal/review", follow_redirects=False).status_code == 303
    assert login(portal, rps).status_code == 401


def test_a_post_without_the_csrf_token_is_refused(hub: Hub, portal: Any) -> None:
    admin = make_user(hub, "admin")
    login(portal, admin)
    refused = portal.post("/portal/admin/regions", data={"state": "CA", "region": "region-x"})
    assert refused.status_code == 403 and "CSRF" in refused.text
    wrong = portal.post(
        "/portal/admin/regions", data={"state": "CA", "region": "region-x", "csrf": "forged"}
    )
    assert wrong.status_code == 403
    # the login form has its own token: a form from elsewhere is refused
    fresh = login_without_token(portal, admin.username)
    assert fresh.status_code == 403


def login_without_token(portal: Any, username: str) -> Any:
    portal.cookies.clear()
    return portal.post("/portal/login", data={"username": username, "password": PASSWORD})


def test_each_page_checks_the_role(hub: Hub, portal: Any, agency: AgencyFixture) -> None:
    client = make_user(hub, "client", agency=agency)
    login(portal, client)
    assert "Your cases awaiting review" in portal.get("/portal/review").text
    assert portal.get("/portal/admin/users").status_code == 403
    assert portal.get("/portal/jobs").status_code == 200
    rps = make_user(hub, "rps")
    portal.cookies.clear()
    login(portal, rps)
    assert portal.get("/portal/jobs").status_code == 403
    assert portal.get("/portal/admin/accounts").status_code == 403
    csrf = csrf_of(portal, "/portal/review")
    assert (
        portal.post(
            "/portal/admin/regions", data={"state": "CA", "region": "x", "csrf": csrf}
        ).status_code
        == 403
    )


def test_htmx_requests_without_a_session_are_sent_to_the_login(portal: Any) -> None:
    answer = portal.get("/portal/review", headers={"HX-Request": "true"})
    assert answer.status_code == 401 and answer.headers["HX-Redirect"] == "/portal/login"

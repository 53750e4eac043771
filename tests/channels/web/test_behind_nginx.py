"""The portal behind the shipped nginx (deploy/nginx/jdx.conf): over https the session cookie
is Secure, login with password and TOTP works end to end, and logout ends the session."""

from __future__ import annotations

import sys

from bench import processes

from jdx.security import totp
from tests.channels.http.test_nginx_certs import Stack, jdx, stack  # noqa: F401
from tests.channels.http.test_nginx_certs import pytestmark as needs_nginx
from tests.channels.web.conftest import hidden

# The same marks as the stack's own module: a server test, skipped (saying why) without nginx,
# rather than an error in the shared fixture.
pytestmark = needs_nginx


def test_login_over_https_through_nginx_sets_a_secure_cookie(stack: Stack) -> None:  # noqa: F811
    jdx(stack.env, "users", "add", "nginx-rps", "--role", "rps", "--email", "n@example.org")
    processes.run(
        [sys.executable, "-m", "jdx", "users", "set-password", "nginx-rps", "--password-stdin"],
        env=stack.env,
        input=b"behind the proxy, safely\n",
        check=True,
        capture_output=True,
    )
    secret = jdx(stack.env, "users", "totp", "nginx-rps")["secret"]
    with stack.through_nginx(None) as client:
        form = client.get("/portal/login")
        assert "Secure" in form.headers["set-cookie"]
        first = client.post(
            "/portal/login",
            data={
                "username": "nginx-rps",
                "password": "behind the proxy, safely",
                "login_token": hidden(form.text, "login_token"),
            },
        )
        assert first.status_code == 303, first.text
        page = client.get("/portal/login/code")
        done = client.post(
            "/portal/login/code",
            data={"code": totp.code_at(secret, totp.step_of()), "csrf": hidden(page.text, "csrf")},
        )
        assert done.status_code == 303
        cookie = done.headers["set-cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        queue = client.get("/portal/review")
        assert queue.status_code == 200 and "Review queue" in queue.text
        csrf = hidden(queue.text, "csrf")
        client.post("/portal/logout", data={"csrf": csrf})
        assert client.get("/portal/review").status_code == 303


def test_nginx_answers_a_login_flood_with_429_before_the_hub(stack: Stack) -> None:  # noqa: F811
    # deploy/nginx/jdx.conf: 10 login posts a minute per address, bursts of 10. These posts
    # carry no login token, so the hub answers 403 without a hash and counts nothing: every
    # 429 here is nginx's own.
    with stack.through_nginx(None) as client:
        statuses = [
            client.post("/portal/login", data={"username": "flood", "password": "x"}).status_code
            for _ in range(25)
        ]
        assert client.get("/portal/login").status_code == 200  # only the posts are limited
    assert set(statuses) == {403, 429}
    first = statuses.index(429)
    assert 0 < first <= 11 and statuses.count(429) >= 10, statuses

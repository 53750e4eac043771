"""What the portal's browser tests share: axe-core's check of a page, a user made with the
commands of docs/operations.md, a logged-in browser context, and stops and batch files sent to
a real ``jdx serve`` over its API.

The browser and the server themselves are ``test_browser.py``'s fixtures (``chromium``,
``serving_hub``).
"""

from __future__ import annotations

import re
from typing import Any

import httpx2 as httpx
import orjson
from axe_playwright_python.sync_playwright import Axe

from tests.channels.web.test_browser import PASSWORD, _cli, _wait_for

_axe = Axe()
HOMES = re.compile(r".*/portal/(review|jobs|admin/users)$")  # auth.home_of of each role


def accessible(page: Any) -> None:
    """axe-core's checks on the page as it is now: no violation."""
    found = _axe.run(page)
    assert found.violations_count == 0, f"{page.url}\n{found.generate_report()}"


def user(env: dict[str, str], name: str, role: str, *extra: str) -> dict[str, Any]:
    """A portal user with a password and an authenticator: ``jdx users totp``'s answer (its
    secret and recovery codes)."""
    _cli(env, "users", "add", name, "--role", role, "--email", f"{name}@example.org", *extra)
    _cli(env, "users", "set-password", name, "--password-stdin", stdin=PASSWORD.encode() + b"\n")
    enrolled: dict[str, Any] = _cli(env, "users", "totp", name)
    return enrolled


def log_in(browser: Any, base: str, name: str, code: str, *, javascript: bool = True) -> Any:
    """A context of its own, logged in; with JavaScript, axe-core checks the code page."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=javascript
    )
    page = context.new_page()
    page.goto(f"{base}/portal/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/login/code")
    if javascript:
        accessible(page)
    page.fill("input[name=code]", code)
    page.click("button[type=submit]")
    page.wait_for_url(HOMES)
    return page


def submit_stop(base: str, key: str, record: dict[str, Any]) -> None:
    """A stop over the API (``SDur`` 1500 is over the limit: stored with errors, 202)."""
    sent = httpx.post(
        f"{base}/sdcs/v1/stops",
        content=orjson.dumps(record),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert sent.status_code == (202 if record["SDur"] == "1500" else 200), sent.text


def file_done(base: str, key: str, name: str, data: bytes) -> str:
    """A batch file over the API, waited for until the hub has answered it; its status URL."""
    auth = {"Authorization": f"Bearer {key}"}
    put = httpx.put(f"{base}/sdcs/v1/files/{name}", content=data, headers=auth)
    assert put.status_code == 202, put.text

    def done() -> bool:
        state = httpx.get(f"{base}{put.headers['location']}", headers=auth).json()["state"]
        assert state != "failed"
        return bool(state == "done")

    _wait_for(done, "the batch file", 90)
    return str(put.headers["location"])

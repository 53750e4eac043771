"""``/docs`` and ``/redoc`` in Debian's Chromium with every host but the hub blocked: the pages
render the operations, and the browser reports no Content-Security-Policy violation."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn

from tests.channels.web.test_browser import chromium  # noqa: F401 (the fixture)
from tests.test_serve import free_port

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture(scope="module")
def base(app: Any) -> Iterator[str]:
    """The test app on a loopback port, in a thread (no lifespan: the hub is ready)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _offline_page(browser: Any, base: str) -> tuple[Any, list[str], list[str]]:
    """A page whose requests to any other host fail, and the lists it fills: those requests,
    and the console's errors (CSP violations among them)."""
    page = browser.new_page()
    blocked: list[str] = []
    errors: list[str] = []
    hub = urlsplit(base).netloc

    def route(r: Any) -> None:
        url = r.request.url
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != hub:
            blocked.append(url)
            r.abort("internetdisconnected")
        else:
            r.continue_()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, blocked, errors


def test_swagger_ui_renders_the_operations_offline(chromium: Any, base: str) -> None:  # noqa: F811
    page, blocked, errors = _offline_page(chromium, base)
    page.goto(f"{base}/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/sdcs/v1/stops" in p for p in paths), paths
    assert blocked == []
    assert errors == []
    page.close()


# ReDoc's "API docs by Redocly" footer shows a logo from its CDN, with no option to turn it off:
# the policy (img-src 'self' data:) keeps the browser from fetching it, and that is all it is.
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def test_redoc_renders_the_operations_offline(chromium: Any, base: str) -> None:  # noqa: F811
    page, blocked, errors = _offline_page(chromium, base)
    page.goto(f"{base}/redoc")
    page.wait_for_selector("[data-section-id^='operation/']", timeout=30_000)
    assert page.get_by_text("/sdcs/v1/stops").count() > 0
    # The search box works: its index runs in the worker the policy allows (worker-src blob:).
    page.get_by_placeholder("Search...").fill("stop")
    page.wait_for_selector("[data-role='search:results'] li, .search-results li", timeout=10_000)
    assert blocked == []
    assert [e for e in errors if f"image '{REDOCLY_LOGO}' violates" not in e] == []
    page.close()

"""``/``: a page that leads a newcomer to the API docs, the ICDs and the portal."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser
from typing import Any

import httpx2 as httpx

from jdx.channels.http.app import create_app
from jdx.hub import Hub


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


def links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


def test_the_front_page_links_the_docs_the_icds_and_the_portal(client: httpx.Client) -> None:
    front = client.get("/")
    assert front.status_code == 200
    assert front.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in front.headers["content-security-policy"]
    hrefs = links(front.text)
    for expected in ("/docs", "/redoc", "/sdcs/v1/icd", "/sdcs/v1/icd/stop-2024.html", "/portal/"):
        assert expected in hrefs
    assert {"/chri/v1/icd", "/chri/v1/icd/rapsheet-2.00.html"} <= set(hrefs)
    assert {"/namus/v1/icd", "/namus/v1/icd/transport.html"} <= set(hrefs)  # issue 18
    # Every link on the page leads somewhere (the portal to its login page).
    for href in set(hrefs):
        assert client.get(href).status_code in (200, 303), href


def test_the_front_page_shows_only_the_hubs_exchanges(hub: Hub) -> None:
    from starlette.testclient import TestClient

    only_stops = dataclasses.replace(hub, exchanges={"stops": hub.exchanges["stops"]})
    with TestClient(create_app(hub=only_stops)) as client:
        hrefs = links(client.get("/").text)
    assert "/sdcs/v1/icd" in hrefs
    assert "/portal/" not in hrefs


def test_the_front_page_escapes_what_it_shows(hub: Hub, monkeypatch: Any) -> None:
    from jdx.channels.web import landing

    shown = [landing.Exchange("<script>x</script>", "/x", (landing.Link("/y", "<b>y</b>"),))]
    monkeypatch.setattr(landing, "exchanges_of", lambda _hub: shown)
    from starlette.testclient import TestClient

    with TestClient(create_app(hub=hub)) as client:
        html = client.get("/").text
    assert "<script>x" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "&lt;b&gt;y&lt;/b&gt;" in html

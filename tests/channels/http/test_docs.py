"""``/docs`` and ``/redoc`` work without internet: every script, style and image is the hub's."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx2 as httpx
import pytest


class _Refs(HTMLParser):
    """Every URL the page makes the browser load (src, href) and its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]


def referenced(html: str) -> list[str]:
    parser = _Refs()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_docs_pages_load_only_from_the_hub(client: httpx.Client, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    urls = referenced(page.text)
    assert urls, "the page loads its tool from somewhere"
    # Same origin only: no scheme, no host (FastAPI's own pages name cdn.jsdelivr.net).
    assert [u for u in urls if urlsplit(u).scheme or urlsplit(u).netloc] == []
    # Nor in the inline script (the OpenAPI document, the validator badge's service).
    assert not re.search(r"https?://", page.text)
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
        kind = asset.headers["content-type"]
        if url.endswith(".js"):
            assert kind.startswith("text/javascript"), url
        elif url.endswith(".css"):
            assert kind.startswith("text/css"), url
        assert asset.headers["x-content-type-options"] == "nosniff"
    assert any(u.endswith(".js") for u in urls)


def test_the_docs_pages_policy_allows_the_hub_only(client: httpx.Client) -> None:
    swagger = client.get("/docs")
    policy = swagger.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    # The page's one inline script (what starts Swagger UI) is allowed by its hash.
    scripts = re.findall(r"<script>(.*?)</script>", swagger.text, re.DOTALL)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy
    redoc = client.get("/redoc").headers["content-security-policy"]
    assert "script-src 'self';" in redoc and "worker-src blob:" in redoc
    assert "unsafe-eval" not in redoc


def test_only_the_named_assets_are_served(client: httpx.Client) -> None:
    assert client.get("/docs/static/__init__.py").status_code == 404
    assert client.get("/docs/static/..%2Fcore.py").status_code == 404

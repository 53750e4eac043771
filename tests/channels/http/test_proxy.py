"""A proxy that must reach the hub over TCP: its address alone is not enough, the
per-deployment secret header decides (``app_peer.ProxyTrust``; the Unix socket, the shipped
deployment, is tried with the real nginx in test_nginx_certs.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from jdx.channels.http.app import create_app
from jdx.hub import Hub, create_hub
from jdx.settings import Settings
from tests.channels.http.test_nginx_certs import post_job
from tests.conftest import AgencyFixture

SECRET = "0123456789abcdef" * 4


@pytest.fixture(scope="module")
def proxied(settings: Settings, hub: Hub) -> Iterator[TestClient]:
    """The hub (its database: the agencies of the shared fixtures) with a TCP proxy on
    127.0.0.1 and a secret, seen from 127.0.0.1: every local process's address."""
    changed = settings.model_copy(update={"trusted_proxies": ["127.0.0.1"], "proxy_secret": SECRET})
    other = create_hub(changed)
    with TestClient(
        create_app(hub=other),
        base_url="http://testserver",
        raise_server_exceptions=False,
        client=("127.0.0.1", 50000),
    ) as client:
        yield client
    other.dispose()


def test_the_certificate_headers_need_the_proxy_secret(
    proxied: TestClient, agency: AgencyFixture
) -> None:
    key = agency.prod_key
    without = post_job(proxied, key, **agency.cert_headers)
    assert without.status_code == 401
    assert "not a trusted proxy" in without.json()["detail"]
    wrong = post_job(
        proxied,
        key,
        **agency.cert_headers,
        **{"X-JDX-Proxy-Secret": SECRET[:-1] + "0"},
    )
    assert wrong.status_code == 401
    right = post_job(
        proxied,
        key,
        **agency.cert_headers,
        **{"X-JDX-Proxy-Secret": SECRET},
    )
    assert right.status_code == 202, right.text


def test_forwarded_scheme_needs_the_secret_too(proxied: TestClient) -> None:
    forged: Any = proxied.get("/portal/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in forged.headers["set-cookie"]
    sent = proxied.get(
        "/portal/login", headers={"X-Forwarded-Proto": "https", "X-JDX-Proxy-Secret": SECRET}
    )
    assert "Secure" in sent.headers["set-cookie"]

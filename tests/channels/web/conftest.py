"""Portal users with a password and an enrolled authenticator, and a client logged in as one.

Each test makes users of its own (unique names), as the suite's agencies are per test.
"""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from jdx.hub import Hub
from jdx.security import credentials, totp, users
from tests.conftest import AgencyFixture

PASSWORD = "correct horse battery staple"
_names = itertools.count(1)


@dataclass
class PortalUser:
    id: int
    username: str
    secret: str
    role: str
    used_steps: set[int] = field(default_factory=set)

    def code(self) -> str:
        """A code the hub has not seen yet: the current step's, else the next one's."""
        now = totp.step_of()
        step = next(s for s in (now, now + 1) if s not in self.used_steps)
        self.used_steps.add(step)
        return totp.code_at(self.secret, step)


def make_user(
    hub: Hub,
    role: str,
    *,
    agency: AgencyFixture | None = None,
    regions: tuple[str, ...] = (),
    email: str | None = None,
) -> PortalUser:
    name = f"{role}-{secrets.token_hex(3)}-{next(_names)}"
    with hub.engine.begin() as conn:
        user = users.add_user(
            conn,
            name,
            role=role,
            email=email or f"{name}@example.org",
            display_name=f"Test {role}",
            agency_id=agency.id if agency else None,
            regions=regions,
        )
        credentials.set_password(conn, user.id, PASSWORD)
        secret = credentials.enrol_totp(conn, user.id)
    return PortalUser(user.id, name, secret, role)


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden {name} in the page"
    return found.group(1)


def login(client: Any, user: PortalUser, password: str = PASSWORD, code: str | None = None) -> Any:
    """The whole login (password, then code; or both at once when the account is guarded);
    returns the last response. ``code``: this one (a recovery code) instead of the user's
    authenticator's."""
    form = client.get("/portal/login")
    first = client.post(
        "/portal/login",
        data={
            "username": user.username,
            "password": password,
            "login_token": hidden(form.text, "login_token"),
        },
        follow_redirects=False,
    )
    if first.status_code == 401 and 'name="code"' in first.text:
        # a guarded account (security/throttle.py): password and code together
        return client.post(
            "/portal/login",
            data={
                "username": user.username,
                "password": password,
                "code": code or user.code(),
                "login_token": hidden(first.text, "login_token"),
            },
            follow_redirects=False,
        )
    if first.status_code != 303:
        return first
    page = client.get("/portal/login/code")
    return client.post(
        "/portal/login/code",
        data={"code": code or user.code(), "csrf": hidden(page.text, "csrf")},
        follow_redirects=False,
    )


def login_guarded(client: Any, user: PortalUser, password: str = PASSWORD) -> Any:
    """The login of a guarded account from an address without a recent success: the form
    again, now with the code field; password and code sent together (security/throttle.py)."""
    form = client.get("/portal/login")
    first = client.post(
        "/portal/login",
        data={
            "username": user.username,
            "password": password,
            "login_token": hidden(form.text, "login_token"),
        },
        follow_redirects=False,
    )
    assert first.status_code == 401 and 'name="code"' in first.text, first.text[:300]
    return client.post(
        "/portal/login",
        data={
            "username": user.username,
            "password": password,
            "code": user.code(),
            "login_token": hidden(first.text, "login_token"),
        },
        follow_redirects=False,
    )


def csrf_of(client: Any, path: str = "/portal/") -> str:
    page = client.get(path)
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


_addresses = itertools.count(1)


def new_address() -> str:
    """An address no other client of this worker used: the login throttle counts per address
    (security/throttle.py) and the hub lives as long as the worker, so each client gets its
    own (10.16.0.0/16, never a trusted proxy)."""
    n = next(_addresses)
    return f"10.16.{n // 250 % 250}.{n % 250 + 1}"


@pytest.fixture
def portal(app: Any) -> Iterator[Any]:
    """A browser-like client of its own (cookies), from an address of its own."""
    from starlette.testclient import TestClient

    with TestClient(
        app,
        base_url="http://testserver",
        raise_server_exceptions=False,
        client=(new_address(), 50001),
    ) as c:
        yield c

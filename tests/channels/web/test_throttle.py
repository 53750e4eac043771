"""Issue 16, finding 4: nobody can lock a portal user out, and a flood costs no hashes.

A stranger's wrong passwords used to lock the account for 15 minutes after five. Now they make
the stranger's own address wait longer and longer (429 with Retry-After, before any hash) and
guard the account: from an address where the owner logged in before nothing changes, and from
a new one the owner gives the authenticator code together with the password
(security/throttle.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from starlette.testclient import TestClient

from jdx.hub import Hub
from jdx.security import credentials, passwords
from tests.channels.web.conftest import (
    PASSWORD,
    PortalUser,
    hidden,
    login,
    login_guarded,
    make_user,
    new_address,
)
from tests.security.test_passwords import scrypt_hash


@contextmanager
def client_at(app: Any, address: str | None = None) -> Iterator[Any]:
    """A browser of its own at ``address`` (a new one by default)."""
    with TestClient(
        app,
        base_url="http://testserver",
        raise_server_exceptions=False,
        client=(address or new_address(), 40000),
    ) as c:
        yield c


def password_step(client: Any, username: str, password: str) -> Any:
    form = client.get("/portal/login")
    return client.post(
        "/portal/login",
        data={
            "username": username,
            "password": password,
            "login_token": hidden(form.text, "login_token"),
        },
        follow_redirects=False,
    )


def stranger_fails(app: Any, user: PortalUser, times: int = 8) -> list[int]:
    """``times`` wrong passwords for the user from one stranger's address; their statuses."""
    with client_at(app) as stranger:
        return [
            password_step(stranger, user.username, f"guess number {n}").status_code
            for n in range(times)
        ]


def test_a_strangers_failures_do_not_stop_the_owner_at_a_known_good_address(
    hub: Hub, app: Any
) -> None:
    rps = make_user(hub, "rps")
    office = new_address()
    with client_at(app, office) as owner:
        assert login(owner, rps).status_code == 303  # the office is now known-good for rps
    statuses = stranger_fails(app, rps)
    # the first wait is 1 s, so a slow machine may let the 6th through; the waits then double
    assert statuses[:5] == [401] * 5 and statuses[-1] == 429, statuses
    with client_at(app, office) as owner:
        # the usual two steps, no lock, no extra question
        first = password_step(owner, rps.username, PASSWORD)
        assert first.status_code == 303 and first.headers["location"] == "/portal/login/code"
        page = owner.get("/portal/login/code")
        done = owner.post(
            "/portal/login/code",
            data={"code": rps.code(), "csrf": hidden(page.text, "csrf")},
            follow_redirects=False,
        )
        assert done.status_code == 303 and done.headers["location"] == "/portal/"
        assert owner.get("/portal/review").status_code == 200


def test_with_the_second_factor_the_owner_logs_in_from_a_new_address(hub: Hub, app: Any) -> None:
    rps = make_user(hub, "rps")
    stranger_fails(app, rps)
    with client_at(app) as traveller:
        done = login_guarded(traveller, rps)
        assert done.status_code == 303 and done.headers["location"] == "/portal/"
        assert traveller.get("/portal/review").status_code == 200
    # the guard is no oracle: the right password without a code reads like a wrong one
    with client_at(app) as right, client_at(app) as wrong:
        with_right = password_step(right, rps.username, PASSWORD)
        with_wrong = password_step(wrong, rps.username, "not the password")
    assert with_right.status_code == with_wrong.status_code == 401
    assert 'name="code"' in with_right.text and 'name="code"' in with_wrong.text
    assert "code together with your password" in with_right.text
    # an unknown name is guarded the same way after as many failures (no enumeration)
    ghost = PortalUser(0, f"nobody-{rps.username}", rps.secret, "rps")
    stranger_fails(app, ghost)
    with client_at(app) as other:
        assert 'name="code"' in password_step(other, ghost.username, PASSWORD).text


def test_an_address_that_keeps_failing_waits_longer_each_time(hub: Hub, app: Any) -> None:
    answers = []
    with client_at(app) as flooder:
        for n in range(12):
            answers.append(password_step(flooder, f"no-such-user-{n}", "a guessed password"))
            if len([a for a in answers if a.status_code == 429]) == 4:
                break
        hashes = sum(passwords.derivations.values())
        late = password_step(flooder, "no-such-user-late", "another guess")
        assert sum(passwords.derivations.values()) == hashes  # refused before any hash
    assert [a.status_code for a in answers[:5]] == [401] * 5
    waits = [int(a.headers["retry-after"]) for a in answers if a.status_code == 429]
    assert len(waits) == 4 and waits == sorted(waits) and waits[0] < waits[-1], waits
    assert late.status_code == 429 and "try again in" in late.text
    # per address: another one is not affected
    with client_at(app) as neighbour:
        assert password_step(neighbour, "no-such-user-0", "a guess").status_code == 401


def test_an_unknown_user_costs_the_same_hash_as_a_known_one(hub: Hub, app: Any) -> None:
    """No user enumeration by timing: whoever the name, the hub runs exactly one argon2id with
    the current parameters (an unknown name is checked against a dummy hash made with them,
    passwords.py). Counted, not timed: the derivations counter names each hash's parameters."""
    rps = make_user(hub, "rps")
    spent = []
    for name in (rps.username, f"unknown-{rps.username}"):
        before = passwords.derivations.copy()
        with client_at(app) as client:
            assert password_step(client, name, "a wrong password").status_code == 401
        spent.append(passwords.derivations - before)
    assert spent[0] == spent[1] == {passwords.PARAMETERS: 1}


def test_an_scrypt_user_is_rehashed_to_argon2id_at_login(hub: Hub, app: Any) -> None:
    rps = make_user(hub, "rps")
    table = credentials.user_credentials
    with hub.engine.begin() as conn:
        conn.execute(
            table.update()
            .where(table.c.user_id == rps.id)
            .values(password_hash=scrypt_hash(PASSWORD))
        )
    with client_at(app) as client:
        assert login(client, rps).status_code == 303
    with hub.engine.connect() as conn:
        stored = conn.execute(
            sa.select(table.c.password_hash).where(table.c.user_id == rps.id)
        ).scalar_one()
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    with client_at(app) as client:
        assert login(client, rps).status_code == 303  # and the new hash opens it


def test_no_free_hashing_slot_answers_503_with_retry_after(hub: Hub, app: Any) -> None:
    rps = make_user(hub, "rps")
    limit = passwords.current_limit()
    passwords.limit_concurrency(1, 0.05)
    try:
        with passwords.hashing_slot(), client_at(app) as client:
            busy = password_step(client, rps.username, PASSWORD)
    finally:
        passwords.limit_concurrency(limit.at_once, limit.wait)
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    with client_at(app) as client:
        assert login(client, rps).status_code == 303  # nothing was counted against anyone

"""Users and roles, the actor each acts as, and the state-to-region table as data.

Runs on SQLite, and on PostgreSQL with ``JDX_TEST_DATABASE_URL``.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator

import orjson
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from jdx.cli import app
from jdx.exchanges.cases import regions as case_regions
from jdx.exchanges.cases.tables import regions
from jdx.hub import Hub
from jdx.security import users
from jdx.security.actors import Actor
from tests.conftest import AgencyFixture

runner = CliRunner()
_n = itertools.count(1)


def name(prefix: str = "u") -> str:
    return f"{prefix}{secrets.token_hex(3)}{next(_n)}"


@pytest.fixture
def env(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> Hub:
    monkeypatch.setenv("JDX_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("JDX_DATABASE_URL", hub.settings.effective_database_url)
    return hub


@pytest.fixture
def restore_regions(hub: Hub) -> Iterator[None]:
    """Other tests read the demo table: put back what a test changed."""
    with hub.engine.connect() as conn:
        before = [dict(r._mapping) for r in conn.execute(sa.select(regions))]
    yield
    with hub.engine.begin() as conn:
        conn.execute(regions.delete())
        if before:
            conn.execute(regions.insert(), before)


def test_a_client_belongs_to_its_agency_and_acts_for_it(hub: Hub, agency: AgencyFixture) -> None:
    with hub.engine.begin() as conn:
        user = users.add_user(
            conn, name(), role="client", email="c@example.org", agency_id=agency.id
        )
        actor = users.actor_of(conn, user.id)
    assert user.agency_ori == agency.ori and user.active
    assert actor.role == "client" and actor.agency_id == agency.id
    assert actor.owns(agency.id) and not actor.owns(agency.id + 1)
    assert actor.name == user.username and actor.user_id == user.id


def test_an_rps_sees_only_its_regions_and_hears_of_them(hub: Hub) -> None:
    region = name("region-")
    with hub.engine.begin() as conn:
        rps = users.add_user(
            conn, name(), role="rps", email="r@example.org", regions=[region, "region-4"]
        )
        other = users.add_user(conn, name(), role="rps", email="o@example.org", regions=["x1"])
        actor = users.actor_of(conn, rps.id)
        assert actor.sees_region(region) and not actor.sees_region("x1")
        assert users.reviewers_of(conn, region) == [(rps.username, "r@example.org")]
        users.set_regions(conn, other.username, [region])
        assert {u for u, _ in users.reviewers_of(conn, region)} == {rps.username, other.username}
        users.set_active(conn, other.username, False)
        assert users.reviewers_of(conn, region) == [(rps.username, "r@example.org")]
        assert [u.username for u in users.list_users(conn, region=region)] == sorted(
            [rps.username, other.username]
        )
    admin = Actor(role="admin", name="root")
    assert admin.sees_region(region)


def test_roles_agencies_and_regions_are_checked(hub: Hub, agency: AgencyFixture) -> None:
    cases = [
        ({"role": "client"}, "needs its agency"),
        ({"role": "rps", "agency_id": agency.id}, "only a client"),
        ({"role": "admin", "regions": ["region-1"]}, "only an RPS"),
        ({"role": "boss"}, "role must be one of"),
        ({"role": "rps", "regions": ["bad/region"]}, "not a region name"),
    ]
    for kwargs, message in cases:
        with hub.engine.begin() as conn, pytest.raises(users.UserError, match=message):
            users.add_user(conn, name(), email="x@example.org", **kwargs)  # type: ignore[arg-type]
    with hub.engine.begin() as conn, pytest.raises(users.UserError, match="e-mail"):
        users.add_user(conn, name(), role="admin", email="nobody")
    taken = name()
    with hub.engine.begin() as conn:
        users.add_user(conn, taken, role="admin", email="a@example.org")
    with hub.engine.begin() as conn, pytest.raises(users.UserError, match="exists already"):
        users.add_user(conn, taken, role="admin", email="a@example.org")
    with hub.engine.begin() as conn, pytest.raises(users.UserError, match="only an RPS"):
        users.set_regions(conn, taken, ["region-1"])


def test_the_database_refuses_a_client_without_agency(hub: Hub) -> None:
    with pytest.raises(sa.exc.IntegrityError), hub.engine.begin() as conn:
        conn.execute(
            users.users.insert().values(
                username=name(), email="x@example.org", role="client", created_at=users.now()
            )
        )


def test_a_suspended_user_acts_no_more(hub: Hub) -> None:
    with hub.engine.begin() as conn:
        user = users.add_user(conn, name(), role="admin", email="a@example.org")
        users.set_active(conn, user.username, False)
        with pytest.raises(users.UserError, match="suspended"):
            users.actor_of(conn, user.id)
        users.set_active(conn, user.username, True)
        assert users.actor_of(conn, user.id).role == "admin"
        with pytest.raises(users.UserError, match="no user"):
            users.actor_of(conn, 10**9)


def test_users_cli(env: Hub, agency: AgencyFixture) -> None:
    client, rps = name(), name()
    added = runner.invoke(
        app,
        ["users", "add", client, "--role", "client", "--email", "c@x.org", "--agency", agency.ori],
    )
    assert added.exit_code == 0, added.output
    assert orjson.loads(added.output)["agency_ori"] == agency.ori
    added = runner.invoke(
        app, ["users", "add", rps, "--role", "rps", "--email", "r@x.org", "--region", "region-9"]
    )
    assert orjson.loads(added.output)["regions"] == ["region-9"]
    changed = runner.invoke(app, ["users", "regions", rps, "region-4", "region-5"])
    assert orjson.loads(changed.output)["regions"] == ["region-4", "region-5"]
    suspended = runner.invoke(app, ["users", "suspend", rps])
    assert orjson.loads(suspended.output)["active"] is False
    listed = orjson.loads(runner.invoke(app, ["users", "list", "--role", "rps"]).output)
    assert any(u["username"] == rps and not u["active"] for u in listed)
    assert orjson.loads(runner.invoke(app, ["users", "activate", rps]).output)["active"]
    refused = runner.invoke(app, ["users", "add", name(), "--role", "client", "--email", "c@x.org"])
    assert refused.exit_code == 1 and "needs its agency" in refused.output
    missing = runner.invoke(app, ["users", "suspend", "nobody-at-all"])
    assert missing.exit_code == 1 and "no user" in missing.output


def test_regions_are_data_an_administrator_changes(env: Hub, restore_regions: None) -> None:
    default = case_regions.load_regions(env.settings.namus_regions_file)
    with env.engine.begin() as conn:
        conn.execute(regions.delete())
        assert case_regions.region_table(conn, default) == dict(default)
    listed = orjson.loads(runner.invoke(app, ["namus", "regions", "list"]).output)
    assert listed["source"] == "default"
    changed = runner.invoke(app, ["namus", "regions", "set", "wy", "region-mountain"])
    assert orjson.loads(changed.output) == {"state": "WY", "region": "region-mountain"}
    listed = orjson.loads(runner.invoke(app, ["namus", "regions", "list"]).output)
    assert listed["source"] == "database"
    table = {r["state"]: r["region"] for r in listed["regions"]}
    # The first change copied the whole default in: every other state kept its region.
    assert table == {**default, "WY": "region-mountain"}
    bad = runner.invoke(app, ["namus", "regions", "set", "Wyoming", "r"])
    assert bad.exit_code == 1 and "two-letter" in bad.output

"""Fixtures: a hub on a database migrated once per worker, an in-process client, fresh agencies.

Tests isolate by agency: each test gets its own ORI, and every record and audit entry belongs to
an ORI, so tests never see each other's data and need no clean-up between them.

``JDX_TEST_DATABASE_URL=postgresql://...`` runs the same suite against PostgreSQL; each xdist
worker then gets its own database, created on first use.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import orjson
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from jdx.hub import Hub, create_hub
from jdx.security.keys import issue_key
from jdx.settings import Settings, load_settings
from jdx.store import schema
from jdx.store.queries import add_agency

# Property tests judge what the code does, never how fast a loaded machine ran it: no deadline
# per example and no "too slow" health check (a timing assertion by another name; CI shares
# its cores), while the number of examples stays each test's own.
hypothesis_settings.register_profile(
    "jdx", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
hypothesis_settings.load_profile("jdx")

GOLDEN = Path(__file__).parent / "golden"
PG_URL = os.environ.get("JDX_TEST_DATABASE_URL", "")
# SIGTERM unwinds a run like Ctrl-C, so that the servers the tests started are stopped.
pytest_plugins = ["tests.processes"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="needs JDX_TEST_DATABASE_URL (PostgreSQL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


# Databases are named after the URL's database and this checkout (``test`` → ``test_3f9c1a_gw0``):
# two checkouts running the suite at once against one server (a developer's and CI's, or two
# worktrees) must never drop each other's databases.
CHECKOUT = hashlib.sha256(str(Path(__file__).resolve().parent).encode()).hexdigest()[:6]


def fresh_postgres_database(suffix: str) -> str:
    """The URL of a new, empty PostgreSQL database of this checkout's, named with ``suffix``."""
    url = sa.make_url(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{url.database or 'jdx'}_{CHECKOUT}_{suffix}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(database_url: str) -> None:
    url = sa.make_url(database_url)
    admin = sa.create_engine(
        url.set(database=sa.make_url(PG_URL).database), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Settings]:
    data_dir = tmp_path_factory.mktemp("jdx")
    url = fresh_postgres_database(worker_id) if PG_URL else ""
    # The in-process client (``client``) connects from 127.0.0.1 and stands for nginx over TCP,
    # a proxy trusted by address (which development allows; tests/channels/http/test_proxy.py
    # and test_nginx_certs.py try the real doors: the Unix socket and the secret header).
    yield load_settings(
        data_dir=data_dir,
        database_url=url,
        domain_refresh_seconds=0,
        trusted_proxies=["127.0.0.1"],
    )
    if url:
        drop_postgres_database(url)


@pytest.fixture(scope="session")
def hub(settings: Settings) -> Iterator[Hub]:
    hub = create_hub(settings)
    schema.upgrade(hub.engine)
    load_reference_domains(hub)
    yield hub
    hub.dispose()


@pytest.fixture(scope="session")
def workflows(hub: Hub) -> Iterator[Hub]:
    """The hub started as `jdx serve` starts it (DBOS, once per worker process, with every
    exchange's workflows), but for its periodic jobs: a test runs the one it means to
    (``hub.periodic_job(name)``), so that no background round races the others."""
    hub.start(periodic=False)
    yield hub
    hub.stop()


def load_reference_domains(hub: Hub) -> None:
    from jdx.exchanges.stops.domain_samples import load_samples

    with hub.engine.begin() as conn:
        load_samples(conn, hub.validation)
    hub.refresh_domains(force=True)


@pytest.fixture(scope="session")
def app(hub: Hub) -> Any:
    from jdx.channels.http.app import create_app

    return create_app(hub=hub)


@pytest.fixture
def client(app: Any) -> Iterator[httpx.Client]:
    from starlette.testclient import TestClient

    # From loopback, a trusted proxy: the agencies' client certificate headers count, as they
    # would from nginx (tests/channels/http/test_nginx_certs.py runs the real one).
    with TestClient(
        app,
        base_url="http://testserver",
        raise_server_exceptions=False,
        client=("127.0.0.1", 50000),
    ) as c:
        yield c


_ori_counter = itertools.count(1)


@dataclass
class AgencyFixture:
    """An agency with its keys; also a sponsored NamUs import account with the import permission
    and a registered client certificate, which ``auth`` sends as nginx would forward it."""

    id: int
    ori: str
    prod_key: str
    test_key: str
    cert_headers: dict[str, str]

    def auth(self, realm: str = "prod") -> dict[str, str]:
        key = self.prod_key if realm == "prod" else self.test_key
        return {"Authorization": f"Bearer {key}", **self.cert_headers}


def new_agency(hub: Hub, name: str = "Test agency") -> AgencyFixture:
    from jdx.exchanges.cases import accounts
    from tests.certs import issue

    ori = "T" + secrets.token_hex(2).upper() + f"{next(_ori_counter):04d}"
    cert = issue(f"client {ori}")
    with hub.engine.begin() as conn:
        agency = add_agency(conn, ori, name, ["poc@example.org"])
        accounts.set_account(conn, agency.id, sponsor="Test sponsor", can_import=True)
        accounts.add_certificate(conn, agency.id, cert.cert_pem)
        return AgencyFixture(
            agency.id,
            ori,
            issue_key(conn, agency.id, "prod"),
            issue_key(conn, agency.id, "test"),
            cert.forwarded_headers(),
        )


@pytest.fixture
def agency(hub: Hub) -> AgencyFixture:
    return new_agency(hub)


@pytest.fixture
def other_agency(hub: Hub) -> AgencyFixture:
    return new_agency(hub, "Another agency")


def golden(era: str, kind: str = "valid") -> list[tuple[str, dict[str, Any]]]:
    folder = GOLDEN / "stops" / era / kind
    return [(p.name, orjson.loads(p.read_bytes())) for p in sorted(folder.glob("*.json"))]


_record_counter = itertools.count(1)


def stop_record(
    agency: AgencyFixture | None = None, era: str = "2024", **changes: Any
) -> dict[str, Any]:
    """A valid stop record of the era, made unique (LEA record id, officer, time) per call."""
    import copy

    record = copy.deepcopy(golden(era)[0][1])
    n = next(_record_counter)
    record["LEARecordID"] = f"R{n:07d}"
    record["Officer"]["UID"] = f"U{n:08d}"[-9:]
    record["STime"] = f"{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}"
    if agency is not None:
        record["ORI"] = agency.ori
    record.update(changes)
    return record

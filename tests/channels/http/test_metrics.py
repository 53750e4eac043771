"""``GET /metrics`` in one process: requests by route template and status (the stop web
service's hot paths among them), and the hub's state counted from the database.

The request counters of one process are shared by every test that process runs, so these tests
read what their own requests added; ``tests/test_monitoring.py`` reads exact totals from a real
``jdx serve --workers 2``. The state is read from a hub of the test's own (SQLite, or a
PostgreSQL database of its own with ``JDX_TEST_DATABASE_URL``), so its figures are exact.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from bench import processes
from dbos import DBOSClient
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from jdx.channels.http.app import create_app
from jdx.exchanges.rapsheets.service import RapSheetService
from jdx.exchanges.stops import batch_files
from jdx.exchanges.stops.workflow import QUEUE as STOP_FILES
from jdx.exchanges.stops.workflow import FileWorkflows, folders_of
from jdx.hub import Hub, create_hub
from jdx.notify.mail import notify_agency
from jdx.security.keys import Principal
from jdx.settings import load_settings
from jdx.store import schema
from jdx.store.tables import outbox
from jdx.workflows import system_database_url
from tests.conftest import (
    PG_URL,
    AgencyFixture,
    drop_postgres_database,
    fresh_postgres_database,
    new_agency,
    stop_record,
)
from tests.exchanges.cases.test_import import missing, submit_directly
from tests.exchanges.rapsheets.test_service import fbi_number, notification
from tests.samples import upload

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """Every sample of a scrape: (name, sorted labels) → value."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client: httpx.Client) -> Samples:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return samples(answer.text)


def test_requests_are_counted_by_route_template_and_status(
    client: httpx.Client, agency: AgencyFixture
) -> None:
    before = scrape(client)
    record = stop_record(agency)
    assert client.post("/sdcs/v1/stops", json=record, headers=agency.auth()).status_code == 200
    bad = client.post("/sdcs/v1/stops", content=b"{", headers=agency.auth())
    assert bad.status_code == 400
    lea_id = record["LEARecordID"]
    assert client.get(f"/sdcs/v1/stops/{lea_id}", headers=agency.auth()).status_code == 200
    # an update of a record stored without errors: refused (what matters is its status)
    update = client.put(f"/sdcs/v1/stops/{lea_id}", json=record, headers=agency.auth())
    assert client.get("/no/such/page").status_code == 404
    after = scrape(client)

    def added(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    requests = "jdx_http_requests_total"
    # the hot paths (fastpaths.py) by their routes' templates, as FastAPI's routes would be
    assert added(requests, method="POST", route="/sdcs/v1/stops", status="200") == 1
    assert added(requests, method="POST", route="/sdcs/v1/stops", status="400") == 1
    put = {"method": "PUT", "route": "/sdcs/v1/stops/{lea_record_id}"}
    assert added(requests, **put, status=str(update.status_code)) == 1
    get = {"method": "GET", "route": "/sdcs/v1/stops/{lea_record_id}"}
    assert added(requests, **get, status="200") == 1
    assert added(requests, method="GET", route="unmatched", status="404") == 1
    assert added(requests, method="GET", route="/metrics", status="200") == 1  # the first scrape
    # never a series per record: no label holds the path a client sent
    assert not [key for key in after if lea_id in str(key)]
    latency = "jdx_http_request_duration_seconds_count"
    assert added(latency, method="POST", route="/sdcs/v1/stops") == 2
    assert added(latency, **get) == 1
    assert value(after, "jdx_database_up") == 1


@pytest.fixture
def own_hub(tmp_path: Path, worker_id: str) -> Iterator[Hub]:
    """A hub on a database of this test's own, with DBOS's tables (no DBOS launched on it)."""
    url = fresh_postgres_database(f"metrics_{worker_id}") if PG_URL else ""
    hub = create_hub(load_settings(data_dir=tmp_path, database_url=url, mail_max_attempts=3))
    schema.upgrade(hub.engine)
    dbos = Path(sys.executable).parent / "dbos"
    migrated = processes.run(
        [str(dbos), "migrate", "-s", system_database_url(hub)], capture_output=True, timeout=120
    )
    assert migrated.returncode == 0, migrated.stderr
    yield hub
    hub.dispose()
    if url:
        drop_postgres_database(url)


def test_the_hubs_state_is_counted_from_its_database(own_hub: Hub, tmp_path: Path) -> None:
    hub = own_hub
    agency = new_agency(hub)
    principal = Principal(agency.id, agency.ori, "Test agency", "prod", True)
    # two files received (not queued: DBOSClient below queues one, as an HTTP worker would)
    for n in (1, 2):
        key = upload(hub, principal, f"20240315143200_{agency.ori}_B000{n}.csv", f"{n}\n".encode())
        batch_files.register(
            hub.engine, folders_of(hub), principal, key, channel="http", max_bytes=10**6
        )
    client = DBOSClient(system_database_url=system_database_url(hub))
    try:
        client.enqueue(
            {
                "workflow_name": FileWorkflows.file_workflow.__qualname__,
                "class_name": FileWorkflows.__qualname__,
                "instance_name": FileWorkflows.INSTANCE,
                "queue_name": STOP_FILES,
                "workflow_id": "metrics-test-file",
            },
            1,
        )
    finally:
        client.destroy()
    # a NamUs job accepted, three mails of which one is given up, a rap sheet merge waiting
    submit_directly(hub, agency, [missing()])
    with hub.engine.begin() as conn:
        for n in range(3):
            notify_agency(conn, agency.id, key=f"metrics-{n}", subject="s", body="b", digest_hour=6)
        conn.execute(outbox.update().where(outbox.c.key == "metrics-2").values(attempts=3))
    hub.service(RapSheetService).notify(
        notification(agency.ori, fbi_number(), [("TEXAS", "TX01")], fbi_too=False),
        sender_ori="DCFBIWA00",
    )

    with TestClient(create_app(hub=hub)) as app_client:
        found = scrape(app_client)

    def gauge(name: str, **labels: str) -> Any:
        key = (name, tuple(sorted(labels.items())))
        assert key in found, f"{name} {labels} missing"
        return found[key]

    assert gauge("jdx_database_up") == 1
    files = {
        s: gauge("jdx_stop_files", state=s) for s in ("received", "processing", "done", "failed")
    }
    assert files == {"received": 2, "processing": 0, "done": 0, "failed": 0}
    assert gauge("jdx_stop_files_unanswered_oldest_seconds") >= 0
    jobs = {s: gauge("jdx_import_jobs", state=s) for s in ("received", "processing", "complete")}
    assert jobs == {"received": 1, "processing": 0, "complete": 0}
    queued = {
        (q, s): gauge("jdx_queue_workflows", queue=q, status=s)
        for q in (STOP_FILES, "case-jobs")
        for s in ("ENQUEUED", "PENDING")
    }
    assert queued == {
        (STOP_FILES, "ENQUEUED"): 1,
        (STOP_FILES, "PENDING"): 0,
        ("case-jobs", "ENQUEUED"): 0,
        ("case-jobs", "PENDING"): 0,
    }
    assert gauge("jdx_queue_oldest_enqueued_seconds", queue=STOP_FILES) >= 0
    assert gauge("jdx_queue_oldest_enqueued_seconds", queue="case-jobs") == 0
    assert gauge("jdx_mail_outbox", state="pending") == 2
    assert gauge("jdx_mail_outbox", state="failed") == 1
    assert gauge("jdx_mail_overdue_seconds") >= 0
    assert gauge("jdx_rap_merges", state="waiting") == 1
    assert gauge("jdx_rap_merges", state="merging") == 0


def test_an_unreachable_database_is_a_zero_not_an_error(tmp_path: Path) -> None:
    from tests.test_serve import free_port

    url = f"postgresql://jdx@127.0.0.1:{free_port()}/jdx"
    hub = create_hub(load_settings(data_dir=tmp_path, database_url=url))
    try:
        client = TestClient(create_app(hub=hub))  # not started: its start-up reads the database
        found = scrape(client)
    finally:
        hub.dispose()
    assert value(found, "jdx_database_up") == 0
    assert not [key for key in found if key[0] == "jdx_stop_files"]

"""``GET /readyz`` turns not ready for each of its causes, naming the failing check.

Each test has a hub of its own (a SQLite file, or a PostgreSQL database of its own with
``JDX_TEST_DATABASE_URL``). The background checks are reported by the process that runs DBOS and
the SFTP server (``jdx/readiness.py``): a test writes that report itself, from a process without
DBOS or from this one. ``tests/test_monitoring.py`` sees a real ``jdx serve`` ready.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from bench import processes
from starlette.testclient import TestClient

from jdx import readiness
from jdx.channels.http.app import create_app
from jdx.channels.sftp.server import start_in_thread
from jdx.exchanges.stops.domain_samples import DEMO_ORI_TABLE, DOMAIN_SAMPLES, load_samples
from jdx.hub import Hub, create_hub
from jdx.settings import load_settings
from jdx.store import schema
from tests.conftest import (
    PG_URL,
    drop_postgres_database,
    fresh_postgres_database,
    load_reference_domains,
)
from tests.test_serve import free_port

OwnHub = Callable[..., Hub]


@pytest.fixture
def own_hub(tmp_path: Path, worker_id: str) -> Iterator[OwnHub]:
    """Make a hub on a database of the test's own, migrated to ``revision``."""
    made: list[tuple[Hub, str]] = []

    def make(revision: str = "head", **settings: Any) -> Hub:
        url = fresh_postgres_database(f"ready_{worker_id}_{len(made)}") if PG_URL else ""
        data_dir = tmp_path / f"hub{len(made)}"
        data_dir.mkdir()
        hub = create_hub(load_settings(data_dir=data_dir, database_url=url, **settings))
        made.append((hub, url))
        schema.upgrade(hub.engine, revision)
        return hub

    yield make
    for hub, url in made:
        hub.dispose()
        if url:
            drop_postgres_database(url)


def probe(hub: Hub) -> tuple[int, dict[str, Any]]:
    """/readyz of a new app (a process's answer is reused for a moment: a new one asks again),
    not started: its start-up would read the database, which some tests have made unreachable."""
    answer = TestClient(create_app(hub=hub)).get("/readyz")
    assert answer.headers["cache-control"] == "no-store"
    return answer.status_code, answer.json()


def report_from_a_process_without_dbos(hub: Hub) -> None:
    """What a node's background process reports before DBOS is launched (or after it died)."""
    settings = hub.settings
    env = {
        **os.environ,
        "JDX_DATA_DIR": str(settings.data_dir),
        "JDX_DATABASE_URL": settings.database_url,
        "JDX_SFTP": settings.sftp,
        "JDX_SFTP_PORT": str(settings.sftp_port),
    }
    script = (
        "from jdx import readiness; from jdx.hub import create_hub; "
        "from jdx.settings import load_settings; "
        "readiness.write_report(create_hub(load_settings()))"
    )
    done = processes.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_an_unreachable_database_is_not_ready(tmp_path: Path) -> None:
    # nothing listens on the port: a database that is stopped, as its clients see it
    url = f"postgresql://jdx@127.0.0.1:{free_port()}/jdx"
    hub = create_hub(load_settings(data_dir=tmp_path, database_url=url, sftp="off"))
    try:
        status, body = probe(hub)
    finally:
        hub.dispose()
    assert status == 503
    assert body["status"] == "not ready"
    assert {"database", "migrations", "domain_tables"} <= set(body["failing"])
    assert body["checks"]["database"] == {
        "ok": False,
        "detail": "does not answer (OperationalError)",
    }


def test_a_database_one_migration_behind_is_not_ready_until_upgraded(own_hub: OwnHub) -> None:
    head = schema.head_revision()
    config = Config()
    config.set_main_option("script_location", str(schema.MIGRATIONS))
    revision = ScriptDirectory.from_config(config).get_revision(head)
    previous = revision.down_revision if revision is not None else None
    assert isinstance(previous, str)
    hub = own_hub(previous, sftp="off")
    status, body = probe(hub)
    assert status == 503 and "migrations" in body["failing"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["migrations"]["detail"] == (
        f"at {previous}, this code needs {head}: run `jdx db upgrade`"
    )
    schema.upgrade(hub.engine)
    _, body = probe(hub)
    assert body["checks"]["migrations"] == {"ok": True, "detail": f"at {head}"}


def test_dbos_not_launched_is_not_ready(own_hub: OwnHub, workflows: Hub) -> None:
    hub = own_hub(sftp="off")
    load_reference_domains(hub)
    status, body = probe(hub)  # no report at all: no background process
    assert status == 503 and body["failing"] == ["background"]
    assert body["checks"]["background"]["detail"] == "no report from the node's workflow process"
    report_from_a_process_without_dbos(hub)
    status, body = probe(hub)
    assert status == 503
    assert body["failing"] == ["workflows", "queues"]
    assert body["checks"]["workflows"]["detail"] == "DBOS is not launched in the node's process"
    assert body["checks"]["queues"]["detail"] == "not polled: stop-files, case-jobs"
    # this process runs DBOS (the ``workflows`` fixture) and polls both queues
    readiness.write_report(hub)
    status, body = probe(hub)
    assert (status, body["status"], body["failing"]) == (200, "ready", [])
    assert set(body["checks"]) == {
        "database",
        "migrations",
        "domain_tables",
        "workflows",
        "queues",
    }


def test_an_sftp_server_not_listening_is_not_ready(own_hub: OwnHub, workflows: Hub) -> None:
    port = free_port()
    hub = own_hub(sftp="embedded", sftp_port=port)
    load_reference_domains(hub)
    running = start_in_thread(hub)
    try:
        readiness.write_report(hub, running.listening)
        status, body = probe(hub)
        assert (status, body["checks"]["sftp"]) == (200, {"ok": True, "detail": "ok"})
    finally:
        running.stop()
    with socket.socket() as attempt:
        assert attempt.connect_ex(("127.0.0.1", port)) != 0  # nothing listens there now
    readiness.write_report(hub, running.listening)
    status, body = probe(hub)
    assert status == 503 and body["failing"] == ["sftp"]
    assert body["checks"]["sftp"]["detail"] == (
        f"the SFTP server is not listening on 127.0.0.1:{port}"
    )


def test_a_background_process_that_stopped_reporting_is_not_ready(
    own_hub: OwnHub, workflows: Hub
) -> None:
    hub = own_hub(sftp="off")
    load_reference_domains(hub)
    readiness.write_report(hub)
    assert probe(hub)[0] == 200
    # the process hung (or was killed) a minute ago: its last report stays behind
    path = readiness.report_path(hub.settings.data_dir)
    report = json.loads(path.read_text())
    report["written_at"] -= 60
    path.write_text(json.dumps(report))
    status, body = probe(hub)
    assert status == 503 and body["failing"] == ["background"]
    assert body["checks"]["background"]["detail"].startswith(
        "the node's workflow process last reported 6"
    )


def test_empty_domain_tables_are_not_ready_in_production_only(
    own_hub: OwnHub, workflows: Hub
) -> None:
    development = own_hub(sftp="off")
    readiness.write_report(development)
    status, body = probe(development)
    assert status == 200  # a trial without tables: every answer names the checks skipped
    assert body["checks"]["domain_tables"]["detail"].startswith("loaded; empty, their checks")
    # (each probe looks for reloaded tables: domain_refresh_seconds 0)
    production = create_hub(
        development.settings.model_copy(
            update={"environment": "production", "domain_refresh_seconds": 0}
        )
    )
    try:
        status, body = probe(production)
        assert status == 503 and body["failing"] == ["domain_tables"]
        detail = body["checks"]["domain_tables"]["detail"]
        assert detail == "empty in production: city, offense, ori, school"
        with production.engine.begin() as conn:  # every table, the ORI table too
            load_samples(conn, production.validation, {**DOMAIN_SAMPLES, "ori": DEMO_ORI_TABLE})
        assert probe(production)[0] == 200
    finally:
        production.dispose()

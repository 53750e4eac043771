"""One composition root: an exchange joins the hub by ``register(hub)`` alone, and ``Hub.start``
runs what the exchanges declared."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import orjson
import pytest
from bench import processes

from jdx.exchanges.cases.jobs import CaseImport
from jdx.exchanges.cases.review import CaseReview
from jdx.exchanges.rapsheets.service import RapSheetService
from jdx.exchanges.stops.service import StopService
from jdx.hub import Hub, create_hub
from jdx.settings import Settings
from jdx.store.tables import metadata
from tests.conftest import PG_URL, drop_postgres_database, fresh_postgres_database

REPO = Path(__file__).resolve().parents[1]


def test_a_fourth_exchange_joins_the_hub_by_register_alone(tmp_path: Path, worker_id: str) -> None:
    """Its route answers, its workflow, enqueued by name from a hub that does not run workflows
    (an HTTP worker's), runs in the started hub's instance, its periodic job runs, and its
    table is among the hub's: with no file outside its package edited
    (tests/fourth_exchange)."""
    url = fresh_postgres_database(f"fourth_{worker_id}") if PG_URL else ""
    try:
        done = processes.run(
            [sys.executable, "-m", "tests.fourth_exchange.run", str(tmp_path), url],
            cwd=REPO,
            capture_output=True,
            timeout=180,
        )
    finally:
        if url:
            drop_postgres_database(url)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    seen = orjson.loads(done.stdout.splitlines()[-1])
    assert seen == {
        "status": 202,
        "workflow": "TicketWorkflows/tickets",
        "stamped_by": "TicketWorkflows/tickets",
        "tallied": True,
        "tables": True,
        "exchanges": ["stops", "cases", "rapsheets", "tickets"],
    }


def test_services_are_reached_by_their_type(hub: Hub) -> None:
    for kind in (StopService, CaseImport, CaseReview, RapSheetService):
        assert type(hub.service(kind)) is kind
    with pytest.raises(LookupError, match="no Settings on this hub"):
        hub.service(Settings)


def test_every_table_is_the_hubs_own_or_one_exchanges(hub: Hub) -> None:
    """Each exchange declares its tables (``Exchange.tables``), all on the one metadata the
    migrations compare (``hub.metadata``); the rest are the hub's own (agencies, keys, users)."""
    declared = [t.name for e in hub.exchanges.values() for t in e.tables]
    assert len(declared) == len(set(declared))
    own = {
        "agencies", "api_keys", "audit_log", "domain_tables", "domain_values", "outbox",
        "sftp_accounts", "sftp_keys", "user_credentials", "web_sessions", "login_failures",
        "login_known", "users", "user_regions", "nodes", "recovery_codes",
    }  # fmt: skip
    assert hub.metadata is metadata
    assert set(hub.metadata.tables) == own | set(declared)
    assert {t.name for t in hub.exchanges["stops"].tables} >= {"stops", "stop_files"}


def test_every_route_module_an_exchange_names_is_a_channel_with_a_router(hub: Hub) -> None:
    import importlib

    for exchange in hub.exchanges.values():
        assert exchange.routes, exchange.name
        for name in exchange.routes:
            assert name.startswith("jdx.channels."), name
            assert callable(importlib.import_module(name).router), name


def test_start_runs_the_periodic_jobs_and_stop_ends_them(settings: Settings) -> None:
    """Without exchanges there is no workflow, and DBOS is not launched: what is left of
    ``start`` is the hub's own periodic job (the notifier) and any added one."""
    from jdx._periodic import Periodic

    bare = create_hub(settings, exchanges=[])
    rounds = threading.Semaphore(0)
    bare.periodic.append(Periodic("test-round", 0.01, rounds.release, first_after=0.0))
    # PostgreSQL's node takeover needs a migrated database: not this test's
    bare.periodic[:] = [job for job in bare.periodic if job.name != "node-takeover"]
    assert [job.name for job in bare.periodic] == ["jdx-notifier", "test-round"]
    try:
        bare.start()
        bare.start()  # a second start does nothing
        assert rounds.acquire(timeout=30) and rounds.acquire(timeout=30)
        bare.stop()
        assert "test-round" not in {t.name for t in threading.enumerate()}
    finally:
        bare.dispose()

"""``python -m tests.fourth_exchange.run DATA_DIR [DATABASE_URL]``: a hub with the three
exchanges and the fourth, started as ``jdx serve`` starts it; prints what a client saw, as JSON.

A ticket is issued over HTTP through the app of a second hub that is not started, as in an HTTP
worker process: its workflow is enqueued through a DBOS client, by name, and run by the started
hub's configured instance.
"""

from __future__ import annotations

import sys
import time

import orjson
import sqlalchemy as sa
from dbos import DBOS, WorkflowHandle
from starlette.testclient import TestClient

from jdx.channels.http.app import create_app
from jdx.hub import builtin_exchanges, create_hub
from jdx.settings import load_settings
from jdx.store import schema
from tests import fourth_exchange


def main(data_dir: str, database_url: str = "") -> None:
    settings = load_settings(data_dir=data_dir, database_url=database_url, sftp="off")
    exchanges = [*builtin_exchanges(), fourth_exchange.register]
    hub = create_hub(settings, exchanges=exchanges)
    worker = create_hub(settings, exchanges=exchanges)
    schema.upgrade(hub.engine)
    # the table's migration, as a real exchange would ship one
    hub.metadata.create_all(hub.engine, tables=[fourth_exchange.tickets])
    hub.start()
    try:
        with TestClient(create_app(hub=worker)) as client:
            answer = client.post("/tickets/v1/tickets", json={"plate": "7ABC123"})
        ticket_id = answer.json()["id"]
        handle: WorkflowHandle[str] = DBOS.retrieve_workflow(f"ticket-{ticket_id}")
        result = handle.get_result()
        service = hub.service(fourth_exchange.TicketService)
        deadline = time.monotonic() + 30
        while service.tallies < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        with hub.engine.connect() as conn:
            stamped_by = conn.execute(
                sa.select(fourth_exchange.tickets.c.stamped_by).where(
                    fourth_exchange.tickets.c.id == ticket_id
                )
            ).scalar_one()
        seen = {
            "status": answer.status_code,
            "workflow": result,
            "stamped_by": stamped_by,
            "tallied": service.tallies >= 2,
            "tables": "parking_tickets" in hub.metadata.tables,
            "exchanges": list(hub.exchanges),
        }
    finally:
        hub.stop()
        worker.dispose()
        hub.dispose()
    sys.stdout.write(orjson.dumps(seen).decode() + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])

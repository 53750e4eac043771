"""The fourth exchange's one queued workflow: a ticket is stamped by the process that runs it."""

from __future__ import annotations

from dbos import DBOS

from jdx import workflows
from jdx.hub import Hub
from tests.fourth_exchange import tickets

QUEUE = "parking-tickets"


@DBOS.dbos_class()
class TicketWorkflows(workflows.Workflows):
    INSTANCE = "tickets"

    def launched(self) -> None:
        DBOS.register_queue(QUEUE, polling_interval_sec=0.1)

    @DBOS.step()
    def stamp_step(self, ticket_id: int) -> str:
        stamp = f"{type(self).__name__}/{self.config_name}"
        with self.hub.engine.begin() as conn:
            conn.execute(tickets.update().where(tickets.c.id == ticket_id).values(stamped_by=stamp))
        return stamp

    @DBOS.workflow()
    def stamp(self, ticket_id: int) -> str:
        return self.stamp_step(ticket_id)


def enqueue(hub: Hub, ticket_id: int) -> None:
    workflows.enqueue(
        hub, TicketWorkflows, TicketWorkflows.stamp, QUEUE, f"ticket-{ticket_id}", ticket_id
    )

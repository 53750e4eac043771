"""A fourth exchange, as small as one can be (parking tickets), to show that an exchange joins
the hub by ``register(hub)`` alone: its dictionaries (none), its table, its service, its HTTP
routes (``routes.py``), its queued workflow (``workflow.py``) and a periodic job. Nothing outside
this package names it but the list of exchanges a hub is created with.

Imported only by ``run.py``, in a process of its own (``tests/test_hub.py``): its table joins
the metadata every exchange shares, which the suite's migration checks compare with the
database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from jdx._periodic import Periodic
from jdx.hub import Exchange
from jdx.store.tables import metadata

if TYPE_CHECKING:
    from jdx.hub import Hub
    from jdx.workflows import Workflows

tickets = sa.Table(
    "parking_tickets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("plate", sa.String(8), nullable=False),
    sa.Column("stamped_by", sa.String(40)),  # the workflow instance that stamped it
)


class TicketService:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.tallies = 0  # rounds of the periodic job

    def issue(self, plate: str) -> int:
        with self.engine.begin() as conn:
            inserted = conn.execute(tickets.insert().values(plate=plate).returning(tickets.c.id))
            return int(inserted.scalar_one())

    def tally(self) -> None:
        self.tallies += 1


def register(hub: Hub) -> None:
    service = TicketService(hub.engine)
    hub.join(
        Exchange(
            "tickets",
            (tickets,),
            services=(service,),
            routes=("tests.fourth_exchange.routes",),
            workflows=(_workflows,),
            periodic=(Periodic("ticket-tally", 0.05, service.tally),),
        )
    )


def _workflows(hub: Hub) -> Workflows:
    from tests.fourth_exchange.workflow import TicketWorkflows

    return TicketWorkflows(hub)

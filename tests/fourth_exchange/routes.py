"""The fourth exchange's HTTP API: the channel module its ``register`` names."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from jdx.hub import Hub
from tests.fourth_exchange import TicketService
from tests.fourth_exchange.workflow import enqueue


def router(hub: Hub) -> APIRouter:
    api = APIRouter(prefix="/tickets/v1")
    service = hub.service(TicketService)

    @api.post("/tickets", status_code=202)
    def issue(body: dict[str, Any]) -> dict[str, int]:
        ticket_id = service.issue(str(body["plate"]))
        enqueue(hub, ticket_id)
        return {"id": ticket_id}

    return api

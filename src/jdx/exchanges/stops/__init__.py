"""Stop data of the California AB 953 Stop Data Collection System (seed 001)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jdx.exchanges.stops.service import StopService

if TYPE_CHECKING:
    from jdx.hub import Hub

DICTIONARIES = ("stop-2018", "stop-2024")


def register(hub: Hub) -> None:
    for name in DICTIONARIES:
        hub.validation.add_file(name)
    hub.services["stops"] = StopService(
        hub.engine, hub.validation, bulk_workers=hub.settings.bulk_workers
    )

"""Interstate criminal history: rap sheets, merge processing, summary and delivery (seed 002).

The hub plays the part the seed gives NLETS. This package holds the rules and nothing about
transport: the model (:mod:`.model`), the transmission format 2.00 (:mod:`.transmission`), the
Nlets 4.1 reader (:mod:`.nlets41`), FBI/III notifications (:mod:`.notification`), the content
merge (:mod:`.merge`), the summary (:mod:`.summary`) and the presentation (:mod:`.present`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jdx.hub import Hub


def register(hub: Hub) -> None:
    """The merge service on the hub's engine; the HTTP channel adds the API (``chri.py``)."""
    from jdx.exchanges.rapsheets.service import RapSheetService

    hub.services["rapsheets"] = RapSheetService(hub.engine, hub.settings)

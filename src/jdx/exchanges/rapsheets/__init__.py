"""Interstate criminal history: rap sheets, merge processing, summary and delivery (seed 002).

The hub plays the part the seed gives NLETS. This package holds the rules and nothing about
transport: the model (:mod:`.model`), the transmission format 2.00 (:mod:`.transmission`), the
Nlets 4.1 reader (:mod:`.nlets41`), FBI/III notifications (:mod:`.notification`), the content
merge (:mod:`.merge`), the summary (:mod:`.summary`) and the presentation (:mod:`.present`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jdx._periodic import Periodic

if TYPE_CHECKING:
    from jdx.hub import Hub


def register(hub: Hub) -> None:
    """The merge service on the hub's engine, its API (``channels/http/chri.py``, and the
    participants' kit in ``chri_icd.py``) and its time-out sweep."""
    from jdx.exchanges.rapsheets import tables
    from jdx.exchanges.rapsheets.service import RapSheetService
    from jdx.hub import Exchange

    service = RapSheetService(hub.engine, hub.settings)
    hub.join(
        Exchange(
            "rapsheets",
            tables.TABLES,
            services=(service,),
            routes=("jdx.channels.http.chri", "jdx.channels.http.chri_icd"),
            # The Rap-Merge time-out sweep (seed 2.5: "at fixed periods"). Every node may run
            # one: the state is in the database and each expired entry is claimed in its own
            # transaction (SKIP LOCKED on PostgreSQL), so a merge is delivered once, and a
            # restart picks up where the last process stopped.
            periodic=(
                Periodic(
                    "rap-merge-sweep",
                    hub.settings.rap_sweep_seconds,
                    service.sweep_timeouts,
                    log="jdx.rapsheets",
                ),
            ),
        )
    )

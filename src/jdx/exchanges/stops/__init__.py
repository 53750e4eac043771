"""Stop data of the California AB 953 Stop Data Collection System (seed 001)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jdx._periodic import Periodic
from jdx.exchanges.stops.service import StopService

if TYPE_CHECKING:
    from jdx.hub import Hub
    from jdx.workflows import Workflows

DICTIONARIES = ("stop-2018", "stop-2024")
# Retention is counted in days: an hour's lateness is nothing.
TIDY_ROUND_SECONDS = 3600.0
# Idle times are minutes: a round a minute closes the web service's batches on time.
BULKWS_ROUND_SECONDS = 60.0


def register(hub: Hub) -> None:
    from jdx.exchanges.stops import tables
    from jdx.hub import Exchange

    hub.join(
        Exchange(
            "stops",
            tables.TABLES,
            dictionaries=DICTIONARIES,
            services=(
                StopService(
                    hub.engine,
                    hub.validation,
                    bulk_workers=hub.settings.bulk_workers,
                    bulk_columnar=hub.settings.bulk_columnar,
                ),
            ),
            routes=(
                "jdx.channels.http.sdcs",
                "jdx.channels.http.stop_lists",
                "jdx.channels.http.icd",
                "jdx.channels.http.files",
            ),
            workflows=(_file_workflows,),
            periodic=(_output_tidy(hub), _close_bulkws_batches(hub)),
        )
    )


def _file_workflows(hub: Hub) -> Workflows:
    from jdx.exchanges.stops.workflow import FileWorkflows

    return FileWorkflows(hub)


def _output_tidy(hub: Hub) -> Periodic:
    """The agencies' answer folders pruned after ``output_retention_days`` (and a response
    report whose other name a client deleted, and the archive after ``archive_days``):
    ``Folders.tidy``, at start and then hourly. A thread on every node, not a DBOS scheduled
    workflow: its state is the files themselves, so a round cut short loses nothing and the
    next one finishes it, and every removal is of one name, harmless twice
    (docs/conformance.md)."""

    def tidy() -> None:
        from jdx.exchanges.stops.workflow import folders_of

        folders_of(hub).tidy(hub.settings.output_retention_days)

    return Periodic("output-tidy", TIDY_ROUND_SECONDS, tidy, first_after=0.0, log="jdx.files")


def _close_bulkws_batches(hub: Hub) -> Periodic:
    """The web service's batches closed once idle (``web_service_batches.py``). Every node runs
    the round: closing is a compare-and-set, finishing mails once by key."""

    def close_due() -> None:
        from jdx.exchanges.stops import web_service_batches
        from jdx.exchanges.stops.workflow import folders_of

        settings = hub.settings
        web_service_batches.close_due(
            hub.engine,
            folders_of(hub),
            public_url=settings.public_url,
            digest_hour=settings.digest_hour,
            idle_minutes=settings.bulkws_idle_minutes,
        )

    return Periodic("bulkws", BULKWS_ROUND_SECONDS, close_due, log="jdx.bulkws")

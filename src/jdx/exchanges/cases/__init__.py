"""NamUs case import (seed 000): missing and unidentified person cases, cancellation requests.

The exchange registers its dictionaries and its services (``jobs.CaseImport``,
``review.CaseReview``); jobs are accepted by ``jobs.py``, processed by one durable workflow each
(``workflow.py`` running ``process.py``), and read back through ``results.py``;
``review.CaseReview`` is the RPS review and publication, and the cancellation decisions. Unlike
a stop record, a case with any error is not created (the seed: cases are created only when they
validate "for both completeness and correctness"), so the dictionaries need no ``core`` fields:
the exchange refuses every outcome that ``has_errors``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jdx._periodic import Periodic

if TYPE_CHECKING:
    from jdx.hub import Hub
    from jdx.workflows import Workflows

# Dictionary file name = dictionary id = family: each record type has one version so far.
MISSING = "case-missing"
UNIDENTIFIED = "case-unidentified"
CANCELLATION = "case-cancellation"
DICTIONARIES = (MISSING, UNIDENTIFIED, CANCELLATION)
STRAY_SWEEP_SECONDS = 15.0  # jobs younger than workflow.STRAY_AFTER are left to their enqueue


def register(hub: Hub) -> None:
    from jdx.exchanges.cases import tables
    from jdx.exchanges.cases.jobs import CaseImport
    from jdx.exchanges.cases.review import CaseReview
    from jdx.hub import Exchange

    importer = CaseImport(hub.engine, hub.validation, hub.settings)
    hub.join(
        Exchange(
            "cases",
            tables.TABLES,
            dictionaries=DICTIONARIES,
            services=(importer, CaseReview(hub.engine, importer, hub.settings)),
            routes=("jdx.channels.http.namus", "jdx.channels.http.namus_icd", "jdx.channels.web"),
            workflows=(_case_jobs,),
            periodic=(_stray_sweep(hub),),
        )
    )


def _case_jobs(hub: Hub) -> Workflows:
    from jdx.exchanges.cases.workflow import CaseJobs

    return CaseJobs(hub)


def _stray_sweep(hub: Hub) -> Periodic:
    """Jobs committed and never queued, queued (``workflow.enqueue_strays``)."""

    def sweep() -> None:
        from jdx.exchanges.cases.workflow import enqueue_strays

        enqueue_strays(hub)

    return Periodic("case-job-strays", STRAY_SWEEP_SECONDS, sweep, log="jdx.cases")

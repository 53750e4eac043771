"""NamUs case import (seed 000): missing and unidentified person cases, cancellation requests.

The exchange registers its dictionaries and its service (``jobs.CaseImport``); jobs are
accepted by ``jobs.py``, processed by one durable workflow each (``workflow.py`` running
``process.py``), and read back through ``results.py``; ``review.CaseReview`` is the RPS review
and publication, and the cancellation decisions. Unlike a stop record, a case with any
error is not created (the seed: cases are created only when they validate "for both
completeness and correctness"), so the dictionaries need no ``core`` fields: the exchange
refuses every outcome that ``has_errors``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jdx.hub import Hub

# Dictionary file name = dictionary id = family: each record type has one version so far.
MISSING = "case-missing"
UNIDENTIFIED = "case-unidentified"
CANCELLATION = "case-cancellation"
DICTIONARIES = (MISSING, UNIDENTIFIED, CANCELLATION)


def register(hub: Hub) -> None:
    from jdx.exchanges.cases.jobs import CaseImport
    from jdx.exchanges.cases.review import CaseReview

    for name in DICTIONARIES:
        hub.validation.add_file(name)
    importer = CaseImport(hub.engine, hub.validation, hub.settings)
    hub.services["cases"] = importer
    hub.services["case_review"] = CaseReview(hub.engine, importer, hub.settings)

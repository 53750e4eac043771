"""NamUs case import (seed 000): missing and unidentified person cases, cancellation requests.

So far the exchange registers its dictionaries only; jobs, limits, review and cancellations
come with their own modules (``service.py``, ``tables.py``, ``workflow.py``), as in ``stops``.
Unlike a stop record, a case with any error is not created (the seed: cases are created only
when they validate "for both completeness and correctness"), so the dictionaries need no
``core`` fields: the exchange refuses every outcome that ``has_errors``.
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
    for name in DICTIONARIES:
        hub.validation.add_file(name)

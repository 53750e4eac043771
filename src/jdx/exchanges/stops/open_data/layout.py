"""Which columns an open-data file of a year has, in which order (``columns.csv``, beside)."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

COLUMNS_FILE = Path(__file__).with_name("columns.csv")
# The era whose files the list gives in their published order.
FIRST_ERA = "2018-2023"
# The first year whose files have the 2024 columns.
NEW_ERA_YEAR = 2024


@cache
def _columns() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The 2018-2023 columns in order, and the columns 2024 adds or renames."""
    with COLUMNS_FILE.open(newline="", encoding="utf-8") as listing:
        rows = list(csv.DictReader(listing))
    first = tuple(
        r["column"]
        for r in sorted(
            (r for r in rows if r["era"] == FIRST_ERA), key=lambda r: int(r["position"])
        )
    )
    added = tuple(r["column"] for r in rows if r["era"] != FIRST_ERA)
    return first, added


def columns(year: int) -> tuple[str, ...]:
    """The header of the file of ``year``.

    Up to 2023, DOJ's 142 columns in DOJ's order. From 2024, those followed by the columns 2024
    adds or renames: a superset of DOJ's 2024 file (202 columns, whose order our sources do not
    give), so that a year that mixes records of both dictionaries loses no element
    (docs/conformance.md, "the open-data export")."""
    first, added = _columns()
    return first if year < NEW_ERA_YEAR else first + added

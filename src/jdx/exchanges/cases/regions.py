"""Which NamUs region (and so which Regional Program Specialist) a case belongs to.

NamUs publishes no state-to-region table (reference NOTES, "Regions / RPS"), so the table is
configuration: ``namus_regions_file`` names a CSV of ``state,region`` rows (NCIC state codes);
without one, the demo table below applies: the ten standard federal regions, which are public
and cover every state and territory. A state no row names goes to ``unassigned``, a queue an
administrator watches, rather than failing the import of a valid case.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

UNASSIGNED = "unassigned"

_DEMO = {
    "region-1": "CT ME MA NH RI VT",
    "region-2": "NJ NY PR VI",
    "region-3": "DC DE MD PA VA WV",
    "region-4": "AL FL GA KY MS NC SC TN",
    "region-5": "IL IN MI MN OH WI",
    "region-6": "AR LA NM OK TX",
    "region-7": "IA KS MO NB",
    "region-8": "CO MT ND SD UT WY",
    "region-9": "AZ CA HI NV AM GM MP MH PL CG",
    "region-10": "AK ID OR WA",
}
DEMO_REGIONS: Mapping[str, str] = {
    state: region for region, states in _DEMO.items() for state in states.split()
}


def load_regions(path: Path | None) -> Mapping[str, str]:
    """The state-to-region table of the file (``state,region`` with a header), or the demo."""
    if path is None:
        return DEMO_REGIONS
    with path.open(newline="", encoding="utf-8") as fh:
        return {
            row["state"].strip().upper(): row["region"].strip()
            for row in csv.DictReader(fh)
            if row.get("state") and row.get("region")
        }


def region_of(table: Mapping[str, str], state: str) -> str:
    return table.get(state.upper(), UNASSIGNED)

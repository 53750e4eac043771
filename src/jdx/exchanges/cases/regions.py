"""Which NamUs region (and so which Regional Program Specialist) a case belongs to.

NamUs publishes no state-to-region table (reference NOTES, "Regions / RPS"), so the table is
data an administrator changes: the ``regions`` table. While it is empty the default applies:
``namus_regions_file`` names a CSV of ``state,region`` rows (NCIC state codes); without one, the
demo table below: the ten standard federal regions, which are public and cover every state and
territory. The first change copies the default into the table. A state no row names goes to
``unassigned``, a queue an administrator watches, rather than failing the import of a valid case.

The table is read in the transaction that creates a job's cases (a few dozen rows), not cached
per process: a change on one node applies to the next job on every node, with nothing to expire.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Mapping
from pathlib import Path

import sqlalchemy as sa

from jdx.exchanges.cases.tables import regions
from jdx.store.queries import StoreError, now

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


@functools.lru_cache(maxsize=8)
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


_STATE = re.compile(r"^[A-Z]{2}$")
_REGION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}$")


def region_table(conn: sa.Connection, default: Mapping[str, str]) -> dict[str, str]:
    """The state-to-region table in force: the administrator's, or the default while empty."""
    rows = {r.state: r.region for r in conn.execute(sa.select(regions.c.state, regions.c.region))}
    return rows or dict(default)


def table_is_default(conn: sa.Connection) -> bool:
    return conn.execute(sa.select(regions.c.state).limit(1)).first() is None


def set_region(
    conn: sa.Connection, state: str, region: str, default: Mapping[str, str]
) -> dict[str, str]:
    """Assign a state to a region from now on (cases created before keep theirs); the table."""
    state = state.strip().upper()
    region = region.strip()
    if not _STATE.match(state):
        raise StoreError(f"a state is a two-letter NCIC code, e.g. CA; got {state!r}")
    if not _REGION.match(region):
        raise StoreError(f"not a region name (letters, digits, ' ._-', at most 40): {region!r}")
    moment = now()
    if table_is_default(conn):
        seeded = {**default, state: region}
        conn.execute(
            regions.insert(),
            [{"state": s, "region": r, "updated_at": moment} for s, r in sorted(seeded.items())],
        )
    elif (
        conn.execute(
            regions.update()
            .where(regions.c.state == state)
            .values(region=region, updated_at=moment)
        ).rowcount
        == 0
    ):
        conn.execute(regions.insert().values(state=state, region=region, updated_at=moment))
    return region_table(conn, default)

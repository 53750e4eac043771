"""``jdx export``: lists out of the hub for publication."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from jdx.cli._common import emit, fail, open_hub

app = typer.Typer(no_args_is_help=True, help="Export lists of the hub's records.")

FIRST_YEAR = 2018  # AB 953 stop data begins in July 2018
LAST_YEAR = 9999


@app.command("stops")
def stops(
    open_data: bool = typer.Option(
        False, "--open-data", help="The statewide open-data layout: one row per person stopped."
    ),
    year: int = typer.Option(
        ..., "--year", min=FIRST_YEAR, max=LAST_YEAR, help="The year of the stops (stop date)."
    ),
    out: Path = typer.Option(
        None, "--out", dir_okay=False, help="The CSV file to write (default: standard output)."
    ),
    ori: str = typer.Option(None, "--ori", help="Only this agency's stops."),
) -> None:
    """Write the stops of a year as the open-data CSV DOJ publishes: DOJ's columns (2018-2023;
    from 2024 followed by the columns 2024 adds), production realm, every status. Streamed: a
    year of the whole state takes minutes in flat memory. The counts go to standard error (or
    standard output with --out)."""
    from jdx.exchanges.stops.open_data.export import export_year

    if not open_data:
        fail("only the open-data layout is available: pass --open-data")
    with open_hub() as h:
        if out is None:
            written = export_year(h.engine, year, sys.stdout.buffer, ori=ori)
            sys.stdout.flush()
            typer.echo(f"{written.stops} stops, {written.rows} rows", err=True)
            return
        partial = out.with_name(out.name + ".partial")
        with partial.open("wb") as file:
            written = export_year(h.engine, year, file, ori=ori)
        partial.replace(out)  # a file under its name is always whole
    emit({"file": str(out), "stops": written.stops, "rows": written.rows})

"""``jdx export``: lists out of the hub, for publication or for an agency."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
import typer

from jdx.cli._common import emit, fail, open_hub

app = typer.Typer(no_args_is_help=True, help="Export lists of the hub's records (CSV, XLSX).")

FIRST_YEAR = 2018  # AB 953 stop data begins in July 2018
LAST_YEAR = 9999
REALMS = ("prod", "test")


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{option}: {text!r} is not a date (YYYY-MM-DD)")


@contextmanager
def _output(out: Path | None) -> Iterator[IO[bytes]]:
    """Standard output, or ``out`` written as ``out.partial`` and renamed once whole."""
    if out is None:
        yield sys.stdout.buffer
        sys.stdout.flush()
        return
    partial = out.with_name(out.name + ".partial")
    with partial.open("wb") as file:
        yield file
    partial.replace(out)  # a file under its name is always whole


def _report(out: Path | None, counts: dict[str, Any]) -> None:
    """The counts: on standard error when the list went to standard output."""
    if out is None:
        typer.echo(", ".join(f"{v} {k}" for k, v in counts.items()), err=True)
    else:
        emit({"file": str(out), **counts})


@app.command("stops")
def stops(
    open_data: bool = typer.Option(
        False, "--open-data", help="The statewide open-data layout: one row per person stopped."
    ),
    year: int = typer.Option(
        None, "--year", min=FIRST_YEAR, max=LAST_YEAR, help="--open-data: the stops' year."
    ),
    ori: str = typer.Option(None, "--ori", help="The agency (required without --open-data)."),
    realm: str = typer.Option("prod", "--realm", help="prod or test (the list only)."),
    status: str = typer.Option(None, "--status", help="Only stops of this status."),
    date_from: str = typer.Option(None, "--from", help="Stop date on or after (YYYY-MM-DD)."),
    date_to: str = typer.Option(None, "--to", help="Stop date on or before (YYYY-MM-DD)."),
    officer: str = typer.Option(None, "--officer", help="Only this officer's stops."),
    error_code: str = typer.Option(None, "--error-code", help="Only stops with this error."),
    fmt: str = typer.Option("csv", "--format", help="csv or xlsx (the list only)."),
    out: Path = typer.Option(None, "--out", dir_okay=False, help="File to write (else stdout)."),
) -> None:
    """An agency's stops as a list (newest first, as the portal and GET /sdcs/v1/stops show
    them), or with --open-data the year's statewide open-data CSV in the columns DOJ publishes
    (2018-2023; from 2024 followed by the columns 2024 adds): production realm, every status,
    streamed, so a year of the whole state takes minutes in flat memory."""
    if open_data:
        if year is None:
            fail("--open-data needs --year")
        from jdx.exchanges.stops.open_data.export import export_year

        with open_hub() as h, _output(out) as target:
            written = export_year(h.engine, year, target, ori=ori)
        _report(out, {"stops": written.stops, "rows": written.rows})
        return
    from jdx.exchanges.stops.listing import STATUSES, STOP_COLUMNS, StopFilter, iter_stops

    if ori is None:
        fail("--ori names the agency whose stops to list (or pass --open-data)")
    if status is not None and status not in STATUSES:
        fail(f"--status must be one of: {', '.join(STATUSES)}")
    where = StopFilter(
        status=status,
        date_from=_date(date_from, "--from"),
        date_to=_date(date_to, "--to"),
        officer_uid=officer,
        error_code=error_code,
    )
    _export_list(fmt, realm, out, STOP_COLUMNS, lambda conn: iter_stops(conn, ori, realm, where))


@app.command("files")
def files(
    ori: str = typer.Option(..., "--ori", help="The agency."),
    realm: str = typer.Option("prod", "--realm", help="prod or test."),
    state: str = typer.Option(None, "--state", help="Only files in this state."),
    fmt: str = typer.Option("csv", "--format", help="csv or xlsx."),
    out: Path = typer.Option(None, "--out", dir_okay=False, help="File to write (else stdout)."),
) -> None:
    """An agency's batch files, newest first, with their counts (as GET /sdcs/v1/files)."""
    from jdx.exchanges.stops.listing import FILE_COLUMNS, FILE_STATES, FileFilter, iter_files
    from jdx.store.queries import get_agency

    if state is not None and state not in FILE_STATES:
        fail(f"--state must be one of: {', '.join(FILE_STATES)}")

    def rows(conn: sa.Connection) -> Iterator[dict[str, Any]]:
        agency = get_agency(conn, ori) or fail(f"no agency {ori}")
        return iter_files(conn, agency.id, realm, FileFilter(state=state))

    _export_list(fmt, realm, out, FILE_COLUMNS, rows)


def _export_list(
    fmt: str,
    realm: str,
    out: Path | None,
    columns: tuple[str, ...],
    rows: Callable[[sa.Connection], Iterator[dict[str, Any]]],
) -> None:
    from jdx.codecs.list_file import FORMATS, write_list

    if fmt not in FORMATS:
        fail(f"--format must be one of: {', '.join(FORMATS)}")
    if realm not in REALMS:
        fail(f"--realm must be one of: {', '.join(REALMS)}")
    with open_hub() as h, h.engine.connect() as conn, _output(out) as target:
        written = write_list(fmt, columns, rows(conn), target)
    _report(out, {"rows": written})

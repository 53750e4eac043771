"""The open-data file of a year, streamed from the store to CSV: flat memory at any size.

Stops are read in id order through a streaming cursor (a server-side cursor on PostgreSQL),
a batch at a time, and each person becomes a row as soon as its stop is read: a year of
California (4.7 million stops) never sits in memory (docs/benchmarks.md, "open-data export").
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import sqlalchemy as sa

from jdx.codecs.flat import FORMULA_START, neutralize_cell
from jdx.exchanges.stops.open_data import layout
from jdx.exchanges.stops.open_data.person_row import person_cells, stop_cells
from jdx.exchanges.stops.tables import stops
from jdx.store.tables import agencies, domain_values

# Stops read from the cursor at a time: big enough to amortise the round trips, small enough
# that the batch's records are a few megabytes.
BATCH = 2000
# The realm published: test records are an agency's rehearsals, never statistics.
REALM = "prod"
DICTIONARY_2024 = "stop-2024"
PERSONS = ("ListPerson_Stopped", "Person_Stopped")


@dataclass(frozen=True)
class Written:
    stops: int
    rows: int


def export_year(engine: sa.Engine, year: int, out: IO[bytes], *, ori: str | None = None) -> Written:
    """Write the open-data CSV of the stops made in ``year`` (every status, production realm)."""
    header = layout.columns(year)
    width = len(header)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=False)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    count = rows = 0
    with engine.connect() as conn:
        names = {a.ori: a.name for a in conn.execute(sa.select(agencies.c.ori, agencies.c.name))}
        schools = _school_names(conn)
        for stop_id, dictionary_id, record in _stops_of(conn, year, ori):
            count += 1
            for cells in _rows(stop_id, dictionary_id, record, names, schools):
                # Every column in the header's order, empty unless filled: the header's keys
                # come first in ``row``, then any of the other era's, which are cut off.
                row = dict.fromkeys(header, "")
                row.update(cells)
                writer.writerow(_as_text(v) for v in itertools.islice(row.values(), width))
                rows += 1
    text.flush()
    text.detach()  # the caller owns ``out``
    return Written(count, rows)


def _as_text(cell: str) -> str:
    """A cell a spreadsheet shows as text: a record stored with errors can hold anything."""
    return neutralize_cell(cell) if cell[:1] in FORMULA_START else cell


def _stops_of(
    conn: sa.Connection, year: int, ori: str | None
) -> Iterator[tuple[int, str, dict[str, Any]]]:
    query = (
        sa.select(stops.c.id, stops.c.dictionary_id, stops.c.record)
        .where(
            stops.c.realm == REALM,
            stops.c.stop_date >= dt.date(year, 1, 1),
            stops.c.stop_date < dt.date(year + 1, 1, 1),
        )
        .order_by(stops.c.id)
    )
    if ori is not None:
        query = query.where(stops.c.ori == ori)
    streamed = conn.execution_options(stream_results=True, yield_per=BATCH)
    with streamed.execute(query) as result:  # closed also when the reader stops early
        for row in result:
            yield row.id, row.dictionary_id, row.record


def _rows(
    stop_id: int,
    dictionary_id: str,
    record: dict[str, Any],
    agency_names: dict[str, str],
    schools: dict[str, str],
) -> Iterator[dict[str, str]]:
    era_2024 = dictionary_id == DICTIONARY_2024
    location = record.get("Location") if isinstance(record.get("Location"), dict) else {}
    stop = stop_cells(
        record,
        doj_record_id=stop_id,
        agency_name=agency_names.get(str(record.get("ORI", "")), ""),
        school_name=schools.get(str((location or {}).get("K12Code") or ""), ""),
        era_2024=era_2024,
    )
    persons: Any = record.get(PERSONS[0])
    if isinstance(persons, dict):
        persons = persons.get(PERSONS[1])
    if isinstance(persons, dict):
        persons = [persons]
    for person in persons if isinstance(persons, list) else []:
        if isinstance(person, dict):
            yield {**stop, **person_cells(person, era_2024=era_2024)}


def _school_names(conn: sa.Connection) -> dict[str, str]:
    """CDS code to school name, from the DOJ school table when it is loaded."""
    rows = conn.execute(
        sa.select(domain_values.c.code, domain_values.c.attrs).where(
            domain_values.c.table_name == "school"
        )
    )
    return {code: str((attrs or {}).get("name", "")) for code, attrs in rows}

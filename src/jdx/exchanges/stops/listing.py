"""An agency's stop data as lists: its files and its stops, filtered, newest first, paged.

The one place the API (``GET /sdcs/v1/files``, ``GET /sdcs/v1/stops``), the portal's pages and
their exports read these lists from, so that every door shows an agency the same rows, and only
its own: every query is scoped by the agency and the realm before any filter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from jdx.exchanges.stops.records import STATUS_ERRORS, STATUS_NFIA, STATUS_OK
from jdx.exchanges.stops.tables import stop_files, stops
from jdx.store.paging import Page, fetch_page, stream

STATUSES = (STATUS_OK, STATUS_ERRORS, STATUS_NFIA)
FILE_STATES = ("received", "processing", "done", "failed")


@dataclass(frozen=True)
class StopFilter:
    """What a list of stops is narrowed to; None is "any"."""

    status: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    officer_uid: str | None = None
    error_code: str | None = None
    lea_record_id: str | None = None  # the start of the agency's record id
    file_id: int | None = None


@dataclass(frozen=True)
class FileFilter:
    state: str | None = None
    name: str | None = None  # part of the file name
    received_from: dt.date | None = None
    received_to: dt.date | None = None


# The columns of a stop's summary, in a list's order (its exports' header).
STOP_COLUMNS = (
    "id",
    "lea_record_id",
    "batch_id",
    "officer_uid",
    "stop_date",
    "stop_time",
    "status",
    "error_codes",
    "errors",
    "channel",
    "file_id",
    "version",
    "created_at",
    "updated_at",
)
FILE_COLUMNS = (
    "file_id",
    "file_name",
    "channel",
    "format",
    "size",
    "state",
    "total",
    "successful",
    "with_errors",
    "rejected",
    "file_error",
    "received_at",
    "finished_at",
)


# What the queries read, from the columns above: a summary's error codes and count come from
# the stop's issues; a file's id is the API's file_id.
_DERIVED = ("error_codes", "errors")
_STOP_SELECTED = (*(stops.c[c] for c in STOP_COLUMNS if c not in _DERIVED), stops.c.issues)
_FILE_SELECTED = (
    stop_files.c.id.label("file_id"),
    *(stop_files.c[c] for c in FILE_COLUMNS if c != "file_id"),
)


def list_stops(
    conn: sa.Connection, ori: str, realm: str, where: StopFilter, *, limit: int, offset: int
) -> Page[dict[str, Any]]:
    """The agency's stops in the realm, newest first (summaries: no record)."""
    query = _stops_query(conn, ori, realm, where)
    return fetch_page(conn, query, limit=limit, offset=offset, row=_stop_summary)


def iter_stops(
    conn: sa.Connection, ori: str, realm: str, where: StopFilter
) -> Iterator[dict[str, Any]]:
    """The whole list of :func:`list_stops`, streamed (an export)."""
    yield from stream(conn, _stops_query(conn, ori, realm, where), _stop_summary)


def _stops_query(conn: sa.Connection, ori: str, realm: str, where: StopFilter) -> sa.Select[Any]:
    query = (
        sa.select(*_STOP_SELECTED)
        .where(stops.c.realm == realm, stops.c.ori == ori)
        .order_by(stops.c.id.desc())
    )
    if where.status is not None:
        query = query.where(stops.c.status == where.status)
    if where.date_from is not None:
        query = query.where(stops.c.stop_date >= where.date_from)
    if where.date_to is not None:
        query = query.where(stops.c.stop_date <= where.date_to)
    if where.officer_uid:
        query = query.where(stops.c.officer_uid == where.officer_uid)
    if where.lea_record_id:
        query = query.where(stops.c.lea_record_id.startswith(where.lea_record_id, autoescape=True))
    if where.file_id is not None:
        query = query.where(stops.c.file_id == where.file_id)
    if where.error_code:
        query = query.where(_has_issue_code(conn, where.error_code))
    return query


def _stop_summary(row: sa.Row[Any]) -> dict[str, Any]:
    summary = dict(row._mapping)
    issues = summary.pop("issues") or []
    summary["error_codes"] = sorted({i.get("code") for i in issues if isinstance(i, dict)})
    summary["errors"] = len(issues)
    return {column: summary[column] for column in STOP_COLUMNS}


def issue_codes(conn: sa.Connection) -> tuple[sa.TableValuedAlias, sa.ColumnElement[Any]]:
    """The elements of a stop's issues (a JSON list of ``{"code": ...}``) as a table joined to
    the stop, and the code of each: each database's own JSON functions, so that a filter or a
    count by code runs in the query (paging and totals stay exact)."""
    code: sa.ColumnElement[Any]
    if conn.dialect.name == "postgresql":
        element = sa.func.json_array_elements(stops.c.issues).table_valued("value")
        code = element.c.value.op("->>")("code")
    else:
        element = sa.func.json_each(stops.c.issues).table_valued("value")
        code = sa.func.json_extract(element.c.value, "$.code")
    return element, code


def _has_issue_code(conn: sa.Connection, wanted: str) -> sa.ColumnElement[bool]:
    element, code = issue_codes(conn)
    return sa.exists(sa.select(sa.literal(1)).select_from(element).where(code == wanted))


def list_files(
    conn: sa.Connection, agency_id: int, realm: str, where: FileFilter, *, limit: int, offset: int
) -> Page[dict[str, Any]]:
    """The agency's batch files in the realm, newest first."""
    query = _files_query(agency_id, realm, where)
    return fetch_page(conn, query, limit=limit, offset=offset, row=lambda r: dict(r._mapping))


def iter_files(
    conn: sa.Connection, agency_id: int, realm: str, where: FileFilter
) -> Iterator[dict[str, Any]]:
    """The whole list of :func:`list_files`, streamed (an export)."""
    yield from stream(conn, _files_query(agency_id, realm, where), lambda r: dict(r._mapping))


def _files_query(agency_id: int, realm: str, where: FileFilter) -> sa.Select[Any]:
    query = (
        sa.select(*_FILE_SELECTED)
        .where(stop_files.c.agency_id == agency_id, stop_files.c.realm == realm)
        .order_by(stop_files.c.id.desc())
    )
    if where.state is not None:
        query = query.where(stop_files.c.state == where.state)
    if where.name:
        query = query.where(stop_files.c.file_name.contains(where.name, autoescape=True))
    if where.received_from is not None:
        query = query.where(stop_files.c.received_at >= _start_of(where.received_from))
    if where.received_to is not None:
        end = _start_of(where.received_to + dt.timedelta(days=1))
        query = query.where(stop_files.c.received_at < end)
    return query


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)

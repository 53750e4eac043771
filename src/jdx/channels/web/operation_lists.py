"""The administrator's lists of agencies and their files (issue 19): the agencies with the doors
each has open, the import accounts with their sponsors and limits, and the batch files in process
on every node; each searched, paged with its total and exported whole (the page and the
download read the same query).

An agency's doors are counted from their tables once per answer (a hub has hundreds of
agencies, not millions); a file's records stored so far are summed from its committed chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from fastapi import HTTPException

from jdx.exchanges.cases.tables import client_certificates, client_limits, import_accounts
from jdx.exchanges.stops.file_status import stored_so_far
from jdx.exchanges.stops.tables import stop_files
from jdx.store.paging import Page, fetch_page, stream
from jdx.store.tables import agencies, api_keys, sftp_accounts, sftp_keys

STANDINGS = ("active", "suspended")
UNFINISHED = ("received", "processing")

AGENCY_COLUMNS = (
    "ori",
    "name",
    "standing",
    "prod_keys",
    "test_keys",
    "sftp",
    "sftp_password",
    "sftp_keys",
    "namus_import",
    "certificates",
    "notify",
)
ACCOUNT_COLUMNS = (
    "ori",
    "name",
    "standing",
    "sponsor",
    "can_import",
    "max_cases_per_job",
    "max_job_bytes",
    "max_jobs_per_day",
)
IN_PROCESS_COLUMNS = (
    "file_id",
    "file_name",
    "ori",
    "agency",
    "realm",
    "channel",
    "state",
    "received_at",
    "stored",
)


@dataclass(frozen=True)
class AgencySearch:
    """Part of an agency's ORI or name; its standing (active or suspended)."""

    text: str | None = None
    standing: str | None = None


def agency_search(text: str, standing: str) -> AgencySearch:
    """An agency list's search as the query gives it; 400 naming a standing not known."""
    if standing and standing not in STANDINGS:
        raise HTTPException(400, f"standing must be one of {', '.join(STANDINGS)}")
    return AgencySearch(text=text.strip() or None, standing=standing or None)


@dataclass(frozen=True)
class InProcessSearch:
    """The agency's ORI (exact) and the realm of the files in process."""

    ori: str | None = None
    realm: str | None = None


def agencies_page(
    conn: sa.Connection, where: AgencySearch, *, limit: int, offset: int
) -> Page[dict[str, Any]]:
    """One page of the agencies that match, by ORI, each with its doors."""
    return fetch_page(
        conn, _agencies_query(where), limit=limit, offset=offset, row=_doors_counter(conn)
    )


def iter_agencies(conn: sa.Connection, where: AgencySearch) -> Iterator[dict[str, Any]]:
    """Every agency that matches, with its doors (the export)."""
    yield from stream(conn, _agencies_query(where), _doors_counter(conn))


def accounts_page(
    conn: sa.Connection, where: AgencySearch, *, limit: int, offset: int
) -> Page[dict[str, Any]]:
    """One page of the agencies that match, by ORI, each with its import account and limits
    (a limit None: the hub's default)."""
    query = _accounts_query(where)
    return fetch_page(conn, query, limit=limit, offset=offset, row=_account_row)


def iter_accounts(conn: sa.Connection, where: AgencySearch) -> Iterator[dict[str, Any]]:
    """Every agency that matches with its import account and limits (the export)."""
    yield from stream(conn, _accounts_query(where), _account_row)


def in_process_page(
    conn: sa.Connection, where: InProcessSearch, *, limit: int, offset: int
) -> Page[dict[str, Any]]:
    """One page of the files not finished yet, oldest first, with what each has stored."""
    return fetch_page(
        conn, _in_process_query(where), limit=limit, offset=offset, row=_with_stored(conn)
    )


def iter_in_process(conn: sa.Connection, where: InProcessSearch) -> Iterator[dict[str, Any]]:
    """Every file in process that matches (the export)."""
    # the rows first: the stored counts are other queries on the same connection
    rows = list(conn.execute(_in_process_query(where)))
    count = _with_stored(conn)
    yield from (count(r) for r in rows)


def _agencies_query(where: AgencySearch) -> sa.Select[Any]:
    return _searched(sa.select(agencies).order_by(agencies.c.ori), where)


def _accounts_query(where: AgencySearch) -> sa.Select[Any]:
    query = (
        sa.select(
            agencies.c.id,
            agencies.c.ori,
            agencies.c.name,
            agencies.c.active,
            import_accounts.c.sponsor,
            import_accounts.c.can_import,
            client_limits.c.max_cases_per_job,
            client_limits.c.max_job_bytes,
            client_limits.c.max_jobs_per_day,
        )
        .outerjoin(import_accounts, import_accounts.c.agency_id == agencies.c.id)
        .outerjoin(client_limits, client_limits.c.agency_id == agencies.c.id)
        .order_by(agencies.c.ori)
    )
    return _searched(query, where)


def _account_row(r: sa.Row[Any]) -> dict[str, Any]:
    return {
        **r._mapping,
        "standing": "active" if r.active else "suspended",
        "can_import": bool(r.can_import),
    }


def _searched(query: sa.Select[Any], where: AgencySearch) -> sa.Select[Any]:
    if where.text:
        query = query.where(
            sa.or_(
                agencies.c.ori.contains(where.text.upper(), autoescape=True),
                sa.func.lower(agencies.c.name).contains(where.text.lower(), autoescape=True),
            )
        )
    if where.standing is not None:
        query = query.where(agencies.c.active.is_(where.standing == "active"))
    return query


def _doors_counter(conn: sa.Connection) -> Callable[[sa.Row[Any]], dict[str, Any]]:
    """An agency row -> the row of the list: its API keys by realm, SFTP (password, keys),
    NamUs import (permission, certificates)."""

    def counted(table: sa.Table, *where: sa.ColumnElement[bool]) -> dict[int, int]:
        query = sa.select(table.c.agency_id, sa.func.count().label("n")).group_by(table.c.agency_id)
        return {row.agency_id: int(row.n) for row in conn.execute(query.where(*where))}

    prod_keys = counted(api_keys, api_keys.c.realm == "prod", api_keys.c.revoked_at.is_(None))
    test_keys = counted(api_keys, api_keys.c.realm == "test", api_keys.c.revoked_at.is_(None))
    sftp_key_counts = counted(sftp_keys)
    certificates = counted(client_certificates)
    sftp = {r.agency_id: r for r in conn.execute(sa.select(sftp_accounts))}
    imports = {r.agency_id: r for r in conn.execute(sa.select(import_accounts))}

    def doors(a: sa.Row[Any]) -> dict[str, Any]:
        account, importer = sftp.get(a.id), imports.get(a.id)
        return {
            "ori": a.ori,
            "name": a.name,
            "standing": "active" if a.active else "suspended",
            "notify": a.notify,
            "prod_keys": prod_keys.get(a.id, 0),
            "test_keys": test_keys.get(a.id, 0),
            "sftp": bool(account and account.enabled),
            "sftp_password": bool(account and account.password_hash),
            "sftp_keys": sftp_key_counts.get(a.id, 0),
            "namus_import": bool(importer and importer.can_import),
            "certificates": certificates.get(a.id, 0),
        }

    return doors


def _in_process_query(where: InProcessSearch) -> sa.Select[Any]:
    query = (
        sa.select(
            stop_files.c.id.label("file_id"),
            stop_files.c.file_name,
            stop_files.c.ori,
            agencies.c.name.label("agency"),
            stop_files.c.realm,
            stop_files.c.channel,
            stop_files.c.state,
            stop_files.c.received_at,
        )
        .join(agencies, agencies.c.id == stop_files.c.agency_id)
        .where(stop_files.c.state.in_(UNFINISHED))
        .order_by(stop_files.c.received_at, stop_files.c.id)
    )
    if where.ori:
        query = query.where(stop_files.c.ori == where.ori)
    if where.realm:
        query = query.where(stop_files.c.realm == where.realm)
    return query


def _with_stored(conn: sa.Connection) -> Callable[[sa.Row[Any]], dict[str, Any]]:
    return lambda r: {**r._mapping, "stored": stored_so_far(conn, r.file_id)}

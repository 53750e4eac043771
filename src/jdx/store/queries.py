"""Queries every exchange shares: agencies, domain tables and the audit log."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from jdx.store.bulk import insert_rows
from jdx.store.tables import agencies, audit_log, domain_tables, domain_values

ORI_LENGTH = 9


@dataclass(frozen=True)
class Agency:
    id: int
    ori: str
    name: str
    emails: list[str]
    active: bool


class StoreError(ValueError):
    """A request the store refuses, with a message for the operator."""


def add_agency(conn: sa.Connection, ori: str, name: str, emails: Iterable[str] = ()) -> Agency:
    ori = ori.strip().upper()
    if len(ori) != ORI_LENGTH or not ori.isalnum():
        raise StoreError(
            f"ORI must be {ORI_LENGTH} letters and digits, e.g. CA0370000; got {ori!r}"
        )
    if conn.execute(sa.select(agencies.c.id).where(agencies.c.ori == ori)).first():
        raise StoreError(f"agency {ori} exists already")
    emails = [e.strip() for e in emails if e.strip()]
    for e in emails:
        if "@" not in e or " " in e:
            raise StoreError(f"not an e-mail address: {e!r}")
    agency_id = conn.execute(
        agencies.insert()
        .values(
            ori=ori,
            name=name,
            emails=emails,
            active=True,
            created_at=now(),
        )
        .returning(agencies.c.id)
    ).scalar_one()
    return Agency(agency_id, ori, name, emails, True)


def get_agency(conn: sa.Connection, ori: str) -> Agency | None:
    row = conn.execute(sa.select(agencies).where(agencies.c.ori == ori.upper())).first()
    return Agency(row.id, row.ori, row.name, list(row.emails), row.active) if row else None


def list_agencies(conn: sa.Connection) -> list[Agency]:
    rows = conn.execute(sa.select(agencies).order_by(agencies.c.ori))
    return [Agency(r.id, r.ori, r.name, list(r.emails), r.active) for r in rows]


def set_agency_active(conn: sa.Connection, ori: str, active: bool) -> None:
    _update_agency(conn, ori, active=active)


NOTIFY_FREQUENCIES = ("immediate", "daily")  # the check constraint on agencies.notify


def set_agency_notify(conn: sa.Connection, ori: str, frequency: str) -> None:
    """How the agency hears of its files from now on; mail already queued keeps its time."""
    if frequency not in NOTIFY_FREQUENCIES:
        raise StoreError(f"notify must be one of {', '.join(NOTIFY_FREQUENCIES)}")
    _update_agency(conn, ori, notify=frequency)


def _update_agency(conn: sa.Connection, ori: str, **values: Any) -> None:
    if not conn.execute(
        agencies.update().where(agencies.c.ori == ori.upper()).values(**values)
    ).rowcount:
        raise StoreError(f"no agency {ori}")


# --- domain tables ----------------------------------------------------------------------------


def load_domain_csv(conn: sa.Connection, name: str, path: Path, key: str) -> int:
    """Replace a domain table with the rows of a CSV file; returns the number of codes.

    The whole table is replaced in one transaction, so validators never see half a table.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StoreError(
            f"{path.name}: not a UTF-8 CSV file ({exc.reason} at byte {exc.start})"
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or key not in reader.fieldnames:
        raise StoreError(f"{path.name}: no column {key!r}; columns: {reader.fieldnames}")
    rows: dict[str, dict[str, Any]] = {}
    for row in reader:
        code = (row.get(key) or "").strip()
        if code:
            rows.setdefault(code, {k: v for k, v in row.items() if k != key and k is not None})
    version = (
        conn.execute(
            sa.select(domain_tables.c.version).where(domain_tables.c.name == name)
        ).scalar()
        or 0
    ) + 1
    conn.execute(domain_values.delete().where(domain_values.c.table_name == name))
    conn.execute(domain_tables.delete().where(domain_tables.c.name == name))
    conn.execute(
        domain_tables.insert().values(
            name=name, version=version, rows=len(rows), source=path.name, loaded_at=now()
        )
    )
    if rows:
        conn.execute(
            domain_values.insert(),
            [{"table_name": name, "code": code, "attrs": attrs} for code, attrs in rows.items()],
        )
    return len(rows)


def domain_versions(conn: sa.Connection) -> dict[str, int]:
    return {
        r.name: r.version
        for r in conn.execute(sa.select(domain_tables.c.name, domain_tables.c.version))
    }


def domain_codes(conn: sa.Connection, name: str) -> list[str]:
    return list(
        conn.execute(
            sa.select(domain_values.c.code).where(domain_values.c.table_name == name)
        ).scalars()
    )


# --- audit ------------------------------------------------------------------------------------


def audit(conn: sa.Connection, **entry: Any) -> None:
    """One audit record: who did what to which record, through which channel, with what outcome."""
    entry.setdefault("at", now())
    entry["codes"] = ",".join(entry.get("codes") or ())[:500]
    conn.execute(AUDIT_INSERT, {**AUDIT_DEFAULTS, **entry})


def audit_many(conn: sa.Connection, entries: list[dict[str, Any]]) -> None:
    """:func:`audit` for several records in one statement (inside a PostgreSQL pipeline, sent
    with the statements around it: see :func:`insert_rows`)."""
    stamp = now()
    rows = [
        {**AUDIT_DEFAULTS, "at": stamp, **e, "codes": ",".join(e.get("codes") or ())[:500]}
        for e in entries
    ]
    insert_rows(conn, audit_log, rows)


AUDIT_INSERT = audit_log.insert()  # built once; see the note in exchanges/stops/service.py
AUDIT_DEFAULTS = {c.name: None for c in audit_log.c if c.name != "id"}


def audit_entries(conn: sa.Connection, **where: Mapping[str, Any]) -> list[dict[str, Any]]:
    query = sa.select(audit_log).order_by(audit_log.c.id)
    for column, value in where.items():
        query = query.where(audit_log.c[column] == value)
    return [dict(r._mapping) for r in conn.execute(query)]


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

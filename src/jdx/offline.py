"""What commands that need no database use (``jdx validate``, ``jdx icd``): every built-in
dictionary, and the domain tables of a migrated database when there is one.

These commands must work in any folder and leave nothing behind: they never build a hub (whose
SQLite engine makes the data folder) and never connect to a SQLite file that is not there
(connecting would create it).
"""

from __future__ import annotations

import sqlalchemy as sa

from jdx.hub import load_domains
from jdx.settings import Settings
from jdx.store.engine import create_engine, read_only, sqlite_file
from jdx.validation import ValidationService


def builtin_validation() -> ValidationService:
    """The validation service of the built-in exchanges' dictionaries, without domain tables
    (their checks are skipped until :func:`read_domains` fills them in)."""
    from jdx.exchanges import cases, stops

    validation = ValidationService()
    for name in (*stops.DICTIONARIES, *cases.DICTIONARIES):
        validation.add_file(name)
    return validation


def read_domains(settings: Settings, validation: ValidationService) -> str | None:
    """Load the database's domain tables into ``validation``.

    Returns why none could be read (no database, not migrated, not answering), or None when
    the database was read: a database without loaded tables gives no codes and no reason.
    """
    path = sqlite_file(settings)
    if path is not None and not path.is_file():
        return f"no database at {path}"
    engine = create_engine(settings)
    try:
        with engine.connect() as plain:
            conn = read_only(plain)  # SQLite: no write lock just to look
            if not sa.inspect(conn).has_table("domain_tables"):
                return "the database is not migrated"
            load_domains(conn, validation, {})
    except sa.exc.DBAPIError as exc:  # refused connection, bad password, unreadable file
        why = str(exc.orig).strip() or type(exc.orig).__name__
        return f"the database does not answer ({why.splitlines()[0]})"
    finally:
        engine.dispose()
    return None


def skipped_note(tables: list[str]) -> str:
    """What every answer validated without some domain tables says (``jdx validate``, the web
    service, ``/healthz``)."""
    return f"validated without the checks against the domain tables {', '.join(tables)}"

"""Migrations: upgrade, check for drift, and the metadata of every table of every exchange."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"


def all_metadata() -> sa.MetaData:
    # Importing the table modules registers their tables on the shared metadata.
    import jdx.exchanges.cases.tables
    import jdx.exchanges.rapsheets.tables
    import jdx.exchanges.stops.tables
    import jdx.security.credentials
    import jdx.security.throttle
    import jdx.security.users  # noqa: F401
    from jdx.store.tables import metadata

    return metadata


def _config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    with engine.begin() as conn:
        command.upgrade(_config(conn), revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    with engine.begin() as conn:
        command.downgrade(_config(conn), revision)


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def drift(engine: sa.Engine) -> list[Any]:
    """Differences between the tables in code and the migrated database ([] when none)."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, all_metadata()))


def revision(engine: sa.Engine, message: str) -> None:
    """Autogenerate a new migration from the drift (developers only)."""
    with engine.begin() as conn:
        command.revision(_config(conn), message=message, autogenerate=True)

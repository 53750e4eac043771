"""Migrations: upgrade, downgrade, and the drift between the migrated database and the tables in
code. The tables are the hub's to give (``Hub.metadata``: the store does not know the
exchanges, which define their tables on ``store.tables.metadata``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from jdx.store.tables import metadata as store_metadata

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection: sa.Connection | None = None, metadata: sa.MetaData | None = None) -> Config:
    """Alembic's configuration. ``metadata`` is what autogenerate compares (``hub.metadata``);
    an upgrade or a downgrade needs no tables from it, only the naming convention that the
    migrations' batch operations on SQLite name constraints by, which the store's own
    metadata carries."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    cfg.attributes["metadata"] = store_metadata if metadata is None else metadata
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


def drift(engine: sa.Engine, metadata: sa.MetaData) -> list[Any]:
    """Differences between the tables in code (``hub.metadata``) and the migrated database
    ([] when none)."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, metadata))


def revision(engine: sa.Engine, message: str, metadata: sa.MetaData) -> None:
    """Autogenerate a new migration from the drift (developers only)."""
    with engine.begin() as conn:
        command.revision(_config(conn, metadata), message=message, autogenerate=True)

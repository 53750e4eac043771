"""Migrations: up and down on an empty database, and no drift between code and history."""

from __future__ import annotations

import sqlalchemy as sa

from jdx.hub import Hub
from jdx.settings import Settings
from jdx.store import schema
from jdx.store.engine import create_engine


def test_migrated_database_matches_the_tables_in_code(hub: Hub) -> None:
    assert schema.current_revision(hub.engine) == schema.head_revision()
    assert schema.drift(hub.engine) == []


def test_upgrade_and_downgrade_on_a_fresh_sqlite_file(settings: Settings, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    fresh = settings.model_copy(
        update={"data_dir": tmp_path_factory.mktemp("fresh"), "database_url": ""}
    )
    engine = create_engine(fresh)
    schema.upgrade(engine)
    assert "stops" in sa.inspect(engine).get_table_names()
    schema.downgrade(engine, "base")
    assert "stops" not in sa.inspect(engine).get_table_names()
    schema.upgrade(engine)
    assert schema.drift(engine) == []
    engine.dispose()

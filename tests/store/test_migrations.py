"""Migrations: up and down on an empty database, and no drift between code and history."""

from __future__ import annotations

from typing import Any

import pytest
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


def _fresh_engine(settings: Settings, tmp_path_factory: Any, dialect: str) -> sa.Engine:
    """An empty database of its own: a SQLite file, or a PostgreSQL database made for the test."""
    if dialect == "sqlite":
        fresh = settings.model_copy(
            update={"data_dir": tmp_path_factory.mktemp("fresh"), "database_url": ""}
        )
        return create_engine(fresh)
    url = sa.make_url(settings.effective_database_url)
    name = f"{url.database}_mig"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return create_engine(
        settings.model_copy(
            update={"database_url": url.set(database=name).render_as_string(hide_password=False)}
        )
    )


@pytest.mark.parametrize(
    "dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_0008_keeps_published_cases_published_and_goes_down_and_up(
    settings: Settings, tmp_path_factory: Any, dialect: str
) -> None:
    engine = _fresh_engine(settings, tmp_path_factory, dialect)
    schema.upgrade(engine, "0007")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO agencies (ori, name, emails, active, created_at) "
                "VALUES ('MG0000001', 'm', '[]', true, CURRENT_TIMESTAMP)"
            )
        )
        for n, published in ((1, True), (2, False)):
            conn.execute(
                sa.text(
                    "INSERT INTO cases (id, case_type, agency_id, realm, client_case_number, "
                    "state, region, published, record, created_at, updated_at) VALUES (:id, 'MP', "
                    "1, 'prod', :n, 'CA', 'region-9', :p, '{}', CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP)"
                ),
                {"id": n, "n": f"C-{n}", "p": published},
            )
    schema.upgrade(engine)
    with engine.connect() as conn:
        states = dict(conn.execute(sa.text("SELECT id, review_state FROM cases ORDER BY id")).all())
    assert states == {1: "published", 2: "pending"}
    tables = set(sa.inspect(engine).get_table_names())
    assert {"users", "user_regions", "regions", "case_edits", "case_contributors"} <= tables
    schema.downgrade(engine, "0007")
    inspector = sa.inspect(engine)
    assert "users" not in inspector.get_table_names()
    assert "review_state" not in {c["name"] for c in inspector.get_columns("cases")}
    schema.upgrade(engine)
    assert schema.drift(engine) == []
    engine.dispose()


@pytest.mark.postgres
def test_stop_records_are_compressed_with_lz4_where_the_server_has_it(hub: Hub) -> None:
    with hub.engine.connect() as conn:
        methods = conn.execute(
            sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
        ).scalar()
        method = conn.execute(
            sa.text(
                "SELECT attcompression FROM pg_attribute "
                "WHERE attrelid = 'stops'::regclass AND attname = 'record'"
            )
        ).scalar()
    assert method == ("l" if "lz4" in methods else "")

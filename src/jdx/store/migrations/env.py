"""Alembic environment: the hub's engine, and the metadata given by ``jdx.store.schema`` (the
hub's, with every exchange's tables, where autogenerate compares them)."""

from __future__ import annotations

from alembic import context

config = context.config
target_metadata = config.attributes["metadata"]


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through jdx.store.schema (jdx db upgrade)")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline migrations are not supported; run jdx db upgrade")
run_migrations_online()

"""Storage: tables (SQLAlchemy Core), the engine, migrations (Alembic) and small shared queries."""

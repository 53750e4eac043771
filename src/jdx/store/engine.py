"""The database engine, tuned per backend.

SQLite (the embedded default) runs in WAL mode so readers never block the writer, with
``synchronous=NORMAL`` (durable at every checkpoint, safe against application crashes) and a busy
timeout so that several processes can share the file. Write transactions begin IMMEDIATE so two
writers queue for the lock instead of failing half-way with SQLITE_BUSY.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from jdx.settings import Settings


def create_engine(settings: Settings, **kwargs: Any) -> Engine:
    url = settings.effective_database_url
    if url.startswith("sqlite"):
        return _sqlite_engine(url, settings.data_dir, **kwargs)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


def _sqlite_engine(url: str, data_dir: Path, **kwargs: Any) -> Engine:
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event open transactions, so that we choose their kind.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def read_only(conn: sa.Connection) -> sa.Connection:
    """A connection whose transactions only read: on SQLite they take no write lock."""
    return conn.execution_options(sqlite_begin="DEFERRED")

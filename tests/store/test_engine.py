"""The engine's pool: a connection the server dropped while it sat idle is replaced at checkout;
SQLite's page caches stay within the process's limit."""

from __future__ import annotations

import ctypes
import ctypes.util
from pathlib import Path

import pytest
import sqlalchemy as sa

from jdx.hub import Hub
from jdx.settings import load_settings
from jdx.store import engine as engine_module
from jdx.store.engine import create_engine


@pytest.mark.postgres
def test_an_idle_connection_killed_by_the_server_is_replaced(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(hub.settings)
    try:
        with engine.connect() as conn:
            pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with hub.engine.connect() as admin:  # e.g. a server restart, or an idle-session timeout
            admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() != pid
    finally:
        engine.dispose()


def _sqlite_heap_bytes() -> int:
    """Bytes SQLite holds in this process, every connection's page cache included: from the
    library Python's sqlite3 module is linked to (dlopen hands back the one loaded already)."""
    library = ctypes.CDLL(ctypes.util.find_library("sqlite3") or "libsqlite3.so.0")
    library.sqlite3_memory_used.restype = ctypes.c_int64
    return int(library.sqlite3_memory_used())


def test_sqlite_page_caches_of_all_connections_stay_within_the_process_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each connection asks for a 64 MiB page cache; several connections, each writing its own
    pages, hold no more than the process's limit together (a file's chunks go to the pool's
    connections in turn: without the limit, each filled a cache of its own)."""
    limit = 4 * 2**20
    monkeypatch.setattr(engine_module, "SQLITE_HEAP_LIMIT", limit)
    engine = create_engine(load_settings(data_dir=tmp_path, database_url=""))
    row = "x" * 2000
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE pages (n INTEGER PRIMARY KEY, body TEXT)"))
        held = [engine.connect() for _ in range(3)]  # three pooled connections at once
        for n, conn in enumerate(held):
            with conn.begin():
                conn.execute(  # 12 MB a connection: three times the limit each
                    sa.text("INSERT INTO pages (body) VALUES (:body)"),
                    [{"body": f"{n}{row}"} for _ in range(6000)],
                )
                conn.execute(sa.text("SELECT count(*), sum(length(body)) FROM pages")).one()
        used = _sqlite_heap_bytes()
        for conn in held:
            conn.close()
    finally:
        engine.dispose()
    assert used < limit + 2 * 2**20, used

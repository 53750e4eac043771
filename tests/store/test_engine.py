"""The engine's pool: a connection the server dropped while it sat idle is replaced at checkout."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jdx.hub import Hub
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

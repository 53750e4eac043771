"""What every exchange's durable workflows share: where DBOS keeps its state, and its client.

DBOS itself is launched once per ``jdx serve`` by the stops exchange (``exchanges/stops/
workflow.py`` ``start``); other exchanges bind their runtime before that launch, so that the
workflows a crash interrupted find it when DBOS resumes them.
"""

from __future__ import annotations

import threading

from dbos import DBOSClient

from jdx.hub import Hub

_clients: dict[str, DBOSClient] = {}
_lock = threading.Lock()


def system_database_url(hub: Hub) -> str:
    url = hub.engine.url
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{hub.settings.data_dir / 'jdx-workflows.sqlite'}"
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def dbos_client(hub: Hub) -> DBOSClient:
    """One client per system database and process: what HTTP workers enqueue through."""
    url = system_database_url(hub)
    with _lock:
        if url not in _clients:
            _clients[url] = DBOSClient(system_database_url=url)
        return _clients[url]

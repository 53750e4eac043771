"""What every exchange's durable workflows share: where DBOS keeps its state, and its client.

DBOS itself is launched once per ``jdx serve`` by the stops exchange (``exchanges/stops/
workflow.py`` ``start``); other exchanges bind their runtime before that launch, so that the
workflows a crash interrupted find it when DBOS resumes them.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

from dbos import DBOSClient

from jdx.hub import Hub

T = TypeVar("T")
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


class Binding(Generic[T]):
    """What one exchange's workflow steps find in this process: its hub and services.

    DBOS calls a step as a plain function, after a crash too, so the step cannot be handed the
    hub; it reads the binding instead. ``lock`` guards a change that must be seen whole (DBOS's
    launch with the binding that its resumed workflows need).
    """

    def __init__(self, what: str, how: str) -> None:
        self._what, self._how = what, how
        self._value: T | None = None
        self.lock = threading.Lock()

    @property
    def bound(self) -> bool:
        return self._value is not None

    def get(self) -> T:
        value = self._value
        if value is None:
            raise RuntimeError(f"the {self._what} are not bound ({self._how})")
        return value

    def set(self, value: T | None) -> None:
        """Bind (or, with None, unbind); the caller holds ``lock`` when it must."""
        self._value = value

"""What every exchange's durable workflows share: DBOS's one launch per process, the version that
says which workflows a process may resume, where DBOS keeps its state, and its client.

Each exchange's workflows are the methods of one :class:`Workflows` subclass, a DBOS configured
instance: its steps reach the hub through ``self``, and DBOS records the instance's name with
every workflow, so that the process that resumes a workflow (after a crash, on this node or
another) hands it the instance registered under that name. ``Hub.start`` makes the instances
before DBOS launches (:func:`launch`), as the resumed workflows need them, and DBOS stops once
(:func:`shutdown`), whoever's workflows run.

A process that does not run workflows (an HTTP worker, a CLI command) enqueues through a DBOS
client (:func:`enqueue`), by the workflow's, class's and instance's names.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from dbos import DBOS, DBOSClient, DBOSConfig, DBOSConfiguredInstance, SetWorkflowID

if TYPE_CHECKING:
    from jdx.hub import Hub

# The workflow-compatibility version, DBOS's ``application_version``: a process resumes and
# dequeues only the workflows recorded under its own. It is not the package version, so that
# an upgrade (a rolling one too) finishes the files and jobs in flight. Change it only when a
# workflow's steps change incompatibly (a step added, removed, reordered or renamed, its
# arguments or result changed, a workflow, class or instance renamed): the operator then
# drains the hub before upgrading (docs/operations.md, "Upgrades").
WORKFLOW_VERSION = "1"

_clients: dict[str, DBOSClient] = {}
_lock = threading.Lock()
_launched: Hub | None = None  # the hub whose workflows DBOS runs in this process


class Workflows(DBOSConfiguredInstance):
    """One exchange's durable workflows in a process that runs them (``@DBOS.dbos_class()``
    subclasses, made by ``Hub.start`` through the factories its exchange declares).

    ``INSTANCE`` is the instance's name in DBOS's records (the exchange's name): like the
    class's and the workflows' names, it must stay the same across releases of one
    :data:`WORKFLOW_VERSION`, or resumed workflows find no instance."""

    INSTANCE: ClassVar[str]

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        super().__init__(self.INSTANCE)

    def launched(self) -> None:
        """DBOS runs: register the queues, start what runs beside them."""

    def stopping(self) -> None:
        """DBOS is about to stop: stop what :meth:`launched` started."""


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


def launch(hub: Hub, factories: Sequence[Callable[[Hub], Workflows]]) -> list[Workflows]:
    """Launch DBOS for ``hub`` with the instances the factories make (before the launch, as
    the workflows it resumes need them). DBOS is one per process: a second hub is refused."""
    global _launched
    with _lock:
        if _launched is not None:
            raise RuntimeError("DBOS runs one hub's workflows per process; stop that hub first")
        config: DBOSConfig = {
            "name": "jdx",
            "system_database_url": system_database_url(hub),
            "application_version": WORKFLOW_VERSION,
            "log_level": "WARNING",
            "executor_id": hub.settings.node_id,
        }
        DBOS(config=config)  # configured first: instances made now count as made before launch
        instances: list[Workflows] = []
        try:
            instances.extend(make(hub) for make in factories)
            DBOS.launch()
        except BaseException:
            DBOS.destroy(workflow_completion_timeout_sec=0)
            _forget(instances)
            raise
        _launched = hub
        return instances


def shutdown(instances: Sequence[Workflows]) -> None:
    """Stop DBOS; the workflows in flight resume at the next launch (here or on another node)."""
    global _launched
    with _lock:
        DBOS.destroy(workflow_completion_timeout_sec=0)
        _forget(instances)
        _launched = None


def _forget(instances: Sequence[Workflows]) -> None:
    """Take the instances out of DBOS's registry, which outlives ``DBOS.destroy``, so that a
    hub started again in this process (the tests) may register its own under the same names.
    DBOS offers no call for it: this is its registry's map of instances by class and name."""
    from dbos._dbos import _get_or_create_dbos_registry

    registered = _get_or_create_dbos_registry().instance_info_map
    for instance in instances:
        key = f"{type(instance).__qualname__}/{instance.config_name}"
        if registered.get(key) is instance:
            del registered[key]


def enqueue(
    hub: Hub,
    kind: type[Workflows],
    workflow: Callable[..., Any],
    queue: str,
    workflow_id: str,
    *args: Any,
) -> None:
    """Queue ``workflow`` (a method of ``kind``) with ``args``; the workflow id makes a repeated
    enqueue a no-op.

    A hub that runs the workflows enqueues directly; any other process (an HTTP worker) goes
    through a DBOS client, so that only the processes meant to run workflows do. So does the
    hub that runs them while it starts, before it has registered the queue."""
    running = hub.running(kind)
    found = DBOS.retrieve_queue(queue) if running is not None else None
    if running is not None and found is not None:
        with SetWorkflowID(workflow_id):
            found.enqueue(getattr(running, workflow.__name__), *args)
        return
    dbos_client(hub).enqueue(
        {
            "workflow_name": workflow.__qualname__,
            "class_name": kind.__qualname__,
            "instance_name": kind.INSTANCE,
            "queue_name": queue,
            "workflow_id": workflow_id,
            "app_version": WORKFLOW_VERSION,
        },
        *args,
    )

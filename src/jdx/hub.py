"""The hub: the composition root. Settings, engine, validation service and the registered
exchanges, built together; and the one start and stop of what runs beside the HTTP workers.

``create_hub(settings)`` is the one place that wires the parts; channels (HTTP, SFTP, CLI) take a
hub and never build their own engine or validators. An exchange joins through ``register(hub)``
alone, which hands the hub an :class:`Exchange`: its dictionaries, tables, services, HTTP
routes, durable workflows and periodic jobs. ``Hub.start()`` launches DBOS once, binds every
exchange's workflows and runs the periodic jobs and the notifier; ``jdx serve`` and the tests
call it alike (docs/dev/architecture.md, "How an exchange joins the hub").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar, cast

import sqlalchemy as sa

from jdx._periodic import Periodic
from jdx.security import passwords
from jdx.security.keys import KeyCache
from jdx.settings import Settings
from jdx.store.engine import create_engine, read_only
from jdx.store.queries import domain_codes, domain_versions
from jdx.store.tables import metadata as hub_metadata
from jdx.validation import ValidationService

if TYPE_CHECKING:
    from jdx.workflows import Workflows

Register = Callable[["Hub"], None]
S = TypeVar("S")
W = TypeVar("W", bound="Workflows")


@dataclass(frozen=True)
class Exchange:
    """Everything one exchange brings to the hub, handed over by its ``register(hub)``.

    ``routes`` names the HTTP channel's modules that serve the exchange, each with a
    ``router(hub) -> APIRouter``: by name, because an exchange never imports a channel
    (tests/test_architecture.py); the HTTP app imports them (``channels/http/app.py``).
    ``workflows`` are factories, called by :meth:`Hub.start` alone: the instances they make are
    DBOS configured instances (``jdx/workflows.py``), which only a process that runs workflows
    may create, and which import DBOS, which a CLI command does not need."""

    name: str
    # on jdx.store.tables.metadata: their foreign keys name the hub's tables (agencies)
    tables: tuple[sa.Table, ...]
    dictionaries: tuple[str, ...] = ()
    services: tuple[object, ...] = ()
    routes: tuple[str, ...] = ()
    workflows: tuple[Callable[[Hub], Workflows], ...] = ()
    periodic: tuple[Periodic, ...] = ()


@dataclass
class Hub:
    settings: Settings
    engine: sa.Engine
    validation: ValidationService
    keys: KeyCache
    exchanges: dict[str, Exchange] = field(default_factory=dict)
    # the hub's own jobs (the notifier) and every exchange's, run by start()
    periodic: list[Periodic] = field(default_factory=list)
    _services: dict[type, object] = field(default_factory=dict)
    _running: dict[type, Workflows] = field(default_factory=dict)
    _started: list[Callable[[], None]] | None = None  # what stop() undoes, last first
    _domain_versions: dict[str, int] = field(default_factory=dict)
    _domains_checked: float = 0.0

    # --- composition ------------------------------------------------------------------------

    def join(self, exchange: Exchange) -> None:
        """Take in what ``exchange`` brings (called by its ``register``)."""
        if exchange.name in self.exchanges:
            raise ValueError(f"the exchange {exchange.name!r} is registered already")
        strays = [t.name for t in exchange.tables if t.metadata is not self.metadata]
        if strays:
            # one MetaData: the tables' foreign keys name the hub's tables by name
            raise ValueError(f"{exchange.name}: {strays} are not on jdx.store.tables.metadata")
        for name in exchange.dictionaries:
            self.validation.add_file(name)
        for service in exchange.services:
            if type(service) in self._services:
                raise ValueError(f"a {type(service).__name__} is registered already")
            self._services[type(service)] = service
        self.periodic.extend(exchange.periodic)
        self.exchanges[exchange.name] = exchange

    def service(self, kind: type[S]) -> S:
        """The registered service of class ``kind`` (``hub.service(StopService)``)."""
        try:
            return cast(S, self._services[kind])
        except KeyError:
            raise LookupError(
                f"no {kind.__name__} on this hub: its exchange is not registered"
            ) from None

    @property
    def metadata(self) -> sa.MetaData:
        """The tables of the hub and of every registered exchange (migrations compare them)."""
        return hub_metadata

    def periodic_job(self, name: str) -> Periodic:
        """The periodic job called ``name`` (tests run one on its own)."""
        found = [job for job in self.periodic if job.name == name]
        if not found:
            raise LookupError(f"no periodic job {name!r}")
        return found[0]

    # --- running ----------------------------------------------------------------------------

    def start(self, *, periodic: bool = True) -> None:
        """Launch DBOS (once per process) with every exchange's workflows, then run the periodic
        jobs; a second call does nothing. What a crash interrupted resumes here: DBOS recovers
        the workflows this node had in flight (``jdx/workflows.py``).

        ``periodic=False`` leaves the periodic jobs (the notifier among them) to the caller:
        the tests run each one where they mean to, so that no background round races them."""
        if self._started is not None:
            return
        from jdx import workflows

        started: list[Callable[[], None]] = []
        self._started = started
        try:
            from jdx import takeover

            if periodic and any(job.name == takeover.JOB for job in self.periodic):
                takeover.join(self)  # before DBOS launches: the node's first beat
            factories = [make for e in self.exchanges.values() for make in e.workflows]
            if factories:
                instances = workflows.launch(self, factories)
                started.append(lambda: workflows.shutdown(instances))
                self._running.update((type(i), i) for i in instances)
                started.append(self._running.clear)
                for instance in instances:
                    instance.launched()
                    started.append(instance.stopping)
            if periodic:
                for job in self.periodic:
                    started.append(job.start())
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Undo :meth:`start`, last first: the periodic jobs, each exchange's workflow threads,
        then DBOS (the workflows in flight resume at the next start, here or on another node)."""
        started, self._started = self._started, None
        for undo in reversed(started or []):
            undo()

    def running(self, kind: type[W]) -> W | None:
        """This hub's started workflows of class ``kind``, or None where they do not run here
        (an HTTP worker, a CLI command): such a process enqueues through a DBOS client."""
        return cast("W | None", self._running.get(kind))

    def refresh_domains(self, *, force: bool = False) -> None:
        """Pick up domain tables that any process reloaded; cheap enough to call per request.

        The version query runs at most every ``domain_refresh_seconds``; codes are fetched only
        for tables whose version changed.
        """
        moment = time.monotonic()
        if not force and not self.domains_due(moment):
            return
        self._domains_checked = moment
        with self.engine.connect() as conn:
            load_domains(read_only(conn), self.validation, self._domain_versions)

    def domains_due(self, moment: float | None = None) -> bool:
        """Whether :meth:`refresh_domains` would query the database now."""
        moment = time.monotonic() if moment is None else moment
        return moment - self._domains_checked >= self.settings.domain_refresh_seconds

    def dispose(self) -> None:
        self.stop()
        for service in self._services.values():
            close = getattr(service, "close", None)
            if close is not None:
                close()  # worker processes first: they hold nothing of the engine's
        self.engine.dispose()


def load_domains(
    conn: sa.Connection, validation: ValidationService, loaded: dict[str, int]
) -> None:
    """Give ``validation`` the domain tables its dictionaries use whose version differs from
    ``loaded`` (table name → version held), and note the new versions there."""
    wanted = {
        name: d for dic in validation.dictionaries.values() for name, d in dic.domains.items()
    }
    for name, version in domain_versions(conn).items():
        if name in wanted and loaded.get(name) != version:
            codes = domain_codes(conn, name)
            if wanted[name].normalize == "upper":
                codes = [c.upper() for c in codes]
            if codes:
                validation.set_domain(name, codes)
            else:  # loaded from a file without rows: not checked (every code would fail)
                validation.domains.pop(name, None)
            loaded[name] = version


def builtin_exchanges() -> list[Register]:
    """The exchanges every hub registers, in this order (the landing page's too)."""
    from jdx.exchanges import cases, rapsheets, stops

    return [stops.register, cases.register, rapsheets.register]


def create_hub(settings: Settings, *, exchanges: list[Register] | None = None) -> Hub:
    engine = create_engine(settings)
    # per process: the cap guards this machine's memory and cores (security/passwords.py)
    passwords.limit_concurrency(
        settings.password_hashes_at_once, settings.password_hash_wait_seconds
    )
    hub = Hub(
        settings=settings,
        engine=engine,
        validation=ValidationService(),
        keys=KeyCache(engine, settings.auth_cache_seconds),
    )
    _hub_tables()
    hub.periodic.append(_notifier(hub))
    hub.periodic.extend(_takeover(hub))
    for register in exchanges if exchanges is not None else builtin_exchanges():
        register(hub)
    return hub


def _hub_tables() -> None:
    """The hub's own tables beside ``store/tables.py``'s: users, their credentials and recovery
    codes, throttles."""
    import jdx.security.credentials
    import jdx.security.recovery
    import jdx.security.throttle
    import jdx.security.users  # noqa: F401


def _takeover(hub: Hub) -> list[Periodic]:
    """The node's heartbeat and the takeover of dead nodes' workflows (PostgreSQL only)."""
    from jdx import takeover

    found = takeover.periodic(hub)
    return [] if found is None else [found]


def _notifier(hub: Hub) -> Periodic:
    """The outbox's mail, sent by every node (the claims keep each mail to one of them)."""
    from jdx.notify.notifier import Notifier

    return Notifier(hub.engine, hub.settings).periodic()

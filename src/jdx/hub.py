"""The hub: settings, engine, validation service and the registered exchanges, built together.

``create_hub(settings)`` is the one place that wires the parts; channels (HTTP, SFTP, CLI) take a
hub and never build their own engine or validators. Exchanges join through ``register(hub)``,
the same door a fourth exchange would use.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from jdx.security import passwords
from jdx.security.keys import KeyCache
from jdx.settings import Settings
from jdx.store.engine import create_engine, read_only
from jdx.store.queries import domain_codes, domain_versions
from jdx.validation import ValidationService

Register = Callable[["Hub"], None]


@dataclass
class Hub:
    settings: Settings
    engine: sa.Engine
    validation: ValidationService
    keys: KeyCache
    services: dict[str, Any] = field(default_factory=dict)
    exchanges: list[str] = field(default_factory=list)
    _domain_versions: dict[str, int] = field(default_factory=dict)
    _domains_checked: float = 0.0

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
        for service in self.services.values():
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


def builtin_exchanges() -> list[tuple[str, Register]]:
    from jdx.exchanges import cases, rapsheets, stops

    return [
        ("stops", stops.register),
        ("cases", cases.register),
        ("rapsheets", rapsheets.register),
    ]


def create_hub(settings: Settings, *, exchanges: list[tuple[str, Register]] | None = None) -> Hub:
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
    for name, register in exchanges if exchanges is not None else builtin_exchanges():
        register(hub)
        hub.exchanges.append(name)
    return hub

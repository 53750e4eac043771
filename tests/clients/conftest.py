"""A real hub for the clients' tests: `jdx serve` with the demo data, started once per package
(per xdist worker) and stopped when the package's tests are done, also when they fail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from tests.test_crash import ORI, Hub, demo_hub
from tests.test_serve import free_port, jdx


@dataclass(frozen=True)
class RunningHub:
    hub: Hub
    keys: dict[str, str]  # realm: the demo agency's API key, as `jdx demo` printed it
    data: Path

    @property
    def base(self) -> str:
        return self.hub.base

    @property
    def key(self) -> str:
        return self.keys["prod"]


@pytest.fixture(scope="package")
def running_hub(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[RunningHub]:
    folder = tmp_path_factory.mktemp("clients-hub")
    with demo_hub(
        folder,
        # on PostgreSQL a database of its own, not the one test_crash's hub of this worker makes
        f"clients_{worker_id}",
        JDX_SFTP_PORT=str(free_port()),
        # the NamUs routes ask for a client certificate forwarded by a TLS proxy: a local trial
        JDX_NAMUS_REQUIRE_CLIENT_CERT="false",
        JDX_ONESTOP_SUMMARY_SECONDS="0",
    ) as (hub, _engine):
        printed = jdx(hub.env, "demo")  # printed again on every run: the keys of the first
        keys = orjson.loads(printed.stdout)["api_keys"]
        hub.start()
        yield RunningHub(hub, keys, folder / "data")


__all__ = ["ORI", "RunningHub"]

"""What the operator's kit costs the stop web service's hot path (issue 17).

Every request passes two layers in front of the app: its request id (``request_ids.py``) and the
request metrics (``metrics.py``: a timer, a counter and a histogram in prometheus_client's
multiprocess mode, as under ``jdx serve``). On a machine shared with other work, two HTTP bench
runs minutes apart differ by more than these layers cost, so this bench measures them where
the load falls on both sides alike: in one process, on one SQLite database, ``POST
/sdcs/v1/stops`` (new valid stops, 32 in flight) through the whole app with the layers and
through the same app with them peeled off, in alternating batches (ABAB then BABA: the table's
growth falls on both), reporting the CPU per request of each side (``time.process_time``: the
store's threads included).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from bench.records import Generator

ASGI = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
ORI = "CA0370000"
IN_FLIGHT = 32


def _records() -> Iterator[bytes]:
    gen = Generator(seed=17)
    n = 0
    while True:
        record = gen.valid_record(n % 5000)
        record["ORI"] = ORI
        record["LEARecordID"] = f"L{n:09d}"
        record["Officer"]["UID"] = f"U{n:08d}"[-9:]
        record["STime"] = f"{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}"
        n += 1
        yield orjson.dumps(record)


def _apps(data_dir: Path) -> tuple[ASGI, ASGI, str, bool]:
    """(app with the layers, app without them, API key, whether metrics count in files)."""
    # as jdx serve sets it for its workers, before prometheus_client is imported
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(data_dir / "metrics"))
    (data_dir / "metrics").mkdir(exist_ok=True)
    import logging

    from jdx import logs
    from jdx.channels.http import metrics
    from jdx.channels.http.app import create_app
    from jdx.channels.http.deadlines import BodyDeadline
    from jdx.exchanges.stops.domain_samples import load_samples
    from jdx.hub import create_hub
    from jdx.security.keys import issue_key
    from jdx.settings import load_settings
    from jdx.store import schema
    from jdx.store.queries import add_agency

    logs.configure("INFO")  # the submission's log line, as jdx serve writes it, to nowhere
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(Path(os.devnull).open("w"))  # noqa: SIM115 (for the bench's lifetime)
    hub = create_hub(load_settings(data_dir=data_dir))
    schema.upgrade(hub.engine)
    with hub.engine.begin() as conn:
        load_samples(conn, hub.validation)
        agency = add_agency(conn, ORI, "Bench")
        key = issue_key(conn, agency.id, "prod")
    hub.refresh_domains(force=True)
    layered = create_app(hub=hub)
    bare = create_app(hub=hub)
    stack: Any = bare.build_middleware_stack()
    while not isinstance(stack, BodyDeadline):  # peel the request id and metrics layers off
        stack = stack.app
    bare.middleware_stack = stack
    return layered, bare, key, metrics.counted_in_files()


async def _post(app: ASGI, key: str, body: bytes, statuses: list[int]) -> None:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)  # no disconnect while the answer is written
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/sdcs/v1/stops",
        "raw_path": b"/sdcs/v1/stops",
        "root_path": "",
        "query_string": b"",
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "headers": [
            (b"host", b"hub"),
            (b"authorization", f"Bearer {key}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    await app(scope, receive, send)


async def _batch(app: ASGI, key: str, records: Iterator[bytes], requests: int) -> float:
    """CPU milliseconds per request of ``requests`` stops, ``IN_FLIGHT`` at a time."""
    statuses: list[int] = []
    started = time.process_time()
    for _ in range(requests // IN_FLIGHT):
        await asyncio.gather(*(_post(app, key, next(records), statuses) for _ in range(IN_FLIGHT)))
    spent = time.process_time() - started
    if set(statuses) != {200}:
        raise RuntimeError(f"answers other than 200: {sorted(set(statuses))}")
    return spent / len(statuses) * 1000


def run(rounds: int = 24, per_round: int = 640) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="jdx-bench-layers-") as folder:
        layered, bare, key, in_files = _apps(Path(folder))
        records = _records()

        async def measure() -> tuple[list[float], list[float]]:
            await _batch(layered, key, records, 10 * IN_FLIGHT)  # warm-up, both sides
            await _batch(bare, key, records, 10 * IN_FLIGHT)
            with_layers: list[float] = []
            without: list[float] = []
            for r in range(rounds):
                sides = [(layered, with_layers), (bare, without)]
                for app, into in sides if r % 2 == 0 else reversed(sides):
                    into.append(await _batch(app, key, records, per_round))
            return with_layers, without

        with_layers, without = asyncio.run(measure())
    differences = [a - b for a, b in zip(with_layers, without, strict=True)]
    return {
        "rounds": rounds,
        "requests_per_round": per_round,
        "metrics_in_files": in_files,
        "with_layers_ms": with_layers,
        "without_layers_ms": without,
        "median_with_ms": statistics.median(with_layers),
        "median_without_ms": statistics.median(without),
        "median_difference_us": statistics.median(differences) * 1000,
    }


def table(summary: dict[str, Any]) -> str:
    return "\n".join(
        [
            "| POST /sdcs/v1/stops, SQLite, one process | CPU ms/request (median of rounds) |",
            "|---|---:|",
            f"| without the request id and metrics layers | {summary['median_without_ms']:.3f} |",
            f"| with them | {summary['median_with_ms']:.3f} |",
            f"| difference, median of the pairs | {summary['median_difference_us']:.1f} µs |",
        ]
    )

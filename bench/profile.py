"""Where the time of one POST goes: py-spy on a loaded server, cProfile on a direct loop.

1. ``http``: ``jdx serve --workers 1`` under the same wrk load as the HTTP bench; py-spy samples
   the thread holding the GIL (``--gil``), i.e. the Python work that a worker process serialises,
   and each sample is put in the phase of its innermost known frame (see ``PHASES``).
2. ``direct``: ``StopService.submit_stop`` called in a loop in-process (no HTTP), the API key
   checked first as the route does; cProfile gives the cumulative time of each phase.
"""

from __future__ import annotations

import contextlib
import cProfile
import pstats
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, MutableMapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.http import HOST, LUA, VENV_BIN, prepare, serving, templates
from jdx.hub import Hub

# (phase, frame substring); the innermost frame of a stack that matches decides its phase.
PHASES: list[tuple[str, str]] = [
    ("read body", "read_body (jdx/channels/http/common.py"),
    ("auth and domain refresh (queries, when due)", "_principal_of (jdx/channels/http/sdcs.py"),
    ("JSON parse (orjson)", "_parse (jdx/channels/http/sdcs.py"),
    ("header checks", "_check_headers (jdx/channels/http/sdcs.py"),
    ("grouping (queue, thread hop, answers)", "(jdx/channels/http/grouping.py"),
    ("transaction (begin, commit, pool)", "submit_stops (jdx/exchanges/stops/service.py"),
    ("transaction (begin, commit, pool)", "submit_stop (jdx/exchanges/stops/service.py"),
    ("validation (compiled dictionary)", "check_data (jdx/exchanges/stops/service.py"),
    ("agency lock", "lock_agency (jdx/store/locks.py"),
    ("relational checks (duplicate queries)", "load (jdx/exchanges/stops/queries.py"),
    ("relational checks (duplicate queries)", "add_issues (jdx/exchanges/stops/rules.py"),
    ("store: INSERT stops", "insert_rows (jdx/store/bulk.py"),
    ("store: INSERT stops", "_store (jdx/exchanges/stops/service.py"),
    ("store: canonical copy", "canonical (jdx/dictionary/shape.py"),
    ("audit INSERT", "audit_many (jdx/store/queries.py"),
    ("request log line", "info (logging/__init__.py"),
    ("response (JSON body, headers)", "_respond (jdx/channels/http/sdcs.py"),
]
FRAMEWORK = "framework (uvicorn, starlette, fastapi, anyio threads)"
EVENT_LOOP = "event loop and HTTP parsing (uvloop/httptools, C)"


@dataclass
class Breakdown:
    source: str
    samples: int
    requests: int
    ms_per_request: dict[str, float]  # phase -> milliseconds of GIL-holding work per request
    share: dict[str, float]  # phase -> share of the samples
    sqlalchemy_share: float  # share of samples with a SQLAlchemy frame on the stack

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def phase_of(stack: str) -> str:
    best, best_at = "", -1
    for phase, marker in PHASES:
        at = stack.rfind(marker)
        if at > best_at:
            best, best_at = phase, at
    if best:
        return best
    frames = [f for f in stack.split(";") if f.strip()]
    if not frames or frames[-1].startswith("Runner.run (asyncio/runners.py"):
        return EVENT_LOOP
    return FRAMEWORK


def categorise(raw: Path, rate: int, requests: int, source: str) -> Breakdown:
    """py-spy ``--format raw`` lines ("frame;frame;... count") summed per phase."""
    per_phase: Counter[str] = Counter()
    sqlalchemy = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        per_phase[phase_of(stack)] += n
        if "(sqlalchemy/" in stack:
            sqlalchemy += n
    total = sum(per_phase.values()) or 1
    order = [*dict.fromkeys(p for p, _ in PHASES), FRAMEWORK, EVENT_LOOP]
    return Breakdown(
        source=source,
        samples=total,
        requests=requests,
        ms_per_request={
            p: round(1000 * per_phase[p] / rate / max(requests, 1), 3)
            for p in order
            if per_phase[p]
        },
        share={p: round(per_phase[p] / total, 3) for p in order if per_phase[p]},
        sqlalchemy_share=round(sqlalchemy / total, 3),
    )


def profile_http(
    database_url: str | None, *, seconds: int = 15, rate: int = 100, connections: int = 32
) -> Breakdown:
    """py-spy --gil on a one-worker server while wrk keeps it busy (one agency)."""
    db = "postgresql" if database_url else "sqlite"
    work = Path(tempfile.mkdtemp(prefix=f"jdx-bench-profile-{db}-"))
    try:
        env, added = prepare(work / "data", database_url, 1)
        keys = work / "agencies.txt"
        keys.write_text("".join(f"{ori} {key}\n" for ori, key in added))
        bodies = templates(work / "bodies.ndjson")
        answers = work / "answers"
        answers.mkdir()
        with serving(env, 1, work / "server.log") as (port, pid):
            load = subprocess.Popen(
                [
                    "wrk",
                    "--threads=2",
                    f"--connections={connections}",
                    f"--duration={seconds + 6}s",
                    f"--script={LUA}",
                    f"http://{HOST}:{port}/sdcs/v1/stops",
                    "--",
                    str(bodies),
                    str(keys),
                    "P",
                    str(answers),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                time.sleep(3)
                before = _answered(answers)
                out = work / "pyspy.txt"
                subprocess.run(
                    [
                        str(VENV_BIN / "py-spy"),
                        "record",
                        "--pid",
                        str(pid),
                        "--gil",
                        "--nonblocking",
                        "--rate",
                        str(rate),
                        "--duration",
                        str(seconds),
                        "--format",
                        "raw",
                        "--output",
                        str(out),
                    ],
                    check=True,
                    capture_output=True,
                    timeout=seconds + 60,
                )
                requests = _answered(answers) - before
            finally:
                load.wait(timeout=seconds + 60)
        return categorise(
            out, rate, requests, f"py-spy --gil, jdx serve (1 worker, {db}), wrk c={connections}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _answered(folder: Path) -> int:
    return sum(len(p.read_bytes().splitlines()) for p in folder.glob("answered-*.txt"))


@contextlib.contextmanager
def bench_hub(database_url: str | None, kind: str) -> Iterator[tuple[Hub, str, str, list[str]]]:
    """A hub on a fresh bench database with one agency: (hub, ORI, API key, body templates)."""
    from jdx.hub import create_hub
    from jdx.settings import Settings

    db = "postgresql" if database_url else "sqlite"
    work = Path(tempfile.mkdtemp(prefix=f"jdx-bench-{kind}-{db}-"))
    try:
        env, added = prepare(work / "data", database_url, 1)
        ori, key = added[0]
        settings = Settings(data_dir=work / "data", database_url=env.get("JDX_DATABASE_URL", ""))
        hub = create_hub(settings)
        hub.refresh_domains(force=True)
        try:
            yield hub, ori, key, templates(work / "bodies.ndjson").read_text().splitlines()
        finally:
            hub.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def stop_body(templates: list[str], ori: str, tag: str, i: int) -> bytes:
    """The i-th new stop from the bench templates, as ``wrk_post.lua`` makes them."""
    secs = i % 86400
    return (
        templates[i % len(templates)]
        .replace("@@ORI@@", ori)
        .replace("@@LEA@@", f"{tag}-{i}")
        .replace("@@UID@@", f"{tag}{i:08d}")
        .replace("@@TIME@@", f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}")
        .encode()
    )


def profile_direct(database_url: str | None, n: int = 3000) -> dict[str, Any]:
    """submit_stop (plus the key check) called n times in-process; cProfile per phase."""
    import orjson

    from jdx.exchanges.stops.records import Op
    from jdx.exchanges.stops.service import StopService
    from jdx.security.keys import authenticate
    from jdx.store.engine import read_only

    db = "postgresql" if database_url else "sqlite"
    with bench_hub(database_url, "direct") as (hub, ori, key, bodies):
        service = hub.service(StopService)

        payloads = [stop_body(bodies, ori, "D", i) for i in range(2 * n + 200)]

        def one(i: int) -> None:
            with hub.engine.connect() as conn:
                principal = authenticate(read_only(conn), key)
            assert principal is not None
            record = orjson.loads(payloads[i])
            result = service.submit_stop(principal, record, Op.INSERT, channel="http")
            assert result.status == "Successful Submission", result.outcome.issues

        for i in range(2 * n, 2 * n + 200):  # warm the pools and caches
            one(i)
        started = time.perf_counter()
        for i in range(n):
            one(i)
        plain = time.perf_counter() - started
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(n, 2 * n):
            one(i)
        profiler.disable()
        return {
            "db": db,
            "requests": n,
            "ms_per_request": round(1000 * plain / n, 3),
            "phases_ms_profiled": _cumulative_ms(pstats.Stats(profiler), n),
        }


DIRECT_PHASES: dict[str, tuple[str, str]] = {
    # phase -> (file suffix, function name) whose cumulative time is the phase
    "auth (API key query)": ("jdx/security/keys.py", "authenticate"),
    "JSON parse (orjson)": ("~", "<built-in method orjson.loads>"),
    "submit_stop (all of it)": ("jdx/exchanges/stops/service.py", "submit_stop"),
    "validation": ("jdx/exchanges/stops/service.py", "check_data"),
    "agency lock": ("jdx/store/locks.py", "lock_agency"),
    "relational checks": ("jdx/exchanges/stops/rules.py", "add_issues"),
    "store (canonical + INSERT)": ("jdx/exchanges/stops/service.py", "_store"),
    "canonical copy": ("jdx/dictionary/shape.py", "canonical"),
    "audit INSERT": ("jdx/store/queries.py", "audit"),
    "commit": ("sqlalchemy/engine/base.py", "_commit_impl"),
}


def _cumulative_ms(stats: pstats.Stats, n: int) -> dict[str, float]:
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    out: dict[str, float] = {}
    for phase, (suffix, name) in DIRECT_PHASES.items():
        total = 0.0
        for (filename, _line, func), (_cc, _nc, _tt, ct, _callers) in raw.items():
            if func == name and filename.endswith(suffix):
                total = max(total, ct)
        out[phase] = round(1000 * total / n, 3)
    return out


def asgi_cpu(database_url: str | None, n: int = 5000, concurrency: int = 32) -> dict[str, Any]:
    """The whole app without a socket: ``concurrency`` tasks POST new stops through the ASGI
    app (lean route, grouped commits, log line and all) on one event loop; CPU per request of
    this process, its store threads included. Served figures less this are the HTTP server,
    the kernel and the hub's background work."""
    import asyncio
    import resource

    from jdx.channels.http.app import create_app

    db = "postgresql" if database_url else "sqlite"
    with bench_hub(database_url, "asgi") as (hub, ori, key, lines):
        app = create_app(hub=hub)
        statuses: Counter[int] = Counter()
        headers = [
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {key}".encode()),
        ]

        async def one(i: int) -> None:
            body = stop_body(lines, ori, "A", i)
            scope = {
                "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                "method": "POST", "scheme": "http", "path": "/sdcs/v1/stops",
                "raw_path": b"/sdcs/v1/stops", "query_string": b"", "root_path": "",
                "headers": [*headers, (b"content-length", str(len(body)).encode())],
                "client": (HOST, 50000), "server": (HOST, 80),
            }  # fmt: skip
            messages = [{"type": "http.request", "body": body, "more_body": False}]

            async def receive() -> dict[str, Any]:
                if messages:
                    return messages.pop()
                await asyncio.sleep(3600)  # no disconnect while the answer is sent
                return {"type": "http.disconnect"}

            async def send(message: MutableMapping[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    statuses[message["status"]] += 1

            await app(scope, receive, send)

        async def run(first: int, count: int) -> None:
            todo = iter(range(first, first + count))

            async def client() -> None:
                for i in todo:
                    await one(i)

            await asyncio.gather(*(client() for _ in range(concurrency)))

        async def main() -> tuple[float, float]:
            await run(10**6, 300)  # warm the pools and caches
            before = resource.getrusage(resource.RUSAGE_SELF)
            started = time.perf_counter()
            await run(0, n)
            after = resource.getrusage(resource.RUSAGE_SELF)
            cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            return cpu, time.perf_counter() - started

        cpu, wall = asyncio.run(main())
        return {
            "db": db,
            "requests": n,
            "concurrency": concurrency,
            "cpu_ms_per_request": round(1000 * cpu / n, 3),
            "requests_per_s": round(n / wall),
            "statuses": {str(k): v for k, v in statuses.items()},
        }

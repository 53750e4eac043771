"""A soak: a steady mixed load against one real ``jdx serve`` on loopback, its memory sampled.

Issue 17: a 10-minute soak at 88 requests/s held (no 5xx) but the server's RSS rose 154 → 160 MB
and was still rising. This runs the same kind of load for as long as asked and samples the RSS
of every process of the server's process group (the hub, its uvicorn workers, a bulk
forkserver if one started) every ``sample_seconds``, so that a drift shows as a slope:

- stop records POSTed (new ones), and read back with GET, most of the traffic;
- a small batch file (``PUT /sdcs/v1/files``, 20 records: a DBOS file workflow) now and then,
  its status polled;
- a NamUs import job (5 cases: a DBOS job workflow) now and then, its status read;
- a rap-sheet request: the FBI/III's notification, the state's portion (delivered to the
  requester), the requester's outbox read and the delivery fetched.

The server is a fresh hub on SQLite (or the PostgreSQL URL given, whose database is dropped
and made anew) with the sample domain tables. The load is paced (``rate`` requests a second,
whatever the answers' speed, from a few threads), so a slower server sees the same work; it
stops by itself after ``minutes``. Nothing but 127.0.0.1 (and the PostgreSQL URL) is reached.

``trace`` (a folder) runs the server watched (``bench/traced_serve.py``): every ``trace_seconds``
a census of its Python objects by type and its native memory (glibc malloc in use and free but
kept, SQLite's own count), and with ``trace_frames`` a tracemalloc snapshot (compare two with
``--compare``). That is the debugging run that found the drift (docs/benchmarks.md, "Memory over
a long run"); ``--server-env NAME=VALUE`` tries an allocator setting without a code change.

    python -m bench.soak --minutes 30 --rate 40               # bench/results/soak.json
    python -m bench.soak --minutes 10 --postgres postgresql://postgres@127.0.0.1/soak --label pg
    python -m bench.soak --minutes 6 --trace /tmp/watch --trace-seconds 60
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import itertools
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bench import processes
from bench.http import HOST, VENV_BIN, _free_port, _jdx, prepare
from bench.namus import _cases, _certificate
from bench.records import Generator

NOTIFIER = "DCFBIWA00"  # the FBI/III's ORI: the default rap_notifiers
RESPONDER, RESPONDER_STATE = "TX0000000", "TX"
BATCH_RECORDS = 20
JOB_CASES = 5


@dataclass
class SoakConfig:
    minutes: float = 10.0
    rate: float = 40.0  # requests a second, all kinds together
    sample_seconds: float = 10.0
    file_every: float = 30.0  # seconds between batch files
    job_every: float = 20.0  # seconds between NamUs jobs
    rap_every: float = 10.0  # seconds between rap-sheet requests (4 requests each)
    workers: int = 1
    database_url: str | None = None
    trace: Path | None = None
    trace_seconds: float = 60.0
    trace_frames: int = 0  # 0: a census of objects only; more: tracemalloc too
    server_env: dict[str, str] = field(default_factory=dict)  # more variables for the server


@dataclass
class Sample:
    second: float
    rss_mb: float  # summed over the server's processes
    processes: int
    requests: int


@dataclass
class SoakResult:
    config: dict[str, Any]
    samples: list[Sample] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    skipped: int = 0  # requests not sent: the server was behind by a second's worth already
    files_done: int = 0
    jobs_sent: int = 0
    raps_delivered: int = 0

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def rss_at(self, minute: float) -> float | None:
        """The last sample taken at or before ``minute`` minutes."""
        taken = [s for s in self.samples if s.second <= minute * 60 + 1]
        return taken[-1].rss_mb if taken else None

    def summary(self) -> dict[str, Any]:
        seconds = self.samples[-1].second if self.samples else 0.0
        marks = {m: self.rss_at(m) for m in (1, 5, 10, 20, 30) if m * 60 <= seconds + 1}
        end = self.samples[-1].rss_mb if self.samples else None
        five = marks.get(5)
        return {
            "config": self.config,
            "seconds": round(seconds, 1),
            "requests": self.requests,
            "requests_per_second": round(self.requests / seconds, 1) if seconds else 0.0,
            "statuses": dict(sorted(self.statuses.items())),
            "errors": dict(self.errors),
            "server_errors": self.server_errors,
            "skipped": self.skipped,
            "files_done": self.files_done,
            "jobs_sent": self.jobs_sent,
            "raps_delivered": self.raps_delivered,
            "rss_mb_at_minute": {str(m): v for m, v in marks.items()},
            "rss_mb_end": end,
            "end_over_5_minutes_percent": (
                round(100 * (end - five) / five, 2) if end is not None and five else None
            ),
            "samples": [dataclasses.asdict(s) for s in self.samples],
        }


def rss_mb(pgid: int) -> tuple[float, int]:
    """The summed VmRSS of a process group's living members, and how many there are."""
    total_kb, count = 0, 0
    for pid in processes.members(pgid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
                    count += 1
                    break
    return round(total_kb / 1024, 1), count


# --- the hub ----------------------------------------------------------------------------------


@dataclass
class Hub:
    env: dict[str, str]
    data_dir: Path
    ori: str
    key: str
    notifier_key: str
    responder_key: str
    cert_headers: dict[str, str]


def prepare_hub(data_dir: Path, database_url: str | None) -> Hub:
    """A migrated hub with the domain tables, the load's agency (also a NamUs import account
    with a client certificate), the FBI/III notifier and a Texas rap-sheet responder."""
    env, [(ori, key)] = prepare(data_dir, database_url, 1)
    env["JDX_NAMUS_MAX_JOBS_PER_DAY"] = "100000"

    def add(agency: str, name: str) -> str:
        made = json.loads(_jdx(env, "agency", "add", agency, "--name", name))
        return str(made["api_keys"]["prod"])

    notifier_key = add(NOTIFIER, "FBI/III (soak)")
    responder_key = add(RESPONDER, "Texas DPS (soak)")
    _jdx(env, "rapsheet", "responders", "add", RESPONDER, RESPONDER_STATE)
    _jdx(env, "namus", "account", ori, "--sponsor", "Soak sponsor", "--grant-import")
    pem, cert_headers = _certificate()
    (data_dir / "import-client.pem").write_bytes(pem)
    _jdx(env, "namus", "cert", "add", ori, str(data_dir / "import-client.pem"))
    return Hub(env, data_dir, ori, key, notifier_key, responder_key, cert_headers)


@contextlib.contextmanager
def serving(hub: Hub, config: SoakConfig, log: Path) -> Iterator[tuple[str, int]]:
    """``jdx serve`` (under tracemalloc when ``config.trace``) on a free loopback port; yields
    its base URL and process group id, and stops the group when the block ends."""
    port = _free_port()
    env = {
        **hub.env,
        "JDX_HOST": HOST,
        "JDX_PORT": str(port),
        "JDX_WORKERS": str(config.workers),
        "JDX_SFTP": "off",
        "JDX_LOG_LEVEL": "WARNING",
        "JDX_TRUSTED_PROXIES": '["127.0.0.1"]',  # the load stands for nginx over TCP
        "JDX_ONESTOP_SUMMARY_SECONDS": "0",
        **config.server_env,
    }
    if config.trace is not None:
        config.trace.mkdir(parents=True, exist_ok=True)
        argv = [
            str(VENV_BIN / "python"),
            "-m",
            "bench.traced_serve",
            str(config.trace),
            str(config.trace_seconds),
            str(config.trace_frames),
        ]
    else:
        argv = [str(VENV_BIN / "jdx"), "serve"]
    base = f"http://{HOST}:{port}"
    with (
        log.open("wb") as out,
        processes.group(
            argv,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parents[1],
        ) as proc,
    ):
        processes.wait_for_health(base, proc, seconds=90, detail=log.read_text)
        yield base, proc.pid


# --- the load ---------------------------------------------------------------------------------


class Load:
    """The requests of the mix, each counted in ``result``; every method is one 'task' the
    pacer hands to a thread."""

    def __init__(self, client: Any, hub: Hub, result: SoakResult) -> None:
        self.client, self.hub, self.result = client, hub, result
        self.generator = Generator(seed=17)
        self.counter = itertools.count()
        self.posted: list[str] = []  # LEARecordIDs stored, the GETs read them back
        self.lock = threading.Lock()
        self.auth = {"Authorization": f"Bearer {hub.key}", "Content-Type": "application/json"}

    def _send(self, method: str, url: str, **kwargs: Any) -> Any:
        try:
            answer = self.client.request(method, url, **kwargs)
        except Exception as exc:
            with self.lock:
                self.result.errors[type(exc).__name__] += 1
            return None
        with self.lock:
            self.result.statuses[answer.status_code] += 1
        return answer

    def _record(self) -> dict[str, Any]:
        with self.lock:
            n = next(self.counter)
        record = self.generator.valid_record(n)
        record["ORI"] = self.hub.ori
        return record

    def post_stop(self) -> None:
        record = self._record()
        answer = self._send(
            "POST", "/sdcs/v1/stops", content=orjson.dumps(record), headers=self.auth
        )
        if answer is not None and answer.status_code == 200:
            with self.lock:
                self.posted.append(record["LEARecordID"])
                del self.posted[:-1000]

    def get_stop(self) -> None:
        with self.lock:
            lea = self.posted[-1 - next(self.counter) % len(self.posted)] if self.posted else None
        if lea is not None:
            self._send("GET", f"/sdcs/v1/stops/{lea}", headers=self.auth)

    def batch_file(self) -> None:
        records = [self._record() for _ in range(BATCH_RECORDS)]
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
        name = f"{stamp}_{self.hub.ori}_{records[0]['LEARecordID']}.json"
        put = self._send(
            "PUT", f"/sdcs/v1/files/{name}", content=orjson.dumps(records), headers=self.auth
        )
        if put is None or put.status_code != 202:
            return
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(2)
            status = self._send("GET", put.headers["location"], headers=self.auth)
            if status is not None and status.json().get("state") in ("done", "failed"):
                with self.lock:
                    self.result.files_done += 1
                return

    def namus_job(self) -> None:
        with self.lock:
            n = next(self.counter)
        body = orjson.dumps({"cases": _cases(n, JOB_CASES)})
        headers = {**self.auth, **self.hub.cert_headers}
        answer = self._send("POST", "/namus/v1/jobs", content=body, headers=headers)
        if answer is not None and answer.status_code == 202:
            with self.lock:
                self.result.jobs_sent += 1
            time.sleep(2)
            self._send("GET", answer.json()["status_url"], headers=headers)

    def rap_sheet(self) -> None:
        from bench.rapsheets import STATES, portion
        from jdx.exchanges.rapsheets.transmission import write_rap_sheet

        with self.lock:
            n = next(self.counter)
        fbi = str(2_000_000 + n)
        _texas, sid = STATES[0]
        notice = "\n".join(
            [
                "EL01HEADERXXXX01234",
                self.hub.ori,
                "THIS INTERSTATE IDENTIFICATION INDEX RESPONSE IS THE RESULT OF YOUR REQUEST "
                f"FOR FBI/{fbi} .",
                "INDIVIDUAL'S RECORD WILL BE COMPLETE WHEN ALL RESPONSES ARE RECEIVED FROM THE "
                "FOLLOWING",
                f" TEXAS - STATE ID/{sid}",
                "END",
                "",
            ]
        )
        xml = {"Content-Type": "application/xml"}
        made = self._send(
            "POST",
            "/chri/v1/notifications",
            content=notice,
            headers={"Authorization": f"Bearer {self.hub.notifier_key}", **xml},
        )
        if made is None or made.status_code != 201:
            return
        sheet = portion(0, cycles=3)
        sheet = dataclasses.replace(
            sheet, identification=dataclasses.replace(sheet.identification, fbi_number=fbi)
        )
        sent = self._send(
            "POST",
            f"/chri/v1/rapsheets?destination={self.hub.ori}",
            content=write_rap_sheet(sheet),
            headers={"Authorization": f"Bearer {self.hub.responder_key}", **xml},
        )
        if sent is None or sent.status_code != 202 or sent.json().get("outcome") != "delivered":
            return
        listing = self._send("GET", "/chri/v1/outbox?unfetched=true", headers=self.auth)
        if listing is None or listing.status_code != 200:
            return
        for item in listing.json()["items"]:
            fetched = self._send("GET", item["href"], headers=self.auth)
            if fetched is not None and fetched.status_code == 200:
                with self.lock:
                    self.result.raps_delivered += 1


def run(config: SoakConfig, log: Callable[[str], None] = print) -> SoakResult:
    """Prepare a hub, serve it, load it for ``config.minutes`` and return what was seen."""
    import httpx2 as httpx

    from bench.http import _reset_postgres

    result = SoakResult(
        {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(config).items()}
    )
    data_dir = Path(tempfile.mkdtemp(prefix="jdx-soak-"))
    hub = prepare_hub(data_dir, config.database_url)
    log(f"soak: {config.minutes} min at {config.rate} req/s; data in {data_dir}")
    # the periodic tasks and their 'requests' (a rap-sheet request is four, a file two or more)
    periodic: list[tuple[float, str]] = [
        (config.file_every, "batch_file"),
        (config.job_every, "namus_job"),
        (config.rap_every, "rap_sheet"),
    ]
    periodic_rate = 3 / config.file_every + 2 / config.job_every + 4 / config.rap_every
    steady = max(config.rate - periodic_rate, 1.0)
    try:
        with (
            serving(hub, config, data_dir / "serve.log") as (base, pgid),
            httpx.Client(base_url=base, timeout=30) as client,
        ):
            pool = ThreadPoolExecutor(max_workers=8)
            pending: set[Any] = set()

            def submit(task: Callable[[], None]) -> None:
                # at most a second's worth waiting: a server that falls behind is not buried
                pending.difference_update([f for f in pending if f.done()])
                if len(pending) >= max(config.rate, 8):
                    result.skipped += 1
                    return
                pending.add(pool.submit(task))

            try:
                load = Load(client, hub, result)
                started = time.monotonic()
                end = started + config.minutes * 60
                next_sample = started
                next_periodic = {name: started + every / 2 for every, name in periodic}
                steady_sent = 0
                while (now := time.monotonic()) < end:
                    if now >= next_sample:
                        rss, count = rss_mb(pgid)
                        second = round(now - started, 1)
                        result.samples.append(Sample(second, rss, count, result.requests))
                        if int(second) % 60 < config.sample_seconds:
                            log(
                                f"  {second / 60:5.1f} min: RSS {rss} MB ({count} processes), "
                                f"{result.requests} requests, {result.server_errors} 5xx"
                            )
                        next_sample += config.sample_seconds
                    for every, name in periodic:
                        if now >= next_periodic[name]:
                            submit(getattr(load, name))
                            next_periodic[name] += every
                    # the steady part: 3 POSTs to 1 GET, paced to the wall clock
                    due = int((now - started) * steady)
                    while steady_sent < due:
                        submit(load.get_stop if steady_sent % 4 == 3 else load.post_stop)
                        steady_sent += 1
                    time.sleep(0.005)
                rss, count = rss_mb(pgid)
                result.samples.append(
                    Sample(round(time.monotonic() - started, 1), rss, count, result.requests)
                )
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
    finally:
        if config.database_url:
            with contextlib.suppress(Exception):
                _reset_postgres(config.database_url)  # leave an empty database, not the soak's
    return result


def top_growth(first: Path, last: Path, limit: int = 25) -> str:
    """The allocation sites that grew most between two tracemalloc snapshots (by traceback)."""
    import tracemalloc

    old = tracemalloc.Snapshot.load(str(first))
    new = tracemalloc.Snapshot.load(str(last))
    lines = []
    for stat in new.compare_to(old, "traceback")[:limit]:
        lines.append(f"{stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks")
        lines.extend(f"      {line}" for line in stat.traceback.format(limit=8))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    import argparse

    from bench.__main__ import machine, write

    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=SoakConfig.minutes)
    parser.add_argument("--rate", type=float, default=SoakConfig.rate)
    parser.add_argument("--workers", type=int, default=SoakConfig.workers)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL (its database is reset)")
    parser.add_argument("--trace", type=Path, default=None, help="tracemalloc snapshots here")
    parser.add_argument("--trace-seconds", type=float, default=SoakConfig.trace_seconds)
    parser.add_argument("--trace-frames", type=int, default=SoakConfig.trace_frames)
    parser.add_argument(
        "--server-env", action="append", default=[], metavar="NAME=VALUE", help="for the server"
    )
    parser.add_argument("--compare", nargs=2, type=Path, help="two snapshots: print the growth")
    parser.add_argument("--label", default="", help="saved as bench/results/soak[-LABEL].json")
    args = parser.parse_args(argv)
    if args.compare:
        print(top_growth(*args.compare))
        return
    config = SoakConfig(
        minutes=args.minutes,
        rate=args.rate,
        workers=args.workers,
        database_url=args.postgres,
        trace=args.trace,
        trace_seconds=args.trace_seconds,
        trace_frames=args.trace_frames,
        server_env=dict(pair.split("=", 1) for pair in args.server_env),
    )
    result = run(config, log=lambda m: print(m, file=sys.stderr, flush=True))
    summary = result.summary()
    print(
        f"rate {summary['requests_per_second']} req/s, {summary['requests']} requests, "
        f"{summary['server_errors']} 5xx, errors {summary['errors']}; files {result.files_done}, "
        f"jobs {result.jobs_sent}, rap sheets {result.raps_delivered}"
    )
    print(
        f"RSS MB at minute: {summary['rss_mb_at_minute']}; end {summary['rss_mb_end']} "
        f"({summary['end_over_5_minutes_percent']} % over the 5-minute figure)"
    )
    if not args.trace:
        name = f"soak-{args.label}" if args.label else "soak"
        print(write(name, {"machine": machine(), **summary}))


if __name__ == "__main__":
    main()

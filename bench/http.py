"""The stop web service under load: `jdx serve` on loopback, wrk in a second process.

For each database (SQLite; PostgreSQL when a URL is given), worker count and number of agencies,
a fresh database is migrated, given the agencies and the sample domain tables, and served by
``jdx serve --host 127.0.0.1``. wrk then POSTs new valid stop records (``wrk_post.lua``: unique
LEARecordID, Officer.UID and STime per request; the agencies taken in turn) over 32 connections:
a warm-up run, then the measured run, each bounded by wrk's ``--duration``. Afterwards the stored
rows are counted in the database and compared with the answers wrk got.

One agency's requests are processed one at a time (the seed's synchronous protocol), so one
agency measures that serialisation and N agencies the hub's throughput: both are reported.
Nothing here listens on or connects to anything but 127.0.0.1 (and the PostgreSQL URL given).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bench import processes
from bench.records import Generator, domain_csv
from jdx.exchanges.stops.domain_samples import DOMAIN_SAMPLES

HERE = Path(__file__).resolve().parent
VENV_BIN = HERE.parent / ".venv" / "bin"
LUA = HERE / "wrk_post.lua"
HOST = "127.0.0.1"
ORI_PREFIX = "CA03"  # bench agencies: CA0370000, CA0370001, ...
STATUS_OK = "Successful Submission"


@dataclass
class LoadConfig:
    duration: int = 15  # seconds of the measured run
    warmup: int = 3  # seconds of the warm-up run before it (same server, same database)
    connections: int = 32
    threads: int = 2  # wrk threads
    timeout: int = 5  # wrk's per-request timeout, seconds


@dataclass
class WrkRun:
    requests: int
    seconds: float
    rps: float
    latency_ms: dict[str, float]
    statuses: dict[int, int]
    socket_errors: dict[str, int]
    answered: dict[str, int]  # LEARecordID -> status, from the per-thread answer files

    @property
    def failed(self) -> int:
        """Requests that got no answer: connect, read and write errors, timeouts."""
        return sum(self.socket_errors[k] for k in ("connect", "read", "write", "timeout"))

    @property
    def ok_2xx(self) -> int:
        return sum(n for s, n in self.statuses.items() if 200 <= s < 300)


@dataclass
class CaseResult:
    db: str
    workers: int
    agencies: int
    connections: int
    duration: int
    requests: int
    rps: float
    latency_ms: dict[str, float]
    statuses: dict[int, int]
    share_2xx: float  # of the measured run's requests, unanswered ones counted as failed
    socket_errors: dict[str, int]
    answered_200: int  # warm-up + measured runs
    stored_rows: int
    stored_ok: int  # rows with status "Successful Submission"
    answered_not_stored: int  # answered 200 but not in the table: must be 0
    stored_unanswered: int  # stored, but wrk had stopped waiting (in flight at the cut-off)
    server_cpu_ms_per_request: float  # user + system CPU of `jdx serve` and its workers
    # PostgreSQL: user + system CPU of the server's backends connected to the bench's database
    # (the server runs on this machine: /proc), which the figure above does not count.
    database_cpu_ms_per_request: float | None = None
    load_average: list[float] = field(default_factory=list)  # 1-minute, before and after
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- processes --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def _jdx(env: dict[str, str], *args: str) -> str:
    done = processes.run(
        [str(VENV_BIN / "jdx"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"jdx {' '.join(args)} failed: {done.stderr or done.stdout}")
    return str(done.stdout)


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JDX_")}
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '')}"
    return env


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _reset_postgres(url: str) -> None:
    """Drops and creates the bench's own database (the one the URL names, nothing else):
    every case starts empty. The server's maintenance database is used only for that."""
    import psycopg
    from psycopg import sql

    plain = _psycopg_url(url)
    name = plain.rsplit("/", 1)[1].split("?", 1)[0]
    admin = plain.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


Agency = tuple[str, str]  # (ORI, production API key)


def prepare(
    data_dir: Path, database_url: str | None, agencies: int
) -> tuple[dict[str, str], list[Agency]]:
    """A fresh, migrated database with the bench agencies and the domain tables."""
    env = _base_env()
    env["JDX_DATA_DIR"] = str(data_dir)
    if database_url:
        _reset_postgres(database_url)
        env["JDX_DATABASE_URL"] = database_url
    _jdx(env, "db", "upgrade")
    added: list[Agency] = []
    for n in range(agencies):
        ori = f"{ORI_PREFIX}7{n:04d}"
        answer = json.loads(_jdx(env, "agency", "add", ori, "--name", f"Bench {n}"))
        added.append((ori, str(answer["api_keys"]["prod"])))
    for name in DOMAIN_SAMPLES:
        path = domain_csv(name)
        if path.exists():
            _jdx(env, "tables", "load", name, str(path))
    return env, added


@contextlib.contextmanager
def serving(env: dict[str, str], workers: int, log: Path) -> Iterator[tuple[int, int]]:
    """``jdx serve`` on a free loopback port; yields (port, pid), stops the server afterwards."""
    port = _free_port()
    argv = [str(VENV_BIN / "jdx"), "serve", "--host", HOST, "--port", str(port)]
    # stopped as a group: the uvicorn workers and the bulk forkserver too, whatever ends the block
    with (
        log.open("wb") as out,
        processes.group(
            [*argv, "--workers", str(workers)], env=env, stdout=out, stderr=subprocess.STDOUT
        ) as proc,
    ):
        processes.wait_for_health(f"http://{HOST}:{port}", proc, seconds=60)
        yield port, proc.pid


def _tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (the uvicorn workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


# --- load -------------------------------------------------------------------------------------


def templates(out: Path, count: int = 6) -> Path:
    """One line per distinct kind of valid record (values varied), with the wrk placeholders."""
    gen = Generator(seed=7)
    lines: list[str] = []
    seen: set[str] = set()
    i = 0
    while len(lines) < count and i < 10_000:
        record = gen.valid_record(i)
        i += 1
        shape = orjson.dumps(_shape_key(record)).decode()
        if shape in seen:
            continue
        seen.add(shape)
        record["ORI"] = "@@ORI@@"
        record["LEARecordID"] = "@@LEA@@"
        record["Officer"]["UID"] = "@@UID@@"
        record["STime"] = "@@TIME@@"
        lines.append(orjson.dumps(record).decode())
    out.write_text("\n".join(lines) + "\n")
    return out


def _shape_key(record: dict[str, Any]) -> list[Any]:
    persons = record["ListPerson_Stopped"]["Person_Stopped"]
    return [
        record["StopType"],
        record["Location"]["LocationType"],
        len(persons),
        persons[0]["PrimaryReason"]["StReas"],
    ]


def run_wrk(
    port: int, keys: Path, tag: str, seconds: int, cfg: LoadConfig, bodies: Path, work: Path
) -> WrkRun:
    answers = work / f"answers-{tag}"
    answers.mkdir(parents=True, exist_ok=True)
    argv = [
        "wrk",
        f"--threads={cfg.threads}",
        f"--connections={cfg.connections}",
        f"--duration={seconds}s",
        f"--timeout={cfg.timeout}s",
        "--latency",
        f"--script={LUA}",
        f"http://{HOST}:{port}/sdcs/v1/stops",
        "--",
        str(bodies),
        str(keys),
        tag,
        str(answers),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
    (work / f"wrk-{tag}.txt").write_text(done.stdout + done.stderr)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    raw = json.loads(line.removeprefix("RESULT "))
    statuses: Counter[int] = Counter()
    for status, n in raw["statuses"]:
        statuses[int(status)] += int(n)
    answered: dict[str, int] = {}
    for path in answers.glob("answered-*.txt"):
        for row in path.read_text().splitlines():
            status, _, lea = row.partition(" ")
            answered[lea] = int(status)
    seconds_run = raw["duration_us"] / 1e6
    errors = {k: int(v) for k, v in raw["errors"].items()}
    return WrkRun(
        requests=raw["requests"],
        seconds=seconds_run,
        rps=raw["requests"] / seconds_run,
        latency_ms={k: round(float(v) / 1000, 2) for k, v in raw["latency_us"].items()},
        statuses=dict(sorted(statuses.items())),
        socket_errors=errors,
        answered=answered,
    )


def stored(data_dir: Path, database_url: str | None) -> dict[str, str]:
    """LEARecordID -> status of every row of the ``stops`` table."""
    query = "SELECT lea_record_id, status FROM stops"
    if database_url:
        import psycopg

        with psycopg.connect(_psycopg_url(database_url)) as conn:
            return {str(a): str(b) for a, b in conn.execute(query).fetchall()}
    lite = sqlite3.connect(data_dir / "jdx.db")
    try:
        return {str(a): str(b) for a, b in lite.execute(query).fetchall()}
    finally:
        lite.close()


def _backends_cpu(database_url: str | None) -> dict[int, float]:
    """CPU seconds so far of each backend connected to the bench's database (PostgreSQL)."""
    if not database_url:
        return {}
    from bench.bulk import postgres_backends  # bench.bulk imports this module

    return postgres_backends(database_url)


def run_case(
    database_url: str | None, workers: int, agencies: int, cfg: LoadConfig, work_root: Path
) -> CaseResult:
    db = "postgresql" if database_url else "sqlite"
    work = work_root / f"{db}-w{workers}-a{agencies}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    data_dir = work / "data"
    env, added = prepare(data_dir, database_url, agencies)
    keys = work / "agencies.txt"
    keys.write_text("".join(f"{ori} {key}\n" for ori, key in added))
    bodies = templates(work / "bodies.ndjson")
    load_before = os.getloadavg()[0]
    with serving(env, workers, work / "server.log") as (port, pid):
        warm = run_wrk(port, keys, "W", cfg.warmup, cfg, bodies, work)
        backends0 = _backends_cpu(database_url)
        cpu0 = _tree_cpu_seconds(pid)
        main = run_wrk(port, keys, "M", cfg.duration, cfg, bodies, work)
        cpu = _tree_cpu_seconds(pid) - cpu0
        backends = _backends_cpu(database_url)
        time.sleep(1.0)  # let requests that were in flight at wrk's cut-off finish
    rows = stored(data_dir, database_url)
    answered = {**warm.answered, **main.answered}
    ok = {lea for lea, status in answered.items() if status == 200}
    failed = main.failed
    return CaseResult(
        db=db,
        workers=workers,
        agencies=agencies,
        connections=cfg.connections,
        duration=cfg.duration,
        requests=main.requests,
        rps=round(main.rps, 1),
        latency_ms=main.latency_ms,
        statuses=main.statuses,
        share_2xx=round(main.ok_2xx / max(main.requests + failed, 1), 4),
        socket_errors=main.socket_errors,
        answered_200=len(ok),
        stored_rows=len(rows),
        stored_ok=sum(1 for s in rows.values() if s == STATUS_OK),
        answered_not_stored=len(ok - rows.keys()),
        stored_unanswered=len(rows.keys() - answered.keys()),
        server_cpu_ms_per_request=round(1000 * cpu / max(main.requests, 1), 3),
        database_cpu_ms_per_request=(
            round(
                1000
                * sum(t - backends0.get(p, 0.0) for p, t in backends.items())
                / max(main.requests, 1),
                3,
            )
            if database_url
            else None
        ),
        load_average=[round(load_before, 2), round(os.getloadavg()[0], 2)],
    )


def have_wrk(log: Callable[[str], None] = print) -> bool:
    """wrk on PATH; as root with apt-get, installed from Debian first (the package ``wrk``)."""
    if shutil.which("wrk"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("http: wrk is not installed; installing it: apt-get install -y wrk")
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, timeout=600)
    if shutil.which("wrk"):
        return True
    log("http: wrk is not installed (apt-get install wrk): HTTP bench skipped")
    return False


def run(
    database_urls: list[str | None],
    workers: list[int],
    agencies: list[int],
    cfg: LoadConfig,
    work_root: Path | None = None,
    log: Callable[[str], None] = print,
) -> list[CaseResult]:
    """Every combination; an empty list (and a hint) when wrk is not installed."""
    if not have_wrk(log):
        return []
    root = work_root or Path(tempfile.mkdtemp(prefix="jdx-bench-http-"))
    results = []
    for url in database_urls:
        for n in workers:
            for count in agencies:
                log(
                    f"http: {'postgresql' if url else 'sqlite'}, {n} worker(s), {count} "
                    f"agenc{'y' if count == 1 else 'ies'}, {cfg.connections} connections ..."
                )
                r = run_case(url, n, count, cfg, root)
                log(
                    f"  {r.rps:,.0f} req/s, p50 {r.latency_ms['p50']} ms, "
                    f"p99 {r.latency_ms['p99']} ms, {r.server_cpu_ms_per_request} ms CPU/request, "
                    f"database {r.database_cpu_ms_per_request} ms CPU/request, "
                    f"load {r.load_average}, 2xx {100 * r.share_2xx:.2f} %, "
                    f"statuses {r.statuses}, stored {r.stored_rows} "
                    f"(answered 200: {r.answered_200})"
                )
                results.append(r)
    shutil.rmtree(root, ignore_errors=True)
    return results


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| database | workers | agencies | POST/s | p50 ms | p99 ms | 2xx | stored = answered 200 "
        "| server CPU ms/request | database CPU ms/request | load (1 min) |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for r in results:
        consistent = (
            "yes" if r["answered_not_stored"] == 0 else f"NO ({r['answered_not_stored']} lost)"
        )
        load = " → ".join(f"{x:.1f}" for x in r.get("load_average", []))
        lines.append(
            f"| {r['db']} | {r['workers']} | {r['agencies']} | {r['rps']:,.0f} "
            f"| {r['latency_ms']['p50']} | {r['latency_ms']['p99']} "
            f"| {100 * r['share_2xx']:.2f} % | {consistent} "
            f"| {r['server_cpu_ms_per_request']} | {r.get('database_cpu_ms_per_request') or '-'} "
            f"| {load} |"
        )
    return "\n".join(lines)

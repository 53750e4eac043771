"""NamUs import jobs: request → queued (acceptance latency) and queued → created (throughput).

In one process on a fresh database (SQLite by default, or the PostgreSQL URL given): one import
account sends ``jobs`` jobs of ``cases`` valid cases each through the in-process HTTP app, one
after another, while the DBOS job workflows run in the same process; each request is timed from
the request to the 202 (its cases are then validated, stored and queued); "queued to created"
is each case's ``processed_at - queued_at`` as its job's log records it. Throughput is the
cases created per second from the first job's acceptance to the last job's completion; CPU is
the process's user+sys seconds over the same span (client, hub and workflows share the
process). The account is a real import account: a sponsor, the import permission and a client
certificate, forwarded as nginx would. Nothing listens on a socket.
"""

from __future__ import annotations

import copy
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "golden" / "cases"


def _cases(job: int, size: int) -> list[dict[str, Any]]:
    record = orjson.loads((GOLDEN / "missing" / "valid" / "minimum.json").read_bytes())
    out = []
    for n in range(size):
        r = copy.deepcopy(record)
        r["investigatingAgencies"][0]["caseNumber"] = f"B{job:05d}-{n:03d}"
        out.append({"type": "missing", "record": r})
    return out


def _certificate() -> tuple[bytes, dict[str, str]]:
    """A self-signed client certificate (PEM) and the headers nginx forwards for it."""
    import datetime as dt
    from urllib.parse import quote

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench importer")])
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    headers = {"X-SSL-Client-Cert": quote(pem.decode(), safe=""), "X-SSL-Client-Verify": "SUCCESS"}
    return pem, headers


def _percentiles(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    if not values:
        return {"p50": 0.0, "p99": 0.0, "max": 0.0}
    return {
        "p50": round(statistics.median(values), 2),
        "p99": round(values[max(0, int(len(values) * 0.99) - 1)], 2),
        "max": round(values[-1], 2),
    }


@dataclass
class _Bench:
    data_dir: Path
    headers: dict[str, str]
    bodies: list[bytes]


def _prepare(jobs: int, cases: int, database_url: str | None) -> _Bench:
    """A fresh, migrated database with one import account that may send ``jobs`` jobs today."""
    import sqlalchemy as sa

    from jdx.exchanges.cases import accounts
    from jdx.exchanges.cases.tables import client_limits
    from jdx.hub import create_hub
    from jdx.security.keys import issue_key
    from jdx.settings import load_settings
    from jdx.store import schema
    from jdx.store.queries import add_agency, now

    data_dir = Path(tempfile.mkdtemp(prefix="jdx-bench-namus-"))
    if database_url:
        url = sa.make_url(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
    settings = load_settings(data_dir=data_dir, database_url=database_url or "", sftp="off")
    hub = create_hub(settings)
    try:
        schema.upgrade(hub.engine)
        with hub.engine.begin() as conn:
            agency = add_agency(conn, "BN0000001", "Bench importer", ["bench@example.org"])
            key = issue_key(conn, agency.id, "prod")
            accounts.set_account(conn, agency.id, sponsor="Bench sponsor", can_import=True)
            pem, cert_headers = _certificate()
            accounts.add_certificate(conn, agency.id, pem)
            conn.execute(
                client_limits.insert().values(
                    agency_id=agency.id,
                    max_cases_per_job=cases,
                    max_job_bytes=10_000_000,
                    max_jobs_per_day=jobs + 10,
                    updated_at=now(),
                )
            )
    finally:
        hub.dispose()
    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
        **cert_headers,
    }
    bodies = [orjson.dumps({"cases": _cases(j, cases)}) for j in range(jobs)]
    return _Bench(data_dir, headers, bodies)


def _post_all(post: Callable[..., Any], bench: _Bench, log: Callable[[str], None]) -> list[float]:
    """Each job in turn, timed from the request to its 202."""
    latencies: list[float] = []
    for j, body in enumerate(bench.bodies):
        t0 = time.perf_counter()
        answer = post("/namus/v1/jobs", content=body, headers=bench.headers)
        latencies.append((time.perf_counter() - t0) * 1000)
        assert answer.status_code == 202, answer.text
        if j % 100 == 99:
            log(f"namus: {j + 1} jobs accepted")
    return latencies


def _wait_created(engine: Any) -> int:
    """Polls until every job is complete; the cases created."""
    import sqlalchemy as sa

    from jdx.exchanges.cases.tables import import_jobs

    while True:
        with engine.connect() as conn:
            left = conn.execute(
                sa.select(sa.func.count()).where(import_jobs.c.state != "complete")
            ).scalar_one()
            made = conn.execute(sa.select(sa.func.sum(import_jobs.c.created))).scalar()
        if not left:
            return int(made or 0)
        time.sleep(0.05)


def _waits(engine: Any) -> list[float]:
    import sqlalchemy as sa

    from jdx.exchanges.cases.tables import import_job_cases

    with engine.connect() as conn:
        return [
            (r.processed_at - r.queued_at).total_seconds() * 1000
            for r in conn.execute(
                sa.select(import_job_cases.c.queued_at, import_job_cases.c.processed_at)
            )
        ]


def _result(
    database_url: str | None,
    jobs: int,
    cases: int,
    latencies: list[float],
    waits: list[float],
    cpu: float,
    accepted: float,
    made: int,
    total: float,
    mode: str,
) -> dict[str, Any]:
    return {
        "database": "postgresql" if database_url else "sqlite",
        "mode": mode,
        "jobs": jobs,
        "cases_per_job": cases,
        "accept_ms": _percentiles(latencies),
        "queued_to_created_ms": _percentiles(waits),
        "cpu_seconds": round(cpu, 2),
        "cpu_ms_per_case": round(cpu * 1000 / max(1, jobs * cases), 3),
        "accept_seconds": round(accepted, 2),
        "cases_queued_per_s": round(jobs * cases / accepted),
        "cases_created": made,
        "end_to_end_seconds": round(total, 2),
        "cases_created_per_s": round(made / total),
    }


def run(
    jobs: int, cases: int, database_url: str | None, log: Callable[[str], None]
) -> dict[str, Any]:
    """Client, hub and workflows in this one process (the in-process HTTP app)."""
    from starlette.testclient import TestClient

    from jdx.channels.http.app import create_app
    from jdx.hub import create_hub
    from jdx.settings import load_settings

    bench = _prepare(jobs, cases, database_url)
    # From loopback, a proxy trusted by its address (development allows it; production wants
    # the Unix socket or the secret header): the certificate headers count, as from nginx.
    settings = load_settings(
        data_dir=bench.data_dir,
        database_url=database_url or "",
        sftp="off",
        trusted_proxies=["127.0.0.1"],
    )
    hub = create_hub(settings)
    hub.start(periodic=False)
    try:
        with TestClient(create_app(hub=hub), client=("127.0.0.1", 50000)) as client:
            cpu0 = time.process_time()
            started = time.perf_counter()
            latencies = _post_all(client.post, bench, log)
            accepted = time.perf_counter() - started
            made = _wait_created(hub.engine)
            total = time.perf_counter() - started
            cpu = time.process_time() - cpu0
        waits = _waits(hub.engine)
    finally:
        hub.dispose()  # stops it
    return _result(
        database_url, jobs, cases, latencies, waits, cpu, accepted, made, total, "in-process"
    )


def run_served(
    jobs: int, cases: int, database_url: str | None, workers: int, log: Callable[[str], None]
) -> dict[str, Any]:
    """``jdx serve --workers N`` as deployed: the HTTP workers accept jobs in their processes
    and the supervisor process runs the job workflows; one client posts over loopback TCP (a
    trusted proxy's address, as nginx's). CPU is the server's process tree's (PostgreSQL's
    backends not counted)."""
    import httpx2 as httpx

    from bench.http import _base_env, _tree_cpu_seconds, serving

    bench = _prepare(jobs, cases, database_url)
    env = _base_env()
    env["JDX_DATA_DIR"] = str(bench.data_dir)
    env["JDX_SFTP"] = "off"
    env["JDX_TRUSTED_PROXIES"] = '["127.0.0.1"]'  # the client stands for nginx over TCP
    if database_url:
        env["JDX_DATABASE_URL"] = database_url
    from jdx.settings import load_settings
    from jdx.store.engine import create_engine

    engine = create_engine(load_settings(data_dir=bench.data_dir, database_url=database_url or ""))
    try:
        with (
            serving(env, workers, bench.data_dir / "serve.log") as (port, pid),
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client,
        ):
            cpu0 = _tree_cpu_seconds(pid)
            started = time.perf_counter()
            latencies = _post_all(client.post, bench, log)
            accepted = time.perf_counter() - started
            made = _wait_created(engine)
            total = time.perf_counter() - started
            cpu = _tree_cpu_seconds(pid) - cpu0
        waits = _waits(engine)
    finally:
        engine.dispose()
    return _result(
        database_url,
        jobs,
        cases,
        latencies,
        waits,
        cpu,
        accepted,
        made,
        total,
        f"jdx serve --workers {workers}",
    )


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| database | hub | jobs × cases | accept p50 / p99 / max (ms) | queued → created p50 / p99 "
        "(ms) | queued/s | created/s (end to end) | CPU ms per case |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        a, w = r["accept_ms"], r["queued_to_created_ms"]
        lines.append(
            f"| {r['database']} | {r.get('mode', 'in-process')} | "
            f"{r['jobs']} × {r['cases_per_job']} | "
            f"{a['p50']} / {a['p99']} / {a['max']} | {w['p50']} / {w['p99']} | "
            f"{r['cases_queued_per_s']:,} | {r['cases_created_per_s']:,} | "
            f"{r['cpu_ms_per_case']} |"
        )
    return "\n".join(lines)

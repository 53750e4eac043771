"""The hub's API against its own OpenAPI document, by schemathesis (issue 16, finding 5; the
whole contract since issue 18).

A real ``jdx serve`` on loopback with the demo's data and key; schemathesis generates requests
from ``/openapi.json`` (valid ones and invalid ones: huge ids, negative limits, wrong types) and
checks every answer against the document: no server error, only documented statuses, content
types, headers (Table 6's, Location, Retry-After...) and bodies (each error an RFC 9457 problem
document, each stop answer Table 6's), no schema-valid request refused, and 405 with ``Allow``
for a method a path does not take. Bounded in examples per route and in time, with a fixed
seed: the run is the same each time, and stops by itself.

What a JSON Schema cannot say of a positive request (an XML body, a record's cross-field
rules, a stop's core attributes agreeing with its headers) is in ``schemathesis_hooks.py``; the
hub's own settings of the checks in ``schemathesis.toml``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from bench import processes

from tests.conftest import PG_URL, drop_postgres_database, fresh_postgres_database
from tests.test_serve import free_port, jdx

pytestmark = pytest.mark.server

# Per route and phase; with the time bound, about a minute on the CI machine (2 cores).
MAX_EXAMPLES = "25"
MAX_SECONDS = "75"
# The checks: named in schemathesis.toml (CHECKS, read back here), not on the command line,
# where they would override the file's one exception per operation.
CHECKS = tuple(
    name
    for name, value in tomllib.loads((Path(__file__).parent / "schemathesis.toml").read_text())[
        "checks"
    ].items()
    if isinstance(value, dict) and value.get("enabled")
)
HERE = Path(__file__).parent
ROOT = HERE.parents[2]


@pytest.fixture
def database_url(worker_id: str) -> Iterator[str]:
    """SQLite in the data folder; in the PostgreSQL pass, a database of the test's own."""
    if not PG_URL:
        yield ""
        return
    url = fresh_postgres_database(f"st_{worker_id}")
    try:
        yield url
    finally:
        drop_postgres_database(url)


def test_the_api_keeps_its_openapi_contract(tmp_path: Path, database_url: str) -> None:
    port = free_port()
    env = {
        **os.environ,
        "JDX_DATA_DIR": str(tmp_path),
        "JDX_DATABASE_URL": database_url,
        "JDX_PORT": str(port),
        "JDX_WORKERS": "1",
        "JDX_SFTP_PORT": str(free_port()),
        # No TLS proxy here: the NamUs routes take the demo account's key alone, so that the
        # generated requests reach the routes' own checks instead of stopping at the certificate.
        "JDX_NAMUS_REQUIRE_CLIENT_CERT": "false",
        "JDX_LOG_LEVEL": "WARNING",
    }
    assert jdx(env, "db", "upgrade").returncode == 0
    demo = jdx(env, "demo")
    assert demo.returncode == 0, demo.stderr
    key = orjson.loads(demo.stdout)["api_keys"]["prod"]
    ori = orjson.loads(demo.stdout)["agency"]
    report = tmp_path / "schemathesis.json"
    # The hub's log (warnings and up): a server error's traceback is there, told on failure.
    server_log = tmp_path / "serve.log"
    with (
        server_log.open("wb") as log,
        processes.group(
            [sys.executable, "-m", "jdx", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        ) as server,
    ):
        base = f"http://127.0.0.1:{port}"
        processes.wait_for_health(base, server)
        run = processes.run(
            [
                str(Path(sys.executable).parent / "st"),
                "--config-file",
                str(HERE / "schemathesis.toml"),
                "run",
                f"{base}/openapi.json",
                "--header",
                f"Authorization: Bearer {key}",
                "--max-examples",
                MAX_EXAMPLES,
                "--max-time",
                MAX_SECONDS,
                "--seed",
                "16",
                # One worker: with two, hypothesis (which schemathesis runs) sometimes fails in
                # its own code building the stop record's large schema (CPython 3.11's ast in
                # threads), and the hub's answers are the same either way.
                "--workers",
                "1",
                # A loaded CI machine may take long to answer, and a kept-alive connection the hub
                # closes as idle just as a request goes out is a network error, not an answer:
                # retried, as any HTTP client would; a hub that is gone stays gone.
                "--request-timeout",
                "60",
                "--request-retries",
                "2",
                "--report",
                "json",
                "--report-json-path",
                str(report),
                "--no-color",
                "--generation-database",
                "none",
            ],
            env={
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "SCHEMATHESIS_HOOKS": "tests.channels.http.schemathesis_hooks",
                "JDX_ST_ORI": ori,
            },
            cwd=tmp_path,
            capture_output=True,
            timeout=int(MAX_SECONDS) + 60,
            check=False,
        )
    output = run.stdout.decode(errors="replace")
    assert report.is_file(), output[-5000:]
    summary = orjson.loads(report.read_bytes())
    # Every failure by check (ST101 server error, ST103 undocumented status, ST202 schema-valid
    # request refused...), with their routes (the terminal output above them tells each
    # request, to reproduce with curl).
    failures = [(f["code"], f["title"], f["count"], f["operations"]) for f in summary["failures"]]
    assert failures == [], output[-20000:] + server_log.read_text(errors="replace")[-10000:]
    assert summary["errors"] == [], output[-20000:]  # schemathesis could not test a route
    assert summary["operations"]["tested"] == summary["operations"]["total"] > 20
    assert summary["test_cases"]["generated"] > 500
    assert run.returncode == 0, output[-5000:]


def test_the_contract_runs_every_check_it_promises() -> None:
    """The file's checks are the contract's (issue 18): none is switched off unnoticed."""
    assert set(CHECKS) == {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
        "positive_data_acceptance",
        "unsupported_method",
    }

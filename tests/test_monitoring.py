"""The operator's view of a real ``jdx serve --workers 2`` on loopback: ``/readyz`` ready,
``/metrics`` adding up both workers' requests exactly, and a JSON log in which a file upload's
request id reaches the lines of the workflow that processes the file (in another process).

SQLite, as ``tests/test_serve.py``: what is tested here is the processes, not the database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import orjson
import pytest
from bench import processes

from jdx.codecs.flat import FlatLayout
from jdx.dictionary import load_dictionary
from jdx.validation import DICTIONARY_DIR
from tests.channels.http.test_metrics import samples, value
from tests.conftest import stop_record
from tests.test_serve import free_port, jdx

pytestmark = pytest.mark.server

ORI = "CA0370000"


def batch_file(records: list[dict[str, Any]]) -> bytes:
    """A pipe-delimited file (a batch file: the file workflow's, not the one-stop lane's)."""
    layout = FlatLayout(load_dictionary(DICTIONARY_DIR / "stop-2024.yaml"))
    lines = ["|".join(layout.names)]
    lines += ["|".join(row) for r in records for row in layout.to_rows(r)]
    return ("\r\n".join(lines) + "\r\n").encode()


@contextmanager
def served(tmp_path: Path, log: Path, **settings: str) -> Iterator[tuple[str, str]]:
    """A migrated hub with one agency, served by ``jdx serve --workers 2``: (base URL, key)."""
    port = free_port()
    env = {
        **os.environ,
        "JDX_DATA_DIR": str(tmp_path / "data"),
        "JDX_DATABASE_URL": "",
        "JDX_PORT": str(port),
        "JDX_WORKERS": "2",
        "JDX_SFTP_PORT": str(free_port()),
        **settings,
    }
    assert jdx(env, "db", "upgrade").returncode == 0
    added = jdx(env, "agency", "add", ORI, "--name", "Monitoring", "--email", "poc@example.org")
    key = orjson.loads(added.stdout)["api_keys"]["prod"]
    with (
        log.open("wb") as out,
        processes.group(
            [sys.executable, "-m", "jdx", "serve"], env=env, stdout=out, stderr=subprocess.STDOUT
        ) as server,
    ):
        base = f"http://127.0.0.1:{port}"
        processes.wait_for_health(base, server, detail=log.read_text)
        yield base, key


def wait_until_done(base: str, location: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        status: dict[str, Any] = httpx.get(f"{base}{location}", headers=headers).json()
        if status["state"] in ("done", "failed"):
            return status
        assert time.monotonic() < deadline, f"file not processed: {status}"
        time.sleep(0.3)


def test_two_workers_are_ready_and_count_known_traffic_exactly(tmp_path: Path) -> None:
    with served(tmp_path, tmp_path / "serve.log") as (base, key):
        deadline = time.monotonic() + 30
        while (ready := httpx.get(f"{base}/readyz")).status_code != 200:
            assert time.monotonic() < deadline, ready.text
            time.sleep(0.3)
        assert ready.json()["checks"] == {
            "database": {"ok": True, "detail": "answers"},
            "migrations": ready.json()["checks"]["migrations"],
            "domain_tables": ready.json()["checks"]["domain_tables"],
            "workflows": {"ok": True, "detail": "ok"},
            "queues": {"ok": True, "detail": "ok"},
            "sftp": {"ok": True, "detail": "ok"},
        }
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        # three stops stored, one refused; every request on a connection of its own, so that
        # both workers take some
        for _ in range(3):
            record = orjson.dumps(stop_record(ORI=ORI))
            posted = httpx.post(f"{base}/sdcs/v1/stops", content=record, headers=headers)
            assert posted.status_code == 200, posted.text
        refused = httpx.post(f"{base}/sdcs/v1/stops", content=b"{", headers=headers)
        assert refused.status_code == 400
        # one batch file, processed by the workflow in jdx serve's own process
        name = f"20240315143200_{ORI}_MON01.txt"
        records = [stop_record(ORI=ORI), stop_record(ORI=ORI)]
        put = httpx.put(
            f"{base}/sdcs/v1/files/{name}", content=batch_file(records), headers=headers
        )
        assert put.status_code == 202, put.text
        assert wait_until_done(base, put.headers["location"], headers)["successful"] == 2
        for _ in range(4):  # whichever worker answers, the same totals
            answer = httpx.get(f"{base}/metrics")
            assert answer.status_code == 200
            found = samples(answer.text)
            requests = "jdx_http_requests_total"
            stops = {"method": "POST", "route": "/sdcs/v1/stops"}
            assert value(found, requests, **stops, status="200") == 3
            assert value(found, requests, **stops, status="400") == 1
            assert value(found, "jdx_http_request_duration_seconds_count", **stops) == 4
            files = {"method": "PUT", "route": "/sdcs/v1/files/{file}"}
            assert value(found, requests, **files, status="202") == 1
            assert value(found, "jdx_stop_files", state="done") == 1
            assert value(found, "jdx_stop_files", state="received") == 0
            assert value(found, "jdx_queue_workflows", queue="stop-files", status="ENQUEUED") == 0
            assert value(found, "jdx_database_up") == 1


def test_a_json_log_follows_a_file_uploads_request_id_into_its_workflow(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with served(tmp_path, log, JDX_LOG_FORMAT="json") as (base, key):
        headers = {"Authorization": f"Bearer {key}", "X-Request-ID": "upload-0001"}
        name = f"20240315143200_{ORI}_RID01.txt"
        records = [stop_record(ORI=ORI), stop_record(ORI=ORI, SDur="0")]
        put = httpx.put(
            f"{base}/sdcs/v1/files/{name}", content=batch_file(records), headers=headers
        )
        assert put.status_code == 202, put.text
        assert put.headers["x-request-id"] == "upload-0001"
        file_id = put.json()["file_id"]
        assert wait_until_done(base, put.headers["location"], headers)["with_errors"] == 1
    # every line of the log is one JSON object, whoever wrote it (uvicorn, DBOS, the hub)
    entries = [orjson.loads(line) for line in log.read_text().splitlines()]
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    mine = [e["message"] for e in entries if e.get("request_id") == "upload-0001"]
    # the HTTP worker's line on receiving it, then the workflow's in jdx serve's own process
    assert any(m.endswith(f"(file {file_id})") for m in mine), mine
    assert f"file {file_id}: processing" in mine
    assert f"file {file_id}: answered: 1 stored, 1 with errors, 0 rejected" in mine

"""Every request has an id: the client's or proxy's ``X-Request-ID`` when well formed, else a new
one; answered back, and carried by every log line the request causes, a batch file's workflow
included. (Across processes, through a real ``jdx serve``: ``tests/test_monitoring.py``.)"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import httpx2 as httpx
import pytest

from jdx import logs
from jdx.codecs.flat import FlatLayout
from jdx.exchanges.stops import workflow
from jdx.hub import Hub
from tests.conftest import AgencyFixture, stop_record
from tests.samples import STAMP, delimited, three_kinds

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def log_lines(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """What the hub's JSON log handler (``jdx.logs.handler``) writes while the test runs."""
    caplog.set_level(logging.INFO)
    stream = io.StringIO()
    made = logs.handler("json")
    assert isinstance(made, logging.StreamHandler)
    made.setStream(stream)
    root = logging.getLogger()
    root.addHandler(made)
    try:
        yield stream
    finally:
        root.removeHandler(made)


def lines_with(stream: io.StringIO, request_id: str) -> list[str]:
    """The messages logged for ``request_id``."""
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [e["message"] for e in entries if e.get("request_id") == request_id]


def test_a_well_formed_id_is_answered_back_anything_else_replaced(client: httpx.Client) -> None:
    sent = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.1:b/c+d="})
    assert sent.headers["x-request-id"] == "lb-7f3a.1:b/c+d="
    for bad in (b"two words", b"x" * 129, b"", b'a"b', "é".encode()):
        answer = client.get("/healthz", headers={"X-Request-ID": bad})
        assert GENERATED.fullmatch(answer.headers["x-request-id"]), bad
    first, second = (client.get("/healthz").headers["x-request-id"] for _ in range(2))
    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second) and first != second


def test_the_stop_web_service_answers_with_it_and_logs_with_it(
    client: httpx.Client, agency: AgencyFixture, log_lines: io.StringIO
) -> None:
    record = stop_record(agency)
    headers = {**agency.auth(), "X-Request-ID": "stop-post-1"}
    answer = client.post("/sdcs/v1/stops", json=record, headers=headers)  # the hot path
    assert answer.status_code == 200
    assert answer.headers["x-request-id"] == "stop-post-1"
    [line] = lines_with(log_lines, "stop-post-1")
    assert record["LEARecordID"] in line and "INSERT" in line


def test_a_file_uploads_id_is_on_its_workflows_log_lines(
    workflows: Hub, client: httpx.Client, agency: AgencyFixture, log_lines: io.StringIO
) -> None:
    layout = FlatLayout(workflows.validation.dictionaries["stop-2024"])
    name = f"{STAMP}_{agency.ori}_RID01.csv"
    put = client.put(
        f"/sdcs/v1/files/{name}",
        content=delimited(layout, three_kinds(agency)),
        headers={**agency.auth(), "X-Request-ID": "file-put-1"},
    )
    assert put.status_code == 202, put.text
    file_id = put.json()["file_id"]
    workflow.wait(workflows, file_id, timeout=60)
    logged = lines_with(log_lines, "file-put-1")
    # the upload's own line, then the workflow's (DBOS runs it in a thread of its own)
    assert any(f"(file {file_id})" in line for line in logged)
    assert any(f"file {file_id}: processing" in line for line in logged)
    assert any(
        f"file {file_id}: answered: 1 stored, 1 with errors, 1 rejected" in line for line in logged
    )


def test_an_import_jobs_id_is_on_its_workflows_log_line(
    workflows: Hub, client: httpx.Client, agency: AgencyFixture, log_lines: io.StringIO
) -> None:
    from jdx.exchanges.cases import workflow as case_jobs
    from tests.exchanges.cases.test_import import missing

    answer = client.post(
        "/namus/v1/jobs",
        json={"cases": [missing()]},
        headers={**agency.auth(), "X-Request-ID": "job-post-1"},
    )
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["job_id"]
    case_jobs.wait(job_id)  # queued after the answer, as the route does: still the request's
    assert f"job {job_id}: 1 created, 0 cancellations requested, 0 rejected" in lines_with(
        log_lines, "job-post-1"
    )

"""Issue 18: the typed Python client (jdx_client.JdxClient). Each of its methods is an operation
of the hub's OpenAPI document, it works against a running hub, and it reads every error shape
of the hub into one exception whose detail is what the hub said."""

from __future__ import annotations

import copy
import time
from pathlib import Path

import httpx2 as httpx
import orjson
import pytest
from tools.postman_collection import openapi

from jdx_client import JdxClient, Problem, ProblemError, operations, problem_of
from tests.clients.conftest import ORI, RunningHub
from tests.conftest import GOLDEN, stop_record

HELPERS = {"close", "over", "download_results"}  # no operation of their own


def test_each_method_of_the_typed_client_is_an_operation_of_the_openapi_document() -> None:
    documented = {
        (method.upper(), path) for path, ops in openapi()["paths"].items() for method in ops
    }
    mapped = operations()
    assert {m for m in mapped.values() if m not in documented} == set()
    public = {n for n in vars(JdxClient) if not n.startswith("_")}
    assert public - HELPERS == set(mapped), "a public method without its operation"
    # the agencies' own operations all have a method (the ICD pages are for people)
    wanted = {op for op in documented if "/icd" not in op[1] and not op[1].startswith("/chri/v1/")}
    assert wanted - set(mapped.values()) == set()


def answer(status: int, body: object, content_type: str) -> httpx.Response:
    return httpx.Response(
        status, content=orjson.dumps(body), headers={"Content-Type": content_type}
    )


def test_every_error_shape_of_the_hub_is_one_exception_with_its_detail() -> None:
    rfc9457 = problem_of(
        answer(
            400,
            {
                "type": "https://hub.example.org/problems/invalid-job",
                "title": "Bad Request",
                "status": 400,
                "detail": "cases[0]: type is required",
                "instance": "/namus/v1/jobs",
                "problems": [{"field": "cases[0].type", "message": "required"}],
            },
            "application/problem+json",
        )
    )
    assert (rfc9457.status, str(rfc9457), rfc9457.instance) == (
        400,
        "cases[0]: type is required",
        "/namus/v1/jobs",
    )
    assert rfc9457.problems == [Problem("cases[0].type", "required")]
    before = problem_of(answer(404, {"error": "no job 7 of account CA0370000"}, "application/json"))
    assert (before.status, str(before)) == (404, "no job 7 of account CA0370000")
    sdcs = problem_of(
        answer(
            409,
            {
                "Status": "Rejected",
                "Messages": [
                    {
                        "Code": "DV201",
                        "Severity": "FATAL",
                        "Field": "LEARecordID",
                        "PersonNumber": None,
                        "Message": "already submitted",
                    }
                ],
            },
            "application/json",
        )
    )
    assert (sdcs.title, str(sdcs)) == ("Rejected", "DV201 LEARecordID: already submitted")
    text = problem_of(httpx.Response(502, content=b"Bad Gateway from the proxy"))
    assert (text.status, str(text)) == (502, "Bad Gateway from the proxy")


@pytest.mark.server
def test_the_typed_client_against_a_running_hub(running_hub: RunningHub, tmp_path: Path) -> None:
    with JdxClient(running_hub.base, running_hub.key) as hub:
        # a stop: validated (nothing stored), sent, read back
        record = stop_record(ORI=ORI)
        checked = hub.validate_stop(record)
        assert checked["WouldBeStatus"] == "Successful Submission"
        with pytest.raises(ProblemError) as unknown:
            hub.get_stop(record["LEARecordID"])
        assert unknown.value.status == 404
        stored = hub.submit_stop(record)
        assert stored["Status"] == "Successful Submission" and stored["DOJRecordID"]
        assert hub.get_stop(record["LEARecordID"])["Record"]["LEARecordID"] == record["LEARecordID"]
        with pytest.raises(ProblemError) as again:
            hub.submit_stop(record)
        assert again.value.status == 409 and again.value.problems and str(again.value)
        # a batch file: uploaded, followed, its results downloaded
        bad = stop_record(ORI=ORI, SDur="0")
        batch = tmp_path / f"20240315143203_{ORI}_{bad['LEARecordID']}.json"
        batch.write_bytes(orjson.dumps(bad))
        sent: list[int] = []
        receipt = hub.upload_file(batch, progress=sent.append)
        assert sent[-1] == batch.stat().st_size
        status = hub.file_status(receipt["file_id"])
        deadline = time.monotonic() + 120
        while status["state"] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.3)
            status = hub.file_status(receipt["file_id"])
        assert (status["state"], status["with_errors"]) == ("done", 1)
        # the lists: the stop just stored and the file just answered, newest first
        stops = hub.list_stops(limit=1, lea_record_id=record["LEARecordID"])
        assert [s["lea_record_id"] for s in stops["items"]] == [record["LEARecordID"]]
        assert stops["total"] == 1 and stops["next"] is None
        files = hub.list_files(limit=1)
        assert files["items"][0]["file_id"] == receipt["file_id"]
        saved = hub.download_results(status, tmp_path / "results")
        assert sorted(p.name for p in saved) == sorted(
            batch.stem + s for s in ("_errors.json", "_log.txt", "_response.txt")
        )
        with pytest.raises(ProblemError) as misnamed:
            hub.upload_file(batch, name="stops.json")
        assert misnamed.value.status == 400 and "stops.json" in str(misnamed.value)
        # a NamUs job of one case, followed until complete
        case = copy.deepcopy(
            orjson.loads((GOLDEN / "cases/missing/valid/minimum.json").read_bytes())
        )
        case["investigatingAgencies"][0]["caseNumber"] = f"TC-{time.time_ns() % 10**8}"
        item = {"type": "missing", "record": case}
        assert hub.validate_job([item])
        job = hub.submit_job([item], idempotency_key=f"typed-{time.time_ns()}")
        progress = hub.job_status(job["job_id"])
        deadline = time.monotonic() + 120
        while progress["state"] != "complete" and time.monotonic() < deadline:
            time.sleep(0.3)
            progress = hub.job_status(job["job_id"])
        assert (progress["state"], progress["created"]) == ("complete", 1)
        jobs = hub.list_jobs(state="complete", limit=5)  # newest first: this job leads
        assert jobs["items"][0]["job_id"] == job["job_id"] and jobs["total"] >= 1
        number = progress["cases"][0]["case_number"]
        assert hub.get_case(number)
        assert number in orjson.dumps(hub.list_cases()).decode()
        first = hub.list_cases(limit=1)  # paged: the total, and the next page's address
        assert len(first["cases"]) == 1 and first["total"] >= 1
        assert (first["next"] is None) == (first["total"] == 1)
        with pytest.raises(ProblemError) as missing:
            hub.job_status(999_999_999)
        assert missing.value.status == 404 and "999999999" in str(missing.value)
    with JdxClient(running_hub.base, "not-a-key") as stranger, pytest.raises(ProblemError) as who:
        stranger.file_status(1)
    assert who.value.status == 401 and str(who.value)

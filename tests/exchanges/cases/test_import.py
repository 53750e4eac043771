"""NamUs import jobs end to end: HTTP in-process, the job workflow on DBOS, the store.

Runs on SQLite, and on PostgreSQL with ``JDX_TEST_DATABASE_URL``.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from jdx.exchanges.cases import process, results
from jdx.exchanges.cases import workflow as case_jobs
from jdx.exchanges.cases.jobs import CaseImport
from jdx.exchanges.cases.regions import DEMO_REGIONS
from jdx.exchanges.cases.tables import (
    cancellation_requests,
    cases,
    client_limits,
    import_job_cases,
    import_jobs,
)
from jdx.hub import Hub
from jdx.store.queries import now
from jdx.store.tables import outbox
from tests.conftest import GOLDEN, AgencyFixture

_numbers = itertools.count(1)


def golden_case(kind: str, name: str = "minimum.json") -> dict[str, Any]:
    return dict(orjson.loads((GOLDEN / "cases" / kind / "valid" / name).read_bytes()))


def missing(number: str | None = None) -> dict[str, Any]:
    record = copy.deepcopy(golden_case("missing"))
    record["investigatingAgencies"][0]["caseNumber"] = number or f"M-{next(_numbers):06d}"
    return {"type": "missing", "record": record}


def unidentified(number: str | None = None) -> dict[str, Any]:
    record = copy.deepcopy(golden_case("unidentified"))
    record["caseIdentification"]["caseNumber"] = number or f"U-{next(_numbers):06d}"
    return {"type": "unidentified", "record": record}


def invalid() -> dict[str, Any]:
    item = missing()
    del item["record"]["subjectIdentification"]["lastName"]
    return item


def post(client: Any, agency: AgencyFixture, items: list[Any], **headers: str) -> Any:
    return client.post(
        "/namus/v1/jobs", json={"cases": items}, headers={**agency.auth(), **headers}
    )


def run_job(client: Any, agency: AgencyFixture, items: list[Any]) -> dict[str, Any]:
    answer = post(client, agency, items)
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["job_id"]
    case_jobs.wait(job_id)
    status = client.get(f"/namus/v1/jobs/{job_id}", headers=agency.auth())
    assert status.status_code == 200
    return dict(status.json())


def submit_directly(hub: Hub, agency: AgencyFixture, items: list[Any]) -> Any:
    """A job accepted by the service itself, without HTTP and without its enqueue."""
    from jdx.security.keys import Principal

    principal = Principal(agency.id, agency.ori, "Test agency", "prod", True)
    return hub.service(CaseImport).submit_job(
        principal, items, size=10, sha256="x", fmt="json", idempotency_key=None, channel="test"
    )


def count_jobs(hub: Hub, agency: AgencyFixture) -> int:
    with hub.engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).where(import_jobs.c.agency_id == agency.id)
            ).scalar_one()
        )


def test_a_job_creates_valid_cases_and_lists_the_errors_of_invalid_ones(
    workflows: Hub, client: Any, agency: AgencyFixture
) -> None:
    answer = post(client, agency, [missing(), invalid(), unidentified()])
    assert answer.status_code == 202
    job_id = answer.json()["job_id"]
    assert answer.headers["location"] == f"/namus/v1/jobs/{job_id}"
    case_jobs.wait(job_id)
    status = client.get(f"/namus/v1/jobs/{job_id}", headers=agency.auth()).json()
    assert status["state"] == "complete"
    assert (status["total"], status["created"], status["rejected"]) == (3, 2, 1)
    first, second, third = status["cases"]
    assert first["state"] == "created" and first["case_number"].startswith("MP")
    assert third["state"] == "created" and third["case_number"].startswith("UP")
    assert second["state"] == "rejected" and "case_number" not in second
    assert [e["field"] for e in second["errors"]] == ["subjectIdentification.lastName"]
    assert all(c["received_at"] and c["validated_at"] for c in status["cases"])
    assert first["queued_at"] and first["processed_at"]
    case = client.get(f"/namus/v1/cases/{first['case_number']}", headers=agency.auth()).json()
    assert case["published"] is False
    assert case["region"] == DEMO_REGIONS["CA"]


def test_xml_jobs_are_read_like_json(workflows: Hub, client: Any, agency: AgencyFixture) -> None:
    body = (
        b"<ImportJob><UnidentifiedPersonCase><caseIdentification><caseNumber>X-"
        + str(next(_numbers)).encode()
        + b"</caseNumber></caseIdentification><subjectDescription><sex><name>Male</name></sex>"
        b"<primaryEthnicity><name>Uncertain</name></primaryEthnicity>"
        b"<estimatedAgeFrom>25</estimatedAgeFrom><estimatedAgeTo>40</estimatedAgeTo>"
        b"</subjectDescription><circumstances><dateFound>2024-02-11</dateFound><address>"
        b"<city>REDDING</city><state><displayName>CA</displayName></state></address>"
        b"</circumstances><investigatingAgencies><name>SHASTA COUNTY CORONER</name>"
        b"</investigatingAgencies></UnidentifiedPersonCase></ImportJob>"
    )
    answer = client.post(
        "/namus/v1/jobs",
        content=body,
        headers={**agency.auth(), "Content-Type": "application/xml"},
    )
    assert answer.status_code == 202, answer.text
    assert case_jobs.wait(answer.json()["job_id"])["created"] == 1


def test_the_same_idempotency_key_gives_the_same_job(
    workflows: Hub, client: Any, agency: AgencyFixture
) -> None:
    items = [missing()]
    first = post(client, agency, items, **{"Idempotency-Key": "k-1"})
    again = post(client, agency, items, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 202
    assert first.json()["job_id"] == again.json()["job_id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert count_jobs(workflows, agency) == 1
    other_body = post(client, agency, [missing()], **{"Idempotency-Key": "k-1"})
    assert other_body.status_code == 422
    assert count_jobs(workflows, agency) == 1


def test_over_the_cases_limit_is_413_and_nothing_is_stored(
    workflows: Hub, client: Any, agency: AgencyFixture
) -> None:
    answer = post(client, agency, [missing() for _ in range(101)])
    assert answer.status_code == 413
    assert "100" in answer.json()["detail"]
    assert count_jobs(workflows, agency) == 0


def _limit(hub: Hub, agency: AgencyFixture, **values: int) -> None:
    row = {"max_cases_per_job": 100, "max_job_bytes": 1_000_000, "max_jobs_per_day": 100}
    with hub.engine.begin() as conn:
        conn.execute(
            client_limits.insert().values(
                agency_id=agency.id, updated_at=now(), **{**row, **values}
            )
        )


def test_over_the_bytes_limit_is_413_and_nothing_is_stored(
    workflows: Hub, client: Any, agency: AgencyFixture
) -> None:
    _limit(workflows, agency, max_job_bytes=500)
    answer = post(client, agency, [missing(), missing()])
    assert answer.status_code == 413
    assert count_jobs(workflows, agency) == 0


def test_over_the_jobs_per_day_limit_is_429_with_retry_after(
    workflows: Hub, client: Any, agency: AgencyFixture
) -> None:
    _limit(workflows, agency, max_jobs_per_day=2)
    assert post(client, agency, [missing()]).status_code == 202
    assert post(client, agency, [missing()]).status_code == 202
    refused = post(client, agency, [missing()])
    assert refused.status_code == 429
    assert 86_000 < int(refused.headers["retry-after"]) <= 86_400
    assert count_jobs(workflows, agency) == 2


def test_a_second_import_of_a_case_is_refused_naming_the_existing_case(
    workflows: Hub, client: Any, agency: AgencyFixture
) -> None:
    first = run_job(client, agency, [missing("DUP-1")])["cases"][0]
    # Again in a later job, and twice within one job: both name the case created first.
    second = run_job(
        client, agency, [missing("DUP-1"), unidentified("DUP-2"), unidentified("DUP-2")]
    )
    again, made, twin = second["cases"]
    assert again["state"] == "rejected" and again["errors"][0]["code"] == process.DUPLICATE
    assert again["case_number"] == first["case_number"]
    assert first["case_number"] in again["errors"][0]["message"]
    assert made["state"] == "created"
    assert twin["state"] == "rejected" and twin["case_number"] == made["case_number"]


def test_the_same_case_number_of_another_agency_is_no_duplicate(
    workflows: Hub, client: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    assert run_job(client, agency, [missing("SHARED-1")])["created"] == 1
    assert run_job(client, other_agency, [missing("SHARED-1")])["created"] == 1


def test_cancellation_of_an_own_case_is_a_pending_request_for_its_region(
    workflows: Hub, client: Any, agency: AgencyFixture
) -> None:
    number = run_job(client, agency, [missing()])["cases"][0]["case_number"]
    answer = client.post(
        "/namus/v1/cancellations",
        json={"idFormatted": number, "reason": "resolved", "note": "located"},
        headers=agency.auth(),
    )
    assert answer.status_code == 201, answer.text
    request = answer.json()
    assert (request["case_number"], request["state"]) == (number, "pending")
    assert request["region"] == DEMO_REGIONS["CA"]
    again = client.post(
        "/namus/v1/cancellations",
        json={"idFormatted": number, "reason": "resolved"},
        headers=agency.auth(),
    )
    assert again.status_code == 404 and again.json()["errors"][0]["code"] == process.PENDING


def test_cancellation_of_another_agencys_case_is_refused(
    workflows: Hub, client: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    job = run_job(client, agency, [missing("THEIRS-1")])
    number = job["cases"][0]["case_number"]
    by_number = {"idFormatted": number, "reason": "cancelled"}
    by_client_number = {"caseType": "MP", "caseNumber": "THEIRS-1", "reason": "cancelled"}
    for body in (by_number, by_client_number):
        answer = client.post("/namus/v1/cancellations", json=body, headers=other_agency.auth())
        assert answer.status_code == 404
        assert answer.json()["errors"][0]["code"] == process.NO_SUCH_CASE
    # Inside a job too.
    status = run_job(client, other_agency, [{"type": "cancellation", "record": by_number}])
    assert status["cases"][0]["state"] == "rejected"
    with workflows.engine.connect() as conn:
        assert not conn.execute(
            sa.select(cancellation_requests).where(
                cancellation_requests.c.agency_id == other_agency.id
            )
        ).first()


def test_cancellation_inside_a_job(workflows: Hub, client: Any, agency: AgencyFixture) -> None:
    run_job(client, agency, [unidentified("C-77")])
    status = run_job(
        client,
        agency,
        [
            {
                "type": "cancellation",
                "record": {"caseType": "UP", "caseNumber": "C-77", "reason": "resolved"},
            }
        ],
    )
    (outcome,) = status["cases"]
    assert outcome["state"] == "created" and status["requested"] == 1
    assert outcome["cancellation"]["state"] == "pending"


def test_a_client_sees_only_its_own_jobs_and_cases(
    workflows: Hub, client: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    status = run_job(client, agency, [missing()])
    number = status["cases"][0]["case_number"]
    assert (
        client.get(f"/namus/v1/jobs/{status['job_id']}", headers=other_agency.auth()).status_code
        == 404
    )
    assert client.get(f"/namus/v1/cases/{number}", headers=other_agency.auth()).status_code == 404
    assert client.get(f"/namus/v1/jobs/{status['job_id']}").status_code == 401


def test_processing_twice_creates_no_second_case(hub: Hub, agency: AgencyFixture) -> None:
    """What a resumed workflow does when a step ran but was not checkpointed."""
    accepted = submit_directly(hub, agency, [missing(), missing()])
    process.process(hub.engine, DEMO_REGIONS, accepted.job_id)
    process.process(hub.engine, DEMO_REGIONS, accepted.job_id)
    first = results.finish(hub.engine, accepted.job_id, "http://hub", digest_hour=6)
    second = results.finish(hub.engine, accepted.job_id, "http://hub", digest_hour=6)
    assert first == second == {"total": 2, "created": 2, "requested": 0, "rejected": 0}
    with hub.engine.connect() as conn:
        made = conn.execute(sa.select(sa.func.count()).where(cases.c.job_id == accepted.job_id))
        assert made.scalar_one() == 2
        mails = conn.execute(sa.select(outbox).where(outbox.c.key == f"case-job-{accepted.job_id}"))
        assert len(mails.all()) == 1
        states = conn.execute(
            sa.select(import_job_cases.c.state).where(import_job_cases.c.job_id == accepted.job_id)
        )
        assert set(states.scalars()) == {"created"}


def test_the_job_step_run_twice_creates_and_mails_once(
    workflows: Hub, agency: AgencyFixture
) -> None:
    """The workflow's one step, re-run as DBOS re-runs it when a crash fell between the step's
    commit and its checkpoint: the same counts, no second case and no second mail."""
    accepted = submit_directly(workflows, agency, [missing(), missing()])
    jobs = workflows.running(case_jobs.CaseJobs)
    assert jobs is not None
    first = jobs.case_job(accepted.job_id)
    second = jobs.case_job(accepted.job_id)
    assert first == second == {"total": 2, "created": 2, "requested": 0, "rejected": 0}
    with workflows.engine.connect() as conn:
        made = conn.execute(sa.select(sa.func.count()).where(cases.c.job_id == accepted.job_id))
        assert made.scalar_one() == 2
        mails = conn.execute(sa.select(outbox).where(outbox.c.key == f"case-job-{accepted.job_id}"))
        assert len(mails.all()) == 1
        job = conn.execute(sa.select(import_jobs).where(import_jobs.c.id == accepted.job_id)).one()
        assert (job.state, job.created) == ("complete", 2)


def test_a_job_committed_but_never_queued_is_queued_by_the_stray_sweep(
    workflows: Hub, client: Any, agency: AgencyFixture
) -> None:
    """The 202 is sent once the job is committed and the queue is told after it: a process
    that dies in between leaves a job no workflow has. The sweep finds it (once old enough
    not to be on its way still) and it is created as any other; a second round finds nothing."""
    import datetime as dt

    accepted = submit_directly(workflows, agency, [missing(), missing()])
    assert case_jobs.enqueue_strays(workflows) == 0  # too young: maybe on its way
    with workflows.engine.begin() as conn:
        conn.execute(
            import_jobs.update()
            .where(import_jobs.c.id == accepted.job_id)
            .values(created_at=now() - case_jobs.STRAY_AFTER - dt.timedelta(seconds=1))
        )
    assert case_jobs.enqueue_strays(workflows) == 1
    assert case_jobs.wait(accepted.job_id) == {
        "total": 2,
        "created": 2,
        "requested": 0,
        "rejected": 0,
    }
    assert case_jobs.enqueue_strays(workflows) == 0
    status = client.get(f"/namus/v1/jobs/{accepted.job_id}", headers=agency.auth())
    assert status.json()["state"] == "complete"


def test_the_result_mail_names_only_the_agencys_case_numbers(
    workflows: Hub, client: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    theirs = run_job(client, other_agency, [missing()])["cases"][0]["case_number"]
    status = run_job(client, agency, [missing(), invalid()])
    ours = status["cases"][0]["case_number"]
    with workflows.engine.connect() as conn:
        mail = conn.execute(
            sa.select(outbox).where(outbox.c.key == f"case-job-{status['job_id']}")
        ).one()
    assert mail.agency_id == agency.id and mail.recipients == ["poc@example.org"]
    assert ours in mail.body and theirs not in mail.body
    assert "NM004" in mail.body  # the error code, never the record's content
    assert "JANE" not in mail.body and "DOE" not in mail.body


@pytest.mark.parametrize("body", [b"not json", b'{"cases": 3}', b'{"cases": []}'])
def test_an_unreadable_or_empty_job_is_400_and_not_stored(
    workflows: Hub, client: Any, agency: AgencyFixture, body: bytes
) -> None:
    answer = client.post(
        "/namus/v1/jobs",
        content=body,
        headers={**agency.auth(), "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert count_jobs(workflows, agency) == 0


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ([{"subjectIdentification": {"firstName": "A"}}], 'cases[0]: each case is {"type"'),
        ({"cases": [{"record": {"a": 1}}]}, "cases[0].type is missing"),
        ({"cases": [{"type": "person", "record": {}}]}, "cases[0].type is 'person'"),
        ({"cases": [{"type": "missing", "record": [1]}]}, "cases[0].record"),
    ],
    ids=["bare records", "no type", "unknown type", "record not an object"],
)
def test_a_job_of_items_without_their_type_is_refused_before_any_limit(
    workflows: Hub, client: Any, agency: AgencyFixture, body: Any, named: str
) -> None:
    """Issue 18: a bare record list, or items without ``type``, were taken with 202, used a slot
    of the day's jobs and came back as cases of type "None"."""
    _limit(workflows, agency, max_jobs_per_day=1)
    refused = client.post("/namus/v1/jobs", json=body, headers=agency.auth())
    assert refused.status_code == 400, refused.text
    assert named in refused.json()["detail"]
    assert count_jobs(workflows, agency) == 0
    assert post(client, agency, [missing()]).status_code == 202  # the day's one job is left


def test_the_refusal_of_a_job_of_bare_records_is_one_line_per_case_up_to_ten(
    client: Any, agency: AgencyFixture
) -> None:
    refused = client.post(
        "/namus/v1/jobs", json=[{"x": n} for n in range(60)], headers=agency.auth()
    )
    assert refused.status_code == 400
    assert "cases[9]" in refused.text and "cases[10]" not in refused.text
    assert "and 50 more" in refused.text

"""``POST /namus/v1/jobs/validate``: a job checked as it would be imported, nothing stored.

The importing parties' testing and QA (seed 000: NamUs "will help facilitate testing and QA by
external importing parties"). Runs on SQLite, and on PostgreSQL with ``JDX_TEST_DATABASE_URL``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from jdx.exchanges.cases import process
from jdx.exchanges.cases.tables import cases
from jdx.hub import Hub
from tests.conftest import AgencyFixture
from tests.exchanges.cases.test_import import (
    _limit,
    count_jobs,
    invalid,
    missing,
    post,
    run_job,
    unidentified,
)


def validate(client: Any, agency: AgencyFixture, items: list[Any]) -> Any:
    return client.post("/namus/v1/jobs/validate", json={"cases": items}, headers=agency.auth())


def count_cases(hub: Hub, agency: AgencyFixture) -> int:
    with hub.engine.connect() as conn:
        query = sa.select(sa.func.count()).where(cases.c.agency_id == agency.id)
        return int(conn.execute(query).scalar_one())


def test_a_validated_job_lists_each_cases_errors_and_stores_nothing(
    workflows: Hub, client: Any, agency: AgencyFixture
) -> None:
    answer = validate(client, agency, [missing("V-1"), invalid(), unidentified("V-2")])
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["total"], result["valid"], result["stored"]) == (3, 2, False)
    first, bad, third = result["cases"]
    assert (first["outcome"], first["client_case_number"], first["errors"]) == (
        "would be queued",
        "V-1",
        [],
    )
    assert bad["outcome"] == "rejected"
    assert any("lastName" in e["field"] for e in bad["errors"]), bad["errors"]
    assert third["outcome"] == "would be queued"
    assert count_jobs(workflows, agency) == 0 and count_cases(workflows, agency) == 0


def test_validation_names_duplicates_and_cancellations_of_no_own_case(
    workflows: Hub, client: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    imported = run_job(client, agency, [missing("V-DUP")])["cases"][0]["case_number"]
    foreign = run_job(client, other_agency, [missing("V-FOREIGN")])["cases"][0]["case_number"]
    items = [
        missing("V-DUP"),  # imported already
        unidentified("V-TWICE"),
        unidentified("V-TWICE"),  # twice in this job
        {"type": "cancellation", "record": {"idFormatted": foreign, "reason": "resolved"}},
        {"type": "cancellation", "record": {"idFormatted": imported, "reason": "resolved"}},
    ]
    result = validate(client, agency, items).json()
    again, once, twice, theirs, ours = result["cases"]
    assert again["errors"][0]["code"] == process.DUPLICATE
    assert imported in again["errors"][0]["message"]
    assert once["outcome"] == "would be queued"
    assert twice["errors"][0]["code"] == process.DUPLICATE
    # Another agency's case is "no case of yours", never a hint that it exists.
    assert theirs["errors"][0]["code"] == process.NO_SUCH_CASE
    assert ours["outcome"] == "would be queued", ours
    assert count_jobs(workflows, agency) == 1  # the job run above, and nothing else


def test_validating_counts_toward_no_daily_limit_but_keeps_the_job_limits(
    workflows: Hub, client: Any, agency: AgencyFixture
) -> None:
    _limit(workflows, agency, max_jobs_per_day=1, max_cases_per_job=3)
    for _ in range(3):
        assert validate(client, agency, [missing()]).status_code == 200
    assert post(client, agency, [missing()]).status_code == 202  # the day's one job
    assert validate(client, agency, [missing()]).status_code == 200
    over = validate(client, agency, [missing() for _ in range(4)])
    assert over.status_code == 413 and "at most 3 cases" in over.json()["detail"]


def test_validation_needs_the_import_accounts_key(
    workflows: Hub, client: Any, agency: AgencyFixture
) -> None:
    answer = client.post("/namus/v1/jobs/validate", json={"cases": [missing()]})
    assert answer.status_code == 401

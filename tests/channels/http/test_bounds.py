"""Ids and paging parameters out of range: a clear 404 or 422 naming the parameter, never a 500
(issue 16, finding 5), on every route family: rap sheet outbox, NamUs jobs, cases and
cancellations, stop data files (the portal's: tests/channels/web/test_bounds.py). The same on PostgreSQL (``JDX_TEST_DATABASE_URL``).
"""

from __future__ import annotations

from typing import Any

import pytest

from jdx.channels.http.common import MAX_LIMIT
from jdx.store.tables import MAX_ID
from tests.conftest import AgencyFixture

# The id of the report: past any 64-bit integer, which SQLite's driver cannot take.
HUGE = "147107051738940731031552"
OUT_OF_RANGE = [HUGE, str(MAX_ID + 1), "0", "-1"]

ID_ROUTES = [
    "/chri/v1/outbox/{}",
    "/namus/v1/jobs/{}",
    "/namus/v1/cancellations/{}",
    "/sdcs/v1/files/{}",
    "/sdcs/v1/files/{}/results/x_log.txt",
]


@pytest.mark.parametrize("route", ID_ROUTES)
@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_an_id_out_of_range_is_404_naming_the_parameter(
    client: Any, agency: AgencyFixture, route: str, value: str
) -> None:
    answer = client.get(route.format(value), headers=agency.auth())
    assert answer.status_code == 404, answer.text
    body = answer.json()
    [problem] = body["problems"]
    assert problem["field"].startswith("path.")
    assert problem["field"] in body["detail"]
    assert str(MAX_ID) in problem["message"] or "greater than or equal to 1" in problem["message"]


@pytest.mark.parametrize("route", ID_ROUTES)
def test_an_id_that_is_no_integer_is_404(client: Any, agency: AgencyFixture, route: str) -> None:
    answer = client.get(route.format("1e3"), headers=agency.auth())
    assert answer.status_code == 404 and "valid integer" in answer.json()["detail"]


def test_the_largest_id_is_an_ordinary_not_found(client: Any, agency: AgencyFixture) -> None:
    answer = client.get(f"/namus/v1/jobs/{MAX_ID}", headers=agency.auth())
    assert answer.status_code == 404
    assert answer.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": f"No job {MAX_ID} of account {agency.ori}.",
        "instance": f"/namus/v1/jobs/{MAX_ID}",
    }


@pytest.mark.parametrize("route", ["/chri/v1/outbox", "/namus/v1/cases"])
@pytest.mark.parametrize("limit", ["-1", "0", str(MAX_LIMIT + 1), HUGE])
def test_a_limit_out_of_range_is_422_naming_it(
    client: Any, agency: AgencyFixture, route: str, limit: str
) -> None:
    answer = client.get(route, params={"limit": limit}, headers=agency.auth())
    assert answer.status_code == 422, answer.text
    assert answer.json()["problems"][0]["field"] == "query.limit"
    assert "query.limit" in answer.json()["detail"]


@pytest.mark.parametrize("route", ["/chri/v1/outbox", "/namus/v1/cases"])
def test_the_largest_limit_is_taken(client: Any, agency: AgencyFixture, route: str) -> None:
    answer = client.get(route, params={"limit": MAX_LIMIT}, headers=agency.auth())
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("offset", ["-1", HUGE])
def test_an_offset_out_of_range_is_422(client: Any, agency: AgencyFixture, offset: str) -> None:
    answer = client.get("/namus/v1/cases", params={"offset": offset}, headers=agency.auth())
    assert answer.status_code == 422 and answer.json()["problems"][0]["field"] == "query.offset"
    largest = client.get("/namus/v1/cases", params={"offset": MAX_ID}, headers=agency.auth())
    assert largest.status_code == 200 and largest.json()["cases"] == []


@pytest.mark.parametrize("number", [f"MP{HUGE}", f"UP{MAX_ID + 1}", "MP²", "MP٣"])
def test_a_case_number_out_of_range_is_a_missing_case(
    client: Any, agency: AgencyFixture, number: str
) -> None:
    assert client.get(f"/namus/v1/cases/{number}", headers=agency.auth()).status_code == 404
    edit = client.put(f"/namus/v1/cases/{number}", json={}, headers=agency.auth())
    assert edit.status_code == 404
    cancel = client.post(
        "/namus/v1/cancellations",
        json={"idFormatted": number, "reason": "resolved"},
        headers=agency.auth(),
    )
    assert cancel.status_code in (400, 404), cancel.text


def test_the_openapi_document_lists_each_error_with_the_body_the_hub_sends(client: Any) -> None:
    document = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in str(document)  # FastAPI's 422 body: never sent
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            if "{" in path and path.rsplit("{", 1)[1].rstrip("}").endswith("_id"):
                assert "404" in answers, (method, path)  # an id out of range, at least
            if path.startswith("/sdcs/v1/stops"):
                continue  # the web service's answers are the seed's Table 6, every status
            for status, answer in answers.items():
                if status.startswith("4"):
                    schema = answer["content"]["application/problem+json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, status)

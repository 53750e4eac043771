"""One error format (issue 18): every error of the API routes is an RFC 9457 problem document,
``application/problem+json`` with ``type``, ``title``, ``status``, ``detail`` and ``instance``;
the stop web service's answers keep the seed's Table 6 shape, and the portal's errors stay pages.

The walk takes every route of the app's table (``routes.app_routes``), so a new route is walked
too; each is asked what makes it refuse: no key, a key it does not take, a method it does not
take, a body it cannot read, a parameter out of range.
"""

from __future__ import annotations

import re
from typing import Any

import httpx2 as httpx
import pytest

from jdx.channels.http.common import CATALOGUE, KINDS, PROBLEM_JSON
from tests.channels.http.routes import app_routes
from tests.conftest import AgencyFixture

MEMBERS = {"type", "title", "status", "detail", "instance"}
# Routes whose answers are not problem documents: the stop web service (Table 6), the portal
# and landing page (HTML), the documentation pages, and the operator's probes.
NOT_API = re.compile(
    r"^(/sdcs/v1/stops|/portal|/docs|/redoc|/problems|/healthz|/readyz|/metrics|/openapi.json|/$)"
)
PLACEHOLDER = {"name": "x.txt", "case_number": "MP999999", "lea_record_id": "R0000001"}
OTHER_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")


def assert_problem(answer: httpx.Response, path: str) -> dict[str, Any]:
    """``answer`` is a problem document of its own status, about ``path``."""
    what = f"{answer.request.method} {path}: {answer.status_code} {answer.text[:300]}"
    assert answer.headers["content-type"] == PROBLEM_JSON, what
    body = answer.json()
    assert body.keys() >= MEMBERS, what
    assert body["status"] == answer.status_code, what
    assert body["instance"] == path, what
    # a sentence: a capital letter first, a full stop last
    assert body["detail"][:1].isupper() and body["detail"].endswith((".", "?", "!")), what
    if body["type"] == "about:blank":
        assert body["title"], what
    else:
        base, _, kind = body["type"].partition("#")
        assert base == CATALOGUE and kind in KINDS and body["title"] == KINDS[kind][0], what
    for problem in body.get("problems") or ():
        assert problem.keys() == {"field", "message"}, what
    return body  # type: ignore[no-any-return]


def concrete(template: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PLACEHOLDER.get(m.group(1), "1"), template)


def test_every_api_route_answers_its_errors_as_problem_documents(
    app: Any, client: httpx.Client, agency: AgencyFixture
) -> None:
    routes = sorted(app_routes(app))
    methods: dict[str, set[str]] = {}
    for method, template in routes:
        methods.setdefault(template, set()).add(method)
    walked = errors = 0
    for method, template in routes:
        if NOT_API.match(template):
            continue
        path = concrete(template)
        walked += 1
        tries = [
            client.request(method, path),  # no key
            client.request(method, path, headers={"Authorization": "Bearer jdx_prod_0_nokey"}),
            client.request(
                method,
                path,
                content=b"\x00 not a body",
                headers={**agency.auth(), "Content-Type": "application/json"},
            ),
        ]
        other = next(m for m in OTHER_METHODS if m not in methods[template])
        tries.append(client.request(other, path, headers=agency.auth()))
        for answer in tries:
            if answer.status_code >= 400:
                errors += 1
                assert_problem(answer, path)
    assert walked >= 20 and errors >= 3 * walked


def test_a_method_the_route_does_not_take_is_405_naming_those_it_takes(
    client: httpx.Client, agency: AgencyFixture
) -> None:
    answer = client.delete("/namus/v1/jobs", headers=agency.auth())
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"
    assert_problem(answer, "/namus/v1/jobs")
    answer = client.get("/namus/v1/jobs/validate", headers=agency.auth())
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"
    assert_problem(answer, "/namus/v1/jobs/validate")


def test_an_unknown_path_and_a_parameter_out_of_range_name_what_is_wrong(
    client: httpx.Client, agency: AgencyFixture
) -> None:
    answer = client.get("/namus/v2/nothing", headers=agency.auth())
    assert assert_problem(answer, "/namus/v2/nothing")["detail"] == (
        "Nothing is at this path: see /docs for the routes of the API."
    )
    answer = client.get("/chri/v1/outbox", params={"limit": "0"}, headers=agency.auth())
    body = assert_problem(answer, "/chri/v1/outbox")
    assert answer.status_code == 422 and body["type"] == f"{CATALOGUE}#invalid-request"
    assert body["problems"] == [
        {"field": "query.limit", "message": "Input should be greater than or equal to 1"}
    ]


def test_a_missing_key_is_401_with_the_scheme_to_use(client: httpx.Client) -> None:
    answer = client.get("/chri/v1/outbox")
    body = assert_problem(answer, "/chri/v1/outbox")
    assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer")
    assert body["detail"] == "Send the agency's API key as 'Authorization: Bearer <key>'."


def test_the_stop_web_service_keeps_table_6(client: httpx.Client) -> None:
    answer = client.post("/sdcs/v1/stops", json={})
    assert answer.status_code == 401 and answer.headers["content-type"] == "application/json"
    assert answer.json()["Status"] == "Rejected" and answer.json()["Messages"][0]["Code"]


def test_the_portal_s_errors_stay_pages(client: httpx.Client) -> None:
    answer = client.get("/portal/nothing-here", follow_redirects=False)
    assert not answer.headers.get("content-type", "").startswith(PROBLEM_JSON)


def test_the_error_catalogue_names_every_kind(client: httpx.Client) -> None:
    page = client.get(CATALOGUE)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for kind, (title, _) in KINDS.items():
        assert f'id="{kind}"' in page.text and title in page.text


@pytest.mark.parametrize(
    ("job", "field"),
    [
        ({"cases": [{"record": {"a": 1}}]}, "body.cases[0].type"),
        ({"cases": [{"type": {}, "record": {}}]}, "body.cases[0].type"),
        ([{"firstName": "A"}], "body.cases[0]"),
    ],
)
def test_a_job_whose_cases_lack_a_type_is_400_naming_the_field(
    client: httpx.Client, agency: AgencyFixture, job: Any, field: str
) -> None:
    answer = client.post("/namus/v1/jobs", json=job, headers=agency.auth())
    body = assert_problem(answer, "/namus/v1/jobs")
    assert answer.status_code == 400 and body["type"] == f"{CATALOGUE}#unreadable-body"
    assert [p["field"] for p in body["problems"]] == [field]


def test_jdx_submit_reports_the_problem_s_detail(
    client: httpx.Client, agency: AgencyFixture
) -> None:
    """``jdx submit`` (the agencies' client, jdx_client) tells the agency what the hub said: the
    problem document's ``detail``."""
    from jdx_client.problems import problem_of

    refused = client.put("/sdcs/v1/files/stops.csv", content=b"x", headers=agency.auth())
    assert refused.status_code == 400
    assert str(problem_of(refused)) == (
        "The file name 'stops.csv' is refused: the name must be YYYYMMDDHHMMSS_<ORI>_<LEA batch "
        "id>.xlsx|.xls|.csv or YYYYMMDDHHMMSS_<ORI>_<LEA record id>.xml|.json."
    )


def test_a_nul_character_in_a_case_is_400_naming_where(
    client: httpx.Client, agency: AgencyFixture
) -> None:
    """PostgreSQL's JSONB cannot hold ``\\u0000``: a job holding one was a 500 there (found by
    the schemathesis run on PostgreSQL); now refused, on every database, naming where."""
    job = {"cases": [{"type": "unidentified", "record": {"name": "A\u0000B"}}]}
    answer = client.post("/namus/v1/jobs", json=job, headers=agency.auth())
    body = assert_problem(answer, "/namus/v1/jobs")
    assert answer.status_code == 400 and "cases[0].record.name holds a NUL" in body["detail"]
    assert [p["field"] for p in body["problems"]] == ["body.cases[0].record.name"]
    answer = client.post(
        "/namus/v1/cancellations", json={"reason": "\u0000"}, headers=agency.auth()
    )
    assert (
        answer.status_code == 400
        and "body.reason" in assert_problem(answer, "/namus/v1/cancellations")["detail"]
    )


def test_a_different_file_under_a_name_taken_is_409(
    client: httpx.Client, agency: AgencyFixture
) -> None:
    """The name is taken by another file the hub holds: a conflict with it (found by the
    schemathesis run: it was 400, which says the request itself is malformed)."""
    name = f"/sdcs/v1/files/20240315143200_{agency.ori}_CONFLICT1.json"
    first = client.put(name, content=b'{"a": 1}', headers=agency.auth())
    assert first.status_code == 202, first.text
    again = client.put(name, content=b'{"a": 2}', headers=agency.auth())
    body = assert_problem(again, name)
    assert again.status_code == 409 and "a different file of that name" in body["detail"]

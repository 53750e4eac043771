"""A client's jobs, results and uploads; administration of users, accounts, limits, regions."""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa

from jdx.exchanges.cases import workflow as case_jobs
from jdx.exchanges.cases.tables import client_limits, import_accounts
from jdx.hub import Hub
from jdx.security import users
from tests.channels.web.conftest import csrf_of, login, make_user
from tests.conftest import AgencyFixture
from tests.exchanges.cases.test_import import invalid, missing


def submit(client: Any, agency: AgencyFixture, items: list[Any]) -> int:
    answer = client.post("/namus/v1/jobs", json={"cases": items}, headers=agency.auth())
    assert answer.status_code == 202, answer.text
    job_id = int(answer.json()["job_id"])
    case_jobs.wait(job_id)
    return job_id


def test_a_client_sees_its_jobs_results_and_nobody_elses(
    workflows: Hub, client: Any, portal: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    mine = submit(client, agency, [missing(), invalid()])
    theirs = submit(client, other_agency, [missing()])
    user = make_user(workflows, "client", agency=agency)
    login(portal, user)
    listed = portal.get("/portal/jobs")
    assert f'href="/portal/jobs/{mine}"' in listed.text
    assert f'href="/portal/jobs/{theirs}"' not in listed.text
    job = portal.get(f"/portal/jobs/{mine}")
    assert job.status_code == 200
    assert "complete" in job.text and "MP" in job.text
    assert "NM0" in job.text  # the invalid case's error code, with its field
    # the field by its label in the dictionary (issue 19), not its path
    assert "Identification of the missing person › Last name" in job.text
    assert "subjectIdentification.lastName" not in job.text
    assert portal.get(f"/portal/jobs/{theirs}").status_code == 404


def test_a_client_gets_404_for_another_agencys_case(
    workflows: Hub, client: Any, portal: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    theirs = submit(client, other_agency, [missing()])
    number = client.get(f"/namus/v1/jobs/{theirs}", headers=other_agency.auth()).json()["cases"][0][
        "case_number"
    ]
    mine = submit(client, agency, [missing()])
    own = client.get(f"/namus/v1/jobs/{mine}", headers=agency.auth()).json()["cases"][0]
    login(portal, make_user(workflows, "client", agency=agency))
    waiting = portal.get("/portal/review")
    assert f'id="case-{own["case_number"]}"' in waiting.text
    assert f'id="case-{number}"' not in waiting.text
    assert portal.get(f"/portal/cases/{own['case_number']}").status_code == 200
    refused = portal.get(f"/portal/cases/{number}")
    assert refused.status_code == 404
    assert portal.get(f"/portal/cases/{number}/edit").status_code == 404
    csrf = csrf_of(portal, "/portal/review")
    assert portal.post(f"/portal/cases/{number}/resubmit", data={"csrf": csrf}).status_code == 404
    assert portal.get("/portal/cases/MP999999999").status_code == 404


def test_a_job_file_upload_becomes_a_job(
    workflows: Hub, portal: Any, agency: AgencyFixture
) -> None:
    login(portal, make_user(workflows, "client", agency=agency))
    csrf = csrf_of(portal, "/portal/jobs/upload")
    body = orjson.dumps({"cases": [missing(), missing()]})
    sent = portal.post(
        "/portal/jobs/upload",
        data={"csrf": csrf, "realm": "prod"},
        files={"file": ("cases.json", body, "application/json")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    job_id = int(sent.headers["location"].rsplit("/", 1)[1])
    assert case_jobs.wait(job_id)["created"] == 2
    assert "2 created" in portal.get(sent.headers["location"]).text


def test_an_unreadable_upload_is_refused_with_a_reason(
    workflows: Hub, portal: Any, agency: AgencyFixture
) -> None:
    login(portal, make_user(workflows, "client", agency=agency))
    csrf = csrf_of(portal, "/portal/jobs/upload")
    sent = portal.post(
        "/portal/jobs/upload",
        data={"csrf": csrf, "realm": "prod"},
        files={"file": ("cases.json", b"{not json", "application/json")},
    )
    assert sent.status_code == 400
    assert 'role="alert"' in sent.text


def test_an_upload_over_the_clients_limit_is_refused(
    workflows: Hub, portal: Any, agency: AgencyFixture
) -> None:
    admin = make_user(workflows, "admin")
    login(portal, admin)
    csrf = csrf_of(portal, "/portal/admin/accounts")
    changed = portal.post(
        f"/portal/admin/limits/{agency.id}",
        data={
            "csrf": csrf,
            "max_cases_per_job": "1",
            "max_job_bytes": "100000",
            "max_jobs_per_day": "10",
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    with workflows.engine.connect() as conn:
        row = conn.execute(
            sa.select(client_limits).where(client_limits.c.agency_id == agency.id)
        ).one()
    assert (row.max_cases_per_job, row.max_jobs_per_day) == (1, 10)
    portal.cookies.clear()
    login(portal, make_user(workflows, "client", agency=agency))
    csrf = csrf_of(portal, "/portal/jobs/upload")
    sent = portal.post(
        "/portal/jobs/upload",
        data={"csrf": csrf, "realm": "prod"},
        files={"file": ("cases.json", orjson.dumps({"cases": [missing(), missing()]}))},
    )
    assert sent.status_code == 413 and "at most 1 cases" in sent.text


def test_admin_adds_users_sets_regions_and_suspends(
    hub: Hub, portal: Any, agency: AgencyFixture
) -> None:
    admin = make_user(hub, "admin")
    login(portal, admin)
    csrf = csrf_of(portal, "/portal/admin/users")
    added = portal.post(
        "/portal/admin/users",
        data={
            "csrf": csrf,
            "username": f"new-rps-{admin.id}",
            "email": "rps@example.org",
            "user_role": "rps",
            "regions": "region-9, region-10",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    with hub.engine.connect() as conn:
        user = users.get_user(conn, f"new-rps-{admin.id}")
    assert user is not None and user.regions == ("region-10", "region-9")
    portal.post(
        f"/portal/admin/users/{user.id}",
        data={"csrf": csrf, "action": "regions", "regions": "region-4"},
    )
    bad = portal.post(
        "/portal/admin/users",
        data={
            "csrf": csrf,
            "username": f"cl-{admin.id}",
            "email": "c@example.org",
            "user_role": "client",
            "agency": "NOSUCHORI",
        },
    )
    assert bad.status_code == 400 and "no agency" in bad.text
    # suspending ends the user's portal sessions at once
    client_user = make_user(hub, "client", agency=agency)
    from starlette.testclient import TestClient

    with TestClient(portal.app, base_url="http://testserver", client=("127.0.0.1", 50009)) as c:
        login(c, client_user)
        assert c.get("/portal/jobs").status_code == 200
        portal.post(
            f"/portal/admin/users/{client_user.id}", data={"csrf": csrf, "action": "suspend"}
        )
        assert c.get("/portal/jobs", follow_redirects=False).status_code == 303
    with hub.engine.connect() as conn:
        assert users.get_user(conn, user.id).regions == ("region-4",)  # type: ignore[union-attr]
        assert not users.get_user(conn, client_user.id).active  # type: ignore[union-attr]


def test_admin_changes_sponsor_permission_and_regions(
    hub: Hub, portal: Any, agency: AgencyFixture
) -> None:
    login(portal, make_user(hub, "admin"))
    csrf = csrf_of(portal, "/portal/admin/accounts")
    assert agency.ori in portal.get("/portal/admin/accounts", params={"text": agency.ori}).text
    portal.post(
        f"/portal/admin/accounts/{agency.id}",
        data={"csrf": csrf, "sponsor": "State clearinghouse"},  # import unticked
    )
    with hub.engine.connect() as conn:
        row = conn.execute(
            sa.select(import_accounts).where(import_accounts.c.agency_id == agency.id)
        ).one()
    assert (row.sponsor, row.can_import) == ("State clearinghouse", False)
    refused = portal.post(
        f"/portal/admin/limits/{agency.id}",
        data={
            "csrf": csrf,
            "max_cases_per_job": "500",
            "max_job_bytes": "1",
            "max_jobs_per_day": "1",
        },
    )
    assert refused.status_code == 400 and "at most 100" in refused.text
    bad_region = portal.post(
        "/portal/admin/regions", data={"csrf": csrf, "state": "California", "region": "x"}
    )
    assert bad_region.status_code == 400 and "two-letter" in bad_region.text


def test_an_agency_without_import_permission_cannot_upload(
    workflows: Hub, portal: Any, agency: AgencyFixture
) -> None:
    with workflows.engine.begin() as conn:
        conn.execute(
            import_accounts.update()
            .where(import_accounts.c.agency_id == agency.id)
            .values(can_import=False)
        )
    login(portal, make_user(workflows, "client", agency=agency))
    csrf = csrf_of(portal, "/portal/jobs/upload")
    sent = portal.post(
        "/portal/jobs/upload",
        data={"csrf": csrf, "realm": "prod"},
        files={"file": ("cases.json", orjson.dumps({"cases": [missing()]}))},
    )
    assert sent.status_code == 403 and "import permission" in sent.text
    assert "<html" in sent.text  # a page, not JSON

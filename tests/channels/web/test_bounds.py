"""The portal's ids and numbers out of range: a 404 page, never a 500 (issue 16, finding 5)."""

from __future__ import annotations

from typing import Any

from jdx.hub import Hub
from jdx.store.tables import MAX_SMALL_ID
from tests.channels.web.conftest import csrf_of, hidden, login, make_user
from tests.conftest import AgencyFixture

HUGE = "147107051738940731031552"


def test_the_portal_answers_an_id_out_of_range_with_a_404_page(
    hub: Hub, portal: Any, agency: AgencyFixture
) -> None:
    login(portal, make_user(hub, "client", agency=agency))
    page = portal.get(f"/portal/jobs/{HUGE}")
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"] and "job_id" in page.text
    assert portal.get(f"/portal/cases/MP{HUGE}").status_code == 404


def test_the_portal_administration_refuses_ids_and_limits_out_of_range(
    hub: Hub, portal: Any, agency: AgencyFixture
) -> None:
    login(portal, make_user(hub, "admin"))
    csrf = csrf_of(portal, "/portal/admin/accounts")
    for path in ("users", "accounts", "limits"):
        # agencies and users have 32-bit ids: on PostgreSQL a larger one is a database error
        for value in (HUGE, str(MAX_SMALL_ID + 1)):
            answer = portal.post(f"/portal/admin/{path}/{value}", data={"csrf": csrf})
            assert answer.status_code == 404, (path, answer.text[:300])
    # An id in range that names no agency: no account or limits row made for nobody.
    for path in ("accounts", "limits"):
        answer = portal.post(
            f"/portal/admin/{path}/{MAX_SMALL_ID}",
            data={
                "csrf": csrf,
                "sponsor": "S",
                "max_cases_per_job": "1",
                "max_job_bytes": "1",
                "max_jobs_per_day": "1",
            },
        )
        assert answer.status_code == 404, (path, answer.text[:300])
    too_many = portal.post(
        f"/portal/admin/limits/{agency.id}",
        data={
            "csrf": csrf,
            "max_cases_per_job": "10",
            "max_job_bytes": HUGE,
            "max_jobs_per_day": "1",
        },
    )
    assert too_many.status_code == 400 and "bytes per job must be from 1 to" in too_many.text


def test_rps_decision_on_a_cancellation_out_of_range_is_404(hub: Hub, portal: Any) -> None:
    login(portal, make_user(hub, "admin"))
    csrf = csrf_of(portal, "/portal/review")
    answer = portal.post(
        f"/portal/cancellations/{HUGE}", data={"csrf": csrf, "decision": "approve", "note": "x"}
    )
    assert answer.status_code == 404


def test_a_null_character_in_a_login_is_a_failed_login_not_a_500(portal: Any) -> None:
    """U+0000 in a form field: PostgreSQL's text cannot hold it (store/engine.py)."""
    form = portal.get("/portal/login")
    answer = portal.post(
        "/portal/login",
        data={
            "username": "admin\x00",
            "password": "x\x00",
            "login_token": hidden(form.text, "login_token"),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 401, answer.text[:300]
    assert "text/html" in answer.headers["content-type"]

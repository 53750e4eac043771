"""A suspended agency's portal users: every page and form refused, told why; reinstated, back.

Issue 16, finding 1: after ``jdx agency suspend``, the agency's users still opened
``/portal/jobs`` and ``/portal/cases/…`` and saved an edit (only the upload page refused).
"""

from __future__ import annotations

import re
from typing import Any

from jdx.hub import Hub
from jdx.store.queries import set_agency_active
from tests.channels.web.conftest import csrf_of, login, make_user
from tests.channels.web.test_review_pages import imported
from tests.conftest import AgencyFixture


def suspend(hub: Hub, agency: AgencyFixture, active: bool = False) -> None:
    with hub.engine.begin() as conn:
        set_agency_active(conn, agency.ori, active)


def test_a_suspended_agencys_user_is_refused_every_page_and_edit_and_told_why(
    workflows: Hub, client: Any, portal: Any, agency: AgencyFixture
) -> None:
    number = imported(client, agency)
    login(portal, make_user(workflows, "client", agency=agency))
    form = portal.get(f"/portal/cases/{number}/edit")
    assert form.status_code == 200
    fields = dict(
        zip(
            re.findall(r'name="path" value="([^"]+)"', form.text),
            re.findall(r'name="value" value="([^"]*)"', form.text),
            strict=True,
        )
    )
    csrf = csrf_of(portal, f"/portal/cases/{number}/edit")

    suspend(workflows, agency)  # the session was opened before: it must not outlive this
    for path in ("/portal/", "/portal/jobs", f"/portal/cases/{number}", "/portal/jobs/upload"):
        refused = portal.get(path, follow_redirects=True)
        assert refused.status_code == 403, path
        assert f"Agency {agency.ori} is suspended" in refused.text, path
    fields["subjectIdentification.firstName"] = "JOAN"
    edit = portal.post(
        f"/portal/cases/{number}/edit",
        data={"csrf": csrf, "path": list(fields), "value": list(fields.values())},
    )
    assert edit.status_code == 403
    assert f"Agency {agency.ori} is suspended" in edit.text
    htmx = portal.get(f"/portal/cases/{number}", headers={"HX-Request": "true"})
    assert htmx.status_code == 403 and "is suspended" in htmx.text
    case = client.get(f"/namus/v1/cases/{number}", headers=agency.auth())
    assert case.status_code == 403  # nor through the API

    suspend(workflows, agency, active=True)
    assert portal.get(f"/portal/cases/{number}").status_code == 200  # the same session
    saved = portal.post(
        f"/portal/cases/{number}/edit",
        data={"csrf": csrf, "path": list(fields), "value": list(fields.values())},
    )
    assert saved.status_code == 200 and "JOAN" in saved.text


def test_a_suspended_agencys_user_who_logs_in_is_told_why(
    workflows: Hub, portal: Any, agency: AgencyFixture
) -> None:
    user = make_user(workflows, "client", agency=agency)
    suspend(workflows, agency)
    login(portal, user)
    home = portal.get("/portal/", follow_redirects=True)
    assert home.status_code == 403
    assert f"Agency {agency.ori} is suspended" in home.text


def test_an_administrator_suspends_and_reinstates_an_agency_from_the_portal(
    hub: Hub, client: Any, portal: Any, agency: AgencyFixture
) -> None:
    from jdx.store.queries import audit_entries

    admin = make_user(hub, "admin")
    login(portal, admin)
    csrf = csrf_of(portal, "/portal/admin/accounts")
    assert client.get("/chri/v1/outbox", headers=agency.auth()).status_code == 200
    done = portal.post(
        f"/portal/admin/accounts/{agency.id}/standing", data={"csrf": csrf, "action": "suspend"}
    )
    assert done.status_code == 200  # back on the accounts page
    row = done.text[done.text.index(f'id="account-{agency.ori}"') :]
    assert "suspended" in row[: row.index("</tr>")]
    assert client.get("/chri/v1/outbox", headers=agency.auth()).status_code == 403
    portal.post(
        f"/portal/admin/accounts/{agency.id}/standing", data={"csrf": csrf, "action": "activate"}
    )
    assert client.get("/chri/v1/outbox", headers=agency.auth()).status_code == 200
    with hub.engine.connect() as conn:
        entries = audit_entries(conn, exchange="agency", ori=agency.ori)
    assert [(e["action"], e["actor"], e["channel"]) for e in entries] == [
        ("suspend", admin.username, "portal"),
        ("reinstate", admin.username, "portal"),
    ]

"""The RPS's pages: the queue of its regions, case view, edit (errors by field), history,
permission, publication, return, and cancellation decisions (htmx)."""

from __future__ import annotations

import re
from typing import Any

from jdx.exchanges.cases.regions import DEMO_REGIONS
from jdx.hub import Hub
from tests.channels.web.conftest import csrf_of, login, make_user
from tests.channels.web.test_jobs_admin import submit
from tests.conftest import AgencyFixture
from tests.exchanges.cases.test_import import missing

CA = DEMO_REGIONS["CA"]  # the golden cases are Californian


def imported(client: Any, agency: AgencyFixture, item: dict[str, Any] | None = None) -> str:
    job_id = submit(client, agency, [item or missing()])
    job = client.get(f"/namus/v1/jobs/{job_id}", headers=agency.auth()).json()
    return str(job["cases"][0]["case_number"])


def test_an_rps_sees_the_cases_of_its_regions_only(
    workflows: Hub, client: Any, portal: Any, agency: AgencyFixture
) -> None:
    number = imported(client, agency)
    login(portal, make_user(workflows, "rps", regions=(CA,)))
    queue = portal.get("/portal/review")
    assert f'id="case-{number}"' in queue.text
    # htmx filtering answers the queue alone, not the whole page
    part = portal.get(f"/portal/review?region={CA}", headers={"HX-Request": "true"})
    assert part.text.lstrip().startswith('<section id="queue">')
    assert f'id="case-{number}"' in part.text and "<html" not in part.text
    portal.cookies.clear()
    login(portal, make_user(workflows, "rps", regions=("region-4",)))
    assert f'id="case-{number}"' not in portal.get("/portal/review").text
    assert portal.get(f"/portal/cases/{number}").status_code == 404
    assert portal.get(f"/portal/review?region={CA}").status_code == 403
    csrf = csrf_of(portal, "/portal/review")
    refused = portal.post(f"/portal/cases/{number}/publish", data={"csrf": csrf})
    assert refused.status_code == 404


def test_permission_then_publication_with_the_history(
    workflows: Hub, client: Any, portal: Any, agency: AgencyFixture
) -> None:
    number = imported(client, agency)
    login(portal, make_user(workflows, "rps", regions=(CA,)))
    csrf = csrf_of(portal, f"/portal/cases/{number}")
    early = portal.post(f"/portal/cases/{number}/publish", data={"csrf": csrf})
    assert early.status_code == 409 and "permission" in early.text
    recorded = portal.post(
        f"/portal/cases/{number}/permission",
        data={"csrf": csrf, "granted_by": "Lt. Chen, Sacramento PD", "note": "by phone"},
    )
    assert recorded.status_code == 200 and "Lt. Chen, Sacramento PD" in recorded.text
    published = portal.post(
        f"/portal/cases/{number}/publish", data={"csrf": csrf, "confirmed": "yes"}
    )
    assert published.status_code == 200
    assert 'id="review-state">published' in published.text
    history = published.text[published.text.index('id="history"') :]
    assert "permission" in history and "publish" in history
    # the client reads the published state back over the API
    case = client.get(f"/namus/v1/cases/{number}", headers=agency.auth()).json()
    assert case["published"] is True


def test_an_edit_shows_the_dictionarys_errors_beside_their_fields(
    workflows: Hub, client: Any, portal: Any, agency: AgencyFixture
) -> None:
    number = imported(client, agency)
    login(portal, make_user(workflows, "client", agency=agency))  # the entering party
    form = portal.get(f"/portal/cases/{number}/edit")
    assert form.status_code == 200
    pairs = re.findall(r'name="path" value="([^"]+)"', form.text)
    values = re.findall(r'name="value" value="([^"]*)"', form.text)
    fields = dict(zip(pairs, values, strict=True))
    assert fields["subjectIdentification.firstName"] == "JANE"
    csrf = csrf_of(portal, f"/portal/cases/{number}/edit")
    fields["subjectIdentification.computedMissingMinAge"] = "forty"
    refused = portal.post(
        f"/portal/cases/{number}/edit",
        data={"csrf": csrf, "path": list(fields), "value": list(fields.values())},
    )
    assert refused.status_code == 400
    assert 'data-error-for="subjectIdentification.computedMissingMinAge"' in refused.text
    assert "forty" in refused.text  # what was typed is kept
    fields["subjectIdentification.computedMissingMinAge"] = "31"
    fields["subjectIdentification.firstName"] = "JOAN"
    saved = portal.post(
        f"/portal/cases/{number}/edit",
        data={"csrf": csrf, "path": list(fields), "value": list(fields.values())},
    )
    assert saved.status_code == 200, saved.text
    assert "JOAN" in saved.text
    history = saved.text[saved.text.index('id="history"') :]
    # the history names the field by the dictionary's label, not its path (issue 19)
    assert "edit" in history and "Identification of the missing person › First name" in history
    assert "subjectIdentification.firstName" not in history


def test_a_returned_case_goes_back_to_the_entering_party(
    workflows: Hub, client: Any, portal: Any, agency: AgencyFixture
) -> None:
    number = imported(client, agency)
    login(portal, make_user(workflows, "rps", regions=(CA,)))
    csrf = csrf_of(portal, f"/portal/cases/{number}")
    assert portal.post(f"/portal/cases/{number}/return", data={"csrf": csrf}).status_code == 400
    returned = portal.post(
        f"/portal/cases/{number}/return",
        data={"csrf": csrf, "note": "add the photo", "confirmed": "yes"},
    )
    assert 'id="review-state">returned' in returned.text and "add the photo" in returned.text
    portal.cookies.clear()
    login(portal, make_user(workflows, "client", agency=agency))
    csrf = csrf_of(portal, f"/portal/cases/{number}")
    again = portal.post(f"/portal/cases/{number}/resubmit", data={"csrf": csrf, "note": "done"})
    assert 'id="review-state">pending' in again.text


def test_the_rps_decides_a_cancellation_and_the_client_reads_it(
    workflows: Hub, client: Any, portal: Any, agency: AgencyFixture
) -> None:
    number = imported(client, agency)
    asked = client.post(
        "/namus/v1/cancellations",
        json={"idFormatted": number, "reason": "resolved", "note": "located"},
        headers=agency.auth(),
    )
    request_id = asked.json()["id"]
    login(portal, make_user(workflows, "rps", regions=(CA,)))
    queue = portal.get("/portal/review?kind=cancellations")
    assert f'id="cancellation-{request_id}"' in queue.text
    csrf = csrf_of(portal, "/portal/review")
    no_note = portal.post(
        f"/portal/cancellations/{request_id}", data={"csrf": csrf, "decision": "approve"}
    )
    assert no_note.status_code == 400
    decided = portal.post(
        f"/portal/cancellations/{request_id}",
        data={"decision": "approve", "note": "confirmed with the family"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
    )
    assert decided.status_code == 200
    assert decided.text.lstrip().startswith(f'<tr id="cancellation-{request_id}"')
    assert "approved" in decided.text
    seen = client.get(f"/namus/v1/cancellations/{request_id}", headers=agency.auth()).json()
    assert (seen["state"], seen["reviewer_note"]) == ("approved", "confirmed with the family")


def test_markup_in_a_record_is_shown_as_text(
    workflows: Hub, client: Any, portal: Any, agency: AgencyFixture
) -> None:
    item = missing()
    item["record"]["subjectIdentification"]["firstName"] = "<script>alert(1)</script>"
    job_id = submit(client, agency, [item])
    job = client.get(f"/namus/v1/jobs/{job_id}", headers=agency.auth()).json()
    number = job["cases"][0]["case_number"]  # the dictionary accepts the text as a name
    login(portal, make_user(workflows, "client", agency=agency))
    shown = portal.get(f"/portal/cases/{number}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text
    assert "<script>alert" not in shown.text
    form = portal.get(f"/portal/cases/{number}/edit")
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in form.text
    assert "script-src 'self'" in shown.headers["content-security-policy"]

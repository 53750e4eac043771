"""The NamUs pages of issue 19 over HTTP: labels instead of paths, publish and return asked
first, no self-suspension, a decided cancellation row that keeps its cells, the mails of a
cancellation request asked on its own (to the RPS) and of its decision (to the agency), through
a real SMTP server (aiosmtpd), and a new authenticator with its QR code and recovery codes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from jdx.exchanges.cases.regions import DEMO_REGIONS
from jdx.hub import Hub
from jdx.notify.notifier import Notifier
from jdx.security import totp
from tests.channels.web.conftest import (
    PortalUser,
    csrf_of,
    login,
    make_user,
    new_address,
)
from tests.channels.web.test_review_pages import imported
from tests.conftest import AgencyFixture
from tests.exchanges.cases.test_import import missing, run_job
from tests.exchanges.cases.test_review import in_state
from tests.notify.conftest import SmtpServer, mail_agency, serving

CA = DEMO_REGIONS["CA"]
ETHNICITY = "Description of the missing person › Primary race / ethnicity"


@pytest.fixture
def smtp(hub: Hub) -> Iterator[SmtpServer]:
    with serving(hub.settings) as server:
        yield server


def cells(row_html: str) -> list[str]:
    """The text of each cell of a table row."""
    found = re.findall(r"<td>(.*?)</td>", row_html, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip() for c in found]


def row_of(html: str, row_id: str) -> str:
    found = re.search(rf'<tr id="{row_id}">.*?</tr>', html, re.S)
    assert found, f"no row {row_id}"
    return found.group(0)


def test_a_case_shows_the_dictionarys_labels_not_paths(
    workflows: Hub, client: Any, portal: Any, agency: AgencyFixture
) -> None:
    number = imported(client, agency)
    login(portal, make_user(workflows, "rps", regions=(CA,)))
    case = portal.get(f"/portal/cases/{number}").text
    record = case[case.index("<h2>Record</h2>") : case.index("<h2>History</h2>")]
    assert ETHNICITY in record
    assert "Investigating agencies 1 › Agency case number" in record
    shown = re.sub(r"<[^>]+>", " ", record)  # the text a reader sees, not the attributes
    assert "subjectDescription.primaryEthnicity.name" not in shown
    edit = portal.get(f"/portal/cases/{number}/edit").text
    assert f">{ETHNICITY}</label>" in edit


def test_publish_and_return_are_asked_first(
    workflows: Hub, client: Any, portal: Any, agency: AgencyFixture
) -> None:
    number = imported(client, agency)
    login(portal, make_user(workflows, "rps", regions=(CA,)))
    csrf = csrf_of(portal, f"/portal/cases/{number}")
    # Not allowed yet: refused at once, not asked about.
    early = portal.post(f"/portal/cases/{number}/publish", data={"csrf": csrf})
    assert early.status_code == 409 and "permission" in early.text
    portal.post(f"/portal/cases/{number}/permission", data={"csrf": csrf, "granted_by": "Lt. Chen"})
    asked = portal.post(f"/portal/cases/{number}/publish", data={"csrf": csrf})
    assert asked.status_code == 200 and f"Publish {number}?" in asked.text
    assert 'name="confirmed" value="yes"' in asked.text and "Lt. Chen" in asked.text
    assert 'id="review-state">pending' in portal.get(f"/portal/cases/{number}").text

    returning = portal.post(
        f"/portal/cases/{number}/return", data={"csrf": csrf, "note": "add the photo"}
    )
    assert returning.status_code == 200 and f"Return {number}?" in returning.text
    assert 'id="return-note">add the photo' in returning.text
    assert 'id="review-state">pending' in portal.get(f"/portal/cases/{number}").text

    published = portal.post(
        f"/portal/cases/{number}/publish", data={"csrf": csrf, "confirmed": "yes"}
    )
    assert 'id="review-state">published' in published.text


def test_an_administrator_cannot_suspend_itself(workflows: Hub, portal: Any) -> None:
    admin = make_user(workflows, "admin")
    other = make_user(workflows, "rps", regions=(CA,))
    login(portal, admin)
    # the list is paged (issue 19): each found by its name
    mine = portal.get("/portal/admin/users", params={"name": admin.username}).text
    assert 'value="suspend"' not in row_of(mine, f"user-{admin.username}")
    theirs = portal.get("/portal/admin/users", params={"name": other.username}).text
    assert 'value="suspend"' in row_of(theirs, f"user-{other.username}")
    csrf = csrf_of(portal, "/portal/admin/users")
    refused = portal.post(
        f"/portal/admin/users/{admin.id}", data={"csrf": csrf, "action": "suspend"}
    )
    assert refused.status_code == 403
    assert "You cannot suspend your own account" in refused.text
    # still logged in and active
    again = portal.get("/portal/admin/users", params={"name": admin.username})
    assert again.status_code == 200
    assert "active" in row_of(again.text, f"user-{admin.username}")


def request_cancellation(client: Any, agency: AgencyFixture) -> tuple[str, int]:
    """A case of the agency, in region CA, and a cancellation request asked on its own."""
    number = run_job(client, agency, [in_state(missing(), "CA")])["cases"][0]["case_number"]
    asked = client.post(
        "/namus/v1/cancellations",
        json={"idFormatted": number, "reason": "resolved", "note": "found alive"},
        headers=agency.auth(),
    )
    assert asked.status_code == 201, asked.text
    return str(number), int(asked.json()["id"])


def decide(portal: Any, request_id: int) -> Any:
    """The RPS approves the request in place (htmx), as the queue's form does."""
    csrf = csrf_of(portal, "/portal/review")
    return portal.post(
        f"/portal/cancellations/{request_id}",
        data={"decision": "approve", "note": "confirmed with the coroner"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
    )


def test_a_decided_cancellation_row_keeps_its_cells(
    workflows: Hub, client: Any, portal: Any, agency: AgencyFixture
) -> None:
    _, request_id = request_cancellation(client, agency)
    login(portal, make_user(workflows, "rps", regions=(CA,)))
    queue = portal.get(f"/portal/review?kind=cancellations&ori={agency.ori}").text
    before = cells(row_of(queue, f"cancellation-{request_id}"))
    decided = decide(portal, request_id)
    assert decided.status_code == 200
    after = cells(decided.text)
    assert after[:-1] == before[:-1]  # request and date, case, agency, reason, note, region
    assert agency.ori in after and re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", after[0])
    assert after[-1].startswith("approved")


def test_a_cancellation_request_mails_the_rps_and_its_decision_the_agency(
    workflows: Hub, client: Any, portal: Any, smtp: SmtpServer
) -> None:
    who = mail_agency(workflows)
    address = f"rps-{who.agency.ori.lower()}@example.org"
    rps = make_user(workflows, "rps", regions=(CA,), email=address)
    number, request_id = request_cancellation(client, who.agency)
    Notifier(workflows.engine, smtp.settings).send_due()
    told = [m.text for m in smtp.collector.to(address)]
    [request_mail] = [m for m in told if f"cancellation request {request_id}" in m]
    assert number in request_mail and who.agency.ori in request_mail
    assert "/portal/review?kind=cancellations" in request_mail
    assert "found alive" not in request_mail  # the client's note stays in the hub

    login(portal, rps)
    assert decide(portal, request_id).status_code == 200
    Notifier(workflows.engine, smtp.settings).send_due()
    [decision] = [
        m.text for m in smtp.collector.to(who.email) if f"request {request_id}:" in m.text
    ]
    assert "approved" in decision and number in decision
    assert f"/namus/v1/cancellations/{request_id}" in decision
    assert "confirmed with the coroner" not in decision  # the note: in the portal and the API
    assert "NamUs" in decision and "SFTP" not in decision


def test_namus_result_mails_speak_of_namus(workflows: Hub, client: Any, smtp: SmtpServer) -> None:
    who = mail_agency(workflows)
    job = run_job(client, who.agency, [missing()])
    Notifier(workflows.engine, smtp.settings).send_due()
    [mail] = [m.text for m in smtp.collector.to(who.email) if f"job {job['job_id']}" in m.text]
    assert "SFTP" not in mail
    assert f"/portal/jobs/{job['job_id']}" in mail and "NamUs case imports" in mail


def code_login(app: Any, user: PortalUser, code: str) -> int:
    """A log-in from a browser of its own with the password, then ``code``: the status of the
    code's answer (303: logged in)."""
    from starlette.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False, client=(new_address(), 50001)) as c:
        return int(login(c, user, code=code).status_code)


def test_a_new_authenticator_shows_its_qr_code_and_recovery_codes_that_work_once(
    hub: Hub, app: Any, portal: Any
) -> None:
    from jdx.channels.web.account import qr_svg  # here: the other tests run on older hubs too
    from jdx.security.recovery import recovery_codes

    user = make_user(hub, "rps", regions=(CA,))
    login(portal, user)
    account = portal.get("/portal/account")
    assert account.status_code == 200 and "Unused recovery codes: 0." in account.text
    csrf = csrf_of(portal, "/portal/account")
    refused = portal.post("/portal/account/authenticator", data={"csrf": csrf, "code": "123"})
    assert refused.status_code == 400 and "not accepted" in refused.text
    enrolled = portal.post(
        "/portal/account/authenticator", data={"csrf": csrf, "code": user.code()}
    )
    assert enrolled.status_code == 200, enrolled.text[:500]
    # The QR code is the new secret's otpauth:// URI, drawn inline (no image to fetch).
    secret = re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', enrolled.text)
    assert secret
    uri = totp.provisioning_uri(secret.group(1).replace(" ", ""), user.username)
    assert str(qr_svg(uri)) in enrolled.text and "<img" not in enrolled.text
    codes = re.findall(r"<li><code>([a-z2-7-]{19})</code></li>", enrolled.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    with hub.engine.connect() as conn:  # stored as digests only
        stored = {r.code_hash for r in conn.execute(sa.select(recovery_codes))}
    assert not {c.replace("-", "") for c in codes} & stored
    # This session goes on; the account page counts the codes.
    assert "Unused recovery codes: 10." in portal.get("/portal/account").text

    assert code_login(app, user, codes[3].upper()) == 303  # typed in capitals: the same code
    assert code_login(app, user, codes[3]) == 401  # used once: refused
    assert code_login(app, user, codes[4].replace("-", " ")) == 303
    assert "Unused recovery codes: 8." in portal.get("/portal/account").text
    # the old authenticator stopped working; the new one works
    assert code_login(app, user, totp.code_at(user.secret, totp.step_of())) == 401
    assert code_login(app, user, totp.code_at(secret.group(1).replace(" ", ""), totp.step_of()))

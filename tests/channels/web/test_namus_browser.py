"""The NamUs pages of issue 19 in Debian's Chromium (Playwright) against a real ``jdx serve``
mailing to aiosmtpd, with axe-core (0 violations) on every page they touch: labels on the case
and edit pages, publish and return asked first (also with JavaScript off), a decided
cancellation row that keeps its cells, the cancellation mails, an administrator without
"Suspend" on its own row, and a new authenticator shown as a QR code with recovery codes, one
of which logs in once.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from jdx.exchanges.cases.regions import DEMO_REGIONS
from jdx.security import totp
from tests.certs import issue
from tests.channels.web.browser import accessible, log_in, user
from tests.channels.web.test_browser import (  # noqa: F401 (the fixtures)
    PASSWORD,
    _cli,
    _wait_for,
    chromium,
    hub_server,
)
from tests.exchanges.cases.test_import import missing
from tests.notify.conftest import Collector

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.smtp]

ORI = "CA0348888"
REGION = DEMO_REGIONS["CA"]
ETHNICITY = "Description of the missing person › Primary race / ethnicity"


def test_the_namus_pages_in_a_browser(
    chromium: Any,  # noqa: F811
    hub_server: tuple[str, dict[str, str], Collector],  # noqa: F811
    tmp_path: Path,
) -> None:
    base, env, mails = hub_server
    added = _cli(env, "agency", "add", ORI, "--name", "Coroner", "--email", "poc@example.org")
    _cli(env, "namus", "account", ORI, "--sponsor", "CA DOJ", "--grant-import")
    cert = issue(f"client {ORI}")
    (tmp_path / "client.pem").write_bytes(cert.cert_pem)
    _cli(env, "namus", "cert", "add", ORI, str(tmp_path / "client.pem"))
    rps = user(env, "rps19", "rps", "--region", REGION, "--name", "Region RPS")
    admin = user(env, "admin19", "admin", "--name", "Hub administrator")
    assert len(rps["recovery_codes"]) == 10

    headers = {"Authorization": f"Bearer {added['api_keys']['prod']}", **cert.forwarded_headers()}
    sent = httpx.post(
        f"{base}/namus/v1/jobs", json={"cases": [missing() for _ in range(4)]}, headers=headers
    )
    assert sent.status_code == 202, sent.text

    def complete() -> Any:
        job = httpx.get(base + sent.json()["status_url"], headers=headers).json()
        return job if job["state"] == "complete" else None

    done = _wait_for(complete, "the job")["cases"]
    publish, give_back, no_script, cancel = (c["case_number"] for c in done)
    asked = httpx.post(
        f"{base}/namus/v1/cancellations",
        json={"idFormatted": cancel, "reason": "resolved", "note": "found alive"},
        headers=headers,
    )
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]

    # The RPS logs in with a recovery code; publish and return ask first.
    page = log_in(chromium, base, "rps19", rps["recovery_codes"][0])
    accessible(page)
    page.goto(f"{base}/portal/cases/{publish}")
    assert ETHNICITY in page.inner_text("main")
    assert "subjectDescription.primaryEthnicity.name" not in page.inner_text("main")
    accessible(page)
    page.click("text=Edit the case")
    assert page.locator("label", has_text=ETHNICITY).count() == 1
    accessible(page)
    page.goto(f"{base}/portal/cases/{publish}")
    page.fill("input[name=granted_by]", "Det. A. Rivera")
    page.click("text=Record permission")
    page.click("button:text('Publish')")
    page.wait_for_selector("#confirm")
    assert page.inner_text("h1") == f"Publish {publish}?"
    accessible(page)
    page.click("text=No, back to the case")
    assert page.inner_text("#review-state") == "pending"
    page.click("button:text('Publish')")
    page.click("button:text('Yes, publish')")
    page.wait_for_selector("#published")
    assert page.inner_text("#review-state") == "published"

    page.goto(f"{base}/portal/cases/{give_back}")
    page.fill("input[aria-label='Return note']", "add the dental chart")
    page.click("button:text('Return to the entering party')")
    assert page.inner_text("#return-note") == "add the dental chart"
    accessible(page)
    case = httpx.get(f"{base}/namus/v1/cases/{give_back}", headers=headers).json()
    assert case["review_state"] == "pending"
    page.click("button:text('Yes, return it')")
    page.wait_for_url(f"**/portal/cases/{give_back}")
    assert page.inner_text("#review-state") == "returned"

    # htmx: the decision swaps the row, which keeps its cells.
    page.goto(f"{base}/portal/review?kind=cancellations")
    row = page.locator(f"#cancellation-{request_id}")
    before = row.locator("td").all_inner_texts()
    accessible(page)
    row.locator("input[name=note]").fill("confirmed with the coroner")
    row.locator("button:text('Approve')").click()
    page.wait_for_selector(f"#cancellation-{request_id} >> text=approved")
    after = page.locator(f"#cancellation-{request_id} td").all_inner_texts()
    assert after[:-1] == before[:-1] and ORI in after and re.search(r"\d{4}-\d\d-\d\d", after[0])
    accessible(page)

    # Without JavaScript the confirmation is the same page (axe-core needs script: above).
    plain = log_in(
        chromium, base, "rps19", totp.code_at(rps["secret"], totp.step_of()), javascript=False
    )
    plain.goto(f"{base}/portal/cases/{no_script}")
    plain.fill("input[name=granted_by]", "Det. B. Ortiz")
    plain.click("text=Record permission")
    plain.click("button:text('Publish')")
    plain.wait_for_selector("#confirm")
    plain.click("button:text('Yes, publish')")
    plain.wait_for_selector("#published")
    plain.context.close()

    # A new authenticator: its QR code and ten recovery codes, shown once.
    page.click("nav >> text=Your account")
    accessible(page)
    page.fill("input[name=code]", rps["recovery_codes"][1])
    page.click("button:text('Set up a new authenticator')")
    page.wait_for_selector("#qr svg")
    assert page.locator("#qr svg").bounding_box()["width"] > 100
    assert len(page.locator("#recovery-codes li").all_inner_texts()) == 10
    accessible(page)
    page.screenshot(path=str(tmp_path / "new-authenticator.png"), full_page=True)
    page.context.close()

    # A used recovery code is refused.
    context = chromium.new_context()
    again = context.new_page()
    again.goto(f"{base}/portal/login")
    again.fill("input[name=username]", "rps19")
    again.fill("input[name=password]", PASSWORD)
    again.click("button[type=submit]")
    again.wait_for_url("**/portal/login/code")
    again.fill("input[name=code]", rps["recovery_codes"][0])
    again.click("button[type=submit]")
    again.wait_for_selector("[role=alert]")
    assert "/portal/login/code" in again.url
    context.close()

    # The administrator: no "Suspend" on its own row.
    page = log_in(chromium, base, "admin19", totp.code_at(admin["secret"], totp.step_of()))
    assert page.locator("#user-admin19 button", has_text="Suspend").count() == 0
    assert page.locator("#user-rps19 button", has_text="Suspend").count() == 1
    accessible(page)
    page.context.close()

    # The mails: the request to the RPS, the decision to the agency, both of NamUs.
    def delivered() -> Any:
        to_rps = [m.text for m in mails.to("rps19@example.org") if "cancellation" in m.text]
        to_agency = [m.text for m in mails.to("poc@example.org") if "cancellation" in m.text]
        return (to_rps, to_agency) if to_rps and to_agency else None

    to_rps, to_agency = _wait_for(delivered, "the cancellation mails")
    assert any(f"cancellation request {request_id}" in m and cancel in m for m in to_rps)
    assert any(f"request {request_id}: approved" in m for m in to_agency)
    assert all("SFTP" not in m.text for m in mails.to("poc@example.org"))

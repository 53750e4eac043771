"""axe-core on every page of the portal (issue 19), for each role, in Debian's Chromium
(Playwright) against a real ``jdx serve``.

The pages to visit are not listed here: they are the app's ``GET /portal/...`` routes (its route
table, as the authorisation matrix walks it), and a role's are those the matrix lets it open
(``PORTAL`` of tests/security/test_authorisation_matrix.py). Each route is visited with the ids
of real rows made by the test (a stop with errors, a batch file, a NamUs job and its cases, a
cancellation request). So a page added later is visited by each role that may open it, and fails
the test until it passes axe-core; a page whose route names an id the test has no row for
fails it too, as does a GET route that is no role's page unless it is named below as no page.
The pages outside the roles' (the landing page, the login and its code, an upload refused, an
error page) are visited too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx2 as httpx
import orjson
import pytest

from jdx.exchanges.cases.regions import DEMO_REGIONS
from jdx.exchanges.stops.records import STATUS_ERRORS
from jdx.security import totp
from tests.certs import issue
from tests.channels.http.routes import app_routes
from tests.channels.web.browser import accessible, file_done, log_in, submit_stop, user
from tests.channels.web.test_browser import (  # noqa: F401 (the fixtures)
    _cli,
    _wait_for,
    chromium,
    mailing_to,
    serving_hub,
)
from tests.conftest import stop_record
from tests.exchanges.cases.test_import import missing
from tests.security.test_authorisation_matrix import PORTAL, PORTAL_ROLES
from tests.test_serve import free_port

pytestmark = [pytest.mark.browser, pytest.mark.server]

ORI = "CA0357777"
REGION = DEMO_REGIONS["CA"]
# The matrix's column of each role this test logs in as.
ROLES = {"client": "client A", "rps": "rps X", "admin": "admin"}
# GET routes that are no page of their own, so axe-core has nothing to check there:
NOT_PAGES = {
    "/portal",  # a redirect to the role's home page
    "/portal/",  # the same
    "/portal/static/{name}",  # the style sheet and htmx
    "/portal/files/{file_id}/progress",  # the file page's htmx fragment (checked inside it)
    "/portal/files/{file_id}/results/{name}",  # a download: the file's answer
}
# The pages of no role (the matrix leaves them out): visited before logging in.
LOGIN_PAGES = {"/portal/login", "/portal/login/code"}


def pages_of(role: str, templates: set[str]) -> set[str]:
    """The GET pages ``role`` may open: the matrix's 200s (an administrator's stop record is
    400 without the agency's ORI, which the visit gives)."""
    column = PORTAL_ROLES.index(ROLES[role])
    allowed = {200, 400} if role == "admin" else {200}
    return {t for t in templates - NOT_PAGES - LOGIN_PAGES if PORTAL[("GET", t)][column] in allowed}


class Visits:
    """Each page opened, axe-core run on it, and the route it was remembered under."""

    def __init__(self, base: str, ids: dict[str, str]) -> None:
        self.base, self.ids = base, ids
        self.seen: dict[str, set[str]] = {}

    def check(self, page: Any, role: str, template: str, query: str = "") -> None:
        unknown = set(re.findall(r"\{(\w+)\}", template)) - self.ids.keys()
        assert not unknown, f"{template}: make a row for {unknown} and put its id in ids"
        path = re.sub(r"\{(\w+)\}", lambda m: self.ids[m.group(1)], template)
        answer = page.goto(f"{self.base}{path}{query}")
        assert answer.status == 200, (role, path, answer.status)
        accessible(page)
        self.seen.setdefault(role, set()).add(template)


def test_every_page_passes_axe_core_for_each_role(
    chromium: Any,  # noqa: F811
    app: Any,
    tmp_path: Path,
) -> None:
    templates = {p for m, p in app_routes(app) if m == "GET" and p.startswith("/portal")}
    with serving_hub(tmp_path, **mailing_to(free_port())) as (base, env, _):
        key = _cli(env, "agency", "add", ORI, "--name", "Harbor Police", "--email", "p@example.org")
        _cli(env, "namus", "account", ORI, "--sponsor", "CA DOJ", "--grant-import")
        cert = issue(f"client {ORI}")
        (tmp_path / "client.pem").write_bytes(cert.cert_pem)
        _cli(env, "namus", "cert", "add", ORI, str(tmp_path / "client.pem"))
        people = {
            "client": user(env, "client19", "client", "--agency", ORI, "--name", "Harbor clerk"),
            "rps": user(env, "rps19", "rps", "--region", REGION, "--name", "Region RPS"),
            "admin": user(env, "admin19", "admin", "--name", "Hub administrator"),
        }
        prod = key["api_keys"]["prod"]

        # A stop stored with errors (its page has the correction form), one without, and a
        # batch file answered.
        submit_stop(base, prod, stop_record(ORI=ORI, SDur="1500"))
        submit_stop(base, prod, stop_record(ORI=ORI))
        record = stop_record(ORI=ORI, SDur="0")
        name = f"20240315143200_{ORI}_{record['LEARecordID']}.json"
        from_api = file_done(base, prod, name, orjson.dumps(record))
        file_id = from_api.rsplit("/", 1)[1]

        # A NamUs job of two cases, one of them asked to be cancelled.
        headers = {"Authorization": f"Bearer {prod}", **cert.forwarded_headers()}
        sent = httpx.post(
            f"{base}/namus/v1/jobs", json={"cases": [missing(), missing()]}, headers=headers
        )
        assert sent.status_code == 202, sent.text

        def complete() -> Any:
            job = httpx.get(base + sent.json()["status_url"], headers=headers).json()
            return job if job["state"] == "complete" else None

        number, cancelled = (c["case_number"] for c in _wait_for(complete, "the job")["cases"])
        asked = httpx.post(
            f"{base}/namus/v1/cancellations",
            json={"idFormatted": cancelled, "reason": "resolved", "note": "found alive"},
            headers=headers,
        )
        assert asked.status_code == 201, asked.text

        # Before logging in: the landing page, the login form and an error page's look
        # (the code page is checked by log_in).
        context = chromium.new_context()
        anonymous = context.new_page()
        anonymous.goto(f"{base}/")
        accessible(anonymous)
        anonymous.goto(f"{base}/portal/login")
        accessible(anonymous)
        context.close()

        ids = {"job_id": str(sent.json()["job_id"]), "number": number, "file_id": file_id}
        visits = Visits(base, ids)
        for role, enrolled in people.items():
            page = log_in(
                chromium, base, f"{role}19", totp.code_at(enrolled["secret"], totp.step_of())
            )
            page.goto(f"{base}/portal/stops" + (f"?ori={ORI}" if role == "admin" else ""))
            if role != "rps":  # the stop in error: the newest but one, or the newest
                link = page.locator("tbody tr", has_text=STATUS_ERRORS).first.locator("a").first
                visits.ids["stop_id"] = link.get_attribute("href").split("?")[0].rsplit("/")[-1]
            ori = f"?ori={ORI}" if role == "admin" else ""
            for template in sorted(pages_of(role, templates)):
                visits.check(
                    page, role, template, ori if template.startswith("/portal/stops") else ""
                )
            # The other states of the pages: the cancellations queue, another period.
            visits.check(page, role, "/portal/review", "?kind=cancellations")
            visits.check(page, role, "/portal/dashboard", "?days=7")
            if role == "admin":
                visits.check(page, role, "/portal/stops")  # the agency to choose first
            if role == "client":  # a job file refused: the upload form with its error
                page.goto(f"{base}/portal/jobs/upload")
                page.set_input_files(
                    "input[name=file]",
                    {"name": "cases.json", "mimeType": "application/json", "buffer": b"[}"},
                )
                page.click("button:text('Submit the job')")
                page.wait_for_selector("[role=alert]")
                accessible(page)
            # An error page: a stop that does not exist (an RPS: no stop data at all).
            missing_page = page.goto(f"{base}/portal/stops/999999{ori}")
            assert missing_page.status in (403, 404)
            accessible(page)
            page.context.close()

    for role in ROLES:
        assert pages_of(role, templates) <= visits.seen.get(role, set()), role
    assert templates >= NOT_PAGES | LOGIN_PAGES  # the lists above name real routes
    # every GET route is some role's page, a login page or named above as no page
    opened = set().union(*visits.seen.values())
    assert templates <= opened | NOT_PAGES | LOGIN_PAGES

"""The whole path in Debian's Chromium (Playwright): a job imported over the API of a real
``jdx serve``, the RPS logs in with password and TOTP, records the permission and publishes one
case, approves the cancellation request of another, and the result mails reach a real SMTP
server (aiosmtpd).

The job is sent over real HTTP with the account's key and its client certificate in the headers
nginx forwards (from loopback, trusted by address: JDX_TRUSTED_PROXIES, which development
allows); ``tests/channels/http/test_nginx_certs.py`` runs
the real nginx in front of the hub for the certificate check itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import orjson
import pytest
from bench import processes

from jdx.security import totp
from tests.certs import issue
from tests.exchanges.cases.test_import import missing
from tests.notify.conftest import Collector, free_port, serving
from tests.test_serve import jdx

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.smtp]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ORI = "CA0349999"
PASSWORD = "a long portal password"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: /usr/bin/chromium is missing")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def _wait_for(check: Any, what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


@contextmanager
def serving_hub(
    tmp_path: Path, **settings: str
) -> Iterator[tuple[str, dict[str, str], subprocess.Popen[bytes]]]:
    """``jdx serve`` on a free loopback port with its own SQLite file in ``tmp_path`` (its log
    beside it): (base URL, its environment, for ``_cli``; its process)."""
    port = free_port()
    env = {
        **os.environ,
        "JDX_DATA_DIR": str(tmp_path),
        "JDX_DATABASE_URL": "",
        "JDX_PORT": str(port),
        "JDX_WORKERS": "1",
        "JDX_SFTP": "off",
        "JDX_TRUSTED_PROXIES": '["127.0.0.1"]',
        "JDX_MAIL_POLL_SECONDS": "0.5",
        "JDX_PUBLIC_URL": f"http://127.0.0.1:{port}",
        **settings,
    }
    assert jdx(env, "db", "upgrade").returncode == 0
    base = f"http://127.0.0.1:{port}"
    with (
        (tmp_path / "serve.log").open("wb") as log,
        processes.group(
            [sys.executable, "-m", "jdx", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        ) as server,
    ):

        def up() -> bool:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        _wait_for(up, "jdx serve to start", 60)
        yield base, env, server


def mailing_to(port: int) -> dict[str, str]:
    """The settings of a hub that mails through the SMTP server on loopback ``port``."""
    return {
        "JDX_SMTP_HOST": "127.0.0.1",
        "JDX_SMTP_PORT": str(port),
        "JDX_SMTP_TLS": "none",
        "JDX_MAIL_FROM": "hub@jdx.example",
    }


@pytest.fixture
def hub_server(tmp_path: Path, settings: Any) -> Iterator[tuple[str, dict[str, str], Collector]]:
    """``jdx serve`` on a free loopback port with its own SQLite file, mailing to aiosmtpd."""
    with (
        serving(settings) as smtp,
        serving_hub(tmp_path, **mailing_to(smtp.settings.smtp_port)) as (base, env, _),
    ):
        yield base, env, smtp.collector


def _cli(env: dict[str, str], *args: str, stdin: bytes | None = None) -> Any:
    done = processes.run(
        [sys.executable, "-m", "jdx", *args],
        env=env,
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    return orjson.loads(done.stdout) if done.stdout.strip() else None


def test_import_review_publish_and_the_mails(
    chromium: Any, hub_server: tuple[str, dict[str, str], Collector], tmp_path: Path
) -> None:
    base, env, mails = hub_server
    # The operator's set-up, with the commands of docs/operations.md.
    added = _cli(
        env, "agency", "add", ORI, "--name", "Sacramento Coroner", "--email", "coroner@example.org"
    )
    _cli(env, "namus", "account", ORI, "--sponsor", "CA DOJ", "--grant-import")
    cert = issue(f"client {ORI}")
    pem = tmp_path / "client.pem"
    pem.write_bytes(cert.cert_pem)
    _cli(env, "namus", "cert", "add", ORI, str(pem))
    _cli(
        env,
        "users",
        "add",
        "rps9",
        "--role",
        "rps",
        "--email",
        "rps9@example.org",
        "--region",
        "region-9",
        "--name",
        "Region 9 RPS",
    )
    _cli(env, "users", "set-password", "rps9", "--password-stdin", stdin=PASSWORD.encode() + b"\n")
    secret = _cli(env, "users", "totp", "rps9")["secret"]

    # The client's system imports a job over the API: key and certificate.
    headers = {"Authorization": f"Bearer {added['api_keys']['prod']}", **cert.forwarded_headers()}
    sent = httpx.post(
        f"{base}/namus/v1/jobs", json={"cases": [missing(), missing()]}, headers=headers
    )
    assert sent.status_code == 202, sent.text
    status_url = base + sent.json()["status_url"]

    def complete() -> Any:
        job = httpx.get(status_url, headers=headers).json()
        return job if job["state"] == "complete" else None

    done = _wait_for(complete, "the job to complete")
    number, other = (c["case_number"] for c in done["cases"])
    asked = httpx.post(
        f"{base}/namus/v1/cancellations",
        json={"idFormatted": other, "reason": "resolved", "note": "found alive"},
        headers=headers,
    )
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]

    # The RPS logs in (password, then the authenticator's code) and finds the case.
    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{base}/portal/login")
    page.fill("input[name=username]", "rps9")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/login/code")
    page.fill("input[name=code]", totp.code_at(secret, totp.step_of()))
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/review")
    row = page.locator(f"#case-{number}")
    assert row.is_visible()
    page.screenshot(path=str(tmp_path / "review-queue.png"), full_page=True)

    # htmx: the region filter replaces the queue in place
    page.select_option("select[name=region]", "region-9")
    page.wait_for_url("**region=region-9**")
    assert page.locator(f"#case-{number}").is_visible()

    page.click(f"#case-{number} a")
    page.wait_for_url(f"**/portal/cases/{number}")
    assert page.inner_text("#review-state") == "pending"

    # An edit the dictionary refuses shows its error beside the field; a good one is saved.
    page.click("text=Edit the case")
    age = "subjectIdentification.computedMissingMinAge"
    page.fill(f"input[data-field='{age}']", "forty")
    page.click("button:text('Save')")
    error = page.wait_for_selector(f"[data-error-for='{age}']")
    assert "whole number" in error.inner_text()
    page.screenshot(path=str(tmp_path / "edit-refused.png"), full_page=True)
    page.fill(f"input[data-field='{age}']", "31")
    page.click("button:text('Save')")
    page.wait_for_url(f"**/portal/cases/{number}")
    assert "edit" in page.inner_text("#history")
    page.fill("input[name=granted_by]", "Det. A. Rivera, Sacramento PD")
    page.click("text=Record permission")
    page.wait_for_selector("text=granted by")
    page.click("button:text('Publish')")
    page.click("button:text('Yes, publish')")  # asked first (issue 19)
    page.wait_for_selector("#published")
    assert page.inner_text("#review-state") == "published"
    assert "publish" in page.inner_text("#history")
    page.screenshot(path=str(tmp_path / "case-published.png"), full_page=True)

    # The cancellation request of the other case: approved with a note, in place (htmx).
    page.click("nav >> text=Review queue")
    page.click("text=Cancellation requests")
    page.wait_for_url("**kind=cancellations")
    row = page.locator(f"#cancellation-{request_id}")
    row.locator("input[name=note]").fill("confirmed with the coroner")
    row.locator("button:text('Approve')").click()
    page.wait_for_selector(f"#cancellation-{request_id} >> text=approved")
    seen = httpx.get(f"{base}/namus/v1/cancellations/{request_id}", headers=headers).json()
    assert (seen["state"], seen["reviewer_note"]) == ("approved", "confirmed with the coroner")

    # The mails: the agency's job result, and the region's RPS's, each with the case number.
    def delivered() -> bool:
        return bool(mails.to("coroner@example.org")) and bool(mails.to("rps9@example.org"))

    _wait_for(delivered, f"the result mails (so far to {[m.rcpt_tos for m in mails.received]})")
    assert number in mails.to("coroner@example.org")[0].text
    assert number in mails.to("rps9@example.org")[0].text
    # the published case is no longer in the queue
    page.goto(f"{base}/portal/review")
    assert page.locator(f"#case-{number}").count() == 0
    page.close()

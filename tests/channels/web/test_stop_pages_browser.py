"""The stop data pages and dashboards of issue 19 in Debian's Chromium (Playwright) against a
real ``jdx serve``, with axe-core (0 violations) on every page the test opens.

The stops reach the hub over its API with the agency's key, some stored with errors, and a batch
file over ``PUT /sdcs/v1/files/{name}``. A client pages and searches its stops, downloads the
list (its own rows only), corrects a record in the browser and marks another NFIA, opens its
batch file's answers and its dashboard; an administrator chooses the agency, reads the
dashboard, the agencies, the files in process, the mail outbox (the hub's SMTP server does not
answer, so the mails wait there) and searches the audit log; an RPS reads its dashboard.

The screenshots in docs/operations.md (``docs/img/portal-*.png``) are the ones this test takes:
written there when JDX_WRITE_SCREENSHOTS is set (``JDX_WRITE_SCREENSHOTS=1 pytest THIS_FILE``),
else to its temporary folder, so a test run leaves the clone as it was.
"""

from __future__ import annotations

import csv
import io
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import orjson
import pytest

from jdx.codecs.xmlform import to_xml
from jdx.exchanges.stops.records import STATUS_ERRORS, STATUS_NFIA, STATUS_OK
from jdx.security import totp
from tests.channels.web.browser import accessible, file_done, log_in, submit_stop, user
from tests.channels.web.test_browser import (  # noqa: F401 (the fixture)
    _cli,
    _wait_for,
    chromium,
    mailing_to,
    serving_hub,
)
from tests.conftest import stop_record
from tests.test_serve import free_port

pytestmark = [pytest.mark.browser, pytest.mark.server]

ORI, OTHER = "CA0371919", "CA0372929"
STAMP = "20240315143200"
DOCS_IMG = Path(__file__).resolve().parents[3] / "docs" / "img"
SCREENSHOTS = (
    "portal-stops.png",
    "portal-stop-record.png",
    "portal-dashboard-client.png",
    "portal-dashboard-admin.png",
)
DURATION = "Duration of stop (minutes)"  # the dictionary's label of SDur


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """``jdx serve`` with its own SQLite file and data folder; its SMTP server is a port nobody
    listens on, so the agencies' mails stay in the outbox."""
    with serving_hub(tmp_path, **mailing_to(free_port())) as (base, env, _):
        yield base, env


def _wait(check: Any, what: str) -> Any:
    return _wait_for(check, what, 90)


def right_edge(element: Any) -> float:
    box = element.bounding_box()
    return float(box["x"] + box["width"])


def screenshot(page: Any, name: str, tmp_path: Path, *, full_page: bool = True) -> None:
    out = (DOCS_IMG if os.environ.get("JDX_WRITE_SCREENSHOTS") else tmp_path) / name
    page.screenshot(path=str(out), full_page=full_page)
    assert out.stat().st_size > 10_000


def test_the_stop_pages_and_dashboards_in_a_browser(
    chromium: Any,  # noqa: F811
    hub: tuple[str, dict[str, str]],
    tmp_path: Path,
) -> None:
    base, env = hub
    key = _cli(env, "agency", "add", ORI, "--name", "Harbor Police", "--email", "poc@example.org")
    other = _cli(env, "agency", "add", OTHER, "--name", "Other Police", "--email", "o@example.org")
    client = user(env, "client19", "client", "--agency", ORI, "--name", "Harbor clerk")
    admin = user(env, "admin19", "admin", "--name", "Hub administrator")
    rps = user(env, "rps19", "rps", "--region", "region-19", "--name", "Region RPS")

    # 25 stops over the API, 3 stored with errors (DV011: a duration over the limit); the other
    # agency's 2, one with the same error, never shown to the client.
    mine = [stop_record(ORI=ORI, SDur="1500" if n % 8 == 3 else "10") for n in range(25)]
    for record in mine:
        submit_stop(base, key["api_keys"]["prod"], record)
    theirs = [stop_record(ORI=OTHER), stop_record(ORI=OTHER, SDur="1500")]
    for record in theirs:
        submit_stop(base, other["api_keys"]["prod"], record)
    # A batch file of three: one stored, one stored with errors, one refused.
    batch = [stop_record(ORI=ORI), stop_record(ORI=ORI, SDur="0"), stop_record(ORI=ORI, SDur="0")]
    batch[2]["SDate"] = "13/45/2024"
    file_name = f"{STAMP}_{ORI}_{batch[0]['LEARecordID']}.xml"
    file_done(base, key["api_keys"]["prod"], file_name, to_xml("Stops", {"Stop": batch}))
    ours = {r["LEARecordID"] for r in mine + batch[:2]}
    in_error = [r["LEARecordID"] for r in mine + batch[:2] if r["SDur"] in ("1500", "0")]

    # The client: its stops, 20 a page, newest first.
    page = log_in(chromium, base, "client19", totp.code_at(client["secret"], totp.step_of()))
    page.click("nav >> text=Stop data")
    page.wait_for_url(f"{base}/portal/stops")
    assert f"Stop data of Harbor Police ({ORI})" in page.inner_text("h1")
    assert "Stops 1–20 of 27" in page.inner_text("main")
    assert page.locator("tbody tr").count() == 20
    accessible(page)
    screenshot(page, SCREENSHOTS[0], tmp_path)
    page.click("text=Next page")
    assert "Stops 21–27 of 27" in page.inner_text("main")
    accessible(page)

    # Its list downloaded from the page: its own rows only, every one of them.
    with page.expect_download() as downloading:
        page.click("a:text-is('CSV')")
    text = downloading.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["lea_record_id"] for r in rows} == ours
    assert not {r["LEARecordID"] for r in theirs} & {r["lea_record_id"] for r in rows}

    # A search by error code (typed as it comes): the records stored with DV011, none of the
    # other agency's.
    page.fill("input[name=error_code]", "dv011 ")
    page.click("button:text('Search')")
    page.wait_for_url("**error_code=dv011**")
    listed = page.locator("tbody tr td:first-child").all_inner_texts()
    assert sorted(listed) == sorted(in_error)
    accessible(page)

    # A record: its errors beside the labelled field; the correction typed in and sent.
    fixed, closed = in_error[0], in_error[1]
    page.click(f"a:text-is('{fixed}')")
    page.wait_for_selector("h1:text('Stop')")
    field = page.get_by_label(DURATION)
    assert field.input_value() == "1500"
    assert "DV011" in page.inner_text(".fields")
    assert STATUS_ERRORS in page.inner_text("main")
    accessible(page)
    screenshot(page, SCREENSHOTS[1], tmp_path, full_page=False)  # the top: the field in error
    field.fill("2000")  # still wrong: stored again with its error, the field still open
    page.click("button:text('Send the correction')")
    page.wait_for_url("**outcome=stored**")
    assert f"the record is now “{STATUS_ERRORS}”" in page.inner_text("[role=status]")
    assert "2000 was sent" in page.inner_text(".fields")
    accessible(page)
    page.get_by_label(DURATION).fill("45")
    with page.expect_navigation(url="**outcome=stored**"):
        page.click("button:text('Send the correction')")
    assert f"the record is now “{STATUS_OK}”" in page.inner_text("[role=status]")
    assert page.locator("button:text('Send the correction')").count() == 0
    accessible(page)

    # Back to the search it came from, where it is no more; another marked NFIA: the box
    # ticked, the button clicked.
    page.click("text=Back to the list")
    page.wait_for_url("**error_code=dv011**")
    assert page.input_value("input[name=error_code]").strip() == "dv011"
    assert fixed not in page.locator("tbody").inner_text()  # corrected: no error any more
    page.click(f"a:text-is('{closed}')")
    page.get_by_label("This record will not be corrected").check()
    page.click("button:text('Mark NFIA')")
    page.wait_for_url("**outcome=nfia**")
    assert "closed as NFIA" in page.inner_text("[role=status]")
    assert STATUS_NFIA in page.inner_text("main .tag")
    assert page.locator("button:text('Mark NFIA')").count() == 0
    accessible(page)

    # Its batch files, and the file's page with its answers.
    page.click("nav >> text=Batch files")
    row = page.locator("tbody tr", has_text=file_name)
    assert row.locator("td").all_inner_texts()[3:] == ["done", "3", "1", "1", "1"]
    accessible(page)
    row.locator("a").click()
    page.wait_for_selector("h2:text('Answers')")
    answers = page.locator("#progress li a").all_inner_texts()
    stem = file_name.removesuffix(".xml")
    assert f"{stem}_response.txt" in answers and f"{stem}_errors.xml" in answers
    accessible(page)
    with page.expect_download() as downloading:
        page.click(f"a:text-is('{stem}_response.txt')")
    assert file_name in downloading.value.path().read_text()

    # Its dashboard: its own stops only.
    page.click("nav >> text=Dashboard")
    assert "29 stops received in the last 30 days" not in page.inner_text("main")
    assert "27 stops received in the last 30 days" in page.inner_text("main")
    assert OTHER not in page.inner_text("main")
    assert page.locator("figure svg[role=img]").count() >= 2
    accessible(page)
    screenshot(page, SCREENSHOTS[2], tmp_path)
    page.context.close()

    # The administrator: the agency chosen first, then its stops.
    page = log_in(chromium, base, "admin19", totp.code_at(admin["secret"], totp.step_of()))
    page.goto(f"{base}/portal/stops")
    accessible(page)
    page.get_by_label("Agency").select_option(OTHER)
    page.click("button:text('Show its stops')")
    page.wait_for_url(f"**ori={OTHER}**")
    assert "Stops 1–2 of 2" in page.inner_text("main")
    accessible(page)

    page.click("nav >> text=Dashboard")
    text = page.inner_text("main")
    assert "29 stops received in the last 30 days" in text  # every agency's (27 + 2)
    assert OTHER in text and ORI in text  # the error rates by agency
    accessible(page)
    screenshot(page, SCREENSHOTS[3], tmp_path)

    page.click("nav >> text=Agencies")
    assert page.locator("tbody tr").count() == 2
    assert "Harbor Police" in page.inner_text("tbody")
    accessible(page)

    page.click("nav >> text=Files in process")
    assert "No file is being processed" in page.inner_text("main")
    accessible(page)

    page.click("nav >> text=Mail outbox")

    def waiting_mail() -> bool:
        page.reload()
        return page.locator("tbody tr").count() > 0

    _wait(waiting_mail, "a mail in the outbox")
    accessible(page)
    page.locator("tbody tr").first.locator("button:text('Give up')").click()
    page.wait_for_url("**done=give-up**")
    assert "will not be sent" in page.inner_text("[role=status]")
    accessible(page)

    page.click("nav >> text=Audit log")
    assert file_name in page.locator("tbody").inner_text()  # the batch file's entry
    # ten columns, and every one inside the card (long names break, none spills out)
    card, table = page.locator("main section").nth(1), page.locator("main table")
    assert right_edge(table) <= right_edge(card)
    accessible(page)
    page.fill("input[name=subject]", fixed)
    page.click("button:text('Search')")
    page.wait_for_url(f"**subject={fixed}**")
    entries = page.locator("tbody tr")
    assert entries.count() >= 2
    assert all(fixed in t for t in entries.all_inner_texts())
    assert "portal" in page.locator("tbody").inner_text()
    accessible(page)
    page.context.close()

    # The RPS: the review queues of its dashboard, no stop data.
    page = log_in(chromium, base, "rps19", totp.code_at(rps["secret"], totp.step_of()))
    page.click("nav >> text=Dashboard")
    assert "Review queues" in page.inner_text("main")
    assert "Stop data" not in page.inner_text("main")
    accessible(page)
    page.context.close()


def test_the_docs_show_the_screenshots_of_the_portal() -> None:
    operations = (DOCS_IMG.parents[1] / "docs" / "operations.md").read_text()
    for name in SCREENSHOTS:
        assert f"img/{name}" in operations and (DOCS_IMG / name).is_file()


def test_a_file_in_process_is_shown_and_its_page_follows_it(
    chromium: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A file waits "received" while the hub's own process, the one that processes files, is
    stopped (SIGSTOP: the HTTP workers, processes of their own, go on taking uploads and serving
    pages). The administrator's files in process and the client's file page show it, with its
    progress; once the hub's process goes on, the file's page (polled by htmx) turns to the
    file's counts and answers without being reloaded."""
    with serving_hub(tmp_path, JDX_WORKERS="2", **mailing_to(free_port())) as (base, env, hub):
        key = _cli(env, "agency", "add", ORI, "--name", "Harbor Police", "--email", "p@example.org")
        client = user(env, "client19", "client", "--agency", ORI)
        admin = user(env, "admin19", "admin")
        page = log_in(chromium, base, "client19", totp.code_at(client["secret"], totp.step_of()))
        watch = log_in(chromium, base, "admin19", totp.code_at(admin["secret"], totp.step_of()))
        record = stop_record(ORI=ORI, SDur="0")
        name = f"{STAMP}_{ORI}_{record['LEARecordID']}.json"
        os.kill(hub.pid, signal.SIGSTOP)
        try:
            put = httpx.put(
                f"{base}/sdcs/v1/files/{name}",
                content=orjson.dumps(record),
                headers={"Authorization": f"Bearer {key['api_keys']['prod']}"},
                timeout=60,
            )
            assert put.status_code == 202, put.text
            watch.goto(f"{base}/portal/admin/files")
            row = watch.locator("tbody tr", has_text=name)
            assert row.locator("td").all_inner_texts()[1:5] == [
                f"{ORI} · Harbor Police",
                "prod",
                "http",
                "received",
            ]
            accessible(watch)
            page.goto(f"{base}/portal/files/{put.headers['location'].rsplit('/', 1)[1]}")
            assert page.locator("#progress .tag").inner_text() == "received"
            assert page.get_by_label("Records processed").is_visible()
            accessible(page)
        finally:
            os.kill(hub.pid, signal.SIGCONT)
        page.wait_for_selector("h2:text('Answers')", timeout=90_000)  # htmx, no reload
        assert page.locator("#progress .tag").inner_text() == "done"
        assert f"{name.removesuffix('.json')}_errors.json" in page.inner_text("#progress ul")
        accessible(page)
        watch.reload()
        assert "No file is being processed" in watch.inner_text("main")
        page.context.close()
        watch.context.close()

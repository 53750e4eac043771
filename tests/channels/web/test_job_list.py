"""The portal's jobs list (issue 19): searched by realm, state and day received, paged with the
total, and downloaded whole as CSV or XLSX; a client's list and download are its own agency's."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest

from jdx.exchanges.cases.tables import import_jobs
from jdx.hub import Hub
from tests.channels.web.conftest import login, make_user
from tests.conftest import AgencyFixture

DAY = dt.datetime(2024, 3, 15, 14, 32, tzinfo=dt.UTC)


_added: list[int] = []


@pytest.fixture(autouse=True)
def _remove_added_jobs(hub: Hub) -> Iterator[None]:
    """The jobs a test stored without a workflow go with it: unfinished and dated in the past,
    they are what the stray sweep queues (``workflow.enqueue_strays``), and another test of the
    same database counts the strays it finds."""
    yield
    with hub.engine.begin() as conn:
        conn.execute(import_jobs.delete().where(import_jobs.c.id.in_(_added)))
    _added.clear()


def add_jobs(
    hub: Hub, agency: AgencyFixture, n: int, *, realm: str = "prod", state: str = "complete",
    at: dt.datetime = DAY,
) -> list[int]:  # fmt: skip
    """``n`` jobs of the agency, stored as the API stores them, their ids oldest first."""
    with hub.engine.begin() as conn:
        ids = [
            int(
                conn.execute(
                    import_jobs.insert().returning(import_jobs.c.id).values(
                        agency_id=agency.id, realm=realm, body_sha256="0" * 64, format="json",
                        size=10, state=state, total=1, created_at=at,
                    )
                ).scalar_one()
            )
            for _ in range(n)
        ]  # fmt: skip
    _added.extend(ids)
    return ids


def job_links(text: str) -> set[int]:
    return {int(part.split('"')[0]) for part in text.split('href="/portal/jobs/')[1:]
            if part.split('"')[0].isdigit()}  # fmt: skip


def test_a_clients_jobs_list_is_searched_paged_and_its_own(
    hub: Hub, portal: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    mine = add_jobs(hub, agency, 25)
    tested = add_jobs(hub, agency, 1, realm="test", state="processing",
                      at=DAY + dt.timedelta(days=3))  # fmt: skip
    theirs = add_jobs(hub, other_agency, 3) + add_jobs(hub, other_agency, 1, realm="test")
    login(portal, make_user(hub, "client", agency=agency))
    first = portal.get("/portal/jobs")
    assert "Jobs 1–20 of 26" in first.text
    assert job_links(first.text) == set(tested + mine[-19:])
    second = portal.get("/portal/jobs", params={"offset": 20})
    assert "Jobs 21–26 of 26" in second.text
    assert job_links(second.text) == set(mine[:6])
    # another agency's jobs never: not by naming it, not in any page
    named = portal.get("/portal/jobs", params={"ori": other_agency.ori, "limit": 100})
    assert "Jobs 1–26 of 26" in named.text and not job_links(named.text) & set(theirs)
    searched = portal.get("/portal/jobs", params={"realm": "test", "state": "processing"})
    assert "Jobs 1–1 of 1" in searched.text and job_links(searched.text) == set(tested)
    days = portal.get("/portal/jobs", params={"received_from": "2024-03-16",
                                              "received_to": "2024-03-18"})  # fmt: skip
    assert job_links(days.text) == set(tested)
    the_day = portal.get("/portal/jobs", params={"received_to": "2024-03-15", "limit": 50})
    assert job_links(the_day.text) == set(mine)
    assert "No jobs match." in portal.get("/portal/jobs", params={"realm": "test",
                                                                   "state": "complete"}).text  # fmt: skip


def test_a_clients_jobs_download_is_the_whole_search_and_its_own(
    hub: Hub, portal: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    mine = add_jobs(hub, agency, 25)
    add_jobs(hub, agency, 2, state="received")
    theirs = add_jobs(hub, other_agency, 2)
    login(portal, make_user(hub, "client", agency=agency))
    exported = portal.get("/portal/jobs", params={"state": "complete", "format": "csv",
                                                   "ori": other_agency.ori})  # fmt: skip
    assert exported.status_code == 200
    assert 'filename="jobs.csv"' in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [int(r["job_id"]) for r in rows] == mine[::-1]
    assert {r["ori"] for r in rows} == {agency.ori} and {r["state"] for r in rows} == {"complete"}
    book = portal.get("/portal/jobs", params={"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    header, *cells = list(sheet.iter_rows(values_only=True))
    ids = {int(str(row[header.index("job_id")])) for row in cells}
    assert len(ids) == 27 and not ids & set(theirs)


def test_an_administrator_sees_every_agencys_jobs_or_one(
    hub: Hub, portal: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    mine = add_jobs(hub, agency, 2)
    theirs = add_jobs(hub, other_agency, 1)
    login(portal, make_user(hub, "admin"))
    every = portal.get("/portal/jobs", params={"limit": 100})
    assert set(mine + theirs) <= job_links(every.text)
    one = portal.get("/portal/jobs", params={"ori": other_agency.ori})
    assert "Jobs 1–1 of 1" in one.text and job_links(one.text) == set(theirs)
    exported = portal.get("/portal/jobs", params={"ori": agency.ori, "format": "csv"})
    assert {int(r["job_id"]) for r in csv.DictReader(io.StringIO(exported.text))} == set(mine)


def test_a_bad_search_of_the_jobs_is_refused_naming_the_field(
    hub: Hub, portal: Any, agency: AgencyFixture
) -> None:
    login(portal, make_user(hub, "client", agency=agency))
    for params, field in (
        ({"realm": "live"}, "realm"),
        ({"state": "lost"}, "state"),
        ({"received_from": "yesterday"}, "received_from"),
        ({"limit": 7}, "limit"),
        ({"format": "pdf"}, "format"),
    ):
        answer = portal.get("/portal/jobs", params=params)
        assert answer.status_code == 400 and field in answer.text, params

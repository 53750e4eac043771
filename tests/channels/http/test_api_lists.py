"""The account's jobs and cases and the rap sheet outbox over the API (issue 19): paged as the stop lists
are, with the total and a ``next`` link, the fields clients already read kept; an agency sees
only its own."""

from __future__ import annotations

import csv
import io
from typing import Any, get_args

from jdx.channels.http import namus
from jdx.codecs.list_file import FORMATS
from jdx.exchanges.cases import results
from jdx.exchanges.rapsheets.service import RapSheetService
from jdx.hub import Hub
from tests.channels.web.test_jobs_admin import submit
from tests.conftest import AgencyFixture
from tests.exchanges.cases.test_import import missing, unidentified
from tests.exchanges.rapsheets.test_service import fbi_number, portion

XLSX_MEDIA = FORMATS["xlsx"]


def test_an_account_pages_through_its_cases(
    workflows: Hub, client: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    job = submit(client, agency, [missing(), unidentified(), missing()])
    theirs = submit(client, other_agency, [missing()])
    mine = [
        c["case_number"]
        for c in client.get(f"/namus/v1/jobs/{job}", headers=agency.auth()).json()["cases"]
    ]
    (their_case,) = [
        c["case_number"]
        for c in client.get(f"/namus/v1/jobs/{theirs}", headers=other_agency.auth()).json()["cases"]
    ]
    first = client.get("/namus/v1/cases", params={"limit": 2}, headers=agency.auth())
    assert first.status_code == 200, first.text
    page = first.json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
    assert [c["case_number"] for c in page["cases"]] == mine[:2]  # oldest first, as before
    assert page["next"] == "/namus/v1/cases?limit=2&offset=2"
    last = client.get(page["next"], headers=agency.auth()).json()
    assert [c["case_number"] for c in last["cases"]] == mine[2:]
    assert (last["total"], last["next"]) == (3, None)
    assert their_case not in first.text + str(last)
    # a filter travels in the next link
    pending = client.get(
        "/namus/v1/cases", params={"state": "pending", "limit": 1}, headers=agency.auth()
    ).json()
    assert pending["total"] == 3
    assert pending["next"] == "/namus/v1/cases?state=pending&limit=1&offset=1"
    assert client.get("/namus/v1/cases", headers=other_agency.auth()).json()["total"] == 1
    # the whole filtered list as a file: the account's cases only
    exported = client.get(
        "/namus/v1/cases", params={"state": "pending", "format": "csv"}, headers=agency.auth()
    )
    assert exported.headers["content-type"].startswith("text/csv"), exported.text
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["case_number"] for r in rows] == mine and their_case not in exported.text
    by_accept = client.get("/namus/v1/cases", headers={**agency.auth(), "Accept": XLSX_MEDIA})
    assert by_accept.headers["content-type"] == XLSX_MEDIA
    # a page out of bounds: the problem names the parameter (422, as for every list)
    for params in ({"limit": 0}, {"limit": 1001}, {"limit": "many"}, {"offset": -1}):
        refused = client.get("/namus/v1/cases", params=params, headers=agency.auth())
        assert refused.status_code == 422, (params, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        (name,) = params
        assert refused.json()["problems"][0]["field"] == f"query.{name}"


def test_an_account_pages_through_its_jobs_in_its_realm_and_exports_them(
    workflows: Hub, client: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    mine = [submit(client, agency, [missing()]) for _ in range(3)]
    theirs = submit(client, other_agency, [missing()])
    first = client.get("/namus/v1/jobs", params={"limit": 2}, headers=agency.auth())
    assert first.status_code == 200, first.text
    page = first.json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
    assert [j["job_id"] for j in page["items"]] == mine[::-1][:2]  # newest first
    assert page["items"][0]["state"] == "complete" and page["items"][0]["ori"] == agency.ori
    assert page["next"] == "/namus/v1/jobs?limit=2&offset=2"
    last = client.get(page["next"], headers=agency.auth()).json()
    assert [j["job_id"] for j in last["items"]] == mine[:1] and last["next"] is None
    searched = client.get(
        "/namus/v1/jobs", params={"state": "received"}, headers=agency.auth()
    ).json()
    assert searched["total"] == 0
    # the test key's realm holds none of them
    assert client.get("/namus/v1/jobs", headers=agency.auth("test")).json()["total"] == 0
    exported = client.get("/namus/v1/jobs", params={"format": "csv"}, headers=agency.auth())
    assert exported.headers["content-type"].startswith("text/csv")
    assert f"jobs_{agency.ori}_prod.csv" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted(int(r["job_id"]) for r in rows) == mine and theirs not in [
        int(r["job_id"]) for r in rows
    ]
    by_accept = client.get("/namus/v1/jobs", headers={**agency.auth(), "Accept": "text/csv"})
    assert by_accept.headers["content-type"].startswith("text/csv")
    for params in ({"state": "lost"}, {"format": "pdf"}, {"received_from": "May"}):
        refused = client.get("/namus/v1/jobs", params=params, headers=agency.auth())
        assert refused.status_code == 422, (params, refused.text)
        assert refused.json()["problems"][0]["field"] == f"query.{next(iter(params))}"
    assert get_args(namus.JobStateName) == results.JOB_STATES


def test_a_receiver_pages_through_its_outbox(
    client: Any, hub: Hub, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    hub.service(RapSheetService).add_responder(other_agency.ori, "TX")
    for _ in range(3):
        sent = client.post(
            f"/chri/v1/rapsheets?destination={agency.ori}",
            content=portion("TEXAS", "TX01", fbi_number(), "19950101"),
            headers={**other_agency.auth(), "Content-Type": "application/xml"},
        )
        assert sent.json()["outcome"] == "forwarded", sent.text
    first = client.get("/chri/v1/outbox", params={"limit": 2}, headers=agency.auth())
    assert first.status_code == 200, first.text
    page = first.json()
    assert page["receiver"] == agency.ori  # the fields clients read, kept
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (3, 2, 0, 2)
    assert page["next"] == "/chri/v1/outbox?limit=2&offset=2"
    last = client.get(page["next"], headers=agency.auth()).json()
    assert len(last["items"]) == 1 and last["next"] is None
    ids = [i["id"] for i in page["items"] + last["items"]]
    assert ids == sorted(ids, reverse=True)  # newest first
    # an agency never sees another's deliveries, and its total counts only its own
    none = client.get("/chri/v1/outbox", headers=other_agency.auth()).json()
    assert (none["items"], none["total"], none["next"]) == ([], 0, None)
    # fetched, a delivery leaves the unfetched list and its total
    client.get(page["items"][0]["href"], headers=agency.auth())
    unfetched = client.get(
        "/chri/v1/outbox", params={"unfetched": "true"}, headers=agency.auth()
    ).json()
    assert unfetched["total"] == 2 and unfetched["next"] is None
    # the whole list as a file: no content, and nothing more marked fetched
    exported = client.get(
        "/chri/v1/outbox", params={"unfetched": "true", "format": "csv"}, headers=agency.auth()
    )
    assert exported.headers["content-type"].startswith("text/csv"), exported.text
    assert f"outbox_{agency.ori}.csv" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted(int(r["id"]) for r in rows) == sorted(ids[1:])
    assert "body" not in rows[0] and rows[0]["fetched_at"] == ""
    again = client.get("/chri/v1/outbox", params={"unfetched": "true"}, headers=agency.auth())
    assert again.json()["total"] == 2
    sheet = client.get("/chri/v1/outbox", params={"format": "xlsx"}, headers=agency.auth())
    assert "spreadsheetml" in sheet.headers["content-type"]
    theirs = client.get("/chri/v1/outbox?format=csv", headers=other_agency.auth())
    assert theirs.text.strip().count("\n") == 0  # the heading only
    refused = client.get("/chri/v1/outbox", params={"limit": 0}, headers=agency.auth())
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["field"] == "query.limit"

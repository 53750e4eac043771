"""An agency's stops and files as lists over the API (issue 19): its own, paged with a total
and a next link, filtered, downloadable; never another agency's."""

from __future__ import annotations

import csv
import io
from typing import Any, get_args

import orjson

from jdx.channels.http import paging, stop_lists
from jdx.codecs.list_file import FORMATS
from jdx.exchanges.stops.listing import FILE_STATES, STATUSES, STOP_COLUMNS
from tests.conftest import AgencyFixture, stop_record
from tests.samples import STAMP


def _post(client: Any, agency: AgencyFixture, realm: str = "prod", **changes: Any) -> str:
    record = stop_record(agency, **changes)
    answer = client.post("/sdcs/v1/stops", json=record, headers=agency.auth(realm))
    assert answer.status_code in (200, 202), answer.text  # 202: stored with errors
    return str(record["LEARecordID"])


def test_the_types_of_the_parameters_are_the_lists_codes() -> None:
    assert get_args(stop_lists.StatusName) == STATUSES
    assert get_args(stop_lists.StateName) == FILE_STATES
    assert get_args(paging.FormatName) == tuple(FORMATS)


def test_an_agency_pages_through_its_own_stops(
    client: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    mine = [_post(client, agency) for _ in range(3)] + [_post(client, agency, SDur="1500")]
    theirs = _post(client, other_agency)
    rehearsal = _post(client, agency, realm="test")
    first = client.get("/sdcs/v1/stops", params={"limit": 3}, headers=agency.auth())
    assert first.status_code == 200, first.text
    page = first.json()
    assert (page["total"], page["limit"], page["offset"]) == (4, 3, 0)
    assert [s["lea_record_id"] for s in page["items"]] == mine[::-1][:3]
    assert page["next"] == "/sdcs/v1/stops?limit=3&offset=3"
    second = client.get(page["next"], headers=agency.auth())
    last = second.json()
    assert [s["lea_record_id"] for s in last["items"]] == [mine[0]] and last["next"] is None
    assert last["items"][0]["created_at"].endswith("+00:00")
    every = first.text + second.text
    assert theirs not in every and rehearsal not in every
    test_realm = client.get("/sdcs/v1/stops", headers=agency.auth("test")).json()
    assert [s["lea_record_id"] for s in test_realm["items"]] == [rehearsal]


def test_the_filters_of_the_stop_list(client: Any, agency: AgencyFixture) -> None:
    clean, dirty = _post(client, agency), _post(client, agency, SDur="1500")

    def listed(**params: str) -> list[str]:
        answer = client.get("/sdcs/v1/stops", params=params, headers=agency.auth())
        assert answer.status_code == 200, answer.text
        return [s["lea_record_id"] for s in answer.json()["items"]]

    assert listed(error_code="DV011") == [dirty]
    assert listed(status="Successful Submission") == [clean]
    assert listed(lea_record_id=clean) == [clean]
    refused = client.get("/sdcs/v1/stops", params={"status": "Done"}, headers=agency.auth())
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["problems"][0]["field"] == "query.status"
    bad_code = client.get("/sdcs/v1/stops", params={"error_code": "x"}, headers=agency.auth())
    assert bad_code.status_code == 422


def test_the_whole_list_as_a_file(
    client: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    mine = _post(client, agency, SDur="1500")
    theirs = _post(client, other_agency, SDur="1500")
    by_parameter = client.get(
        "/sdcs/v1/stops", params={"format": "csv", "error_code": "DV011"}, headers=agency.auth()
    )
    by_accept = client.get(
        "/sdcs/v1/stops",
        params={"error_code": "DV011"},
        headers={**agency.auth(), "Accept": "text/csv"},
    )
    for answer in (by_parameter, by_accept):
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        assert list(rows[0]) == list(STOP_COLUMNS)
        assert [r["lea_record_id"] for r in rows] == [mine]
        assert theirs not in answer.text
    xlsx = client.get("/sdcs/v1/stops", params={"format": "xlsx"}, headers=agency.auth())
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_an_agency_lists_its_own_files(
    client: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    names = []
    for owner in (agency, other_agency):
        record = stop_record(owner)
        name = f"{STAMP}_{owner.ori}_{record['LEARecordID']}.json"
        put = client.put(
            f"/sdcs/v1/files/{name}", content=orjson.dumps(record), headers=owner.auth()
        )
        assert put.status_code == 202, put.text
        names.append(name)
    listed = client.get("/sdcs/v1/files", headers=agency.auth())
    assert listed.status_code == 200, listed.text
    assert [f["file_name"] for f in listed.json()["items"]] == [names[0]]
    assert listed.json()["total"] == 1 and listed.json()["next"] is None
    assert (
        client.get(
            "/sdcs/v1/files", params={"state": "nonsense"}, headers=agency.auth()
        ).status_code
        == 422
    )
    assert client.get("/sdcs/v1/files").status_code == 401

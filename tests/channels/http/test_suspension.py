"""A suspended agency's keys: every API route refuses them at the next request, reads too.

Issue 16, finding 1: after ``jdx agency suspend`` (and 6 s later) ``GET /sdcs/v1/stops/{id}``
still returned the record, and a key checked within ``JDX_AUTH_CACHE_SECONDS`` still submitted.
The walk below is generated from ``/openapi.json``: a new route must say here whether it is
public, or it fails.
"""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
import pytest

from jdx.hub import Hub
from jdx.store.queries import set_agency_active
from tests.channels.http.routes import BODIES, openapi_routes
from tests.conftest import AgencyFixture, new_agency, stop_record

# Routes that need no key: the published interface documents.
PUBLIC = {
    ("GET", "/sdcs/v1/icd"),
    ("GET", "/sdcs/v1/icd/{name}"),
    ("GET", "/namus/v1/icd"),
    ("GET", "/namus/v1/icd/{name}"),
    ("GET", "/chri/v1/icd"),
    ("GET", "/chri/v1/icd/{name}"),
}


def set_active(hub: Hub, agency: AgencyFixture, active: bool) -> None:
    with hub.engine.begin() as conn:
        set_agency_active(conn, agency.ori, active)


def stored(client: httpx.Client, agency: AgencyFixture) -> str:
    record = stop_record(agency)
    answer = client.post("/sdcs/v1/stops", json=record, headers=agency.auth())
    assert answer.status_code == 200, answer.text
    return str(record["LEARecordID"])


def test_every_api_route_refuses_a_suspended_agency_reads_too(
    client: httpx.Client, hub: Hub
) -> None:
    agency = new_agency(hub)
    lea_id = stored(client, agency)
    set_active(hub, agency, False)
    walked = openapi_routes(client)
    assert len(walked) > 20
    leaks = []
    for realm in ("prod", "test"):
        for method, template, path in walked:
            if (method, template) in PUBLIC:
                continue
            answer = client.request(
                method,
                path,
                headers={**agency.auth(realm), "Content-Type": "application/json"},
                content=BODIES.get((method, template), b"{}"),
            )
            if answer.status_code != 403 or f"{agency.ori} is suspended" not in answer.text:
                leaks.append((realm, method, path, answer.status_code, answer.text[:120]))
    assert leaks == []
    read = client.get(f"/sdcs/v1/stops/{lea_id}", headers=agency.auth())  # the record exists
    assert read.status_code == 403
    assert "is suspended" in read.json()["Messages"][0]["Message"]
    assert lea_id not in read.text


def test_a_key_checked_a_moment_ago_is_refused_at_the_next_request(
    client: httpx.Client, hub: Hub
) -> None:
    """The key cache (JDX_AUTH_CACHE_SECONDS, 5 s) no longer keeps a suspended agency acting."""
    assert hub.settings.auth_cache_seconds > 0
    agency = new_agency(hub)
    lea_id = stored(client, agency)  # the key is now in the process's cache
    assert client.get(f"/sdcs/v1/stops/{lea_id}", headers=agency.auth()).status_code == 200
    set_active(hub, agency, False)
    record = stop_record(agency)
    refused = client.post("/sdcs/v1/stops", json=record, headers=agency.auth())
    assert refused.status_code == 403, refused.text
    assert "is suspended" in refused.text
    assert client.get(f"/sdcs/v1/stops/{lea_id}", headers=agency.auth()).status_code == 403
    update = client.put(f"/sdcs/v1/stops/{lea_id}", json=record, headers=agency.auth())
    assert update.status_code == 403
    set_active(hub, agency, True)  # reinstated: at once too
    assert client.get(f"/sdcs/v1/stops/{lea_id}", headers=agency.auth()).status_code == 200
    assert (
        client.get(f"/sdcs/v1/stops/{record['LEARecordID']}", headers=agency.auth()).status_code
        == 404
    )
    again = client.post("/sdcs/v1/stops", json=record, headers=agency.auth())
    assert again.status_code == 200, again.text


@pytest.mark.parametrize("path", ["/chri/v1/outbox", "/namus/v1/cases"])
def test_rap_sheet_and_case_apis_refuse_a_suspended_agency_and_reopen(
    client: httpx.Client, hub: Hub, path: str
) -> None:
    agency = new_agency(hub)
    assert client.get(path, headers=agency.auth()).status_code == 200
    set_active(hub, agency, False)
    refused = client.get(path, headers=agency.auth())
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith(f"Agency {agency.ori} is suspended")
    set_active(hub, agency, True)
    assert client.get(path, headers=agency.auth()).status_code == 200


def test_another_agency_is_not_touched(client: httpx.Client, hub: Hub) -> Any:
    suspended, other = new_agency(hub), new_agency(hub)
    set_active(hub, suspended, False)
    assert (
        client.post("/sdcs/v1/stops", json=stop_record(other), headers=other.auth()).status_code
        == 200
    )


def test_jdx_agency_suspend_reaches_a_hub_that_trusted_the_key_a_moment_ago(
    client: httpx.Client, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command builds a hub of its own, as on another node: nothing is sent to the serving
    hub, whose key cache holds the key; its next request is refused all the same."""
    from typer.testing import CliRunner

    from jdx.cli import app
    from jdx.store.queries import audit_entries

    monkeypatch.setenv("JDX_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("JDX_DATABASE_URL", hub.settings.effective_database_url)
    agency = new_agency(hub)
    stored(client, agency)
    assert CliRunner().invoke(app, ["agency", "suspend", agency.ori]).exit_code == 0
    refused = client.post("/sdcs/v1/stops", json=stop_record(agency), headers=agency.auth())
    assert refused.status_code == 403 and "is suspended" in refused.text
    assert CliRunner().invoke(app, ["agency", "activate", agency.ori]).exit_code == 0
    again = client.post("/sdcs/v1/stops", json=stop_record(agency), headers=agency.auth())
    assert again.status_code == 200
    with hub.engine.connect() as conn:
        entries = audit_entries(conn, exchange="agency", ori=agency.ori)
    assert [(e["action"], e["channel"]) for e in entries] == [
        ("suspend", "cli"),
        ("reinstate", "cli"),
    ]

"""Concurrent requests to the web service: the requests that queue for an agency are stored in
groups (``jdx/channels/http/grouping.py``), with the answers one-by-one processing gives."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2 as httpx
import orjson
import pytest
import sqlalchemy as sa

from jdx.exchanges.stops.service import StopService
from jdx.exchanges.stops.tables import stops
from jdx.hub import Hub
from jdx.store.queries import audit_entries
from tests.conftest import AgencyFixture, stop_record

URL = "/sdcs/v1/stops"


def _send_all(app: Any, agency: AgencyFixture, records: list[dict[str, Any]]) -> list[Any]:
    """All records POSTed at once on one event loop; the responses in the same order."""

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            headers = {**agency.auth(), "Content-Type": "application/json"}
            return await asyncio.gather(
                *(c.post(URL, content=orjson.dumps(r), headers=headers) for r in records)
            )

    return asyncio.run(go())


def _stored(hub: Hub, agency: AgencyFixture) -> list[str]:
    with hub.engine.connect() as conn:
        query = sa.select(stops.c.lea_record_id).where(stops.c.ori == agency.ori)
        return sorted(conn.execute(query).scalars())


@pytest.fixture
def group_sizes(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the groups stored: shows that the requests were grouped at all."""
    service: StopService = hub.services["stops"]
    sizes: list[int] = []
    real = service.submit_stops

    def counting(items: Any, **kwargs: Any) -> Any:
        sizes.append(len(items))
        return real(items, **kwargs)

    monkeypatch.setattr(service, "submit_stops", counting)
    return sizes


def test_concurrent_duplicates_are_refused_as_one_by_one(
    app: Any, hub: Hub, agency: AgencyFixture, group_sizes: list[int]
) -> None:
    distinct = [stop_record(agency) for _ in range(20)]
    copies = [dict(distinct[0]) for _ in range(4)]
    answers = _send_all(app, agency, distinct + copies)
    statuses = [r.status_code for r in answers]
    assert statuses.count(200) == 20 and statuses.count(409) == 4, statuses
    refused = [r for r in answers if r.status_code == 409]
    assert all(m["Code"] == "DV236" for r in refused for m in r.json()["Messages"])
    assert _stored(hub, agency) == sorted(r["LEARecordID"] for r in distinct)
    doj_ids = {r.headers["DOJRecordID"] for r in answers if r.status_code == 200}
    assert len(doj_ids) == 20
    with hub.engine.connect() as conn:
        assert len(audit_entries(conn, ori=agency.ori)) == 24
    assert max(group_sizes) > 1  # the group path was taken


def test_a_failing_group_is_retried_one_by_one(
    app: Any, hub: Hub, agency: AgencyFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should a group fail, each request is stored on its own: an unexpected failure is the
    answer of the request that causes it only (a 500 without internals), never its group's."""
    service: StopService = hub.services["stops"]
    records = [stop_record(agency) for _ in range(12)]
    culprit = records[5]["LEARecordID"]
    real_one = service.submit_stop
    groups: list[int] = []

    def failing_group(items: Any, **_k: Any) -> Any:
        groups.append(len(items))
        raise RuntimeError("group internals")

    def one(principal: Any, record: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        if record["LEARecordID"] == culprit:
            raise RuntimeError("secret internals")
        return real_one(principal, record, *args, **kwargs)

    monkeypatch.setattr(service, "submit_stops", failing_group)
    monkeypatch.setattr(service, "submit_stop", one)
    answers = _send_all(app, agency, records)
    assert [r.status_code for r in answers] == [500 if i == 5 else 200 for i in range(12)]
    assert "internals" not in answers[5].text and "Traceback" not in answers[5].text
    assert _stored(hub, agency) == sorted(r["LEARecordID"] for r in records if r is not records[5])
    assert groups and max(groups) > 1

"""Concurrent requests to the web service: the requests that queue for an agency are stored in
groups (``jdx/channels/http/grouping.py``), with the answers one-by-one processing gives."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2 as httpx
import orjson
import pytest
import sqlalchemy as sa

from jdx.exchanges.stops.records import Submission
from jdx.exchanges.stops.service import StopService
from jdx.exchanges.stops.tables import stops
from jdx.hub import Hub
from jdx.store.locks import lock_key
from jdx.store.queries import audit_entries
from tests.conftest import AgencyFixture, stop_record

URL = "/sdcs/v1/stops"


def _send_all(app: Any, agency: AgencyFixture, records: list[dict[str, Any]]) -> list[Any]:
    """All records POSTed at once on one event loop; the responses in the same order."""
    return _send_mixed(app, [(agency, r) for r in records])


def _send_mixed(app: Any, sends: list[tuple[AgencyFixture, dict[str, Any]]]) -> list[Any]:
    """Each record POSTed at once by its agency, on one event loop; the responses in order."""

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await asyncio.gather(
                *(c.post(URL, content=orjson.dumps(r), headers=_headers(a)) for a, r in sends)
            )

    return asyncio.run(go())


def _headers(agency: AgencyFixture) -> dict[str, str]:
    return {**agency.auth(), "Content-Type": "application/json"}


def _stored(hub: Hub, agency: AgencyFixture) -> list[str]:
    with hub.engine.connect() as conn:
        query = sa.select(stops.c.lea_record_id).where(stops.c.ori == agency.ori)
        return sorted(conn.execute(query).scalars())


@pytest.fixture
def groups(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> list[list[Submission]]:
    """The groups stored, each as it was handed to the store."""
    service = hub.service(StopService)
    seen: list[list[Submission]] = []
    real = service.submit_stops

    def recording(items: Any, **kwargs: Any) -> Any:
        seen.append(list(items))
        return real(items, **kwargs)

    monkeypatch.setattr(service, "submit_stops", recording)
    return seen


def test_concurrent_duplicates_are_refused_as_one_by_one(
    app: Any, hub: Hub, agency: AgencyFixture, groups: list[list[Submission]]
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
    assert max(len(g) for g in groups) > 1  # the group path was taken


def test_a_failing_group_is_retried_one_by_one(
    app: Any, hub: Hub, agency: AgencyFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should a group fail, each request is stored on its own: an unexpected failure is the
    answer of the request that causes it only (a 500 without internals), never its group's."""
    service = hub.service(StopService)
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


def test_several_agencies_requests_share_a_group_and_each_sees_only_its_own(
    app: Any,
    hub: Hub,
    agency: AgencyFixture,
    other_agency: AgencyFixture,
    groups: list[list[Submission]],
) -> None:
    """One transaction for the requests that queued, whatever their agency (one commit and one
    group's fixed cost for all); duplicates are still found per agency, and a record id that
    one agency uses is free for another."""
    mine = [stop_record(agency) for _ in range(10)]
    theirs = [stop_record(other_agency) for _ in range(10)]
    same_id = dict(stop_record(other_agency), LEARecordID=mine[0]["LEARecordID"])
    again = dict(mine[1])  # a duplicate of the agency's own
    sends = [(agency, r) for r in mine] + [(other_agency, r) for r in theirs]
    sends += [(other_agency, same_id), (agency, again)]
    answers = _send_mixed(app, sends)
    assert [r.status_code for r in answers] == [200] * 21 + [409]
    assert _stored(hub, agency) == sorted(r["LEARecordID"] for r in mine)
    assert _stored(hub, other_agency) == sorted(r["LEARecordID"] for r in [*theirs, same_id])
    assert any(len({i.principal.ori for i in g}) == 2 for g in groups), [len(g) for g in groups]


@pytest.mark.postgres
@pytest.mark.parametrize("theirs_alone_first", [False, True], ids=["mixed", "theirs-alone-first"])
def test_an_agency_busy_elsewhere_does_not_hold_up_the_others(
    app: Any,
    hub: Hub,
    agency: AgencyFixture,
    other_agency: AgencyFixture,
    theirs_alone_first: bool,
) -> None:
    """Another process holds the other agency's lock (as a batch file's chunk does): its
    requests wait for it, and the agency's requests are answered meanwhile, whether they
    shared the process's group with the busy agency's (split by agency once the lock has been
    waited for briefly) or queued behind a group of the busy agency's alone (which leaves the
    process's group for a queue of its agency's own just as briefly)."""
    mine = [stop_record(agency) for _ in range(8)]
    theirs = [stop_record(other_agency) for _ in range(8)]
    busy = lock_key("agency", "prod", other_agency.ori)

    async def go(holder: sa.Connection) -> None:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:

            def post(a: AgencyFixture, r: dict[str, Any]) -> asyncio.Task[httpx.Response]:
                return asyncio.ensure_future(
                    c.post(URL, content=orjson.dumps(r), headers=_headers(a))
                )

            waiting = [post(other_agency, r) for r in theirs]
            if theirs_alone_first:  # their group is being stored before ours are sent
                await asyncio.sleep(0.5)
            answered = [post(agency, r) for r in mine]
            await asyncio.wait_for(asyncio.gather(*answered), timeout=60)
            assert [t.result().status_code for t in answered] == [200] * 8
            assert not any(t.done() for t in waiting)  # still waiting for their lock
            await asyncio.to_thread(holder.rollback)  # the other process lets go
            assert [r.status_code for r in await asyncio.gather(*waiting)] == [200] * 8

    with hub.engine.connect() as holder:
        holder.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": busy})
        asyncio.run(go(holder))
    assert _stored(hub, agency) == sorted(r["LEARecordID"] for r in mine)
    assert _stored(hub, other_agency) == sorted(r["LEARecordID"] for r in theirs)

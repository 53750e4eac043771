"""The dashboards' stop-data figures (issue 19): counted in the database, scoped by agency."""

from __future__ import annotations

import datetime as dt

import orjson

from jdx.exchanges.stops import figures, workflow
from jdx.exchanges.stops.records import STATUS_ERRORS, STATUS_OK, Op
from jdx.exchanges.stops.service import StopService
from jdx.hub import Hub
from jdx.security.keys import Principal
from tests.conftest import AgencyFixture, new_agency, stop_record
from tests.samples import upload


def _submit(hub: Hub, agency: AgencyFixture, channel: str, **changes: str) -> None:
    principal = Principal(agency.id, agency.ori, "Figures agency", "prod", True)
    result = hub.service(StopService).submit_stop(
        principal, stop_record(agency, **changes), Op.INSERT, channel=channel
    )
    assert result.doj_record_id is not None, result


def test_the_stop_figures_count_an_agencys_own_stops(hub: Hub) -> None:
    mine, theirs = new_agency(hub, "Figures"), new_agency(hub, "Other figures")
    _submit(hub, mine, "rest")
    _submit(hub, mine, "rest", SDur="1500")  # DV011
    _submit(
        hub,
        mine,
        "sftp",
        SDur="1500",
        Officer={**stop_record()["Officer"], "ExpYears": "70"},
    )
    _submit(hub, theirs, "rest", SDur="1500")
    today = dt.datetime.now(dt.UTC).date()
    with hub.engine.connect() as conn:
        days = figures.stops_per_day(conn, "prod", mine.ori, days=7, today=today)
        rates = figures.error_rates(conn, "prod", mine.ori, days=7, today=today)
        codes = figures.top_error_codes(conn, "prod", mine.ori, days=7, today=today)
        everyone = figures.error_rates(conn, "prod", None, days=7, today=today)
        tomorrow = figures.stops_per_day(
            conn, "prod", mine.ori, days=1, today=today + dt.timedelta(days=1)
        )
    assert sorted((d.day, d.channel, d.status, d.stops) for d in days) == [
        (today, "rest", STATUS_ERRORS, 1),
        (today, "rest", STATUS_OK, 1),
        (today, "sftp", STATUS_ERRORS, 1),
    ]
    assert [(r.ori, r.stops, r.with_errors) for r in rates] == [(mine.ori, 3, 2)]
    assert rates[0].rate == 2 / 3
    assert codes[0] == ("DV011", 2) and ("DV015", 1) in codes
    assert {r.ori for r in everyone} >= {mine.ori, theirs.ori}
    assert tomorrow == []


def test_file_times_are_an_agencys_own_answered_files(hub: Hub, workflows: Hub) -> None:
    mine, theirs = new_agency(hub, "File times"), new_agency(hub, "Other file times")
    for agency in (mine, theirs):
        principal = Principal(agency.id, agency.ori, "File times", "prod", True)
        name = f"20240315143200_{agency.ori}_T1.json"
        records = [stop_record(agency), stop_record(agency)]
        key = upload(hub, principal, name, orjson.dumps(records))
        received = workflow.receive(hub, principal, key, channel="sftp")
        assert received.file_id is not None
        assert workflow.wait(hub, received.file_id, timeout=60)["total"] == 2
    today = dt.datetime.now(dt.UTC).date()
    with hub.engine.connect() as conn:
        times = figures.file_times(conn, "prod", mine.id, days=1, today=today)
        everyone = figures.file_times(conn, "prod", None, days=1, today=today)
    assert [(t.file_name, t.records) for t in times] == [(f"20240315143200_{mine.ori}_T1.json", 2)]
    assert times[0].seconds >= 0
    assert {t.file_name for t in everyone} >= {f"20240315143200_{theirs.ori}_T1.json"}

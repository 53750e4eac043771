"""The dashboard (issue 19): each role's figures, never another agency's, as inline SVG."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from lxml import etree

import jdx.channels.web
from jdx.channels.web.dashboard import stops_chart
from jdx.exchanges.cases import accounts
from jdx.exchanges.cases.regions import DEMO_REGIONS
from jdx.exchanges.stops.figures import DayCount
from jdx.exchanges.stops.records import STATUS_ERRORS, STATUS_NFIA, STATUS_OK, Op
from jdx.exchanges.stops.service import StopService
from jdx.hub import Hub
from jdx.security.keys import Principal
from tests.channels.web.conftest import login, make_user
from tests.conftest import AgencyFixture, stop_record
from tests.exchanges.cases.test_import import missing
from tests.exchanges.cases.test_review import import_cases, in_state


def _submit(hub: Hub, agency: AgencyFixture, **changes: Any) -> None:
    principal = Principal(agency.id, agency.ori, "Dashboard agency", "prod", True)
    result = hub.service(StopService).submit_stop(
        principal, stop_record(agency, **changes), Op.INSERT, channel="rest"
    )
    assert result.doj_record_id is not None


def test_a_client_sees_its_own_figures_only(
    hub: Hub, portal: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    _submit(hub, agency)
    _submit(hub, agency, SDur="1500")
    _submit(hub, other_agency, SDur="1500")
    login(portal, make_user(hub, "client", agency=agency))
    shown = portal.get("/portal/dashboard", params={"days": 7})
    assert shown.status_code == 200
    assert "2 stops received in the last 7 days" in shown.text
    assert f"<td>{agency.ori}</td><td>2</td><td>1</td><td>50.0 %</td>" in shown.text
    assert other_agency.ori not in shown.text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in shown.text
    assert "<script" not in shown.text.split("<main>")[1]
    assert "Review queues" not in shown.text and "Rap-sheet merges" not in shown.text
    assert portal.get("/portal/dashboard", params={"days": 8}).status_code == 400


def test_an_rps_sees_its_regions_queues_and_an_administrator_everything(
    hub: Hub, portal: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    import_cases(hub, agency, [in_state(missing(), "CA")])
    _submit(hub, other_agency)
    login(portal, make_user(hub, "rps", regions=(DEMO_REGIONS["CA"],)))
    rps = portal.get("/portal/dashboard")
    assert rps.status_code == 200 and "Review queues" in rps.text
    assert f"<td>{DEMO_REGIONS['CA']}</td>" in rps.text
    assert f"<td>{DEMO_REGIONS['NY']}</td>" not in rps.text
    assert "Stop data" not in rps.text.split("<main>")[1]
    portal.cookies.clear()
    login(portal, make_user(hub, "admin"))
    admin = portal.get("/portal/dashboard")
    assert admin.status_code == 200
    assert f"<td>{other_agency.ori}</td>" in admin.text  # every agency's error rate
    assert "Rap-sheet merges" in admin.text and "Review queues" in admin.text


STYLESHEET = Path(jdx.channels.web.__file__).parent / "static" / "portal.css"
SVG = "{http://www.w3.org/2000/svg}"


def test_each_status_of_the_stops_chart_has_a_colour_family_and_each_channel_a_shade() -> None:
    day = dt.date(2026, 12, 1)
    rows = [
        DayCount(day, "sftp", STATUS_ERRORS, 1),
        DayCount(day, "http", STATUS_OK, 5),
        DayCount(day, "portal", STATUS_NFIA, 1),
        DayCount(day, "sftp", STATUS_OK, 2),
        DayCount(day, "http", STATUS_ERRORS, 3),
        DayCount(day, "carrier pigeon", "Lost", 1),
    ]
    chart = stops_chart(rows, [day])
    # grouped by status (stored, with errors, NFIA, any other), so the key reads as a legend
    assert chart.colours == {
        f"http · {STATUS_OK}": "ok-0",
        f"sftp · {STATUS_OK}": "ok-1",
        f"http · {STATUS_ERRORS}": "errors-0",
        f"sftp · {STATUS_ERRORS}": "errors-1",
        f"portal · {STATUS_NFIA}": "nfia-3",
        "carrier pigeon · Lost": "other-3",
    }
    assert list(chart.series) == list(chart.colours)
    # every class the dashboard's charts may use has its colour in the stylesheet
    styled = set(re.findall(r"svg\.chart \.([\w-]+) \{ fill:", STYLESHEET.read_text()))
    families = ("ok", "errors", "nfia", "other")
    assert {f"{f}-{n}" for f in families for n in range(4)} <= styled


def test_the_dashboard_draws_the_stops_in_their_status_colours(
    hub: Hub, portal: Any, agency: AgencyFixture
) -> None:
    _submit(hub, agency)
    _submit(hub, agency, SDur="1500")
    login(portal, make_user(hub, "client", agency=agency))
    shown = portal.get("/portal/dashboard", params={"days": 7})
    svg = etree.fromstring(shown.text.split("<figure>")[1].split("</figure>")[0])
    key = {
        t.text: r.get("class")
        for r, t in zip(
            svg.find(f"{SVG}g").findall(f"{SVG}rect"),
            svg.find(f"{SVG}g").findall(f"{SVG}text"),
            strict=True,
        )
    }
    assert key == {f"rest · {STATUS_OK}": "ok-3", f"rest · {STATUS_ERRORS}": "errors-3"}


def test_a_client_that_imports_no_namus_cases_has_no_jobs_section(
    hub: Hub, portal: Any, agency: AgencyFixture
) -> None:
    login(portal, make_user(hub, "client", agency=agency))  # it may import: the section
    assert "NamUs import jobs" in portal.get("/portal/dashboard").text
    with hub.engine.begin() as conn:
        accounts.set_account(conn, agency.id, sponsor=None, can_import=False)
    shown = portal.get("/portal/dashboard")
    assert shown.status_code == 200 and "Stop data" in shown.text
    assert "NamUs import jobs" not in shown.text and "NamUs cases imported" not in shown.text

"""The dashboard (issue 19): each role's figures, never another agency's, as inline SVG."""

from __future__ import annotations

from typing import Any

from jdx.exchanges.cases.regions import DEMO_REGIONS
from jdx.exchanges.stops.records import Op
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

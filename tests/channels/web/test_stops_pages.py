"""An agency's stop data in the portal (issue 19): its list, a record's errors beside its fields,
a correction and an NFIA marking through the same service as PUT; never another agency's."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from jdx.exchanges.stops.records import STATUS_ERRORS, STATUS_NFIA, STATUS_OK, Op
from jdx.exchanges.stops.service import StopService
from jdx.hub import Hub
from jdx.security.keys import Principal
from tests.channels.web.conftest import csrf_of, login, make_user
from tests.conftest import AgencyFixture, stop_record


def _submit(hub: Hub, agency: AgencyFixture, **changes: Any) -> int:
    principal = Principal(agency.id, agency.ori, "Portal agency", "prod", True)
    record = stop_record(agency, **changes)
    result = hub.service(StopService).submit_stop(principal, record, Op.INSERT, channel="test")
    assert result.doj_record_id is not None, result
    return result.doj_record_id


def test_a_client_lists_only_its_own_stops_and_downloads_the_list(
    hub: Hub, portal: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    mine = [_submit(hub, agency), _submit(hub, agency, SDur="1500")]
    theirs = _submit(hub, other_agency, SDur="1500")
    login(portal, make_user(hub, "client", agency=agency))
    listed = portal.get("/portal/stops")
    assert listed.status_code == 200
    assert all(f'href="/portal/stops/{i}?' in listed.text for i in mine)
    assert f"/portal/stops/{theirs}?" not in listed.text
    assert "Stops 1–2 of 2" in listed.text
    errors_only = portal.get("/portal/stops", params={"error_code": "DV011"})
    assert f"/portal/stops/{mine[1]}?" in errors_only.text
    assert f"/portal/stops/{mine[0]}?" not in errors_only.text
    assert portal.get(f"/portal/stops/{theirs}").status_code == 404
    download = portal.get("/portal/stops", params={"status": STATUS_ERRORS, "format": "csv"})
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [int(r["id"]) for r in rows] == [mine[1]] and rows[0]["error_codes"] == "DV011"
    assert portal.get("/portal/stops", params={"status": "Done"}).status_code == 400
    assert portal.get("/portal/stops", params={"format": "pdf"}).status_code == 400


def test_a_record_shows_its_errors_beside_the_labelled_fields_and_is_corrected(
    hub: Hub, portal: Any, agency: AgencyFixture
) -> None:
    stop_id = _submit(hub, agency, SDur="1500")
    login(portal, make_user(hub, "client", agency=agency))
    shown = portal.get(f"/portal/stops/{stop_id}")
    assert shown.status_code == 200
    assert "Duration of stop (minutes)" in shown.text  # the dictionary's label, not "SDur"
    assert re.search(r'name="field:SDur" value="1500"', shown.text)
    assert "DV011" in shown.text and STATUS_ERRORS in shown.text
    csrf = csrf_of(portal, f"/portal/stops/{stop_id}")
    # A correction that is still wrong is stored with its errors, as a PUT of it would be.
    still_wrong = portal.post(
        f"/portal/stops/{stop_id}/correct", data={"csrf": csrf, "field:SDur": "2000"}
    )
    assert still_wrong.status_code == 200 and "2000 was sent" in still_wrong.text
    assert STATUS_ERRORS in still_wrong.text
    fixed = portal.post(
        f"/portal/stops/{stop_id}/correct",
        data={"csrf": csrf, "field:SDur": "45"},
        follow_redirects=False,
    )
    assert fixed.status_code == 303 and "outcome=stored" in fixed.headers["location"]
    after = portal.get(fixed.headers["location"])
    assert STATUS_OK in after.text and "correction was stored" in after.text
    # Stored without errors: a second correction is refused as a PUT of it would be.
    again = portal.post(f"/portal/stops/{stop_id}/correct", data={"csrf": csrf, "field:SDur": "46"})
    assert again.status_code == 409 and "refused" in again.text
    no_field = portal.post(
        f"/portal/stops/{stop_id}/correct", data={"csrf": csrf, "field:Nope.Deeper": "1"}
    )
    assert no_field.status_code == 400 and "Nope.Deeper" in no_field.text
    with hub.engine.connect() as conn:
        version = conn.exec_driver_sql(
            f"SELECT version, status FROM stops WHERE id = {stop_id}"
        ).one()
    assert tuple(version) == (3, STATUS_OK)


def test_a_record_in_error_is_marked_nfia_once_confirmed(
    hub: Hub, portal: Any, agency: AgencyFixture
) -> None:
    stop_id = _submit(hub, agency, SDur="1500")
    login(portal, make_user(hub, "client", agency=agency))
    csrf = csrf_of(portal, f"/portal/stops/{stop_id}")
    unconfirmed = portal.post(f"/portal/stops/{stop_id}/nfia", data={"csrf": csrf})
    assert unconfirmed.status_code == 400 and "confirm" in unconfirmed.text
    marked = portal.post(
        f"/portal/stops/{stop_id}/nfia",
        data={"csrf": csrf, "confirm": "yes"},
        follow_redirects=False,
    )
    assert marked.status_code == 303 and "outcome=nfia" in marked.headers["location"]
    page = portal.get(marked.headers["location"])
    assert STATUS_NFIA in page.text and "Mark NFIA" not in page.text
    stale = portal.post(f"/portal/stops/{stop_id}/nfia", data={"csrf": "stale", "confirm": "yes"})
    assert stale.status_code == 403


def test_an_administrator_chooses_the_agency(hub: Hub, portal: Any, agency: AgencyFixture) -> None:
    stop_id = _submit(hub, agency)
    login(portal, make_user(hub, "admin"))
    choose = portal.get("/portal/stops")
    assert choose.status_code == 200 and f'value="{agency.ori}"' in choose.text
    listed = portal.get("/portal/stops", params={"ori": agency.ori})
    assert f"/portal/stops/{stop_id}?" in listed.text
    assert portal.get("/portal/stops", params={"ori": "NOSUCH"}).status_code == 404


def test_an_rps_has_no_stop_pages(hub: Hub, portal: Any) -> None:
    login(portal, make_user(hub, "rps"))
    assert portal.get("/portal/stops").status_code == 403


def test_a_record_shows_the_meaning_of_its_codes(
    hub: Hub, portal: Any, agency: AgencyFixture
) -> None:
    """Beside a code, what it means in the dictionary's code table: a field of the stop, one
    of a person stopped, and each item of a list of codes."""
    record = stop_record(agency)
    person = record["ListPerson_Stopped"]["Person_Stopped"][0]
    person["Perc"]["ListEthn"]["Ethn"] = ["6", "7"]
    principal = Principal(agency.id, agency.ori, "Portal agency", "prod", True)
    stored = hub.service(StopService).submit_stop(principal, record, Op.INSERT, channel="test")
    login(portal, make_user(hub, "client", agency=agency))
    shown = portal.get(f"/portal/stops/{stored.doj_record_id}")
    assert shown.status_code == 200
    values = re.findall(r"<div>([^<]*)</div>\s*<div>([^<]*)", shown.text)
    pairs = [(label.strip(), value.strip()) for label, value in values]
    assert ("Type of stop", "2 — Bicycle") in pairs
    assert ("Person 1: Reason for stop", "1 — Traffic Violation") in pairs
    race = "Person 1: Perceived race or ethnicity"
    assert [v for label, v in pairs if label == race] == ["6 — Pacific Islander", "7 — White"]
    assert ("Duration of stop (minutes)", record["SDur"]) in pairs  # not coded: as it is

"""An agency's batch files in the portal (issue 19): its own files, progress, answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from jdx.exchanges.stops import workflow
from jdx.exchanges.stops.tables import stop_files
from jdx.hub import Hub
from jdx.security.keys import Principal
from tests.channels.web.conftest import login, make_user
from tests.conftest import AgencyFixture, stop_record
from tests.samples import upload


def _file(hub: Hub, agency: AgencyFixture, name: str, records: list[Any]) -> int:
    principal = Principal(agency.id, agency.ori, "Files agency", "prod", True)
    key = upload(hub, principal, f"20240315143200_{agency.ori}_{name}.json", orjson.dumps(records))
    received = workflow.receive(hub, principal, key, channel="sftp")
    assert received.file_id is not None
    return received.file_id


def test_a_client_sees_its_files_their_counts_and_downloads_its_answers(
    workflows: Hub, portal: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    mine = _file(workflows, agency, "P1", [stop_record(agency), stop_record(agency, SDur="1500")])
    theirs = _file(workflows, other_agency, "P1", [stop_record(other_agency)])
    for file_id in (mine, theirs):
        workflow.wait(workflows, file_id, timeout=60)
    login(portal, make_user(workflows, "client", agency=agency))
    listed = portal.get("/portal/files")
    assert listed.status_code == 200
    assert f'href="/portal/files/{mine}"' in listed.text
    assert f'href="/portal/files/{theirs}"' not in listed.text
    assert portal.get(f"/portal/files/{theirs}").status_code == 404
    shown = portal.get(f"/portal/files/{mine}")
    assert shown.status_code == 200 and "done" in shown.text
    assert "hx-trigger" not in shown.text  # finished: no more polling
    answers = [
        line.split('"')[0] for line in shown.text.split(f'href="/portal/files/{mine}/results/')[1:]
    ]
    assert any(a.endswith("_response.txt") for a in answers), answers
    assert any(a.endswith("_errors.json") for a in answers), answers
    report = portal.get(f"/portal/files/{mine}/results/{answers[0]}")
    assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
    assert portal.get(f"/portal/files/{mine}/results/..%2Fjdx.db").status_code == 404
    assert portal.get(f"/portal/files/{mine}/results/x_log.txt").status_code == 404
    assert portal.get("/portal/files", params={"state": "nonsense"}).status_code == 400


def test_a_file_in_process_polls_its_progress(hub: Hub, portal: Any, agency: AgencyFixture) -> None:
    # A file a node is processing (its row as the workflow leaves it mid-way).
    with hub.engine.begin() as conn:
        waiting = conn.execute(
            stop_files.insert().values(
                realm="prod", agency_id=agency.id, ori=agency.ori, channel="sftp",
                file_name=f"20240315143200_{agency.ori}_P2.csv", format="delimited", size=10,
                sha256="0" * 64, state="processing", received_at=dt.datetime.now(dt.UTC),
            )
        ).inserted_primary_key[0]  # fmt: skip
    login(portal, make_user(hub, "client", agency=agency))
    shown = portal.get(f"/portal/files/{waiting}")
    assert f'hx-get="/portal/files/{waiting}/progress"' in shown.text and "<progress" in shown.text
    fragment = portal.get(f"/portal/files/{waiting}/progress", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith('<div id="progress"')


def test_an_administrator_and_an_rps_have_no_files_pages(hub: Hub, portal: Any) -> None:
    login(portal, make_user(hub, "rps"))
    assert portal.get("/portal/files").status_code == 403


def test_a_client_pages_and_exports_its_own_files_only(
    hub: Hub, portal: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    import csv
    import io

    with hub.engine.begin() as conn:
        for n, owner in enumerate([agency] * 21 + [other_agency]):
            conn.execute(
                stop_files.insert().values(
                    realm="prod", agency_id=owner.id, ori=owner.ori, channel="sftp",
                    file_name=f"20240315143200_{owner.ori}_X{n:02d}.csv", format="delimited",
                    size=10, sha256=f"{n:064d}", state="done", received_at=dt.datetime.now(dt.UTC),
                )
            )  # fmt: skip
    login(portal, make_user(hub, "client", agency=agency))
    listed = portal.get("/portal/files", params={"limit": 50})
    assert "Files 1–21 of 21" in listed.text
    assert 'href="/portal/files?realm=prod&amp;format=csv"' in listed.text
    first = portal.get("/portal/files", params={"name": "_X"})
    assert "Files 1–20 of 21" in first.text
    for fmt, media in (("csv", "text/csv"), ("xlsx", "spreadsheetml")):
        answer = portal.get("/portal/files", params={"name": "_X", "format": fmt})
        assert answer.status_code == 200 and media in answer.headers["content-type"]
        assert f"files_{agency.ori}_prod.{fmt}" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(portal.get("/portal/files?format=csv").text)))
    assert len(rows) == 21 and all(agency.ori in r["file_name"] for r in rows)
    assert portal.get("/portal/files", params={"limit": 7}).status_code == 400

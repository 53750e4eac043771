"""The administrator's lists of agencies, import accounts and files in process (issue 19):
each searched, paged with its total and exported whole as the search found it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
from typing import Any

import openpyxl
import sqlalchemy as sa

from jdx.exchanges.stops.tables import stop_files
from jdx.hub import Hub
from jdx.store.queries import add_agency, set_agency_active
from jdx.store.tables import agencies
from tests.channels.web.conftest import csrf_of, login, make_user
from tests.conftest import AgencyFixture


def _agencies(hub: Hub, count: int) -> tuple[str, list[str]]:
    """``count`` agencies whose names share a word no other test's agency has; the first
    suspended. Their ORIs, in order."""
    word = "Lists" + secrets.token_hex(3)
    oris = [f"L{secrets.token_hex(2).upper()}{n:04d}" for n in range(count)]
    with hub.engine.begin() as conn:
        for n, ori in enumerate(oris):
            add_agency(conn, ori, f"{word} agency {n}")
        set_agency_active(conn, oris[0], False)
    return word, sorted(oris)


def _csv_rows(answer: Any) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(answer.text)))


def test_agencies_are_searched_by_ori_or_name_and_standing_paged_and_exported(
    hub: Hub, portal: Any
) -> None:
    word, oris = _agencies(hub, 23)
    login(portal, make_user(hub, "admin"))
    first = portal.get("/portal/admin/agencies", params={"text": word.upper()})
    assert "Agencies 1–20 of 23, by ORI." in first.text
    assert f"<td>{oris[0]}</td>" in first.text and f"<td>{oris[22]}</td>" not in first.text
    assert f"text={word.upper()}&amp;limit=20&amp;offset=20" in first.text  # keeps the search
    second = portal.get("/portal/admin/agencies", params={"text": word, "offset": 20})
    assert "Agencies 21–23 of 23" in second.text and f"<td>{oris[22]}</td>" in second.text
    by_ori = portal.get("/portal/admin/agencies", params={"text": oris[5].lower()})
    assert "Agencies 1–1 of 1" in by_ori.text
    suspended = portal.get("/portal/admin/agencies", params={"text": word, "standing": "suspended"})
    assert "Agencies 1–1 of 1" in suspended.text and "suspended</span>" in suspended.text
    rows = _csv_rows(portal.get("/portal/admin/agencies", params={"text": word, "format": "csv"}))
    assert [r["ori"] for r in rows] == oris  # the whole search, not one page
    assert sum(r["standing"] == "suspended" for r in rows) == 1
    assert rows[0].keys() >= {"prod_keys", "test_keys", "sftp", "namus_import", "certificates"}
    book = portal.get("/portal/admin/agencies", params={"text": word, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(book.content), read_only=True).active
    assert sheet is not None and len(list(sheet.iter_rows())) == 24  # the heading and 23
    for wrong in ({"standing": "gone"}, {"limit": 7}, {"offset": -1}, {"format": "pdf"}):
        answer = portal.get("/portal/admin/agencies", params=wrong)
        assert answer.status_code == 400, wrong
        assert next(iter(wrong)) in answer.text


def test_import_accounts_are_searched_paged_and_exported(hub: Hub, portal: Any) -> None:
    word, oris = _agencies(hub, 22)
    login(portal, make_user(hub, "admin"))
    first = portal.get("/portal/admin/accounts", params={"text": word})
    assert "Agencies 1–20 of 22, by ORI." in first.text
    assert f'id="account-{oris[0]}"' in first.text and f'id="account-{oris[21]}"' not in first.text
    second = portal.get("/portal/admin/accounts", params={"text": word, "offset": 20})
    assert f'id="account-{oris[21]}"' in second.text
    active = portal.get("/portal/admin/accounts", params={"text": word, "standing": "active"})
    assert "Agencies 1–20 of 21" in active.text
    rows = _csv_rows(portal.get("/portal/admin/accounts", params={"text": word, "format": "csv"}))
    assert [r["ori"] for r in rows] == oris
    assert list(rows[0]) == ["ori", "name", "standing", "sponsor", "can_import",
                             "max_cases_per_job", "max_job_bytes", "max_jobs_per_day"]  # fmt: skip
    assert portal.get("/portal/admin/accounts", params={"standing": "x"}).status_code == 400
    # a change answers the page searched for its agency: its row, however long the list
    with hub.engine.connect() as conn:
        last_id = conn.execute(sa.select(agencies.c.id).where(agencies.c.ori == oris[21])).scalar()
    saved = portal.post(
        f"/portal/admin/accounts/{last_id}",
        data={"csrf": csrf_of(portal, "/portal/admin/accounts"), "sponsor": "Lists sponsor"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/portal/admin/accounts?text={oris[21]}"
    shown = portal.get(saved.headers["location"])
    assert f'id="account-{oris[21]}"' in shown.text and 'value="Lists sponsor"' in shown.text


def test_files_in_process_are_searched_by_agency_and_realm_paged_and_exported(
    hub: Hub, portal: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    start = dt.datetime.now(dt.UTC)
    with hub.engine.begin() as conn:
        for n in range(24):
            owner = other_agency if n == 23 else agency
            conn.execute(
                stop_files.insert().values(
                    realm="test" if n >= 21 else "prod", agency_id=owner.id, ori=owner.ori,
                    channel="sftp", file_name=f"20240315143200_{owner.ori}_IP{n:02d}.csv",
                    format="delimited", size=10, sha256=f"{n:064d}", state="processing",
                    received_at=start + dt.timedelta(seconds=n),
                )
            )  # fmt: skip
    login(portal, make_user(hub, "admin"))
    first = portal.get("/portal/admin/files", params={"ori": agency.ori.lower()})
    assert "Files 1–20 of 23, oldest first." in first.text
    assert "_IP00.csv" in first.text and "_IP20.csv" not in first.text
    second = portal.get("/portal/admin/files", params={"ori": agency.ori, "offset": 20})
    assert "Files 21–23 of 23" in second.text and "_IP22.csv" in second.text
    in_test = portal.get("/portal/admin/files", params={"ori": agency.ori, "realm": "test"})
    assert "Files 1–2 of 2" in in_test.text and "_IP21.csv" in in_test.text
    rows = _csv_rows(portal.get("/portal/admin/files", params={"ori": agency.ori, "format": "csv"}))
    assert [r["file_name"][-8:] for r in rows] == [f"IP{n:02d}.csv" for n in range(23)]
    assert {r["ori"] for r in rows} == {agency.ori} and rows[0]["stored"] == "0"
    none = portal.get("/portal/admin/files", params={"ori": "ZZ9999999"})
    assert "No file of this search is being processed." in none.text
    assert portal.get("/portal/admin/files", params={"realm": "staging"}).status_code == 400

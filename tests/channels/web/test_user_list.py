"""The portal's users list (issue 19): searched by name, role and agency, paged with the total,
downloaded as CSV or XLSX by an administrator only, and never with a password hash or an
authenticator's secret."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import sqlalchemy as sa

from jdx.hub import Hub
from jdx.security.credentials import user_credentials
from tests.channels.web.conftest import login, make_user
from tests.conftest import AgencyFixture


def listed_names(text: str) -> set[str]:
    return {part.split('"')[0] for part in text.split('<tr id="user-')[1:]}


def test_the_users_list_is_searched_and_paged(
    hub: Hub, portal: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    clients = sorted(make_user(hub, "client", agency=agency).username for _ in range(23))
    theirs = make_user(hub, "client", agency=other_agency)
    login(portal, make_user(hub, "admin"))
    first = portal.get("/portal/admin/users", params={"agency": agency.ori})
    assert "Users 1–20 of 23, by user name." in first.text
    assert listed_names(first.text) == set(clients[:20])
    second = portal.get("/portal/admin/users", params={"agency": agency.ori, "offset": 20})
    assert "Users 21–23 of 23" in second.text and listed_names(second.text) == set(clients[20:])
    named = portal.get("/portal/admin/users", params={"name": clients[4].upper()})
    assert listed_names(named.text) == {clients[4]}
    other = portal.get("/portal/admin/users", params={"agency": other_agency.ori.lower()})
    assert listed_names(other.text) == {theirs.username}
    none = portal.get("/portal/admin/users", params={"agency": agency.ori, "role": "rps"})
    assert "No users match." in none.text
    assert portal.get("/portal/admin/users", params={"role": "boss"}).status_code == 400
    assert portal.get("/portal/admin/users", params={"limit": 3}).status_code == 400


def test_the_users_export_has_no_secret_and_is_an_administrators(
    hub: Hub, portal: Any, agency: AgencyFixture
) -> None:
    clients = [make_user(hub, "client", agency=agency) for _ in range(3)]
    with hub.engine.connect() as conn:
        secrets = [
            value
            for row in conn.execute(
                sa.select(user_credentials.c.password_hash, user_credentials.c.totp_secret).where(
                    user_credentials.c.user_id.in_([u.id for u in clients])
                )
            )
            for value in row
            if value
        ]
    assert len(secrets) == 6  # each has a password and an authenticator
    login(portal, make_user(hub, "admin"))
    exported = portal.get("/portal/admin/users", params={"agency": agency.ori, "format": "csv"})
    assert 'filename="users.csv"' in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted(r["username"] for r in rows) == sorted(u.username for u in clients)
    assert {r["agency_ori"] for r in rows} == {agency.ori}
    assert not any(s in exported.text for s in secrets)
    assert not [c for c in rows[0] if "password" in c or "totp" in c or "secret" in c]
    book = portal.get("/portal/admin/users", params={"agency": agency.ori, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    cells = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    assert {u.username for u in clients} <= set(cells)
    assert not any(s in cell for s in secrets for cell in cells)
    portal.cookies.clear()
    login(portal, clients[0])
    refused = portal.get("/portal/admin/users", params={"format": "csv"})
    assert refused.status_code == 403 and clients[1].username not in refused.text

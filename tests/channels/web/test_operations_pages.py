"""What an administrator watches (issue 19): agencies and their doors, files in process, the
mail outbox with its two actions, the audit log searched and exported; nobody else sees them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
import sqlalchemy as sa

from jdx.exchanges.stops.tables import stop_files
from jdx.hub import Hub
from jdx.notify.mail import enqueue
from jdx.store.tables import outbox
from tests.channels.web.conftest import csrf_of, login, make_user
from tests.conftest import AgencyFixture

PAGES = (
    "/portal/admin/agencies",
    "/portal/admin/files",
    "/portal/admin/outbox",
    "/portal/admin/audit",
)


@pytest.mark.parametrize("role", ["client", "rps"])
def test_only_an_administrator_sees_the_operations_pages(
    hub: Hub, portal: Any, agency: AgencyFixture, role: str
) -> None:
    login(portal, make_user(hub, role, agency=agency if role == "client" else None))
    for path in PAGES:
        assert portal.get(path).status_code == 403, path


def test_agencies_with_their_doors_and_files_in_process(
    hub: Hub, portal: Any, agency: AgencyFixture
) -> None:
    with hub.engine.begin() as conn:
        conn.execute(
            stop_files.insert().values(
                realm="prod", agency_id=agency.id, ori=agency.ori, channel="sftp",
                file_name=f"20240315143200_{agency.ori}_OPS.csv", format="delimited", size=10,
                sha256="1" * 64, state="processing", received_at=dt.datetime.now(dt.UTC),
            )
        )  # fmt: skip
    login(portal, make_user(hub, "admin"))
    doors = portal.get("/portal/admin/agencies", params={"text": agency.ori})
    row = doors.text.split(f"<td>{agency.ori}</td>")[1].split("</tr>")[0]
    assert "active" in row and "<td>1 / 1</td>" in row  # a key in each realm
    assert "allowed, 1 certificate" in row
    files = portal.get("/portal/admin/files", params={"ori": agency.ori})
    assert f"20240315143200_{agency.ori}_OPS.csv" in files.text


def test_the_outbox_sends_again_or_gives_up(hub: Hub, portal: Any, agency: AgencyFixture) -> None:
    with hub.engine.begin() as conn:
        for key in ("ops-retry", "ops-give-up"):
            enqueue(conn, key=f"{key}-{agency.ori}", agency_id=agency.id,
                    recipients=["poc@example.org"], subject=f"Subject {key}", body="body")  # fmt: skip
        conn.execute(
            outbox.update().where(outbox.c.key == f"ops-retry-{agency.ori}")
            .values(attempts=hub.settings.mail_max_attempts, last_error="550 mailbox gone")
        )  # fmt: skip
        ids = dict(
            conn.execute(
                sa.select(outbox.c.key, outbox.c.id).where(outbox.c.agency_id == agency.id)
            ).all()
        )
    login(portal, make_user(hub, "admin"))
    listed = portal.get("/portal/admin/outbox")
    assert "given up" in listed.text and "550 mailbox gone" in listed.text
    csrf = csrf_of(portal, "/portal/admin/outbox")
    retried = portal.post(
        f"/portal/admin/outbox/{ids[f'ops-retry-{agency.ori}']}/retry", data={"csrf": csrf},
        follow_redirects=False,
    )  # fmt: skip
    stopped = portal.post(
        f"/portal/admin/outbox/{ids[f'ops-give-up-{agency.ori}']}/give-up", data={"csrf": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert retried.status_code == stopped.status_code == 303
    with hub.engine.connect() as conn:
        attempts = dict(
            conn.execute(
                sa.select(outbox.c.key, outbox.c.attempts).where(outbox.c.agency_id == agency.id)
            ).all()
        )
    assert attempts == {
        f"ops-retry-{agency.ori}": 0,
        f"ops-give-up-{agency.ori}": hub.settings.mail_max_attempts,
    }
    assert (
        portal.post("/portal/admin/outbox/999999999/retry", data={"csrf": csrf}).status_code == 409
    )
    assert (
        portal.post(
            f"/portal/admin/outbox/{ids[f'ops-retry-{agency.ori}']}/delete", data={"csrf": csrf}
        ).status_code
        == 404
    )
    audit = portal.get("/portal/admin/audit", params={"action": "mail give-up"})
    assert f"<td>{ids[f'ops-give-up-{agency.ori}']}</td>" in audit.text


def test_the_audit_log_is_searched_paged_and_exported(
    hub: Hub, portal: Any, agency: AgencyFixture
) -> None:
    from jdx.store.queries import audit

    with hub.engine.begin() as conn:
        for n in range(60):
            audit(conn, exchange="stops", actor=agency.ori, ori=agency.ori, channel="http",
                  action="read", subject=f"S{n:03d}", outcome="found")  # fmt: skip
    login(portal, make_user(hub, "admin"))
    first = portal.get("/portal/admin/audit", params={"ori": agency.ori, "action": "read"})
    assert "Entries 1–50 of 60" in first.text and "S059" in first.text and "S009" not in first.text
    second = portal.get(
        "/portal/admin/audit", params={"ori": agency.ori, "action": "read", "offset": 50}
    )
    assert "Entries 51–60 of 60" in second.text and "S000" in second.text
    exported = portal.get("/portal/admin/audit", params={"ori": agency.ori, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len([r for r in rows if r["action"] == "read"]) == 60
    assert {r["ori"] for r in rows} == {agency.ori}
    assert portal.get("/portal/admin/audit", params={"day_from": "yesterday"}).status_code == 400


def test_the_outbox_is_paged_and_exported_without_bodies(
    hub: Hub, portal: Any, agency: AgencyFixture
) -> None:
    with hub.engine.begin() as conn:
        for n in range(60):
            enqueue(conn, key=f"ops-page-{agency.ori}-{n:03d}", agency_id=agency.id,
                    recipients=["poc@example.org"], subject=f"Paged {agency.ori} {n:03d}",
                    body=f"the body names a person {agency.ori}")  # fmt: skip
        waiting = conn.execute(
            sa.select(sa.func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        ).scalar_one()
    login(portal, make_user(hub, "admin"))
    first = portal.get("/portal/admin/outbox")
    assert f"Mails 1–50 of {waiting}, newest first." in first.text
    assert f"Paged {agency.ori} 059" in first.text and f"Paged {agency.ori} 009" not in first.text
    second = portal.get("/portal/admin/outbox", params={"offset": 50})
    assert "Mails 51–" in second.text and f"Paged {agency.ori} 009" in second.text
    assert portal.get("/portal/admin/outbox", params={"limit": 7}).status_code == 400
    exported = portal.get("/portal/admin/outbox", params={"format": "csv"})
    assert 'filename="outbox.csv"' in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    mine = [r for r in rows if r["ori"] == agency.ori]
    assert len(mine) == 60 and len(rows) == waiting
    assert {r["state"] for r in mine} == {"pending"} and "body" not in rows[0]
    assert "the body names a person" not in exported.text
    assert portal.get("/portal/admin/outbox", params={"format": "pdf"}).status_code == 400

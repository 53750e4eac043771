"""A completed job's results by mail: the importing agency, and each RPS of a region involved with
only the cases of its regions. End to end: HTTP job, its workflow, the outbox, the notifier, a
real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from jdx.exchanges.cases.regions import DEMO_REGIONS, set_region
from jdx.hub import Hub
from jdx.notify.notifier import Notifier
from jdx.security import users
from jdx.store.tables import outbox
from tests.exchanges.cases.test_import import missing, run_job, unidentified
from tests.exchanges.cases.test_review import import_cases, in_state
from tests.notify.conftest import SmtpServer, mail_agency, serving

pytestmark = pytest.mark.smtp
WEST, SOUTH = DEMO_REGIONS["CA"], DEMO_REGIONS["FL"]


@pytest.fixture
def smtp(hub: Hub) -> Iterator[SmtpServer]:
    with serving(hub.settings) as server:
        yield server


def reviewer(hub: Hub, *regions: str) -> str:
    """A new RPS of the regions; its own address, so the test finds its mail among others'."""
    name = f"rps-{secrets.token_hex(4)}"
    email = f"{name}@example.org"
    with hub.engine.begin() as conn:
        users.add_user(conn, name, role="rps", email=email, regions=regions)
    return email


def test_each_rps_gets_only_the_cases_of_its_regions(
    workflows: Hub, client: Any, smtp: SmtpServer
) -> None:
    west, south, both = (
        reviewer(workflows, WEST),
        reviewer(workflows, SOUTH),
        reviewer(workflows, WEST, SOUTH),
    )
    who = mail_agency(workflows)
    status = run_job(
        client,
        who.agency,
        [in_state(missing(), "CA"), in_state(unidentified(), "FL"), in_state(missing(), "FL")],
    )
    ca, fl1, fl2 = (c["case_number"] for c in status["cases"])
    Notifier(workflows.engine, smtp.settings).send_due()

    [agency_mail] = smtp.collector.to(who.email)
    assert all(n in agency_mail.text for n in (ca, fl1, fl2))
    [west_mail] = smtp.collector.to(west)
    assert ca in west_mail.text and fl1 not in west_mail.text and fl2 not in west_mail.text
    assert f"{WEST}" in west_mail.text and SOUTH not in west_mail.text
    [south_mail] = smtp.collector.to(south)
    assert fl1 in south_mail.text and fl2 in south_mail.text and ca not in south_mail.text
    [both_mail] = smtp.collector.to(both)  # one mail for both regions, not two
    assert all(n in both_mail.text for n in (ca, fl1, fl2))
    assert f"/portal/cases/{ca}" in both_mail.text
    for mail in (agency_mail, west_mail, south_mail, both_mail):
        assert "JANE" not in mail.text and "DOE" not in mail.text  # no one's name leaves the hub
        assert f"job {status['job_id']}" in mail.text
    # Nothing is due twice.
    Notifier(workflows.engine, smtp.settings).send_due()
    assert len(smtp.collector.to(west)) == 1


def test_a_cancellation_request_reaches_the_rps_of_its_case(
    workflows: Hub, client: Any, smtp: SmtpServer
) -> None:
    south, west = reviewer(workflows, SOUTH), reviewer(workflows, WEST)
    who = mail_agency(workflows)
    number = run_job(client, who.agency, [in_state(missing(), "FL")])["cases"][0]["case_number"]
    cancel = {"type": "cancellation", "record": {"idFormatted": number, "reason": "resolved"}}
    status = run_job(client, who.agency, [cancel, in_state(missing(), "CA")])
    request_id = status["cases"][0]["cancellation"]["id"]
    Notifier(workflows.engine, smtp.settings).send_due()
    south_mails = [m.text for m in smtp.collector.to(south)]
    assert len(south_mails) == 2  # the case's job, and the cancellation's
    assert any(f"cancellation request {request_id} for {number}" in m for m in south_mails)
    assert all(f"cancellation request {request_id}" not in m.text for m in smtp.collector.to(west))


def test_a_region_without_rps_goes_to_the_administrators_and_test_jobs_to_no_rps(
    hub: Hub, agency: Any
) -> None:
    region = f"region-{secrets.token_hex(3)}"
    with hub.engine.begin() as conn:
        set_region(conn, "WY", region, DEMO_REGIONS)
    try:
        admins = {e for _, e in admin_list(hub)}
        job = import_cases(hub, agency, [in_state(missing(), "WY")])
        test_job = import_cases(hub, agency, [in_state(missing(), "CA")], realm="test")
    finally:
        with hub.engine.begin() as conn:
            set_region(conn, "WY", DEMO_REGIONS["WY"], DEMO_REGIONS)
    with hub.engine.connect() as conn:
        keys = dict(
            conn.execute(
                sa.select(outbox.c.key, outbox.c.recipients).where(
                    outbox.c.key.like(f"case-job-{job}-rps-%")
                    | outbox.c.key.like(f"case-job-{test_job}-rps-%")
                )
            ).all()
        )
    assert admins and {e for r in keys.values() for e in r} == admins
    assert all(k.startswith(f"case-job-{job}-") for k in keys)


def admin_list(hub: Hub) -> list[tuple[str, str]]:
    with hub.engine.begin() as conn:
        users.add_user(conn, f"admin-{secrets.token_hex(4)}", role="admin", email="adm@example.org")
        return users.administrators(conn)


def test_a_long_jobs_results_go_as_an_attachment(hub: Hub, smtp: SmtpServer) -> None:
    """520 cases: a list longer than a mail body may hold (20,000 characters) goes as a text
    attachment of the agency's mail and of the RPS's, the body keeping the counts (issue 19)."""
    from jdx.exchanges.cases.tables import client_limits
    from jdx.store.queries import now

    who = mail_agency(hub)
    rps = reviewer(hub, WEST)
    with hub.engine.begin() as conn:
        conn.execute(
            client_limits.insert().values(
                agency_id=who.agency.id,
                max_cases_per_job=600,
                max_job_bytes=50_000_000,
                max_jobs_per_day=10,
                updated_at=now(),
            )
        )
    job = import_cases(hub, who.agency, [in_state(missing(), "CA") for _ in range(520)])
    Notifier(hub.engine, smtp.settings).send_due()
    for address, name in ((who.email, "results"), (rps, "to-review")):
        [mail] = [m for m in smtp.collector.to(address) if f"job {job}" in m.text]
        body = mail.message.get_body(("plain",))
        assert body is not None and len(body.get_content()) < 20_000
        assert f"namus-job-{job}-{name}.txt" in mail.text
        [attached] = list(mail.message.iter_attachments())
        assert attached.get_filename() == f"namus-job-{job}-{name}.txt"
        listed = attached.get_content()
        assert len(listed) > 20_000 and listed.count("\n  ") + listed.count("created") >= 520
        assert "JANE" not in listed  # case numbers, never a name

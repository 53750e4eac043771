"""End to end: a stop file is processed and its agency's mail arrives at a real SMTP server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from jdx.codecs.flat import FlatLayout
from jdx.exchanges.stops import workflow
from jdx.hub import Hub
from jdx.notify.mail import next_digest_at
from jdx.notify.notifier import Notifier
from jdx.security.keys import Principal
from jdx.store.queries import now
from tests.exchanges.stops.test_batch_files import STAMP, delimited, run, three_kinds
from tests.notify.conftest import MailAgency, SmtpServer, mail_agency

pytestmark = pytest.mark.smtp


def principal_of(hub: Hub, who: MailAgency) -> Principal:
    found = workflow.principal_for(hub, who.agency.ori, "prod")
    assert found is not None
    return found


def with_free_text(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records with values no mail could hold by chance, so a leak would show."""
    for n, record in enumerate(records):
        record["Location"]["StreetName"] = f"LEAKCHECK STREET {n}"
    return records


def leaf_values(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from leaf_values(v)
    elif isinstance(value, list):
        for v in value:
            yield from leaf_values(v)
    elif isinstance(value, str):
        yield value


def test_a_processed_file_mails_counts_and_names_but_no_record_content(
    workflows: Hub, smtp: SmtpServer
) -> None:
    hub = workflows
    who = mail_agency(hub)
    principal = principal_of(hub, who)
    records = with_free_text(three_kinds(who.agency))
    name = f"{STAMP}_{who.agency.ori}_B0001.csv"
    data = delimited(FlatLayout(hub.validation.dictionaries["stop-2024"]), records)
    file_id, counts = run(hub, principal, name, data)
    assert counts["total"] == 3
    Notifier(hub.engine, smtp.settings).send_due()
    [got] = smtp.collector.to(who.email)
    text = got.text
    assert name in got.message["Subject"]
    assert "3 records, 1 stored successfully, 1 stored with errors, 1 not stored" in text
    assert f"{STAMP}_{who.agency.ori}_B0001_errors.csv" in text
    assert f"{smtp.settings.public_url}/sdcs/v1/files/{file_id}" in text
    # The guard: no value of any record field, except the ORI the file name carries anyway.
    values = {v for r in records for v in leaf_values(r) if len(v) >= 4 and v != who.agency.ori}
    assert {r["LEARecordID"] for r in records} <= values and "LEAKCHECK STREET 0" in values
    leaked = sorted(v for v in values if v in text)
    assert leaked == []


def test_a_daily_agencys_files_arrive_as_one_digest_at_the_digest_hour(
    workflows: Hub, smtp: SmtpServer
) -> None:
    hub = workflows
    who = mail_agency(hub, notify="daily")
    principal = principal_of(hub, who)
    layout = FlatLayout(hub.validation.dictionaries["stop-2024"])
    names = [f"{STAMP}_{who.agency.ori}_B000{n}.csv" for n in (1, 2)]
    for name in names:
        run(hub, principal, name, delimited(layout, three_kinds(who.agency)))
    notifier = Notifier(hub.engine, smtp.settings)
    notifier.send_due()
    assert smtp.collector.to(who.email) == []  # held for the digest
    notifier.send_due(at=next_digest_at(now(), hub.settings.digest_hour) + dt.timedelta(minutes=1))
    [got] = smtp.collector.to(who.email)
    assert got.message["Subject"] == "jdx: daily summary, 2 notices"
    assert all(name in got.text for name in names)


def test_an_immediate_agencys_one_stop_files_arrive_as_one_summary_a_minute_later(
    workflows: Hub, smtp: SmtpServer
) -> None:
    """One stop per file (issue 14): not a mail per stop, one summary of the agency's files."""
    import orjson

    from jdx.exchanges.stops.small_files import SUMMARY_SECONDS
    from tests.conftest import stop_record

    hub = workflows
    who = mail_agency(hub)
    principal = principal_of(hub, who)
    records = [stop_record(who.agency) for _ in range(3)]
    names = [f"{STAMP}_{who.agency.ori}_{r['LEARecordID']}.json" for r in records]
    for name, record in zip(names, records, strict=True):
        run(hub, principal, name, orjson.dumps(record))
    notifier = Notifier(hub.engine, smtp.settings)
    notifier.send_due()
    assert smtp.collector.to(who.email) == []  # held for the summary
    notifier.send_due(at=now() + dt.timedelta(seconds=SUMMARY_SECONDS + 5))
    [got] = smtp.collector.to(who.email)
    assert got.message["Subject"] == "jdx: summary, 3 notices"
    assert all(name in got.text for name in names)
    assert "1 records, 1 stored successfully" in got.text

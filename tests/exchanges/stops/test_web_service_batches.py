"""The bulk web service mode: a bulk caller's records with errors reach OUTPUT and the mail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx2 as httpx
import orjson
import sqlalchemy as sa

from jdx.exchanges.stops import web_service_batches
from jdx.exchanges.stops.tables import stop_file_chunks, stop_files
from jdx.exchanges.stops.workflow import folders_of
from jdx.hub import Hub
from jdx.store.queries import now
from jdx.store.tables import outbox
from tests.conftest import AgencyFixture, stop_record
from tests.samples import hub_file

LATER = dt.timedelta(hours=2)  # beyond the default idle time of 60 minutes


def _post(
    client: httpx.Client, agency: AgencyFixture, record: dict[str, Any], app: str | None
) -> int:
    headers = agency.auth() | ({"CallingApplication": app} if app else {})
    return client.post("/sdcs/v1/stops", json=record, headers=headers).status_code


def _close(hub: Hub, at: dt.datetime) -> list[int]:
    return web_service_batches.close_due(
        hub.engine,
        folders_of(hub),
        public_url="http://hub.example",
        digest_hour=6,
        idle_minutes=hub.settings.bulkws_idle_minutes,
        at=at,
    )


def _batches(hub: Hub, agency: AgencyFixture) -> list[Any]:
    with hub.engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(stop_files)
                .where(stop_files.c.ori == agency.ori, stop_files.c.channel == "bulkws")
                .order_by(stop_files.c.id)
            )
        )


def test_bulk_callers_errors_go_to_output_and_mail_after_the_close_step(
    hub: Hub, client: httpx.Client, agency: AgencyFixture
) -> None:
    with_error = stop_record(agency, SDur="0")  # stored "Submitted with Errors"
    rejected = stop_record(agency, SDate="13/45/2024")  # fatal: not stored
    clean = stop_record(agency)
    realtime = stop_record(agency, SDur="0")
    assert _post(client, agency, with_error, "LEAFTP") == 202
    assert _post(client, agency, rejected, "leaftp ") == 400
    assert _post(client, agency, clean, "LEAFTP") == 200
    assert _post(client, agency, realtime, "RMSWS") == 202

    [batch] = _batches(hub, agency)
    assert batch.state == "received"  # open: more records may come
    assert batch.id not in _close(hub, now())  # not idle yet
    assert batch.id in _close(hub, now() + LATER)

    [batch] = _batches(hub, agency)
    assert (batch.state, batch.total, batch.with_errors, batch.rejected) == ("done", 2, 1, 1)
    out = hub_file(hub, folders_of(hub).output_dir(agency.ori, "prod"))
    stem = batch.file_name.removesuffix(".json")
    errors = orjson.loads((out / f"{stem}_errors.json").read_bytes())
    ids = [e["LEARecordID"] for e in errors]
    assert ids == [with_error["LEARecordID"], rejected["LEARecordID"]]
    assert [e["Stored"] for e in errors] == [True, False]
    assert errors[0]["Record"]["SDur"] == "0"  # the record as sent, to correct it
    assert len((out / f"{stem}_log.txt").read_bytes()) == 146  # 145 bytes and a newline
    report = (out / f"{stem}_response.txt").read_text()
    assert "Record Level Fatal Errors" in report

    with hub.engine.connect() as conn:
        [mail] = conn.execute(sa.select(outbox).where(outbox.c.key == f"stop-file:{batch.id}"))
    assert "web service" in mail.subject
    assert "2 records your bulk process sent" in mail.body
    assert f"{stem}_errors.json" in mail.body
    assert realtime["LEARecordID"] not in mail.body + (out / f"{stem}_errors.json").read_text()

    # A later error opens a new batch; closing again sends nothing twice.
    assert batch.id not in _close(hub, now() + LATER)
    assert _post(client, agency, stop_record(agency, SDur="0"), "LEAFTP") == 202
    _, second = _batches(hub, agency)
    assert second.file_name.endswith("_WS2.json") and second.state == "received"


def test_real_time_callers_get_their_errors_in_the_answer_only(
    hub: Hub, client: httpx.Client, agency: AgencyFixture
) -> None:
    assert _post(client, agency, stop_record(agency, SDur="0"), "RMSWS") == 202
    assert _post(client, agency, stop_record(agency, SDate="13/45/2024"), None) == 400
    _close(hub, now() + LATER)
    assert _batches(hub, agency) == []
    out = hub_file(hub, folders_of(hub).output_dir(agency.ori, "prod"))
    assert not [n for n in out.names() if "_WS" in n]


def test_a_batch_from_an_earlier_day_is_closed_at_once(
    hub: Hub, client: httpx.Client, agency: AgencyFixture
) -> None:
    assert _post(client, agency, stop_record(agency, SDur="0"), "LEAFTP") == 202
    [batch] = _batches(hub, agency)
    # One minute after midnight of the next day: not idle for an hour, but the day is over.
    tomorrow = (batch.received_at + dt.timedelta(days=1)).replace(hour=0, minute=1)
    with hub.engine.begin() as conn:  # as if its last record had come just before midnight
        conn.execute(
            stop_file_chunks.update()
            .where(stop_file_chunks.c.file_id == batch.id)
            .values(done_at=tomorrow - dt.timedelta(minutes=2))
        )
    assert batch.id in _close(hub, tomorrow)


def test_a_closed_batch_left_unfinished_is_finished_by_the_next_round(
    hub: Hub, client: httpx.Client, agency: AgencyFixture
) -> None:
    """A process that closed a batch and died before finishing it: any node finishes it."""
    assert _post(client, agency, stop_record(agency, SDur="0"), "LEAFTP") == 202
    [batch] = _batches(hub, agency)
    assert web_service_batches.close(hub.engine, batch)
    assert not web_service_batches.close(
        hub.engine, batch
    )  # a second closer loses the compare-and-set
    assert batch.id in _close(hub, now())  # closed: finished at once, idle or not
    [batch] = _batches(hub, agency)
    assert batch.state == "done"


def test_a_rejected_record_with_a_nul_character_is_kept_as_sent(
    hub: Hub, client: httpx.Client, agency: AgencyFixture
) -> None:
    """U+0000 in a key or a text of a record with errors: the error rows are json on
    PostgreSQL (0020), which takes it; jsonb refused it and the request failed with a 500
    (found by schemathesis)."""
    rejected = stop_record(agency, SDate="13/45/2024")
    rejected["Officer"]["\u0000key"] = {"x": "a\u0000b"}
    assert _post(client, agency, rejected, "LEAFTP") == 400
    _close(hub, now() + LATER)
    [batch] = _batches(hub, agency)
    out = hub_file(hub, folders_of(hub).output_dir(agency.ori, "prod"))
    errors = orjson.loads((out / batch.file_name.replace(".json", "_errors.json")).read_bytes())
    assert [e["Record"] for e in errors] == [rejected]

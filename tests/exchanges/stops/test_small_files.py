"""The small-file lane (issue 14): one-stop files answered each on its own, many per transaction."""

from __future__ import annotations

import orjson
import sqlalchemy as sa

from jdx.exchanges.stops import small_files, workflow
from jdx.exchanges.stops.tables import stop_files, stops
from jdx.hub import Hub
from jdx.security.keys import Principal
from jdx.store.tables import outbox
from tests.conftest import AgencyFixture, stop_record
from tests.exchanges.stops.test_batch_files import output
from tests.samples import STAMP, hub_file, upload


def test_record_files_of_a_few_stops_take_the_lane_and_batch_files_do_not() -> None:
    assert small_files.is_small(f"{STAMP}_CA0370000_R1.json", 4_000)
    assert small_files.is_small(f"{STAMP}_CA0370000_R1.XML", small_files.SMALL_FILE_BYTES)
    assert not small_files.is_small(f"{STAMP}_CA0370000_R1.json", small_files.SMALL_FILE_BYTES + 1)
    assert not small_files.is_small(f"{STAMP}_CA0370000_B1.csv", 4_000)
    assert not small_files.is_small(f"{STAMP}_CA0370000_B1.xlsx", 4_000)


def test_each_one_stop_file_gets_its_own_answer_and_a_summary_notice(
    workflows: Hub, agency: AgencyFixture
) -> None:
    hub = workflows
    principal = workflow.principal_for(hub, agency.ori, "prod")
    assert isinstance(principal, Principal)
    good, with_error, fatal = (
        stop_record(agency),
        stop_record(agency, SDur="0"),
        stop_record(agency, SDate="13/45/2024"),
    )
    twin = {**stop_record(agency), "LEARecordID": good["LEARecordID"]}  # a duplicate of good
    sent = {
        f"{STAMP}_{agency.ori}_{good['LEARecordID']}.json": orjson.dumps(good),
        f"{STAMP}_{agency.ori}_{with_error['LEARecordID']}.json": orjson.dumps(with_error),
        f"{STAMP}_{agency.ori}_{fatal['LEARecordID']}.json": orjson.dumps(fatal),
        f"{STAMP}_{agency.ori}_TWIN1.json": orjson.dumps(twin),
        f"{STAMP}_{agency.ori}_BROKEN1.json": b"{not json",
    }
    ids = {}
    for name, data in sent.items():  # taken one after another, as an SFTP session hands them
        received = workflow.receive(
            hub, principal, upload(hub, principal, name, data), channel="sftp"
        )
        assert received.file_id is not None, received.message
        ids[name] = received.file_id
    counts = {name: workflow.wait(hub, file_id, timeout=60) for name, file_id in ids.items()}
    names = list(sent)
    assert [(counts[n]["total"], counts[n]["successful"]) for n in names] == [
        (1, 1),
        (1, 0),
        (1, 0),
        (1, 0),
        (0, 0),
    ]
    assert [(counts[n]["with_errors"], counts[n]["rejected"]) for n in names[:4]] == [
        (0, 0),
        (1, 0),
        (0, 1),
        (0, 1),  # the twin is refused as a duplicate, whichever transaction it shared
    ]
    for name in names:
        stem = name.rsplit(".", 1)[0]
        report = output(hub, principal, f"{stem}_response.txt").read_text()
        assert report.startswith("Agency ORI|File name|")
        assert output(hub, principal, f"{stem}_log.txt").exists()
    broken = output(hub, principal, f"{STAMP}_{agency.ori}_BROKEN1_response.txt").read_text()
    assert "not valid JSON" in broken
    with hub.engine.connect() as conn:
        stored = conn.execute(
            sa.select(stops.c.lea_record_id).where(stops.c.file_id.in_(ids.values()))
        ).scalars()
        assert sorted(stored) == sorted([good["LEARecordID"], with_error["LEARecordID"]])
        states = conn.execute(
            sa.select(stop_files.c.state).where(stop_files.c.id.in_(ids.values()))
        ).scalars()
        assert sorted(states) == ["done"] * 4 + ["failed"]
        keys = conn.execute(
            sa.select(outbox.c.key, outbox.c.digest).where(
                outbox.c.key.in_([f"summary:stop-file:{i}" for i in ids.values()])
            )
        ).all()
    assert len(keys) == len(ids) and all(digest for _, digest in keys)
    processing = hub_file(hub, workflow.folders_of(hub).files / "processing")
    assert not [n for n in processing.names() if n.split("_", 1)[0] in map(str, ids.values())]

"""A batch file's progress while it is processed, and identical re-uploads (issue 14)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import orjson
import pytest
from dbos import DBOS

from jdx.cli.submit import over_http
from jdx.codecs.flat import FlatLayout
from jdx.exchanges.stops import batch_files, workflow
from jdx.exchanges.stops.file_status import PROGRESS_SUFFIX
from jdx.exchanges.stops.service import StopService
from jdx.hub import Hub
from jdx.security.keys import Principal
from jdx.store.engine import write_transaction
from tests.conftest import PG_URL, AgencyFixture, stop_record
from tests.samples import STAMP, delimited, hub_file, upload

WAIT = 30.0  # seconds a test waits for what must happen long before; never a speed check


@pytest.fixture
def principal(hub: Hub, agency: AgencyFixture) -> Principal:
    found = workflow.principal_for(hub, agency.ori, "prod")
    assert found is not None
    return found


class Recorder:
    """What ``jdx submit`` would show, and the hook that holds the file after its first chunk
    until the client has seen it."""

    def __init__(self, first_chunk: int) -> None:
        self.first_chunk = first_chunk
        self.seen: list[tuple[int, int | None]] = []
        self.notes: list[str] = []
        self.uploaded_bytes = 0
        self.saw_progress = threading.Event()

    def uploading(self, name: str, size: int) -> None:
        self.size = size

    def uploaded(self, done: int) -> None:
        self.uploaded_bytes = done

    def processing(self, processed: int, total: int | None) -> None:
        self.seen.append((processed, total))
        if processed == self.first_chunk and total is None:
            self.saw_progress.set()

    def note(self, text: str) -> None:
        self.notes.append(text)


def hold_after_first_chunk(monkeypatch: pytest.MonkeyPatch, release: threading.Event) -> None:
    """Chunks of 10; once the first is stored, the file waits (up to WAIT) for ``release``
    before it stores the second."""
    monkeypatch.setattr(batch_files, "CHUNK", 10)
    real_store = batch_files._store_chunk

    def store(*args: Any) -> None:
        if args[3] == 2:  # chunk_no
            release.wait(WAIT)
        real_store(*args)

    monkeypatch.setattr(batch_files, "_store_chunk", store)


def test_submit_shows_the_records_processed_while_the_file_is_processed(
    workflows: Hub,
    client: Any,
    agency: AgencyFixture,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    layout = FlatLayout(workflows.validation.dictionaries["stop-2024"])
    monkeypatch.setattr(workflows.service(StopService), "bulk_workers", 0)
    file = tmp_path / f"{STAMP}_{agency.ori}_PROG1.csv"
    file.write_bytes(delimited(layout, [stop_record(agency) for _ in range(25)]))
    bars = Recorder(first_chunk=10)
    hold_after_first_chunk(monkeypatch, bars.saw_progress)
    client.headers.update(agency.auth())
    status = over_http(client, file, tmp_path / "out", wait=60, bars=bars, poll=0.05)
    assert bars.saw_progress.is_set(), bars.seen  # 10 of ? records shown while processing
    assert bars.uploaded_bytes == file.stat().st_size
    assert bars.seen[-1] == (25, 25)
    assert (status["state"], status["total"], status["processed"]) == ("done", 25, 25)
    assert "duplicate_of" not in status
    assert sorted(Path(p).name for p in status["saved"]) == [
        f"{file.stem}_log.txt",
        f"{file.stem}_response.txt",
    ]


def test_a_file_shows_its_progress_in_output_and_the_note_goes_when_it_is_done(
    workflows: Hub, agency: AgencyFixture, principal: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SFTP and drop-folder clients see OUTPUT only: ``<name>.progress.txt``."""
    layout = FlatLayout(workflows.validation.dictionaries["stop-2024"])
    name = f"{STAMP}_{agency.ori}_PROG2.csv"
    release = threading.Event()
    hold_after_first_chunk(monkeypatch, release)
    data = delimited(layout, [stop_record(agency) for _ in range(25)])
    path = upload(workflows, principal, name, data)
    received = workflow.receive(workflows, principal, path, channel="sftp")
    assert received.file_id is not None
    out = hub_file(workflows, workflow.folders_of(workflows).output_dir(agency.ori, "prod"))
    note = out / (name + PROGRESS_SUFFIX)
    seen = ""
    for _ in range(int(WAIT / 0.05)):
        if note.exists() and (seen := note.read_text().strip()):
            break
        release.wait(0.05)
    release.set()
    assert seen == "10"
    workflow.wait(workflows, received.file_id, timeout=60)
    assert not note.exists()


@pytest.mark.skipif(bool(PG_URL), reason="SQLite's write lock")
def test_a_status_poll_does_not_wait_for_the_databases_writer(
    workflows: Hub, client: Any, agency: AgencyFixture
) -> None:
    """On SQLite a plain transaction begins IMMEDIATE: a status poll queued behind the file's
    chunk transactions (up to a second each under load). It reads without the write lock."""
    record = stop_record(agency)
    name = f"{STAMP}_{agency.ori}_{record['LEARecordID']}.json"
    put = client.put(f"/sdcs/v1/files/{name}", content=orjson.dumps(record), headers=agency.auth())
    file_id = put.json()["file_id"]
    workflow.wait(workflows, file_id, timeout=60)
    answers: list[int] = []
    poll = threading.Thread(
        target=lambda: answers.append(
            client.get(f"/sdcs/v1/files/{file_id}", headers=agency.auth()).status_code
        )
    )
    with write_transaction(workflows.engine):  # the writer's lock, held as a chunk holds it
        poll.start()
        poll.join(WAIT / 2)  # SQLite's busy timeout (30 s) is longer: a waiting poll fails here
        answered_while_held = not poll.is_alive()
    poll.join()
    assert answered_while_held and answers == [200]


def test_an_identical_re_upload_over_http_is_answered_with_the_earlier_file(
    workflows: Hub, client: Any, agency: AgencyFixture, tmp_path: Path
) -> None:
    record = stop_record(agency)
    name = f"{STAMP}_{agency.ori}_{record['LEARecordID']}.json"
    data = orjson.dumps(record)
    first = client.put(f"/sdcs/v1/files/{name}", content=data, headers=agency.auth())
    assert first.status_code == 202
    file_id = first.json()["file_id"]
    workflow.wait(workflows, file_id, timeout=60)
    again = client.put(f"/sdcs/v1/files/{name}", content=data, headers=agency.auth())
    assert again.status_code == 200, again.text
    body = again.json()
    assert body["duplicate_of"] == body["file_id"] == file_id
    assert again.headers["location"] == f"/sdcs/v1/files/{file_id}"
    assert "already received on " in body["message"] and " UTC" in body["message"]
    assert f"{Path(name).stem}_log.txt" in body["message"]  # where its answers are
    # under another name, the same bytes are the same file
    renamed = f"20240316143200_{agency.ori}_{record['LEARecordID']}.json"
    other = client.put(f"/sdcs/v1/files/{renamed}", content=data, headers=agency.auth())
    assert other.status_code == 200 and other.json()["duplicate_of"] == file_id
    assert f"as {name}" in other.json()["message"]
    # ... and the client prints it, then gives the earlier file's results
    file = tmp_path / renamed
    file.write_bytes(data)
    bars = Recorder(first_chunk=0)
    client.headers.update(agency.auth())
    status = over_http(client, file, tmp_path / "out", wait=60, bars=bars, poll=0.05)
    assert status["duplicate_of"] == file_id and status["file_id"] == file_id
    assert bars.notes and "already received on" in bars.notes[0]
    assert status["successful"] == 1 and status["saved"]


def test_an_identical_re_upload_by_sftp_gets_a_note_and_a_report_in_output(
    workflows: Hub, agency: AgencyFixture, principal: Principal
) -> None:
    record = stop_record(agency)
    name = f"{STAMP}_{agency.ori}_{record['LEARecordID']}.json"
    data = orjson.dumps(record)
    first = workflow.receive(
        workflows, principal, upload(workflows, principal, name, data), channel="sftp"
    )
    assert first.file_id is not None
    workflow.wait(workflows, first.file_id, timeout=60)
    output = hub_file(workflows, workflow.folders_of(workflows).output_dir(agency.ori, "prod"))
    again = workflow.receive(
        workflows, principal, upload(workflows, principal, name, data), channel="sftp"
    )
    assert again.file_id is None and again.duplicate_of == first.file_id
    # a one-stop file is the small-file lane's: no workflow of its own, which would answer and
    # mail it a second time
    assert DBOS.list_workflows(workflow_ids=[f"stop-file-{first.file_id}"]) == []
    note = (output / f"{name}.refused.txt").read_text()
    assert "already received on" in note and f"{Path(name).stem}_response.txt" in note
    # the earlier answers stay as they were
    assert "already received" not in (output / f"{Path(name).stem}_response.txt").read_text()
    renamed = f"20240316143200_{agency.ori}_{record['LEARecordID']}.json"
    other = workflow.receive(
        workflows, principal, upload(workflows, principal, renamed, data), channel="sftp"
    )
    assert other.duplicate_of == first.file_id
    report = (output / f"{Path(renamed).stem}_response.txt").read_text()
    assert "already received on" in report and name in report
    assert b"FILE ERROR" in (output / f"{Path(renamed).stem}_log.txt").read_bytes()
    # a changed file of the same name is still refused as before
    changed = workflow.receive(
        workflows,
        principal,
        upload(workflows, principal, name, orjson.dumps({**record, "SDur": "9"})),
        channel="sftp",
    )
    assert changed.duplicate_of is None and "a different file of that name" in changed.message
